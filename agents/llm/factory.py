"""Agents by name: `oracle`, `random`, `hf:<model>`, `vllm:<model>`, `openai:<base_url>#<model>`.

`build_agent` is what the eval runner calls (eval/factory.py); `make_agent` parses the spec string too.
Backend modules are imported only when their kind is built, so naming an agent costs nothing heavy.
"""

from __future__ import annotations

from typing import Any

from agents.base import Agent
from agents.llm.agent import LLMAgent
from agents.llm.backends.base import Backend, Sampling

KINDS = ("hf", "vllm", "openai")
AGENT_OPTIONS = ("strip_think", "max_history_tokens", "max_images", "image_tokens", "incremental", "system_prompt")
USAGE = "expected oracle, random, hf:<model>, vllm:<model> or openai:<base_url>#<model>"


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """(kind, model, base_url); ValueError with the accepted forms otherwise."""
    kind, sep, rest = spec.strip().partition(":")
    if not sep:
        if kind in ("oracle", "random"):
            return kind, None, None
        raise ValueError(f"unknown agent {spec!r}: {USAGE}")
    if kind not in KINDS:
        raise ValueError(f"unknown agent kind {kind!r} in {spec!r}: {USAGE}")
    if kind == "openai":
        base_url, hash_sign, model = rest.rpartition("#")
        if not hash_sign or not base_url or not model:
            raise ValueError(f"{spec!r}: expected openai:<base_url>#<model>, e.g. openai:http://localhost:8000/v1#qwen")
        return kind, model, base_url
    if not rest:
        raise ValueError(f"{spec!r}: {kind} needs a model, e.g. {kind}:Qwen/Qwen2.5-VL-7B-Instruct")
    return kind, rest, None


def make_backend(kind: str, model: str, base_url: str | None, sampling: Sampling, **options: Any) -> Backend:
    if kind == "hf":
        from agents.llm.backends.hf import HFBackend

        return HFBackend.from_pretrained(model, sampling, **options)
    if kind == "vllm":
        from agents.llm.backends.vllm import VLLMBackend

        return VLLMBackend(model, sampling, **options)
    if kind == "openai":
        from agents.llm.backends.openai import OpenAIBackend

        if not base_url:
            raise ValueError("the openai backend needs a base_url, e.g. http://localhost:8000/v1")
        return OpenAIBackend(base_url, model, sampling, **options)
    raise ValueError(f"unknown backend {kind!r}: expected one of {KINDS}")


def build_agent(backend: str, model: str | None = None, base_url: str | None = None, *,
                temperature: float | None = None, top_p: float | None = None, max_tokens: int | None = None,
                seed: int | None = 0, **options: Any) -> LLMAgent:
    """An LLMAgent over a new backend. `options` go to the agent when they are LLMAgent's (`strip_think`,
    `max_history_tokens`, `max_images`...), otherwise to the backend (`concurrency`, `max_batch_size`...)."""
    if not model:
        raise ValueError(f"the {backend} backend needs a model")
    agent_options = {k: options.pop(k) for k in AGENT_OPTIONS if k in options}
    if backend == "vllm":  # vLLM refuses prompts with more pictures than it was started for
        agent_options.setdefault("max_images", options.setdefault("images_per_prompt", 4))
    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    return LLMAgent(make_backend(backend, model, base_url, sampling, **options), **agent_options)


def make_agent(spec: str, *, temperature: float | None = None, top_p: float | None = None,
               max_new_tokens: int | None = None, max_tokens: int | None = None, seed: int | None = 0,
               **options: Any) -> Agent:
    """The agent a spec string names, with sampling options (`max_new_tokens` and `max_tokens` are aliases)."""
    kind, model, base_url = parse_spec(spec)
    if kind == "oracle":
        from agents.oracle import OracleAgent

        return OracleAgent()
    if kind == "random":
        from agents.random_agent import RandomAgent

        return RandomAgent(seed=seed)
    return build_agent(kind, model, base_url, temperature=temperature, top_p=top_p,
                       max_tokens=max_new_tokens if max_new_tokens is not None else max_tokens, seed=seed, **options)
