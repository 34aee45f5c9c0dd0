"""The agent interface: a batch of observations in, one action per live episode out."""

from __future__ import annotations

from typing import Any

from helix_gym import Puzzle, Task, get_task


class Agent:
    """Acts on HelixEnv observations. Episodes are stepped in lockstep, so agents act on batches."""

    name = "agent"

    def reset(self) -> None:
        """Forget per-episode memory (called between benchmark items)."""

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        raise NotImplementedError

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        return self.act_batch([observation], [info])[0]


class PuzzleMemory:
    """Remembers the puzzle of each episode from the `puzzle` JSON that `reset` puts in `info`.

    Solver-backed agents need the instance; later infos carry only its id."""

    def __init__(self) -> None:
        self._puzzles: dict[str, Puzzle] = {}

    def puzzle(self, info: dict[str, Any]) -> tuple[Task, Puzzle]:
        task = get_task(info["task"])
        if info.get("puzzle"):
            puzzle = Puzzle.from_json(info["puzzle"])
            self._puzzles[puzzle.id] = puzzle
            return task, puzzle
        pid = info.get("puzzle_id")
        if pid in self._puzzles:
            return task, self._puzzles[pid]
        if info.get("seed") is not None:  # a generated instance can always be rebuilt from its seed
            puzzle = task.generate_seeded(int(info["seed"]), int(info["level"]))
            self._puzzles[puzzle.id] = puzzle
            return task, puzzle
        raise KeyError(f"no puzzle known for episode {pid!r}: pass the reset info to the agent first")

    def clear(self) -> None:
        self._puzzles.clear()


def boxed(answer: str) -> str:
    return f"\\boxed{{{answer}}}"
