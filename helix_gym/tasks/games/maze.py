"""Maze (MM-HELIX `maze`): walk from S to E through a perfect maze without crossing a wall.

The official text notation is a (2n+1)x(2n+1) character grid: cell (r, c) sits at text position (2r+1, 2c+1)
and holds `0`, `S` or `E`; `+` marks every corner, `|` a wall between horizontal neighbours, `-` a wall
between vertical neighbours, a space an opening. The public judge never tests walls (spec 4.6); we do.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core.draw import GRID_LINE, WHITE, GridCanvas, draw_text, fit_font_size
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import DIRECTION_WORDS, normalize_command, parse_moves
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

DIRS = ("up", "down", "left", "right")
_DELTA = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
_BIT = {"up": 1, "down": 2, "left": 4, "right": 8}
_BACK = {"up": "down", "down": "up", "left": "right", "right": "left"}

CELL_TINT = (230, 243, 255)  # the official light blue
TRAIL = (255, 240, 170)
START_GREEN, START_EDGE = (80, 200, 120), (30, 110, 60)
END_RED = (255, 87, 51)
POSITION = (40, 110, 220)
MARGIN = (0.7, 0.3, 0.3, 0.7)  # left (row numbers), top, right, bottom (column numbers), in cells


# ---- maze construction and analysis ------------------------------------------------------------------
def _carve(rng: np.random.Generator, rows: int, cols: int) -> list[int]:
    """Open-direction masks of a perfect maze: iterative randomized DFS (recursive backtracker)."""
    masks = [0] * (rows * cols)
    draws = rng.random(rows * cols).tolist()  # one draw per carved passage, drawn up front for speed
    k = 0
    start = int(rng.integers(rows * cols))
    seen = [False] * (rows * cols)
    seen[start] = True
    stack = [start]
    while stack:
        cell = stack[-1]
        r, c = divmod(cell, cols)
        options = []
        for d in DIRS:
            dr, dc = _DELTA[d]
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols and not seen[rr * cols + cc]:
                options.append((d, rr * cols + cc))
        if not options:
            stack.pop()
            continue
        d, nxt = options[int(draws[k] * len(options))]
        k += 1
        masks[cell] |= _BIT[d]
        masks[nxt] |= _BIT[_BACK[d]]
        seen[nxt] = True
        stack.append(nxt)
    return masks


def _bfs(masks: list[int], cols: int, source: int) -> tuple[list[int], list[int]]:
    """Distances from `source` (-1 = unreachable) and the cells in BFS order (up, down, left, right)."""
    dist = [-1] * len(masks)
    dist[source] = 0
    order = [source]
    queue = deque(order)
    steps = {"up": -cols, "down": cols, "left": -1, "right": 1}
    while queue:
        cell = queue.popleft()
        for d in DIRS:
            if masks[cell] & _BIT[d]:
                nxt = cell + steps[d]
                if dist[nxt] < 0:
                    dist[nxt] = dist[cell] + 1
                    order.append(nxt)
                    queue.append(nxt)
    return dist, order


def _grid_lines(masks: list[int], rows: int, cols: int, start: int, end: int) -> list[str]:
    """The official (2*rows+1)x(2*cols+1) text grid of a maze."""
    lines = []
    for r in range(rows):
        top = ["+"]
        mid = ["|"]
        for c in range(cols):
            cell = r * cols + c
            top.append(" " if masks[cell] & 1 else "-")
            top.append("+")
            mid.append("S" if cell == start else "E" if cell == end else "0")
            mid.append(" " if masks[cell] & 8 else "|")
        lines.append("".join(top))
        lines.append("".join(mid))
    lines.append("+" + "-+" * cols)
    return lines


def _parse_grid(text: Any) -> tuple[list[str], int, int, list[int], int, int]:
    """Lines, rows, cols, masks, start and end cell of an official text grid; RecordError if malformed."""
    if isinstance(text, list):
        text = "\n".join(str(line) for line in text)
    if not isinstance(text, str):
        raise RecordError(f"Maze: initial_state must be a text grid, got {type(text).__name__}")
    lines = [line.rstrip("\r") for line in text.replace("\\n", "\n").strip("\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    height, width = len(lines), max((len(line) for line in lines), default=0)
    if height < 3 or height % 2 == 0 or width < 3 or width % 2 == 0:
        raise RecordError(f"Maze: the grid must have an odd number (>= 3) of rows and columns, got {height}x{width}")
    lines = [line.ljust(width) for line in lines]
    rows, cols = height // 2, width // 2
    masks, start, end = [0] * (rows * cols), [], []
    for r in range(rows):
        for c in range(cols):
            y, x = 2 * r + 1, 2 * c + 1
            ch = lines[y][x]
            if ch not in "0SE":
                raise RecordError(f"Maze: unexpected character {ch!r} at cell ({r},{c})")
            if ch == "S":
                start.append(r * cols + c)
            elif ch == "E":
                end.append(r * cols + c)
            mask = 0
            if r > 0 and lines[y - 1][x] == " ":
                mask |= 1
            if r < rows - 1 and lines[y + 1][x] == " ":
                mask |= 2
            if c > 0 and lines[y][x - 1] == " ":
                mask |= 4
            if c < cols - 1 and lines[y][x + 1] == " ":
                mask |= 8
            masks[r * cols + c] = mask
    if len(start) != 1 or len(end) != 1:
        raise RecordError(f"Maze: the grid must hold exactly one S and one E, found {len(start)} and {len(end)}")
    return lines, rows, cols, masks, start[0], end[0]


def _maze_data(lines: list[str], rows: int, cols: int, masks: list[int], start: int, end: int) -> dict[str, Any]:
    """The puzzle data: the official grid plus derived facts (masks, distances to E) for fast play."""
    dist, _ = _bfs(masks, cols, end)
    return {
        "rows": rows,
        "cols": cols,
        "grid": list(lines),
        "start": list(divmod(start, cols)),
        "end": list(divmod(end, cols)),
        "open": list(masks),
        "dist": dist,
    }


@register_task
class Maze(Task):
    name = "Maze"
    key = "maze"
    category = "games"
    score_function = "maze_evaluator"
    levels = tuple(range(1, 11))
    step_help = (
        "up | down | left | right (or u/d/l/r): move one cell that way; a wall or the outer frame blocks the move"
    )
    answer_help = "the moves from S to E as lowercase words separated by single spaces, e.g. right down left up"
    key_commands: ClassVar[dict[str, str]] = {"up": "up", "down": "down", "left": "left", "right": "right"}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        """n = 2*level+1 cells per side (3, 5, 7, 9, 11 for levels 1-5); E is as far from S as possible."""
        level = self.check_level(level)
        n = 2 * level + 1
        masks = _carve(rng, n, n)
        start = int(rng.integers(n * n))
        dist, order = _bfs(masks, n, start)
        far = max(dist)
        end = next(cell for cell in order if dist[cell] == far)
        return self.puzzle(level, _maze_data(_grid_lines(masks, n, n, start, end), n, n, masks, start, end))

    # ---- helpers over the data -------------------------------------------------------------------------
    @staticmethod
    def _step(data: dict[str, Any], r: int, c: int, d: str) -> tuple[int, int] | None:
        """The cell reached by going `d` from (r, c), or None when a wall is in the way."""
        if not data["open"][r * data["cols"] + c] & _BIT[d]:
            return None
        dr, dc = _DELTA[d]
        return r + dr, c + dc

    @staticmethod
    def _open_dirs(data: dict[str, Any], r: int, c: int) -> list[str]:
        mask = data["open"][r * data["cols"] + c]
        return [d for d in DIRS if mask & _BIT[d]]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        """The shortest path: from S, always step to the neighbour one closer to E."""
        data = puzzle.data
        cols, dist = data["cols"], data["dist"]
        r, c = data["start"]
        path = []
        while dist[r * cols + c] > 0:
            for d in self._open_dirs(data, r, c):
                rr, cc = r + _DELTA[d][0], c + _DELTA[d][1]
                if dist[rr * cols + cc] == dist[r * cols + c] - 1:
                    path.append(d)
                    r, c = rr, cc
                    break
        return path

    def solve(self, puzzle: Puzzle) -> str:
        return " ".join(self.solve_moves(puzzle))

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        """A depth-first walk from S, trying openings nearest to E first, with its dead ends and backtracks."""
        data = puzzle.data
        er, ec = data["end"]
        start = tuple(data["start"])
        events = [TraceEvent(
            "read",
            note=f"{data['rows']}x{data['cols']} maze; start S at {_cell(start)}, end E at ({er},{ec}); "
                 f"openings at S: {', '.join(self._open_dirs(data, *start)) or 'none'}",
            state_text=self.state_text(puzzle, (*start, ())),
        )]
        path: list[str] = []
        cells = [start]
        visited = {start}
        untried = [self._ordered_dirs(data, start)]
        while cells[-1] != (er, ec):
            here = cells[-1]
            options = untried[-1]
            nxt = None
            while options:
                d = options.pop(0)
                cand = self._step(data, *here, d)
                if cand is not None and cand not in visited:
                    nxt = (d, cand)
                    break
            if nxt is None:
                events.append(TraceEvent("dead_end", note=f"dead end at {_cell(here)}: no unvisited opening"))
                undone = 0
                while len(cells) > 1 and not untried[-1]:
                    cells.pop()
                    untried.pop()
                    path.pop()
                    undone += 1
                if not untried[-1] and len(cells) == 1:
                    break  # everything reachable explored (cannot happen when E is reachable)
                events.append(TraceEvent(
                    "backtrack",
                    note=f"back to {_cell(cells[-1])} ({undone} move{'s' if undone != 1 else ''} undone), "
                         f"which still has an untried opening",
                    state_text=self.state_text(puzzle, (*cells[-1], tuple(path))),
                ))
                continue
            d, cell = nxt
            path.append(d)
            cells.append(cell)
            visited.add(cell)
            untried.append(self._ordered_dirs(data, cell, came=d))
            events.append(TraceEvent("try", move=d, note=f"from {_cell(here)} go {d} to {_cell(cell)}",
                                     state_text=self.state_text(puzzle, (*cell, tuple(path)))))
        answer = " ".join(path)
        verdict = self.verify(puzzle, answer)
        events.append(TraceEvent(
            "check",
            note=f"reached E at ({er},{ec}) after {len(path)} moves; every move passes through an opening"
            if verdict.correct else "; ".join(verdict.violations),
        ))
        events.append(TraceEvent("answer", move=answer, note="the moves from S to E"))
        return events

    def _ordered_dirs(self, data: dict[str, Any], cell: tuple[int, int], came: str | None = None) -> list[str]:
        """Openings of `cell` except the way back, those that head toward E first (a human's habit)."""
        er, ec = data["end"]
        dirs = [d for d in self._open_dirs(data, *cell) if came is None or d != _BACK[came]]
        return sorted(dirs, key=lambda d: abs(cell[0] + _DELTA[d][0] - er) + abs(cell[1] + _DELTA[d][1] - ec))

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        """Any walk that never crosses a wall and stops on E is correct; revisits and detours are fine."""
        try:
            moves = parse_moves(answer, DIRECTION_WORDS)
        except ValueError as exc:
            return Verdict.wrong(str(exc))
        except Exception:  # the verifier must never raise on model text
            return Verdict.wrong("the answer could not be read as a list of moves")
        if not moves:
            return Verdict.wrong("no moves found: give directions such as `right down left up`", parsed=[])
        data = puzzle.data
        r, c = data["start"]
        for i, d in enumerate(moves, 1):
            nxt = self._step(data, r, c, d)
            if nxt is None:
                return Verdict.wrong(f"move {i} ({d}) from ({r},{c}) hits a wall", parsed=moves)
            r, c = nxt
        er, ec = data["end"]
        if (r, c) != (er, ec):
            return Verdict.wrong(f"the walk ends at ({r},{c}), not at the end E ({er},{ec})", parsed=moves)
        return Verdict.ok(parsed=moves)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        length = max(1, puzzle.data["dist"][_index(puzzle.data, puzzle.data["start"])])
        return " ".join(DIRS[int(i)] for i in rng.integers(4, size=length))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        data = puzzle.data
        rows, cols = data["rows"], data["cols"]
        rules = (
            f"Find a way through a maze of {rows} × {cols} square cells.\n"
            "Rules:\n"
            "- Walls lie on the edges between cells, and the whole maze is closed by an outer wall.\n"
            "- Each move takes you to the neighbouring cell up, down, left or right, and only if no wall "
            "separates the two cells.\n"
            "- up means one row towards the top, down one row towards the bottom, left one column to the "
            "left, right one column to the right.\n"
            "- Start on the start cell and finish on the end cell. Your walk may revisit cells; only the "
            "cell you stand on after your last move counts.\n"
        )
        if modality == "image":
            state = (
                "The picture shows the maze: each cell is a pale blue square, and thick black lines are walls "
                "(thin grey lines are only the cell grid, not walls). The green circle marks the start cell and "
                "the red cross marks the end cell. Row numbers (0 at the top) run down the left side and column "
                "numbers (0 at the left) along the bottom.\n"
            )
        else:
            state = (
                "The maze is written as a character grid. Cell (row r, column c), counted from 0 at the top "
                "left, is character 2c+1 of line 2r+1 (lines and characters also counted from 0). "
                "Cells show 0, S (the start) or E (the end). "
                "A | between two cells is a wall between left and right neighbours, a - between them is a "
                "wall between upper and lower neighbours, a blank is an opening, and + marks the corners.\n"
                "Maze:\n" + "\n".join(data["grid"]) + "\n"
            )
        fmt = (
            "Answer with the sequence of moves from the start to the end as lowercase words separated by "
            "single spaces, for example: right down left up"
        )
        return rules + state + fmt

    def render(self, puzzle: Puzzle, state: Any = None, size: int = 512) -> Image.Image:
        """Pale cells, thick walls, a green start circle, a red end cross, row/column numbers; in step mode
        the cells already walked are tinted and the current position is a blue dot."""
        data = puzzle.data
        rows, cols = data["rows"], data["cols"]
        canvas = GridCanvas(rows, cols, size, margin=MARGIN, background=WHITE, board=CELL_TINT)
        if state is not None:
            for r, c in _trail(data, state):
                canvas.fill(r, c, TRAIL)
        canvas.grid_lines(color=(200, 210, 225), width=0.015)
        wall = 0.1 if rows <= 11 else 0.12
        for r in range(rows):
            for c in range(cols):
                mask = data["open"][r * cols + c]
                if c < cols - 1 and not mask & 8:
                    canvas.wall(r, c, "right", width=wall)
                if r < rows - 1 and not mask & 2:
                    canvas.wall(r, c, "bottom", width=wall)
        canvas.frame(width=wall)
        canvas.circle(*data["start"], START_GREEN, radius=0.3, outline=START_EDGE, width=max(2, canvas.cell // 20))
        canvas.cross(*data["end"], END_RED, radius=0.28, width=max(3, canvas.cell // 8))
        if state is not None:
            canvas.circle(state[0], state[1], POSITION, radius=0.25, outline=WHITE, width=max(1, canvas.cell // 25))
        _axis_numbers(canvas)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, int, tuple[str, ...]]:
        r, c = puzzle.data["start"]
        return (r, c, ())

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, int, tuple[str, ...]]:
        word = DIRECTION_WORDS.get(normalize_command(move))
        if word is None:
            raise InvalidMove(f"unknown command {str(move)[:40]!r}; use up, down, left or right")
        r, c, done = state
        nxt = self._step(puzzle.data, r, c, word)
        if nxt is None:
            raise InvalidMove("wall")
        return (nxt[0], nxt[1], (*done, word))

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        """The official grid with the player's cell marked P, then where P is and which ways are open."""
        data = puzzle.data
        r, c, done = state
        lines = list(data["grid"])
        y, x = 2 * r + 1, 2 * c + 1
        lines[y] = lines[y][:x] + "P" + lines[y][x + 1:]
        sr, sc = data["start"]
        er, ec = data["end"]
        dirs = self._open_dirs(data, r, c)
        dead = " (dead end)" if len(dirs) == 1 and done and dirs[0] == _BACK[done[-1]] else ""
        return "\n".join([
            *lines,
            f"P (you) at ({r},{c}); start S at ({sr},{sc}); end E at ({er},{ec})",
            f"Open directions: {', '.join(dirs) or 'none'}{dead}",
            f"Moves so far: {len(done)}",
        ])

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return [state[0], state[1]] == puzzle.data["end"]

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str]:
        return self._open_dirs(puzzle.data, state[0], state[1])

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return list(DIRS)

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        return " ".join(state[2])

    def potential(self, puzzle: Puzzle, state: tuple) -> float:
        """-(distance to E) / (distance from S to E): -1 at the start, 0 at the end."""
        data = puzzle.data
        best = data["dist"][_index(data, data["start"])]
        return -data["dist"][state[0] * data["cols"] + state[1]] / max(1, best)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * puzzle.data["dist"][_index(puzzle.data, puzzle.data["start"])] + 10

    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        rows, cols = puzzle.data["rows"], puzzle.data["cols"]
        ml, mt, mr, mb = MARGIN
        cell = max(8, int(size / max(cols + ml + mr, rows + mt + mb)))
        c, r = int((x - round(ml * cell)) // cell), int((y - round(mt * cell)) // cell)
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        moves = self.solve_moves(puzzle)
        return self.base_record(puzzle, index=f"maze_{puzzle.data['rows']}_{puzzle.fingerprint}",
                                answer=" ".join(moves), initial_state="\n".join(puzzle.data["grid"]),
                                step_count=len(moves))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        if "initial_state" not in record:
            raise RecordError("Maze: the record has no initial_state grid")
        lines, rows, cols, masks, start, end = _parse_grid(record["initial_state"])
        data = _maze_data(lines, rows, cols, masks, start, end)
        if data["dist"][start] < 0:
            raise RecordError("Maze: the end E cannot be reached from the start S")
        return self.puzzle(self.record_level(record), data, seed=self.record_seed(record))


# ---- module helpers ------------------------------------------------------------------------------------
def _cell(cell: tuple[int, int]) -> str:
    return f"({cell[0]},{cell[1]})"


def _index(data: dict[str, Any], cell: list[int]) -> int:
    return cell[0] * data["cols"] + cell[1]


def _trail(data: dict[str, Any], state: tuple) -> set[tuple[int, int]]:
    """The cells walked so far (start included), replayed from the move log in the state."""
    r, c = data["start"]
    cells = {(r, c)}
    for d in state[2]:
        r, c = r + _DELTA[d][0], c + _DELTA[d][1]
        cells.add((r, c))
    return cells


def _axis_numbers(canvas: GridCanvas) -> None:
    """Row numbers left of the board and column numbers below it, as on the official image's axes."""
    cell = canvas.cell
    x0, y0, _, y1 = canvas.board_box()
    fs = fit_font_size(str(max(canvas.rows, canvas.cols) - 1), cell * 0.55, cell * 0.5, int(cell * 0.4))
    for r in range(canvas.rows):
        draw_text(canvas.draw, (x0 - cell * 0.35, y0 + (r + 0.5) * cell), str(r), fs, GRID_LINE)
    for c in range(canvas.cols):
        draw_text(canvas.draw, (x0 + (c + 0.5) * cell, y1 + cell * 0.35), str(c), fs, GRID_LINE)
