"""Kakuro (MM-HELIX key `kakuro`): digits 1-9 in the white cells so that every clued run adds up to its clue.

Step grammar (0-based `row column`, as the official answer counts cells):
    place R C V   write digit V (1-9) in the white cell at row R, column C (`R C V` alone also works)
    erase R C     clear your entry at row R, column C

Rules: a black cell may carry a "right" clue, a "down" clue or both; the maximal run of white cells directly
to its right (or below it) must add up to the clue and must not repeat a digit. Black cells take no digit.
As in the official instances, runs may be one cell long (the clue is the digit), and a run that starts at the
top or left edge of the grid has no clue in that direction and so no sum and no no-repeat rule. The official
judge compares the answer with the stored one; this verifier checks the rules, and our instances are unique
(checked by the solver; the official ones are unique in practice, 150/150 measured).

Generation follows the official recipe: an n×n grid (n = level + 2) whose cells other than (0,0) are white
with the level's probability; a row-major pass blackens every white cell whose upper and left neighbours are
both non-black (white or outside), so each white cell starts a clued run; digits are a random filling with no
repeat inside a clued run; the clues are the run sums. A layout whose clues admit a second filling is drawn
again.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, Table, mask
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import AnswerError, Board, GridTask, parse_grid, to_rows
from helix_gym.core.parse import clean_latex
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

WHITE_SHARE = {1: 0.48, 2: 0.56, 3: 0.62, 4: 0.68, 5: 0.74}
MAX_N = 12
TABLE_MAX_LEN = 5  # longer runs use sum + all-different propagators instead of a permutation table
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 0-based coordinates on the left and on top
BLACK_CELL = (57, 62, 70)
WHITE_CELL = (244, 244, 244)
CLUE_INK = (255, 211, 105)
DIAGONAL = (150, 155, 165)
_ITEM = re.compile(r"[(\[]\s*(-?\d+)\s*[,;\s]\s*(-?\d+)\s*[)\]]\s*(?::|=|->|→|is)?\s*(-?\d+(?:\.\d+)?)")
_BLACK_SPELLINGS = {"#": 0, "x": 0, "*": 0, "-": 0, "_": 0, ".": 0, "■": 0, "b": 0, "black": 0}
DIRS = {"right": (0, 1), "down": (1, 0)}


# ---- runs and sums ---------------------------------------------------------------------------------------
def runs(cells: Sequence[Sequence[dict[str, Any]]]) -> list[tuple[int, str, int, list[int]]]:
    """Every clued run: (clue cell, direction, clue, white cells after it), cells as row-major indices."""
    n = len(cells)
    out = []
    for r in range(n):
        for c in range(n):
            q = cells[r][c]
            if q.get("type") != "black":
                continue
            for way, (dr, dc) in DIRS.items():
                if q.get(way) is None:
                    continue
                run, rr, cc = [], r + dr, c + dc
                while rr < n and cc < n and cells[rr][cc].get("type") != "black":
                    run.append(rr * n + cc)
                    rr, cc = rr + dr, cc + dc
                out.append((r * n + c, way, int(q[way]), run))
    return out


@lru_cache(maxsize=8)
def _combinations(length: int) -> dict[int, list[tuple[int, ...]]]:
    """The sets of `length` different digits 1-9, by their sum."""
    out: dict[int, list[tuple[int, ...]]] = {}
    for combo in itertools.combinations(range(1, 10), length):
        out.setdefault(sum(combo), []).append(combo)
    return out


@lru_cache(maxsize=512)
def sum_table(length: int, total: int) -> Table:
    """The runs of `length` different digits that add up to `total` (every order)."""
    return Table([p for combo in _combinations(length).get(total, []) for p in itertools.permutations(combo)])


def _model(n: int, cells: Sequence[Sequence[dict[str, Any]]]) -> Csp:
    """The rules as a Csp over all cells (black ones fixed at 0): one table per clued run, or sum and
    all-different for a long one."""
    csp = Csp([mask([0]) if cells[i // n][i % n].get("type") == "black" else mask(range(1, 10))
               for i in range(n * n)])
    for at, way, total, run in runs(cells):
        name = f"the {way} clue {total} at ({at // n},{at % n})"
        if not run:
            csp.add([at], lambda dom: False, name)
        elif len(run) <= TABLE_MAX_LEN:
            csp.table(run, sum_table(len(run), total), name)
        else:
            csp.sum(run, total, name)
            csp.all_different(run, name)
    return csp


def _layout(n: int, share: float, rng: np.random.Generator) -> list[bool]:
    """The official white-cell layout (True = white), see the module docstring."""
    white = [i != 0 and bool(x < share) for i, x in enumerate(rng.random(n * n))]
    for i in range(n * n):
        r, c = divmod(i, n)
        if white[i] and (r == 0 or white[i - n]) and (c == 0 or white[i - 1]):
            white[i] = False
    return white


def _fill(n: int, white: Sequence[bool], rng: np.random.Generator) -> tuple[int, ...] | None:
    """A random filling of the white cells with no repeat inside a run that will get a clue."""
    blank = [{"type": "black"} if not w else {"type": "white"} for w in white]
    rows = to_rows(blank, n)
    for i, w in enumerate(white):  # every black cell before a white run will carry that run's clue
        if not w:
            r, c = divmod(i, n)
            rows[r][c] = {"type": "black", "right": 0, "down": 0}
    csp = Csp([mask(range(1, 10)) if w else mask([0]) for w in white])
    for at, way, _, run in runs(rows):
        if len(run) > 1:
            csp.all_different(run, f"{way} run at {at}")
    return csp.solve(rng)


def _clued(n: int, white: Sequence[bool], digits: Sequence[int]) -> list[list[dict[str, Any]]]:
    """The official cell records: black cells with the sums of the runs they start."""
    rows: list[list[dict[str, Any]]] = []
    for r in range(n):
        row = []
        for c in range(n):
            i = r * n + c
            if white[i]:
                row.append({"type": "white"})
                continue
            q: dict[str, Any] = {"type": "black"}
            for way, (dr, dc) in DIRS.items():
                rr, cc, total, length = r + dr, c + dc, 0, 0
                while rr < n and cc < n and white[rr * n + cc]:
                    total += digits[rr * n + cc]
                    rr, cc, length = rr + dr, cc + dc, length + 1
                if length:
                    q[way] = total
            row.append(q)
        rows.append(row)
    return rows


@register_task
class Kakuro(GridTask):
    """Kakuro; see the module docstring for the step grammar and the rules."""

    name = "Kakuro"
    key = "kakuro"
    category = "puzzles"
    score_function = "kakuro_evaluator"
    step_help = (
        "place R C V: write digit V (1-9) in the white cell at row R, column C (0-based from the top left; "
        "`R C V` alone also works)\n"
        "erase R C: clear your entry at row R, column C"
    )
    answer_help = "every white cell as (row,column):digit, 0-based, separated by spaces: (0,1):3 (1,0):5 (1,2):9"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        while True:
            white = _layout(n, WHITE_SHARE[level], rng)
            if not any(white):
                continue
            digits = _fill(n, white, rng)
            if digits is None:
                continue
            cells = _clued(n, white, digits)
            if _model(n, cells).count_solutions(2) == 1:
                break
        data = {"size": n, "cells": cells, "solution": to_rows(list(digits), n)}
        return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = puzzle.data["size"]
        black = [q.get("type") == "black" for row in puzzle.data["cells"] for q in row]
        return Board(n, n, [0] * (n * n), verbs={"place": None, "erase": 0}, values=range(1, 10), base=0,
                     fixed=black, fixed_reason="is black and takes no digit", margin=MARGIN)

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        """`(r,c):v` items (also `(r, c) = v`, `[r,c] -> v`, a dict literal); else a full grid with black cells
        written as #, x, . or 0."""
        b = self.board(puzzle)
        n = b.rows
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if len(text) > 20000:
            raise AnswerError("the answer is too long")
        items = _ITEM.findall(clean_latex(text))
        if not items:
            rows = parse_grid(text, n, n, _BLACK_SPELLINGS)
            return tuple(v for row in rows for v in row)
        grid: list[Any] = [0] * (n * n)
        for rs, cs, vs in items:
            r, c = int(rs), int(cs)
            if not (0 <= r < n and 0 <= c < n):
                raise AnswerError(f"cell ({r},{c}) is outside the {n}x{n} grid (rows and columns count 0-{n - 1})")
            f = float(vs)
            v = int(f) if f.is_integer() and abs(f) < 1e9 else f
            i = r * n + c
            if grid[i] not in (0, v):
                raise AnswerError(f"cell ({r},{c}) is given two values, {grid[i]} and {v}")
            grid[i] = v
        return tuple(grid)

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n = b.rows
        out = []
        for i, v in enumerate(grid):
            if b.fixed[i]:
                if v not in (0, None):
                    out.append(f"cell {b.name(i)} is black and takes no digit (got {v})")
            elif v in (0, None):
                if complete:
                    out.append(f"white cell {b.name(i)} has no digit")
            elif type(v) is not int or not 1 <= v <= 9:
                out.append(f"cell {b.name(i)} holds {v}; only digits 1-9 are allowed")
        for at, way, total, run in runs(puzzle.data["cells"]):
            name = f"the {way} clue {total} at ({at // n},{at % n})"
            values = [grid[i] for i in run]
            digits = [v for v in values if type(v) is int and 1 <= v <= 9]
            twice = sorted({v for v in digits if digits.count(v) > 1})
            if twice:
                out.append(f"{name}: its run repeats " + ", ".join(map(str, twice)))
            if len(digits) == len(values) and sum(digits) != total:
                out.append(f"{name}: its run adds up to {sum(digits)} ({' + '.join(map(str, digits))})")
            elif not complete and sum(digits) >= total and len(digits) < len(values):
                out.append(f"{name}: its run already adds up to {sum(digits)} with cells still empty")
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        b = self.board(puzzle)
        n = b.rows
        return " ".join(f"({i // n},{i % n}):{v}" for i, v in enumerate(grid) if not b.fixed[i])

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official initial_state (a list of rows of cell objects), each filled white cell with its
        `value`."""
        n = puzzle.data["size"]
        rows = [[dict(q, value=grid[r * n + c]) if q.get("type") != "black" and grid[r * n + c] else q
                 for c, q in enumerate(row)] for r, row in enumerate(puzzle.data["cells"])]
        return json.dumps(rows)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data["size"], puzzle.data["cells"])

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["size"]
        white = n * n - sum(self.board(puzzle).fixed)
        return (f"{n}x{n} Kakuro with {white} white cells and {len(runs(puzzle.data['cells']))} clues; every clued run "
                "must add up to its clue without repeating a digit")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every white cell holds a digit 1-9 and every clued run adds up to its clue without repeats"

    # ---- presentation ----------------------------------------------------------------------------------
    _RULES = ("Rules: write a digit from 1 to 9 in every white cell. A black cell may carry clues: a \"right\" "
              "clue is the sum of the unbroken run of white cells directly to its right (up to the next black cell "
              "or the edge), a \"down\" clue the sum of the run directly below it. The digits of a clued run must "
              "add up to the clue and must all be different; a run may be a single cell, whose digit is then the "
              "clue. A run of white cells that starts at the top or left edge of the grid has no clue in that "
              "direction, so it has no sum to meet and may repeat digits. Black cells take no digit.")

    def _format(self) -> str:
        return ("Answer format: every white cell as (row,column):digit with 0-based coordinates, (0,0) being the "
                "top-left cell, rows counted downwards and columns to the right, separated by single spaces, "
                "e.g. (0,1):3 (1,0):5 (1,2):9")

    def _ascii(self, puzzle: Puzzle) -> str:
        """One row per line: [    ] a white cell, [####] a black cell without clues, [d\\r] a black cell with
        its down clue d before the backslash and its right clue r after it (blank where absent)."""
        lines = []
        for row in puzzle.data["cells"]:
            out = []
            for q in row:
                if q.get("type") != "black":
                    out.append("[     ]")
                elif q.get("down") is None and q.get("right") is None:
                    out.append("[#####]")
                else:
                    down = "" if q.get("down") is None else str(q["down"])
                    right = "" if q.get("right") is None else str(q["right"])
                    out.append(f"[{down:>2}\\{right:<2}]")
            lines.append("".join(out))
        return "\n".join(lines)

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        if modality == "text":
            clues = []
            for at, way, total, run in runs(puzzle.data["cells"]):
                where = ", ".join(f"({i // n},{i % n})" for i in run)
                clues.append(f"Black cell ({at // n},{at % n}): {way} clue {total}, run {where}")
            white = [f"({i // n},{i % n})" for i, f in enumerate(self.board(puzzle).fixed) if not f]
            state = (f"The {n}×{n} grid, one row per line: [     ] is a white cell, [#####] a black cell without "
                     "clues, and [d\\r] a black cell with down clue d (before the backslash) and right clue r "
                     "(after it), blank where it has none.\n\n" + self._ascii(puzzle) + "\n\nThe clues and the "
                     "white cells of their runs:\n" + "\n".join(clues) + "\n\nWhite cells to fill: " + ", ".join(white))
            return f"Solve this Kakuro puzzle.\n\n{self._RULES}\n\n{state}\n\n{self._format()}"
        state = (f"The picture shows the {n}×{n} grid with 0-based row and column numbers on the margins. Dark cells "
                 "are black; a black cell with clues is split by a diagonal from its top-left to its bottom-right "
                 "corner: the number in the upper-right triangle is its right clue, the number in the lower-left "
                 "triangle its down clue. Light cells are white and need digits.")
        return f"Solve the Kakuro puzzle in the picture.\n\n{self._RULES}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        n = puzzle.data["size"]
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        cell = canvas.cell
        clue_size = max(9, round(cell * 0.3))
        for r, row in enumerate(puzzle.data["cells"]):
            for c, q in enumerate(row):
                if q.get("type") != "black":
                    canvas.fill(r, c, WHITE_CELL)
                    continue
                canvas.fill(r, c, BLACK_CELL)
                if q.get("right") is None and q.get("down") is None:
                    continue
                x0, y0, x1, y1 = canvas.cell_box(r, c)
                canvas.draw.line((x0, y0, x1, y1), fill=DIAGONAL, width=max(1, round(cell * 0.025)))
                for way, (fx, fy) in (("right", (0.7, 0.3)), ("down", (0.3, 0.7))):
                    if q.get(way) is not None:
                        draw.draw_text(canvas.draw, (x0 + cell * fx, y0 + cell * fy), str(q[way]), clue_size, CLUE_INK)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=0, scale=0.3)
        if state is not None:
            self.draw_values(canvas, puzzle, state, scale=0.55)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = puzzle.data["size"]
        return self.base_record(puzzle, index=f"kakuro_{n}_{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,
                                initial_state=puzzle.data["cells"])

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        raw = decode_value(record.get("initial_state"))
        try:
            cells = [[_read_cell(q) for q in row] for row in raw]
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise RecordError(f"Kakuro: unreadable initial_state ({exc})") from exc
        n = len(cells)
        if not 2 <= n <= MAX_N or any(len(row) != n for row in cells):
            raise RecordError("Kakuro: the grid is not square")
        if any(not run for _, _, _, run in runs(cells)):
            raise RecordError("Kakuro: a clue has no white cells after it")
        return self.record_puzzle(record, {"size": n, "cells": cells}, record.get("answer"))


def _read_cell(q: dict[str, Any]) -> dict[str, Any]:
    """An official cell object with int clues (only black cells keep clues)."""
    kind = str(q["type"]).strip().lower()
    if kind not in ("black", "white"):
        raise ValueError(f"unknown cell type {q['type']!r}")
    out: dict[str, Any] = {"type": kind}
    if kind == "black":
        for way in DIRS:
            if q.get(way) is not None:
                out[way] = int(q[way])
    return out
