"""LLMAgent: one chat per episode, one backend call per lockstep turn.

Episodes are told apart by a key that survives other episodes dropping out of the batch (positions do not):
`info["episode"]` (set by agents.rollout.run_episodes), else `info["item_id"]` (the eval runner), else the
puzzle id with a replica number. A turn whose info says step 0, attempt 0 is a fresh reset and starts a new
chat under its key. Rollout episodes missing from a batch have finished (lockstep steps every live one), so
their chats are freed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any

from agents.base import Agent
from agents.llm.backends.base import Backend, Reply
from agents.llm.history import Conversation
from agents.llm.replies import step_action, strip_think

DEFAULT_MAX_IMAGES = 8


def is_first_turn(info: dict[str, Any]) -> bool:
    """A reset observation: no step taken, no attempt made (or, lacking those counters, the reset's puzzle)."""
    if "step" not in info and "attempt" not in info:
        return "puzzle" in info
    return int(info.get("step") or 0) == 0 and int(info.get("attempt") or 0) == 0


class LLMAgent(Agent):
    """Builds chats from observations, calls the backend once per turn for the whole batch, returns actions.

    - `strip_think`: send replies back without their `<think>` reasoning.
    - `max_history_tokens`: fit each chat to this many prompt tokens (default: the backend's context room).
    - `max_images`: pictures per chat, the first observation's and the latest (None: all). Older ones add
      little to a step-mode game and cost tokens and memory; some engines cap them too.
    - `image_tokens`: what one picture costs in the budget (default: the Qwen2-VL estimate from its size).
    - `incremental`: follow-up turns carry only what changed in the observation (the first one stays).
    - `system_prompt`: none by default, as in the MM-HELIX evaluation.
    """

    def __init__(self, backend: Backend, *, strip_think: bool = True, max_history_tokens: int | None = None,
                 max_images: int | None = DEFAULT_MAX_IMAGES, image_tokens: int | None = None, incremental: bool = True,
                 system_prompt: str | None = None) -> None:
        self.backend = backend
        self.name = f"{backend.name}:{backend.model}" if backend.model else backend.name
        self.strip_think = strip_think
        self.max_history_tokens = max_history_tokens
        self.max_images = max_images
        self.image_tokens = image_tokens
        self.incremental = incremental
        self.system_prompt = system_prompt
        self.last_usage: list[dict[str, int]] = []
        self.last_replies: list[Reply] = []
        self.reset()

    def reset(self) -> None:
        self._chats: dict[Hashable, Conversation] = {}
        self._seeds: dict[Hashable, str] = {}
        self._replicas: dict[str, int] = {}

    def _keys(self, infos: list[dict[str, Any]]) -> list[Hashable]:
        keys: list[Hashable] = []
        seen: dict[str, int] = {}
        for info in infos:
            if info.get("episode") is not None:
                keys.append(("episode", info["episode"]))
            elif info.get("item_id") is not None:
                keys.append(("item", info["item_id"]))
            else:  # exact for one episode per puzzle; with repeats, as long as none drops out early
                pid = str(info.get("puzzle_id"))
                seen[pid] = seen.get(pid, -1) + 1
                keys.append(("puzzle", pid, seen[pid]))
        return keys

    def _forget_finished(self, keys: list[Hashable]) -> None:
        if keys and all(k[0] == "episode" for k in keys):
            live = set(keys)
            for key in [k for k in self._chats if k[0] == "episode" and k not in live]:
                del self._chats[key]
                self._seeds.pop(key, None)

    def _chat(self, key: Hashable, observation: dict[str, Any], info: dict[str, Any]) -> Conversation:
        chat = self._chats.get(key)
        if chat is None or is_first_turn(info):
            chat = Conversation(observation, system=self.system_prompt, incremental=self.incremental,
                                max_images=self.max_images)
            self._chats[key] = chat
            self._seeds[key] = self._seed_name(info)
        else:
            chat.observe(observation)
        return chat

    def _seed_name(self, info: dict[str, Any]) -> str:
        """A name for the episode that does not depend on batching: its item, or its puzzle and replica."""
        if info.get("item_id") is not None:
            return f"item:{info['item_id']}"
        pid = str(info.get("puzzle_id"))
        replica = self._replicas.get(pid, 0)
        self._replicas[pid] = replica + 1
        return f"puzzle:{pid}:{replica}"

    def _request_seed(self, key: Hashable, turn: int) -> int | None:
        base = self.backend.sampling.seed
        if base is None:
            return None
        digest = hashlib.sha256(f"{base}|{self._seeds[key]}|{turn}".encode()).digest()
        return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF

    def _budget(self) -> int | None:
        return self.max_history_tokens if self.max_history_tokens is not None else self.backend.context_tokens()

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        keys = self._keys(infos)
        self._forget_finished(keys)
        chats = [self._chat(key, obs, info) for key, obs, info in zip(keys, observations, infos)]
        budget = self._budget()
        requests = [chat.messages(budget, self.backend.count_tokens, self.image_tokens) for chat in chats]
        seeds = [self._request_seed(key, len(chat.turns) - 1) for key, chat in zip(keys, chats)]
        replies = self.backend.generate(requests, seeds)
        if len(replies) != len(requests):
            raise RuntimeError(f"the {self.backend.name} backend returned {len(replies)} replies for "
                               f"{len(requests)} chats")
        actions = []
        for chat, reply, info in zip(chats, replies, infos):
            chat.answer(strip_think(reply.text) if self.strip_think else reply.text)
            actions.append(step_action(reply.text) if info.get("mode") == "step" else reply.text)
        self.last_replies = replies
        self.last_usage = [reply.usage() for reply in replies]
        return actions
