"""The one interface every backend implements: a batch of chats in, a batch of replies with token counts out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from agents.llm.messages import Message, estimate_text_tokens

DEFAULT_MAX_TOKENS = 4096  # for local engines, whose own defaults are tiny (vLLM: 16) or absent


class BackendUnavailable(ImportError):
    """The backend's optional dependency is not installed; the message says what to install."""


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; None leaves the backend's (or the model's) default in place."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reply:
    """One generated reply; token counts are None where the backend cannot tell."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def usage(self) -> dict[str, int]:
        return {k: v for k, v in (("prompt_tokens", self.prompt_tokens),
                                  ("completion_tokens", self.completion_tokens)) if v is not None}


class Backend:
    """Generates replies for a batch of chats (neutral messages, see agents.llm.messages).

    `seeds[i]` is a per-request sampling seed where the engine supports one (None: the engine's own RNG)."""

    name = "backend"
    model = ""
    sampling = Sampling()

    def generate(self, chats: Sequence[list[Message]], seeds: Sequence[int | None] | None = None) -> list[Reply]:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` (exact where a tokenizer is at hand), for fitting the history to the context."""
        return estimate_text_tokens(text)

    def context_tokens(self) -> int | None:
        """Prompt tokens the model can take (context length minus the reply's room), where known."""
        return None


def require(module: str, extra: str, hint: str = "") -> Any:
    """Import an optional dependency or raise BackendUnavailable naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(f"this backend needs the package {module!r}, which is not installed: "
                                 f"pip install 'helix-gym[{extra}]'{hint}") from exc
