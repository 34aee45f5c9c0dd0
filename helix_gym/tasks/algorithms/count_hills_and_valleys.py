"""Count Hills and Valleys (MM-HELIX `CountHillsAndValleys`): LeetCode 2210 on a terrain of bars.

Runs of equal neighbouring heights merge into one stretch; an interior stretch higher than both neighbouring
stretches is a hill, lower than both a valley; the first and last stretches never count. The answer is the
number of hills plus valleys. The record holds `initial_state = {"terrain": [...]}` and the count as a string.

Step mode (spec A4.8): the player marks stretches, then submits the set of marks.
- `mark I hill` / `mark I valley` (also `mark hill I`, `h`/`v` for the label): mark the whole stretch of equal
  heights through position I (0-based); marking a stretch that carries the other label relabels it, the same
  label again is refused;
- `unmark I`: remove the mark of the stretch through position I;
- `submit`: judge the marks, written `marks: hill 1-2, valley 3` (the certificate `verify` also reads): right
  iff exactly the hills and valleys are marked, each with its label; `answer N` judges a count alone.
Under feedback "legal" a mark is only checked for range and repetition; feedback "conflicts" names every
marked stretch that breaks the hill/valley rule. Nothing reports a missing mark before `submit`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import clean_latex, normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.wording import counted

# level -> (fewest bars, most bars, highest height); heights start at 1 (spec A3/A4 ladder)
LADDER: dict[int, tuple[int, int, int]] = {1: (5, 10, 20), 2: (10, 20, 40), 3: (20, 30, 60), 4: (30, 40, 80),
                                           5: (40, 70, 100)}
LOWEST = 1
MAX_DRAWS = 200  # draws per instance until one has at least one hill or valley (spec decision: no zero answers)
HILL, VALLEY = "hill", "valley"
Mark = tuple[int, int, str]  # first position, last position, label
Stretch = tuple[int, int, int]  # first position, last position, height

_LABEL = {"hill": HILL, "h": HILL, "valley": VALLEY, "v": VALLEY}
_MARK_IL = re.compile(r"^mark (?:position |bar |#)?(\d+) (?:as )?(?:an? )?(hill|valley|h|v)$")
_MARK_LI = re.compile(r"^mark (?:an? )?(hill|valley|h|v) (?:at )?(?:position |bar |#)?(\d+)$")
_UNMARK = re.compile(r"^(?:unmark|clear) (?:position |bar |#)?(\d+)$")
_MARKS_HEAD = re.compile(r"^\s*marks?\s*:", re.I)
_MARK_ITEM = re.compile(r"^(hill|valley)s? (?:at )?(\d+)(?: ?(?:-|to) ?(\d+))?$")
MAX_ANSWER_CHARS = 20_000

SKY: draw.Color = (230, 243, 255)
TERRAIN: draw.Color = (144, 207, 160)
TERRAIN_EDGE: draw.Color = (60, 130, 85)
MARKED_FILL: draw.Color = (170, 200, 245)
INK: draw.Color = (30, 30, 30)


# ---- the rules -------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def stretches(terrain: tuple[int, ...]) -> tuple[tuple[Stretch, ...], tuple[int, ...]]:
    """The runs of equal heights, and for each position the index of its run."""
    runs: list[Stretch] = []
    owner: list[int] = []
    for i, h in enumerate(terrain):
        if runs and runs[-1][2] == h:
            runs[-1] = (runs[-1][0], i, h)
        else:
            runs.append((i, i, h))
        owner.append(len(runs) - 1)
    return tuple(runs), tuple(owner)


def kind_of(runs: Sequence[Stretch], k: int) -> str | None:
    """`hill`, `valley` or None (an edge stretch or a slope) for run k."""
    if k == 0 or k == len(runs) - 1:
        return None
    left, h, right = runs[k - 1][2], runs[k][2], runs[k + 1][2]
    if h > left and h > right:
        return HILL
    if h < left and h < right:
        return VALLEY
    return None


@lru_cache(maxsize=256)
def true_marks(terrain: tuple[int, ...]) -> tuple[Mark, ...]:
    """Every hill and valley as (first, last, label), left to right."""
    runs, _ = stretches(terrain)
    out = []
    for k, (a, b, _) in enumerate(runs):
        kind = kind_of(runs, k)
        if kind:
            out.append((a, b, kind))
    return tuple(out)


def count(terrain: Sequence[int]) -> int:
    return len(true_marks(tuple(terrain)))


def span_text(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}-{b}"


def marks_text(marks: Sequence[Mark]) -> str:
    """The certificate: `marks: hill 1-2, valley 3` (or `marks: none`)."""
    return "marks: " + (", ".join(f"{label} {span_text(a, b)}" for a, b, label in marks) or "none")


def rule_break(runs: Sequence[Stretch], k: int, label: str) -> str | None:
    """Why run k is not a `label`, in words taken from the terrain alone; None when it is one."""
    a, b, h = runs[k]
    where = f"stretch {span_text(a, b)} (height {h})"
    if k == 0 or k == len(runs) - 1:
        return f"{where} is at the {'start' if k == 0 else 'end'} of the terrain; the first and last stretches " \
               "never count"
    left, right = runs[k - 1][2], runs[k + 1][2]
    if label == HILL and not (h > left and h > right):
        return f"{where} is not a hill: its neighbours are {left} and {right}, and a hill is higher than both"
    if label == VALLEY and not (h < left and h < right):
        return f"{where} is not a valley: its neighbours are {left} and {right}, and a valley is lower than both"
    return None


# ---- generation ------------------------------------------------------------------------------------------
def gentle_wave(rng: np.random.Generator, n: int, high: int) -> list[int]:
    """Levels 1-2: a low wave that drifts up and down in steps of 0-2, with occasional doubled points."""
    low = LOWEST
    h = int(rng.integers(low, low + 4))
    up = bool(rng.random() < 0.5)
    out: list[int] = []
    while len(out) < n:
        step = int(rng.integers(0, 3))
        h += step if up else -step
        if up and h >= high - 3:
            up = False
        elif not up and h <= low + 3:
            up = True
        elif rng.random() < 0.3:
            up = not up
        h = min(high, max(low, h))
        out.append(h)
        if rng.random() < 0.2:
            out.append(h)
    return out[:n]


def rough_terrain(rng: np.random.Generator, n: int, high: int) -> list[int]:
    """Levels 3-5: uniform heights with 1-3 plateaus (2-4 equal bars) written over them."""
    out = [int(x) for x in rng.integers(LOWEST, high + 1, size=n)]
    for _ in range(int(rng.integers(1, 4))):
        start = int(rng.integers(0, n - 2))
        length = int(rng.integers(2, min(4, n - start) + 1))
        height = int(rng.integers(LOWEST, high + 1))
        out[start:start + length] = [height] * length
    return out


# ---- the picture ---------------------------------------------------------------------------------------
def layout(terrain: Sequence[int], size: int) -> SeriesChart:
    """Nearly touching bars, a tag line above the labels for the step-mode H/V marks, two caption lines."""
    return SeriesChart(terrain, size, gap=0.04, captions=2, tags=1)


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class CountHillsAndValleys(Task):
    """Count hills and valleys of a bar terrain.

    Step grammar (plus the env's undo / restart / submit / answer N):
      mark I hill | mark I valley   mark the stretch of equal heights through position I (0-based)
      unmark I                      remove the mark of the stretch through position I
      submit                        judge the marks: all hills and valleys marked, each with the right label
    """

    name = "CountHillsAndValleys"
    key = "CountHillsAndValleys"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "mark I hill / mark I valley: mark the whole stretch of equal heights through bar I (0-based) as a hill "
        "or a valley (marking it with the other label relabels it)\n"
        "unmark I: remove the mark of the stretch through bar I\n"
        "submit: judge the marks; right when every hill and every valley is marked, with its label, and "
        "nothing else is"
    )
    answer_help = "one whole number: how many hills plus valleys the terrain has"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        fewest, most, high = LADDER[level]
        make = gentle_wave if level <= 2 else rough_terrain
        for _ in range(MAX_DRAWS):
            terrain = make(rng, int(rng.integers(fewest, most + 1)), high)
            if count(terrain):
                return self.puzzle(level, {"terrain": terrain})
        raise RuntimeError(f"CountHillsAndValleys: no terrain with a hill or valley in {MAX_DRAWS} draws")

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(count(puzzle.data["terrain"]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"mark {a} {label}" for a, _, label in true_marks(tuple(puzzle.data["terrain"]))] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        terrain = tuple(puzzle.data["terrain"])
        runs, _ = stretches(terrain)
        events = [TraceEvent("read", note=(
            f"A terrain of {len(terrain)} bars with heights {list(terrain)}. Merge equal neighbours into "
            "stretches, then compare every interior stretch with the stretches on either side."),
            state_text=self.state_text(puzzle, ()))]
        merged = ", ".join(f"{h} ({span_text(a, b)})" for a, b, h in runs)
        events.append(TraceEvent("deduce", note=(
            f"Merging runs of equal heights leaves {len(runs)} stretches (height (positions)): {merged}. The first "
            "and the last stretch have a neighbour on one side only, so they never count.")))
        marks: list[Mark] = []
        for k in range(1, len(runs) - 1):
            a, b, h = runs[k]
            left, right = runs[k - 1][2], runs[k + 1][2]
            kind = kind_of(runs, k)
            where = f"Stretch {span_text(a, b)} (height {h}) between {left} and {right}"
            if kind is None:
                events.append(TraceEvent("deduce", note=f"{where}: higher than one side and lower than the "
                                                        "other, a slope; it does not count."))
                continue
            marks.append((a, b, kind))
            rel = "higher" if kind == HILL else "lower"
            events.append(TraceEvent("deduce", move=f"mark {a} {kind}",
                                     note=f"{where}: {rel} than both neighbours, a {kind}.",
                                     state_text=self.state_text(puzzle, tuple(marks))))
        hills = sum(label == HILL for _, _, label in marks)
        events.append(TraceEvent("check", note=(
            f"{hills} hills and {len(marks) - hills} valleys among the {max(0, len(runs) - 2)} interior stretches; "
            f"in all {len(marks)}.")))
        events.append(TraceEvent("answer", move=str(len(marks)), note="the number of hills plus valleys"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            text = str(answer)
            if len(text) > MAX_ANSWER_CHARS:
                return Verdict.wrong("the answer is too long; expected one whole number")
            terrain = tuple(puzzle.data["terrain"])
            if _MARKS_HEAD.match(text):
                return self._judge_marks(terrain, _MARKS_HEAD.sub("", text, count=1))
            return self._judge_count(terrain, parse_number(text))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one whole number, the count of hills plus valleys")

    @staticmethod
    def _judge_count(terrain: tuple[int, ...], value: Fraction | None) -> Verdict:
        """One number against the count; the message names the broken rule, never the count."""
        if value is None:
            return Verdict.wrong("expected exactly one number: how many hills and valleys there are in all")
        if value.denominator != 1:
            shown = shown_number(value)
            return Verdict.wrong(f"{shown} is not a whole number, but the answer is a count", parsed=shown)
        v, n = int(value), len(terrain)
        if v < 0:
            return Verdict.wrong(f"{v} is negative, but the answer is a count", parsed=v)
        if v > max(0, n - 2):
            return Verdict.wrong(f"{v} is too many: the terrain has {n} bars and the first and last stretches never "
                                 f"count, so at most {max(0, n - 2)} stretches can be hills or valleys", parsed=v)
        if v == count(terrain):
            return Verdict.ok(parsed=v)
        return Verdict.wrong(f"{v} is not the number of hills plus valleys of this terrain (equal neighbouring bars "
                             "form one stretch, and only interior stretches count)", parsed=v)

    @staticmethod
    def _judge_marks(terrain: tuple[int, ...], body: str) -> Verdict:
        """The step-mode certificate `hill 1-2, valley 3`: every mark right and none missing."""
        runs, owner = stretches(terrain)
        n = len(terrain)
        items = [normalize_command(t) for t in re.split(r"[,;\n]+", clean_latex(body))]
        items = [t for t in items if t]
        if items == ["none"]:
            items = []
        violations: list[str] = []
        seen: set[int] = set()
        for item in items:
            match = _MARK_ITEM.match(item)
            if match is None:
                violations.append(f"could not read the mark {item[:40]!r}; write `hill I-J` or `valley I`")
                continue
            label, a = match.group(1), int(match.group(2))
            b = int(match.group(3)) if match.group(3) else None
            if a >= n or (b is not None and (b >= n or b < a)):
                violations.append(f"{item[:40]!r} is outside the terrain (positions 0 to {n - 1})")
                continue
            k = owner[a]
            if b is not None and (runs[k][0], runs[k][1]) != (a, b):
                violations.append(f"{a}-{b} is not one whole stretch of equal heights; the stretch through "
                                  f"position {a} is {span_text(runs[k][0], runs[k][1])}")
                continue
            if k in seen:
                violations.append(f"stretch {span_text(runs[k][0], runs[k][1])} is marked twice")
                continue
            seen.add(k)
            broken = rule_break(runs, k, label)
            if broken:
                violations.append(broken)
        if not violations and any(kind_of(runs, k) and k not in seen for k in range(len(runs))):
            violations.append("not every hill and valley is marked")
        return Verdict.wrong(*violations, parsed=len(seen)) if violations else Verdict.ok(parsed=len(seen))

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return str(int(rng.integers(0, max(1, len(puzzle.data["terrain"]) - 1))))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        terrain = puzzle.data["terrain"]
        rules = (
            "Count the hills and valleys of a terrain made of bars. Neighbouring bars of equal height form one "
            "stretch (a single bar is a stretch too). A stretch is a hill when the stretches right before and "
            "right after it are both lower, and a valley when they are both higher. The first and the last "
            "stretch have a neighbour on one side only, so they are never hills or valleys; a stretch that is "
            "higher on one side and lower on the other is neither."
        )
        if modality == "image":
            state = (
                f"The picture shows the terrain as {len(terrain)} bars, left to right (long terrains wrap onto more "
                "rows, read like text): each bar's height is written above it, its position (from 0) below it."
            )
        else:
            state = (f"The terrain has {len(terrain)} bars. Their heights, listed from left to right (position 0 "
                     f"first, position {len(terrain) - 1} last), are: {json.dumps({'terrain': terrain})}")
        ask = "How many hills and valleys are there in all? Answer with a single whole number."
        return f"{rules}\n{state}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[Mark, ...] | None = None, size: int = 512) -> Image.Image:
        terrain = puzzle.data["terrain"]
        chart = layout(terrain, size)
        image, pen = chart.canvas(SKY)
        marked = [i for a, b, _ in state or () for i in range(a, b + 1)]
        width = max(1, round(size / 256))
        chart.caption(pen, 0, "terrain: height above each bar, position below", INK)
        chart.axes(pen, width=width)
        chart.bars(pen, TERRAIN, TERRAIN_EDGE, fills=dict.fromkeys(marked, MARKED_FILL), width=width)
        chart.value_labels(pen, INK, colors=dict.fromkeys(marked, draw.ENTERED))
        chart.index_labels(pen)
        if state is not None:
            hills = sum(label == HILL for _, _, label in state)
            chart.caption(pen, 1, f"marked: {counted(hills, 'hill')} (H), {counted(len(state) - hills, 'valley')} "
                                  "(V)", draw.ENTERED)
            for a, b, label in state:
                for i in range(a, b + 1):
                    chart.tag(pen, i, label[0].upper())
        return image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[Mark, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[Mark, ...], move: str) -> tuple[Mark, ...]:
        command = normalize_command(move)
        terrain = tuple(puzzle.data["terrain"])
        n = len(terrain)
        runs, owner = stretches(terrain)
        if (match := _UNMARK.match(command)) is not None:
            i = self._position(match.group(1), n)
            a, b, _ = runs[owner[i]]
            if not any(m[0] == a for m in state):
                raise InvalidMove(f"the stretch {span_text(a, b)} through position {i} is not marked")
            return tuple(m for m in state if m[0] != a)
        match = _MARK_IL.match(command)
        if match is not None:
            index, word = match.group(1), match.group(2)
        elif (match := _MARK_LI.match(command)) is not None:
            word, index = match.group(1), match.group(2)
        else:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `mark I hill`, `mark I valley`, `unmark I` "
                              f"(I a position 0 to {n - 1}) or `submit`")
        i, label = self._position(index, n), _LABEL[word]
        a, b, _ = runs[owner[i]]
        if (a, b, label) in state:
            raise InvalidMove(f"the stretch {span_text(a, b)} is already marked as a {label}")
        return tuple(sorted([*(m for m in state if m[0] != a), (a, b, label)]))

    @staticmethod
    def _position(text: str, n: int) -> int:
        i = int(text)
        if i >= n:
            raise InvalidMove(f"there is no position {i}; the bars are numbered 0 to {n - 1}")
        return i

    def state_text(self, puzzle: Puzzle, state: tuple[Mark, ...]) -> str:
        return f"{json.dumps({'terrain': puzzle.data['terrain']})}\n{marks_text(state)}"

    def is_solved(self, puzzle: Puzzle, state: tuple[Mark, ...]) -> bool:
        return False  # only `submit` ends: ending by itself would tell that the marks are complete

    def moves(self, puzzle: Puzzle, state: tuple[Mark, ...]) -> list[str]:
        terrain = tuple(puzzle.data["terrain"])
        runs, owner = stretches(terrain)
        marked = {a: label for a, _, label in state}
        out = [f"mark {i} {label}" for i in range(len(terrain)) for label in (HILL, VALLEY)
               if marked.get(runs[owner[i]][0]) != label]
        out += [f"unmark {i}" for i in range(len(terrain)) if runs[owner[i]][0] in marked]
        return [*out, "submit"]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["terrain"])
        return ([f"mark {i} {label}" for i in range(n) for label in (HILL, VALLEY)]
                + [f"unmark {i}" for i in range(n)] + ["submit"])

    def state_answer(self, puzzle: Puzzle, state: tuple[Mark, ...]) -> str:
        return marks_text(state)

    def conflicts(self, puzzle: Puzzle, state: tuple[Mark, ...]) -> list[str]:
        runs, owner = stretches(tuple(puzzle.data["terrain"]))
        return [broken for a, _, label in state if (broken := rule_break(runs, owner[a], label))]

    def step_budget(self, puzzle: Puzzle) -> int:
        return 2 * len(puzzle.data["terrain"]) + 20  # from the size only: a budget from the count would tell it

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        i = layout(puzzle.data["terrain"], size).index_at(x, y)
        return None if i is None else (0, i)

    def cell_command(self, puzzle: Puzzle, state: tuple[Mark, ...], cell: tuple[int, int], key: str) -> str | None:
        """On a selected bar: h marks a hill, v a valley, x / delete / backspace removes the mark."""
        key = key.lower()
        if key in ("h", "v"):
            return f"mark {cell[1]} {_LABEL[key]}"
        if key in ("x", "delete", "backspace"):
            return f"unmark {cell[1]}"
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,
                                initial_state={"terrain": list(puzzle.data["terrain"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        terrain = int_list_from_record(record, "terrain", self.name)
        return self.puzzle(self.record_level(record), {"terrain": terrain}, seed=self.record_seed(record))
