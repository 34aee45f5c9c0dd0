"""Eulero (MM-HELIX key `eulero`): complete a Graeco-Latin square; every cell holds a letter and a number.

Step grammar (1-based `row column`, as the official answer lists rows from the top):
    place R C XN   write the pair XN (letter X among the first n capitals, number N in 1..n) in the empty cell
                   at row R, column C, e.g. `place 2 3 B1` (`R C XN` alone also works)
    erase R C      clear your entry at row R, column C

Rules: each letter once per row and column, each number once per row and column, all n² letter-number pairs
different, the pre-filled pairs unchanged. The verifier checks exactly these rules (and the puzzle's own size:
the official judge takes the size from the answer, so it accepts a smaller square that fits the givens in its
corner), so every valid completion is accepted; ours are unique anyway, as the official ones are.

Ladder: n = 3, 4, 5, 7, 7 with ⌊n²·p⌋ blank cells, p = 40, 45, 50, 50, 60 %. The official level 4 asks for a
6×6 square, and no Graeco-Latin square of order 6 exists (Euler's 36 officers problem; Tarry 1900): its
generator emits a corrupt grid with blank cells and repeated pairs, stored as both puzzle and answer, so every
answer to it fails. Following the spec, our level 4 is 7×7 with 50 % blanks (24), between level 3 and level
5 (7×7, 29 blanks). Official level-4 rows still load (the puzzle shows what they hold); they have no solution,
the verifier says which rules their givens already break, and `solve` raises RecordError.

Generation: two orthogonal Latin squares from the linear construction over the field of order n (letter
i + a·j, number i + b·j with a ≠ b nonzero; GF(4) arithmetic for n = 4, which fixes the official 4×4 template
that repeats pairs), shuffled by random row and column permutations, relabelled letters and numbers, and an
optional transpose; then the level's count of random cells is blanked, and while the solver finds a second
completion a blank cell where it differs is refilled and another cell blanked (see `_dig`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks, mask
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import Board, GridTask, parse_grid
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

LADDER = {1: (3, 0.40), 2: (4, 0.45), 3: (5, 0.50), 4: (7, 0.50), 5: (7, 0.60)}  # level: (n, blank share)
LETTERS = "ABCDEFGHI"
MAX_N = 9
DIG_ROUNDS = 20  # a dig that stops short of the target is redone with a new square and order
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 1-based coordinates on the left and on top
GIVEN_FILL = (232, 236, 244)
EXAMPLES = {3: "A1|B3|C2\nB2|C1|A3\nC3|A2|B1", 4: "A1|B2|C3|D4\nB4|A3|D2|C1\nC2|D1|A4|B3\nD3|C4|B1|A2"}
_GF4_MUL = ((0, 0, 0, 0), (0, 1, 2, 3), (0, 2, 3, 1), (0, 3, 1, 2))  # GF(4) = {0, 1, x, x+1}; addition is XOR
_ROW_SPLIT = re.compile(r"\\n|\n")


def code(letter: int, number: int, n: int) -> int:
    """The cell value of a pair: letter 0..n-1 (A..), number 1..n -> 1..n²."""
    return letter * n + number


def pair(value: int, n: int) -> tuple[int, int]:
    """(letter 0..n-1, number 1..n) of a cell value."""
    return (value - 1) // n, (value - 1) % n + 1


def spell(value: int, n: int) -> str:
    letter, number = pair(value, n)
    return f"{LETTERS[letter]}{number}"


@lru_cache(maxsize=16)
def _groups(n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The domain masks of each letter and of each number (the values sharing it)."""
    letters = tuple(mask(code(a, d, n) for d in range(1, n + 1)) for a in range(n))
    numbers = tuple(mask(code(a, d, n) for a in range(n)) for d in range(1, n + 1))
    return letters, numbers


