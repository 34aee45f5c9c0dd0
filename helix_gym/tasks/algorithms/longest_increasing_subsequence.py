"""Longest Increasing Subsequence (MM-HELIX `longest_increasing_subsequence`): the length of the longest
subsequence (indices increasing, not necessarily adjacent) whose values strictly increase.

The official record holds `initial_state = {"sequence": [...]}` and the length as an int. Only the length is
accepted (as the public judge does); `12.0`, `$12$` and `12 units` are read as 12.

Step mode builds one increasing chain, left to right:
- `take i` appends index i (0-based); legal only if i lies right of the last index taken and a[i] is strictly
  larger than the last value taken (`pick i` is the same);
- `drop` (alias `back`) removes the last index of the chain;
- `submit` answers with the chain's length (right iff it is the longest possible); `answer L` answers L.
The env adds `undo` and `restart`. The episode never ends by itself: reaching the maximum length is only
known on `submit`, so feedback never tells that a chain is already the longest.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart, fit_caption
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import normalize_command, parse_ints, parse_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> ((min length, max length), (min value, max value)), the official ranges
LADDER: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {
    1: ((5, 10), (1, 20)),
    2: ((10, 20), (1, 40)),
    3: ((20, 30), (1, 60)),
    4: ((30, 40), (1, 80)),
    5: ((40, 70), (1, 100)),
}
MAX_ANSWER_CHARS = 4000
_TAKE = re.compile(r"^(?:take|pick|add|choose)(?: index)? #?(\d+)$")
_DROP = ("drop", "back", "pop")

BACKGROUND = draw.WHITE
LINE_GREY = (168, 168, 168)
VALUE_RED = (200, 30, 30)
INDEX_GREY = (110, 110, 110)
PANEL_TINT = (247, 247, 250)


# ---- the algorithm -----------------------------------------------------------------------------------
def lis_length(seq: list[int]) -> int:
    """Patience sorting: tails[k] is the smallest last value of a strictly increasing run of length k+1."""
    tails: list[int] = []
    for v in seq:
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
        else:
            tails[k] = v
    return len(tails)


def lis_table(seq: list[int]) -> tuple[list[int], list[int]]:
    """The quadratic DP the trace explains: L[i] = the longest chain ending at i, pred[i] its previous index
    (the leftmost best one; -1 at a chain's start)."""
    best, pred = [], []
    for i, v in enumerate(seq):
        length, link = 1, -1
        for j in range(i):
            if seq[j] < v and best[j] + 1 > length:
                length, link = best[j] + 1, j
        best.append(length)
        pred.append(link)
    return best, pred


def lis_chain(seq: list[int]) -> list[int]:
    """The indices of one longest strictly increasing subsequence (ending at the leftmost index with max L)."""
    if not seq:
        return []
    best, pred = lis_table(seq)
    i = best.index(max(best))
    chain = []
    while i >= 0:
        chain.append(i)
        i = pred[i]
    return chain[::-1]


def _state_json(seq: list[int]) -> str:
    return json.dumps({"sequence": list(seq)})


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class LongestIncreasingSubsequence(Task):
    """Length of the longest strictly increasing subsequence.

    Step grammar (the env adds undo, restart, submit, answer <L>):
      take i     append index i (0-based) to the chain: i must be right of the last index taken and a[i]
                 strictly larger than the last value taken (also `pick i`)
      drop       remove the last index of the chain (also `back`)
      submit     answer with the chain's length
    """

    name = "LongestIncreasingSubsequence"
    key = "longest_increasing_subsequence"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "take i: add the value at index i (0-based) to the end of your chain; i must be to the right of the last "
        "index taken and its value strictly larger than the last value taken\n"
        "drop: remove the last value from the chain (also `back`)\n"
        "submit: answer with the length of your chain"
    )
    answer_help = "one integer: the length of the longest strictly increasing subsequence"
    key_commands: ClassVar[dict[str, str]] = {"backspace": "drop", "delete": "drop"}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        (n_lo, n_hi), (v_lo, v_hi) = LADDER[level]
        n = int(rng.integers(n_lo, n_hi + 1))
        seq = [int(v) for v in rng.integers(v_lo, v_hi + 1, size=n)]
        return self.puzzle(level, {"sequence": seq})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(lis_length(puzzle.data["sequence"]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"take {i}" for i in lis_chain(puzzle.data["sequence"])] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        seq = puzzle.data["sequence"]
        events = [TraceEvent("read", note=(
            f"A sequence of {len(seq)} values, indices 0 to {len(seq) - 1}; find the length of the longest "
            "subsequence whose values strictly increase. For each index i, L[i] = the length of the longest such "
            "chain that ends at i: 1 + the largest L[j] over earlier indices j with a smaller value."),
            state_text=_state_json(seq))]
        best, pred = lis_table(seq)
        for i, v in enumerate(seq):
            j = pred[i]
            if j < 0:
                note = f"a[{i}] = {v}: no earlier value is smaller than {v}, so L[{i}] = 1 (a chain starts here)."
            else:
                note = (f"a[{i}] = {v}: the longest chain through a smaller earlier value ends at index {j} "
                        f"(a[{j}] = {seq[j]}, L[{j}] = {best[j]}), so L[{i}] = {best[i]}.")
            events.append(TraceEvent("deduce", move=f"L[{i}] = {best[i]}", note=note,
                                     state_text="L = " + json.dumps(best[:i + 1])))
        chain = lis_chain(seq)
        top = len(chain)
        values = [seq[i] for i in chain]
        events.append(TraceEvent("check", note=(
            f"The largest L is {top}, first reached at index {chain[-1] if chain else 0}. Following the links back "
            f"gives indices {chain} with values {' < '.join(map(str, values))}: strictly increasing, length {top}. "
            f"No index has L above {top}, so no longer chain exists.")))
        events.append(TraceEvent("answer", move=str(top), note=f"The longest strictly increasing subsequence has "
                                                              f"length {top}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            text = str(answer)
            if len(text) > MAX_ANSWER_CHARS:
                return Verdict.wrong("the answer is too long: expected one number, the length")
            return self._judge(puzzle.data["sequence"], text, parse_number(text))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the length of the longest increasing subsequence")

    @staticmethod
    def _judge(seq: list[int], text: str, value: Fraction | None) -> Verdict:
        """Compare one number with the LIS length; say what is wrong without telling the length."""
        if value is None:
            if len(parse_ints(text)) > 1:
                return Verdict.wrong("expected one number, the length of the longest strictly increasing "
                                     "subsequence, not several numbers (do not list the subsequence)")
            return Verdict.wrong("expected exactly one number, the length of the longest strictly increasing "
                                 "subsequence")
        best = lis_length(seq)
        if value == best:
            return Verdict.ok(parsed=int(value))
        if value.denominator != 1:
            return Verdict.wrong("the answer is not a whole number, but a length counts values", parsed=str(value))
        value_int = int(value)
        n = len(seq)
        if value_int <= 0:
            return Verdict.wrong(f"{value_int} is not positive, but any single value is an increasing subsequence "
                                 "of length 1", parsed=value_int)
        if value_int > n:
            return Verdict.wrong(f"the sequence has only {n} values, so no subsequence has length {value_int}",
                                 parsed=value_int)
        if value_int > best:
            return Verdict.wrong(f"no strictly increasing subsequence is as long as {value_int}", parsed=value_int)
        return Verdict.wrong(f"{value_int} is not the longest: a longer strictly increasing subsequence exists",
                             parsed=value_int)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return str(int(rng.integers(1, len(puzzle.data["sequence"]) + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        seq = puzzle.data["sequence"]
        rules = ("A subsequence keeps some of the values in their original left-to-right order; they need not be "
                 "next to each other. Find the longest subsequence in which every value is strictly larger than "
                 "the one before it (equal values do not count as increasing).")
        ask = "Answer with the length of that subsequence as a single integer (not the subsequence itself)."
        if modality == "image":
            wrap = ", wrapped onto rows read top to bottom" if layout(seq, 512).rows > 1 else ""
            where = (f"The picture is a line chart of {len(seq)} numbers (left to right{wrap}): each value in red "
                     "above its point, its index (from 0) in grey below.")
        else:
            by_index = ", ".join(f"a[{i}]={v}" for i, v in enumerate(seq))
            where = (f"A sequence of {len(seq)} whole numbers, from left to right: {_state_json(seq)}\n"
                     f"The same values by index (from 0): {by_index}")
        return f"{where}\n{rules}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        return _render(puzzle.data["sequence"], state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        if command in _DROP:
            if not state:
                raise InvalidMove("the chain is empty; nothing to drop")
            return state[:-1]
        match = _TAKE.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `take i` (i an index, from 0), `drop` "
                              "or `submit`")
        seq = puzzle.data["sequence"]
        i = int(match.group(1))
        if i >= len(seq):
            raise InvalidMove(f"there is no index {i}; indices run from 0 to {len(seq) - 1}")
        if state:
            last = state[-1]
            if i <= last:
                raise InvalidMove(f"index {i} is not to the right of the last index taken ({last})")
            if seq[i] <= seq[last]:
                raise InvalidMove(f"a[{i}] = {seq[i]} is not larger than the last value taken "
                                  f"(a[{last}] = {seq[last]}); the values must strictly increase")
        return (*state, i)

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        seq = puzzle.data["sequence"]
        values = [seq[i] for i in state]
        return (f"{_state_json(seq)}\nchain indices: {list(state)}\nchain values: {values}\n"
                f"chain length: {len(state)}")

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # only `submit` ends it: ending by itself would tell that the chain is the longest

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        seq = puzzle.data["sequence"]
        start = state[-1] + 1 if state else 0
        floor = seq[state[-1]] if state else -math.inf
        out = [f"take {i}" for i in range(start, len(seq)) if seq[i] > floor]
        return [*out, "drop", "submit"] if state else [*out, "submit"]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return [f"take {i}" for i in range(len(puzzle.data["sequence"]))] + ["drop", "submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        return str(len(state))

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["sequence"]) + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        i = layout(puzzle.data["sequence"], size).index_at(x, y)
        return None if i is None else (0, i)

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """Any key on a point takes it; backspace or delete drops the last one."""
        if str(key).lower() in ("backspace", "delete"):
            return "drop" if state else None
        return f"take {cell[1]}"

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        seq = list(puzzle.data["sequence"])
        return self.base_record(puzzle, index=f"{self.key}_difficulty_{puzzle.level}_{puzzle.fingerprint}",
                                answer=lis_length(seq), difficulty=puzzle.level, initial_state={"sequence": seq})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        seq = int_list_from_record(record, "sequence", self.name, low=None)
        return self.puzzle(self.record_level(record), {"sequence": seq}, seed=self.record_seed(record))


# ---- drawing -----------------------------------------------------------------------------------------------
def layout(seq: list[int], size: int) -> SeriesChart:
    """Points; two caption lines (the title and the step-mode chain)."""
    return SeriesChart(seq, size, points=True, captions=2, max_rows=4)


def _render(seq: list[int], state: tuple[int, ...] | None, size: int) -> Image.Image:
    chart = layout(seq, size)
    image, pen = chart.canvas(BACKGROUND)
    chart.panels(pen, PANEL_TINT)
    chart.axes(pen, LINE_GREY)
    line_w = max(1, round(chart.slot / 24))
    chart.line(pen, range(len(seq)), LINE_GREY, line_w)
    if state:
        chart.line(pen, state, draw.ENTERED, line_w * 2)
    taken = set(state or ())
    chart.markers(pen, draw.WHITE, draw.BLACK, fills=dict.fromkeys(taken, draw.ENTERED), enlarged=taken,
                  width=max(1, round(chart.radius / 3)))
    chart.value_labels(pen, VALUE_RED, box=PANEL_TINT)
    chart.index_labels(pen, INDEX_GREY, colors=dict.fromkeys(taken, draw.ENTERED))
    chart.caption(pen, 0, f"{len(seq)} values: value above each point (red), index below (grey)")
    if state is not None:
        values = [str(seq[i]) for i in state]
        prefix = f"chain ({len(values)}): "
        text, font = (fit_caption(values, prefix, "", size * 0.95, round(size / 30), sep=" < ") if values
                      else (prefix + "empty - take a first value", None))
        chart.caption(pen, 1, text, draw.ENTERED, font)
    return image
