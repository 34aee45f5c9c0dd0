"""Offline vLLM: `LLM.chat` on a whole batch of conversations, one `SamplingParams` per request.

Deliberately thin: messages are the OpenAI form shared with the HTTP backend (images as PNG data URLs, which
vLLM's chat parser reads), and everything else lives in the tested agent. vLLM needs a CUDA GPU; where it is
not installed, `vllm serve` elsewhere plus `openai:<url>#<model>` is the same engine over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.llm.backends.base import DEFAULT_MAX_TOKENS, Backend, Reply, Sampling, require
from agents.llm.messages import Message, to_openai

HINT = (" (it needs a CUDA GPU); or run `vllm serve <model>` where vLLM is installed and use the agent "
        "openai:http://<host>:8000/v1#<model>")
DEFAULT_IMAGES_PER_PROMPT = 4


def import_vllm() -> Any:
    return require("vllm", "vllm", HINT)


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, model: str | Any, sampling: Sampling | None = None, *,
                 images_per_prompt: int = DEFAULT_IMAGES_PER_PROMPT, chat_kwargs: dict[str, Any] | None = None,
                 **llm_kwargs: Any) -> None:
        """`model`: a name or path (an `LLM` is built with `llm_kwargs`), or a ready `vllm.LLM`."""
        self.vllm = import_vllm()
        self.sampling = sampling or Sampling()
        self.chat_kwargs = dict(chat_kwargs or {})
        if isinstance(model, str):
            if self.sampling.seed is not None:
                llm_kwargs.setdefault("seed", self.sampling.seed)
            self.llm = self._engine(model, images_per_prompt, llm_kwargs)
            self.model = model
        else:
            self.llm, self.model = model, str(getattr(model, "model", "") or "llm")
        self._tokenizer = None

    def _engine(self, model: str, images_per_prompt: int, llm_kwargs: dict[str, Any]) -> Any:
        """`LLM(...)` allowing several pictures per prompt (multi-turn image chats); some vLLM versions refuse
        that limit for text-only models, which are then built without it."""
        if "limit_mm_per_prompt" in llm_kwargs:
            return self.vllm.LLM(model=model, **llm_kwargs)
        try:
            return self.vllm.LLM(model=model, limit_mm_per_prompt={"image": images_per_prompt}, **llm_kwargs)
        except ValueError as exc:
            if "limit_mm_per_prompt" not in str(exc):
                raise
            return self.vllm.LLM(model=model, **llm_kwargs)

    def params(self, seed: int | None) -> Any:
        s = self.sampling
        kwargs: dict[str, Any] = {"max_tokens": s.max_tokens or DEFAULT_MAX_TOKENS}
        for key, value in (("temperature", s.temperature), ("top_p", s.top_p), ("seed", seed)):
            if value is not None:
                kwargs[key] = value
        return self.vllm.SamplingParams(**kwargs)

    def generate(self, chats: Sequence[list[Message]], seeds: Sequence[int | None] | None = None) -> list[Reply]:
        seeds = list(seeds) if seeds is not None else [None] * len(chats)
        conversations = [to_openai(chat) for chat in chats]
        outputs = self.llm.chat(conversations, sampling_params=[self.params(seed) for seed in seeds],
                                use_tqdm=False, **self.chat_kwargs)
        replies = []
        for out in outputs:
            best = out.outputs[0]
            prompt = getattr(out, "prompt_token_ids", None)
            replies.append(Reply(best.text, None if prompt is None else len(prompt), len(best.token_ids)))
        return replies

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is None and hasattr(self.llm, "get_tokenizer"):
            self._tokenizer = self.llm.get_tokenizer()
        if self._tokenizer is None:
            return super().count_tokens(text)
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def context_tokens(self) -> int | None:
        try:
            length = int(self.llm.llm_engine.model_config.max_model_len)
        except (AttributeError, TypeError, ValueError):
            return None
        return length - (self.sampling.max_tokens or DEFAULT_MAX_TOKENS)
