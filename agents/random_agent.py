"""The random agent: the floor every real agent must beat."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.base import Agent, PuzzleMemory, boxed


class RandomAgent(Agent):
    """A random answer of the task's answer shape; in step mode a random legal move (or any command)."""

    name = "random"

    def __init__(self, seed: int | None = 0, undo_probability: float = 0.05) -> None:
        self.rng = np.random.default_rng(seed)
        self.undo_probability = undo_probability
        self._memory = PuzzleMemory()
        self._spaces: dict[str, list[str]] = {}

    def reset(self) -> None:
        self._memory.clear()
        self._spaces.clear()

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        return [self._act(info) for info in infos]

    def _act(self, info: dict[str, Any]) -> str:
        task, puzzle = self._memory.puzzle(info)
        if info.get("mode") != "step":
            return boxed(task.random_answer(puzzle, self.rng))
        if info.get("step", 0) > 0 and self.rng.random() < self.undo_probability:
            return "undo"
        legal = info.get("legal_moves")
        if not legal:
            legal = self._spaces.get(puzzle.id) or self._spaces.setdefault(puzzle.id, task.move_space(puzzle))
        return str(legal[int(self.rng.integers(len(legal)))])
