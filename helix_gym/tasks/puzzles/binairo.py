"""Binairo (MM-HELIX key `binairo`): fill a 6x6 grid with 0s and 1s, balanced, without triples or twin lines.

Generation follows the official ladder (6x6 at every level; each cell of a random solution is shown with the
official level's probability p), then adds givens that the solver's second solution contradicts until the
solution is unique, and drops surplus givens again while it stays unique (the official generator never checks;
23/30 of its level-5 instances have several solutions). The verifier checks the rules, so every valid grid is
accepted.
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
from helix_gym.core.csp import Csp, Table
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import Board, GridTask, bad_values, changed_givens, lines_text, to_rows
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

SIZE = 6
EMPTY = -1  # an empty cell in a position (the records write null)
BASE_DENSITY = {1: 0.80, 2: 0.65, 3: 0.55, 4: 0.45, 5: 0.35}  # official: p = clamp(base - 0.15 + 0.3 u, 0.3, 0.8)
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 1-based coordinates on the left and on top
INK = {0: (41, 128, 185), 1: (192, 57, 43)}  # the official blue 0s and red 1s of the givens
DISC = {0: (226, 238, 248), 1: (250, 228, 224)}
DIGIT_NAMES = {0: "zeros", 1: "ones"}


@lru_cache(maxsize=8)
def line_table(n: int) -> Table:
    """Every line of n digits with n/2 of each and no three equal digits side by side."""
    return Table(bits for bits in itertools.product((0, 1), repeat=n)
                 if sum(bits) == n // 2 and not any(bits[k] == bits[k + 1] == bits[k + 2] for k in range(n - 2)))


def _lines(n: int) -> list[tuple[str, list[int]]]:
    """Every row and column with its 1-based name."""
    rows = [(f"row {r + 1}", [r * n + c for c in range(n)]) for r in range(n)]
    return rows + [(f"column {c + 1}", [r * n + c for r in range(n)]) for c in range(n)]


def _distinct(lines: Sequence[Sequence[int]]):
    """Propagator: no two of `lines` (all rows, or all columns) are identical. A complete line that another
    line matches in every decided cell is a contradiction when nothing is left open, and forces the other digit
    into the one cell left open."""
    lines = [tuple(line) for line in lines]
    full_mask = (1 << len(lines[0])) - 1

    def prune(dom: list[int]) -> bool:
        known = []  # per line: (cells holding 1, cells holding 0) as bitmasks over its positions
        for line in lines:
            ones = zeros = 0
            for k, i in enumerate(line):
                d = dom[i]
                if d == 2:
                    ones |= 1 << k
                elif d == 1:
                    zeros |= 1 << k
            known.append((ones, zeros))
        for x, (ones, zeros) in enumerate(known):
            if ones | zeros != full_mask:
                continue
            for y, (ones2, zeros2) in enumerate(known):
                if y == x or ones2 & zeros or zeros2 & ones:
                    continue  # the same line, or it differs already
                left = full_mask & ~(ones2 | zeros2)
                if not left:
                    return False
                if not left & (left - 1):
                    k = left.bit_length() - 1
                    cell = lines[y][k]
                    d = dom[cell] & (1 if ones >> k & 1 else 2)  # the digit line x does not have there
                    if not d:
                        return False
                    dom[cell] = d
        return True

    return prune


def _model(n: int, start: Sequence[int]) -> Csp:
    """The rules as a Csp over the cells (0/1): the givens; per row and column the table of the lines that are
    balanced and free of triples (arc consistent: one propagator does what counts and triple windows do
    separately, at a third of the cost); no two equal rows or columns."""
    csp = Csp.uniform(n * n, (0, 1))
    for i, v in enumerate(start):
        if v != EMPTY:
            csp.assign(i, v)
    lines = _lines(n)
    for name, cells in lines:
        csp.table(cells, line_table(n), f"{name} needs {n // 2} zeros, {n // 2} ones and no three equal digits "
                  "side by side")
    for kind, group in (("rows", lines[:n]), ("columns", lines[n:])):
        cells = [line for _, line in group]
        csp.add([i for line in cells for i in line], _distinct(cells), f"no two {kind} are identical")
    return csp


def _board(n: int, start: Sequence[int]) -> Board:
    return Board(n, n, start, verbs={"set": None, "clear": EMPTY}, values=(0, 1), base=1, empty=EMPTY,
                 margin=MARGIN)


def _flat(rows: Sequence[Sequence[Any]]) -> list[int]:
    return [EMPTY if v is None else v for row in rows for v in row]


def _rows(flat: Sequence[int], n: int) -> list[list[int | None]]:
    return to_rows([None if v == EMPTY or v is None else v for v in flat], n)


def line_violations(n: int, grid: Sequence[Any]) -> list[str]:
    """The broken line rules of a grid, as far as its filled cells show them (junk values are reported
    elsewhere and skipped here): too many of a digit (in a full line: unbalanced), three equal digits side by
    side, two identical full lines."""
    out = []
    half = n // 2
    for name, cells in _lines(n):
        line = [grid[i] for i in cells]
        for digit in (0, 1):
            k = sum(1 for v in line if v == digit)
            if k > half:
                out.append(f"{name} has {k} {DIGIT_NAMES[digit]}; it needs exactly {half}")
        for k in range(n - 2):
            a, b, c = line[k:k + 3]
            if a == b == c and a in (0, 1):
                where = f"columns {k + 1}-{k + 3}" if name.startswith("row") else f"rows {k + 1}-{k + 3}"
                out.append(f"{name} has three {a}s in a row ({where})")
    for kind, group in (("rows", _lines(n)[:n]), ("columns", _lines(n)[n:])):
        full = [(k + 1, tuple(grid[i] for i in cells)) for k, (_, cells) in enumerate(group)]
        full = [(k, line) for k, line in full if all(v in (0, 1) for v in line)]
        for (x, a), (y, b) in itertools.combinations(full, 2):
            if a == b:
                out.append(f"{kind} {x} and {y} are identical")
    return out


@register_task
class Binairo(GridTask):
    """Binairo (also Takuzu): a grid of 0s and 1s, half of each in every line, no three equal digits in a row
    or column, no two identical rows or columns.

    Step grammar (1-based `row column`, as the official prompt counts):
        set R C V   write digit V (0 or 1) in the empty cell at row R, column C (`R C V` alone also works)
        clear R C   empty your entry at row R, column C
    """

    name = "Binairo"
    key = "binairo"
    category = "puzzles"
    score_function = "binairo_evaluator"
    step_help = (
        "set R C V: write V (0 or 1) in the empty cell at row R, column C (1-based from the top left; `R C V` "
        "alone also works)\n"
        "clear R C: empty your entry at row R, column C"
    )
    answer_help = "the completed grid, one row per line, digits separated by spaces: 0 1 1 0 0 1 (6 lines)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = SIZE
        sol = _model(n, [EMPTY] * (n * n)).solve(rng)
        if sol is None:  # cannot happen: balanced grids exist for every even n
            raise RuntimeError("no Binairo grid")
        p = min(0.80, max(0.30, BASE_DENSITY[level] - 0.15 + 0.3 * float(rng.random())))
        shown = rng.random(n * n) < p
        givens = [sol[i] if shown[i] else EMPTY for i in range(n * n)]
        target = sum(1 for v in givens if v != EMPTY)
        csp = _model(n, givens)
        for i in csp.pin_until_unique(sol, rng):  # givens a second solution contradicts, until only `sol` is left
            givens[i] = sol[i]
        extra = sum(1 for v in givens if v != EMPTY) - target
        for i in rng.permutation(n * n):  # back down to the level's count where uniqueness allows
            if extra <= 0:
                break
            i = int(i)
            if givens[i] == EMPTY:
                continue
            givens[i] = EMPTY
            if _model(n, givens).count_solutions(2) == 1:
                extra -= 1
            else:
                givens[i] = sol[i]
        return self.puzzle(level, {"size": n, "givens": _rows(givens, n), "solution": to_rows(list(sol), n)})

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        return _board(puzzle.data["size"], _flat(puzzle.data["givens"]))

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        out = (bad_values(b, grid) if complete else []) + changed_givens(b, grid)
        return out + line_violations(b.rows, grid)

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return lines_text(to_rows(list(grid), puzzle.data["size"]))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official initial_state notation (a JSON 2-D list, null for an empty cell), one row per line."""
        return "[" + ",\n ".join(json.dumps(row) for row in _rows(grid, puzzle.data["size"])) + "]"

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data["size"], self.board(puzzle).start)

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["size"]
        givens = sum(self.board(puzzle).fixed)
        return (f"{n}x{n} Binairo with {givens} givens; every row and column needs {n // 2} zeros and {n // 2} ones, "
                "no three equal digits side by side, and no two equal rows or columns")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return ("every row and column is balanced, has no three equal digits in a row and differs from the others, "
                "and the givens are kept")

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: fill every empty cell of the {n}×{n} grid with 0 or 1 so that (1) every row and every "
                f"column holds exactly {n // 2} zeros and {n // 2} ones, (2) no row or column has three equal "
                "digits in consecutive cells, and (3) no two rows are identical and no two columns are identical. "
                "The given digits stay as they are.")

    def _format(self, n: int) -> str:
        example = "\n".join(["0 1 1 0 0 1", "1 0 0 1 1 0", "..."])
        return (f"Answer format: the completed grid with one row per line from top to bottom, the {n} digits of a "
                f"row separated by spaces, e.g.\n{example}\nwith all {n} rows.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        if modality == "text":
            state = (f"Rows and columns are numbered 1 to {n} from the top left. The grid as a list of rows from top "
                     "to bottom; a digit is a given and null marks an empty cell:\n\n"
                     + self.grid_text(puzzle, self.board(puzzle).start))
            return f"Solve this Binairo puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"
        state = (f"The picture shows the {n}×{n} grid with its rows and columns numbered 1 to {n} on the margins. "
                 "Given digits are printed inside circles, 0 in blue and 1 in red; the other cells are empty.")
        return f"Solve the Binairo puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        b = self.board(puzzle)
        n = b.rows
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=1, scale=0.3)
        grid = b.start if state is None else state
        for i, v in enumerate(grid):
            if v == EMPTY:
                continue
            r, c = divmod(i, n)
            if b.fixed[i]:
                canvas.circle(r, c, DISC[v], radius=0.36, outline=INK[v], width=max(2, canvas.cell // 40))
                canvas.write(r, c, str(v), INK[v], scale=0.5)
            else:
                canvas.write(r, c, str(v), draw.ENTERED, scale=0.5)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        n = d["size"]
        return self.base_record(puzzle, index=f"binairo_{n}_L{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level, initial_state=d["givens"])

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            givens = [[None if v is None else int(v) for v in row] for row in state]
        except (TypeError, ValueError) as exc:
            raise RecordError(f"Binairo: unreadable initial_state ({exc})") from exc
        n = len(givens)
        if not (2 <= n <= 12 and n % 2 == 0) or any(len(row) != n or any(v not in (None, 0, 1) for v in row)
                                                     for row in givens):
            raise RecordError("Binairo: initial_state must be an even square grid of 0, 1 and null")
        return self.record_puzzle(record, {"size": n, "givens": givens}, record.get("answer"))
