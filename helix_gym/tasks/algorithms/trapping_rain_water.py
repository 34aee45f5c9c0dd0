"""Trapping Rain Water (MM-HELIX `trapping_rain_water`): how much rain stays between bars of width 1.

The water above column i rises to the lower of the highest bar on its left and the highest bar on its right
(column i included), so it holds max(0, min(max h[0..i], max h[i..n-1]) - h[i]) units; the answer is the sum,
found with two pointers. The official record holds `initial_state = {"height": [...]}` (singular key) and
the total as an int.

Step mode (grammar):
    water I K      put K units of water above column I (0-based; K = 0 empties it)
    water L..R K   put K units above every column from L to R (also `L-R`)
    submit         judge the water entered, column by column: every column must hold exactly its water
                   (env command; it submits `water per column: [...]`)
    answer W       answer with the total W (env command); `undo`, `restart` as everywhere
A column's water may not rise above the tallest bar of the whole row (it would run off); that is the only
check made while entering. `conflicts` names water that would flow sideways or off an edge.
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
from helix_gym.core.parse import clean_latex, normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest bars, most bars); heights are U{0..20} at every level (spec A9.3)
LADDER: dict[int, tuple[int, int]] = {1: (5, 10), 2: (10, 20), 3: (20, 30), 4: (30, 40), 5: (40, 70)}
TOP = 20
LIST_MOVES_UP_TO = 256
_WATER = re.compile(r"^water\s+(\d+)(?:\s*(?:\.\.|-|–|to)\s*(\d+))?\s+(\d+)$")
_PER_COLUMN = re.compile(r"^\s*water per column\s*:?\s*\[([^\[\]]*)\]\s*$", re.I)
_INT = re.compile(r"^[+-]?\d+$")
PER_COLUMN = "water per column"
MAX_ANSWER_CHARS = 500

BAR_FILL: draw.Color = (175, 175, 185)
BAR_EDGE: draw.Color = (70, 70, 80)
WATER_FILL: draw.Color = (150, 200, 250)


def layout(height: Sequence[int], size: int, step: bool = False) -> SeriesChart:
    """Touching bars, two caption lines, and in step pictures a line for the water amounts under the bars."""
    return SeriesChart(height, size, gap=0, captions=2, under=1 if step else 0)


@lru_cache(maxsize=4096)
def _two_pointers(height: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[tuple[int, str, int, int, int, int], ...]]:
    """The water per column and the scan's steps as (column, side, wall height, water, left, right).

    Two pointers walk inwards from both ends, always moving the lower side: the other side then holds a bar
    at least as high as every bar passed on this side, so this side's running maximum alone sets the level."""
    n = len(height)
    water = [0] * n
    steps = []
    left, right, left_max, right_max = 0, n - 1, 0, 0
    while left <= right:
        if height[left] <= height[right]:
            left_max = max(left_max, height[left])
            water[left] = left_max - height[left]
            steps.append((left, "left", left_max, water[left], left, right))
            left += 1
        else:
            right_max = max(right_max, height[right])
            water[right] = right_max - height[right]
            steps.append((right, "right", right_max, water[right], left, right))
            right -= 1
    return tuple(water), tuple(steps)


def water_per_column(height: list[int]) -> tuple[int, ...]:
    return _two_pointers(tuple(height))[0]


def flow_conflicts(height: list[int], water: tuple[int, ...] | list[int]) -> list[str]:
    """Water that cannot stay where it is: over an end column it runs off, and next to a lower water level
    (or a lower bar with no water) it flows sideways. Checks the rules only, never the solution."""
    n = len(height)
    out = []
    for i, w in enumerate(water):
        if w <= 0:
            continue
        level = height[i] + w
        for j, side in ((i - 1, "left"), (i + 1, "right")):
            if not 0 <= j < n:
                out.append(f"the water above column {i} would run off the {side} end")
            elif height[j] + water[j] < level:
                out.append(f"the water above column {i} (surface at {level}) would flow {side} into column {j} "
                           f"(surface at {height[j] + water[j]})")
    return out


