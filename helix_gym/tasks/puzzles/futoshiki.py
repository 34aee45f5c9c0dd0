"""Futoshiki (MM-HELIX key `futoshiki`): a Latin square with inequality signs between neighbouring cells.

Step grammar (0-based `row column`, as the official text question and initial_state count cells):
    place R C V   write V (1..n) in the empty cell at row R, column C (`R C V` alone also works)
    erase R C     clear your entry at row R, column C

Generation follows the official ladder (n = level + 2, the official number of givens, each neighbour pair
signed with the official probability) on a random Latin square, then adds signs (or, when no sign can tell
them apart, givens) that the solver's second solution breaks until the solution is unique (the official
generator never checks; 29/30 of its level-5 instances have several solutions). The verifier checks the
rules, so every valid grid is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import (
    Board,
    GridTask,
    bad_values,
    changed_givens,
    latin_csp,
    random_latin_square,
    repeats,
    to_rows,
)
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

GIVEN_SHARE = {1: 0.50, 2: 0.40, 3: 0.35, 4: 0.25, 5: 0.20}  # givens = max(1, floor(n^2 * share))
SIGN_CHANCE = {1: 0.20, 2: 0.25, 3: 0.30, 4: 0.35, 5: 0.40}  # each right/down neighbour pair
SIGN_FIRST = 0.8  # when the solution is not unique yet, add a sign (not a given) this often
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 0-based coordinates on the left and on top
SIGN_INK = (40, 40, 40)


def _pairs(n: int) -> list[tuple[int, int]]:
    """Every right or down neighbour pair (a, b), a the left or upper cell, in row-major order of a."""
    out = []
    for a in range(n * n):
        r, c = divmod(a, n)
        if c + 1 < n:
            out.append((a, a + 1))
        if r + 1 < n:
            out.append((a, a + n))
    return out


def _sign(sol: Sequence[int], a: int, b: int, n: int) -> dict[str, Any]:
    """The official inequality record of pair (a, b), read from the solution."""
    return {"cell1": list(divmod(a, n)), "cell2": list(divmod(b, n)), "symbol": "<" if sol[a] < sol[b] else ">"}


def _signs(data: dict[str, Any]) -> list[tuple[int, int]]:
    """The inequalities as (smaller cell, larger cell) index pairs."""
    n = data["size"]
    out = []
    for q in data["inequalities"]:
        a, b = q["cell1"][0] * n + q["cell1"][1], q["cell2"][0] * n + q["cell2"][1]
        out.append((a, b) if q["symbol"] == "<" else (b, a))
    return out


def _sign_text(q: dict[str, Any], word: str = "") -> str:
    (r1, c1), (r2, c2) = q["cell1"], q["cell2"]
    return f"{word}({r1},{c1}) {q['symbol']} {word}({r2},{c2})"


def _model(n: int, givens: Sequence[int], signs: Sequence[tuple[int, int]], board: Board) -> Csp:
    """The rules as a Csp: Latin rows and columns, the givens, one `less` per sign."""
    csp = latin_csp(board)
    for i, v in enumerate(givens):
        if v:
            csp.assign(i, v)
    for lo, hi in signs:
        a, b = min(lo, hi), max(lo, hi)
        sym = "<" if lo == a else ">"
        csp.less(lo, hi, f"the sign ({a // n},{a % n}) {sym} ({b // n},{b % n})")
    return csp


def _normalise(q: dict[str, Any]) -> dict[str, Any]:
    """An inequality with cell1 the left or upper cell (flipping the symbol where a record has it reversed)."""
    c1, c2, sym = [int(v) for v in q["cell1"]], [int(v) for v in q["cell2"]], str(q["symbol"]).strip()
    if sym not in ("<", ">") or abs(c1[0] - c2[0]) + abs(c1[1] - c2[1]) != 1:
        raise RecordError(f"Futoshiki: bad inequality {q!r}")
    if c2 < c1:
        c1, c2, sym = c2, c1, ("<" if sym == ">" else ">")
    return {"cell1": c1, "cell2": c2, "symbol": sym}


@register_task
class Futoshiki(GridTask):
    """Futoshiki; see the module docstring for the step grammar."""

    name = "Futoshiki"
    key = "futoshiki"
    category = "puzzles"
    # SERG: propagation alone fills most grids; see QuickChecks
    trace_quick = QuickChecks(share=0.8)
    score_function = "futoshiki_evaluator"
    step_help = (
        "place R C V: write V in the empty cell at row R, column C (0-based from the top left; `R C V` alone "
        "also works)\n"
        "erase R C: clear your entry at row R, column C"
    )
    answer_help = "the completed grid as a 2-D list of integers, row by row: [[1, 2, 3], [3, 1, 2], [2, 3, 1]]"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        sol = random_latin_square(n, rng)
        givens = [0] * (n * n)
        for i in rng.permutation(n * n)[:max(1, int(n * n * GIVEN_SHARE[level]))]:
            givens[int(i)] = sol[int(i)]
        pairs = _pairs(n)
        draws = rng.random(len(pairs))
        chosen = {p for p, x in zip(pairs, draws) if x < SIGN_CHANCE[level]}
        board = Board(n, n, givens, verbs={"place": None, "erase": 0}, values=range(1, n + 1), base=0)
        signed = [(a, b) if sol[a] < sol[b] else (b, a) for a, b in chosen]
        csp = _model(n, givens, signed, board)
        while (other := csp.rival(sol)) is not None:  # add a clue it breaks, until only `sol` is left
            free = [p for p in pairs if p not in chosen and (sol[p[0]] < sol[p[1]]) != (other[p[0]] < other[p[1]])]
            if free and rng.random() < SIGN_FIRST:
                a, b = free[int(rng.integers(len(free)))]
                chosen.add((a, b))
                lo, hi = (a, b) if sol[a] < sol[b] else (b, a)
                csp.less(lo, hi, "an added sign")
            else:
                diff = [i for i in range(n * n) if other[i] != sol[i]]
                i = diff[int(rng.integers(len(diff)))]
                givens[i] = sol[i]
                csp.assign(i, sol[i])
        data = {"size": n, "grid": to_rows(givens, n), "inequalities": [_sign(sol, a, b, n) for a, b in sorted(chosen)],
                "solution": to_rows(list(sol), n)}
        return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = puzzle.data["size"]
        start = [v for row in puzzle.data["grid"] for v in row]
        return Board(n, n, start, verbs={"place": None, "erase": 0}, values=range(1, n + 1), base=0, margin=MARGIN)

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n = b.rows
        out = (bad_values(b, grid) if complete else []) + changed_givens(b, grid) + repeats(grid, b.lines())
        for q in puzzle.data["inequalities"]:
            i, j = q["cell1"][0] * n + q["cell1"][1], q["cell2"][0] * n + q["cell2"][1]
            x, y = grid[i], grid[j]
            if type(x) is int and type(y) is int and x and y and (x < y) != (q["symbol"] == "<"):
                out.append(f"the sign {_sign_text(q)} does not hold: {x} {q['symbol']} {y} is false")
        return out

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        d = puzzle.data
        return json.dumps({"grid": to_rows(list(grid), d["size"]), "inequalities": d["inequalities"],
                           "size": d["size"]})

    def build_csp(self, puzzle: Puzzle) -> Csp:
        b = self.board(puzzle)
        return _model(b.rows, b.start, _signs(puzzle.data), b)

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["size"]
        b = self.board(puzzle)
        return (f"{n}x{n} Futoshiki with {sum(b.fixed)} givens and {len(puzzle.data['inequalities'])} signs; every "
                f"row and column needs 1-{n} once, and every sign must hold")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every row and column holds each number once, the givens are kept and every sign holds"

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: fill the {n}×{n} grid with the numbers 1 to {n} so that every row and every column "
                f"contains each number exactly once. The given numbers stay as they are. Every inequality sign "
                "between two neighbouring cells must hold: for a sign between cells side by side it compares the "
                "left cell with the right cell, for a sign between cells one above the other it compares the upper "
                "cell with the lower cell.")

    def _format(self, n: int) -> str:
        return (f"Answer format: the completed grid as a 2-D list of integers, one inner list per row from top to "
                f"bottom, e.g. [[1, 2, 3], [3, 1, 2], [2, 3, 1]] for a 3×3 grid; yours has {n} rows of {n}.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        n = d["size"]
        if modality == "text":
            grid = "\n".join(" ".join(str(v) if v else "_" for v in row) for row in d["grid"])
            signs = "\n".join(f"{k}. {_sign_text(q, 'cell ')}" for k, q in enumerate(d["inequalities"], 1)) or "(none)"
            state = ("Cells are written (row, column), counted from 0 at the top left. The grid, one row per line; "
                     f"a number is a given and _ marks an empty cell:\n\n{grid}\n\nInequalities:\n{signs}")
            return f"Solve this Futoshiki puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"
        state = (f"The picture shows the {n}×{n} grid with its rows and columns numbered from 0 on the margins. "
                 "Printed numbers are givens; the other cells are empty. Signs sit on the line between two cells; "
                 "the point of a sign faces the smaller number (< and > between cells side by side, a chevron pointing "
                 "up or down between cells one above the other).")
        return f"Solve the Futoshiki puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        n = puzzle.data["size"]
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=0, scale=0.3)
        self.draw_values(canvas, puzzle, state, scale=0.5)
        for q in puzzle.data["inequalities"]:
            _draw_sign(canvas, q)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        n = d["size"]
        state = json.dumps({"grid": d["grid"], "inequalities": d["inequalities"], "size": n})
        return self.base_record(puzzle, index=f"futoshiki_{n}x{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                difficulty=puzzle.level, initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            n = int(state["size"])
            grid = [[int(v or 0) for v in row] for row in state["grid"]]
            signs = [_normalise(q) for q in state.get("inequalities", [])]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Futoshiki: unreadable initial_state ({exc})") from exc
        if not 2 <= n <= 9 or len(grid) != n or any(len(row) != n or not all(0 <= v <= n for v in row) for row in grid):
            raise RecordError("Futoshiki: the grid does not match its size")
        return self.record_puzzle(record, {"size": n, "grid": grid, "inequalities": signs}, record.get("answer"))


def _draw_sign(canvas: draw.GridCanvas, q: dict[str, Any]) -> None:
    """A chevron on the shared edge of two cells, its point towards the smaller cell, in a small white box."""
    (r1, c1), (r2, c2) = q["cell1"], q["cell2"]
    (x1, y1), (x2, y2) = canvas.center(r1, c1), canvas.center(r2, c2)
    x, y = (x1 + x2) / 2, (y1 + y2) / 2
    cell = canvas.cell
    half = cell * 0.13
    pad = cell * 0.06
    canvas.draw.rounded_rectangle((round(x - half - pad), round(y - half - pad), round(x + half + pad),
                                   round(y + half + pad)), radius=max(2, round(pad)), fill=draw.WHITE,
                                  outline=draw.GRID_LINE, width=1)
    toward = -1 if q["symbol"] == "<" else 1  # -1: the point faces cell1 (left or upper)
    if r1 == r2:  # side by side: < or >
        tip, ends = (x + toward * half, y), [(x - toward * half, y - half), (x - toward * half, y + half)]
    else:  # one above the other: the point up or down
        tip, ends = (x, y + toward * half), [(x - half, y - toward * half), (x + half, y - toward * half)]
    width = max(2, round(cell * 0.045))
    points = [ends[0], tip, ends[1]]
    canvas.draw.line([(round(px), round(py)) for px, py in points], fill=SIGN_INK, width=width, joint="curve")
