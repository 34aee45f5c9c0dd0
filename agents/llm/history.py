"""One episode's chat: the first observation, then (reply, follow-up observation) turns, fitted to a budget.

The first observation (the question and, for images, the initial picture) is never dropped: follow-ups carry
only what changed, so without it the model would lose the rules. When the chat exceeds the token budget the
oldest middle turns go first, then the first reply. `max_images` keeps the first picture and the latest ones;
older pictures are forgotten for good (a step-mode episode draws one per move, and they add up in memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.llm.messages import (
    NO_CHANGE,
    Message,
    estimate_image_tokens,
    estimate_text_tokens,
    image_part,
    new_paragraphs,
    observation_parts,
    text_part,
)

OMITTED = "({n} earlier turn{s} omitted.)"
PICTURE_OMITTED = "(picture omitted)"
MESSAGE_OVERHEAD = 4  # role markers and separators of a chat template, per message


@dataclass
class Turn:
    """A user message and the reply to it (None while the reply is awaited)."""

    user: Message
    reply: str | None = None


@dataclass
class Conversation:
    """The chat of one episode. `incremental=False` resends whole observations instead of what changed."""

    first_observation: dict[str, Any]
    system: str | None = None
    incremental: bool = True
    max_images: int | None = None
    turns: list[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.first_text = self.first_observation.get("text", "")
        image = self.first_observation.get("image")
        self.last_image = None if image is None else np.asarray(image)  # the picture the model saw last
        self.turns.append(Turn({"role": "user", "content": observation_parts(self.first_observation)}))

    def observe(self, observation: dict[str, Any]) -> None:
        """Add a follow-up observation (after the env answered the last reply)."""
        if self.turns[-1].reply is None:
            raise RuntimeError("observe() before the last observation was answered")
        if not self.incremental:
            content = observation_parts(observation)
        else:
            content = [text_part(new_paragraphs(observation.get("text", ""), self.first_text) or NO_CHANGE)]
            image = observation.get("image")
            if image is not None and not (self.last_image is not None and np.array_equal(image, self.last_image)):
                content.append(image_part(np.asarray(image, dtype=np.uint8)))  # retries, refused moves re-show it
            if image is not None:
                self.last_image = np.asarray(image)
        self.turns.append(Turn({"role": "user", "content": content}))
        _limit_images(self.turns, self.max_images)

    def answer(self, reply: str) -> None:
        self.turns[-1].reply = reply

    def messages(self, budget: int | None = None, count: Callable[[str], int] | None = None,
                 image_tokens: int | None = None) -> list[Message]:
        """The chat to send now: system, first observation, kept turns, the latest observation."""
        turns = self.turns
        if budget is not None:
            turns = _fit(turns, budget, count, image_tokens, self.system)
        out: list[Message] = [{"role": "system", "content": [text_part(self.system)]}] if self.system else []
        for turn in turns:
            out.append(turn.user)
            if turn.reply is not None:
                out.append({"role": "assistant", "content": [text_part(turn.reply)]})
        return out


def _limit_images(turns: list[Turn], max_images: int | None) -> None:
    """Keep the first observation's pictures and the latest others, `max_images` in all (in place)."""
    if max_images is None:
        return
    left = max(0, max_images - sum(p["type"] == "image" for p in turns[0].user["content"]))
    for turn in reversed(turns[1:]):
        content = list(turn.user["content"])  # a new list: messages already handed out stay as they were
        for i in reversed(range(len(content))):
            if content[i]["type"] == "image":
                if left == 0:
                    content[i] = text_part(PICTURE_OMITTED)
                else:
                    left -= 1
        if content != turn.user["content"]:
            turn.user = {"role": "user", "content": content}


def _fit(turns: list[Turn], budget: int, count: Callable[[str], int] | None, image_tokens: int | None,
         system: str | None) -> list[Turn]:
    """Drop the oldest middle turns, then the first reply, until the estimate fits `budget`."""
    count = count or estimate_text_tokens

    def cost_of_user(message: Message) -> int:
        total = MESSAGE_OVERHEAD
        for part in message["content"]:
            if part["type"] == "text":
                total += count(part["text"])
            else:
                total += image_tokens if image_tokens is not None else estimate_image_tokens(part["image"])
        return total

    def cost(turn: Turn) -> int:
        return cost_of_user(turn.user) + (0 if turn.reply is None else MESSAGE_OVERHEAD + count(turn.reply))

    costs = [cost(t) for t in turns]
    total = sum(costs) + (MESSAGE_OVERHEAD + count(system) if system else 0)
    drop = 0
    middle = len(turns) - 2  # neither the first turn nor the latest
    while total > budget and drop < middle:
        total -= costs[1 + drop]
        drop += 1
    first, rest = turns[0], turns[1 + drop:]
    if drop:
        note = text_part(OMITTED.format(n=drop, s="" if drop == 1 else "s"))
        rest = [Turn({"role": "user", "content": [note, *rest[0].user["content"]]}, rest[0].reply), *rest[1:]]
    if total > budget and first.reply is not None and len(rest) == 1:
        # Last resort: the first observation and the latest one, as one user message.
        merged = {"role": "user", "content": [*first.user["content"], *rest[0].user["content"]]}
        return [Turn(merged, rest[0].reply)]
    return [first, *rest]