@lru_cache(maxsize=16)
def _symbols(n: int) -> dict[str, Any]:
    """Answer spellings: each valid pair to its value, any other letter+digit to its text (a rule break)."""
    out: dict[str, Any] = {f"{x}{d}": f"{x}{d}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for d in range(10)}
    out.update({spell(v, n): v for v in range(1, n * n + 1)})
    return out


def _once_each(cells: Sequence[int], groups: Sequence[int]):
    """A propagator: each group of values (a letter, a number) is used by exactly one of `cells` (as many cells as
    groups): a cell fixed to a group removes it from the others; a group with one possible cell goes there."""
    full = 0
    for g in groups:
        full |= g

    def prune(dom: list[int]) -> bool:
        while True:
            changed = False
            for g in groups:
                where = [c for c in cells if dom[c] & g]
                if not where:
                    return False
                if len(where) == 1:
                    c = where[0]
                    if dom[c] & ~g:
                        dom[c] &= g
                        changed = True
                else:
                    sure = [c for c in where if not dom[c] & ~g]
                    if len(sure) > 1:
                        return False
                    if sure:
                        for c in where:
                            if c != sure[0]:
                                dom[c] &= ~g
                                if not dom[c]:
                                    return False
                        changed = True
            if not changed:
                return True

    return prune


def _model(n: int, givens: Sequence[int]) -> Csp:
    """The rules as a Csp over cells with pair values: letters once and numbers once per row and column, every
    pair once in the grid, the givens."""
    csp = Csp.uniform(n * n, range(1, n * n + 1))
    for i, v in enumerate(givens):
        if v:
            csp.assign(i, v)
    letters, numbers = _groups(n)
    csp.all_different(range(n * n), "every letter-number pair appears once")
    for r in range(n):
        cells = [r * n + c for c in range(n)]
        csp.add(cells, _once_each(cells, letters), f"row {r + 1} holds each letter once")
        csp.add(cells, _once_each(cells, numbers), f"row {r + 1} holds each number once")
    for c in range(n):
        cells = [r * n + c for r in range(n)]
        csp.add(cells, _once_each(cells, letters), f"column {c + 1} holds each letter once")
        csp.add(cells, _once_each(cells, numbers), f"column {c + 1} holds each number once")
    return csp


def orthogonal_square(n: int, rng: np.random.Generator) -> list[int]:
    """A random Graeco-Latin square of order n (a prime or 4), row-major cell values."""
    if n == 4:
        add, mul = (lambda x, y: x ^ y), (lambda x, y: _GF4_MUL[x][y])
    elif n >= 2 and all(n % p for p in range(2, n)):
        add, mul = (lambda x, y: (x + y) % n), (lambda x, y: x * y % n)
    else:
        raise ValueError(f"no construction for order {n}")
    a, b = (int(k) + 1 for k in rng.choice(n - 1, size=2, replace=False))
    rows, cols = rng.permutation(n), rng.permutation(n)
    letter_of, number_of = rng.permutation(n), rng.permutation(n)
    flip = bool(rng.integers(2))
    out = []
    for r in range(n):
        for c in range(n):
            i, j = int(rows[r]), int(cols[c])
            if flip:
                i, j = j, i
            out.append(code(int(letter_of[add(i, mul(a, j))]), int(number_of[add(i, mul(b, j))]) + 1, n))
    return out


def _dig(n: int, solution: Sequence[int], blanks: int, rng: np.random.Generator) -> list[int] | None:
    """`blanks` random cells emptied so that the completion stays unique; None if the spare cells run out.

    A random blank set of the ladder's sizes is nearly always unique already (40/40 measured for 5x5 at 50 % and
    7x7 at 50 % and 60 %),
    so one count usually decides; otherwise a blank cell where the second solution differs is refilled and a
    spare cell is emptied instead. One count replaces the official cell-by-cell dig and its ~n² searches."""
    order = [int(i) for i in rng.permutation(n * n)]
    blank, spare = set(order[:blanks]), order[blanks:]
    while True:
        givens = [0 if i in blank else v for i, v in enumerate(solution)]
        other = _model(n, givens).rival(solution)
        if other is None:
            return givens
        differ = sorted(i for i in blank if other[i] != solution[i])
        if not spare:
            return None
        blank.discard(differ[int(rng.integers(len(differ)))])
        blank.add(spare.pop())


class _PairBoard(Board):
    """A Board whose values are spelled only as pairs (`B1`): the numbers behind them are internal."""

    def parse(self, move: str) -> tuple[str, int, int]:
        verb, i, value = super().parse(move)
        tokens = re.findall(r"[a-z0-9]+", normalize_command(move))
        last = tokens[-1] if tokens else ""
        if self.verbs[verb] is None and last not in self.value_words:
            raise InvalidMove(f"the value must be a letter and a number, like A1 (letters {LETTERS[0]}-"
                              f"{LETTERS[self.rows - 1]}, numbers 1-{self.rows})")
        return verb, i, value


def _board(n: int, start: Sequence[int]) -> Board:
    words = {spell(v, n): v for v in range(1, n * n + 1)}
    return _PairBoard(n, n, start, verbs={"place": None, "erase": 0}, values=range(1, n * n + 1), base=1,
                      value_words=words, margin=MARGIN)


def _read_rows(text: str) -> list[list[str]]:
    """The official notation: rows split by newlines (or a literal `\\n`), cells by `|`, blank = space."""
    rows = [line for line in _ROW_SPLIT.split(text.strip("\n")) if line.strip() or "|" in line]
    return [[cell.strip().upper() for cell in line.split("|")] for line in rows]


def _cells(line: str, n: int) -> list[str]:
    """The cells of a `|` row (a blank cell is a space), also as a Markdown table row `|A1|B2|`."""
    cells = line.split("|")
    if len(cells) == n + 2 and not cells[0].strip() and not cells[-1].strip():
        cells = cells[1:-1]
    return [cell.strip().upper() for cell in cells]


@register_task
class Eulero(GridTask):
    """Eulero (Graeco-Latin squares); see the module docstring for the step grammar, the ladder and level 4."""

    name = "Eulero"
    key = "eulero"
    category = "puzzles"
    # SERG: propagation alone fills most grids; see QuickChecks
    trace_quick = QuickChecks(share=0.5)
    score_function = "eulero_evaluator"
    step_help = (
        "place R C XN: write the pair XN (a letter and a number, e.g. B1) in the empty cell at row R, column C "
        "(1-based from the top left; `R C XN` alone also works)\n"
        "erase R C: clear your entry at row R, column C"
    )
    answer_help = "one line per row from the top, each cell a letter+number pair like B3, cells joined by | (no spaces)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n, share = LADDER[level]
        blanks = int(n * n * share)
        for _ in range(DIG_ROUNDS):
            solution = orthogonal_square(n, rng)
            givens = _dig(n, solution, blanks, rng)
            if givens is not None:
                break
        else:  # pragma: no cover - the counts above are reached on the first try in practice
            raise RuntimeError(f"Eulero: no unique {n}x{n} puzzle with {blanks} blanks")
        data = {"size": n, "grid": self._rows(givens, n), "solution": self._rows(solution, n)}
        return self.puzzle(level, data)

    @staticmethod
    def _rows(values: Sequence[int], n: int) -> list[list[str]]:
        return [[spell(v, n) if v else "" for v in values[r * n:(r + 1) * n]] for r in range(n)]

    @staticmethod
    def _values(rows: Sequence[Sequence[str]], n: int) -> list[int]:
        words = _symbols(n)
        return [words[cell] if cell else 0 for row in rows for cell in row]

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = puzzle.data["size"]
        return _board(n, self._values(puzzle.data["grid"], n))

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        """The official `|` rows when there are exactly n of n cells (blank cells kept, so they are reported as
        empty), else any notation `parse_grid` reads with the pairs as symbols."""
        n = puzzle.data["size"]
        if isinstance(text, str) and "|" in text and len(text) <= 20000:
            lines = [line for line in _ROW_SPLIT.split(clean_latex(text)) if "|" in line]
            rows = [_cells(line, n) for line in lines]
            if len(rows) == n and all(len(row) == n for row in rows):
                words = _symbols(n)
                return tuple(words.get(cell, cell) if cell else 0 for row in rows for cell in row)
        rows = parse_grid(text, n, n, _symbols(n), numbers=False)
        return tuple(v for row in rows for v in row)

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n = b.rows
        out = []
        ok = [type(v) is int and 1 <= v <= n * n for v in grid]
        for i, v in enumerate(grid):
            if complete and not ok[i]:
                shown = "nothing" if v in (0, None, "") else v
                out.append(f"cell {b.name(i)} holds {shown}; it needs a letter {LETTERS[0]}-{LETTERS[n - 1]} and a "
                           f"number 1-{n}")
            if b.fixed[i] and grid[i] != b.start[i]:
                now = spell(v, n) if ok[i] else ("nothing" if v in (0, None, "") else v)
                out.append(f"given at {b.name(i)} changed from {spell(b.start[i], n)} to {now}")
        for name, cells in b.lines():
            for what, part in (("letter", 0), ("number", 1)):
                seen: dict[int, int] = {}
                for c in cells:
                    if ok[c]:
                        key = pair(grid[c], n)[part]
                        seen[key] = seen.get(key, 0) + 1
                for key in sorted(k for k, count in seen.items() if count > 1):
                    shown = LETTERS[key] if part == 0 else key
                    out.append(f"{name} repeats the {what} {shown}")
        where: dict[int, list[int]] = {}
        for i, v in enumerate(grid):
            if ok[i]:
                where.setdefault(v, []).append(i)
        for v, cells in sorted(where.items()):
            if len(cells) > 1:
                out.append(f"the pair {spell(v, n)} appears more than once: at " + ", ".join(map(b.name, cells)))
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        n = puzzle.data["size"]
        return "\n".join("|".join(spell(v, n) for v in grid[r * n:(r + 1) * n]) for r in range(n))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        n = puzzle.data["size"]
        return "\n".join("|".join(spell(v, n) if v else " " for v in grid[r * n:(r + 1) * n]) for r in range(n))

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        rows = puzzle.data.get("solution")
        if rows is None:
            raise RecordError("Eulero: this puzzle has no solution (an official 6x6 level-4 row?)")
        return tuple(self._values(rows, puzzle.data["size"]))

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data["size"], self.board(puzzle).start)

    def step_budget(self, puzzle: Puzzle) -> int:
        """3 per empty cell + 20, counted without the solution (an official level-4 row has none)."""
        return 3 * max(1, self.board(puzzle).open_cells(self.board(puzzle).start)) + 20

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        b = self.board(puzzle)
        grid = [s if f else int(rng.integers(1, b.rows * b.rows + 1)) for s, f in zip(b.start, b.fixed)]
        return self.write_answer(puzzle, grid)

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["size"]
        given = sum(self.board(puzzle).fixed)
        return (f"{n}x{n} Eulero with {given} pre-filled pairs; every row and column needs each letter "
                f"{LETTERS[0]}-{LETTERS[n - 1]} and each number 1-{n} once, and all {n * n} pairs must differ")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return ("every row and column holds each letter and each number once, all pairs differ and the givens "
                "are kept")

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        last = LETTERS[n - 1]
        return (f"Rules: every cell of the {n}×{n} grid holds a pair made of a letter from A to {last} and a number "
                f"from 1 to {n}, written together like A1. Each letter appears exactly once in every row and every "
                "column; each number appears exactly once in every row and every column; and no pair appears "
                f"twice anywhere in the grid (so all {n * n} combinations are used once). The pre-filled pairs "
                "stay as they are.")

    def _format(self, n: int) -> str:
        size = 4 if n == 3 else 3  # an example of another size can never be the answer
        example = EXAMPLES[size]
        return ("Answer format: one line per row from top to bottom, the cells of a row written left to right as "
                f"letter+number and separated by | without spaces, e.g. for a {size}×{size} grid:\n{example}\n"
                f"Yours has {n} lines of {n} pairs.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        if modality == "text":
            state = ("The grid, one row per line from top to bottom, its cells separated by | from left to right; a "
                     "blank cell (a single space between the bars) is empty and must be filled:\n\n"
                     + self.grid_text(puzzle, self.board(puzzle).start))
            head = "Solve this Eulero (Graeco-Latin square) puzzle."
            return f"{head}\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"
        state = (f"The picture shows the {n}×{n} grid (rows and columns numbered from 1); shaded cells hold the "
                 "pre-filled pairs, white cells are empty.")
        return (f"Solve the Eulero (Graeco-Latin square) puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n"
                f"{self._format(n)}")

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        b = self.board(puzzle)
        n = b.rows
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        for i, f in enumerate(b.fixed):
            if f:
                canvas.fill(i // n, i % n, GIVEN_FILL)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=1, scale=0.3)
        self.draw_values(canvas, puzzle, state, scale=0.4)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = puzzle.data["size"]
        return self.base_record(puzzle, index=f"eulero_{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                initial_state=self.grid_text(puzzle, self.board(puzzle).start))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        raw = decode_value(record.get("initial_state"))
        if not isinstance(raw, str):
            raise RecordError("Eulero: initial_state must be the grid text")
        grid = _read_rows(raw)
        n = len(grid)
        if not 2 <= n <= MAX_N or any(len(row) != n for row in grid):
            raise RecordError(f"Eulero: the grid is not square ({[len(row) for row in grid]})")
        words = _symbols(n)
        if any(cell and not isinstance(words.get(cell), int) for row in grid for cell in row):
            raise RecordError(f"Eulero: a cell is not a pair of a letter A-{LETTERS[n - 1]} and a number 1-{n}")
        probe = self.puzzle(self.record_level(record), {"size": n, "grid": grid})
        try:
            found = self.record_solution(probe, record.get("answer"))
        except RecordError:  # an official 6x6 level-4 row: no Graeco-Latin square of order 6 exists
            found = None
        data = {**probe.data, "solution": self._rows(found, n) if found is not None else None}
        return self.puzzle(probe.level, data, seed=self.record_seed(record))
