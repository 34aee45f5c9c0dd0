"""Nonogram (MM-HELIX key `nonogram`): fill cells so that every row and column shows its clue's runs.

Step grammar (1-based `row column`, counted from the top left):
    fill R C          fill the cell at row R, column C (`R C` alone also fills)
    cross R C         mark the cell as empty (a note for yourself: crossed and blank cells both count as empty)
    clear R C         make a filled or crossed cell blank again
    row R PATTERN     set the whole row R at once from X (filled) and . (crossed), e.g. `row 2 XX..X`; `_` or
                      `?` leaves a cell blank; the row command overrides every cell of the row and is one move

A position is a tuple of cell values: 0 blank, 1 filled, 2 crossed. `submit` judges the filled cells (blank and
crossed both mean empty), and any grid matching all clues solves the puzzle.

Generation follows the official ladder (n = level + 2, a base fill probability per level shifted by a random
amount, one of five picture styles, the official fix-ups), then redraws the picture until the clues have a
single solution (the official generator never checks: 18/30 of its level-5 instances have several). The
verifier checks the clues, not one stored picture, so every valid grid is accepted, official rows included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks, Table
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import AnswerError, Board, GridTask, bad_values, to_rows
from helix_gym.core.parse import clean_latex
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle

BLANK, FILLED, CROSSED = 0, 1, 2
BASE_P = {1: 0.50, 2: 0.45, 3: 0.40, 4: 0.35, 5: 0.30}  # the official fill probability per level
STYLES = ("random", "stripes", "blobs", "mirror", "border")
MAX_DRAWS = 400  # a safety cap on redraws: with >= 1 in 3 pictures unique, 400 misses in a row never happen
CLUE_SLOT = 0.5  # width (and height) of one clue number's slot in the margins, in cells
CLUE_INK = (35, 45, 70)
CLUE_BAND = (226, 234, 246)
INDEX_INK = (150, 150, 150)
FILL_INK = (30, 35, 45)
CROSS_INK = (150, 150, 150)
MAX_SIDE = 15

_ROW_COMMAND = re.compile(r"^row\s*(\d+)\s*[:=]?\s*(.*)$")
_PATTERN_SEP = re.compile(r"[\s,;|\[\](){}\"'`]+")
_PATTERN = {"x": FILLED, "#": FILLED, "1": FILLED, "■": FILLED, ".": CROSSED, "0": CROSSED, "-": CROSSED,
            "o": CROSSED, "_": BLANK, "?": BLANK}
_VERBS = {"fill": FILLED, "cross": CROSSED, "clear": BLANK}
_ALIASES = {"shade": "fill", "black": "fill", "set": "fill", "place": "fill", "put": "fill", "f": "fill",
            "mark": "cross", "empty": "cross", "blank": "cross", "dot": "cross", "x": "cross",
            "unfill": "clear", "uncross": "clear", "reset": "clear", "c": "clear"}  # erase, delete...: clear
_KEYS = {**dict.fromkeys(("f", "x", "space", "return", "1"), FILLED),  # again: blank
         **dict.fromkeys(("c", "period", ".", "0", "2"), CROSSED), "e": BLANK}  # backspace, delete: clear too


# ---- lines -------------------------------------------------------------------------------------------------
def runs(line: Sequence[Any]) -> list[int]:
    """The lengths of the maximal runs of filled cells (value 1), left to right."""
    out: list[int] = []
    k = 0
    for v in line:
        if v == FILLED:
            k += 1
        elif k:
            out.append(k)
            k = 0
    if k:
        out.append(k)
    return out


@lru_cache(maxsize=4096)
def placements(length: int, clue: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Every 0/1 line of `length` cells whose runs are `clue`."""
    if not clue:
        return ((0,) * length,)
    first, rest = clue[0], clue[1:]
    need = sum(rest) + len(rest)  # room the later runs take, with their gaps
    out = []
    for start in range(length - need - first + 1):
        head = (0,) * start + (1,) * first
        if rest:
            out += [(*head, 0, *tail) for tail in placements(length - start - first - 1, rest)]
        else:
            out.append(head + (0,) * (length - start - first))
    return tuple(out)


