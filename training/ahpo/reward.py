"""The training reward (spec §1.7): the env's verifier for accuracy plus a format term.

    R = (1 - w) * acc + w * format,   w = 0.1 (losses.combine_reward)

- `acc` in {0, 1}: the response goes to a HelixEnv in answer mode on the prompt's puzzle, which extracts the
  final answer in the public judge's order and runs the task's verifier (the same path as evaluation).
- `format` in {0, 1}: `<think>` ... `</think>` followed by a non-empty `\\boxed{...}` (`require_think=False`:
  a non-empty `\\boxed{...}` anywhere). SERG traces end `</think>` + `Final Answer: \\boxed{...}`, so expert
  traces are well formed by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helix_gym.core.env import HelixEnv
from helix_gym.core.extract import _last_boxed
from training.ahpo.losses import combine_reward

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Score:
    reward: float
    accuracy: float
    format: float


def format_ok(text: str, require_think: bool = True) -> bool:
    """The format term: a thinking block closed before a non-empty boxed final answer."""
    if not isinstance(text, str):
        return False
    if require_think:
        close = text.rfind(THINK_CLOSE)
        if close < 0 or text.find(THINK_OPEN) < 0 or text.find(THINK_OPEN) > close:
            return False
        text = text[close + len(THINK_CLOSE):]
    boxed = _last_boxed(text)
    return boxed is not None and bool(boxed.strip())


class EnvReward:
    """Scores a response to an item (anything with `task` and `puzzle`) through the env's verifier."""

    def __init__(self, format_weight: float = 0.1, require_think: bool = True) -> None:
        self.format_weight = float(format_weight)
        self.require_think = bool(require_think)
        self._envs: dict[str, HelixEnv] = {}

    def env(self, task: str) -> HelixEnv:
        if task not in self._envs:
            self._envs[task] = HelixEnv(task, mode="answer", obs="text")
        return self._envs[task]

    def accuracy(self, task: str, puzzle: Any, text: str) -> float:
        env = self.env(task)
        env.reset(options={"puzzle": puzzle})
        _, reward, *_ = env.step(text)
        return float(reward)

    def __call__(self, item: Any, text: str) -> Score:
        acc = self.accuracy(item.task, item.puzzle, text)
        fmt = float(format_ok(text, self.require_think))
        return Score(float(combine_reward(acc, fmt, self.format_weight)), acc, fmt)


RewardFn = Callable[[Any, str], Score]


def constant_reward(value: float) -> RewardFn:
    """A reward function that ignores the response (tests: forced all-fail or all-success groups)."""

    def score(item: Any, text: str) -> Score:
        return Score(float(value), float(value >= 1.0), 1.0)

    return score
