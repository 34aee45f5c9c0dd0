"""Calcudoku (MM-HELIX key `Calcudoku`): a Latin square cut into cages, each with a target and an operation.

Step grammar (1-based `row column`, as the official cage cells count):
    place R C V   write V (1..n) in the cell at row R, column C (`R C V` alone also works)
    erase R C     clear your entry at row R, column C

Rules (KenKen without boxes): every row and column holds 1..n once; a cage's values make its target with its
operation: `+` sum, `*` product, `-` difference of its two cells, `÷` quotient of its two cells, larger over
smaller, and **exactly** (the official judge uses floor division, so it takes 5 and 2 for "2÷"; this verifier
does not). A single-cell cage is `+` with the cell's value.

Generation follows the official recipe (n = 3, 4, 5, 6, 8; a random Latin square; cages grown from cells in
random order to a random size of 2..4; the operator drawn among those the values allow: `+` always, `*` below
100, `-` and exact `÷` for two cells). Most official instances have several solutions (about 70 %); ours are
made unique: while the solver finds a second solution, a cage on which the two differ gets an operator that
tells them apart or, failing that, one differing cell is split off as a single-cell cage (the rest of its cage
re-caged by connected pieces). This adds a few cages: 3-6, 6-10, 9-14, 12-21, 24-34 per level over 40 seeds,
against the official 3-5, 5-8, 9-12, 13-17, 21-29. The verifier checks the rules, so every valid grid is
accepted anyway.
"""

from __future__ import annotations

import itertools
import json
import math
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
    latin_csp,
    random_latin_square,
    repeats,
    to_rows,
)
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.core.topology import components, neighbours

SIZES = {1: 3, 2: 4, 3: 5, 4: 6, 5: 8}
MAX_CAGE = 4
PRODUCT_LIMIT = 100  # `*` is a candidate only when the product is below this (official rule)
OP_FIRST = 0.7  # when the solution is not unique, try a distinguishing operator before splitting a cage
OP_TRIES = 12  # operator switches allowed per instance before the repair only splits cages
OPS = ("+", "*", "-", "÷")
OP_WORDS = {"+": "+", "plus": "+", "add": "+", "*": "*", "×": "*", "x": "*", "times": "*", "-": "-", "−": "-",
            "–": "-", "minus": "-", "÷": "÷", "/": "÷", ":": "÷", "divide": "÷", "div": "÷"}
OP_TEXT = {"+": "+", "*": "×", "-": "−", "÷": "÷"}  # how prompts write the operations
OP_NAME = {"+": "sum", "*": "product", "-": "difference", "÷": "quotient"}
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 1-based coordinates on the left and on top
PASTELS: tuple[draw.Color, ...] = ((255, 228, 225), (225, 240, 255), (230, 250, 225), (255, 245, 210),
                                   (240, 230, 255), (215, 245, 245), (255, 235, 245), (238, 238, 225))
LABEL_INK = (30, 30, 30)


# ---- the cage rule ---------------------------------------------------------------------------------------
def cage_result(op: str, values: Sequence[int]) -> int | None:
    """What the cage's values make with `op`; None where the operation is undefined for them (`-`/`÷` on other
    than two cells, a division that is not exact)."""
    if op == "+":
        return sum(values)
    if op == "*":
        return math.prod(values)
    if len(values) != 2:
        return None
    hi, lo = max(values), min(values)
    if op == "-":
        return hi - lo
    if op == "÷" and lo > 0 and hi % lo == 0:
        return hi // lo
    return None


def op_candidates(values: Sequence[int]) -> list[str]:
    """The operators the official generator may give a cage holding `values`."""
    if len(values) == 1:
        return ["+"]
    out = ["+"]
    if math.prod(values) < PRODUCT_LIMIT:
        out.append("*")
    if len(values) == 2:
        out.append("-")
        if max(values) % min(values) == 0:
            out.append("÷")
    return out


@lru_cache(maxsize=64)
def _tuples_by_result(n: int, size: int, clashes: tuple[tuple[int, int], ...]) -> dict[tuple[str, int], list]:
    """Every value tuple (1..n) of a cage shape, grouped by (operator, result): one pass serves every target."""
    groups: dict[tuple[str, int], list] = {}
    ops = OPS if size == 2 else OPS[:2]
    for t in itertools.product(range(1, n + 1), repeat=size):
        if any(t[a] == t[b] for a, b in clashes):
            continue
        for op in ops:
            got = cage_result(op, t)
            if got is not None:
                groups.setdefault((op, got), []).append(t)
    return groups


