"""Test doubles shared by the LLM agent tests (a module, not a conftest, so its name stays unique)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agents.llm.backends.base import Backend, Reply, Sampling
from agents.llm.messages import Message


class ScriptedBackend(Backend):
    """Replies with `reply(chat)` and records every batch it was sent."""

    name = "scripted"

    def __init__(self, reply: Callable[[list[Message]], str] | None = None, seed: int | None = 0) -> None:
        self.reply = reply or (lambda chat: "\\boxed{up}")
        self.model = "fake"
        self.sampling = Sampling(seed=seed)
        self.batches: list[list[list[Message]]] = []
        self.seeds: list[list[int | None]] = []

    def generate(self, chats: Sequence[list[Message]], seeds: Sequence[int | None] | None = None) -> list[Reply]:
        self.batches.append(list(chats))
        self.seeds.append(list(seeds or []))
        return [Reply(self.reply(chat), 10, 3) for chat in chats]


def texts(message: Message) -> str:
    return "\n".join(p["text"] for p in message["content"] if p["type"] == "text")
