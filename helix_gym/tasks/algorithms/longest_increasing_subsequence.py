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

import ast
import bisect
import json
import math
import re
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import normalize_command, parse_ints, parse_number
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
PER_ROW = 18  # the picture wraps the sequence into rows of at most this many points
MAX_ANSWER_CHARS = 4000
_TAKE = re.compile(r"^(?:take|pick|add|choose)(?: index)? #?(\d+)$")
_DROP = ("drop", "back", "pop")
_LIST = re.compile(r"\[\s*-?\d+(?:\s*,\s*-?\d+)*\s*\]")

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


def _decode_state(raw: Any) -> Any:
    """initial_state as the public judge reads it: JSON, else a Python literal (never code), else the text."""
    if not isinstance(raw, str):
        return raw
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return raw


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
            rows = _layout_rows(len(seq))
            wrap = f" in {rows} rows, top to bottom" if rows > 1 else ""
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
        layout = _Layout(puzzle.data["sequence"], size)
        for i in range(len(puzzle.data["sequence"])):
            px, top, bottom = layout.column(i)
            if abs(x - px) <= layout.spacing / 2 and top <= y <= bottom:
                return (0, i)
        return None

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """Any key on a point takes it; backspace or delete drops the last one."""
        if str(key).lower() in ("backspace", "delete"):
            return "drop" if state else None
        return f"take {cell[1]}"

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        seq = list(puzzle.data["sequence"])
        record: dict[str, Any] = {
            "index": f"{self.key}_difficulty_{puzzle.level}_{puzzle.fingerprint}",
            "category": self.key,
            "question": self.prompt(puzzle, "image"),
            "question_language": self.prompt(puzzle, "text"),
            "answer": lis_length(seq),
            "initial_state": {"sequence": seq},
            "difficulty": puzzle.level,
        }
        if puzzle.seed is not None:
            record["seed"] = puzzle.seed
        return record

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = _decode_state(record.get("initial_state"))
        seq = state.get("sequence") if isinstance(state, dict) else state
        if not isinstance(seq, list):
            match = _LIST.search(str(record.get("question_language") or ""))
            seq = json.loads(match.group(0)) if match else None
        if (not isinstance(seq, list) or not seq
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in seq)):
            raise RecordError(f"{self.name}: expected a non-empty list of whole numbers, got {seq!r}")
        seed = record.get("seed")
        return self.puzzle(self.record_level(record), {"sequence": [int(v) for v in seq]},
                           seed=int(seed) if seed is not None else None)


# ---- drawing -----------------------------------------------------------------------------------------------
def _layout_rows(n: int) -> int:
    return max(1, math.ceil(n / PER_ROW))


