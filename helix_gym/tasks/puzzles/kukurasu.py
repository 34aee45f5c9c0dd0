"""Kukurasu (MM-HELIX key `Kukurasu`): black out cells so that weighted row and column sums match the clues.

Generation follows the official recipe (n = level + 2; each row draws a fill rate in [0.3, 0.7] and blackens
each of its cells with it; redrawn until every row and column has a black cell), and redraws until the clues
have a single solution (the official generator never checks; 12/30 of its level-5 instances have several).
The verifier checks the rules, so every valid grid is accepted.

The official `initial_state` carries the solution (`solution` field); `to_record` writes it for format parity,
and nothing else ever shows it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks, Table
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import Board, GridTask, bad_values, list_text, parse_grid, to_rows
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

WHITE, BLACK, DOT = 0, 1, 2  # cell values of a position; a dot is a white cell the player has marked
FILL_RATE = (0.3, 0.7)  # official: each row's chance of a black cell, drawn uniformly in this range
MAX_DRAWS = 1000  # unique clues turn up within a few draws (about 60 % of level-5 draws are unique)
MARGIN = (0.55, 0.55, 0.9, 0.9)  # coordinates on the left and on top, clues on the right and below
CLUE_INK = (30, 90, 180)


def _lines(n: int) -> list[tuple[str, list[int], str]]:
    """Every row and column: (name, cells in order, what its weights count)."""
    rows = [(f"row {r + 1}", [r * n + c for c in range(n)], "column") for r in range(n)]
    return rows + [(f"column {c + 1}", [r * n + c for r in range(n)], "row") for c in range(n)]


def _clues(grid: Sequence[int], n: int) -> tuple[list[int], list[int]]:
    """Row clues (sum of the column numbers of the black cells) and column clues (sum of the row numbers)."""
    rows = [sum(c + 1 for c in range(n) if grid[r * n + c] == BLACK) for r in range(n)]
    cols = [sum(r + 1 for r in range(n) if grid[r * n + c] == BLACK) for c in range(n)]
    return rows, cols


@lru_cache(maxsize=512)
def line_table(n: int, clue: int) -> Table:
    """Every black/white pattern of a line of n cells whose black cells' positions (1..n) add up to `clue`."""
    return Table(bits for bits in itertools.product((WHITE, BLACK), repeat=n)
                 if sum(k + 1 for k, v in enumerate(bits) if v == BLACK) == clue)


def _model(n: int, row_sums: Sequence[int], col_sums: Sequence[int]) -> Csp:
    """The rules as a Csp over the cells (0 white, 1 black): per row and column, the table of the patterns
    that meet its clue (arc consistent, so much stronger than a bounds-consistent weighted sum: at 7x7 the
    uniqueness check needs about 0.3 ms instead of 2 ms, with a tail of 5 ms instead of 80 ms)."""
    csp = Csp.uniform(n * n, (WHITE, BLACK))
    for (name, cells, unit), clue in zip(_lines(n), [*row_sums, *col_sums]):
        csp.table(cells, line_table(n, int(clue)), f"the {unit} numbers of the black cells of {name} add up to {clue}")
    return csp


def _draw_grid(n: int, rng: np.random.Generator) -> list[int]:
    """The official random grid: per-row fill rates, redrawn until no row or column is all white."""
    while True:
        rates = rng.uniform(*FILL_RATE, size=n)
        cells = rng.random((n, n)) < rates[:, None]
        if cells.any(axis=1).all() and cells.any(axis=0).all():
            return [int(v) for v in cells.reshape(-1)]


