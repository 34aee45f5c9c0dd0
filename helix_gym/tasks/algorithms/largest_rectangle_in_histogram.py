"""Largest Rectangle in Histogram (MM-HELIX `LargestRectangleInHistogram`): the biggest area under the bars.

Bars of width 1 with whole-number heights stand side by side on a common baseline. A rectangle fits inside
when it stands on the baseline over a run of consecutive bars and is no taller than the lowest of them; the
answer is the largest such area, (r - l + 1) × min(h[l..r]), found with a monotone stack. The official
record holds `initial_state = {"heights": [...]}` and the area as an int.

Step mode (grammar):
    rect L R      choose the rectangle over bars L..R (0-based, L ≤ R), as tall as the lowest bar among them;
                  it replaces any earlier choice (`undo` brings that back)
    submit        answer with the area of the chosen rectangle (env command)
    answer A      answer with the number A (env command); `undo`, `restart` as everywhere
Under the default feedback the env never tells the area of the chosen rectangle nor whether it is the largest.

This module also holds the histogram drawing (`Histogram`) and the record helpers that Trapping Rain Water
shares; they belong in `helix_gym.core` once a third bar task needs them.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import normalize_command, parse_number
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest bars, most bars, highest bar); heights are uniform from 1 (spec A3/A7)
LADDER: dict[int, tuple[int, int, int]] = {1: (5, 10, 20), 2: (10, 20, 40), 3: (20, 30, 60), 4: (30, 40, 80),
                                           5: (40, 70, 100)}
MAX_BARS = 500  # records longer than this are refused (the picture could not show them)
MAX_ANSWER_CHARS = 500
LIST_MOVES_UP_TO = 256  # `moves` lists the legal commands only while there are at most this many
_RECT = re.compile(r"^(?:rect|rectangle)\s*\(?\s*(\d+)\s*(?:,|\.\.|-|–|to|\s)\s*(\d+)\s*\)?$")
_LIST = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_NOT_THOUSANDS = re.compile(r"\d,(?=\d)(?!\d{3}(?!\d))")  # `1,5` or `15,16`: a list or a decimal comma, not 15
_SQUARED_UNIT = re.compile(r"(?<=[A-Za-z}])\s*\^\s*\{?\s*2\s*\}?")  # `units^2`, `\text{units}^{2}`
_MINUS = re.compile(r"[−–](?=\s*\d)")  # a typographic minus before a number

BAR_FILL: draw.Color = (120, 170, 225)
BAR_EDGE: draw.Color = (30, 60, 110)
RECT_FILL: draw.Color = draw.HIGHLIGHT


# ---- records and answers (shared with Trapping Rain Water) ---------------------------------------------
def decode_state(raw: Any) -> Any:
    """`initial_state` as the public judge reads it: JSON, else a Python literal (never code), else as is."""
    if not isinstance(raw, str):
        return raw
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return raw


def heights_from_record(record: dict[str, Any], field: str, task: str) -> list[int]:
    """The bar heights of a record: `initial_state[field]`, else the `[...]` list of the text question."""
    state = decode_state(record.get("initial_state"))
    values = state.get(field) if isinstance(state, dict) else state
    if not isinstance(values, list):
        match = _LIST.search(str(record.get("question_language") or ""))
        values = [int(t) for t in match.group(1).split(",")] if match else None
    if (not isinstance(values, list) or not 0 < len(values) <= MAX_BARS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)):
        raise RecordError(f"{task}: expected a list of 1 to {MAX_BARS} whole non-negative heights, got {values!r}")
    return list(values)


def read_number(answer: Any) -> Fraction | None:
    """The one number of an answer (`12`, `12.0`, `$12$`, `12 units`, `1,234`); None when there is none or
    several. A comma between digits counts only as a thousands separator (`parse_number` drops every comma,
    which would read `1,5` as 15); `units^2` is a unit, not a second number; `−15` is negative."""
    text = str(answer)
    if len(text) > MAX_ANSWER_CHARS or _NOT_THOUSANDS.search(text):
        return None
    return parse_number(_MINUS.sub("-", _SQUARED_UNIT.sub("", text)))


def shown(value: Fraction) -> str:
    """A parsed number as the verdict repeats it (huge or odd fractions are not spelled out)."""
    if value.denominator == 1:
        return str(value.numerator) if abs(value.numerator) < 10**15 else "the number given"
    return f"{float(value):.10g}" if abs(value.numerator) < 10**15 and value.denominator < 10**6 else \
        "the number given"


# ---- the solver ------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _stack_run(heights: tuple[int, ...]) -> tuple[tuple[tuple[int, int, int, int, int, tuple[int, ...]], ...],
                                                  tuple[int, int, int]]:
    """The monotone-stack scan: every pop as (popped bar, closing bar, left, right, area, bars on the stack
    after it), and the best (area, left, right), the first one found.

    The stack holds (bar, start) entries of strictly increasing height, where `start` is how far left the
    bar's height reaches (over the higher bars it popped). A bar as high as the top is not pushed: the top's
    rectangle runs through it. So a popped bar's rectangle is exact: it reaches from its start to just
    before the lower bar that popped it."""
    n = len(heights)
    stack: list[tuple[int, int]] = []
    pops = []
    best = (-1, 0, 0)
    for i in range(n + 1):
        cur = heights[i] if i < n else -1  # the end closes every rectangle still open
        start = i
        while stack and heights[stack[-1][0]] > cur:
            j, start = stack.pop()
            area = heights[j] * (i - start)
            pops.append((j, i, start, i - 1, area, tuple(bar for bar, _ in stack)))
            if area > best[0]:
                best = (area, start, i - 1)
        if i < n and not (stack and heights[stack[-1][0]] == cur):
            stack.append((i, start))
    return tuple(pops), best


def largest_rectangle(heights: Sequence[int]) -> tuple[int, int, int]:
    """(area, left bar, right bar) of the largest rectangle (the first found by the stack scan)."""
    return _stack_run(tuple(heights))[1]


def rect_height(heights: Sequence[int], left: int, right: int) -> int:
    return min(heights[left:right + 1])


# ---- drawing (shared with Trapping Rain Water) ----------------------------------------------------------
class Histogram:
    """Touching unit-width bars on a zero baseline, wrapped onto stacked panels so every label stays legible.

    Each bar's height is printed above it and its position (from 0) below the baseline, in grey; every
    panel uses the same vertical scale. The number of panels is the smallest that gives the widest height
    label a font of at least `size / 43` px. `extra_rows` reserves rows of small text under the positions
    (the water entered in step mode); `captions` is the number of caption lines in the band on top."""

    def __init__(self, values: Sequence[int], size: int = 512, captions: int = 2, extra_rows: int = 0) -> None:
        self.values = list(values)
        self.n = n = max(1, len(values))
        self.size = size
        self.vmax = max(1, *self.values) if self.values else 1
        widest = str(max(self.values, default=0))
        self.caption_h = max(8, round(size * 0.045))
        self.band = self.caption_h * captions + round(size * 0.01)
        self.left, right = round(size * 0.03), size - round(size * 0.03)
        width = right - self.left
        cap = max(8, round(size / 26))
        for rows in range(1, 9):
            per_row = math.ceil(n / rows)
            slot = width / per_row
            fs = draw.fit_font_size(widest, slot * 0.85, cap, cap)
            if fs >= size / 43 or rows == 8 or per_row == 1:
                break
        self.rows, self.per_row, self.slot, self.fs = rows, per_row, slot, fs
        index_fit = draw.fit_font_size(str(n - 1), slot * 0.9, cap, max(6, round(fs * 0.8)))
        self.every = 1 if index_fit >= max(8, size / 64) else 5  # positions under every bar, or every 5th
        self.ifs = index_fit if self.every == 1 else max(8, round(fs * 0.8))
        self.extra_fs = max(6, min(self.fs, draw.fit_font_size("20", slot * 0.85, cap, cap)))
        self.pad = size * 0.006
        self.panel_h = (size - self.band) / rows
        self.label_h = self.fs * 1.5
        self.under_h = 2 * self.pad + self.ifs * 1.6 + extra_rows * self.extra_fs * 1.5
        self.scale = max(0.1, (self.panel_h - self.label_h - self.under_h) / self.vmax)
        self.image = Image.new("RGB", (size, size), draw.WHITE)
        self.pen = ImageDraw.Draw(self.image)

    # geometry
    def baseline(self, row: int) -> float:
        return self.band + (row + 1) * self.panel_h - self.under_h

    def x(self, i: int) -> float:
        """Left edge of bar i."""
        return self.left + (i % self.per_row) * self.slot

    def y(self, i: int, value: float) -> float:
        """The height of `value` above bar i's baseline, in pixels from the top."""
        return self.baseline(i // self.per_row) - value * self.scale

    def box(self, i: int, low: float, high: float) -> tuple[int, int, int, int]:
        """Pixel box of column i between heights `low` and `high`."""
        return round(self.x(i)), round(self.y(i, high)), round(self.x(i) + self.slot), round(self.y(i, low))

    def row_text_y(self, row: int, k: int) -> float:
        """Centre of the k-th text row under panel `row`'s baseline (0 = positions, 1.. = extra rows)."""
        base = self.baseline(row) + self.pad
        if k == 0:
            return base + self.ifs * 0.8
        return base + self.ifs * 1.6 + (k - 0.5) * self.extra_fs * 1.5

    # drawing
    def bars(self, fill: draw.Color = BAR_FILL, edge: draw.Color = BAR_EDGE) -> None:
        for i, v in enumerate(self.values):
            if v > 0:
                self.pen.rectangle(self.box(i, 0, v), fill=fill, outline=edge, width=1)

    def span(self, i: int, low: float, high: float, fill: draw.Color, edge: draw.Color | None = None) -> None:
        if high > low:
            self.pen.rectangle(self.box(i, low, high), fill=fill, outline=edge, width=1 if edge else 0)

    def outline_run(self, left: int, right: int, height: float, color: draw.Color, width: int = 3) -> None:
        """The outline of a rectangle over bars left..right, one piece per panel it crosses."""
        i = left
        while i <= right:
            end = min(right, (i // self.per_row + 1) * self.per_row - 1)
            x0, y0, _, y1 = self.box(i, 0, height)
            x1 = self.box(end, 0, height)[2]
            self.pen.rectangle((x0, y0, x1, y1), outline=color, width=width)
            i = end + 1

    def axes(self) -> None:
        """A baseline under every panel, as long as the bars it carries."""
        w = max(2, round(self.size / 256))
        for row in range(self.rows):
            count = min(self.per_row, self.n - row * self.per_row)
            y = round(self.baseline(row))
            self.pen.line((round(self.left), y, round(self.left + count * self.slot), y), fill=draw.BLACK, width=w)

    def value_labels(self, color: draw.Color = draw.BLACK) -> None:
        for i, v in enumerate(self.values):
            draw.draw_text(self.pen, (self.x(i) + self.slot / 2, self.y(i, v) - self.fs * 0.7), str(v), self.fs,
                           color)

    def index_labels(self, color: draw.Color = draw.GRID_LINE) -> None:
        for i in range(0, self.n, self.every):
            draw.draw_text(self.pen, (self.x(i) + self.slot / 2, self.row_text_y(i // self.per_row, 0)), str(i),
                           self.ifs, color)
        if self.every > 1:  # ticks mark the bars whose positions are written
            for i in range(0, self.n, self.every):
                x, y = round(self.x(i) + self.slot / 2), round(self.baseline(i // self.per_row))
                self.pen.line((x, y, x, y + max(2, round(self.ifs * 0.25))), fill=color, width=1)

    def extra_row(self, texts: Sequence[str], k: int, color: draw.Color) -> None:
        for i, text in enumerate(texts):
            if text:
                size = draw.fit_font_size(text, self.slot * 0.95, self.extra_fs * 1.2, self.extra_fs)
                draw.draw_text(self.pen, (self.x(i) + self.slot / 2, self.row_text_y(i // self.per_row, k)), text,
                               size, color)

    def caption(self, line: int, text: str, color: draw.Color = draw.BLACK) -> None:
        size = draw.fit_font_size(text, self.size * 0.95, self.caption_h, max(8, round(self.caption_h * 0.8)))
        draw.draw_text(self.pen, (self.size / 2, self.caption_h * (line + 0.55)), text, size, color)


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class LargestRectangleInHistogram(Task):
    """Largest rectangle inside a histogram of unit-width bars.

    Step grammar: `rect L R` (0 ≤ L ≤ R < n) chooses the rectangle over bars L..R as tall as their lowest
    bar, replacing the previous choice; `submit` answers its area; plus the env's `undo`, `restart`,
    `answer A`. The state is `()` (nothing chosen) or `(L, R)`."""

    name = "LargestRectangleInHistogram"
    key = "LargestRectangleInHistogram"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "rect L R: choose the rectangle over bars L to R (positions from 0, L ≤ R), as tall as the lowest of "
        "those bars; it replaces the previous choice\n"
        "submit: answer with the area of the chosen rectangle"
    )
    answer_help = "one integer: the largest area of a rectangle that fits inside the histogram"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        low, high, top = LADDER[level]
        n = int(rng.integers(low, high + 1))
        return self.puzzle(level, {"heights": [int(h) for h in rng.integers(1, top + 1, size=n)]})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(largest_rectangle(puzzle.data["heights"])[0])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        _, left, right = largest_rectangle(puzzle.data["heights"])
        return [f"rect {left} {right}", "submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        h = puzzle.data["heights"]
        n = len(h)
        pops, (area, left, right) = _stack_run(tuple(h))
        events = [TraceEvent("read", note=(
            f"{n} bars of width 1 with heights {h}. Scan left to right with a stack of bars of increasing height; "
            "when a lower bar (or the end) arrives, each higher bar popped from the stack closes the widest "
            "rectangle of its own height: it reaches from just after the nearest lower bar on its left to just "
            "before the bar that popped it."), state_text=json.dumps({"heights": h}))]
        best = -1
        for j, i, lo, hi, a, stack in pops:
            why = (f"bar {i} (height {h[i]}) is lower than bar {j} (height {h[j]})" if i < n
                   else f"the end of the histogram closes bar {j} (height {h[j]})")
            where = f"bar {lo - 1} is the nearest lower bar on its left" if lo else "no bar on its left is lower"
            note = (f"Pop bar {j}: {why}, and {where}, so its rectangle spans bars {lo} to {hi}: "
                    f"{hi - lo + 1} × {h[j]} = {a}.")
            if a > best:
                best = a
                note += f" Largest so far: {a}."
            events.append(TraceEvent("deduce", move=f"pop {j}", note=note,
                                     state_text=f"stack: {list(stack)}; largest so far: {best}"))
        events.append(TraceEvent("check", move=f"rect {left} {right}", note=(
            f"Every bar was popped once, so every maximal rectangle was measured. The largest spans bars {left} to "
            f"{right}, whose lowest bar has height {rect_height(h, left, right)}: {right - left + 1} × "
            f"{rect_height(h, left, right)} = {area}.")))
        events.append(TraceEvent("answer", move=str(area), note=f"The largest rectangle has area {area}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle.data["heights"], read_number(answer))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the largest rectangle area")

    @staticmethod
    def _judge(heights: list[int], value: Fraction | None) -> Verdict:
        """Compare one number with the largest area; say what is wrong without telling the area."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the largest rectangle area")
        best = largest_rectangle(heights)[0]
        if value == best:
            return Verdict.ok(parsed=best)
        text = shown(value)
        if value.denominator != 1:
            return Verdict.wrong(f"{text} is not a whole number, but every rectangle here has whole-number "
                                 "sides and so a whole-number area", parsed=text)
        value = int(value)
        if value < 0:
            return Verdict.wrong(f"{text} is negative, but an area cannot be", parsed=value)
        if value > best:
            return Verdict.wrong(f"no rectangle that fits inside the histogram has an area as large as {text}",
                                 parsed=value)
        return Verdict.wrong(f"{text} is not the largest area: a bigger rectangle fits inside the histogram",
                             parsed=value)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        h = puzzle.data["heights"]
        return str(int(rng.integers(1, max(1, max(h)) * len(h) + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        h = puzzle.data["heights"]
        rules = ("A histogram is a row of bars, each 1 unit wide, standing side by side on a common baseline "
                 "with no gaps between them. A rectangle fits inside the histogram if it stands on the baseline, "
                 "covers a run of neighbouring bars, and is no taller than the lowest bar of that run.")
        if modality == "image":
            state = (f"The picture shows the {len(h)} bars, wrapped onto several rows when there are many. The "
                     "number above a bar is its height; the grey number below it is its position from 0.")
        else:
            state = (f"The histogram has {len(h)} bars, numbered from 0 at the left; bar i stands on the baseline "
                     "between i and i + 1. Their heights from left to right, in the notation "
                     f"{{\"heights\": [height of bar 0, height of bar 1, ...]}}, are {json.dumps({'heights': h})}.")
        ask = ("What is the largest area of a rectangle that fits inside the histogram? Give the area as a "
               "single integer.")
        return f"{rules}\n{state}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        h = puzzle.data["heights"]
        chart = Histogram(h, size)
        chart.caption(0, "largest rectangle: heights above the bars, positions (from 0) below")
        chart.bars()
        if state:
            left, right = state
            top = rect_height(h, left, right)
            for i in range(left, right + 1):
                chart.span(i, 0, top, RECT_FILL)
            chart.outline_run(left, right, top, draw.ENTERED, width=max(2, round(size / 170)))
            chart.caption(1, f"chosen rectangle: bars {left} to {right}", draw.ENTERED)
        elif state is not None:
            chart.caption(1, "no rectangle chosen yet (rect L R)", draw.ENTERED)
        chart.axes()
        chart.value_labels()
        chart.index_labels()
        return chart.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        n = len(puzzle.data["heights"])
        match = _RECT.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:60]!r}; expected `rect L R` with 0 ≤ L ≤ R ≤ {n - 1}, "
                              "or `submit`")
        left, right = int(match.group(1)), int(match.group(2))
        if right >= n:
            raise InvalidMove(f"there is no bar {right}; bars are numbered 0 to {n - 1}")
        if left > right:
            raise InvalidMove(f"the first bar must not come after the last: rect {right} {left}?")
        return (left, right)

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        chosen = f"bars {state[0]} to {state[1]}" if state else "none yet"
        return f"{json.dumps({'heights': puzzle.data['heights']})}\nchosen rectangle: {chosen}"

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # only `submit` ends: ending by itself would tell that the choice is the largest

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str] | None:
        n = len(puzzle.data["heights"])
        if n * (n + 1) // 2 > LIST_MOVES_UP_TO:
            return None
        return [f"rect {a} {b}" for a in range(n) for b in range(a, n)] + (["submit"] if state else [])

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["heights"])
        return [f"rect {a} {b}" for a in range(n) for b in range(a, n)] + ["submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        if not state:
            raise InvalidMove("no rectangle chosen yet; use `rect L R` first, or `answer A`")
        left, right = state
        return str((right - left + 1) * rect_height(puzzle.data["heights"], left, right))

    def step_budget(self, puzzle: Puzzle) -> int:
        return 26  # 3 × the certificate's size (two bars) + 20

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        record: dict[str, Any] = {
            "index": f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
            "category": self.key,
            "question": self.prompt(puzzle, "image"),
            "question_language": self.prompt(puzzle, "text"),
            "answer": largest_rectangle(puzzle.data["heights"])[0],
            "initial_state": {"heights": list(puzzle.data["heights"])},
            "difficulty": puzzle.level,
        }
        if puzzle.seed is not None:
            record["seed"] = puzzle.seed
        return record

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        heights = heights_from_record(record, "heights", self.name)
        seed = record.get("seed")
        return self.puzzle(self.record_level(record), {"heights": heights},
                           seed=int(seed) if seed is not None else None)
