"""Numbrix (MM-HELIX key `numbrix`): write 1, 2, 3, ... into the grid so that consecutive numbers touch.

Step grammar (1-based `row column`, counted from the top left):
    place R C N   write the number N into the empty cell at row R, column C (`R C N` alone also works);
                  N must be 1..K (K = n*n for our puzzles, the largest number of an official one) and not
                  be on the board already
    erase R C     clear your number at row R, column C

Rules: every number 1..K goes into exactly one cell, keeping the givens, and each number k < K is orthogonally
adjacent to k + 1. Our puzzles trace a Hamiltonian path (K = n*n, every cell filled). The official generator's
walk sometimes loses cells, so some official puzzles end below n*n and leave cells empty; for those any path
1..M (M at least the largest given) through distinct cells passes, as with the official rule check.

Generation follows the official ladder (n = level + 3; the givens are 1, every g-th number after it, the
largest number and random further cells up to 45 % of the grid), on a random Hamiltonian path (a snake shaken
by random backbite moves) instead of the official greedy walk; givens that a second solution contradicts are
added until the solution is unique (the official "check" is a heuristic). The solver is the kit's Csp with two
propagators (each number once; a number needs its predecessor and successor among its neighbours) over
domains cut down by distance and parity to every given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import AnswerError, Board, GridTask, changed_givens, parse_grid, to_rows
from helix_gym.core.parse import clean_latex
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.core.topology import neighbours

GAP = {1: 2, 2: 2, 3: 3, 4: 4, 5: 6}  # the official spacing of the guaranteed givens 1, 1 + g, 1 + 2g, ...
GIVEN_SHARE = 0.45  # the official share of cells kept as givens
SHAKE = 12  # backbite moves per cell when shaking the starting snake
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 1-based coordinates on the left and on top
EMPTY_TINT = (240, 240, 240)  # the official light grey of an empty cell
MAX_SIDE = 12
_EMPTY_CELL = {"", ".", "_", "-", "?", "x", "0"}
_SPLIT = re.compile(r"\|")
_ROW_RULE = re.compile(r"^[\s|:+]*[-=][\s|:\-=+]*$")  # a markdown separator line (a row of blanks is not one)


# ---- paths --------------------------------------------------------------------------------------------------
def random_path(rng: np.random.Generator, n: int) -> list[int]:
    """A random Hamiltonian path of the n x n grid (cells row-major): a snake in a random orientation, shaken
    by backbite moves (an end jumps to a neighbour of it and the part between is reversed)."""
    rows = [[r * n + c for c in (range(n) if r % 2 == 0 else range(n - 1, -1, -1))] for r in range(n)]
    path = [c for row in rows for c in row]
    if rng.random() < 0.5:  # columns instead of rows
        path = [(c % n) * n + c // n for c in path]
    nbr = neighbours(n, n)
    size = n * n
    pos = [0] * size
    for k, c in enumerate(path):
        pos[c] = k
    draws = rng.random((SHAKE * size, 2)).tolist()
    for at_head, pick in draws:
        if at_head < 0.5:
            end, inner = path[0], path[1]
            options = [j for j in nbr[end] if j != inner]
            k = pos[options[int(pick * len(options))]]
            path[:k] = path[k - 1::-1]
            for i in range(k):
                pos[path[i]] = i
        else:
            end, inner = path[-1], path[-2]
            options = [j for j in nbr[end] if j != inner]
            k = pos[options[int(pick * len(options))]]
            path[k + 1:] = path[:k:-1]
            for i in range(k + 1, size):
                pos[path[i]] = i
    return path


def _distance(a: int, b: int, n: int) -> int:
    return abs(a // n - b // n) + abs(a % n - b % n)


# ---- the model -------------------------------------------------------------------------------------------
CHAIN_RULE = "consecutive numbers are orthogonal neighbours"
DISTANCE_RULE = "the distances to the givens (k steps from a given g: g ± k, g ± (k + 2), ...)"


def _model(n: int, givens: Sequence[int], top: int, narrated: bool = False) -> Csp:
    """The rules as a Csp over the cells: value 0 = not on the path (only when top < n*n), else 1..top.

    Domains start cut down by every given: a cell at distance d from a given g can only hold values v with
    |v - g| >= d and of the same parity as g + d (the grid is a chessboard: each step changes colour).
    `narrated` (solve_trace) makes that cut a rule of its own, so the trace says which cells it settles."""
    size = n * n
    values = ((1 << (top + 1)) - 1) & ~1
    empty = 1 if top < size else 0  # the bit of value 0: an official path may leave cells empty
    placed = [(i, g) for i, g in enumerate(givens) if g]
    cut = []
    for i in range(size):
        if givens[i]:
            cut.append(1 << givens[i])
            continue
        dom = values
        for j, g in placed:
            d = _distance(i, j, n)
            near = ((1 << (g + d)) - 1) & ~((1 << max(0, g - d + 1)) - 1)  # |v - g| < d
            parity = _PARITY[(g + d) % 2]
            dom &= ~near & parity
        cut.append(dom | empty)
    if not narrated:
        csp = Csp(cut)
    else:
        csp = Csp([c if givens[i] else values | empty for i, c in enumerate(cut)])
        csp.add(range(size), _within(cut), DISTANCE_RULE)
    csp.all_different(range(size), "each number is used exactly once", free=(0,), cover=range(1, top + 1))
    csp.add(range(size), _chain(n, top), CHAIN_RULE)
    return csp


def _within(cut: Sequence[int]):
    """Every cell keeps only the values its distances to the givens allow (a fixed mask per cell)."""

    def prune(dom: list[int]) -> bool:
        for i, m in enumerate(cut):
            d = dom[i] & m
            if not d:
                return False
            dom[i] = d
        return True

    return prune


_PARITY = (sum(1 << v for v in range(0, 160, 2)), sum(1 << v for v in range(1, 160, 2)))


def _chain(n: int, top: int):
    """A cell holding v needs v - 1 (v > 1) and v + 1 (v < top) among its neighbours' possible values."""
    nbr = neighbours(n, n)
    one, last = 1 << 1, 1 << top
    cells = range(n * n)

    def prune(dom: list[int]) -> bool:
        changed = True
        while changed:
            changed = False
            for c in cells:
                d = dom[c]
                around = 0
                for j in nbr[c]:
                    around |= dom[j]
                keep = d & (1 | (((around >> 1) | last) & ((around << 1) | one)))
                if keep != d:
                    if not keep:
                        return False
                    dom[c] = keep
                    changed = True
        return True

    return prune


