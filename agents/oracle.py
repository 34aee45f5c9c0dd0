"""The oracle: plays the task's own solver. Anything below 100% is a bug in a generator, solver or verifier."""

from __future__ import annotations

from typing import Any

from agents.base import Agent, PuzzleMemory, boxed
from helix_gym.core.errors import RecordError


class OracleAgent(Agent):
    """`solve` in answer/retry mode, `solve_moves` in step mode (one command per step)."""

    name = "oracle"

    def __init__(self) -> None:
        self._memory = PuzzleMemory()
        self._plans: dict[str, list[str]] = {}

    def reset(self) -> None:
        self._memory.clear()
        self._plans.clear()

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        return [self._act(info) for info in infos]

    def _act(self, info: dict[str, Any]) -> str:
        task, puzzle = self._memory.puzzle(info)
        if info.get("mode") != "step":
            try:
                return boxed(task.solve(puzzle))
            except RecordError:  # an official row with no solution (a generator defect): nothing to answer
                return ""
        plan = self._plans.get(puzzle.id)
        if plan is None:
            try:
                plan = task.solve_moves(puzzle)
            except RecordError:
                plan = []
            self._plans[puzzle.id] = plan
        step = int(info.get("step", 0))  # the oracle never plays an invalid move, so step = moves applied
        return plan[step] if step < len(plan) else "submit"
