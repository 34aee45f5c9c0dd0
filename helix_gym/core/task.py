"""The Task contract: what every one of the 42 tasks provides, as pure functions of their arguments.

A task knows nothing of environments; `HelixEnv` knows tasks only through this class. Instances (`Puzzle`)
are immutable, JSON-serialisable values; step-mode positions (`State`) are immutable values chosen by the
task (tuples, frozen dataclasses), so the env can keep an undo stack by reference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from helix_gym.core.errors import InvalidMove, RecordError

if TYPE_CHECKING:
    from PIL import Image

State = Any
CATEGORIES = ("puzzles", "graphs", "algorithms", "games")
MODALITIES = ("image", "text")
TRACE_KINDS = ("read", "deduce", "try", "dead_end", "backtrack", "check", "answer")


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept (the fingerprint depends on it)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _freeze_check(value: Any, path: str = "data") -> None:
    """Reject values that would not survive a JSON round trip unchanged (tuples, numpy scalars, sets)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: keys must be str, got {k!r}")
            _freeze_check(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _freeze_check(v, f"{path}[{i}]")
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"{path}: {type(value).__name__} is not a JSON value")


@dataclass(frozen=True, eq=True)
class Puzzle:
    """One instance of a task: `data` holds only JSON values, so `from_json(to_json(p)) == p`.

    Equality ignores `seed` (where the instance came from, not what it is), like the fingerprint does."""

    task: str
    level: int
    data: dict[str, Any]
    seed: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _freeze_check(self.data)

    def to_json(self) -> str:
        return canonical_json({"task": self.task, "level": self.level, "seed": self.seed, "data": self.data})

    @classmethod
    def from_json(cls, text: str | dict) -> Puzzle:
        obj = json.loads(text) if isinstance(text, str) else text
        return cls(task=obj["task"], level=int(obj["level"]), data=obj["data"], seed=obj.get("seed"))

    @property
    def fingerprint(self) -> str:
        """Hash of task, level and the instance itself (not the seed): equal puzzles share it."""
        body = canonical_json({"task": self.task, "level": self.level, "data": self.data})
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    @property
    def id(self) -> str:
        return f"{self.task}-L{self.level}-{self.fingerprint}"


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement: `violations` names each broken rule in words (empty when correct)."""

    correct: bool
    score: float
    violations: list[str] = field(default_factory=list)
    parsed: Any = None

    @classmethod
    def ok(cls, parsed: Any = None) -> Verdict:
        return cls(True, 1.0, [], parsed)

    @classmethod
    def wrong(cls, *violations: str, score: float = 0.0, parsed: Any = None) -> Verdict:
        return cls(False, float(score), list(violations), parsed)

    def to_dict(self) -> dict[str, Any]:
        parsed = self.parsed if _is_json(self.parsed) else repr(self.parsed)
        return {"correct": self.correct, "score": self.score, "violations": list(self.violations), "parsed": parsed}


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class TraceEvent:
    """One step of a solver's reasoning, for SERG (`kind` is one of TRACE_KINDS)."""

    kind: str
    move: str | None = None
    note: str = ""
    state_text: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in TRACE_KINDS:
            raise ValueError(f"unknown trace kind {self.kind!r}; expected one of {TRACE_KINDS}")