@lru_cache(maxsize=4096)
def line_table(length: int, clue: tuple[int, ...]) -> Table:
    """The placements as a csp Table over the values 1 (filled) and 2 (crossed), shared by every puzzle with
    this line: the solver's deductions are the step commands `fill` and `cross`."""
    return Table(tuple(FILLED if v else CROSSED for v in p) for p in placements(length, clue))


def fits(clue: Sequence[int], line: Sequence[int]) -> bool:
    """Can a line with these cells (1 filled, 2 crossed = surely empty, 0 undecided) still match `clue`?"""
    return any(all(v == BLANK or (v == FILLED) == bool(p) for v, p in zip(line, placement))
               for placement in placements(len(line), tuple(clue)))


def clue_text(clue: Sequence[int]) -> str:
    return "[" + ", ".join(map(str, clue)) + "]"


# ---- the model -------------------------------------------------------------------------------------------
def _lines(data: dict[str, Any]) -> list[tuple[str, list[int], tuple[int, ...]]]:
    """Every row and column as (name, cells, clue), 1-based names."""
    rows, cols = len(data["rows"]), len(data["cols"])
    out = [(f"row {r + 1}", [r * cols + c for c in range(cols)], tuple(data["rows"][r])) for r in range(rows)]
    out += [(f"column {c + 1}", [r * cols + c for r in range(rows)], tuple(data["cols"][c])) for c in range(cols)]
    return out


def _model(data: dict[str, Any]) -> Csp:
    """The clues as a Csp over 0/1 cells: one table of its placements per row and column."""
    csp = Csp.uniform(len(data["rows"]) * len(data["cols"]), (FILLED, CROSSED))
    for name, cells, clue in _lines(data):
        csp.table(cells, line_table(len(cells), clue), f"the clue {clue_text(clue)} of {name}")
    return csp


