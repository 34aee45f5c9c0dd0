"""HelixEnv: one Gymnasium env class for every task, in three modes.

- "answer": one step; the action is free text whose final answer is extracted and verified.
- "retry": up to `max_attempts` answers; a wrong one is answered with the verifier's feedback.
- "step": one command of the task's grammar per step, plus `undo`, `restart`, `submit`, `answer <...>`.

The env knows tasks only through the Task contract, so every registered task gets every mode.
"""

from __future__ import annotations

import json
import string
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from helix_gym.core.draw import letterbox
from helix_gym.core.errors import InvalidMove
from helix_gym.core.extract import extract_answer
from helix_gym.core.parse import normalize_command
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle, Task, Verdict

MODES = ("answer", "retry", "step")
OBS = ("image", "text", "both")
FEEDBACK = ("legal", "conflicts")
REWARDS = ("binary", "partial")
MAX_TEXT = 65536
# Everything our questions contain, and the non-ASCII symbols a model commonly writes.
CHARSET = frozenset(string.printable + "×÷−–—‘’“”→←↑↓≤≥≠·•…√°✓✗□■●○")
BOXED_INSTRUCTION = "Put your final answer within \\boxed{}."
STEP_INSTRUCTION = "Write exactly one command per turn, within \\boxed{}."
_LEGAL_MOVES_SHOWN = 256


def fit_charset(text: str) -> str:
    """Replace characters the Text space does not know by '?' (a safety net; prompts stay within CHARSET)."""
    if all(ch in CHARSET for ch in text):
        return text
    return "".join(ch if ch in CHARSET else "?" for ch in text)


