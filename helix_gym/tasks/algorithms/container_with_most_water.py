"""Container With Most Water (MM-HELIX `ContainerWithMostWater`): the largest (j - i) x min(h_i, h_j).

Bars of whole-number heights stand at positions 0..n-1; two of them and the ground form a container, and
the answer is one whole number, the most water any pair holds. The width is the index difference (the
centre-to-centre distance of the bars in the picture). The official record holds
`initial_state = {"heights": [...]}` and the answer as a string. The picture is a bar chart from 0 with
every bar's height on top and its position under it, wrapped onto several rows when the row is long.

Step mode (positions 0..n-1): a candidate pair and, for the two-pointer drill, a left and a right pointer
that start at the two ends. Commands:
    pick I J        choose bars I and J (I != J, any order) as the walls; replaces the previous choice
    advance left    move the left pointer one bar to the right (it must stay left of the right pointer)
    advance right   move the right pointer one bar to the left (it must stay right of the left pointer)
    keep            choose the two bars under the pointers as the walls
    submit          (env) answer with the water the chosen pair holds
The position is (left pointer, right pointer, I, J), with I = J = -1 while nothing is chosen. Feedback
never states a pair's water or whether it is the best.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest bars, most bars, highest bar, tall bars overwritten)
LADDER: dict[int, tuple[int, int, int, bool]] = {
    1: (5, 10, 20, False),
    2: (10, 20, 40, False),
    3: (20, 30, 60, True),
    4: (30, 40, 80, True),
    5: (40, 70, 100, True),
}
TALL_SHARE = 0.7  # spec A3.3: at L3-5, 2-3 positions become U{floor(0.7 max)..max}
_PICK = re.compile(r"^(?:pick|choose|select)(?: bars?)? ?\(?(\d+)\s*(?:,|and|\s)\s*(\d+)\)?$")
_ADVANCE = re.compile(r"^(?:(?:advance|move) )?(left|right)(?: pointer)?$")
BAR = (140, 180, 225)
WATER = (200, 230, 255)
State = tuple[int, int, int, int]  # left pointer, right pointer, chosen I, chosen J (-1, -1: none)


def area(heights: list[int], i: int, j: int) -> int:
    return abs(j - i) * min(heights[i], heights[j])


def best_area(heights: list[int]) -> int:
    """The two-pointer maximum: moving the taller wall inwards can never help, so the shorter one goes."""
    left, right, best = 0, len(heights) - 1, 0
    while left < right:
        best = max(best, area(heights, left, right))
        if heights[left] <= heights[right]:
            left += 1
        else:
            right -= 1
    return best


def drill(heights: list[int]) -> list[tuple[int, int, int, bool, str | None]]:
    """The two-pointer run: (left, right, area, improves the best, the pointer moved next or None at the end)."""
    left, right, best, out = 0, len(heights) - 1, -1, []
    while left < right:
        a = area(heights, left, right)
        move = None if left + 1 == right else "left" if heights[left] <= heights[right] else "right"
        out.append((left, right, a, a > best, move))
        best = max(best, a)
        if move == "left":
            left += 1
        elif move == "right":
            right -= 1
        else:
            break
    return out


@register_task
class ContainerWithMostWater(Task):
    """Most water between two bars.

    Step grammar (positions 0..n-1): `pick I J`, `advance left`, `advance right`, `keep`; the env adds
    `undo`, `restart`, `submit` (the chosen pair's water as the answer) and `answer A`."""

    name = "ContainerWithMostWater"
    key = "ContainerWithMostWater"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "pick I J: choose the bars at positions I and J as the two walls (replaces an earlier choice)\n"
        "advance left: move the left pointer (it starts at the first bar) one bar to the right\n"
        "advance right: move the right pointer (it starts at the last bar) one bar to the left\n"
        "keep: choose the two bars under the pointers as the walls\n"
        "submit: answer with the amount of water the chosen pair of bars holds"
    )
    answer_help = "one whole number: the most water a container made of two bars can hold"
    key_commands: ClassVar[dict[str, str]] = {"left": "advance left", "right": "advance right", "k": "keep"}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        low, high, top, tall = LADDER[level]
        n = int(rng.integers(low, high + 1))
        heights = [int(h) for h in rng.integers(1, top + 1, size=n)]
        if tall:
            count = int(rng.integers(2, 4))
            for pos in rng.choice(n, size=count, replace=False):
                heights[int(pos)] = int(rng.integers(int(TALL_SHARE * top), top + 1))
        return self.puzzle(level, {"heights": heights})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(best_area(puzzle.data["heights"]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        moves = []
        for _, _, _, improves, move in drill(puzzle.data["heights"]):
            if improves:
                moves.append("keep")
            if move:
                moves.append(f"advance {move}")
        return [*moves, "submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        h = puzzle.data["heights"]
        n = len(h)
        events = [TraceEvent("read", note=(
            f"{n} bars at positions 0 to {n - 1}; bars i < j hold (j - i) x min(h[i], h[j]). Two pointers start "
            "at the two ends; the water is limited by the shorter wall, and every other container using that "
            "wall is narrower and no taller, so after measuring a pair the shorter wall can be dropped."),
            state_text=json.dumps({"heights": h}))]
        state: State = (0, n - 1, -1, -1)
        best = None
        for left, right, a, improves, move in drill(h):
            measure = (f"Pointers at {left} (height {h[left]}) and {right} (height {h[right]}): width "
                       f"{right - left} x shorter wall {min(h[left], h[right])} = {a}")
            if improves:
                state = (left, right, left, right)
                was = "" if best is None else f", more than the best so far ({best})"
                events.append(TraceEvent("deduce", "keep", f"{measure}{was}: keep this pair.",
                                         self.state_text(puzzle, state)))
                best = a
            if move is None:
                done = "" if improves else f"{measure}, not more than the best ({best}). "
                events.append(TraceEvent("deduce", None, f"{done}The pointers are neighbours now: every pair that "
                                                         "could beat the best has been measured."))
                break
            side, wall = (left, "left") if move == "left" else (right, "right")
            why = (f"{measure}, not more than the best ({best}). " if not improves else "")
            state = (left + (move == "left"), right - (move == "right"), state[2], state[3])
            which = ("The two walls are equally tall; take the left one" if h[left] == h[right] else
                     f"The {wall} wall (position {side}, height {h[side]}) is the shorter one")
            events.append(TraceEvent("deduce", f"advance {move}", (
                f"{why}{which}: any container using it with the other wall closer is narrower and no deeper, "
                f"so drop it and advance the {wall} pointer."), self.state_text(puzzle, state)))
        i, j = state[2], state[3]
        events.append(TraceEvent("check", note=(
            f"The best pair is {i} and {j}: ({j} - {i}) x min({h[i]}, {h[j]}) = {area(h, i, j)}.")))
        events.append(TraceEvent("answer", str(best), f"The most water is {best}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, parse_number(str(answer)))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the most water a container can hold")

    def _judge(self, puzzle: Puzzle, value: Fraction | None) -> Verdict:
        """Compare the number with the optimum and say what is wrong without telling the optimum."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the most water a container can hold")
        best = best_area(puzzle.data["heights"])
        shown = shown_number(value)
        if value == best:
            return Verdict.ok(parsed=best)
        if value.denominator != 1:
            return Verdict.wrong(f"{shown} is not a whole number, but every width and height is a whole number",
                                 parsed=shown)
        if value < 0:
            return Verdict.wrong(f"{shown} is negative, but an amount of water never is", parsed=int(value))
        if value > best:
            return Verdict.wrong(f"no two bars hold as much as {shown}", parsed=int(value))
        return Verdict.wrong(f"{shown} is not the most: some pair of bars holds more", parsed=int(value))

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        i, j = (int(k) for k in rng.choice(len(puzzle.data["heights"]), size=2, replace=False))
        return str(area(puzzle.data["heights"], i, j))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        heights = puzzle.data["heights"]
        rules = (
            "Vertical bars of whole-number heights stand in a row at positions 0, 1, 2, ..., one unit apart. "
            "Choose two bars as the walls of a container whose floor is the ground. Water fills it up to the top "
            "of the shorter wall, and the bars in between neither block it nor take up room, so the bars at "
            "positions i < j hold (j − i) × min(height i, height j) units of water. What is the most water a "
            "single container can hold?")
        if modality == "image":
            state = ("The picture is a bar chart of the heights: the bars touch, each has its position number "
                     "under it and its height written on top, and a long row wraps onto the next row like text; "
                     "the vertical axis starts at 0.")
        else:
            state = ("The heights are given below as a JSON object: its list \"heights\" holds one whole number "
                     f"per bar, in order from position 0 to position {len(heights) - 1}.\n"
                     + json.dumps({"heights": heights}))
        return (f"{rules}\n{state}\nAnswer with a single whole number, the largest amount of water.")

    def render(self, puzzle: Puzzle, state: State | None = None, size: int = 512) -> Image.Image:
        return _render(puzzle.data["heights"], state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> State:
        return (0, len(puzzle.data["heights"]) - 1, -1, -1)

    def apply(self, puzzle: Puzzle, state: State, move: str) -> State:
        command = normalize_command(move)
        n = len(puzzle.data["heights"])
        left, right, i, j = state
        if command == "keep":
            return (left, right, left, right)
        match = _ADVANCE.match(command)
        if match:
            if left + 1 >= right:
                raise InvalidMove(f"the pointers are at neighbouring bars {left} and {right}; neither can advance")
            return (left + 1, right, i, j) if match.group(1) == "left" else (left, right - 1, i, j)
        match = _PICK.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `pick I J` (positions 0 to {n - 1}), "
                              "`advance left`, `advance right`, `keep` or `submit`")
        a, b = int(match.group(1)), int(match.group(2))
        for pos in (a, b):
            if pos >= n:
                raise InvalidMove(f"there is no bar at position {pos}; the positions are 0 to {n - 1}")
        if a == b:
            raise InvalidMove("a container needs two different bars")
        return (left, right, min(a, b), max(a, b))

    def state_text(self, puzzle: Puzzle, state: State) -> str:
        h = puzzle.data["heights"]
        left, right, i, j = state
        chosen = (f"bars {i} (height {h[i]}) and {j} (height {h[j]})" if i >= 0 else "nothing yet")
        return "\n".join([json.dumps({"heights": h}),
                          f"pointers: left at {left} (height {h[left]}), right at {right} (height {h[right]})",
                          f"chosen walls: {chosen}"])

    def is_solved(self, puzzle: Puzzle, state: State) -> bool:
        return False  # a choice ends by `submit`: ending it by itself would tell that it is the best

    def moves(self, puzzle: Puzzle, state: State) -> list[str] | None:
        return None  # every pair can be picked: quadratic in the bars

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["heights"])
        picks = [f"pick {i} {j}" for i in range(n) for j in range(i + 1, n)]
        return ["advance left", "advance right", "keep", *picks, "submit"]

    def state_answer(self, puzzle: Puzzle, state: State) -> str:
        if state[2] < 0:
            raise InvalidMove("no walls chosen yet; use `pick I J`, or `keep` for the bars under the pointers")
        return str(area(puzzle.data["heights"], state[2], state[3]))

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["heights"]) + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        bar = layout(puzzle.data["heights"], size).index_at(x, y)
        return None if bar is None else (0, bar)

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,  # an int, as the official rows
                                initial_state={"heights": list(puzzle.data["heights"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        heights = int_list_from_record(record, "heights", self.name, min_len=2)
        return self.puzzle(self.record_level(record), {"heights": list(heights)}, seed=self.record_seed(record))


# ---- drawing -----------------------------------------------------------------------------------------------
def layout(heights: list[int], size: int) -> SeriesChart:
    """Touching bars on a value scale, a line under the positions for the L/R pointers."""
    return SeriesChart(heights, size, gap=0, captions=1, under=1, ticks=True, max_rows=4, min_plot=0.17)


def _render(heights: list[int], state: State | None, size: int) -> Image.Image:
    chart = layout(heights, size)
    image, pen = chart.canvas()
    chart.axes(pen)
    chosen = set(state[2:]) if state and state[2] >= 0 else set()
    if chosen:  # the water between the walls, up to the shorter one, from centre to centre, row by row
        i, j = state[2], state[3]
        for box in chart.run_boxes(i, j, min(heights[i], heights[j]), centres=True):
            pen.rectangle(box, fill=WATER)
    chart.bars(pen, BAR, draw.WHITE, fills=dict.fromkeys(chosen, draw.ENTERED))
    chart.value_labels(pen, colors=dict.fromkeys(chosen, draw.ENTERED))
    chart.index_labels(pen)
    if state is None:
        chart.caption(pen, 0, "Bar heights (bar positions under the axis)")
        return image
    left, right = state[0], state[1]
    chart.under_labels(pen, {left: "L", right: "R"})
    walls = f"walls: bars {state[2]} and {state[3]}" if chosen else "walls: none chosen"
    chart.caption(pen, 0, f"pointers: L at {left}, R at {right}; {walls}", draw.ENTERED)
    return image
