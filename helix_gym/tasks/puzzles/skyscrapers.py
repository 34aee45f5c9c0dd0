"""Skyscrapers (MM-HELIX key `Skyscrapers`): a Latin square of building heights seen from the four sides.

Step grammar (1-based `row column`):
    place R C V   build height V (1..n) on the empty cell at row R, column C (`R C V` alone also works)
    erase R C     clear your entry at row R, column C

Generation: n = level + 2 and all 4n clues, as in the official ladder, read off a random Latin square. With
every clue shown, most official instances of size 6 and 7 still have several solutions (28/30 at level 5;
ours too: a four-cell swap of two heights is often invisible from outside), so the generator adds given
heights that the solver's second solution contradicts until the solution is unique, then drops the givens
that later ones made redundant. The record's initial_state then carries them in an extra `grid` field (0 =
empty), which official rows never have. The verifier checks the rules, so every valid grid is accepted.

Records: the official rows have no `difficulty` field; the level is in the index (`Skyscrapers_difficulty5_1`),
the answer is a list of lists and the initial_state a dict.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks, Table
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import (
    Board,
    GridTask,
    bad_values,
    changed_givens,
    random_latin_square,
    repeats,
    to_rows,
)
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

SIDES = ("top", "bottom", "left", "right")
MARGIN = (1.0, 1.0, 1.0, 1.0)  # a one-cell band for the clues on every side
CLUE_INK = (200, 50, 40)
BAND = (243, 238, 228)
_LEVEL_IN_INDEX = re.compile(r"difficulty[_\s-]*(\d+)", re.I)


def visible(line: Sequence[int]) -> int:
    """How many buildings of `line` are seen from its start: each one taller than all before it."""
    top = seen = 0
    for h in line:
        if h > top:
            top, seen = h, seen + 1
    return seen


@lru_cache(maxsize=16)
def _permutations(n: int) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """Every permutation of 1..n with the counts seen from its start and from its end."""
    return tuple((p, visible(p), visible(p[::-1])) for p in itertools.permutations(range(1, n + 1)))


@lru_cache(maxsize=256)
def line_table(n: int, first: int, last: int) -> Table:
    """The lines of 1..n that show `first` buildings from the start and `last` from the end (0 = no clue)."""
    return Table(p for p, a, b in _permutations(n) if (not first or a == first) and (not last or b == last))


def _lines(n: int, d: dict[str, Any]) -> list[tuple[str, list[int], int, int]]:
    """Every row and column with its clues: (name, cells in view order from the first clue, first, last)."""
    out = [(f"row {r + 1}", [r * n + c for c in range(n)], d["left"][r], d["right"][r]) for r in range(n)]
    out += [(f"column {c + 1}", [r * n + c for r in range(n)], d["top"][c], d["bottom"][c]) for c in range(n)]
    return out


def _clues(sol: Sequence[int], n: int) -> dict[str, list[int]]:
    rows = to_rows(list(sol), n)
    cols = [[rows[r][c] for r in range(n)] for c in range(n)]
    return {"top": [visible(c) for c in cols], "bottom": [visible(c[::-1]) for c in cols],
            "left": [visible(r) for r in rows], "right": [visible(r[::-1]) for r in rows]}


def _clue_names(name: str, first: int, last: int, row: bool) -> str:
    ends = ("left", "right") if row else ("top", "bottom")
    parts = [f"{k} seen from the {e}" for k, e in zip((first, last), ends) if k]
    return f"the clues of {name} ({' and '.join(parts)})"


def _model(n: int, d: dict[str, Any], board: Board) -> Csp:
    """The rules as a Csp: the givens, and per line either the table of the permutations its clues allow or,
    for a line without clues, all-different."""
    csp = Csp.uniform(n * n, range(1, n + 1))
    for i, (v, f) in enumerate(zip(board.start, board.fixed)):
        if f:
            csp.assign(i, v)
    for name, cells, first, last in _lines(n, d):
        if first or last:
            csp.table(cells, line_table(n, first, last), _clue_names(name, first, last, name.startswith("row")))
        else:
            csp.all_different(cells, f"{name} holds each height once")
    return csp


def _board(n: int, givens: Sequence[int]) -> Board:
    return Board(n, n, givens, verbs={"place": None, "erase": 0}, values=range(1, n + 1), base=1, margin=MARGIN)


@register_task
class Skyscrapers(GridTask):
    """Skyscrapers; see the module docstring for the step grammar."""

    name = "Skyscrapers"
    key = "Skyscrapers"
    category = "puzzles"
    # SERG: clue tables with candidate lists solve most grids outright; see QuickChecks
    trace_quick = QuickChecks(pencil=False)
    score_function = "skyscrapers_evaluator"
    step_help = (
        "place R C V: build height V on the empty cell at row R, column C (1-based from the top left; `R C V` "
        "alone also works)\n"
        "erase R C: clear your entry at row R, column C"
    )
    answer_help = "the heights as a 2-D list of integers, row by row: [[1, 2, 3], [3, 1, 2], [2, 3, 1]]"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        sol = random_latin_square(n, rng)
        clues = {"n": n, **_clues(sol, n)}
        givens = [0] * (n * n)
        added = _model(n, clues, _board(n, givens)).pin_until_unique(sol, rng)  # until only `sol` is left
        for i in added:
            givens[i] = sol[i]
        for i in added[:-1]:  # drop givens that the later ones made redundant
            givens[i] = 0
            if _model(n, clues, _board(n, givens)).count_solutions(2) != 1:
                givens[i] = sol[i]
        data = {**clues, "givens": to_rows(givens, n), "solution": to_rows(list(sol), n)}
        return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        d = puzzle.data
        return _board(d["n"], [v for row in d["givens"] for v in row])

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n = b.rows
        out = (bad_values(b, grid) if complete else []) + changed_givens(b, grid) + repeats(grid, b.lines())
        ok = set(range(1, n + 1))
        for name, cells, first, last in _lines(n, puzzle.data):
            line = [grid[i] for i in cells]
            if not all(type(v) is int and v in ok for v in line):
                continue
            ends = ("left", "right") if name.startswith("row") else ("top", "bottom")
            for clue, seq, end in ((first, line, ends[0]), (last, line[::-1], ends[1])):
                got = visible(seq)
                if clue and got != clue:
                    out.append(f"looking from the {end} of {name}, {got} building{'s are' if got != 1 else ' is'} "
                               f"visible, but the clue says {clue}")
        return out

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official text layout: top clues, then each row between its left and right clue, then the bottom
        clues; `.` is an empty cell and `-` a missing clue."""
        d = puzzle.data
        n = d["n"]

        def clue(k: int) -> str:
            return str(k) if k else "-"

        lines = ["  " + " ".join(clue(k) for k in d["top"])]
        for r in range(n):
            cells = " ".join(str(v) if v else "." for v in grid[r * n:(r + 1) * n])
            lines.append(f"{clue(d['left'][r])} {cells} {clue(d['right'][r])}")
        lines.append("  " + " ".join(clue(k) for k in d["bottom"]))
        return "\n".join(lines)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data["n"], puzzle.data, self.board(puzzle))

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["n"]
        clues = sum(1 for side in SIDES for k in puzzle.data[side] if k)
        givens = sum(self.board(puzzle).fixed)
        extra = f" and {givens} given height{'s' if givens != 1 else ''}" if givens else ""
        return (f"{n}x{n} Skyscrapers with {clues} view clues{extra}; every row and column holds the heights 1-{n} "
                "once and each clue counts the buildings seen from its side")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every row and column holds each height once and every clue sees the right number of buildings"

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: place a building of height 1 to {n} on every cell of the {n}×{n} grid so that every row "
                "and every column contains each height exactly once. A number outside the grid says how many "
                "buildings you see when you look along that row or column from that side: a building is seen "
                "when it is taller than every building in front of it, so taller buildings hide lower ones "
                "behind them.")

    def _format(self, n: int) -> str:
        return (f"Answer format: the heights as a 2-D list of integers, one inner list per row from top to bottom, "
                f"e.g. [[1, 2, 3], [3, 1, 2], [2, 3, 1]] for a 3×3 grid; yours has {n} rows of {n}.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["n"]
        givens = any(self.board(puzzle).fixed)
        if modality == "text":
            state = ("The grid with its clues: the first line holds the clues above the columns, the last line the "
                     "clues below them, and each row is written between its left and right clue. `.` is an empty "
                     "cell" + (", a digit inside the grid is a given height that stays" if givens else "")
                     + " and `-` means no clue.\n\n" + self.grid_text(puzzle, self.board(puzzle).start))
            return f"Solve this Skyscrapers puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"
        state = (f"The picture shows the {n}×{n} grid; the red numbers around it are the clues for the row or column "
                 f"they face. Rows are counted 1 to {n} from the top and columns 1 to {n} from the left.")
        if givens:
            state += " Dark numbers inside the grid are given heights that stay."
        return f"Solve the Skyscrapers puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        n = d["n"]
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=BAND)
        canvas.grid_lines(draw.GRID_LINE, 0.025)
        canvas.frame(draw.BLACK, 0.05)
        for side in SIDES:
            for k, clue in enumerate(d[side]):
                if clue:
                    canvas.label(side, k, str(clue), CLUE_INK, scale=0.5)
        self.draw_values(canvas, puzzle, state, scale=0.55)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state: dict[str, Any] = {"n": d["n"], **{side: d[side] for side in SIDES}}
        if any(v for row in d["givens"] for v in row):
            state["grid"] = d["givens"]
        record = self.base_record(puzzle, index=f"Skyscrapers_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                  answer=d["solution"], initial_state=state)
        record.pop("difficulty", None)  # the official rows carry the level only in the index
        return record

    def record_level(self, record: dict[str, Any]) -> int:
        """The level from `difficulty`/`level` where present, else from the index, else from the size."""
        if "difficulty" in record or "level" in record:
            return super().record_level(record)
        found = _LEVEL_IN_INDEX.search(str(record.get("index", "")))
        if found:
            return int(found.group(1))
        state = decode_value(record.get("initial_state"))
        return max(1, int(state.get("n", 3)) - 2) if isinstance(state, dict) else 1

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            n = int(state["n"])
            clues = {side: [int(k or 0) for k in state[side]] for side in SIDES}
            grid = state.get("grid") or [[0] * n for _ in range(n)]
            givens = [[int(v or 0) for v in row] for row in grid]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Skyscrapers: unreadable initial_state ({exc})") from exc
        if not 2 <= n <= 9 or any(len(v) != n or not all(0 <= k <= n for k in v) for v in [*clues.values(), *givens]):
            raise RecordError("Skyscrapers: clues or grid do not match the size")
        return self.record_puzzle(record, {"n": n, **clues, "givens": givens}, record.get("answer"))
