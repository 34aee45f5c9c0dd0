"""Agents by name for the runner: `oracle`, `random`, `hf:<model>`, `vllm:<model>`, `openai:<base_url>#<model>`.

Adding a kind is one builder function in BUILDERS. The LLM kinds are built by `agents.llm.build_agent(backend,
model=..., base_url=..., temperature=..., top_p=..., max_tokens=..., seed=...)`; until that module exists they
exit with a clear message.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from agents import Agent, OracleAgent, RandomAgent

LLM_MODULE = "agents.llm"


class AgentUnavailable(RuntimeError):
    """The agent kind is known but cannot be built here (a module or dependency is missing)."""


@dataclass(frozen=True)
class AgentSpec:
    text: str  # as given on the command line
    kind: str  # oracle | random | hf | vllm | openai
    model: str | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class Sampling:
    """Decoding settings handed to LLM backends (None: the backend's default); recorded with every run."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_agent(text: str) -> AgentSpec:
    """`oracle`, `random`, `hf:<model>`, `vllm:<model>` or `openai:<base_url>#<model>`; ValueError otherwise."""
    kind, sep, rest = text.partition(":")
    if not sep:
        if text in ("oracle", "random"):
            return AgentSpec(text, text)
        raise ValueError(f"unknown agent {text!r}: expected oracle, random, hf:<model>, vllm:<model> or "
                         "openai:<base_url>#<model>")
    if kind in ("hf", "vllm"):
        if not rest:
            raise ValueError(f"{kind}: needs a model, e.g. {kind}:Qwen/Qwen2.5-VL-7B-Instruct")
        return AgentSpec(text, kind, model=rest)
    if kind == "openai":
        base_url, hash_sign, model = rest.rpartition("#")
        if not hash_sign or not base_url or not model:
            raise ValueError("openai: expected openai:<base_url>#<model>, e.g. openai:http://localhost:8000/v1#my-model")
        return AgentSpec(text, kind, model=model, base_url=base_url)
    raise ValueError(f"unknown agent kind {kind!r} in {text!r}: expected hf, vllm or openai before the colon")


class PerEpisode(Agent):
    """One fresh agent per episode, seeded from (seed, item id): results depend neither on how items are
    batched nor on where a run was resumed. Needs `info["item_id"]`, which the runner adds."""

    def __init__(self, make: Callable[[int], Agent], seed: int = 0, name: str = "agent") -> None:
        self.make, self.seed, self.name = make, seed, name
        self._agents: dict[str, Agent] = {}

    def reset(self) -> None:
        self._agents.clear()

    def _agent(self, item_id: str) -> Agent:
        if item_id not in self._agents:
            digest = hashlib.sha256(f"{self.seed}:{item_id}".encode()).digest()
            self._agents[item_id] = self.make(int.from_bytes(digest[:8], "little"))
        return self._agents[item_id]

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        return [self._agent(str(info["item_id"])).act(obs, info) for obs, info in zip(observations, infos)]


# ---- builders: one function per kind -----------------------------------------------------------------------
def _oracle(spec: AgentSpec, sampling: Sampling) -> Agent:
    return OracleAgent()


def _random(spec: AgentSpec, sampling: Sampling) -> Agent:
    return PerEpisode(lambda seed: RandomAgent(seed=seed), seed=sampling.seed, name="random")


def _llm(spec: AgentSpec, sampling: Sampling) -> Agent:
    try:
        module = importlib.import_module(LLM_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name in (LLM_MODULE, LLM_MODULE.split(".")[0]):
            raise AgentUnavailable(f"LLM agents are not available yet: {LLM_MODULE} does not exist in this "
                                   f"install, so --agent {spec.text} cannot run. Use --agent oracle or random."
                                   ) from exc
        raise AgentUnavailable(f"the {spec.kind} backend needs the package {exc.name!r}: "
                               f"pip install 'helix-gym[{'vllm' if spec.kind == 'vllm' else 'llm'}]'") from exc
    build = getattr(module, "build_agent", None)
    if build is None:
        raise AgentUnavailable(f"LLM agents are not available yet: {LLM_MODULE} has no build_agent(...)")
    try:
        return build(spec.kind, model=spec.model, base_url=spec.base_url, **sampling.as_dict())
    except ImportError as exc:  # a backend whose library is missing (vllm, transformers) says so cleanly
        raise AgentUnavailable(str(exc)) from exc


BUILDERS: dict[str, Callable[[AgentSpec, Sampling], Agent]] = {
    "oracle": _oracle,
    "random": _random,
    "hf": _llm,
    "vllm": _llm,
    "openai": _llm,
}


def make_agent(spec: AgentSpec | str, sampling: Sampling | None = None) -> Agent:
    spec = parse_agent(spec) if isinstance(spec, str) else spec
    return BUILDERS[spec.kind](spec, sampling or Sampling())
