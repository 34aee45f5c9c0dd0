"""Tapa (MM-HELIX key `tapa`): shade cells so that the shaded cells form one orthogonally connected group with
no 2x2 block, clue cells stay unshaded, and every clue k sees exactly k shaded cells among its (up to) 8
neighbours, all in one group.

The benchmark's variant (spec section 7): every clue is a single number, and the shaded neighbours of a clue
are grouped by king moves among themselves, so the N and E neighbours touch across a white NE corner (standard
Tapa would read that as "1 1"). The verifier and the solver follow this variant, as the official evaluator
does. Our generator only puts clues where the shaded neighbours also form one run around the ring, so our
instances read the same under standard Tapa.

Generation: n = level + 2; a random connected shading without 2x2 blocks of about the official size
(floor(n^2 r) cells, plus up to n - 1 more); then, starting from the official minimum number of clues, clues are
added (each one the true value of a white cell that the solver's second solution contradicts) until the solution
is unique. The official generator never checks uniqueness (30/30 of its level-5 instances have several
solutions) and does not re-validate its repaired shading (up to 27% of its level-5 references are invalid).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, SearchBudgetExceeded, Table
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import MAX_ANSWER_CHARS, AnswerError, Board, GridTask, parse_cells, parse_grid
from helix_gym.core.parse import clean_latex
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.core.topology import block_violations, components, connectivity_violations, neighbours

WHITE, BLACK, DOT = 0, 1, 2  # cell values of a position; DOT is a white cell the player marked (cosmetic)
WHITE_BIT, BLACK_BIT = 1 << WHITE, 1 << BLACK  # the solver's domains
SHARE = {1: 0.25, 2: 0.30, 3: 0.35, 4: 0.40, 5: 0.45}  # official: floor(n^2 * share) shaded cells to start
MIN_CLUES = {1: 3, 2: 4, 3: 5, 4: 6, 5: 7}  # official minimum clue count; we add clues until unique
RESTARTS = 200  # shadings tried before giving up (never reached in practice)
MAX_TRIES = 300  # search tries per uniqueness check before the generator gives up on a shading (cuts the tail)
MARGIN = (0.55, 0.55, 0.2, 0.2)  # room for the 0-based coordinates on the left and on top
CLUE_FILL = (230, 230, 250)  # the official lavender clue cells
CLUE_INK = (20, 30, 110)  # the official navy clue numbers
# the 8 neighbours clockwise from the top-left corner: consecutive ones (and the last and first) touch
RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))
_PAIR = re.compile(r"[(\[{<]\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*[)\]}>]")
_CELL_SPLIT = re.compile(r"[\s,;|]+")
_SIZE = re.compile(r"\b(\d+)\s*[x×*]\s*(\d+)\b")
GRID_SYMBOLS = {"#": BLACK, "b": BLACK, "x": BLACK, "■": BLACK, "█": BLACK, "1": BLACK,
                ".": WHITE, "w": WHITE, "□": WHITE, "0": WHITE, "o": WHITE, "-": WHITE, "_": WHITE}


# ---- clue geometry ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def ring_offsets(n: int, i: int) -> tuple[tuple[int, int], ...]:
    """The offsets of cell i's neighbours inside the n x n grid, clockwise from the top-left corner."""
    r, c = divmod(i, n)
    return tuple((dr, dc) for dr, dc in RING if 0 <= r + dr < n and 0 <= c + dc < n)


def ring_cells(n: int, i: int) -> list[int]:
    r, c = divmod(i, n)
    return [(r + dr) * n + c + dc for dr, dc in ring_offsets(n, i)]


def king_groups(offsets: Sequence[tuple[int, int]]) -> int:
    """How many groups the given neighbour offsets form when cells touching at an edge or a corner join."""
    todo = list(offsets)
    groups = 0
    while todo:
        groups += 1
        stack = [todo.pop()]
        while stack:
            a = stack.pop()
            near = [b for b in todo if max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1]
            for b in near:
                todo.remove(b)
            stack += near
    return groups