class HelixEnv(gym.Env):
    """A multimodal text-action env over one task; see the module docstring for the modes."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "ansi", "human"], "render_fps": 4}

    def __init__(
        self,
        task: str | Task = "Sudoku",
        mode: str = "answer",
        obs: str = "image",
        level: int = 1,
        image_size: int = 512,
        max_steps: int | None = None,
        max_attempts: int = 3,
        feedback: str = "legal",
        reward: str = "binary",
        shaping: bool = False,
        render_mode: str | None = None,
    ) -> None:
        for value, allowed, what in ((mode, MODES, "mode"), (obs, OBS, "obs"), (feedback, FEEDBACK, "feedback"),
                                     (reward, REWARDS, "reward")):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {allowed}, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.task: Task = get_task(task)
        self.mode, self.obs_kind, self.feedback, self.reward_kind = mode, obs, feedback, reward
        self.level = self.task.check_level(level)
        self.image_size = int(image_size)
        self.max_steps_option = max_steps
        self.max_attempts = max(1, int(max_attempts))
        self.shaping = bool(shaping)
        self.render_mode = render_mode

        text_space = spaces.Text(MAX_TEXT, min_length=0, charset=CHARSET)
        parts: dict[str, spaces.Space] = {}
        if obs in ("image", "both"):
            parts["image"] = spaces.Box(0, 255, (self.image_size, self.image_size, 3), np.uint8)
        parts["text"] = text_space
        self.observation_space = spaces.Dict(parts)
        self.action_space = spaces.Text(MAX_TEXT, min_length=0, charset=CHARSET)

        self.puzzle: Puzzle | None = None
        self._window = None
        self._clear_episode()

    # ---- episode bookkeeping ---------------------------------------------------------------------------
    def _clear_episode(self) -> None:
        self.state: Any = None
        self._history: list[Any] = []  # states before each applied command (the undo stack)
        self._steps = 0
        self._attempts = 0
        self._done = False
        self._verdict: Verdict | None = None
        self._error: str | None = None
        self._result = ""
        self._feedback_lines: list[str] = []
        self._shaping_last = 0.0
        self._budget: int | None = None
        self._image_cache: tuple[Any, np.ndarray] | None = None
        self._prompt_cache: str | None = None

    @property
    def modality(self) -> str:
        """The prompt variant: the picture carries the state only when obs="image"."""
        return "image" if self.obs_kind == "image" else "text"

    @property
    def max_steps(self) -> int:
        if self._budget is None:
            if self.max_steps_option is not None:
                self._budget = int(self.max_steps_option)
            else:
                self._budget = int(self.task.step_budget(self.puzzle)) if self.mode == "step" else self.max_attempts
        return self._budget

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        self._clear_episode()
        if options.get("puzzle") is not None:
            self.puzzle = self.load_puzzle(options["puzzle"])
        else:
            level = self.task.check_level(options.get("level", self.level))
            puzzle_seed = int(seed) if seed is not None else int(self.np_random.integers(0, 2**31 - 1))
            self.puzzle = self.task.generate_seeded(puzzle_seed, level)
        if self.mode == "step":
            self.state = self.task.initial_state(self.puzzle)
            self._shaping_last = float(self.task.potential(self.puzzle, self.state))
        if self.render_mode == "human":
            self.render()
        info = self._info()
        info["puzzle"] = self.puzzle.to_json()  # for solver-backed agents (the oracle); never shown to a model
        return self._observation(), info

    def load_puzzle(self, value: Puzzle | dict | str) -> Puzzle:
        """A Puzzle, its JSON, or a record (official MM-HELIX row or our export) of this env's task."""
        if isinstance(value, Puzzle):
            puzzle = value
        else:
            obj = json.loads(value) if isinstance(value, str) else dict(value)
            puzzle = Puzzle.from_json(obj) if {"task", "data"} <= obj.keys() else self.task.from_record(obj)
        if puzzle.task != self.task.name:
            raise ValueError(f"this env plays {self.task.name}, got a {puzzle.task} puzzle")
        return puzzle

    # ---- stepping --------------------------------------------------------------------------------------
    def step(self, action: Any):
        text = action if isinstance(action, str) else _as_text(action)
        self._error, self._result = None, ""
        if self.puzzle is None:
            self._error = "call reset() before step()"
            return {}, 0.0, True, False, {"error": self._error, "invalid": True}
        if self._done:
            self._error = "the episode is over; call reset()"
            return self._observation(), 0.0, True, False, self._info(invalid=True)
        if self.mode == "step":
            return self._step_command(text)
        return self._step_answer(text)

    def _verify(self, answer: str) -> Verdict:
        try:
            return self.task.verify(self.puzzle, answer)
        except Exception as exc:  # a verifier bug must not crash a training run; it is reported instead
            return Verdict.wrong(f"the verifier failed on this answer ({type(exc).__name__}: {exc})")

    def _reward(self, verdict: Verdict) -> float:
        if self.reward_kind == "partial":
            return float(verdict.score)
        return 1.0 if verdict.correct else 0.0

    def _step_answer(self, text: str):
        self._attempts += 1
        self._steps += 1
        answer = extract_answer(text)
        if answer is None:
            verdict = Verdict.wrong("no final answer found: write it within \\boxed{...}")
            self._error = verdict.violations[0]
        else:
            verdict = self._verify(answer)
        self._verdict = verdict
        terminated = self.mode == "answer" or verdict.correct or self._attempts >= self.max_attempts
        if not terminated:
            reasons = "; ".join(verdict.violations) or "the answer is wrong"
            self._feedback_lines.append(f"Attempt {self._attempts} of {self.max_attempts} was wrong: {reasons}")
        self._result = "correct" if verdict.correct else "wrong"
        self._done = terminated
        reward = self._reward(verdict) if terminated else 0.0
        return self._observation(), reward, terminated, False, self._info()

    def _step_command(self, text: str):
        self._steps += 1
        raw = (extract_answer(text) or text).strip()
        word = normalize_command(raw)
        head, _, rest = raw.partition(" ")
        terminated = False
        verdict = None
        before = self.state
        try:
            if not word:
                raise InvalidMove("empty command")
            if word == "undo" or word in self.task.undo_words:
                if not self._history:
                    raise InvalidMove("nothing to undo")
                self.state = self._history.pop()
                self._result = "undone"
            elif word == "restart":
                self._history.append(self.state)
                self.state = self.task.initial_state(self.puzzle)
                self._result = "restarted"
            elif word == "submit":
                verdict = self._verify(self.task.state_answer(self.puzzle, self.state))
                terminated = True
            elif head.lower() == "answer":
                if not rest.strip():
                    raise InvalidMove("`answer` needs the answer after it")
                verdict = self._verify(rest.strip())
                terminated = True
            else:
                new_state = self.task.apply(self.puzzle, self.state, raw)
                self._history.append(self.state)
                self.state = new_state
                self._result = "ok"
                if self.task.is_solved(self.puzzle, self.state):
                    verdict, terminated = Verdict.ok(), True
        except InvalidMove as exc:
            self.state = before
            self._error = fit_charset(f"invalid command {raw[:80]!r}: {exc.reason}")
        except Exception as exc:  # a task bug: report, keep the position
            self.state = before
            self._error = fit_charset(f"could not apply {raw[:80]!r} ({type(exc).__name__}: {exc})")

        if verdict is not None:
            self._verdict = verdict
            self._result = "solved" if verdict.correct else "submitted, wrong"
        potential = float(self.task.potential(self.puzzle, self.state))
        shaping, self._shaping_last = potential - self._shaping_last, potential
        reward = self._reward(verdict) if terminated and verdict is not None else 0.0
        if self.shaping:
            reward += shaping
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        info = self._info(shaping=shaping)
        return self._observation(), reward, terminated, truncated, info

    # ---- observations ----------------------------------------------------------------------------------
    def _image(self) -> np.ndarray:
        state = self.state if self.mode == "step" else None
        if self._image_cache is None or self._image_cache[0] is not state:
            picture = self.task.render(self.puzzle, state, size=self.image_size)
            array = np.asarray(letterbox(picture, self.image_size), dtype=np.uint8)
            self._image_cache = (state, array)
        return self._image_cache[1]

    def _prompt(self) -> str:
        if self._prompt_cache is None:
            self._prompt_cache = self.task.prompt(self.puzzle, self.modality).rstrip()
        return self._prompt_cache

    def _text(self) -> str:
        parts = [self._prompt()]
        if self.mode == "step":
            commands = [self.task.step_help.strip(),
                        "undo  (take back the last command)", "restart  (back to the start; undo takes it back)",
                        "submit  (end the game and have the current position judged)",
                        "answer <final answer>  (end the game with a complete answer)"]
            parts.append("You play step by step. Commands:\n" + "\n".join(c for c in commands if c))
            parts.append(STEP_INSTRUCTION)
            status = f"Step {self._steps} of {self.max_steps}."
            if self._result or self._error:
                status += f" Last command: {self._error or self._result}."
            parts.append(status)
            if self.feedback == "conflicts":
                conflicts = self.task.conflicts(self.puzzle, self.state)
                parts.append("Rule conflicts now: " + ("; ".join(conflicts) if conflicts else "none"))
            if self.modality == "text":
                parts.append("Current position:\n" + self.task.state_text(self.puzzle, self.state))
        else:
            parts.append(BOXED_INSTRUCTION)
            parts.extend(self._feedback_lines)
            if self._error:
                parts.append(f"Last response: {self._error}")
        return fit_charset("\n\n".join(parts))[:MAX_TEXT]

    def _observation(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.obs_kind in ("image", "both"):
            out["image"] = self._image().copy()  # callers keep observations; never hand out the cache
        out["text"] = self._text()
        return out

    def _info(self, shaping: float = 0.0, invalid: bool | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "task": self.task.name,
            "category": self.task.category,
            "level": self.puzzle.level,
            "seed": self.puzzle.seed,
            "puzzle_id": self.puzzle.id,
            "mode": self.mode,
            "step": self._steps,
            "attempt": self._attempts,
            "verdict": self._verdict.to_dict() if self._verdict else None,
            "error": self._error,
            "invalid": bool(self._error) if invalid is None else invalid,
            "result": self._result,
        }
        if self.mode == "step":
            info["shaping"] = float(shaping)
            legal = self.task.moves(self.puzzle, self.state)
            if legal is not None and len(legal) <= _LEGAL_MOVES_SHOWN:
                info["legal_moves"] = list(legal)
            if self.feedback == "conflicts":
                info["conflicts"] = self.task.conflicts(self.puzzle, self.state)
        return info

    # ---- rendering -------------------------------------------------------------------------------------
    def render(self):
        if self.puzzle is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            if self.mode == "step":
                return self.task.state_text(self.puzzle, self.state)
            return self.task.prompt(self.puzzle, "text")
        frame = self._image()
        if self.render_mode == "rgb_array":
            return frame.copy()
        self._show(frame)
        return None

    def _show(self, frame: np.ndarray) -> None:
        try:
            import pygame
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ImportError("render_mode='human' needs pygame: pip install 'helix-gym[play]'") from exc
        if self._window is None:
            pygame.init()
            self._window = pygame.display.set_mode(frame.shape[1::-1])
            pygame.display.set_caption(f"Helix {self.task.name}")
        surface = pygame.surfarray.make_surface(np.transpose(frame, (1, 0, 2)))
        self._window.blit(surface, (0, 0))
        pygame.event.pump()
        pygame.display.flip()

    def close(self) -> None:
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None


def _as_text(action: Any) -> str:
    """Actions from vector envs or numpy arrive as np.str_, bytes or 0-d arrays."""
    if isinstance(action, bytes):
        return action.decode("utf-8", errors="replace")
    if isinstance(action, np.ndarray) and action.ndim == 0:
        return str(action.item())
    return str(action)