class Task:
    """Base class of all tasks. Subclasses set the class attributes and implement the abstract methods.

    Methods are pure: they read their arguments and return new values. Randomness comes only from the
    `rng` handed to `generate`.
    """

    name: ClassVar[str]  # "Sudoku": the env id is Helix/<name>-v0
    key: ClassVar[str]  # official MM-HELIX task key, the records' `category` ("sudoku")
    category: ClassVar[str]  # puzzles | graphs | algorithms | games
    score_function: ClassVar[str]  # official judge's name, written into `metric_info` on export
    levels: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5)  # levels `generate` accepts (1..5 = MM-HELIX ladder)
    step_help: ClassVar[str] = ""  # the task's step-mode commands, one line each, shown to the agent
    answer_help: ClassVar[str] = ""  # one line describing the answer format (for step-mode `answer <...>`)
    paired_rows: ClassVar[bool] = False  # the official judge scores this task's rows in pairs (see eval.export)
    undo_words: ClassVar[tuple[str, ...]] = ()  # extra spellings of `undo` (graph walks: "back")
    key_commands: ClassVar[dict[str, str]] = {}  # human play: pygame key name ("up", "left") -> command

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        raise NotImplementedError

    def check_level(self, level: int) -> int:
        if int(level) not in self.levels:
            raise ValueError(f"{self.name}: level must be one of {list(self.levels)}, got {level!r}")
        return int(level)

    def puzzle(self, level: int, data: dict[str, Any], seed: int | None = None) -> Puzzle:
        return Puzzle(task=self.name, level=int(level), data=data, seed=seed)

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        raise NotImplementedError

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        raise NotImplementedError

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        raise NotImplementedError

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        raise NotImplementedError

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        """An answer of the right shape with random content (the RandomAgent's floor)."""
        raise NotImplementedError

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        """Rules, then the state (text modality) or a pointer to the picture (image), then the answer format.

        The env appends the `\\boxed{}` instruction; prompts do not."""
        raise NotImplementedError

    def render(self, puzzle: Puzzle, state: State | None = None, size: int = 512) -> Image.Image:
        """The picture of the instance (or of a step-mode position), drawn to fit about `size` pixels."""
        raise NotImplementedError

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> State:
        raise NotImplementedError

    def apply(self, puzzle: Puzzle, state: State, move: str) -> State:
        """The position after `move`; raises InvalidMove(reason) and leaves `state` untouched otherwise."""
        raise NotImplementedError

    def state_text(self, puzzle: Puzzle, state: State) -> str:
        raise NotImplementedError

    def is_solved(self, puzzle: Puzzle, state: State) -> bool:
        raise NotImplementedError

    def moves(self, puzzle: Puzzle, state: State) -> list[str] | None:
        """The moves legal now, or None where that set is not small and finite."""
        return None

    def move_space(self, puzzle: Puzzle) -> list[str]:
        """Every command the instance can ever take, in a fixed order (Discrete action spaces)."""
        raise NotImplementedError

    def state_answer(self, puzzle: Puzzle, state: State) -> str:
        """The current position written as an answer, for `submit`; InvalidMove where it cannot be."""
        raise InvalidMove("submit is not available in this task; solve the position or use `answer <...>`")

    def conflicts(self, puzzle: Puzzle, state: State) -> list[str]:
        """Rule violations visible in the position (feedback="conflicts"); never compares with a solution."""
        return []

    def potential(self, puzzle: Puzzle, state: State) -> float:
        """Shaping potential of a position (0 = no shaping); differences go to info["shaping"]."""
        return 0.0

    def step_budget(self, puzzle: Puzzle) -> int:
        """Default max_steps in step mode."""
        return 3 * max(1, len(self.solve_moves(puzzle))) + 20

    # ---- human play (optional shortcuts; the command box works for every task without them) ----------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        """The board cell under pixel (x, y) of `render(puzzle, size=size)`, for click-to-select."""
        return None

    def cell_command(self, puzzle: Puzzle, state: State, cell: tuple[int, int], key: str) -> str | None:
        """The command a key typed on a selected cell means (Sudoku: a digit places it), or None."""
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        raise NotImplementedError

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        raise NotImplementedError

    def base_record(self, puzzle: Puzzle, *, index: str, answer: Any, difficulty: Any = None,
                    **fields: Any) -> dict[str, Any]:
        """The fields every official record has, filled the same way for all tasks: our own question texts
        (image and text variants), the task key as `category`, the level as `difficulty` (a string unless the
        official generator writes another type), task-specific `fields` (e.g. `initial_state`), and the seed
        when the instance came from one."""
        record = {
            "index": index,
            "category": self.key,
            "question": self.prompt(puzzle, "image"),
            "question_language": self.prompt(puzzle, "text"),
            "answer": answer,
            "difficulty": str(puzzle.level) if difficulty is None else difficulty,
            **fields,
        }
        if puzzle.seed is not None:
            record["seed"] = puzzle.seed
        return record

    def record_level(self, record: dict[str, Any]) -> int:
        """The level of an official record (`difficulty` is an int or a string; 1 where absent)."""
        raw = record.get("difficulty", record.get("level", 1))
        try:
            return int(str(raw).strip())
        except ValueError as exc:
            raise RecordError(f"{self.name}: unreadable difficulty {raw!r}") from exc

    @staticmethod
    def record_seed(record: dict[str, Any]) -> int | None:
        """The seed our own records carry (`base_record` writes it), so a reloaded puzzle keeps it; None if absent."""
        seed = record.get("seed")
        return int(seed) if seed is not None else None

    # ---- conveniences ----------------------------------------------------------------------------------
    def generate_seeded(self, seed: int, level: int) -> Puzzle:
        """The instance the env plays for `reset(seed=seed, options={"level": level})`.

        The level is mixed into the stream, so one seed gives unrelated instances at different levels (not
        the same grid dug deeper)."""
        puzzle = self.generate(np.random.default_rng([int(seed), int(level)]), self.check_level(level))
        return Puzzle(task=puzzle.task, level=puzzle.level, data=puzzle.data, seed=int(seed))

    def __repr__(self) -> str:
        return f"<Task {self.name} ({self.category})>"