def ring_runs(offsets: Sequence[tuple[int, int]], shaded: Sequence[int]) -> int:
    """How many runs of consecutive shaded cells the neighbours form around the ring (standard Tapa's
    reading): two neighbours are consecutive when they follow each other in the ring of 8; where the grid's
    edge cuts the ring, the cells on either side of the cut are not."""
    pos = [RING.index(o) for o in offsets]
    m = len(offsets)
    runs = sum(1 for k in range(m) if shaded[k] and not (shaded[k - 1] and (pos[k] - pos[k - 1]) % 8 == 1))
    return 1 if runs == 0 and any(shaded) else runs


def clue_value(n: int, shaded: Sequence[int], i: int) -> int:
    """The clue cell i would show (its shaded neighbours, all in one king-connected group), or -1 where they
    are split or there are none."""
    offs = ring_offsets(n, i)
    r, c = divmod(i, n)
    on = [o for o in offs if shaded[(r + o[0]) * n + c + o[1]] == BLACK]
    return len(on) if on and king_groups(on) == 1 else -1


def _standard_clue(n: int, shaded: Sequence[int], i: int) -> int:
    """clue_value where the shaded neighbours also form a single run around the ring (standard Tapa's
    reading agrees), else -1: where the generator may put a clue."""
    k = clue_value(n, shaded, i)
    if k < 0:
        return -1
    offs = ring_offsets(n, i)
    r, c = divmod(i, n)
    bits = [1 if shaded[(r + o[0]) * n + c + o[1]] == BLACK else 0 for o in offs]
    return k if ring_runs(offs, bits) == 1 else -1


@lru_cache(maxsize=256)
def clue_table(offsets: tuple[tuple[int, int], ...], k: int) -> Table:
    """Every shading of the neighbours at `offsets` that a clue k accepts (k shaded, one king group), over
    the solver's values (WHITE/BLACK); built once per neighbourhood shape and shared by all puzzles."""
    rows = []
    m = len(offsets)
    for x in range(1 << m):
        bits = [x >> j & 1 for j in range(m)]
        on = [o for o, b in zip(offsets, bits) if b]
        if len(on) == k and (k == 0 or king_groups(on) == 1):
            rows.append(bits)
    return Table(rows) if rows else Table([])


def _base_model(n: int) -> Csp:
    """The clue-free rules as a Csp over the cells (WHITE or BLACK): no 2x2 shaded block, shaded cells
    connected."""
    csp = Csp.uniform(n * n, (WHITE, BLACK))
    for r in range(n - 1):
        for c in range(n - 1):
            i = r * n + c
            csp.at_most((i, i + 1, i + n, i + n + 1), BLACK, 3,
                        f"the 2x2 block at ({r},{c})-({r + 1},{c + 1}) must not be all shaded")
    csp.connected(neighbours(n, n), BLACK, "the shaded cells must stay connected")
    return csp


def _add_clue(csp: Csp, n: int, i: int, k: int) -> None:
    """A clue k at cell i: the cell stays white; its neighbours hold k shaded cells in one group."""
    r, c = divmod(i, n)
    csp.assign(i, WHITE)
    csp.table(ring_cells(n, i), clue_table(ring_offsets(n, i), k),
              f"the clue {k} at ({r},{c}) needs {k} shaded neighbour{'s' if k != 1 else ''} in one group")


def model(n: int, clues: dict[int, int]) -> Csp:
    """The whole puzzle as a Csp: the base rules and every clue."""
    csp = _base_model(n)
    for i, k in sorted(clues.items()):
        _add_clue(csp, n, i, k)
    return csp


# ---- generation ---------------------------------------------------------------------------------------------
def _makes_block(shaded: Sequence[int], n: int, i: int) -> bool:
    """Whether cell i completes a shaded 2x2 block (i itself counted as shaded)."""
    r, c = divmod(i, n)
    for r0 in (r - 1, r):
        for c0 in (c - 1, c):
            if 0 <= r0 < n - 1 and 0 <= c0 < n - 1:
                j = r0 * n + c0
                if all(k == i or shaded[k] for k in (j, j + 1, j + n, j + n + 1)):
                    return True
    return False