@register_task
class TrappingRainWater(Task):
    """Total rain water trapped between unit-width bars.

    Step grammar: `water I K` / `water L..R K` set the water above columns (K ≥ 0, never above the tallest
    bar); `submit` judges the per-column amounts; plus the env's `undo`, `restart`, `answer W`. The state
    is the tuple of water amounts, one per column."""

    name = "TrappingRainWater"
    key = "trapping_rain_water"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "water I K: put K units of water above column I (positions from 0; K = 0 empties it)\n"
        "water L..R K: put K units of water above every column from L to R\n"
        "submit: have the water entered judged column by column (every column must hold exactly its water)"
    )
    answer_help = "one integer: the total units of rain water trapped between the bars"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        low, high = LADDER[level]
        n = int(rng.integers(low, high + 1))
        return self.puzzle(level, {"height": [int(h) for h in rng.integers(0, TOP + 1, size=n)]})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(sum(water_per_column(puzzle.data["height"])))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        water = water_per_column(puzzle.data["height"])
        return [f"water {i} {w}" for i, w in enumerate(water) if w] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        h = puzzle.data["height"]
        water, steps = _two_pointers(tuple(h))
        events = [TraceEvent("read", note=(
            f"{len(h)} bars of width 1 with heights {h}. Two pointers start at both ends and move inwards, "
            "always on the lower side: the other side already has a bar at least that high, so the water above "
            "the column passed is set by the highest bar seen so far on its own side."),
            state_text=json.dumps({"height": h}))]
        total = 0
        for i, side, wall, w, left, right in steps:
            total += w
            compare = (f"bar {left} (height {h[left]}) ≤ bar {right} (height {h[right]})" if side == "left"
                       else f"bar {right} (height {h[right]}) < bar {left} (height {h[left]})")
            if left == right:
                compare = f"the pointers meet at column {i}"
            if w:
                why = f"the highest bar so far on the {side} is {wall}, so it holds {wall} - {h[i]} = {w}"
            else:
                why = f"it is the highest bar so far on the {side} ({wall}), so it holds no water"
            events.append(TraceEvent("deduce", move=f"water {i} {w}", note=f"{compare}: column {i}: {why}.",
                                     state_text=f"left={left}, right={right}; trapped so far: {total}"))
        events.append(TraceEvent("check", note=(
            "Every column was passed once. Water per column: "
            f"{list(water)}; the sum is {total}.")))
        events.append(TraceEvent("answer", move=str(total), note=f"{total} units of water are trapped."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            text = str(answer)
            if len(text) > MAX_ANSWER_CHARS:
                return self._judge_total(puzzle.data["height"], None)
            if _PER_COLUMN.match(clean_latex(text)):
                return self._judge_columns(puzzle.data["height"], clean_latex(text))
            return self._judge_total(puzzle.data["height"], parse_number(text))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the units of water trapped")

    @staticmethod
    def _judge_total(height: list[int], value: Fraction | None) -> Verdict:
        """Compare one number with the total; say what is wrong without telling the total."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the units of water trapped")
        best = sum(water_per_column(height))
        if value == best:
            return Verdict.ok(parsed=best)
        text = shown_number(value)
        if value.denominator != 1:
            return Verdict.wrong(f"{text} is not a whole number, but water fills whole unit squares between "
                                 "whole-number bars", parsed=text)
        value = int(value)
        if value < 0:
            return Verdict.wrong(f"{text} is negative, but an amount of water cannot be", parsed=value)
        if value > best:
            return Verdict.wrong(f"the bars cannot hold as much as {text} units of water", parsed=value)
        return Verdict.wrong(f"more than {text} units of water are trapped", parsed=value)

    @staticmethod
    def _judge_columns(height: list[int], text: str) -> Verdict:
        """`water per column: [w0, ..., w(n-1)]` (what step-mode `submit` sends): every column must be right."""
        match = _PER_COLUMN.match(text)
        parts = [p.strip() for p in match.group(1).split(",")] if match and match.group(1).strip() else []
        if not all(_INT.match(p) for p in parts):
            return Verdict.wrong("the water per column must be a list of whole numbers")
        amounts = [int(p) for p in parts]
        n = len(height)
        if len(amounts) != n:
            return Verdict.wrong(f"expected {n} amounts, one per column, got {len(amounts)}")
        if any(a < 0 for a in amounts):
            return Verdict.wrong("an amount of water cannot be negative", parsed=amounts)
        truth = water_per_column(height)
        if tuple(amounts) == truth:
            return Verdict.ok(parsed=sum(truth))
        problems = flow_conflicts(height, amounts)
        if sum(amounts) != sum(truth):
            problems.append(f"the amounts add up to {sum(amounts)}, which is not the water trapped")
        return Verdict.wrong(*problems, "the amounts do not match the water the columns hold (each column fills "
                                        "up to the lower of the highest bars on its left and on its right)",
                             parsed=amounts)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        h = puzzle.data["height"]
        return str(int(rng.integers(0, max(1, max(h)) * len(h) + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        h = puzzle.data["height"]
        rules = ("Bars of width 1 stand side by side on flat ground, with no gaps between them. Rain falls on "
                 "them and collects wherever taller bars on both sides hold it in; water over the first or the "
                 "last bar runs off. The water above a bar rises to the lower of the highest bar on its left and "
                 "the highest bar on its right, if that is above the bar.")
        if modality == "image":
            state = (f"The picture shows the {len(h)} bars, wrapped onto several rows when there are many. The "
                     "number above a bar is its height (a bar of height 0 shows only that 0); the grey number "
                     "below is its position from 0.")
        else:
            state = (f"There are {len(h)} bars, numbered from 0 at the left; bar i stands on the ground between i "
                     "and i + 1. Their heights from left to right, in the notation "
                     f"{{\"height\": [height of bar 0, height of bar 1, ...]}}, are {json.dumps({'height': h})}.")
        ask = ("How many units of water (unit squares) stay trapped after the rain? Give the total as a single "
               "integer.")
        return f"{rules}\n{state}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        h = puzzle.data["height"]
        chart = layout(h, size, step=state is not None)
        image, pen = chart.canvas()
        chart.caption(pen, 0, "rain water: heights above the bars, positions (from 0) below")
        chart.bars(pen, BAR_FILL, BAR_EDGE)
        if state is not None:
            for i, w in enumerate(state):
                chart.span(pen, i, h[i], h[i] + w, WATER_FILL, draw.ENTERED)
            chart.caption(pen, 1, "blue: water entered; its units per column in the bottom row", draw.ENTERED)
            chart.under_labels(pen, {i: str(w) for i, w in enumerate(state) if w})
        chart.axes(pen, draw.BLACK, width=max(2, round(size / 256)))
        chart.value_labels(pen)
        chart.index_labels(pen)
        return image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return (0,) * len(puzzle.data["height"])

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        h = puzzle.data["height"]
        n = len(h)
        match = _WATER.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:60]!r}; expected `water I K` or `water L..R K` "
                              f"(columns 0 to {n - 1}, K ≥ 0), or `submit`")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        amount = int(match.group(3))
        if last >= n:
            raise InvalidMove(f"there is no column {last}; columns are numbered 0 to {n - 1}")
        if first > last:
            raise InvalidMove(f"the range must run from left to right: water {last}..{first} {amount}?")
        top = max(h)
        for i in range(first, last + 1):
            if h[i] + amount > top:
                raise InvalidMove(f"column {i}: water up to {h[i] + amount} would rise above the tallest bar "
                                  f"({top}) and run off")
        return state[:first] + (amount,) * (last - first + 1) + state[last + 1:]

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        return f"{json.dumps({'height': puzzle.data['height']})}\n{PER_COLUMN}: {list(state)}"

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # only `submit` ends: ending by itself would tell which amounts are right

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str] | None:
        space = self.move_space(puzzle)
        return space if len(space) <= LIST_MOVES_UP_TO else None

    def move_space(self, puzzle: Puzzle) -> list[str]:
        h = puzzle.data["height"]
        top = max(h)
        return [f"water {i} {k}" for i in range(len(h)) for k in range(top - h[i] + 1)] + ["submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        return f"{PER_COLUMN}: {list(state)}"

    def conflicts(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        return flow_conflicts(puzzle.data["height"], state)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["height"]) + 20  # 3 × the certificate's size (one amount per column) + 20

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty_{puzzle.level}_{puzzle.fingerprint}",
                                answer=sum(water_per_column(puzzle.data["height"])), difficulty=puzzle.level,
                                initial_state={"height": list(puzzle.data["height"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        height = int_list_from_record(record, "height", self.name, max_len=MAX_ITEMS)
        return self.puzzle(self.record_level(record), {"height": height}, seed=self.record_seed(record))