def clues_of(grid: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Row clues and column clues of a 0/1 picture."""
    return [runs(row) for row in grid], [runs(col) for col in zip(*grid)]


# ---- pictures for the generator ---------------------------------------------------------------------------
def _picture(rng: np.random.Generator, n: int, level: int) -> list[list[int]]:
    """One official-style picture: a style, a fill probability, and the official fix-ups."""
    p = min(0.7, max(0.1, BASE_P[level] + float(rng.uniform(-0.05, 0.045))))
    style = STYLES[int(rng.integers(len(STYLES)))]
    u = rng.random((n, n))
    if style == "random":
        grid = u < p
    elif style == "stripes":
        grid = (u < 1.5 * p) & (np.add.outer(np.arange(n), np.arange(n)) % 3 == 0)
    elif style == "blobs":
        grid = np.zeros((n, n), dtype=bool)
        for _ in range(max(1, int(n * n * p / 4))):
            r, c, rad = int(rng.integers(n)), int(rng.integers(n)), int(rng.integers(1, 4))
            r0, r1, c0, c1 = max(0, r - rad), min(n, r + rad + 1), max(0, c - rad), min(n, c + rad + 1)
            grid[r0:r1, c0:c1] |= u[r0:r1, c0:c1] < 0.7
    elif style == "mirror":
        half = u < p
        grid = np.where(np.arange(n) < (n + 1) // 2, half, half[:, ::-1])
    else:  # border-heavy
        edge = np.zeros((n, n), dtype=bool)
        edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
        grid = np.where(edge, u < 2 * p, u < 0.5 * p)
    out = grid.astype(int).tolist()
    _fix_up(rng, out, n)
    return out


def _fix_up(rng: np.random.Generator, grid: list[list[int]], n: int) -> None:
    """The official fix-ups: at least one filled cell, not all filled, at least n // 3 rows with a filled cell."""
    flat = [v for row in grid for v in row]
    if not any(flat):
        grid[int(rng.integers(n))][int(rng.integers(n))] = 1
    if all(flat):
        grid[int(rng.integers(n))][int(rng.integers(n))] = 0
    empty_rows = [r for r in range(n) if not any(grid[r])]
    while n - len(empty_rows) < n // 3:
        r = empty_rows.pop(int(rng.integers(len(empty_rows))))
        grid[r][int(rng.integers(n))] = 1


def _board(rows: int, cols: int) -> Board:
    return Board(rows, cols, [BLANK] * (rows * cols), verbs=_VERBS, values=(BLANK, FILLED, CROSSED), base=1,
                 empty=BLANK, aliases=_ALIASES, default_verb="fill", keys=_KEYS, margin=(0.5, 0.5, 0.5, 0.5),
                 value_names={FILLED: "filled", CROSSED: "crossed"})


def _margins(data: dict[str, Any]) -> tuple[float, float, float, float]:
    """Room for the clue numbers on the left and on top, and for the row/column numbers right and below."""
    left = max([len(c) for c in data["rows"]] + [1]) * CLUE_SLOT + 0.25
    top = max([len(c) for c in data["cols"]] + [1]) * CLUE_SLOT + 0.25
    return left, top, 0.45, 0.45


@register_task
class Nonogram(GridTask):
    """Nonogram. Step grammar (1-based `row column`): `fill R C` (`R C` alone also fills), `cross R C` (mark as
    empty; a note only), `clear R C` (back to blank), `row R PATTERN` (the whole row from X = filled and
    . = crossed, `_` = blank: `row 2 XX..X`, one move). `submit` judges the filled cells."""

    name = "Nonogram"
    key = "nonogram"
    category = "puzzles"
    # SERG: these sizes are line-solvable, so a full line solver never guesses: one pass over the lines, then a
    # hypothesis (see QuickChecks)
    trace_quick = QuickChecks(sweeps=1)
    score_function = "nonogram_evaluator"
    step_help = (
        "fill R C: fill the cell at row R, column C (1-based from the top left; `R C` alone also fills)\n"
        "cross R C: mark the cell at row R, column C as empty (a note only: blank and crossed cells both count "
        "as empty)\n"
        "clear R C: make the cell at row R, column C blank again\n"
        "row R PATTERN: set all of row R at once from X (filled) and . (crossed), e.g. row 2 XX..X"
    )
    answer_help = ("the grid row by row, X for a filled cell and . for an empty one, no spaces inside a row; rows on "
                   "separate lines or separated by spaces: X.X .XX XX.")
    answer_symbols: ClassVar[dict[str, int]] = {
        "x": FILLED, "#": FILLED, "■": FILLED, "█": FILLED, ".": BLANK, "_": BLANK, "-": BLANK, "□": BLANK, "o": BLANK}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        best = None
        for _ in range(MAX_DRAWS):
            picture = _picture(rng, n, level)
            row_clues, col_clues = clues_of(picture)
            data = {"rows": row_clues, "cols": col_clues, "solution": picture}
            best = data
            if _model(data).count_solutions(2) == 1:
                break
        return self.puzzle(level, best)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        return _board(len(puzzle.data["rows"]), len(puzzle.data["cols"]))

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        """The answer's cells as 1 (filled) and 0 (empty); other numbers (a stray 2) make it unreadable."""
        grid = super().read_answer(puzzle, text)
        bad = bad_values(self.board(puzzle), grid, allowed=(BLANK, FILLED))
        if bad:
            raise AnswerError("; ".join(bad[:5]) + ("; ..." if len(bad) > 5 else ""))
        return grid

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """With complete=True (an answer or a position judged as one: crossed and blank cells are both empty),
        every line whose runs differ from its clue; with complete=False (a step-mode position: 0 undecided,
        2 surely empty) every line that can no longer match its clue."""
        if complete:
            out = bad_values(self.board(puzzle), grid, allowed=(BLANK, FILLED, CROSSED))
            if out:
                return out
        else:
            out = []
        for name, cells, clue in _lines(puzzle.data):
            line = [grid[i] for i in cells]
            if complete:
                got = runs(line)
                if got != list(clue):
                    shown = clue_text(got) if got else "no filled cell"
                    out.append(f"{name} shows {shown} but its clue is {clue_text(clue)}")
            elif not fits(clue, line):
                out.append(f"{name} can no longer match its clue {clue_text(clue)}")
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        cols = len(puzzle.data["cols"])
        return "\n".join("".join("X" if v == FILLED else "." for v in row) for row in to_rows(list(grid), cols))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official initial_state (the clue lists) and the grid: X filled, . crossed, _ blank."""
        d = puzzle.data
        marks = {FILLED: "X", CROSSED: ".", BLANK: "_"}
        rows = "\n".join("".join(marks.get(v, "?") for v in row) for row in to_rows(list(grid), len(d["cols"])))
        return f"{_clue_lists(d)}\n{rows}"

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return _model(puzzle.data)

    def trace_intro(self, puzzle: Puzzle) -> str:
        d = puzzle.data
        return (f"a {len(d['rows'])}x{len(d['cols'])} Nonogram with row clues {_clue_list(d['rows'])} and column "
                f"clues {_clue_list(d['cols'])}; each clue lists a line's runs of filled cells in order")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every row and every column shows exactly the runs its clue lists"

    # ---- step mode -------------------------------------------------------------------------------------
    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple:
        text = clean_latex(str(move)).strip().strip("`'\"").strip().lower()
        found = _ROW_COMMAND.match(text)
        if found is None:
            return self.board(puzzle).apply(state, move)
        return self._apply_row(puzzle, state, int(found.group(1)), found.group(2))

    def _apply_row(self, puzzle: Puzzle, state: tuple, r: int, pattern: str) -> tuple:
        rows, cols = len(puzzle.data["rows"]), len(puzzle.data["cols"])
        if not 1 <= r <= rows:
            raise InvalidMove(f"the row must be 1-{rows}, got {r}")
        chars = _PATTERN_SEP.sub("", pattern).rstrip("!;")
        bad = sorted({ch for ch in chars if ch not in _PATTERN})
        if bad or len(chars) != cols:
            why = f"it holds {', '.join(map(repr, bad))}" if bad else f"it has {len(chars)}"
            raise InvalidMove(f"`row R PATTERN` needs {cols} cells of X (filled) or . (crossed); {why}")
        start = (r - 1) * cols
        new = tuple(_PATTERN[ch] for ch in chars)
        if new == state[start:start + cols]:
            raise InvalidMove(f"row {r} already reads {chars.upper()}")
        return (*state[:start], *new, *state[start + cols:])

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return not self.violations(puzzle, state, complete=True)

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        return self.write_answer(puzzle, state)

    def move_space(self, puzzle: Puzzle) -> list[str]:
        cols = len(puzzle.data["cols"])
        patterns = ["".join("X" if k >> (cols - 1 - j) & 1 else "." for j in range(cols)) for k in range(1 << cols)]
        rows = [f"row {r + 1} {p}" for r in range(len(puzzle.data["rows"])) for p in patterns] if cols <= 10 else []
        return self.board(puzzle).move_space() + rows

    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        d = puzzle.data
        return draw.grid_cell_at(len(d["rows"]), len(d["cols"]), x, y, size, _margins(d))

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self) -> str:
        return ("Rules: fill some cells of the grid. The numbers beside each row and above each column are its "
                "clue: the lengths of the blocks of consecutive filled cells in that line, in order from left to "
                "right (rows) or from top to bottom (columns). Blocks are separated by at least one empty cell, "
                "and a line with an empty clue has no filled cell at all. Every row and every column must match "
                "its clue exactly.")

    def _format(self, rows: int, cols: int) -> str:
        return (f"Answer format: the solved grid as {rows} lines of {cols} characters, one line per row from top "
                "to bottom, X for a filled cell and . for an empty cell, with no spaces, e.g. for a 3×3 grid:\n"
                "X.X\n.XX\nXX.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        rows, cols = len(d["rows"]), len(d["cols"])
        head = f"Solve this {rows}×{cols} Nonogram." if modality == "text" else \
            f"Solve the {rows}×{cols} Nonogram in the picture."
        if modality == "text":
            state = (f"The clues of the empty grid: rows are numbered 1-{rows} from the top and columns 1-{cols} from "
                     "the left; a row's clue lists its blocks from left to right, a column's clue from top to bottom, "
                     "and [] means the line has no filled cell.\nRow clues:\n"
                     + "\n".join(f"row {r + 1}: {clue_text(c)}" for r, c in enumerate(d["rows"]))
                     + "\nColumn clues:\n"
                     + "\n".join(f"column {c + 1}: {clue_text(k)}" for c, k in enumerate(d["cols"]))
                     + f"\nAll together, as [row clues, column clues]: {_clue_lists(d)}")
        else:
            state = ("The picture shows the empty grid. The clue of each row is written to its left, read left to "
                     "right; the clue of each column is written above it, read top to bottom. A line without "
                     f"numbers has no filled cell. The small grey numbers count the rows (1-{rows}) and columns "
                     f"(1-{cols}).")
        return f"{head}\n\n{self._rules()}\n\n{state}\n\n{self._format(rows, cols)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        rows, cols = len(d["rows"]), len(d["cols"])
        margin = _margins(d)
        canvas = draw.GridCanvas(rows, cols, size, margin=margin, background=draw.WHITE)
        cell = canvas.cell
        x0, y0, x1, y1 = canvas.board_box()
        pad = round(cell * 0.08)
        canvas.draw.rounded_rectangle((pad, y0, x0 - pad, y1), radius=pad * 2, fill=CLUE_BAND)
        canvas.draw.rounded_rectangle((x0, pad, x1, y0 - pad), radius=pad * 2, fill=CLUE_BAND)
        for r, clue in enumerate(d["rows"]):  # right-aligned, one slot per number
            for k, v in enumerate(reversed(clue)):
                canvas.label("left", r, str(v), CLUE_INK, scale=0.42, offset=0.15 + CLUE_SLOT * (k + 0.5))
        for c, clue in enumerate(d["cols"]):  # bottom-aligned
            for k, v in enumerate(reversed(clue)):
                canvas.label("top", c, str(v), CLUE_INK, scale=0.42, offset=0.15 + CLUE_SLOT * (k + 0.5))
        for r in range(rows):
            canvas.label("right", r, str(r + 1), INDEX_INK, scale=0.26, offset=0.22)
        for c in range(cols):
            canvas.label("bottom", c, str(c + 1), INDEX_INK, scale=0.26, offset=0.22)
        if state is not None:
            inset = max(1, round(cell * 0.06))
            for i, v in enumerate(state):
                r, c = divmod(i, cols)
                if v == FILLED:
                    canvas.fill(r, c, draw.ENTERED, inset=inset)
                elif v == CROSSED:
                    canvas.cross(r, c, CROSS_INK, radius=0.18, width=max(2, cell // 16))
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(FILL_INK, 0.05)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        index = f"nonogram_{len(d['rows'])}_{puzzle.level}_{puzzle.fingerprint}"
        return self.base_record(puzzle, index=index, answer=self.solve(puzzle),
                                initial_state=[d["rows"], d["cols"]])

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            row_clues, col_clues = ([[int(v) for v in clue] for clue in side] for side in state)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"Nonogram: initial_state must be [row_clues, column_clues] ({exc})") from exc
        rows, cols = len(row_clues), len(col_clues)
        if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
            raise RecordError(f"Nonogram: unsupported size {rows}x{cols}")
        for clue, length in [(c, cols) for c in row_clues] + [(c, rows) for c in col_clues]:
            if any(v < 1 for v in clue) or sum(clue) + len(clue) - 1 > length:
                raise RecordError(f"Nonogram: the clue {clue} does not fit a line of {length}")
        return self.record_puzzle(record, {"rows": row_clues, "cols": col_clues}, record.get("answer"))


def _clue_list(clues: Sequence[Sequence[int]]) -> str:
    return "[" + ", ".join(clue_text(c) for c in clues) + "]"


def _clue_lists(data: dict[str, Any]) -> str:
    """The official initial_state notation: [row_clues, column_clues]."""
    return f"[{_clue_list(data['rows'])}, {_clue_list(data['cols'])}]"