@register_task
class Kukurasu(GridTask):
    """Kukurasu: black out cells so that in every row the column numbers (1..n from the left) of its black
    cells add up to the clue on the right, and in every column the row numbers (1..n from the top) of its black
    cells add up to the clue below.

    Step grammar (1-based `row column`, as the labels in the picture):
        fill R C    make the cell at row R, column C black
        clear R C   make it white again (removes a fill or a dot)
        dot R C     mark it as certainly white (a note for yourself; it counts as white)
    """

    name = "Kukurasu"
    key = "Kukurasu"
    category = "puzzles"
    # SERG: the weighted sums propagate to the solution without a guess: one pass over the sums, then a
    # hypothesis (see QuickChecks)
    trace_quick = QuickChecks(sweeps=1)
    score_function = "kukurasu_evaluator"
    step_help = (
        "fill R C: make the cell at row R, column C black (1-based from the top left)\n"
        "clear R C: make the cell white again (removes a fill or a dot)\n"
        "dot R C: mark the cell as certainly white (a note; it counts as white)"
    )
    answer_help = "the grid as a 2-D list of 0 (white) and 1 (black), row by row: [[1, 0, 1], [0, 1, 0], [1, 1, 0]]"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        for _ in range(MAX_DRAWS):
            grid = _draw_grid(n, rng)
            rows, cols = _clues(grid, n)
            if _model(n, rows, cols).count_solutions(2) == 1:
                break
        return self.puzzle(level, {"size": n, "row_sums": rows, "col_sums": cols, "solution": to_rows(grid, n)})

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = puzzle.data["size"]
        return Board(n, n, [WHITE] * (n * n), verbs={"fill": BLACK, "clear": WHITE, "dot": DOT},
                     values=(WHITE, BLACK, DOT), base=1, empty=None, margin=MARGIN,
                     aliases={"black": "fill", "shade": "fill", "paint": "fill", "unfill": "clear", "unshade": "clear",
                              "white": "dot", "mark": "dot", "cross": "dot"},
                     value_names={WHITE: "white", BLACK: "black", DOT: "dotted"},
                     keys={**dict.fromkeys(("space", "return", "f", "1"), BLACK),
                           **dict.fromkeys((".", "period", "d", "x"), DOT)})

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """Complete grids (answers; dots are not answer values): every clue must be met exactly. Positions
        (complete=False): a clue already exceeded, or out of reach with the cells that are not dotted."""
        d = puzzle.data
        n = d["size"]
        b = self.board(puzzle)
        out = bad_values(b, grid, allowed=(WHITE, BLACK)) if complete else []
        for (name, cells, unit), clue in zip(_lines(n), [*d["row_sums"], *d["col_sums"]]):
            black = [k + 1 for k, i in enumerate(cells) if grid[i] == BLACK]
            got = sum(black)
            if complete:
                if got != clue:
                    where = (f"black cells in {unit}s {', '.join(map(str, black))} (sum {got})" if black
                             else "no black cells (sum 0)")
                    out.append(f"{name} has {where}, but its clue is {clue}")
                continue
            reach = got + sum(k + 1 for k, i in enumerate(cells) if grid[i] == WHITE)
            if got > clue:
                out.append(f"the black cells of {name} already add up to {got}, more than its clue {clue}")
            elif reach < clue:
                out.append(f"{name} can reach at most {reach} with the cells not dotted, less than its clue {clue}")
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return list_text(to_rows([BLACK if v == BLACK else WHITE for v in grid], puzzle.data["size"]))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official initial_state notation without its solution, plus the position as `grid` (one row per
        line; 1 black, 2 dotted white, 0 unmarked, null undecided in a solver trace)."""
        d = puzzle.data
        head = json.dumps({"row_sums": d["row_sums"], "col_sums": d["col_sums"], "size": d["size"]})
        rows = to_rows(list(grid), d["size"])
        return head[:-1] + ',\n "grid": [' + ",\n          ".join(json.dumps(r) for r in rows) + "]}"

    def build_csp(self, puzzle: Puzzle) -> Csp:
        d = puzzle.data
        return _model(d["size"], d["row_sums"], d["col_sums"])

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        n = puzzle.data["size"]
        rows = parse_grid(text, n, n, {"#": BLACK, ".": WHITE})
        return tuple(v for row in rows for v in row)

    def trace_intro(self, puzzle: Puzzle) -> str:
        d = puzzle.data
        return (f"{d['size']}x{d['size']} Kukurasu with row clues {d['row_sums']} and column clues {d['col_sums']}; "
                "each row's black cells add up their column numbers, each column's their row numbers")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every row and every column meets its clue"

    # ---- step mode: dots are white ---------------------------------------------------------------------
    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return not self.violations(puzzle, [BLACK if v == BLACK else WHITE for v in state], complete=True)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        n = puzzle.data["size"]
        return self.write_answer(puzzle, [int(v) for v in rng.integers(0, 2, size=n * n)])

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: colour some cells of the {n}×{n} grid black. Columns are numbered 1 to {n} from left to "
                f"right and rows 1 to {n} from top to bottom. In every row, the column numbers of its black cells "
                "must add up to the clue for that row; in every column, the row numbers of its black cells must add "
                "up to the clue for that column. Cells that are not black are white.")

    def _format(self, n: int) -> str:
        return (f"Answer format: the grid as a 2-D list with one inner list per row from top to bottom, 1 for a "
                f"black cell and 0 for a white one, e.g. [[1, 0, 1], [0, 1, 0], [1, 1, 0]] for a 3×3 grid; yours "
                f"has {n} rows of {n}.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        n = d["size"]
        if modality == "text":
            state = json.dumps({"row_sums": d["row_sums"], "col_sums": d["col_sums"], "size": n})
            rows = ", ".join(f"row {k + 1}: {v}" for k, v in enumerate(d["row_sums"]))
            cols = ", ".join(f"column {k + 1}: {v}" for k, v in enumerate(d["col_sums"]))
            clues = (f"The puzzle: `row_sums` lists the clues of rows 1 to {n} (top to bottom) and `col_sums` the "
                     f"clues of columns 1 to {n} (left to right):\n\n{state}\n\nRow clues: {rows}.\n"
                     f"Column clues: {cols}.")
            return f"Solve this Kukurasu puzzle.\n\n{self._rules(n)}\n\n{clues}\n\n{self._format(n)}"
        state = (f"The picture shows the empty {n}×{n} grid with the row numbers 1 to {n} on the left and the "
                 f"column numbers 1 to {n} on top (in grey); the blue clue of each row stands to its right and the "
                 "blue clue of each column below it.")
        return f"Solve the Kukurasu puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        n = d["size"]
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        if state is not None:
            for i, v in enumerate(state):
                r, c = divmod(i, n)
                if v == BLACK:
                    canvas.fill(r, c, draw.ENTERED)
                elif v == DOT:
                    canvas.circle(r, c, draw.ENTERED, radius=0.09, width=0)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=1, scale=0.3)
        for k in range(n):
            canvas.label("right", k, str(d["row_sums"][k]), CLUE_INK, scale=0.42, offset=0.45)
            canvas.label("bottom", k, str(d["col_sums"][k]), CLUE_INK, scale=0.42, offset=0.45)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = {"row_sums": d["row_sums"], "col_sums": d["col_sums"], "size": d["size"], "solution": d["solution"]}
        return self.base_record(puzzle, index=f"Kukurasu_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=d["solution"], difficulty=puzzle.level, initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            rows = [int(v) for v in state["row_sums"]]
            cols = [int(v) for v in state["col_sums"]]
            n = int(state.get("size", len(rows)))
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Kukurasu: unreadable initial_state ({exc})") from exc
        top = n * (n + 1) // 2
        if not 1 <= n <= 12 or len(rows) != n or len(cols) != n or not all(0 <= v <= top for v in rows + cols):
            raise RecordError("Kukurasu: the clues do not match the size")
        data = {"size": n, "row_sums": rows, "col_sums": cols}
        return self.record_puzzle(record, data, state.get("solution"), record.get("answer"))
