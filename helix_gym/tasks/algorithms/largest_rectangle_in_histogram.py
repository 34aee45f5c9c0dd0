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
from helix_gym.core.charts import MAX_ITEMS, SeriesChart
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest bars, most bars, highest bar); heights are uniform from 1 (spec A3/A7)
LADDER: dict[int, tuple[int, int, int]] = {1: (5, 10, 20), 2: (10, 20, 40), 3: (20, 30, 60), 4: (30, 40, 80),
                                           5: (40, 70, 100)}
MAX_ANSWER_CHARS = 500
LIST_MOVES_UP_TO = 256  # `moves` lists the legal commands only while there are at most this many
_RECT = re.compile(r"^(?:rect|rectangle)\s*\(?\s*(\d+)\s*(?:,|\.\.|-|–|to|\s)\s*(\d+)\s*\)?$")

BAR_FILL: draw.Color = (120, 170, 225)
BAR_EDGE: draw.Color = (30, 60, 110)
RECT_FILL: draw.Color = draw.HIGHLIGHT


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


# ---- the picture ---------------------------------------------------------------------------------------
def layout(heights: Sequence[int], size: int) -> SeriesChart:
    """Touching bars; two caption lines (the title and the step-mode choice)."""
    return SeriesChart(heights, size, gap=0, captions=2)


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
            text = str(answer)
            return self._judge(puzzle.data["heights"], parse_number(text) if len(text) <= MAX_ANSWER_CHARS else None)
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
        text = shown_number(value)
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
        chart = layout(h, size)
        image, pen = chart.canvas()
        chart.caption(pen, 0, "largest rectangle: heights above the bars, positions (from 0) below")
        chart.bars(pen, BAR_FILL, BAR_EDGE)
        if state:
            left, right = state
            top = rect_height(h, left, right)
            for i in range(left, right + 1):
                chart.span(pen, i, 0, top, RECT_FILL)
            for box in chart.run_boxes(left, right, top):
                pen.rectangle(box, outline=draw.ENTERED, width=max(2, round(size / 170)))
            chart.caption(pen, 1, f"chosen rectangle: bars {left} to {right}", draw.ENTERED)
        elif state is not None:
            chart.caption(pen, 1, "no rectangle chosen yet (rect L R)", draw.ENTERED)
        chart.axes(pen, draw.BLACK, width=max(2, round(size / 256)))
        chart.value_labels(pen)
        chart.index_labels(pen)
        return image

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
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=largest_rectangle(puzzle.data["heights"])[0], difficulty=puzzle.level,
                                initial_state={"heights": list(puzzle.data["heights"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        heights = int_list_from_record(record, "heights", self.name, max_len=MAX_ITEMS)
        return self.puzzle(self.record_level(record), {"heights": heights}, seed=self.record_seed(record))
