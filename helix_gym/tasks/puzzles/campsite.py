"""Campsite (MM-HELIX key `campsite`, the benchmark's variant of "Tents and Trees"): pitch tents next to trees
so that no two tents touch and the row and column counts hold.

Step grammar (1-based `row column`, as the official answer counts cells):
    tent R C     pitch a tent on the cell at row R, column C (`R C` alone also works)
    remove R C   take the tent (or the grass mark) off that cell
    grass R C    mark the cell as certainly tent-free (a note for yourself; it counts as empty)

Rules checked: a tent never stands on a tree (implied; the official judge forgets it); each tent is orthogonally
next to at least one tree; no two tents touch, not even diagonally; each row and column holds its clue's number
of tents. Unlike standard Tents there is no one-tent-per-tree pairing: two tents may share a tree and trees may be
left without a tent (there are usually more trees than tents), as the benchmark's prompt states only these rules.

Generation follows the official recipe (n = level + 3, the official tent and tree counts, trees spread out
once half are planted, one tent beside each of k random trees), then re-pitches the tents (and, after a few
tries, re-plants the trees) until the tents are the only solution (the official generator never checks: 13/30 of
its level-5 instances have several solutions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw, topology
from helix_gym.core.csp import Csp
from helix_gym.core.errors import RecordError
from helix_gym.core.grid import Board, GridTask, parse_cells
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.core.topology import neighbours

EMPTY, TENT, GRASS, TREE = 0, 1, 2, 3  # cell values of a position (GRASS is the player's note)
EMPTY_BIT, TENT_BIT, TREE_BIT = 1 << EMPTY, 1 << TENT, 1 << TREE  # the solver's domains
TENTS = {1: 3, 2: 3, 3: 4, 4: 4, 5: 5}  # official tent count k per level (n = level + 3)
PITCHES = 8  # tent draws per tree layout before the trees are re-planted
MARGIN = (0.55, 0.55, 1.0, 1.0)  # left/top: 1-based coordinates; right/bottom: the clue boxes
CLUE_BOX = (70, 130, 180)  # the official steel blue
TRUNK = (120, 80, 40)
LEAVES = (50, 140, 60)
GRASS_INK = (120, 190, 110)


def _beside_trees(n: int, trees: frozenset[int]) -> frozenset[int]:
    """The non-tree cells with a tree directly above, below, left or right: the only cells a tent may take."""
    nbr = neighbours(n, n)
    return frozenset(i for i in range(n * n) if i not in trees and any(j in trees for j in nbr[i]))


# ---- the solver's model -----------------------------------------------------------------------------------
def _model(n: int, trees: frozenset[int], row_clues: Sequence[int], col_clues: Sequence[int]) -> Csp:
    """The rules as a Csp over the cells: trees fixed, tents only beside trees, at most one tent per 2x2
    block (so no two touch), and the counts."""
    beside = _beside_trees(n, trees)
    csp = Csp([TREE_BIT if i in trees else TENT_BIT | EMPTY_BIT if i in beside else EMPTY_BIT
               for i in range(n * n)])
    for r in range(n - 1):
        for c in range(n - 1):
            block = (r * n + c, r * n + c + 1, (r + 1) * n + c, (r + 1) * n + c + 1)
            if sum(1 for i in block if i in beside) > 1:
                csp.at_most(block, TENT, 1, f"tents around ({r + 1},{c + 1})-({r + 2},{c + 2}) must not touch")
    for r, clue in enumerate(row_clues):
        csp.count([r * n + c for c in range(n)], TENT, clue, f"row {r + 1} holds {clue} tents")
    for c, clue in enumerate(col_clues):
        csp.count([r * n + c for r in range(n)], TENT, clue, f"column {c + 1} holds {clue} tents")
    return csp


# ---- generation ---------------------------------------------------------------------------------------------
def _plant(n: int, k: int, rng: np.random.Generator) -> frozenset[int]:
    """The official tree planting: a count in [max(k, 3), min(2k, n^2/2)], random free cells, and once half
    are planted a new tree may not touch an existing one; at most 2 n^2 attempts."""
    count = int(rng.integers(max(k, 3), min(2 * k, n * n // 2) + 1))
    around = topology.around(n, n)
    trees: set[int] = set()
    for _ in range(2 * n * n):
        if len(trees) >= count:
            break
        i = int(rng.integers(n * n))
        if i in trees or (2 * len(trees) >= count and any(j in trees for j in around[i])):
            continue
        trees.add(i)
    return frozenset(trees)


def _pitch(n: int, k: int, trees: frozenset[int], rng: np.random.Generator) -> list[int]:
    """The official tent walk: trees in random order, each gets a tent on a random free side cell that touches
    no tent yet, until k tents stand (fewer when the trees run out)."""
    nbr, around = neighbours(n, n), topology.around(n, n)
    tents: set[int] = set()
    for t in rng.permutation(sorted(trees)):
        if len(tents) >= k:
            break
        options = [j for j in nbr[int(t)] if j not in trees and j not in tents
                   and not any(a in tents for a in around[j])]
        if options:
            tents.add(options[int(rng.integers(len(options)))])
    return sorted(tents)


def _clues(tents: Sequence[int], n: int) -> tuple[list[int], list[int]]:
    rows, cols = [0] * n, [0] * n
    for i in tents:
        rows[i // n] += 1
        cols[i % n] += 1
    return rows, cols


# ---- answers ------------------------------------------------------------------------------------------------
def tents_text(cells: Sequence[tuple[int, int]]) -> str:
    """1-based cells in the official notation, row-major: `[[1, 2], [3, 4]]`."""
    return "[" + ", ".join(f"[{r}, {c}]" for r, c in sorted(cells)) + "]"


@register_task
class Campsite(GridTask):
    """Campsite (Tents and Trees without pairing): place tents so that (1) no tent stands on a tree, (2) every tent
    is orthogonally next to at least one tree (tents may share a tree; trees may stay without a tent), (3) no two
    tents touch, not even diagonally, (4) each row and column holds its clue's number of tents.

    Step grammar (1-based `row column`, as the official answer counts cells):
        tent R C     pitch a tent on the cell at row R, column C (`R C` alone also works)
        remove R C   take the tent (or the grass mark) off that cell
        grass R C    mark the cell as certainly tent-free (a note; it counts as empty)
    """

    name = "Campsite"
    key = "campsite"
    category = "puzzles"
    score_function = "campsite_evaluator"
    step_help = (
        "tent R C: pitch a tent on the cell at row R, column C (1-based from the top left; `R C` alone also works; "
        "shown as C in the text grid)\n"
        "remove R C: take the tent or the grass mark off that cell\n"
        "grass R C: mark the cell as certainly tent-free (a note, shown as G; it counts as empty)"
    )
    answer_help = "the tents as a list of 1-based [row, column] pairs, row by row: [[1, 2], [3, 1], [4, 4]]"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 3
        k = TENTS[level]
        while True:
            trees = _plant(n, k, rng)
            for _ in range(PITCHES):
                tents = _pitch(n, k, trees, rng)
                if len(tents) < k:
                    break  # the trees cannot hold k tents: plant again
                row_clues, col_clues = _clues(tents, n)
                if _model(n, trees, row_clues, col_clues).count_solutions(2) == 1:
                    grid = ["".join("T" if r * n + c in trees else "X" for c in range(n)) for r in range(n)]
                    data = {"grid": grid, "row_clues": row_clues, "col_clues": col_clues,
                            "tents": [[i // n + 1, i % n + 1] for i in tents]}
                    return self.puzzle(level, data)

    # ---- hooks of GridTask -----------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        grid = puzzle.data["grid"]
        n = len(grid)
        start = [TREE if ch == "T" else EMPTY for row in grid for ch in row]
        return Board(n, n, start, verbs={"tent": TENT, "remove": EMPTY, "grass": GRASS},
                     values=(EMPTY, TENT, GRASS), base=1, empty=None, fixed=[v == TREE for v in start],
                     default_verb="tent", margin=MARGIN,
                     fixed_reason="holds a tree; tents go beside trees, never on them",
                     aliases={"place": "tent", "pitch": "tent", "put": "tent", "add": "tent", "camp": "tent",
                              "t": "tent", "c": "tent", "unmark": "remove", "untent": "remove", "mark": "grass",
                              "g": "grass", "no": "grass"},
                     value_names={EMPTY: "empty", TENT: "a tent", GRASS: "marked as grass", TREE: "a tree"},
                     keys={**dict.fromkeys(("space", "return", "t", "c", "1"), TENT),
                           **dict.fromkeys(("g", ".", "period"), GRASS)})

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """Every rule the tents break. A position (complete=False) breaks a clue only by exceeding it."""
        b = self.board(puzzle)
        n = b.rows
        beside = self._beside(puzzle)
        tents = [i for i, v in enumerate(grid) if v == TENT]
        out = [f"the tent at {b.name(i)} stands on a tree" for i in tents if b.fixed[i]]
        out += [f"the tent at {b.name(i)} has no tree directly above, below, left or right of it"
                for i in tents if not b.fixed[i] and i not in beside]
        around = topology.around(n, n)
        pitched = set(tents)
        out += [f"the tents at {b.name(i)} and {b.name(j)} touch" for i in tents for j in around[i]
                if j > i and j in pitched]
        for what, clues, index in (("row", puzzle.data["row_clues"], lambda i: i // n),
                                   ("column", puzzle.data["col_clues"], lambda i: i % n)):
            counts = [0] * n
            for i in tents:
                counts[index(i)] += 1
            for k, (got, clue) in enumerate(zip(counts, clues)):
                if got > clue or (complete and got != clue):
                    out.append(f"{what} {k + 1} has {got} tent{'s' if got != 1 else ''}, but its clue is {clue}")
        return out

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        b = self.board(puzzle)
        grid = list(b.start)
        for i in parse_cells(text, b.rows, b.cols, 1, repeats=False, what="tents", item="tent",
                             example="[[row, column], ...]"):
            grid[i] = TENT
        return tuple(grid)

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        n = self.board(puzzle).cols
        return tents_text([(i // n + 1, i % n + 1) for i, v in enumerate(grid) if v == TENT])

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int | None]) -> str:
        """The official initial_state object (without the reference solution), the grid one row per line:
        X empty, T tree, and the player's entries C (tent) and G (grass mark)."""
        n = self.board(puzzle).cols
        spell = {TENT: "C", GRASS: "G", TREE: "T"}
        rows = [json.dumps([spell.get(v, "X") for v in grid[r * n:(r + 1) * n]]) for r in range(n)]
        d = puzzle.data
        body = ",\n  ".join(rows)
        return (f'{{"input_grid": [{body}],\n "row_constraints": {json.dumps(d["row_clues"])}, '
                f'"col_constraints": {json.dumps(d["col_clues"])}}}')

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        b = self.board(puzzle)
        grid = list(b.start)
        for r, c in puzzle.data["tents"]:
            grid[(r - 1) * b.cols + c - 1] = TENT
        return tuple(grid)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        d = puzzle.data
        return _model(len(d["grid"]), self._trees(puzzle), d["row_clues"], d["col_clues"])

    def trace_intro(self, puzzle: Puzzle) -> str:
        n = len(puzzle.data["grid"])
        return (f"a {n}x{n} Campsite with {len(self._trees(puzzle))} trees and {sum(puzzle.data['row_clues'])} "
                f"tents to pitch; only the {len(self._beside(puzzle))} cells beside a tree can hold a tent")

    def rules_summary(self, puzzle: Puzzle) -> str:
        return ("every tent is beside a tree, no two tents touch, and every row and column has its clue's number "
                "of tents")

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        n = len(puzzle.data["grid"])
        k = sum(puzzle.data["row_clues"])
        cells = rng.choice(n * n, size=k, replace=False)
        return tents_text([(int(i) // n + 1, int(i) % n + 1) for i in cells])

    def _trees(self, puzzle: Puzzle) -> frozenset[int]:
        b = self.board(puzzle)
        return frozenset(i for i, f in enumerate(b.fixed) if f)

    def _beside(self, puzzle: Puzzle) -> frozenset[int]:
        return _beside_trees(len(puzzle.data["grid"]), self._trees(puzzle))

    # ---- step mode -------------------------------------------------------------------------------------
    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * max(1, sum(puzzle.data["row_clues"])) + 20

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self) -> str:
        return ("Rules: some cells hold trees. Pitch tents on empty cells so that (1) every tent stands directly "
                "above, below, left or right of at least one tree (never on a tree); (2) no two tents touch, not "
                "even diagonally; (3) the number of tents in each row and each column equals its clue.")

    def _format(self) -> str:
        return ("Answer format: the list of all tents as [row, column] pairs counted from 1 (the top left cell is "
                "[1, 1]), listed row by row, e.g. [[1, 2], [3, 1], [4, 4]].")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = len(puzzle.data["grid"])
        if modality == "text":
            state = ("The grid, one row per line from the top (X = empty cell, T = tree), with the tent counts of "
                     "the rows (top to bottom) and of the columns (left to right):\n\n"
                     + self.grid_text(puzzle, self.board(puzzle).start))
            return f"Solve this Campsite puzzle.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"
        state = (f"The picture shows the {n}×{n} grid with its trees. The number in the box right of each row and "
                 "below each column is that line's tent count. Rows are numbered 1 to "
                 f"{n} on the left and columns 1 to {n} on top.")
        return f"Solve the Campsite puzzle in the picture.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        n = len(d["grid"])
        b = self.board(puzzle)
        grid = b.start if state is None else state
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.WHITE)
        for r in range(n):
            for c in range(n):
                if (r + c) % 2:
                    canvas.fill(r, c, (242, 244, 238))
        canvas.grid_lines((170, 170, 170), 0.02)
        canvas.frame((60, 60, 60), 0.04)
        for i, v in enumerate(grid):
            r, c = divmod(i, n)
            if v == TREE:
                _draw_tree(canvas, r, c)
            elif v == TENT:
                _draw_tent(canvas, r, c)
            elif v == GRASS:
                _draw_grass(canvas, r, c)
        for r, clue in enumerate(d["row_clues"]):
            _clue_box(canvas, r, n - 0.5 + 0.55, str(clue))
        for c, clue in enumerate(d["col_clues"]):
            _clue_box(canvas, n - 0.5 + 0.55, c, str(clue))
        for k in range(n):
            canvas.label("left", k, str(k + 1), draw.GRID_LINE, scale=0.3, offset=0.3)
            canvas.label("top", k, str(k + 1), draw.GRID_LINE, scale=0.3, offset=0.3)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        n = len(d["grid"])
        solved = [["C" if v == TENT else "T" if v == TREE else "X" for v in self.solution(puzzle)[r * n:(r + 1) * n]]
                  for r in range(n)]
        state = {"input_grid": [list(row) for row in d["grid"]], "row_constraints": d["row_clues"],
                 "col_constraints": d["col_clues"], "reference_solution": solved}
        return self.base_record(puzzle, index=f"campsite_{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                initial_state=json.dumps(state))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            grid = ["".join("T" if str(ch).upper() == "T" else "X" for ch in row) for row in state["input_grid"]]
            row_clues = [int(v) for v in state["row_constraints"]]
            col_clues = [int(v) for v in state["col_constraints"]]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Campsite: unreadable initial_state ({exc})") from exc
        n = len(grid)
        if not 2 <= n <= 16 or any(len(row) != n for row in grid) or len(row_clues) != n or len(col_clues) != n:
            raise RecordError("Campsite: the grid and the clues do not fit one square grid")
        data = {"grid": grid, "row_clues": row_clues, "col_clues": col_clues}
        probe = self.puzzle(self.record_level(record), {**data, "tents": []})
        reference = state.get("reference_solution")
        drawn = (tents_text([(r + 1, c + 1) for r, row in enumerate(reference) for c, ch in enumerate(row)
                             if str(ch).upper() == "C"]) if isinstance(reference, list) else None)
        found = self.record_solution(probe, record.get("answer"), drawn)
        tents = [[i // n + 1, i % n + 1] for i, v in enumerate(found) if v == TENT]
        return self.puzzle(probe.level, {**data, "tents": tents}, seed=self.record_seed(record))


# ---- pictures -----------------------------------------------------------------------------------------------
def _draw_tree(canvas: draw.GridCanvas, r: int, c: int) -> None:
    """A brown trunk under three stacked green triangles."""
    x0, y0, _, _ = canvas.cell_box(r, c)
    s = canvas.cell

    def pt(fx: float, fy: float) -> tuple[int, int]:
        return round(x0 + fx * s), round(y0 + fy * s)

    canvas.draw.rectangle((*pt(0.44, 0.68), *pt(0.56, 0.88)), fill=TRUNK)
    for top, bottom, half in ((0.10, 0.42, 0.22), (0.24, 0.58, 0.28), (0.38, 0.74, 0.34)):
        canvas.draw.polygon([pt(0.5, top), pt(0.5 - half, bottom), pt(0.5 + half, bottom)], fill=LEAVES)


def _draw_tent(canvas: draw.GridCanvas, r: int, c: int) -> None:
    """A triangular tent with a door, in the colour of the player's entries."""
    x0, y0, _, _ = canvas.cell_box(r, c)
    s = canvas.cell

    def pt(fx: float, fy: float) -> tuple[int, int]:
        return round(x0 + fx * s), round(y0 + fy * s)

    canvas.draw.polygon([pt(0.5, 0.16), pt(0.14, 0.82), pt(0.86, 0.82)], fill=draw.ENTERED)
    canvas.draw.polygon([pt(0.5, 0.40), pt(0.38, 0.82), pt(0.62, 0.82)], fill=draw.WHITE)


def _draw_grass(canvas: draw.GridCanvas, r: int, c: int) -> None:
    """Three short green blades: the player's 'no tent here' note."""
    x0, y0, _, _ = canvas.cell_box(r, c)
    s = canvas.cell
    w = max(2, s // 18)
    for fx in (0.36, 0.5, 0.64):
        canvas.draw.line((round(x0 + fx * s), round(y0 + 0.66 * s), round(x0 + (fx + (fx - 0.5) * 0.5) * s),
                          round(y0 + 0.40 * s)), fill=GRASS_INK, width=w)


def _clue_box(canvas: draw.GridCanvas, r: float, c: float, text: str) -> None:
    """A clue as white digits on a steel-blue square centred at board position (r, c)."""
    x, y = canvas.center(r, c)
    half = canvas.cell * 0.36
    canvas.draw.rounded_rectangle((round(x - half), round(y - half), round(x + half), round(y + half)),
                                  radius=max(2, round(half / 4)), fill=CLUE_BOX)
    size = draw.fit_font_size(text, half * 1.5, half * 1.5, int(canvas.cell * 0.45))
    draw.draw_text(canvas.draw, (x, y), text, size, draw.WHITE)