class _Layout:
    """Where each point goes: the sequence wrapped into rows (panels) sharing one value scale.

    A band on top holds the title and, in step mode, the chain; each panel has room for the value labels
    above its highest point and for the index labels under its baseline."""

    def __init__(self, seq: list[int], size: int) -> None:
        n = len(seq)
        self.size = size
        self.rows = _layout_rows(n)
        self.per_row = math.ceil(n / self.rows)
        self.band = round(size * 0.12)
        self.margin = size * 0.03
        self.spacing = (size - 2 * self.margin) / self.per_row
        self.panel_h = (size - self.band - self.margin) / self.rows
        longest = max(len(str(v)) for v in seq)
        widest = max((str(v) for v in set(seq) if len(str(v)) == longest), key=lambda t: draw.text_size(t, 20)[0])
        self.value_fs = draw.fit_font_size(widest, self.spacing * 0.82, self.panel_h * 0.16, round(size / 18))
        self.index_fs = draw.fit_font_size(str(n - 1), self.spacing * 0.72, self.panel_h * 0.13,
                                           min(round(size / 24), self.value_fs))
        self.radius = max(3.0, min(self.spacing * 0.2, self.panel_h * 0.05, size / 60))
        self.vmin, self.vmax = min(seq), max(seq)

    def panel(self, row: int) -> tuple[float, float, float]:
        """(top, plot top, plot bottom) of a row's panel."""
        top = self.band + row * self.panel_h
        plot_top = top + self.value_fs * 1.5 + self.radius + 4
        plot_bottom = top + self.panel_h - self.index_fs * 1.6 - self.radius - 4
        return top, plot_top, plot_bottom

    def x(self, i: int) -> float:
        return self.margin + (i % self.per_row + 0.5) * self.spacing

    def point(self, i: int, value: int) -> tuple[float, float]:
        _, plot_top, plot_bottom = self.panel(i // self.per_row)
        span = self.vmax - self.vmin
        frac = 0.5 if span == 0 else (value - self.vmin) / span
        return self.x(i), plot_bottom - frac * (plot_bottom - plot_top)

    def column(self, i: int) -> tuple[float, float, float]:
        """(x, top, bottom) of the strip of the picture that belongs to point i (for clicks)."""
        top = self.band + (i // self.per_row) * self.panel_h
        return self.x(i), top, top + self.panel_h


def _render(seq: list[int], state: tuple[int, ...] | None, size: int) -> Image.Image:
    layout = _Layout(seq, size)
    image = Image.new("RGB", (size, size), BACKGROUND)
    pen = ImageDraw.Draw(image)
    chosen = set(state or ())
    points = [layout.point(i, v) for i, v in enumerate(seq)]
    line_w = max(1, round(min(layout.spacing, layout.panel_h) / 40))
    for row in range(layout.rows):
        top, _, plot_bottom = layout.panel(row)
        pen.rectangle((round(layout.margin), round(top + 2), round(size - layout.margin),
                       round(top + layout.panel_h - 2)), fill=PANEL_TINT)
        base = plot_bottom + layout.radius + 2
        pen.line((round(layout.margin), round(base), round(size - layout.margin), round(base)), fill=LINE_GREY)
        lo, hi = row * layout.per_row, min(len(seq), (row + 1) * layout.per_row)
        if hi - lo > 1:
            pen.line([(round(x), round(y)) for x, y in points[lo:hi]], fill=LINE_GREY, width=line_w)
    if state:  # the chain, segment by segment within a row
        for a, b in pairwise(state):
            if a // layout.per_row == b // layout.per_row:
                (x0, y0), (x1, y1) = points[a], points[b]
                pen.line((round(x0), round(y0), round(x1), round(y1)), fill=draw.ENTERED, width=line_w * 2)
    rad = layout.radius
    widths = {k: draw.text_size("0" * k, layout.value_fs)[0] for k in {len(str(v)) for v in seq}}
    for i, ((x, y), v) in enumerate(zip(points, seq)):
        taken = i in chosen
        r = rad * 1.35 if taken else rad
        fill = draw.ENTERED if taken else draw.WHITE
        pen.ellipse((round(x - r), round(y - r), round(x + r), round(y + r)), fill=fill, outline=draw.BLACK,
                    width=max(1, round(rad / 3)))
        text = str(v)
        w = widths[len(text)]
        pen.rectangle((round(x - w / 2 - 1), round(y - r - 2 - layout.value_fs * 0.8), round(x + w / 2 + 1),
                       round(y - r - 2)), fill=PANEL_TINT)  # keeps lines from running through the label
        draw.draw_text(pen, (x, y - r - 2), text, layout.value_fs, VALUE_RED, anchor="md")
        _, _, plot_bottom = layout.panel(i // layout.per_row)
        draw.draw_text(pen, (x, plot_bottom + rad + 4), str(i), layout.index_fs,
                       draw.ENTERED if taken else INDEX_GREY, anchor="ma")
    title = f"{len(seq)} values: value above each point (red), index below (grey)"
    line_h = layout.band / 2
    draw.draw_text(pen, (size / 2, line_h * 0.55), title,
                   draw.fit_font_size(title, size * 0.95, line_h * 0.8, round(size / 30)))
    if state is not None:
        caption = _chain_caption([seq[i] for i in state], size * 0.95, round(size / 30))
        draw.draw_text(pen, (size / 2, line_h * 1.45), caption,
                       draw.fit_font_size(caption, size * 0.95, line_h * 0.8, round(size / 30)), draw.ENTERED)
    return image


def _chain_caption(values: list[int], width: float, font_size: int) -> str:
    """`chain (3): 2 < 5 < 9`, dropping the oldest values while it is too wide (ASCII only: the kit's font)."""
    if not values:
        return "chain (0): empty - take a first value"
    shown = list(map(str, values))
    for skip in range(len(shown)):
        text = f"chain ({len(values)}): " + " < ".join((["..."] if skip else []) + shown[skip:])
        if draw.text_size(text, font_size)[0] <= width:
            return text
    return f"chain ({len(values)}): ... < {shown[-1]}"