def random_shading(n: int, target: int, rng: np.random.Generator) -> list[int]:
    """A connected shading without 2x2 blocks, grown from a random cell by adding random cells next to it
    (never one that would complete a block) until `target` cells are shaded or none can be added."""
    nbr = neighbours(n, n)
    shaded = [WHITE] * (n * n)
    start = int(rng.integers(n * n))
    shaded[start] = BLACK
    count = 1
    frontier = set(nbr[start])
    while count < target and frontier:
        options = sorted(frontier)
        i = options[int(rng.integers(len(options)))]
        frontier.discard(i)
        if _makes_block(shaded, n, i):
            continue
        shaded[i] = BLACK
        count += 1
        frontier.update(j for j in nbr[i] if not shaded[j])
    return shaded


def _unique_clues(n: int, shaded: list[int], first: int, rng: np.random.Generator) -> dict[int, int] | None:
    """Clues for `shaded` that admit no other solution: `first` random candidates, then one clue at a time
    that the solver's other solution breaks. None when no candidate can tell two solutions apart or a check
    runs out of tries."""
    values = {i: _standard_clue(n, shaded, i) for i in range(n * n) if shaded[i] == WHITE}
    candidates = [i for i, k in values.items() if k > 0]
    if len(candidates) < first:
        return None
    order = [candidates[int(j)] for j in rng.permutation(len(candidates))]
    clues = {i: values[i] for i in order[:first]}
    csp = model(n, clues)
    sol = tuple(shaded)
    while True:
        try:
            found = csp.solutions(2, max_tries=MAX_TRIES)
        except SearchBudgetExceeded:
            return None
        if len(found) == 1:
            return clues
        other = found[0] if found[0] != sol else found[1]
        breaking = [i for i in candidates
                    if i not in clues and (other[i] == BLACK or clue_value(n, other, i) != values[i])]
        if not breaking:
            return None
        i = breaking[int(rng.integers(len(breaking)))]
        clues[i] = values[i]
        _add_clue(csp, n, i, values[i])


# ---- answers ------------------------------------------------------------------------------------------------
def read_cells(text: Any, n: int, clues: dict[int, int]) -> tuple[int, ...]:
    """The shading an answer describes, as a flat tuple of WHITE/BLACK.

    Reads (row, column) pairs in any notation grid.parse_cells knows (`(0,1), (1,2)`, `[[0, 1], [1, 2]]`,
    `{(0, 1)}`, `0 1; 1 2`, `row 0 col 1`), or, when there are no bracketed pairs, a grid of the whole board,
    one row per line, with B/#/X/1 for shaded and W/./0 for white cells (a clue's own digit may stand in its
    cell). An explicit empty set is no cells."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) <= MAX_ANSWER_CHARS:
        plain = _SIZE.sub(lambda m: " " if (int(m[1]), int(m[2])) == (n, n) else m[0], clean_latex(text))
        if not _PAIR.search(plain) and _looks_like_grid(plain, n):
            return _read_grid(plain, n, clues)
    grid = [WHITE] * (n * n)
    for i in parse_cells(text, n, n, what="shaded cells", example="(row,column), ..."):
        grid[i] = BLACK
    return tuple(grid)


def _grid_rows(text: str) -> list[str]:
    """The rows of a grid answer: the inner lists of a nested list, else the non-empty lines."""
    inner = re.findall(r"[\[(]([^\[\]()]*)[\])]", text) if re.search(r"[\[(]\s*[\[(]", text) else []
    return inner or [ln for ln in text.strip().splitlines() if ln.strip()]


def _row_cells(row: str) -> list[str]:
    tokens = [t for t in _CELL_SPLIT.split(row.strip()) if t]
    return list(tokens[0]) if len(tokens) == 1 else tokens


def _looks_like_grid(text: str, n: int) -> bool:
    """n rows of n cells each (`0110`, `B W W B`, `[[0, 1, 1, 0], ...]`): a grid rather than coordinates."""
    rows = _grid_rows(text)
    return len(rows) == n and all(len(_row_cells(row)) == n for row in rows)


def _read_grid(text: str, n: int, clues: dict[int, int]) -> tuple[int, ...]:
    """A whole-board grid: B/#/X/1 shaded, W/./O/0 white; a digit in a clue cell is the clue itself."""
    cells = [v for row in parse_grid(text, n, n, GRID_SYMBOLS) for v in row]
    out = []
    for i, v in enumerate(cells):
        if i in clues and type(v) is int and (v >= 2 or v == clues[i]):
            out.append(WHITE)  # the clue's own digit written in its cell
        elif v in (WHITE, BLACK) and type(v) is int:
            out.append(v)
        else:
            raise AnswerError(f"cell ({i // n},{i % n}) of the grid is {str(v)[:8]}; write B or # for shaded, W or . "
                              "for white")
    return tuple(out)


