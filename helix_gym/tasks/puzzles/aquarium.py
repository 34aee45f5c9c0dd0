"""Aquarium (MM-HELIX key `aquarium`): fill tanks with water so that every tank has one water level and the
numbers outside the grid count the water cells of each row and column.

Step grammar (0-based `x y` = column, row, as the official answer counts cells):
    fill X Y    put water in the cell at column X, row Y
    empty X Y   make that cell air again
    level X Y   fill the tank of cell (X, Y) up to row Y: water in row Y and below, air above
    drain X Y   empty the whole tank of cell (X, Y)

Generation: n = level + 3 as in the official ladder, but the grid is cut into real tanks (random connected
regions of a level-dependent size range; the official merge walk leaves most regions single cells, which makes
27/30 of its level-5 instances ambiguous). Every tank gets a random level, the clues are read off, and levels
are re-drawn (then the tanks) until the solver proves the filling unique. The verifier checks the rules, so any
valid filling is accepted, also on the non-unique official rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, Prune
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import Board, GridTask, parse_cells, to_rows
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.core.topology import neighbours

AIR, WATER = 0, 1
AIR_BIT, WATER_BIT = 1 << AIR, 1 << WATER
TANK_SIZES = {1: (2, 4), 2: (2, 5), 3: (3, 6), 4: (3, 7), 5: (3, 8)}  # cells per tank, drawn uniformly
LEVEL_REDRAWS = 6  # level draws per tank layout before a new layout is cut
MARGIN = (0.55, 0.85, 0.85, 0.55)  # left: y numbers; top: column clues; right: row clues; bottom: x numbers
CLUE_INK = (20, 20, 20)
WATER_INK = draw.ENTERED
ALIASES = {  # `clear`, `erase`, `remove`, `delete`, `e` empty a cell by the Board's own spellings
    **dict.fromkeys(("water", "wet", "w", "f", "put", "set", "place"), "fill"),
    **dict.fromkeys(("air", "dry", "unfill", "a"), "empty"),
    **dict.fromkeys(("flood", "fillto", "fill_to", "l"), "level"),
    "d": "drain",
}
KEYS = {**dict.fromkeys(("space", "return", "w", "f", "1"), WATER), "a": AIR, "e": AIR, "l": "level", "d": "drain"}


# ---- tanks and the solver's model -------------------------------------------------------------------------
class _TankBoard(Board):
    """An (x, y) Board that knows the tanks: their cells, and each cell's tank."""

    __slots__ = ("tank_of", "tanks")


