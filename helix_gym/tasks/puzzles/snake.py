"""Snake, the "Tunnel" puzzle (MM-HELIX key `snake`): draw a snake of cells from S to E that matches the row and
column counts and never touches itself.

Rules: the snake is a sequence of distinct cells from S to E, each orthogonally next to the one before; two
snake cells that are not consecutive never share an edge, and they may touch at a corner only at a bend (the
cells one before and one after the bend); every row and every column holds exactly as many snake cells as the
number outside the grid says.

Step grammar (0-based `row column`, as in the official answer):
    up | down | left | right   grow the snake from its head one cell that way (`move up`, `u`, `move U` work
                               too; so does `R C`, the cell next to the head)
A move is illegal when it leaves the grid, revisits a cell, makes the snake touch itself, or overfills a
row or column count; once the head is on E the snake is complete (undo to change it). `undo` takes back the
last cell. `submit` judges the snake drawn so far.

Generation (spec 10): the grid side and the end-point rules follow the official ladder, but the snake is a
random non-touching walk of a level-dependent length with bends (the official A* path is always a shortest
staircase, so its counts give the answer away, and its published generator produced no instances at all).
The solver is the kit's Csp over the cells (row and column counts, the number of snake neighbours of each
cell, a 2x2 rule for corner contacts, one connected piece); walks whose counts admit a second snake are drawn
again, within a search budget (see `UNIQUE_BUDGET`). The verifier checks the rules, so every valid snake is
accepted, in either direction.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, Prune, QuickChecks, Table
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import DIRECTION_WORDS, clean_latex, normalize_command, parse_ints
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.topology import components, neighbours

# level -> (grid sides, snake length as a share of the cells, chance to go straight on where possible)
LADDER: dict[int, tuple[tuple[int, ...], float, float]] = {
    1: ((5, 6), 0.30, 0.5),
    2: ((6, 7), 0.30, 0.5),
    3: ((8, 9), 0.28, 0.55),
    4: ((10, 11), 0.28, 0.6),
    5: ((12, 13), 0.28, 0.6),
}
UNIQUE_BUDGET = 400  # propagation rounds a uniqueness check may take; a walk that needs more is drawn again
WALKS = 400  # walks tried for one instance before the last one is kept as it is
MAX_SIDE = 16
MAX_ANSWER_CHARS = 20000
MARGIN = (0.6, 0.6, 0.75, 0.75)  # coordinates left and top, counts right and bottom
START_FILL, END_FILL = (46, 125, 50), (198, 40, 40)  # the official #2E7D32 and #C62828
BODY_TINT = (205, 222, 248)
COUNT_MET = (40, 140, 60)
DIRS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
_PAIR = re.compile(r"[(\[]\s*(-?\d+)\s*[,;\s]\s*(-?\d+)\s*[)\]]")
_COUNTS = {"row_counts": re.compile(r"row counts?(?:\s*\([^)]*\))?:?\s*\[?([\d,\s]+)", re.I),
           "col_counts": re.compile(r"col(?:umn)? counts?(?:\s*\([^)]*\))?:?\s*\[?([\d,\s]+)", re.I)}
_MOVE_FILLER = frozenset({"move", "go", "step", "grow", "head", "m"})


def _rc(cell: int, cols: int) -> str:
    r, c = divmod(cell, cols)
    return f"({r},{c})"


# ---- the rules on a sequence of cells ------------------------------------------------------------------
def _touching(path: Sequence[int], cols: int) -> list[str]:
    """Pairs of snake cells that touch although they are not neighbours on the snake (an edge) or the two
    ends of a bend (a corner)."""
    where = {cell: k for k, cell in enumerate(path)}
    out = []
    for k, cell in enumerate(path):
        r, c = divmod(cell, cols)
        for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
            rr, cc = r + dr, c + dc
            if not 0 <= cc < cols:
                continue
            other = rr * cols + cc
            j = where.get(other)
            if j is None:
                continue
            gap = abs(j - k)
            if dr and dc and gap != 2:
                out.append(f"the snake touches itself at the corner of {_rc(cell, cols)} and {_rc(other, cols)}")
            elif not (dr and dc) and gap != 1:
                out.append(f"the snake touches itself: {_rc(cell, cols)} and {_rc(other, cols)} share an edge")
    return out


def _count_breaks(path: Sequence[int], rows: int, cols: int, row_counts: Sequence[int], col_counts: Sequence[int],
                  complete: bool = True) -> list[str]:
    """Rows and columns whose snake cells differ from their count (with complete=False: only those above it)."""
    have_r, have_c = [0] * rows, [0] * cols
    for cell in path:
        have_r[cell // cols] += 1
        have_c[cell % cols] += 1
    out = []
    for kind, have, want in (("row", have_r, row_counts), ("column", have_c, col_counts)):
        for i, (h, w) in enumerate(zip(have, want)):
            if h > w or (complete and h != w):
                out.append(f"{kind} {i} has {h} snake cell{'s' if h != 1 else ''} but its count is {w}")
    return out


def _violations(data: dict[str, Any], cells: Sequence[tuple[int, int]]) -> list[str]:
    """Every rule a snake (a list of (row, col)) breaks; empty when it is a valid solution."""
    rows, cols = data["rows"], data["cols"]
    start, end = tuple(data["start"]), tuple(data["end"])
    outside = [f"cell ({r},{c}) is outside the {rows}x{cols} grid" for r, c in cells if not (0 <= r < rows
                                                                                               and 0 <= c < cols)]
    if outside:
        return outside
    out = []
    if cells and cells[0] == end and cells[-1] == start:
        cells = cells[::-1]  # the same snake written from E to S
    if not cells or cells[0] != start:
        out.append(f"the snake must start at S ({start[0]},{start[1]})")
    if not cells or cells[-1] != end:
        out.append(f"the snake must end at E ({end[0]},{end[1]})")
    path = [r * cols + c for r, c in cells]
    seen: set[int] = set()
    for a, b in itertools.pairwise(path):
        if abs(a // cols - b // cols) + abs(a % cols - b % cols) != 1:
            out.append(f"{_rc(a, cols)} and {_rc(b, cols)} follow each other but are not neighbours")
    for cell in path:
        if cell in seen:
            out.append(f"cell {_rc(cell, cols)} is used more than once")
        seen.add(cell)
    if len(seen) == len(path):
        out += _touching(path, cols)
    out += _count_breaks(path, rows, cols, data["row_counts"], data["col_counts"])
    return out


def _read_cells(text: str) -> list[tuple[int, int]]:
    """The (row, col) cells of an answer: `(r,c)` or `[r, c]` pairs in order, else the whole numbers taken two
    by two (`0,0 1,0 1,1`). ValueError when there are none."""
    text = clean_latex(str(text))
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError("the answer is too long")
    pairs = [(int(a), int(b)) for a, b in _PAIR.findall(text) if len(a) < 6 and len(b) < 6]
    if not pairs:
        numbers = parse_ints(text)
        if numbers and len(numbers) % 2 == 0 and all(abs(v) < 10**5 for v in numbers):
            pairs = list(zip(numbers[::2], numbers[1::2]))
    if not pairs:
        raise ValueError("no cells found: write the snake as (row,col) pairs from S to E, e.g. (0,0) (1,0) (1,1)")
    return pairs


# ---- the solver's model ----------------------------------------------------------------------------------
@cache
def _degree_table(k: int, end: bool) -> Table:
    """(cell, its k neighbours): an empty cell allows anything; a snake cell has two snake neighbours (S and E
    one)."""
    want = 1 if end else 2
    rows = [t for t in itertools.product((0, 1), repeat=k + 1)
            if (t[0] == 1 and sum(t[1:]) == want) or (t[0] == 0 and not end)]
    return Table(rows)


@cache
def _window_table() -> Table:
    """A 2x2 block (top left, top right, bottom left, bottom right): never all four snake cells, and two snake
    cells on a diagonal need a third one in the block (they are then the two ends of a bend)."""
    bad = {(1, 1, 1, 1), (1, 0, 0, 1), (0, 1, 1, 0)}
    return Table([t for t in itertools.product((0, 1), repeat=4) if t not in bad])


class _OverBudget(Exception):
    """A uniqueness check that ran past its budget (the generator then draws another walk)."""


def _connected(rows: int, cols: int, start: int, budget: list[int] | None) -> Prune:
    """Propagator: the snake is one connected piece. Cells that cannot be reached from S over cells that may
    still be snake cells are empty; a snake cell out of reach is a contradiction. With `budget` (a one-item
    counter) it also counts the propagation rounds and raises _OverBudget when they run out."""
    size = rows * cols

    def prune(dom: list[int]) -> bool:
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise _OverBudget
        room = [i for i in range(size) if dom[i] & 2]
        groups = components(room, rows, cols)
        if len(groups) == 1:
            return True
        home = next((g for g in groups if start in g), None)
        if home is None:
            return False
        inside = set(home)
        for i in room:
            if i not in inside:
                if dom[i] == 2:
                    return False
                dom[i] = 1
        return True

    return prune


def _model(data: dict[str, Any], budget: list[int] | None = None) -> Csp:
    """The rules as a Csp over the cells (row-major; 1 = snake): S and E, the counts, two snake neighbours per
    snake cell (one for S and E), the 2x2 corner rule, one connected piece. Cells of a row or column counted 0
    are empty from the start, and the rules that cannot bind there are left out (a cheaper model)."""
    rows, cols = data["rows"], data["cols"]
    start = data["start"][0] * cols + data["start"][1]
    end = data["end"][0] * cols + data["end"][1]
    csp = Csp.uniform(rows * cols, (0, 1))
    may = [bool(data["row_counts"][i // cols] and data["col_counts"][i % cols]) for i in range(rows * cols)]
    for i in range(rows * cols):
        if not may[i]:
            csp.assign(i, 0)
    csp.assign(start, 1)
    csp.assign(end, 1)
    for r, k in enumerate(data["row_counts"]):
        csp.count([r * cols + c for c in range(cols)], 1, k, f"row {r} needs {k} snake cells")
    for c, k in enumerate(data["col_counts"]):
        csp.count([r * cols + c for r in range(rows)], 1, k, f"column {c} needs {k} snake cells")
    nbr = neighbours(rows, cols)
    for i in range(rows * cols):
        end_cell = i in (start, end)
        if not (may[i] or end_cell):
            continue  # an empty cell puts no demand on its neighbours
        rule = (f"{'S' if i == start else 'E'} has exactly one snake neighbour" if end_cell else
                f"a snake cell at {_rc(i, cols)} has exactly two snake neighbours")
        csp.table((i, *nbr[i]), _degree_table(len(nbr[i]), end_cell), rule)
    for r in range(rows - 1):
        for c in range(cols - 1):
            a = r * cols + c
            if (may[a] and may[a + cols + 1]) or (may[a + 1] and may[a + cols]):  # else no diagonal pair
                csp.table((a, a + 1, a + cols, a + cols + 1), _window_table(),
                          f"the snake may touch itself at a corner only at a bend (block at ({r},{c}))")
    csp.add(range(rows * cols), _connected(rows, cols, start, budget), "the snake is one connected piece")
    return csp


def _order(cells: Sequence[int], start: int, rows: int, cols: int) -> list[int]:
    """The snake cells (a valid solution's set) in walking order from S."""
    todo = set(cells)
    nbr = neighbours(rows, cols)
    path = [start]
    todo.discard(start)
    while True:
        nxt = next((j for j in nbr[path[-1]] if j in todo), None)
        if nxt is None:
            return path
        todo.discard(nxt)
        path.append(nxt)


# ---- generation -------------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _ring(rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """The up to 8 cells around every cell."""
    out = []
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        out.append(tuple((r + dr) * cols + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                         if (dr or dc) and 0 <= r + dr < rows and 0 <= c + dc < cols))
    return tuple(out)


def _walk(rng: np.random.Generator, n: int, start: int, length: int, straight: float,
          finish: Callable[[int], bool]) -> list[int] | None:
    """A random non-touching walk from `start` that stops at the first cell, once it is `length` cells long,
    where `finish` holds; None when it runs into a dead end or wanders for too long."""
    nbr, ring = neighbours(n, n), _ring(n, n)
    near = [0] * (n * n)  # snake cells among the 8 around each cell
    body = [start]
    used = [False] * (n * n)
    used[start] = True
    for j in ring[start]:
        near[j] += 1
    draws = rng.random(4 * n * n).tolist()
    for step in range(len(draws) // 2):
        head = body[-1]
        if len(body) >= length and finish(head):
            return body
        pred = body[-2] if len(body) > 1 else -1
        options = []
        for x in nbr[head]:
            if used[x]:
                continue
            bend = pred >= 0 and abs(pred // n - x // n) == 1 and abs(pred % n - x % n) == 1
            if near[x] == 1 + bend:
                options.append(x)
        if not options:
            return None
        ahead = 2 * head - pred if pred >= 0 else -1
        if ahead in options and (ahead // n == head // n or ahead % n == head % n) and draws[2 * step] < straight:
            x = ahead
        else:
            x = options[int(draws[2 * step + 1] * len(options))]
        body.append(x)
        used[x] = True
        for j in ring[x]:
            near[j] += 1
    return None


def _ends(rng: np.random.Generator, level: int, n: int) -> tuple[int, Callable[[int], bool]]:
    """The official end-point rules: S, and the test the last cell must pass (level 1: S on a side, E on the
    opposite side, 3+ apart; level 2: S on the border, E at least max(3, n/2) away; levels 3+: anywhere, at
    least max(4, n/2) apart)."""
    far = max(3, n // 2) if level == 2 else max(4, n // 2)
    if level == 1:
        side = int(rng.integers(4))
        k = int(rng.integers(n))
        r, c = ((0, k), (n - 1, k), (k, 0), (k, n - 1))[side]
        opposite = (lambda x: x // n == n - 1, lambda x: x // n == 0, lambda x: x % n == n - 1, lambda x: x % n == 0)
        test = opposite[side]
        return r * n + c, lambda x: test(x) and abs(x // n - r) + abs(x % n - c) >= 3
    if level == 2:
        k = int(rng.integers(n))
        r, c = ((0, k), (n - 1, k), (k, 0), (k, n - 1))[int(rng.integers(4))]
    else:
        r, c = int(rng.integers(n)), int(rng.integers(n))
    return r * n + c, lambda x: abs(x // n - r) + abs(x % n - c) >= far


def _snake_data(n: int, path: Sequence[int]) -> dict[str, Any]:
    return {
        "rows": n,
        "cols": n,
        "start": list(divmod(path[0], n)),
        "end": list(divmod(path[-1], n)),
        "row_counts": [sum(1 for x in path if x // n == r) for r in range(n)],
        "col_counts": [sum(1 for x in path if x % n == c) for c in range(n)],
        "solution": [list(divmod(x, n)) for x in path],
    }


def _is_unique(data: dict[str, Any]) -> bool:
    """True when the counts admit only this snake, decided within UNIQUE_BUDGET propagation rounds."""
    try:
        return _model(data, [UNIQUE_BUDGET]).count_solutions(2) == 1
    except _OverBudget:
        return False


# ---- the task ---------------------------------------------------------------------------------------------
@register_task
class Snake(Task):
    """Snake (Tunnel). Step grammar (0-based row column): `up`, `down`, `left` or `right` (also `move up`,
    `u`, or `R C` naming the cell next to the head) grows the snake from its head, which starts on S.
    Illegal: leaving the grid, revisiting a cell, touching the snake, overfilling a row or column count,
    moving on from E. The env adds undo (takes back the last cell), restart, submit and `answer <...>`."""

    name = "Snake"
    key = "snake"
    category = "puzzles"
    # SERG: propagation alone finds most snakes; see QuickChecks
    trace_quick: ClassVar[QuickChecks | None] = QuickChecks(share=0.67)
    score_function = "snake_evaluator"
    step_help = (
        "up | down | left | right: grow the snake from its head (it starts on S) into the next cell that way "
        "(also `move up`, `u`, or `R C` for the cell next to the head, 0-based row and column)"
    )
    answer_help = "the snake's cells from S to E as (row,col) pairs, 0-based, separated by spaces: (0,0) (1,0) (1,1)"
    key_commands: ClassVar[dict[str, str]] = {"up": "up", "down": "down", "left": "left", "right": "right"}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        sides, share, straight = LADDER[level]
        data = None
        for _ in range(WALKS):
            n = sides[int(rng.integers(len(sides)))]
            start, finish = _ends(rng, level, n)
            length = max(4, round(n * n * share * rng.uniform(0.8, 1.2)))
            path = _walk(rng, n, start, length, straight, finish)
            if path is None:
                continue
            data = _snake_data(n, path)
            if _is_unique(data):
                break
        if data is None:  # cannot happen: short walks always succeed well within WALKS tries
            raise RuntimeError("Snake: no walk found")
        return self.puzzle(level, data)

    @staticmethod
    def _path(puzzle: Puzzle) -> list[int]:
        cols = puzzle.data["cols"]
        return [r * cols + c for r, c in puzzle.data["solution"]]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return _path_text(puzzle.data["solution"])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        cells = puzzle.data["solution"]
        names = {delta: word for word, delta in DIRS.items()}
        return [names[(b[0] - a[0], b[1] - a[1])] for a, b in itertools.pairwise(cells)]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        rows, cols = d["rows"], d["cols"]
        start = d["start"][0] * cols + d["start"][1]
        events = [TraceEvent("read", None, f"a {rows}x{cols} grid, S at ({d['start'][0]},{d['start'][1]}), E at "
                             f"({d['end'][0]},{d['end'][1]}); row counts {d['row_counts']}, column counts "
                             f"{d['col_counts']}: {sum(d['row_counts'])} snake cells in all; the cells of rows "
                             "and columns counted 0 stay empty",
                             self._board_text(puzzle, [None if d["row_counts"][i // cols] and d["col_counts"][i % cols]
                                                       else 0 for i in range(rows * cols)]))]

        def cell_name(i: int) -> str:
            return f"cell {_rc(i, cols)}"

        def value(v: int) -> str:
            return "snake" if v else "empty"

        found, search = _model(d).trace(lambda i, v: None, cell_name, lambda vals: self._board_text(puzzle, vals),
                                        value, quick=self.trace_quick)
        events += search
        cells = self._path(puzzle)
        if found is not None:
            walked = _order([i for i, v in enumerate(found) if v], start, rows, cols)
            if not _violations(d, [divmod(i, cols) for i in walked]):
                cells = walked
        answer = _path_text([divmod(i, cols) for i in cells])
        events.append(TraceEvent("check", None, f"walking from S the snake reaches E after {len(cells)} cells, "
                                 "never touches itself, and every row and column count is met"))
        events.append(TraceEvent("answer", answer, "the snake's cells from S to E"))
        return events

    def _board_text(self, puzzle: Puzzle, values: Sequence[int | None]) -> str:
        """A solver position: S, E, # snake, . empty, ? undecided."""
        d = puzzle.data
        cols = d["cols"]
        marks = {d["start"][0] * cols + d["start"][1]: "S", d["end"][0] * cols + d["end"][1]: "E"}
        text = [marks.get(i, "?" if v is None else "#" if v else ".") for i, v in enumerate(values)]
        return "\n".join("".join(text[r * cols:(r + 1) * cols]) for r in range(d["rows"]))

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            cells = _read_cells(answer)
            parsed = [list(c) for c in cells]
            broken = _violations(puzzle.data, cells)
        except ValueError as exc:
            return Verdict.wrong(str(exc))
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        return Verdict.wrong(*broken, parsed=parsed) if broken else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        d = puzzle.data
        r, c = d["start"]
        cells = [(r, c)]
        for _ in range(max(1, len(d["solution"]) - 1)):
            dr, dc = list(DIRS.values())[int(rng.integers(4))]
            r, c = min(max(r + dr, 0), d["rows"] - 1), min(max(c + dc, 0), d["cols"] - 1)
            cells.append((r, c))
        return _path_text(cells)

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self) -> str:
        return (
            "Rules:\n"
            "1. The snake is a chain of cells from the start cell S to the end cell E; each cell of the chain is "
            "next to the one before it (up, down, left or right) and no cell is used twice.\n"
            "2. The snake never touches itself: two snake cells that do not follow each other along the snake "
            "may not share an edge, and they may touch at a corner only where the snake bends (the cell before "
            "and the cell after the bend).\n"
            "3. The number beside each row and below each column says how many snake cells that row or column "
            "holds (S and E included)."
        )

    def _format(self) -> str:
        return ("Answer format: the snake's cells in order from S to E as (row,col) pairs with 0-based indices, "
                "separated by single spaces, for example: (0,0) (1,0) (1,1) (1,2) (1,3) (2,3)")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        rows, cols = d["rows"], d["cols"]
        clues = (f"Grid size: {rows}×{cols}\nRow counts (top to bottom): {', '.join(map(str, d['row_counts']))}\n"
                 f"Column counts (left to right): {', '.join(map(str, d['col_counts']))}")
        if modality == "text":
            grid = "\n".join(json.dumps(row) for row in _initial_grid(d))
            state = ("Rows and columns are counted from 0 at the top left. The grid as a list of rows: \"S\" is "
                     f"the start cell, \"E\" the end cell, null an empty cell:\n{grid}\n\n"
                     f"S is at ({d['start'][0]},{d['start'][1]}) and E at ({d['end'][0]},{d['end'][1]}).\n{clues}")
            return f"Solve this Snake puzzle.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"
        state = ("The picture shows the grid with its row numbers down the left side and its column numbers along "
                 "the top, both from 0. The green cell marked S is the start and the red cell marked E is the end; "
                 "each row's count stands to the right of the row and each column's count below the column.\n"
                 f"{clues}")
        return f"Solve the Snake puzzle in the picture.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        """The grid, S green and E red, counts right of the rows and below the columns, 0-based coordinates on
        the left and top; in step mode the snake's cells tinted with a line through them and a dot on its head,
        and counts already met in green."""
        d = puzzle.data
        rows, cols = d["rows"], d["cols"]
        canvas = draw.GridCanvas(rows, cols, size, margin=MARGIN, background=draw.WHITE)
        path = list(state) if state is not None else []
        for cell in path[1:]:
            canvas.fill(*divmod(cell, cols), BODY_TINT)
        if len(path) > 1:
            points = [tuple(round(v) for v in canvas.center(*divmod(cell, cols))) for cell in path]
            canvas.draw.line(points, fill=draw.ENTERED, width=max(3, canvas.cell // 7), joint="curve")
        canvas.fill(*d["start"], START_FILL)
        canvas.fill(*d["end"], END_FILL)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.05)
        canvas.write(*d["start"], "S", draw.WHITE, scale=0.5)
        canvas.write(*d["end"], "E", draw.WHITE, scale=0.5)
        canvas.coordinates(base=0, scale=0.34)
        have_r, have_c = [0] * rows, [0] * cols
        for cell in path:
            have_r[cell // cols] += 1
            have_c[cell % cols] += 1
        for r, k in enumerate(d["row_counts"]):
            canvas.label("right", r, str(k), COUNT_MET if path and have_r[r] == k else draw.GIVEN, scale=0.45,
                         offset=0.42)
        for c, k in enumerate(d["col_counts"]):
            canvas.label("bottom", c, str(k), COUNT_MET if path and have_c[c] == k else draw.GIVEN, scale=0.45,
                         offset=0.42)
        if len(path) > 1 and path[-1] != d["end"][0] * cols + d["end"][1]:
            canvas.circle(*divmod(path[-1], cols), draw.ENTERED, radius=0.17, outline=draw.WHITE,
                          width=max(1, canvas.cell // 25))
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return (puzzle.data["start"][0] * puzzle.data["cols"] + puzzle.data["start"][1],)

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, ...]:
        d = puzzle.data
        rows, cols = d["rows"], d["cols"]
        head = state[-1]
        if head == d["end"][0] * cols + d["end"][1]:
            raise InvalidMove("the snake has reached E; undo to change it, or submit")
        r, c = divmod(head, cols)
        target = self._target(move, r, c)
        tr, tc = target
        if not (0 <= tr < rows and 0 <= tc < cols):
            raise InvalidMove("that would leave the grid")
        x = tr * cols + tc
        if x in state:
            raise InvalidMove(f"cell ({tr},{tc}) is already part of the snake")
        pred = state[-2] if len(state) > 1 else -1
        for y in _ring(rows, cols)[x]:
            if y in state and y != head and not (y == pred and y // cols != tr and y % cols != tc):
                raise InvalidMove(f"cell ({tr},{tc}) would touch the snake at {_rc(y, cols)}")
        if sum(1 for y in state if y // cols == tr) >= d["row_counts"][tr]:
            raise InvalidMove(f"row {tr} already has its {d['row_counts'][tr]} snake cells")
        if sum(1 for y in state if y % cols == tc) >= d["col_counts"][tc]:
            raise InvalidMove(f"column {tc} already has its {d['col_counts'][tc]} snake cells")
        return (*state, x)

    @staticmethod
    def _target(move: str, r: int, c: int) -> tuple[int, int]:
        """The cell a command names: a direction word from the head, or `R C` next to it."""
        words = [w for w in normalize_command(move).replace(",", " ").split() if w not in _MOVE_FILLER]
        if len(words) == 1 and words[0] in DIRECTION_WORDS:
            dr, dc = DIRS[DIRECTION_WORDS[words[0]]]
            return r + dr, c + dc
        numbers = parse_ints(" ".join(words)) if words else []
        if len(numbers) == 2 and len(re.findall(r"[a-z]", " ".join(words))) == 0:
            tr, tc = numbers
            if abs(tr - r) + abs(tc - c) != 1:
                raise InvalidMove(f"({tr},{tc}) is not next to the head at ({r},{c})")
            return tr, tc
        raise InvalidMove(f"unknown command {str(move)[:40]!r}; use up, down, left or right")

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        """The official initial_state grid with the snake's cells marked "o" (the head "H"), then the counts and
        the snake so far."""
        d = puzzle.data
        cols = d["cols"]
        grid = _initial_grid(d)
        for cell in state[1:]:
            r, c = divmod(cell, cols)
            if grid[r][c] is None:
                grid[r][c] = "o"
        if len(state) > 1 and grid[state[-1] // cols][state[-1] % cols] == "o":
            grid[state[-1] // cols][state[-1] % cols] = "H"
        head = divmod(state[-1], cols)
        lines = [json.dumps(row) for row in grid]
        lines += [f"Row counts: {', '.join(map(str, d['row_counts']))}",
                  f"Column counts: {', '.join(map(str, d['col_counts']))}",
                  f"Snake so far ({len(state)} cell{'s' if len(state) != 1 else ''}): "
                  f"{_path_text([divmod(x, cols) for x in state])}; head at ({head[0]},{head[1]})"]
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        cols = puzzle.data["cols"]
        return not _violations(puzzle.data, [divmod(x, cols) for x in state])

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str]:
        out = []
        for word in DIRS:
            try:
                self.apply(puzzle, state, word)
            except InvalidMove:
                continue
            out.append(word)
        return out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return list(DIRS)

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        return _path_text([divmod(x, puzzle.data["cols"]) for x in state])

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        """What already rules the position out: a body cell next to E (E could no longer be entered without
        touching it), or a snake that reached E with counts unmet."""
        d = puzzle.data
        cols = d["cols"]
        end = d["end"][0] * cols + d["end"][1]
        if state[-1] == end:
            return _count_breaks(state, d["rows"], cols, d["row_counts"], d["col_counts"])
        body = set(state[:-1])
        return [f"the snake touches E at {_rc(y, cols)} before reaching it" for y in neighbours(d["rows"], cols)[end]
                if y in body]

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["solution"]) + 20

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        return self.base_record(
            puzzle, index=f"snake_{d['rows']}_{puzzle.fingerprint}", answer=self.solve(puzzle),
            initial_state=_initial_grid(d), grid_size={"rows": d["rows"], "cols": d["cols"]},
            start={"row": d["start"][0], "col": d["start"][1]}, end={"row": d["end"][0], "col": d["end"][1]},
            row_counts=list(d["row_counts"]), col_counts=list(d["col_counts"]))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        grid = decode_value(record.get("initial_state"))
        if not isinstance(grid, list) or not grid or not all(isinstance(row, list) for row in grid):
            raise RecordError("Snake: initial_state must be a grid (a list of rows)")
        rows, cols = len(grid), len(grid[0])
        if not (2 <= rows <= MAX_SIDE and 2 <= cols <= MAX_SIDE) or any(len(row) != cols for row in grid):
            raise RecordError("Snake: initial_state must be a rectangular grid of side 2-16")
        marks = {str(v).upper(): (r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
                 if isinstance(v, str) and v.strip()}
        flat = [str(v).upper() for row in grid for v in row if isinstance(v, str) and v.strip()]
        if flat.count("S") != 1 or flat.count("E") != 1:
            raise RecordError("Snake: the grid must hold exactly one S and one E")
        answer = record.get("answer")
        answer_text = answer if isinstance(answer, str) or answer is None else json.dumps(answer)
        counts = {key: _record_counts(record, key, answer_text, rows, cols) for key in _COUNTS}
        if len(counts["row_counts"]) != rows or len(counts["col_counts"]) != cols:
            raise RecordError("Snake: the row and column counts do not fit the grid")
        data = {"rows": rows, "cols": cols, "start": list(marks["S"]), "end": list(marks["E"]), **counts}
        data["solution"] = [list(c) for c in _record_solution(data, answer_text)]
        return self.puzzle(self.record_level(record), data, seed=self.record_seed(record))


# ---- module helpers ---------------------------------------------------------------------------------------
def _path_text(cells: Sequence[Sequence[int]]) -> str:
    return " ".join(f"({r},{c})" for r, c in cells)


def _initial_grid(d: dict[str, Any]) -> list[list[str | None]]:
    """The official initial_state: rows of null with "S" and "E"."""
    grid: list[list[str | None]] = [[None] * d["cols"] for _ in range(d["rows"])]
    grid[d["start"][0]][d["start"][1]] = "S"
    grid[d["end"][0]][d["end"][1]] = "E"
    return grid


def _record_counts(record: dict[str, Any], key: str, answer: str | None, rows: int, cols: int) -> list[int]:
    """A record's row or column counts: its own field, else the `Row counts:` line of a question, else counted
    from the answer."""
    value = decode_value(record.get(key))
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        return list(value)
    for field in ("question_language", "question"):
        found = _COUNTS[key].search(str(record.get(field) or ""))
        if found:
            return [int(t) for t in re.findall(r"\d+", found.group(1))]
    if answer:
        try:
            cells = _read_cells(answer)
        except ValueError:
            cells = []
        if cells and all(0 <= r < rows and 0 <= c < cols for r, c in cells):
            size, axis = (rows, 0) if key == "row_counts" else (cols, 1)
            return [sum(1 for cell in set(cells) if cell[axis] == i) for i in range(size)]
    raise RecordError(f"Snake: the record has no {key.replace('_', ' ')}")


def _record_solution(data: dict[str, Any], answer: str | None) -> list[tuple[int, int]]:
    """The record's answer when it is a valid snake (S to E), else the solver's."""
    if answer:
        try:
            cells = _read_cells(answer)
        except ValueError:
            cells = []
        if cells and not _violations(data, cells):
            return cells if tuple(cells[0]) == tuple(data["start"]) else cells[::-1]
    found = _model(data).solve()
    if found is None:
        raise RecordError("Snake: the puzzle has no solution")
    cols = data["cols"]
    start = data["start"][0] * cols + data["start"][1]
    return [divmod(i, cols) for i in _order([i for i, v in enumerate(found) if v], start, data["rows"], cols)]