def cells_text(cells: Sequence[tuple[int, int]]) -> str:
    """Cells in the official notation, row-major: `(0,1), (1,1), (1,2)`."""
    return ", ".join(f"({r},{c})" for r, c in sorted(cells))


def _parse_rows(raw: Any) -> list[str]:
    """The official initial_state (one line per row, `.` or a clue digit per cell) as a list of row strings."""
    value = decode_value(raw)
    if isinstance(value, list):
        rows = ["".join(str(v) for v in row) if isinstance(row, list) else str(row) for row in value]
    elif isinstance(value, str):
        rows = value.replace("\\n", "\n").strip().splitlines()
    else:
        raise RecordError("Tapa: initial_state must be the grid as text, one line per row")
    rows = [row.strip().replace(" ", "") for row in rows if row.strip()]
    n = len(rows)
    if not 2 <= n <= 10 or any(len(row) != n or any(ch not in ".012345678" for ch in row) for row in rows):
        raise RecordError("Tapa: initial_state must be a square grid of `.` and clue digits 0-8")
    return rows


@register_task
class Tapa(GridTask):
    """Tapa: shade cells so that (1) clue cells stay unshaded, (2) the shaded cells form one orthogonally
    connected group, (3) no 2x2 block is all shaded, (4) a clue k has exactly k shaded cells among its up to
    8 neighbours, all in one group (cells touching at an edge or a corner join).

    Step grammar (0-based `row column`, as the official answer counts):
        shade R C     shade the cell at row R, column C
        unshade R C   make it plain white again (removes shading or a dot)
        dot R C       mark it with a dot as surely white (a note; it counts as white)
    """

    name = "Tapa"
    key = "tapa"
    category = "puzzles"
    score_function = "tapa_evaluator"
    step_help = (
        "shade R C: shade the cell at row R, column C (0-based from the top left)\n"
        "unshade R C: make the cell plain white again (removes shading or a dot)\n"
        "dot R C: mark the cell as surely white (a note; it counts as white)"
    )
    answer_help = "the shaded cells as 0-based (row,column) pairs, row by row: (0,1), (1,1), (1,2)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        for _ in range(RESTARTS):
            target = int(n * n * SHARE[level]) + int(rng.integers(n))
            shaded = random_shading(n, target, rng)
            clues = _unique_clues(n, shaded, MIN_CLUES[level], rng)
            if clues is not None:
                rows = ["".join(str(clues[r * n + c]) if r * n + c in clues else "." for c in range(n))
                        for r in range(n)]
                black = [list(divmod(i, n)) for i in range(n * n) if shaded[i] == BLACK]
                return self.puzzle(level, {"grid": rows, "black": black})
        raise RuntimeError(f"Tapa: no unique level-{level} instance after {RESTARTS} shadings")

    @staticmethod
    def clues(puzzle: Puzzle) -> dict[int, int]:
        """Clue cell index -> clue value."""
        rows = puzzle.data["grid"]
        n = len(rows)
        return {r * n + c: int(ch) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != "."}

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        n = len(puzzle.data["grid"])
        clues = self.clues(puzzle)
        return Board(n, n, [WHITE] * (n * n), verbs={"shade": BLACK, "unshade": WHITE, "dot": DOT},
                     values=(WHITE, BLACK, DOT), base=0, empty=None, margin=MARGIN,
                     fixed=[i in clues for i in range(n * n)],
                     aliases={"black": "shade", "fill": "shade", "paint": "shade", "colour": "shade",
                              "color": "shade", "clear": "unshade", "erase": "unshade", "white": "unshade",
                              "remove": "unshade", "delete": "unshade", "unmark": "unshade", "mark": "dot",
                              "cross": "dot"},
                     value_names={WHITE: "white", BLACK: "shaded", DOT: "dotted (white)"})

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """Complete (an answer): every rule. A position (complete=False): shaded 2x2 blocks, clues with too many
        shaded neighbours or with too few cells left that are not dotted, and split groups around a clue."""
        n = len(puzzle.data["grid"])
        clues = self.clues(puzzle)
        shaded = [i for i in range(n * n) if grid[i] == BLACK]
        out = [f"clue cell ({i // n},{i % n}) is shaded" for i in shaded if i in clues]
        out += block_violations(shaded, n, n, "shaded cells")
        if complete:
            out += connectivity_violations(shaded, n, n, "shaded cells")
        for i, k in sorted(clues.items()):
            out += self._clue_violations(n, grid, i, k, clues, complete)
        return out

    def _clue_violations(self, n: int, grid: Sequence[Any], i: int, k: int, clues: dict[int, int],
                         complete: bool) -> list[str]:
        r, c = divmod(i, n)
        offs = ring_offsets(n, i)
        on = [o for o in offs if grid[(r + o[0]) * n + c + o[1]] == BLACK]
        where = f"the clue {k} at ({r},{c})"
        if len(on) > k or (complete and len(on) < k):
            return [f"{where} has {len(on)} shaded neighbour{'s' if len(on) != 1 else ''}, not {k}"]
        if not complete:
            room = sum(1 for j in ring_cells(n, i) if grid[j] != DOT and j not in clues)
            if room < k:
                return [f"{where} has only {room} neighbours left that are not dotted"]
            return []
        groups = king_groups(on)
        if groups > 1:
            return [f"the {len(on)} shaded neighbours of {where} form {groups} separate groups, not one"]
        return []

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        return read_cells(text, len(puzzle.data["grid"]), self.clues(puzzle))

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        n = len(puzzle.data["grid"])
        return cells_text([divmod(i, n) for i, v in enumerate(grid) if v == BLACK])

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int | None]) -> str:
        """The official initial_state notation (a line per row, `.` or the clue digit), with the player's
        shaded cells as `#` and dotted cells as `o` (the same as the clues-only grid before any move)."""
        rows = puzzle.data["grid"]
        n = len(rows)
        marks = {BLACK: "#", DOT: "o"}
        return "\n".join("".join(marks.get(grid[r * n + c], ch) if ch == "." else ch for c, ch in enumerate(row))
                         for r, row in enumerate(rows))

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        n = len(puzzle.data["grid"])
        grid = [WHITE] * (n * n)
        for r, c in puzzle.data["black"]:
            grid[r * n + c] = BLACK
        return tuple(grid)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return model(len(puzzle.data["grid"]), self.clues(puzzle))

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = len(puzzle.data["grid"])
        clues = self.clues(puzzle)
        listed = ", ".join(f"{k} at ({i // n},{i % n})" for i, k in sorted(clues.items()))
        return f"{n}x{n} Tapa with {len(clues)} clues ({listed}); clue cells stay white"

    def rules_summary(self, puzzle: Puzzle) -> str:
        return ("clue cells are white, the shaded cells connect, no 2x2 block is shaded, and every clue sees its "
                "number of shaded neighbours in one group")

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        """Click-and-type: space, return, s or 1 toggles shading; `.`, d or o toggles a dot; 0 or delete makes
        the cell plain white."""
        b = self.board(puzzle)
        r, c = cell
        if not (0 <= r < b.rows and 0 <= c < b.cols) or b.fixed[r * b.cols + c]:
            return None
        i = r * b.cols + c
        key = str(key).lower()
        if key in ("space", "return", "s", "1", "[1]"):
            return b.command(i, WHITE if state[i] == BLACK else BLACK)
        if key in ("d", "o", ".", "period"):
            return b.command(i, WHITE if state[i] == DOT else DOT)
        if key in ("0", "[0]", "backspace", "delete") and state[i] != WHITE:
            return b.command(i, WHITE)
        return None

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: shade some cells of the {n}×{n} grid. (1) A cell with a number (a clue) is never shaded. "
                "(2) All shaded cells form one group connected through shared edges. (3) No 2×2 square of cells is "
                "entirely shaded. (4) A clue k means that exactly k of the up to 8 cells around it (sideways and "
                "diagonally) are shaded, and those k cells form one group, where two of them belong together when "
                "they touch at an edge or at a corner.")

    def _format(self) -> str:
        return ("Answer format: the shaded cells as (row,column) pairs counted from 0 at the top left cell (row "
                "down, column right), separated by commas, e.g. (0,1), (1,1), (1,2), (2,2).")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        rows = puzzle.data["grid"]
        n = len(rows)
        if modality == "text":
            clues = self.clues(puzzle)
            listed = "\n".join(f"- cell ({i // n},{i % n}): clue {k}" for i, k in sorted(clues.items()))
            state = ("The grid, one line per row from the top (row 0) down; `.` is an empty cell and a digit is a "
                     "clue:\n\n" + "\n".join(rows) + f"\n\nThe clues by position:\n{listed}")
            return f"Solve this Tapa puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format()}"
        state = (f"The picture shows the {n}×{n} grid with its rows and columns numbered 0 to {n - 1} on the "
                 "margins; the lavender cells with a number are the clues, all other cells are empty.")
        return f"Solve the Tapa puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        rows = puzzle.data["grid"]
        n = len(rows)
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if ch != ".":
                    canvas.fill(r, c, CLUE_FILL)
        for i, v in enumerate(state or ()):
            if v == BLACK:
                canvas.fill(*divmod(i, n), draw.ENTERED)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.045)
        canvas.coordinates(base=0, scale=0.3)
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if ch != ".":
                    canvas.write(r, c, ch, CLUE_INK, scale=0.55)
        for i, v in enumerate(state or ()):
            if v == DOT:
                canvas.circle(*divmod(i, n), draw.ENTERED, radius=0.09, width=1)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = len(puzzle.data["grid"])
        return self.base_record(puzzle, index=f"tapa_{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                initial_state="\n".join(puzzle.data["grid"]))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        rows = _parse_rows(record.get("initial_state"))
        probe = self.puzzle(self.record_level(record), {"grid": rows, "black": []})
        grid = self._record_solution(probe, record.get("answer"))
        n = len(rows)
        black = [list(divmod(i, n)) for i, v in enumerate(grid) if v == BLACK]
        return self.puzzle(probe.level, {"grid": rows, "black": black}, seed=self.record_seed(record))

    def _record_solution(self, puzzle: Puzzle, answer: Any) -> tuple[int, ...]:
        """The record's answer when it is valid, else the solver's first solution; where the puzzle has none
        (official rows whose repaired shading broke the rules), the record's answer as it stands."""
        given: tuple[int, ...] | None = None
        if answer is not None:
            try:
                given = self.read_answer(puzzle, answer if isinstance(answer, str) else str(answer))
                if not self.violations(puzzle, given):
                    return given
            except AnswerError:
                given = None
        found = self.build_csp(puzzle).solve()
        if found is not None:
            return found
        if given is not None:
            return given
        raise RecordError("Tapa: the puzzle has no solution and the record's answer is unreadable")


def shaded_groups(grid: Sequence[int], n: int) -> list[list[int]]:
    """The orthogonally connected groups of shaded cells (for tests and feedback)."""
    return components([i for i, v in enumerate(grid) if v == BLACK], n, n)