def _tank_lists(regions: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    """The cells of every tank (row-major), tanks ordered by their first cell."""
    cols = len(regions[0])
    by_id: dict[Any, list[int]] = {}
    for r, row in enumerate(regions):
        for c, rid in enumerate(row):
            by_id.setdefault(rid, []).append(r * cols + c)
    return [tuple(cells) for cells in by_id.values()]


def _fills_from_bottom(cells: Sequence[int], cols: int) -> Prune:
    """Propagator of one tank's level: water in a row means water in every lower row of the tank (and the rest
    of that row); air in a row means air in every higher row."""
    rows = tuple((i, i // cols) for i in cells)

    def prune(dom: list[int]) -> bool:
        top_water, low_air = 1 << 30, -1
        for i, r in rows:
            d = dom[i]
            if d == WATER_BIT:
                top_water = min(top_water, r)
            elif d == AIR_BIT:
                low_air = max(low_air, r)
        if low_air >= top_water:
            return False
        for i, r in rows:
            if r >= top_water:
                if not dom[i] & WATER_BIT:
                    return False
                dom[i] = WATER_BIT
            elif r <= low_air:
                if not dom[i] & AIR_BIT:
                    return False
                dom[i] = AIR_BIT
        return True

    return prune


def _model(regions: Sequence[Sequence[int]], row_clues: Sequence[int], col_clues: Sequence[int]) -> Csp:
    """The rules as a Csp over the cells (AIR or WATER): one level per tank, the row and column counts."""
    rows, cols = len(regions), len(regions[0])
    csp = Csp.uniform(rows * cols, (AIR, WATER))
    for cells in _tank_lists(regions):
        r, c = divmod(cells[0], cols)
        csp.add(cells, _fills_from_bottom(cells, cols), f"the tank containing ({c}, {r}) fills from the bottom")
    for y, clue in enumerate(row_clues):
        csp.count([y * cols + x for x in range(cols)], WATER, clue, f"row {y} holds {clue} water cells")
    for x, clue in enumerate(col_clues):
        csp.count([y * cols + x for y in range(rows)], WATER, clue, f"column {x} holds {clue} water cells")
    return csp


# ---- generation -------------------------------------------------------------------------------------------
def _cut_tanks(n: int, lo: int, hi: int, rng: np.random.Generator) -> list[list[int]]:
    """A random partition of the n x n grid into connected tanks of lo..hi cells (a tank boxed in by others
    may stay smaller; single cells join a neighbouring tank), ids numbered in row-major order."""
    nbr = neighbours(n, n)
    tank = [-1] * (n * n)
    sizes: list[int] = []
    for seed in rng.permutation(n * n):
        seed = int(seed)
        if tank[seed] >= 0:
            continue
        tid = len(sizes)
        target = int(rng.integers(lo, hi + 1))
        cells = [seed]
        tank[seed] = tid
        while len(cells) < target:
            options = sorted({j for i in cells for j in nbr[i] if tank[j] < 0})
            if not options:
                break
            j = options[int(rng.integers(len(options)))]
            tank[j] = tid
            cells.append(j)
        sizes.append(len(cells))
    for i in range(n * n):  # a lone cell joins the smallest tank next to it
        if sizes[tank[i]] == 1:
            nearby = sorted({tank[j] for j in nbr[i]}, key=lambda t: (sizes[t], t))
            sizes[tank[i]] = 0
            tank[i] = nearby[0]
            sizes[nearby[0]] += 1
    order: dict[int, int] = {}
    for t in tank:
        order.setdefault(t, len(order))
    return to_rows([order[t] for t in tank], n)


def _flood(tanks: Sequence[Sequence[int]], n: int, rng: np.random.Generator) -> list[int]:
    """A random level per tank (empty, full, or water from any of its rows down), as a flat 0/1 grid."""
    grid = [AIR] * (n * n)
    for cells in tanks:
        rows = sorted({i // n for i in cells})
        k = int(rng.integers(len(rows) + 1))  # how many of the tank's rows, from the bottom, hold water
        wet = set(rows[len(rows) - k:])
        for i in cells:
            if i // n in wet:
                grid[i] = WATER
    return grid


def _clues(grid: Sequence[int], rows: int, cols: int) -> tuple[list[int], list[int]]:
    return ([sum(grid[y * cols + x] for x in range(cols)) for y in range(rows)],
            [sum(grid[y * cols + x] for y in range(rows)) for x in range(cols)])


# ---- answers ------------------------------------------------------------------------------------------------
def cells_text(cells: Sequence[tuple[int, int]]) -> str:
    """(x, y) cells in the official notation, row by row: `[(0, 1), (2, 1), (0, 2)]`."""
    return "[" + ", ".join(f"({x}, {y})" for x, y in sorted(cells, key=lambda p: (p[1], p[0]))) + "]"


@register_task
class Aquarium(GridTask):
    """Aquarium: the grid is cut into tanks; choose water cells so that (1) every tank is filled from its bottom
    to one level (each of its rows all water or all air, no air below water in the same tank) and (2) each row
    and column holds as many water cells as its clue.

    Step grammar (0-based `x y` = column, row, as the official answer counts cells):
        fill X Y    put water in the cell at column X, row Y
        empty X Y   make that cell air again
        level X Y   fill the tank of cell (X, Y) up to row Y: water in row Y and below, air above
        drain X Y   empty the whole tank of cell (X, Y)
    """

    name = "Aquarium"
    key = "aquarium"
    category = "puzzles"
    score_function = "aquarium_evaluator"
    step_help = (
        "fill X Y: put water in the cell at column X, row Y (0-based, x to the right, y down from the top left)\n"
        "empty X Y: make the cell at column X, row Y air again\n"
        "level X Y: fill the tank of cell (X, Y) up to row Y: water in row Y and below, air above\n"
        "drain X Y: empty the whole tank of cell (X, Y)"
    )
    answer_help = "the water cells as 0-based (x, y) = (column, row) pairs, row by row: [(0, 2), (1, 2), (3, 3)]"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 3
        lo, hi = TANK_SIZES[level]
        while True:
            regions = _cut_tanks(n, lo, hi, rng)
            tanks = _tank_lists(regions)
            for _ in range(LEVEL_REDRAWS):
                grid = _flood(tanks, n, rng)
                if not 0 < sum(grid) < n * n:
                    continue
                row_clues, col_clues = _clues(grid, n, n)
                if _model(regions, row_clues, col_clues).count_solutions(2) == 1:
                    data = {"regions": regions, "row_clues": row_clues, "col_clues": col_clues,
                            "solution": to_rows(grid, n)}
                    return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        regions = puzzle.data["regions"]
        rows, cols = len(regions), len(regions[0])
        board = _TankBoard(rows, cols, [AIR] * (rows * cols), verbs={"fill": WATER, "empty": AIR},
                           actions=("level", "drain"), values=(AIR, WATER), base=0, xy=True, empty=None,
                           aliases=ALIASES, keys=KEYS, margin=MARGIN, value_names={AIR: "air", WATER: "water"})
        board.tanks = _tank_lists(regions)
        board.tank_of = [()] * (rows * cols)
        for cells in board.tanks:
            for i in cells:
                board.tank_of[i] = cells
        return board

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """The level rule of every tank, then the clues (a position, complete=False, only breaks a clue by
        exceeding it)."""
        b = self.board(puzzle)
        cols = b.cols
        out = []
        for cells in b.tanks:
            out += _tank_violations(cells, grid, cols)
        clues = [*puzzle.data["row_clues"], *puzzle.data["col_clues"]]
        for (name, line), clue in zip(b.lines(), clues):  # rows 0.., then columns 0..
            got = sum(1 for i in line if grid[i] == WATER)
            if got > clue or (complete and got != clue):
                out.append(f"{name} has {got} water cell{'s' if got != 1 else ''}, but its clue is {clue}")
        return out

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        b = self.board(puzzle)
        grid = [AIR] * (b.rows * b.cols)
        for i in parse_cells(text, b.rows, b.cols, 0, xy=True, repeats=False, what="water cells"):
            grid[i] = WATER
        return tuple(grid)

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        cols = self.board(puzzle).cols
        return cells_text([(i % cols, i // cols) for i, v in enumerate(grid) if v == WATER])

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int | None]) -> str:
        """The official initial_state (regions, one row per line, and the clues), then the water cells in the
        answer notation."""
        return self._state_json(puzzle) + "\nwater: " + self.write_answer(puzzle, grid)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        d = puzzle.data
        return _model(d["regions"], d["row_clues"], d["col_clues"])

    def trace_intro(self, puzzle: Puzzle) -> str:
        b = self.board(puzzle)
        return (f"a {b.rows}x{b.cols} Aquarium with {len(b.tanks)} tanks; each tank fills from its bottom to one "
                "level, and the clues count the water cells of every row and column")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "every tank holds water up to one level and every row and column has its clue's number of water cells"

    # ---- step mode: the (x, y) commands and the tank-level moves --------------------------------------
    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple:
        b = self.board(puzzle)
        verb, i, value = b.parse(move)
        if value is not None:  # fill or empty one cell
            return b.put(state, i, value)
        y = i // b.cols
        new = list(state)
        for j in b.tank_of[i]:
            new[j] = WATER if verb == "level" and j // b.cols >= y else AIR
        out = tuple(new)
        if out == state:
            already = "empty" if verb == "drain" else f"filled exactly up to row {y}"
            raise InvalidMove(f"the tank of cell {b.name(i)} is already {already}")
        return out

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        """One `level` move per tank that holds water, aimed at the tank's highest water cell."""
        b = self.board(puzzle)
        sol = self.solution(puzzle)
        moves = []
        for cells in b.tanks:
            wet = [i for i in cells if sol[i] == WATER]
            if wet:
                top = min(wet)
                moves.append(f"level {top % b.cols} {top // b.cols}")
        return moves

    def step_budget(self, puzzle: Puzzle) -> int:
        """Room to fill every water cell one by one, three times over."""
        return 3 * max(1, sum(self.solution(puzzle))) + 20

    # ---- presentation ----------------------------------------------------------------------------------
    def _state_json(self, puzzle: Puzzle) -> str:
        d = puzzle.data
        regions = d["regions"]
        rows = ",\n  ".join(json.dumps(row) for row in regions)
        return (f'{{"regions": [{rows}],\n "row_clues": {json.dumps(d["row_clues"])}, '
                f'"col_clues": {json.dumps(d["col_clues"])}, "grid_size": [{len(regions)}, {len(regions[0])}]}}')

    def _rules(self) -> str:
        return ("Rules: the grid is divided into tanks (regions). Choose which cells hold water so that (1) every "
                "tank is filled from its bottom up to a single level: inside one tank, each row is either all water "
                "or all air, and no air lies below water (a tank may also stay empty or be full); (2) the number "
                "beside each row and above each column equals how many water cells that row or column holds.")

    def _format(self) -> str:
        return ("Answer format: the list of all water cells as (x, y) pairs, where x is the column and y the row, "
                "both counted from 0 at the top left cell (x grows to the right, y grows downwards), listed row by "
                "row, e.g. [(0, 2), (1, 2), (3, 3)].")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        rows, cols = len(d["regions"]), len(d["regions"][0])
        if modality == "text":
            layout = "\n".join(f"Row {y}: " + " ".join(str(v) for v in row) for y, row in enumerate(d["regions"]))
            state = (f"The {rows}×{cols} grid as tank numbers: cells with the same number belong to the same tank "
                     f"(row 0 is the top row, the k-th number of a row is column x = k - 1).\n\n{layout}\n\n"
                     f"Row clues (water cells in rows 0 to {rows - 1}): {d['row_clues']}\n"
                     f"Column clues (water cells in columns 0 to {cols - 1}): {d['col_clues']}")
            return f"Solve this Aquarium puzzle.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"
        state = (f"The picture shows the {rows}×{cols} grid: thick lines separate the tanks, thin lines are only "
                 "cell borders. The number to the right of each row and the number above each column are the clues. "
                 f"The small grey numbers on the left (y = 0 to {rows - 1}) and below the grid (x = 0 to {cols - 1}) "
                 "are the coordinates.")
        return f"Solve the Aquarium puzzle in the picture.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        regions = d["regions"]
        rows, cols = len(regions), len(regions[0])
        canvas = draw.GridCanvas(rows, cols, size, margin=MARGIN, background=draw.WHITE)
        for i, v in enumerate(state or ()):
            if v == WATER:
                canvas.fill(*divmod(i, cols), WATER_INK)
        canvas.grid_lines((175, 175, 175), 0.02)
        canvas.region_borders(regions, draw.BLACK, 0.07)
        for y, clue in enumerate(d["row_clues"]):
            canvas.label("right", y, str(clue), CLUE_INK, scale=0.5, offset=0.45)
        for x, clue in enumerate(d["col_clues"]):
            canvas.label("top", x, str(clue), CLUE_INK, scale=0.5, offset=0.45)
        for y in range(rows):
            canvas.label("left", y, str(y), draw.GRID_LINE, scale=0.3, offset=0.3)
        for x in range(cols):
            canvas.label("bottom", x, str(x), draw.GRID_LINE, scale=0.3, offset=0.3)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        rows, cols = len(d["regions"]), len(d["regions"][0])
        state = {"regions": d["regions"], "row_clues": d["row_clues"], "col_clues": d["col_clues"],
                 "grid_size": [rows, cols]}
        return self.base_record(puzzle, index=f"aquarium_{rows}_{cols}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), initial_state=json.dumps(state))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            regions = [[int(v) for v in row] for row in state["regions"]]
            row_clues = [int(v) for v in state["row_clues"]]
            col_clues = [int(v) for v in state["col_clues"]]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Aquarium: unreadable initial_state ({exc})") from exc
        rows = len(regions)
        cols = len(regions[0]) if regions else 0
        if (not 2 <= rows <= 16 or not 2 <= cols <= 16 or any(len(row) != cols for row in regions)
                or len(row_clues) != rows or len(col_clues) != cols):
            raise RecordError("Aquarium: the regions and clues do not fit one grid")
        data = {"regions": regions, "row_clues": row_clues, "col_clues": col_clues}
        return self.record_puzzle(record, data, record.get("answer"))


def _tank_violations(cells: Sequence[int], grid: Sequence[Any], cols: int) -> list[str]:
    """How one tank breaks the level rule: a row partly filled, or air below water."""
    by_row: dict[int, list[int]] = {}
    for i in cells:
        by_row.setdefault(i // cols, []).append(i)
    r0, c0 = divmod(cells[0], cols)
    tank = f"the tank containing ({c0}, {r0})"
    out = []
    wet_rows, dry_rows = [], []
    for r, row in sorted(by_row.items()):
        wet = [i for i in row if grid[i] == WATER]
        dry = [i for i in row if grid[i] != WATER]
        if wet and dry:
            out.append(f"{tank} is partly filled in row {r}: ({wet[0] % cols}, {r}) holds water but "
                       f"({dry[0] % cols}, {r}) does not")
        if wet:
            wet_rows.append(r)
        if dry:
            dry_rows.append(r)
    if wet_rows and dry_rows and max(dry_rows) > min(wet_rows):
        w, a = min(wet_rows), max(dry_rows)
        wx = next(i for i in by_row[w] if grid[i] == WATER) % cols
        ax = next(i for i in by_row[a] if grid[i] != WATER) % cols
        out.append(f"in {tank}, water at ({wx}, {w}) lies above air at ({ax}, {a}); a tank fills from the bottom")
    return out