@register_task
class Numbrix(GridTask):
    """Numbrix. Step grammar (1-based `row column`): `place R C N` (write N into an empty cell; `R C N` alone also
    works; N in 1..K and not on the board yet), `erase R C` (clear your number)."""

    name = "Numbrix"
    key = "numbrix"
    category = "puzzles"
    # SERG: propagation alone fills most grids. The quick checks are the distances to the givens and each number
    # once; the neighbour chain, which follows the path through the whole grid, comes with a hypothesis
    trace_quick = QuickChecks(skip=(CHAIN_RULE,))
    score_function = "numbrix_evaluator"
    step_help = (
        "place R C N: write the number N into the empty cell at row R, column C (1-based from the top left; "
        "`R C N` alone also works); each number goes on the board once\n"
        "erase R C: clear your number at row R, column C"
    )
    answer_help = "the completed grid, one line per row, each cell between bars: |1|2|3|4| (a blank cell: | |)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 3
        size = n * n
        path = random_path(rng, n)
        sol = [0] * size
        for k, c in enumerate(path):
            sol[c] = k + 1
        keep = {path[k] for k in range(0, size, GAP[level])} | {path[-1]}
        target = -(-size * 45 // 100)  # ceil(0.45 * n * n)
        for c in rng.permutation(size).tolist():
            if len(keep) >= target:
                break
            keep.add(int(c))
        givens = [sol[c] if c in keep else 0 for c in range(size)]
        for i in _model(n, givens, size).pin_until_unique(sol, rng):  # until only `sol` is left
            givens[i] = sol[i]
        return self.puzzle(level, {"n": n, "givens": to_rows(givens, n), "solution": to_rows(sol, n)})

    @staticmethod
    def top(puzzle: Puzzle) -> int:
        """K: the largest number of the puzzle (n*n for ours; the largest given of an official one)."""
        d = puzzle.data
        return max(v for rows in (d["givens"], d["solution"]) for row in rows for v in row)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = puzzle.data["n"]
        start = [v for row in puzzle.data["givens"] for v in row]
        return Board(n, n, start, verbs={"place": None, "erase": 0}, values=range(1, self.top(puzzle) + 1), base=1,
                     margin=MARGIN)

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        """The official `|a|b|...|` rows (a blank between bars = an empty cell), else any grid notation."""
        n = puzzle.data["n"]
        text = clean_latex(text if isinstance(text, str) else str(text))
        if len(text) > 20000:
            raise AnswerError("the answer is too long")
        if "|" in text:
            grid = _bar_rows(text, n)
            if grid is not None:
                return grid
        rows = parse_grid(text, n, n, {".": 0, "_": 0, "-": 0, "x": 0})
        return tuple(v for row in rows for v in row)

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n, size = b.rows, b.rows * b.rows
        out = [f"cell {b.name(i)} holds {v}; only whole numbers 1-{size} (or an empty cell) are allowed"
               for i, v in enumerate(grid) if type(v) is not int or not 0 <= v <= size]
        if out:
            return out
        out += changed_givens(b, grid)
        where: dict[int, list[int]] = {}
        for i, v in enumerate(grid):
            if v:
                where.setdefault(v, []).append(i)
        for v in sorted(where):
            if len(where[v]) > 1:
                out.append(f"{v} is written {len(where[v])} times, at " + ", ".join(b.name(i) for i in where[v]))
        if complete:
            out += self._gaps(puzzle, grid, where)
        placed = sorted(where)
        for v in placed:
            if v + 1 in where and len(where[v]) == 1 == len(where[v + 1]):
                a, c = where[v][0], where[v + 1][0]
                if _distance(a, c, n) != 1:
                    out.append(f"{v} at {b.name(a)} and {v + 1} at {b.name(c)} are not orthogonal neighbours")
        if not complete:
            out += self._stuck(puzzle, grid, where)
        return out

    def _gaps(self, puzzle: Puzzle, grid: Sequence[int], where: dict[int, list[int]]) -> list[str]:
        """A complete answer: the numbers 1..M (M its largest) each present, every cell filled when K = n*n."""
        size = len(grid)
        top = max(where, default=0)
        missing = [v for v in range(1, top + 1) if v not in where]
        out = []
        if missing:
            shown = ", ".join(map(str, missing[:8])) + (", ..." if len(missing) > 8 else "")
            out.append(f"the path 1-{top} misses the number{'s' if len(missing) > 1 else ''} {shown}")
        empty = grid.count(0)
        if self.top(puzzle) == size and empty:
            out.append(f"{empty} cell{'s are' if empty > 1 else ' is'} empty; every cell needs a number 1-{size}")
        return out

    def _stuck(self, puzzle: Puzzle, grid: Sequence[int], where: dict[int, list[int]]) -> list[str]:
        """A step-mode position: placed numbers that can no longer be joined to their next placed number (too
        far, wrong parity) or whose missing neighbour has no free cell left."""
        b = self.board(puzzle)
        n, top = b.rows, self.top(puzzle)
        nbr = neighbours(n, n)
        out = []
        placed = sorted(v for v in where if len(where[v]) == 1)
        for v, w in itertools.pairwise(placed):
            if w > v + 1:
                a, c = where[v][0], where[w][0]
                d = _distance(a, c, n)
                if d > w - v or (w - v - d) % 2:
                    out.append(f"{v} at {b.name(a)} and {w} at {b.name(c)} cannot be joined by a path of "
                               f"{w - v} steps")
        for v in placed:
            a = where[v][0]
            free = any(not grid[j] for j in nbr[a])
            for u in (v - 1, v + 1):
                if 1 <= u <= top and u not in where and not free:
                    out.append(f"{v} at {b.name(a)} has no empty neighbour left for {u}")
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official rows `|a|b|...|`, a blank cell as a space (the record's answer adds a leading newline)."""
        return _bars(grid, puzzle.data["n"])

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return _bars(grid, puzzle.data["n"])

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data["n"], self.board(puzzle).start, max(self.board(puzzle).start), narrated=True)

    def trace_intro(self, puzzle: Puzzle) -> str:
        n, top = puzzle.data["n"], self.top(puzzle)
        b = self.board(puzzle)
        return (f"a {n}x{n} Numbrix with {sum(b.fixed)} given numbers; the numbers 1-{top} must form a path of "
                "orthogonal steps, each number once")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every number 1 to the largest is written once, the givens are kept, and consecutive numbers touch"

    # ---- step mode -------------------------------------------------------------------------------------
    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple:
        b = self.board(puzzle)
        verb, i, value = b.parse(move)
        if verb == "place" and not b.fixed[i] and value in state and state[i] != value:
            raise InvalidMove(f"{value} is already on the board at {b.name(state.index(value))}; erase it first")
        return b.apply(state, move)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return not self.violations(puzzle, state, complete=True)

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        if self.top(puzzle) == len(state):
            return super().state_answer(puzzle, state)
        return self.write_answer(puzzle, state)

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, puzzle: Puzzle) -> str:
        n, top = puzzle.data["n"], self.top(puzzle)
        if top == n * n:
            return (f"Rules: write the numbers 1 to {top} into the {n}×{n} grid, one number in every cell, keeping "
                    "the given numbers. Each number must sit directly above, below, left or right of the next "
                    f"number (not diagonally), so that 1, 2, 3, ..., {top} form one continuous path through the "
                    "grid.")
        biggest = max(self.board(puzzle).start)
        return (f"Rules: write numbers into the {n}×{n} grid, keeping the given numbers, so that 1, 2, 3, ... up to "
                "the largest number form one continuous path: each number sits directly above, below, left or "
                "right of the next one (not diagonally) and each number is used once. In this puzzle the path "
                f"does not visit every cell: it runs from 1 to at least {biggest}, the largest given number, and "
                "the cells it does not visit stay empty.")

    def _format(self, n: int) -> str:
        return (f"Answer format: the completed grid as {n} lines, one per row from top to bottom, each cell "
                "between vertical bars, e.g. for a 3×3 grid:\n|1|2|3|\n|6|5|4|\n|7|8|9|\n"
                "(write an empty cell as a space between two bars: | |).")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["n"]
        if modality == "text":
            state = ("The grid, one row per line from top to bottom, cells between bars; a number is a given and "
                     "a blank cell is empty:\n\n" + self.grid_text(puzzle, self.board(puzzle).start))
            head = "Solve this Numbrix puzzle."
        else:
            state = (f"The picture shows the {n}×{n} grid with its rows and columns numbered 1-{n} on the margins. "
                     "White cells hold the given numbers; grey cells are empty.")
            head = "Solve the Numbrix puzzle in the picture."
        return f"{head}\n\n{self._rules(puzzle)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        n = puzzle.data["n"]
        b = self.board(puzzle)
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        grid = b.start if state is None else state
        for i, fixed in enumerate(b.fixed):
            if not fixed:
                canvas.fill(*divmod(i, n), EMPTY_TINT if not grid[i] else draw.WHITE)
        canvas.grid_lines(draw.GRID_LINE, 0.025)
        canvas.frame(draw.BLACK, 0.04)
        canvas.coordinates(base=1, scale=0.32)
        self.draw_values(canvas, puzzle, state, scale=0.42)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = puzzle.data["n"]
        return self.base_record(puzzle, index=f"numbrix_{n}_{puzzle.fingerprint}", answer="\n" + self.solve(puzzle),
                                initial_state="\n" + self.grid_text(puzzle, self.board(puzzle).start))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        raw = decode_value(record.get("initial_state"))
        if isinstance(raw, list):
            try:
                flat = [int(v or 0) for row in raw for v in row]
            except (TypeError, ValueError) as exc:
                raise RecordError(f"Numbrix: unreadable initial_state ({exc})") from exc
        else:
            rows = [line for line in str(raw).splitlines() if "|" in line and not _ROW_RULE.match(line)]
            flat = _bar_rows("\n".join(rows), len(rows)) if rows else None
            if flat is None:
                raise RecordError("Numbrix: initial_state must be rows of |a|b|...| cells")
        n = round(len(flat) ** 0.5)
        if n * n != len(flat) or not 2 <= n <= MAX_SIDE or not all(0 <= v <= n * n for v in flat) or not any(flat):
            raise RecordError("Numbrix: the initial_state is not a square grid of numbers 0..n*n")
        givens = to_rows(flat, n)  # also the solution until one is found: the largest number counts there too
        return self.record_puzzle(record, {"n": n, "givens": givens, "solution": givens}, record.get("answer"))


def _bars(grid: Sequence[int], n: int) -> str:
    return "\n".join("|" + "|".join(str(v) if v else " " for v in row) + "|" for row in to_rows(list(grid), n))


def _bar_rows(text: str, n: int) -> tuple[int, ...] | None:
    """Cells of `|a|b|...|` rows (blank between bars = 0); None unless they make n rows of n (or n*n in all)."""
    cells: list[Any] = []
    rows = 0
    for line in text.splitlines():
        line = line.strip()
        if "|" not in line or _ROW_RULE.match(line):
            continue
        parts = [p.strip().lower() for p in _SPLIT.split(line.strip().strip("|"))]
        row = []
        for p in parts:
            if p in _EMPTY_CELL:
                row.append(0)
                continue
            try:
                f = float(p)
            except ValueError:
                return None
            row.append(int(f) if f.is_integer() and abs(f) < 1e9 else f)
        if len(row) != n and len(row) != n * n:
            return None
        cells += row
        rows += 1
    return tuple(cells) if len(cells) == n * n else None
