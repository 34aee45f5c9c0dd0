"""Sudoku (MM-HELIX key `sudoku`): classic 9x9, unique solution, judged by the rules.

Generation follows the official recipe (a relabelled, shuffled pattern grid; cells dug in random order while
the solution stays unique) with a bitmask solver fast enough for a live reset: a blanked cell whose digit is
forced by its peers needs no search, and otherwise the search only asks "is there a solution with another
digit here?", which stops at the first one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

N = 9
CELLS = 81
FULL = 0x1FF  # bit d-1 set = digit d
TARGET_GIVENS = {1: 40, 2: 36, 3: 32, 4: 28, 5: 24}
DIG_ATTEMPTS = 5  # a dig that stops above the target is redone with a new order, at most this many times
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 1-9 coordinates on the left and on top

ROW = [i // N for i in range(CELLS)]
COL = [i % N for i in range(CELLS)]
BOX = [(i // 27) * 3 + (i % N) // 3 for i in range(CELLS)]
POP = [bin(m).count("1") for m in range(512)]
BITS = [tuple(1 << d for d in range(N) if m >> d & 1) for m in range(512)]
DIGIT = {1 << d: d + 1 for d in range(N)}
PEERS = [[j for j in range(CELLS) if j != i and (ROW[j] == ROW[i] or COL[j] == COL[i] or BOX[j] == BOX[i])]
         for i in range(CELLS)]
UNITS = (
    [("row", u, [u * N + c for c in range(N)]) for u in range(N)]
    + [("column", u, [r * N + u for r in range(N)]) for u in range(N)]
    + [("box", u, [(u // 3 * 3 + k // 3) * N + u % 3 * 3 + k % 3 for k in range(N)]) for u in range(N)]
)

_VERBS = {"place": "place", "put": "place", "set": "place", "fill": "place", "write": "place", "p": "place",
          "erase": "erase", "clear": "erase", "delete": "erase", "remove": "erase", "e": "erase"}
_VERB_RE = "|".join(sorted(_VERBS, key=len, reverse=True))
_COMMAND = re.compile(rf"^(?:({_VERB_RE})\b\s*)?([0-9\s,;:()\[\]=rc]*)$")  # verb optional: `R C V` places
_LABEL = re.compile(r"(?i)\b(?:row|r)\s*\d+\s*[:=)\]\-]")
_SIZE = re.compile(r"\b9\s*[x×]\s*9\b", re.I)
_TOKEN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PLACE_KEYS = {**{str(d): d for d in range(1, 10)}, **{f"[{d}]": d for d in range(1, 10)}}
_ERASE_KEYS = {"backspace", "delete", "0", "[0]", "space"}


# ---- the fast solver --------------------------------------------------------------------------------------
def _masks(grid: list[int]) -> tuple[list[int], list[int], list[int]] | None:
    """Digits used per row, column and box; None when two givens clash."""
    rows, cols, boxes = [0] * N, [0] * N, [0] * N
    for i, v in enumerate(grid):
        if v:
            b = 1 << (v - 1)
            if (rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]]) & b:
                return None
            rows[ROW[i]] |= b
            cols[COL[i]] |= b
            boxes[BOX[i]] |= b
    return rows, cols, boxes


def _search(grid: list[int], rows: list[int], cols: list[int], boxes: list[int], empties: list[int],
            limit: int) -> list[list[int]]:
    """Depth-first search, most constrained empty cell first; returns up to `limit` completed grids.

    `empties[k:]` are the cells still open at depth k; the chosen cell is swapped to position k. The masks
    and `grid` are restored on return."""
    found: list[list[int]] = []
    n = len(empties)

    def rec(k: int) -> bool:
        if k == n:
            found.append(grid[:])
            return len(found) >= limit
        best, best_n, best_m = k, 10, 0
        for j in range(k, n):
            c = empties[j]
            m = FULL & ~(rows[ROW[c]] | cols[COL[c]] | boxes[BOX[c]])
            p = POP[m]
            if p < best_n:
                best, best_n, best_m = j, p, m
                if p <= 1:
                    break
        if best_n == 0:
            return False
        c = empties[best]
        empties[best], empties[k] = empties[k], c
        r, q, x = ROW[c], COL[c], BOX[c]
        for b in BITS[best_m]:
            rows[r] |= b
            cols[q] |= b
            boxes[x] |= b
            grid[c] = DIGIT[b]
            stop = rec(k + 1)
            rows[r] ^= b
            cols[q] ^= b
            boxes[x] ^= b
            if stop:
                grid[c] = 0
                return True
        grid[c] = 0
        return False

    rec(0)
    return found


def solutions(grid: list[int], limit: int = 2) -> list[list[int]]:
    """Up to `limit` solutions of a flat 81-cell grid (0 = blank)."""
    grid = list(grid)
    masks = _masks(grid)
    if masks is None:
        return []
    return _search(grid, *masks, [i for i in range(CELLS) if not grid[i]], limit)


def _has_other(grid: list[int], rows: list[int], cols: list[int], boxes: list[int], cell: int, value: int) -> bool:
    """Does the grid (with `cell` blank and out of the masks) have a solution where `cell` is not `value`?"""
    r, q, x = ROW[cell], COL[cell], BOX[cell]
    empties = [i for i in range(CELLS) if not grid[i] and i != cell]
    for b in BITS[FULL & ~(rows[r] | cols[q] | boxes[x] | 1 << (value - 1))]:
        rows[r] |= b
        cols[q] |= b
        boxes[x] |= b
        found = _search(grid, rows, cols, boxes, empties, 1)
        rows[r] ^= b
        cols[q] ^= b
        boxes[x] ^= b
        if found:
            return True
    return False


def _full_grid(rng: np.random.Generator) -> list[int]:
    """The shifted-pattern grid with shuffled bands, rows in bands, stacks, columns in stacks and digits."""

    def order() -> list[int]:
        return [3 * int(g) + int(k) for g in rng.permutation(3) for k in rng.permutation(3)]

    rows, cols, digits = order(), order(), [int(d) + 1 for d in rng.permutation(N)]
    return [digits[(3 * (r % 3) + r // 3 + c) % N] for r in rows for c in cols]


def _dig(solution: list[int], order: list[int], target: int) -> list[int]:
    """Blank cells in `order` while the solution stays unique, until `target` givens remain.

    One pass is enough: a cell that cannot go now can never go later, since fewer givens only add solutions."""
    grid = solution[:]
    rows, cols, boxes = [FULL] * N, [FULL] * N, [FULL] * N
    left = CELLS
    for cell in order:
        if left <= target:
            break
        v, b = grid[cell], 1 << (grid[cell] - 1)
        r, q, x = ROW[cell], COL[cell], BOX[cell]
        grid[cell] = 0
        rows[r] ^= b
        cols[q] ^= b
        boxes[x] ^= b
        # the peers' givens force the digit (a naked single): unique without a search
        if (rows[r] | cols[q] | boxes[x] | b) == FULL or not _has_other(grid, rows, cols, boxes, cell, v):
            left -= 1
            continue
        grid[cell] = v
        rows[r] |= b
        cols[q] |= b
        boxes[x] |= b
    return grid


# ---- the explaining solver (for solve_trace) --------------------------------------------------------------
def _where(cell: int) -> str:
    return f"({ROW[cell] + 1},{COL[cell] + 1})"


def _unit_name(kind: str, u: int) -> str:
    if kind == "box":
        return f"box {u + 1} (rows {u // 3 * 3 + 1}-{u // 3 * 3 + 3}, columns {u % 3 * 3 + 1}-{u % 3 * 3 + 3})"
    return f"{kind} {u + 1}"


def _candidates(grid: list[int], cell: int) -> int:
    used = 0
    for j in PEERS[cell]:
        if grid[j]:
            used |= 1 << (grid[j] - 1)
    return FULL & ~used


def _next_deduction(grid: list[int], hidden: bool = True) -> tuple[str, int, int, str]:
    """The first forced step: ("dead", ..., rule) on a contradiction, ("set", cell, digit, why), or ("none", ...).
    Naked singles first, then (with `hidden`) hidden singles."""
    cands = {i: _candidates(grid, i) for i in range(CELLS) if not grid[i]}
    for cell, m in cands.items():
        if m == 0:
            return "dead", cell, 0, f"cell {_where(cell)} has no candidate"
    for cell, m in cands.items():
        if POP[m] == 1:
            return "set", cell, DIGIT[m], f"cell {_where(cell)} can only hold {DIGIT[m]}"
    if not hidden:
        return "none", -1, 0, ""
    for kind, u, cells in UNITS:
        placed = {grid[j] for j in cells if grid[j]}
        for d in range(1, 10):
            if d in placed:
                continue
            spots = [j for j in cells if not grid[j] and cands[j] >> (d - 1) & 1]
            if not spots:
                return "dead", -1, d, f"digit {d} has no place in {_unit_name(kind, u)}"
            if len(spots) == 1:
                return "set", spots[0], d, f"{d} fits only at {_where(spots[0])} in {_unit_name(kind, u)}"
    return "none", -1, 0, ""


def _grid_text(grid: list[int] | tuple[int, ...]) -> str:
    return "\n".join(" ".join(str(v) if v else "." for v in grid[r * N:(r + 1) * N]) for r in range(N))


def _trace(grid: list[int], events: list[TraceEvent], quick: bool = False) -> list[int] | None:
    """Singles until stuck, then guess on the cell with fewest candidates; events record every step.

    `quick` (the root of a trace): naked singles only before the first guess, the way a person fills the cells
    with one candidate before hunting for hidden singles; most generated grids fall to singles alone, so a
    trace that used every single at once would show no search. Below the guess, every single counts."""
    grid = grid[:]
    while True:
        kind, cell, digit, why = _next_deduction(grid, hidden=not quick)
        if kind == "dead":
            events.append(TraceEvent("dead_end", None, why))
            return None
        if kind == "none":
            break
        grid[cell] = digit
        events.append(TraceEvent("deduce", f"place {ROW[cell] + 1} {COL[cell] + 1} {digit}", why, _grid_text(grid)))
    empties = [i for i in range(CELLS) if not grid[i]]
    if not empties:
        return grid
    cell = min(empties, key=lambda i: POP[_candidates(grid, i)])
    options = [DIGIT[b] for b in BITS[_candidates(grid, cell)]]
    for digit in options:
        trial = grid[:]
        trial[cell] = digit
        lead = "no cell has a single candidate left" if quick else "no single left"
        events.append(TraceEvent("try", f"place {ROW[cell] + 1} {COL[cell] + 1} {digit}",
                                 f"{lead}; cell {_where(cell)} has candidates "
                                 f"{', '.join(map(str, options))}: try {digit}", _grid_text(trial)))
        solved = _trace(trial, events)
        if solved is not None:
            return solved
        events.append(TraceEvent("backtrack", None, f"{digit} at {_where(cell)} leads to a contradiction; undo it",
                                 _grid_text(grid)))
    return None


# ---- checking a full grid ------------------------------------------------------------------------------
def _rule_violations(values: list, givens: list[int]) -> list[str]:
    """Every broken rule of a filled 81-cell grid, in words."""
    out = [f"cell {_where(i)} holds {v}; only digits 1-9 are allowed"
           for i, v in enumerate(values) if not (isinstance(v, int) and 1 <= v <= 9)]
    out += [f"given at {_where(i)} changed from {g} to {values[i]}"
            for i, g in enumerate(givens) if g and values[i] != g]
    out += _repeats(values)
    return out


def _repeats(values: list | tuple) -> list[str]:
    """`row 3 repeats 5` for each digit seen twice in a row, column or box (blanks and junk ignored)."""
    out = []
    for kind, u, cells in UNITS:
        seen = 0
        twice = 0
        for j in cells:
            v = values[j]
            if isinstance(v, int) and 1 <= v <= 9:
                b = 1 << (v - 1)
                twice |= seen & b
                seen |= b
        out += [f"{_unit_name(kind, u)} repeats {DIGIT[b]}" for b in BITS[twice]]
    return out


def _parse_answer(text: str) -> list | str:
    """81 values from any common notation, or the reason none could be read."""
    if len(text) > 20000:
        return "the answer is too long"
    text = _SIZE.sub(" ", _LABEL.sub(" ", clean_latex(text)))
    tokens = _TOKEN.findall(text)
    if len(tokens) != CELLS and all(t.isdigit() for t in tokens):
        digits = "".join(tokens)
        if len(digits) == CELLS:  # rows written as runs of digits: 534678912
            tokens = list(digits)
    if len(tokens) != CELLS:
        return f"expected 81 digits (9 rows of 9, row-major), found {len(tokens)} numbers"
    values: list = []
    for t in tokens:
        f = float(t)
        values.append(int(f) if f.is_integer() else f)
    return values


def _parse_givens(raw: Any) -> list[int]:
    """The official initial_state (9 lines of digits and dots) or a 9x9 list, as 81 ints with 0 = blank."""
    if isinstance(raw, list):
        cells = [int(v or 0) for row in raw for v in row]
    else:
        cells = [0 if t in ".0_" else int(t) for t in re.findall(r"[1-9]|[._0]", str(raw))]
    if len(cells) != CELLS or any(not 0 <= v <= 9 for v in cells):
        raise RecordError(f"Sudoku: initial_state must hold 81 cells, found {len(cells)}")
    return cells


def _rows(flat: list[int] | tuple[int, ...]) -> list[list[int]]:
    return [list(flat[r * N:(r + 1) * N]) for r in range(N)]


@register_task
class Sudoku(Task):
    name = "Sudoku"
    key = "sudoku"
    category = "puzzles"
    score_function = "sudoku_evaluator"
    step_help = (
        "place R C V: write digit V (1-9) in the empty cell at row R, column C (1-based from the top left; "
        "`R C V` alone also works)\n"
        "erase R C: clear the digit you wrote at row R, column C"
    )
    answer_help = "the solved grid as 81 digits in row-major order, separated by single spaces"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        target = TARGET_GIVENS[level]
        solution = _full_grid(rng)
        best = solution
        for _ in range(DIG_ATTEMPTS):
            grid = _dig(solution, [int(i) for i in rng.permutation(CELLS)], target)
            if sum(map(bool, grid)) < sum(map(bool, best)):
                best = grid
            if sum(map(bool, best)) <= target:
                break
        return self.puzzle(level, {"givens": _rows(best), "solution": _rows(solution)})

    @staticmethod
    def _givens(puzzle: Puzzle) -> list[int]:
        return [v for row in puzzle.data["givens"] for v in row]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return " ".join(str(v) for row in puzzle.data["solution"] for v in row)

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        givens = self._givens(puzzle)
        sol = [v for row in puzzle.data["solution"] for v in row]
        return [f"place {ROW[i] + 1} {COL[i] + 1} {sol[i]}" for i in range(CELLS) if not givens[i]]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        givens = self._givens(puzzle)
        blanks = CELLS - sum(map(bool, givens))
        events = [TraceEvent("read", None, f"9x9 Sudoku with {CELLS - blanks} givens and {blanks} empty cells; "
                             "each row, column and 3x3 box needs 1-9 once", _grid_text(givens))]
        solved = _trace(givens, events, quick=True)
        if solved is None:  # cannot happen for a valid instance; fall back to the stored solution
            solved = [v for row in puzzle.data["solution"] for v in row]
        answer = " ".join(map(str, solved))
        events.append(TraceEvent("check", None, "every row, column and box holds 1-9 once and the givens are kept"))
        events.append(TraceEvent("answer", answer, "the completed grid, row by row"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            values = _parse_answer(answer if isinstance(answer, str) else str(answer))
            if isinstance(values, str):
                return Verdict.wrong(values)
            grid = _rows(values)
            violations = _rule_violations(values, self._givens(puzzle))
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        return Verdict.wrong(*violations, parsed=grid) if violations else Verdict.ok(grid)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return " ".join(str(g or int(rng.integers(1, 10))) for g in self._givens(puzzle))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        rules = ("Rules: fill every empty cell with a digit from 1 to 9 so that each row, each column and each of "
                 "the nine 3×3 boxes contains every digit from 1 to 9 exactly once. The given digits stay as they "
                 "are.")
        fmt = ("Answer format: the completed grid as 81 digits in row-major order (row 1 from left to right, then "
               "row 2, and so on down to row 9), separated by single spaces, with nothing else in the answer.")
        if modality == "text":
            state = ("The grid, one row per line from top to bottom, cells separated by spaces; a digit is a given "
                     "and '.' marks an empty cell:\n\n" + _grid_text(self._givens(puzzle)))
            return f"Solve this 9×9 Sudoku.\n\n{rules}\n\n{state}\n\n{fmt}"
        state = ("The picture shows the 9×9 grid, split into 3×3 boxes by thick lines. Rows are numbered 1-9 from "
                 "top to bottom and columns 1-9 from left to right on the margins. Printed digits are givens; the "
                 "other cells are empty.")
        return f"Solve the 9×9 Sudoku in the picture.\n\n{rules}\n\n{state}\n\n{fmt}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        givens = self._givens(puzzle)
        canvas = draw.GridCanvas(N, N, size, margin=MARGIN, background=draw.PAPER)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.box_lines(3, 3, draw.BLACK, 0.06)
        canvas.coordinates(base=1, scale=0.36)
        for i, v in enumerate(state if state is not None else givens):
            if v:
                canvas.write(ROW[i], COL[i], str(v), draw.GIVEN if givens[i] else draw.ENTERED, scale=0.62)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return tuple(self._givens(puzzle))

    def _parse_move(self, move: str) -> tuple[str, int, int, int]:
        text = normalize_command(move)
        m = _COMMAND.match(text)
        verb = _VERBS.get(m.group(1) or "place") if m else None
        if verb is None:
            raise InvalidMove(f"unknown command {move!r}; use `place R C V` or `erase R C`")
        nums = [int(t) for t in re.findall(r"[0-9]+", m.group(2))]
        if len(nums) != (3 if verb == "place" else 2):
            usage = "place R C V" if verb == "place" else "erase R C"
            raise InvalidMove(f"`{verb}` needs {usage} (row, column{', digit' if verb == 'place' else ''})")
        r, c = nums[0], nums[1]
        if not (1 <= r <= 9 and 1 <= c <= 9):
            raise InvalidMove(f"row and column must be 1-9, got ({r},{c})")
        v = nums[2] if verb == "place" else 0
        if verb == "place" and not 1 <= v <= 9:
            raise InvalidMove(f"the digit must be 1-9, got {v}")
        return verb, r - 1, c - 1, v

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, ...]:
        verb, r, c, v = self._parse_move(move)
        cell = r * N + c
        if puzzle.data["givens"][r][c]:
            raise InvalidMove(f"cell ({r + 1},{c + 1}) is a given and cannot change")
        if verb == "erase" and not state[cell]:
            raise InvalidMove(f"cell ({r + 1},{c + 1}) is already empty")
        return (*state[:cell], v, *state[cell + 1:])

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        return _grid_text(state)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return 0 not in state and not _repeats(state)

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str] | None:
        return None

    def move_space(self, puzzle: Puzzle) -> list[str]:
        places = [f"place {r} {c} {v}" for r in range(1, 10) for c in range(1, 10) for v in range(1, 10)]
        return places + [f"erase {r} {c}" for r in range(1, 10) for c in range(1, 10)]

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        empty = state.count(0)
        if empty:
            raise InvalidMove(f"{empty} cell{'s are' if empty > 1 else ' is'} still empty")
        return " ".join(map(str, state))

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        return _repeats(state)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * self._givens(puzzle).count(0) + 20

    # ---- human play ------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        return draw.grid_cell_at(N, N, x, y, size, MARGIN)

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        r, c = cell
        if not (0 <= r < N and 0 <= c < N) or puzzle.data["givens"][r][c]:
            return None
        key = str(key).lower()
        if key in _PLACE_KEYS:
            return f"place {r + 1} {c + 1} {_PLACE_KEYS[key]}"
        if key in _ERASE_KEYS and state[r * N + c]:
            return f"erase {r + 1} {c + 1}"
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        givens = self._givens(puzzle)
        return self.base_record(puzzle, index=f"sudoku_9_d{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), initial_state=_grid_text(givens),
                                step_count=givens.count(0))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        if "initial_state" not in record:
            raise RecordError("Sudoku: the record has no initial_state grid")
        givens = _parse_givens(record["initial_state"])
        solution = self._record_solution(record.get("answer"), givens)
        data = {"givens": _rows(givens), "solution": _rows(solution)}
        return self.puzzle(self.record_level(record), data, seed=self.record_seed(record))

    @staticmethod
    def _record_solution(answer: Any, givens: list[int]) -> list[int]:
        """The record's answer when it is a valid solution, else the solver's (the first one it finds)."""
        values = _parse_answer(answer) if isinstance(answer, str) else None
        if isinstance(values, list) and not _rule_violations(values, givens):
            return values
        found = solutions(givens, 1)
        if not found:
            raise RecordError("Sudoku: the givens admit no solution")
        return found[0]
