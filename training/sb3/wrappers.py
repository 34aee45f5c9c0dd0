"""Gymnasium wrappers that give a step-mode HelixEnv the spaces stable-baselines3 needs.

SB3 has no Text spaces. These wrappers turn the text-command env into

- `DiscreteMoves`: a `Discrete(n)` action space, action i -> command `move_space(puzzle)[i]` (plus optional
  extra commands such as `undo`/`restart`), with `action_masks()` for sb3-contrib's MaskablePPO;
- `ImageObservation`: the env's picture as a `Box(0, 255, (size, size, 3), uint8)` (channel-last; SB3's
  `CnnPolicy` takes it as an image);
- `SymbolicObservation`: a one-hot character grid of the task's `state_text` (see `encoders.py`), a
  `Box` of float32 for `MlpPolicy`;
- `SeedPool`: episodes drawn from a fixed set of puzzle seeds (for "does it learn at all" runs).

`make_env` stacks them. They know the task only through the contract (`env.unwrapped.task/puzzle/state`),
never a concrete task module, and need neither SB3 nor torch: any Gymnasium learner can use them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import RecordConstructorArgs
from PIL import Image

from helix_gym.core.draw import letterbox
from helix_gym.core.parse import normalize_command
from helix_gym.core.registry import env_id as _env_id
from helix_gym.core.registry import get_task
from helix_gym.core.task import Task
from training.sb3.encoders import CharGridEncoder, LineSpec, sample_state_texts

EXTRA_COMMANDS = ("undo", "restart", "submit")
LAYOUTS = ("index", "union")
PAD = None  # the command of a padded action: sent as an empty command, which the env rejects


def _helix(env: gym.Env) -> Any:
    base = env.unwrapped
    if getattr(base, "mode", None) != "step" or not hasattr(base, "task"):
        raise ValueError("these wrappers need a HelixEnv in mode='step' (gym.make(..., mode='step'))")
    return base



@lru_cache(maxsize=256)
def probe_move_spaces(task: Task, level: int, probe: int = 32) -> tuple[tuple[str, ...], ...]:
    """`move_space` of the instances of seeds 0, 1, ... at `level`: `probe` of them, or 16 times as many
    when the first `probe` do not all agree (the space depends on the instance; Minesweeper lists only its
    blank cells). Deterministic, so every process of a SubprocVecEnv finds the same action space."""
    spaces_ = [tuple(task.move_space(task.generate_seeded(seed, level))) for seed in range(max(1, probe))]
    if len(set(spaces_)) > 1:
        spaces_ += [tuple(task.move_space(task.generate_seeded(seed, level)))
                    for seed in range(len(spaces_), 16 * max(1, probe))]
    return tuple(spaces_)


def move_space_size(task: Task, level: int, probe: int = 32) -> int:
    """The largest `move_space` seen at `level` (the Discrete size of layout="index"): a sample maximum
    where the space depends on the instance, so pass `n_moves` for a hard bound where one is known."""
    return max(len(m) for m in probe_move_spaces(task, level, probe))


def move_space_union(task: Task, level: int, probe: int = 32) -> tuple[str, ...]:
    """Every command seen in the probed `move_space`s, in order of first appearance (layout="union")."""
    seen: dict[str, None] = {}
    for space in probe_move_spaces(task, level, probe):
        seen.update(dict.fromkeys(space))
    return tuple(seen)


class DiscreteMoves(gym.Wrapper, RecordConstructorArgs):
    """A `Discrete(n)` action space over the task's `move_space`, then the `extra` commands ("undo", ...).

    `layout="index"` (default): action i -> `move_space(puzzle)[i]`; the size is fixed per (task, level) at
    `n_moves` or the probed maximum of `move_space` over the level, and indices past the current instance's
    list are padding. `layout="union"`: action i -> the i-th command of the union of the probed move spaces,
    so an action means the same command in every instance (better for learning where the list depends on
    the instance, e.g. Minesweeper's `flag r c`); commands the instance lacks are still sent and rejected.

    Padding is sent as an empty command: the env rejects it without changing the position (the step still
    counts against `max_steps`), like any illegal move. `action_masks()` marks the commands in
    `task.moves(puzzle, state)` (the instance's whole move space where that is None). `info` gains `command`
    (the text sent, None for padding) and, when an episode ends, `is_success` (read by SB3's loggers).

    `invalid_penalty` (default 0: the env's reward unchanged) is subtracted from the reward of every step
    the env rejects; without masks it teaches an agent that a wall is worse than a detour, which the env's
    reward (a rejected move costs only time) and shaping (a rejected move changes no potential) do not."""

    def __init__(self, env: gym.Env, extra: Sequence[str] = (), n_moves: int | None = None, probe: int = 32,
                 layout: str = "index", invalid_penalty: float = 0.0):
        RecordConstructorArgs.__init__(self, extra=tuple(extra), n_moves=n_moves, probe=probe, layout=layout,
                                       invalid_penalty=invalid_penalty)
        gym.Wrapper.__init__(self, env)
        base = _helix(env)
        self.task: Task = base.task
        self.level = int(base.level)
        unknown = [e for e in extra if e not in EXTRA_COMMANDS]
        if unknown:
            raise ValueError(f"extra commands must be among {EXTRA_COMMANDS}, got {unknown}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        self.extra = tuple(extra)
        self.invalid_penalty = float(invalid_penalty)
        self._union = move_space_union(self.task, self.level, probe) if layout == "union" else ()
        if n_moves is None:
            n_moves = len(self._union) if layout == "union" else move_space_size(self.task, self.level, probe)
        self.n_moves = max(int(n_moves), len(self._union))
        self.action_space = spaces.Discrete(self.n_moves + len(self.extra))
        self._moves: list[str] = list(self._union)  # the command of each move action (shorter: padding)
        self._index: dict[str, int] = {}  # normalized command -> action, for this instance's move space
        self._depth = 0  # how many accepted commands `undo` could take back (the env's undo stack)
        self._warned = False

    # ---- the mapping ---------------------------------------------------------------------------------
    @property
    def commands(self) -> list[str | None]:
        """The command of every action index for the current instance (None = padding)."""
        return [*self._moves, *([PAD] * (self.n_moves - len(self._moves))), *self.extra]

    def command(self, action: Any) -> str | None:
        """The text command that `action` sends (None: padding, sent as an empty command)."""
        i = int(np.asarray(action).item())
        if not 0 <= i < self.action_space.n:
            raise ValueError(f"action {i} is outside Discrete({self.action_space.n})")
        if i >= self.n_moves:
            return self.extra[i - self.n_moves]
        return self._moves[i] if i < len(self._moves) else PAD

    def action_index(self, command: str) -> int:
        """The action that sends `command` (any spelling `normalize_command` maps to the same text)."""
        key = normalize_command(command)
        if key in self._index:
            return self._index[key]
        if key in self.extra:
            return self.n_moves + self.extra.index(key)
        raise KeyError(f"{command!r} is not an action of this instance")

    def _refresh(self) -> None:
        space = list(self.task.move_space(self.env.unwrapped.puzzle))
        if self.layout == "union":
            position = {normalize_command(m): i for i, m in enumerate(self._moves)}
            self._index = {}
            lost = []
            for m in space:
                i = position.get(normalize_command(m))
                if i is None:
                    lost.append(m)
                else:
                    self._index[normalize_command(m)] = i
        else:
            lost = space[self.n_moves:]
            self._moves = space[: self.n_moves]
            self._index = {}
            for i, m in enumerate(self._moves):
                self._index.setdefault(normalize_command(m), i)
        if lost and not self._warned:
            warnings.warn(f"{self.task.name} level {self.level}: {len(lost)} command(s) of this instance have no "
                          f"action (e.g. {lost[0]!r}); pass a larger n_moves, or a larger probe", stacklevel=3)
            self._warned = True

    def action_masks(self) -> np.ndarray:
        """True for the actions legal now (sb3-contrib MaskablePPO reads this through `env_method`).

        `undo`/`restart` are marked once a command has been accepted, `submit` always. Never all False:
        where nothing is legal (a trapped snake, no undo action) the instance's move actions are marked,
        and the env rejects each until the episode runs out of steps."""
        base = self.env.unwrapped
        mask = np.zeros(self.action_space.n, dtype=bool)
        moves = list(self._index.values())
        legal = self.task.moves(base.puzzle, base.state) if base.puzzle is not None else None
        if legal is None:
            mask[moves] = True
        else:
            for move in legal:
                i = self._index.get(normalize_command(move))
                if i is not None:
                    mask[i] = True
        for k, word in enumerate(self.extra):
            mask[self.n_moves + k] = word == "submit" or self._depth > 0
        if not mask.any():
            mask[moves] = True
        if not mask.any():  # an instance with an empty move space: let the env reject a padded action
            mask[0] = True
        return mask

    # ---- gym API -------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._refresh()
        self._depth = 0
        return obs, info

    def step(self, action: Any):
        command = self.command(action)
        obs, reward, terminated, truncated, info = self.env.step(command if command is not PAD else "")
        info = dict(info)
        info["command"] = command
        if info.get("invalid"):
            reward = float(reward) - self.invalid_penalty
        else:
            self._depth += -1 if command == "undo" else 1
        if terminated or truncated:
            verdict = info.get("verdict") or {}
            info["is_success"] = bool(terminated and verdict.get("correct"))
        return obs, reward, terminated, truncated, info


class ImageObservation(gym.ObservationWrapper, RecordConstructorArgs):
    """The position's picture as a channel-last `Box(0, 255, (size, size, 3), uint8)`.

    Takes the env's own `image` observation (build the env with `obs="image", image_size=size` and nothing
    is resized); otherwise draws `task.render(puzzle, state)` itself, letterboxed like the env does."""

    def __init__(self, env: gym.Env, size: int = 64):
        RecordConstructorArgs.__init__(self, size=size)
        gym.ObservationWrapper.__init__(self, env)
        _helix(env)
        self.size = int(size)
        self.observation_space = spaces.Box(0, 255, (self.size, self.size, 3), np.uint8)

    def observation(self, observation: Any) -> np.ndarray:
        image = observation.get("image") if isinstance(observation, dict) else None
        if image is None:
            base = self.env.unwrapped
            picture = base.task.render(base.puzzle, base.state, size=self.size)
            return np.asarray(letterbox(picture, self.size), dtype=np.uint8)
        image = np.asarray(image, dtype=np.uint8)
        if image.shape[:2] != (self.size, self.size):
            shrink = image.shape[0] > self.size
            resample = Image.Resampling.BOX if shrink else Image.Resampling.NEAREST
            image = np.asarray(Image.fromarray(image).resize((self.size, self.size), resample), dtype=np.uint8)
        return image


class SymbolicObservation(gym.ObservationWrapper, RecordConstructorArgs):
    """The position as a one-hot character grid of `task.state_text(puzzle, state)`, float32 in {0, 1}.

    The encoder is fitted at construction on sample positions of the env's level (see
    `encoders.CharGridEncoder`); pass `encoder=` to share one. `flatten=True` (default) gives a vector of
    rows * cols * channels (what MlpPolicy uses anyway; SB3's checker takes a 3-D Box for an image);
    `flatten=False` keeps the (rows, cols, channels) grid for a custom convolutional extractor."""

    def __init__(self, env: gym.Env, lines: LineSpec = "auto", encoder: CharGridEncoder | None = None,
                 probe: int = 16, flatten: bool = True):
        RecordConstructorArgs.__init__(self, lines=lines, encoder=encoder, probe=probe, flatten=flatten)
        gym.ObservationWrapper.__init__(self, env)
        base = _helix(env)
        if encoder is None:
            key = (lines.start, lines.stop, lines.step) if isinstance(lines, slice) else lines  # 3.10/3.11 slices
            encoder = _fit_encoder(base.task, int(base.level), key, probe)
        self.encoder = encoder
        self.flatten = bool(flatten)
        shape = (int(np.prod(encoder.shape)),) if self.flatten else encoder.shape
        self.observation_space = spaces.Box(0.0, 1.0, shape, np.float32)

    def observation(self, observation: Any) -> np.ndarray:
        base = self.env.unwrapped
        grid = self.encoder.encode(base.task.state_text(base.puzzle, base.state))
        return grid.reshape(-1) if self.flatten else grid


@lru_cache(maxsize=64)
def _fit_encoder(task: Task, level: int, lines: str | tuple, probe: int) -> CharGridEncoder:
    spec = slice(*lines) if isinstance(lines, tuple) else lines  # slices are unhashable before Python 3.12
    return CharGridEncoder.fit(sample_state_texts(task, level, puzzles=probe), lines=spec)


class SeedPool(gym.Wrapper, RecordConstructorArgs):
    """Every episode plays one of a fixed set of puzzle seeds, drawn at random (reproducibly per reset
    seed). `reset(options={"puzzle": ...})` still plays the given instance."""

    def __init__(self, env: gym.Env, seeds: Sequence[int]):
        RecordConstructorArgs.__init__(self, seeds=[int(s) for s in seeds])
        gym.Wrapper.__init__(self, env)
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise ValueError("SeedPool needs at least one seed")
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if options and options.get("puzzle") is not None:
            return self.env.reset(seed=seed, options=options)
        return self.env.reset(seed=self.seeds[int(self._rng.integers(len(self.seeds)))], options=options)


def make_env(env_id: str = "Helix/Maze-v0", level: int = 1, obs: str = "symbolic", image_size: int = 64,
             shaping: bool = False, extra: Sequence[str] = (), seeds: Sequence[int] | None = None,
             n_moves: int | None = None, layout: str = "index", invalid_penalty: float = 0.0,
             lines: LineSpec = "auto", **env_kwargs: Any) -> gym.Env:
    """A step-mode Helix env with a Discrete action space and a Box observation, ready for SB3.

    `obs="symbolic"` builds the env with text observations (no picture is drawn) and encodes `state_text`;
    `obs="image"` has the env draw its picture at `image_size` directly. `shaping=True` adds the task's
    potential difference to the reward (the env's own option); episodes end at the env's `max_steps`.
    Usable as `make_vec_env(make_env, n_envs, env_kwargs={...})` with DummyVecEnv or SubprocVecEnv."""
    if obs not in ("symbolic", "image"):
        raise ValueError(f"obs must be 'symbolic' or 'image', got {obs!r}")
    name = _env_id(get_task(env_id))
    kwargs: dict[str, Any] = {"mode": "step", "level": level, "shaping": shaping, **env_kwargs}
    if obs == "image":
        kwargs.update(obs="image", image_size=image_size)
    else:
        kwargs.update(obs="text")
    env = gym.make(name, **kwargs)
    if seeds is not None:
        env = SeedPool(env, seeds)
    env = DiscreteMoves(env, extra=extra, n_moves=n_moves, layout=layout, invalid_penalty=invalid_penalty)
    if obs == "image":
        return ImageObservation(env, size=image_size)
    return SymbolicObservation(env, lines=lines)