@lru_cache(maxsize=4096)
def cage_table(n: int, op: str, target: int, size: int, clashes: tuple[tuple[int, int], ...]) -> Table:
    """The value tuples (1..n) of a cage of `size` cells that make `target` with `op`, where the positions in
    `clashes` (cells sharing a row or column) differ. Cached: many cages share one table."""
    return Table(_tuples_by_result(n, size, clashes).get((op, target), ()))


def _clashes(cells: Sequence[int], n: int) -> tuple[tuple[int, int], ...]:
    return tuple((a, b) for a, b in itertools.combinations(range(len(cells)), 2)
                 if cells[a] // n == cells[b] // n or cells[a] % n == cells[b] % n)


# ---- cages as cell indices -------------------------------------------------------------------------------
def _cages(data: dict[str, Any]) -> list[tuple[list[int], str, int]]:
    """The cages as (cell indices, operator, target), cells in the record's order."""
    n = data["size"]
    return [([(r - 1) * n + c - 1 for r, c in q["cells"]], q["operator"], q["target"]) for q in data["regions"]]


def _cage_record(cells: Sequence[int], op: str, target: int, n: int) -> dict[str, Any]:
    return {"cells": [[i // n + 1, i % n + 1] for i in cells], "operator": op, "target": int(target)}


def _anchor(cells: Sequence[int]) -> int:
    """The cell that carries the cage's label: topmost row, then leftmost."""
    return min(cells)


def _cage_name(cells: Sequence[int], op: str, target: int, n: int) -> str:
    where = ",".join(f"({i // n + 1},{i % n + 1})" for i in sorted(cells))
    return f"the cage {target}{OP_TEXT[op]} at {where}"


def _model(n: int, cages: Sequence[tuple[Sequence[int], str, int]], board: Board) -> Csp:
    """The rules as a Csp: Latin rows and columns, one table per cage."""
    csp = latin_csp(board)
    for cells, op, target in cages:
        csp.table(cells, cage_table(n, op, target, len(cells), _clashes(cells, n)), _cage_name(cells, op, target, n))
    return csp


def _board(n: int) -> Board:
    return Board(n, n, [0] * (n * n), verbs={"place": None, "erase": 0}, values=range(1, n + 1), base=1,
                 margin=MARGIN)


def _grow_cages(n: int, rng: np.random.Generator) -> list[list[int]]:
    """The official partition: cells in random order start cages of a random size 2..min(4, n) that grow by
    random free neighbours of any of their cells until full or stuck."""
    owner = [-1] * (n * n)
    nbr = neighbours(n, n)
    cages: list[list[int]] = []
    for start in rng.permutation(n * n):
        start = int(start)
        if owner[start] >= 0:
            continue
        want = int(rng.integers(2, min(MAX_CAGE, n) + 1))
        cage = [start]
        owner[start] = len(cages)
        while len(cage) < want:
            free = sorted({j for i in cage for j in nbr[i] if owner[j] < 0})
            if not free:
                break
            j = free[int(rng.integers(len(free)))]
            owner[j] = len(cages)
            cage.append(j)
        cages.append(cage)
    return cages


def _pick_op(values: Sequence[int], rng: np.random.Generator, among: Sequence[str] | None = None) -> str:
    options = list(among) if among is not None else op_candidates(values)
    return options[int(rng.integers(len(options)))]


def _make_unique(n: int, sol: Sequence[int], cages: list[tuple[list[int], str, int]],
                 rng: np.random.Generator) -> list[tuple[list[int], str, int]]:
    """Change operators or split cages until `sol` is the only solution (see the module docstring)."""
    board = _board(n)
    switches = 0
    while (other := _model(n, cages, board).rival(sol)) is not None:
        differ = [k for k, (cells, _, _) in enumerate(cages) if any(sol[i] != other[i] for i in cells)]
        options = []
        for k in differ:
            cells, op, _ = cages[k]
            mine, theirs = [sol[i] for i in cells], [other[i] for i in cells]
            options += [(k, o) for o in op_candidates(mine)
                        if o != op and cage_result(o, theirs) != cage_result(o, mine)]
        if options and switches < OP_TRIES and rng.random() < OP_FIRST:
            switches += 1
            k, op = options[int(rng.integers(len(options)))]
            cells = cages[k][0]
            cages[k] = (cells, op, cage_result(op, [sol[i] for i in cells]))
            continue
        cells = cages.pop(differ[int(rng.integers(len(differ)))])[0]
        moved = [i for i in cells if sol[i] != other[i]]
        single = moved[int(rng.integers(len(moved)))]
        cages.append(([single], "+", sol[single]))
        for piece in components([i for i in cells if i != single], n, n):
            values = [sol[i] for i in piece]
            op = _pick_op(values, rng)
            cages.append((piece, op, cage_result(op, values)))
    return cages


@register_task
class Calcudoku(GridTask):
    """Calcudoku; see the module docstring for the step grammar and the rules."""

    name = "Calcudoku"
    key = "Calcudoku"
    category = "puzzles"
    # SERG: propagation alone fills most grids; see QuickChecks
    trace_quick = QuickChecks(share=0.8)
    score_function = "calcudoku_evaluator"
    step_help = (
        "place R C V: write V in the cell at row R, column C (1-based from the top left; `R C V` alone also works)\n"
        "erase R C: clear your entry at row R, column C"
    )
    answer_help = "the completed grid as a 2-D list of integers, row by row, e.g. [[1, 2], [2, 1]] for a 2x2 grid"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = SIZES[level]
        sol = random_latin_square(n, rng)
        cages = []
        for cells in _grow_cages(n, rng):
            values = [sol[i] for i in cells]
            op = _pick_op(values, rng)
            cages.append((cells, op, cage_result(op, values)))
        cages = _make_unique(n, sol, cages, rng)
        cages.sort(key=lambda q: _anchor(q[0]))
        data = {"size": n, "regions": [_cage_record(cells, op, t, n) for cells, op, t in cages],
                "solution": to_rows(list(sol), n)}
        return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        return _board(puzzle.data["size"])

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        n = b.rows
        out = (bad_values(b, grid) if complete else []) + repeats(grid, b.lines())
        ok = set(range(1, n + 1))
        for cells, op, target in _cages(puzzle.data):
            values = [grid[i] for i in cells]
            if not all(type(v) is int and v in ok for v in values):
                continue
            got = cage_result(op, values)
            if got != target:
                out.append(f"{_cage_name(cells, op, target, n)} does not hold: {_working(op, values, got)}")
        return out

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """The official initial_state (size and regions) with the entries as a `grid` (0 = empty)."""
        d = puzzle.data
        return json.dumps({"size": d["size"], "regions": d["regions"], "grid": to_rows(list(grid), d["size"])},
                          ensure_ascii=False)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        n = puzzle.data["size"]
        return _model(n, _cages(puzzle.data), self.board(puzzle))

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = puzzle.data["size"]
        return (f"{n}x{n} Calcudoku with {len(puzzle.data['regions'])} cages; every row and column needs 1-{n} "
                "once and every cage must make its target with its operation")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every row and column holds each number once and every cage makes its target"

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: fill the {n}×{n} grid with the numbers 1 to {n} so that every row and every column "
                "contains each number exactly once. The grid is divided into cages; each cage shows a target and "
                "an operation, and the numbers in the cage must produce the target with that operation: + adds "
                "them, × multiplies them, − is the larger minus the smaller of its two cells, ÷ is the larger "
                "divided by the smaller of its two cells (the division must come out exact). A cage of one cell "
                "simply holds its target. Numbers may repeat inside a cage as long as rows and columns stay "
                "valid.")

    def _format(self, n: int) -> str:
        return (f"Answer format: the completed grid as a 2-D list of integers, one inner list per row from top to "
                f"bottom, e.g. [[1, 2], [2, 1]] for a 2×2 grid; yours has {n} rows of {n}.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        if modality == "text":
            lines = []
            for k, (cells, op, target) in enumerate(_cages(puzzle.data), 1):
                where = ", ".join(f"({i // n + 1},{i % n + 1})" for i in sorted(cells))
                lines.append(f"Cage {k}: {target}{OP_TEXT[op]} over cells {where}")
            state = (f"Cells are written (row, column), counted from 1 at the top left. The {len(lines)} cages, each "
                     "with its target and operation:\n\n" + "\n".join(lines))
            return f"Solve this Calcudoku puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"
        state = (f"The picture shows the empty {n}×{n} grid with rows and columns numbered from 1 on the margins. "
                 "Thick lines outline the cages (each cage also has its own background tint); the small label in "
                 "the top-left corner of a cage's first cell gives its target followed by the operation sign "
                 "(+, ×, −, ÷).")
        return f"Solve the Calcudoku puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format(n)}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        n = puzzle.data["size"]
        cages = _cages(puzzle.data)
        owner = [0] * (n * n)
        for k, (cells, _, _) in enumerate(cages):
            for i in cells:
                owner[i] = k
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        tints = _colouring(owner, len(cages), n)
        for i in range(n * n):
            canvas.fill(i // n, i % n, PASTELS[tints[owner[i]] % len(PASTELS)])
        canvas.grid_lines(draw.GRID_LINE, 0.015)
        canvas.region_borders(to_rows(owner, n), draw.BLACK, 0.06)
        canvas.coordinates(base=1, scale=0.3)
        cell = canvas.cell
        label_size = max(9, round(cell * 0.24))
        for cells, op, target in cages:
            r, c = divmod(_anchor(cells), n)
            x0, y0, _, _ = canvas.cell_box(r, c)
            _draw_label(canvas, x0 + cell * 0.08, y0 + cell * 0.06, str(target), op, label_size)
        if state is not None:
            value_size = max(10, round(cell * 0.5))
            for i, v in enumerate(state):
                if v:
                    x, y = canvas.center(i // n, i % n)
                    draw.draw_text(canvas.draw, (x, y + cell * 0.1), str(v), value_size, draw.ENTERED)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = {"size": d["size"], "regions": d["regions"]}
        return self.base_record(puzzle, index=f"Calcudoku_difficulty_{puzzle.level}_{puzzle.fingerprint}",
                                answer=d["solution"], difficulty=puzzle.level, initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            n = int(state["size"])
            regions = [_read_region(q) for q in state["regions"]]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Calcudoku: unreadable initial_state ({exc})") from exc
        if not 2 <= n <= 9:
            raise RecordError(f"Calcudoku: size {n} is out of range")
        cells = sorted((r, c) for q in regions for r, c in q["cells"])
        if cells != [(r, c) for r in range(1, n + 1) for c in range(1, n + 1)]:
            raise RecordError("Calcudoku: the regions do not cover the grid exactly once")
        for q in regions:
            idx = [(r - 1) * n + c - 1 for r, c in q["cells"]]
            if (q["operator"] in ("-", "÷") and len(idx) != 2) or len(components(idx, n, n)) != 1:
                raise RecordError(f"Calcudoku: bad region {q!r}")
        return self.record_puzzle(record, {"size": n, "regions": regions}, record.get("answer"))


def _read_region(q: dict[str, Any]) -> dict[str, Any]:
    """A region record with int 1-based cells and a canonical operator (`x`, `×`, `/` are accepted)."""
    op = OP_WORDS.get(str(q["operator"]).strip().lower())
    if op is None:
        raise ValueError(f"unknown operator {q['operator']!r}")
    return {"cells": [[int(r), int(c)] for r, c in q["cells"]], "operator": op, "target": int(q["target"])}


def _working(op: str, values: Sequence[int], got: int | None) -> str:
    """How the cage's values actually combine, for a violation message."""
    if op in ("-", "÷") and len(values) == 2:
        hi, lo = max(values), min(values)
        if op == "÷" and got is None:
            return f"{hi} ÷ {lo} is not a whole number"
        return f"{hi} {OP_TEXT[op]} {lo} = {got}"
    return f" {OP_TEXT[op]} ".join(map(str, values)) + f" = {got}"


def _colouring(owner: Sequence[int], count: int, n: int) -> list[int]:
    """A tint per cage, different from every neighbouring cage's (greedy, in cage order)."""
    nbr = neighbours(n, n)
    near: list[set[int]] = [set() for _ in range(count)]
    for i, k in enumerate(owner):
        for j in nbr[i]:
            if owner[j] != k:
                near[k].add(owner[j])
    tint = [-1] * count
    for k in range(count):
        used = {tint[m] for m in near[k]}
        tint[k] = next(t for t in range(len(PASTELS) + 5) if t not in used)
    return tint


def _draw_label(canvas: draw.GridCanvas, x: float, y: float, target: str, op: str, size: int) -> None:
    """`target` then the operation sign, top-left aligned at (x, y). The sign is drawn with lines because the
    kit's font has no ×, ÷ or − glyphs."""
    draw.draw_text(canvas.draw, (x, y), target, size, LABEL_INK, anchor="lt")
    w, _ = draw.text_size(target, size)
    half = max(2.0, size * 0.3)
    cx, cy = x + w + half + size * 0.15, y + size * 0.5
    width = max(1, round(size / 8))
    line = canvas.draw.line
    if op in ("+", "-", "÷"):
        line((round(cx - half), round(cy), round(cx + half), round(cy)), fill=LABEL_INK, width=width)
    if op == "+":
        line((round(cx), round(cy - half), round(cx), round(cy + half)), fill=LABEL_INK, width=width)
    elif op == "*":
        d = half * 0.8
        line((round(cx - d), round(cy - d), round(cx + d), round(cy + d)), fill=LABEL_INK, width=width)
        line((round(cx - d), round(cy + d), round(cx + d), round(cy - d)), fill=LABEL_INK, width=width)
    elif op == "÷":
        dot = max(1.0, size * 0.08)
        for dy in (-half * 0.7, half * 0.7):
            canvas.draw.ellipse((round(cx - dot), round(cy + dy - dot), round(cx + dot), round(cy + dy + dot)),
                                fill=LABEL_INK)
