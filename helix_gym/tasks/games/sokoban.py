"""Sokoban (MM-HELIX `sokoban`): walk the player around and push every box onto a goal.

The official text notation (spec 2.5) is one character per cell, rows of equal length: `#` wall, space floor,
`.` goal, `@` player, `+` player on a goal, `$` box, `*` box on a goal; the border is all wall. The answer is
the player's moves as lowercase words separated by spaces (`left left up`), and any legal sequence that ends
with every box on a goal is correct.

Generation follows the spec's fast plan (2.9): a layout in one of the level's styles, goals, then boxes placed
by *reverse play* (the boxes start on the goals and are pulled away at random), so every instance is solvable
by construction. The reference answer comes from an A* search over pushes that counts player moves, with an
admissible, consistent estimate (the cheapest matching of boxes to goals by push distance) and only sound
pruning: dead squares (no goal can be reached from them by pushes) and 2x2 blocks of walls and boxes that
freeze a box off its goal. So a generated answer has the fewest possible moves (a record keeps its own
answer when that is valid).

Step grammar (one command per step; the env adds undo, restart, submit, answer):
    up | down | left | right (or u / d / l / r): walk one cell that way; walking into a box pushes it one cell
    further, unless a wall or another box is behind it (then nothing moves and the reason is given).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import permutations
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core.draw import GRID_LINE, PAPER, GridCanvas
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import DIRECTION_WORDS, normalize_command, parse_moves
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.wording import counted

DIRS = ("up", "down", "left", "right")
_INDEX = {d: k for k, d in enumerate(DIRS)}
INF = 10**6


@dataclass(frozen=True)
class _Ladder:
    """One level of the spec's table (2.3). `window` and `pulls` are ours: the window's lower end is about the
    shortest official reference answer seen at that level, its upper end the spec's maximum solution length."""

    size: tuple[int, int]  # width and height, each drawn from this range, border included
    boxes: int
    layouts: tuple[str, ...]
    rooms: tuple[int, int]
    density: float  # target share of interior cells that are walls
    cluster: float  # probability that the goals are clustered
    window: tuple[int, int]  # accepted reference length in moves (the upper end is the spec's maximum)
    pulls: tuple[int, int]  # random pulls of the reverse play


LADDER = {
    1: _Ladder((5, 7), 1, ("open", "simple_rooms"), (1, 2), 0.10, 0.8, (3, 15), (2, 7)),
    2: _Ladder((7, 9), 1, ("open", "simple_rooms", "corridors"), (1, 3), 0.15, 0.7, (4, 25), (3, 10)),
    3: _Ladder((7, 9), 2, ("simple_rooms", "corridors", "mixed"), (2, 4), 0.20, 0.6, (10, 40), (6, 16)),
    4: _Ladder((11, 13), 2, ("corridors", "mixed", "maze_like"), (3, 6), 0.25, 0.4, (18, 50), (10, 28)),
    5: _Ladder((11, 13), 3, ("mixed", "maze_like", "complex"), (3, 6), 0.30, 0.3, (20, 60), (10, 28)),
}
GEN_CAP = 500  # A* expansions while generating; a harder instance is replaced by a new one
SOLVE_CAP = 200_000  # A* expansions for records and traces
GEN_TRIES = 400
TRACE_SHOWN = 60  # search events written out in a trace; the rest are summarised

# colours (after the official picture, spec 2.7)
FLOOR, FLOOR_EDGE = (184, 164, 142), (150, 130, 108)
MORTAR, BRICK, BRICK_EDGE = (90, 60, 45), (124, 82, 60), (100, 70, 50)
GOLD, GOLD_LIGHT, GOLD_EDGE = (255, 212, 0), (255, 236, 110), (200, 150, 0)
BOX_BLUE, BOX_GRAIN, BOX_LIGHT, BOX_EDGE = (50, 100, 180), (32, 72, 140), (110, 160, 225), (95, 60, 30)
BOX_GREEN, GREEN_GRAIN, GREEN_LIGHT, GREEN_GLOW = (60, 150, 60), (38, 108, 38), (125, 205, 125), (120, 255, 120)
BRACKET = (175, 175, 175)
PLAYER, PLAYER_EDGE = (255, 100, 100), (170, 40, 40)
STUCK = (230, 20, 20)
GRID, FRAME = (110, 90, 70), (60, 40, 28)
MARGIN = (0.6, 0.6, 0.15, 0.15)  # left and top: room for the row and column numbers


# ---- the level ---------------------------------------------------------------------------------------------
class _Board:
    """The fixed part of a level (walls, goals) and its start position, as cell indices r * cols + c."""

    def __init__(self, grid: tuple[str, ...]) -> None:
        self.grid = grid
        self.rows, self.cols = len(grid), len(grid[0])
        self.n = self.rows * self.cols
        self.wall = bytearray(self.n)
        goals, boxes, players = [], [], []
        for r, line in enumerate(grid):
            for c, ch in enumerate(line):
                i = r * self.cols + c
                if ch == "#":
                    self.wall[i] = 1
                if ch in ".+*":
                    goals.append(i)
                if ch in "$*":
                    boxes.append(i)
                if ch in "@+":
                    players.append(i)
        self.goals = tuple(goals)
        self.goal_set = frozenset(goals)
        self.boxes = tuple(boxes)
        self.player = players[0] if players else -1
        self.offsets = (-self.cols, self.cols, -1, 1)  # in the order of DIRS

    def name(self, i: int) -> str:
        r, c = divmod(i, self.cols)
        return f"({r},{c})"

    def names(self, cells: Any) -> str:
        return ", ".join(self.name(i) for i in sorted(cells))

    @cached_property
    def goal_dist(self) -> list[tuple[int, ...]]:
        """Per cell, the fewest pushes that bring a box from it to each goal, ignoring the other boxes.

        Found by pulling a box away from each goal: the player stands on the next cell and steps back."""
        wall, offsets = self.wall, self.offsets
        per_goal = []
        for g in self.goals:
            dist = [INF] * self.n
            dist[g] = 0
            queue = [g]
            for x in queue:
                for off in offsets:
                    y = x + off
                    if not wall[y] and not wall[y + off] and dist[y] == INF:
                        dist[y] = dist[x] + 1
                        queue.append(y)
            per_goal.append(dist)
        return [tuple(d[i] for d in per_goal) for i in range(self.n)]

    @cached_property
    def dead(self) -> bytearray:
        """Floor cells from which no goal can ever be reached by pushes (a box there is lost)."""
        dead = bytearray(self.n)
        for i, dists in enumerate(self.goal_dist):
            if not self.wall[i] and min(dists, default=INF) >= INF:
                dead[i] = 1
        return dead

    @cached_property
    def matchings(self) -> list[tuple[int, ...]]:
        return list(permutations(range(len(self.goals))))

    def estimate(self, boxes: tuple[int, ...]) -> int:
        """The fewest pushes left: the cheapest matching of boxes to goals by push distance (INF if none)."""
        rows = [self.goal_dist[b] for b in boxes]
        if len(rows) == 1:
            return rows[0][0]
        if len(rows) == 2:
            (a0, a1), (b0, b1) = rows
            return min(a0 + b1, a1 + b0, INF)
        if len(rows) == 3:
            (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = rows
            return min(a0 + min(b1 + c2, b2 + c1), a1 + min(b0 + c2, b2 + c0), a2 + min(b0 + c1, b1 + c0), INF)
        if len(rows) > 6:  # a weaker bound, still admissible
            return min(INF, sum(min(r) for r in rows))
        best = min(sum(rows[i][p[i]] for i in range(len(rows))) for p in self.matchings)
        return min(best, INF)

    @cached_property
    def neighbours(self) -> list[tuple[int, ...]]:
        """Per cell, its non-wall neighbours (up, down, left, right): the player's BFS skips walls for free."""
        wall, offsets = self.wall, self.offsets
        return [tuple(x + o for o in offsets if not wall[x + o]) if not wall[x] else () for x in range(self.n)]

    def reach(self, occupied: bytearray, start: int) -> list[int]:
        """Walking distances of the player from `start` around walls and boxes (-1 = unreachable)."""
        dist = [-1] * self.n
        dist[start] = 0
        queue = [start]
        neighbours = self.neighbours
        for x in queue:
            d = dist[x] + 1
            for y in neighbours[x]:
                if dist[y] < 0 and not occupied[y]:
                    dist[y] = d
                    queue.append(y)
        return dist

    def occupied(self, boxes: Any) -> bytearray:
        occ = bytearray(self.wall)
        for b in boxes:
            occ[b] = 1
        return occ

    @cached_property
    def blocks(self) -> list[tuple[tuple[int, tuple[int, ...]], ...]]:
        """Per cell, the 2x2 blocks around it that boxes could freeze: (top-left, the block's floor cells).

        A block counts only if it holds few enough floor cells for the boxes to fill and at least one of
        them is off goal (a block of boxes on goals is harmless)."""
        wall, cols, goals = self.wall, self.cols, self.goal_set
        out = []
        for x in range(self.n):
            found = []
            if not wall[x] and self.rows > 1:
                for top_left in (x, x - 1, x - cols, x - cols - 1):
                    block = (top_left, top_left + 1, top_left + cols, top_left + cols + 1)
                    floor = tuple(y for y in block if not wall[y])
                    if len(floor) <= len(self.goals) and not all(y in goals for y in floor):
                        found.append((top_left, floor))
            out.append(tuple(found))
        return out

    def frozen(self, boxes: Any, cell: int) -> tuple[int, ...] | None:
        """A 2x2 block around the box on `cell` made only of walls and boxes, with a box off its goal: none
        of those boxes can ever move again."""
        for top_left, floor in self.blocks[cell]:
            if all(y in boxes for y in floor):
                return (top_left, top_left + 1, top_left + self.cols, top_left + self.cols + 1)
        return None

    def blocked(self, player: int, boxes: Any, k: int) -> str | None:
        """Why the move DIRS[k] is illegal from this position, or None when it is legal."""
        off = self.offsets[k]
        target = player + off
        if self.wall[target]:
            return f"wall: the player at {self.name(player)} cannot walk into the wall at {self.name(target)}"
        if target in boxes:
            beyond = target + off
            if self.wall[beyond]:
                return (f"box blocked: the box at {self.name(target)} cannot be pushed {DIRS[k]} into the wall "
                        f"at {self.name(beyond)}")
            if beyond in boxes:
                return (f"box blocked: the box at {self.name(target)} cannot be pushed {DIRS[k]} into the box at "
                        f"{self.name(beyond)} (only one box can be pushed at a time)")
        return None

    def text(self, player: int, boxes: Any) -> str:
        """The position in the official notation."""
        chars = ["#" if w else " " for w in self.wall]
        for g in self.goals:
            chars[g] = "."
        for b in boxes:
            chars[b] = "*" if b in self.goal_set else "$"
        chars[player] = "+" if player in self.goal_set else "@"
        cols = self.cols
        return "\n".join("".join(chars[r * cols:(r + 1) * cols]) for r in range(self.rows))

    def deadlocks(self, boxes: Any) -> list[str]:
        """Sound deadlock findings for a position: boxes on dead squares, frozen 2x2 blocks."""
        found = [f"the box at {self.name(b)} is on a dead square: no goal can be reached from there by pushes"
                 for b in sorted(boxes) if self.dead[b]]
        seen: set[tuple[int, ...]] = set()
        for b in sorted(boxes):
            block = self.frozen(boxes, b)
            if block and block not in seen:
                seen.add(block)
                stuck = [x for x in block if x in boxes and x not in self.goal_set]
                found.append(f"the box{'es' if len(stuck) > 1 else ''} at {self.names(stuck)} can never move again: "
                             f"walls and boxes fill the 2x2 block {self.names(block)}")
        return found


@lru_cache(maxsize=256)
def _board(grid: tuple[str, ...]) -> _Board:
    return _Board(grid)


def _board_of(puzzle: Puzzle) -> _Board:
    return _board(tuple(puzzle.data["grid"]))


# ---- the solver --------------------------------------------------------------------------------------------
def _search(board: _Board, player: int, boxes: tuple[int, ...], cap: int, log: list | None = None,
            limit: int = INF) -> list[tuple[int, int]] | None:
    """A* over pushes, costed in player moves: the pushes (box cell, direction index) of a shortest answer.

    Returns None when more than `cap` positions would need expanding, when every answer is longer than
    `limit` moves, or when there is none. With `log`, the search writes down what it does (expansions,
    pruned pushes, positions without a push) for the trace."""
    boxes = tuple(sorted(boxes))
    wall, dead, offsets = board.wall, board.dead, board.offsets
    estimates: dict[tuple[int, ...], int] = {}

    def estimate(bx: tuple[int, ...]) -> int:
        value = estimates.get(bx)
        if value is None:
            value = estimates[bx] = board.estimate(bx)
        return value

    h0 = estimate(boxes)
    if h0 >= INF or h0 > limit:
        return None
    start = (player, boxes)
    best = {start: 0}
    parent: dict[tuple, tuple | None] = {start: None}
    heap = [(h0, 0, 0, player, boxes)]
    pushed, expanded = 0, 0
    while heap:
        f, neg_g, _, p, bx = heapq.heappop(heap)
        g = -neg_g
        key = (p, bx)
        if best[key] < g:
            continue
        if f > limit:  # the estimate is a lower bound: nothing shorter is left
            return None
        if log is not None:
            log.append(("expand", key, parent[key], g, f))
        if estimates[bx] == 0:
            plan = []
            while parent[key] is not None:
                key, box, k = parent[key]
                plan.append((box, k))
            return plan[::-1]
        expanded += 1
        if expanded > cap:
            return None
        occ = bytearray(wall)
        for b in bx:
            occ[b] = 1
        dist = board.reach(occ, p)
        children = 0
        for b, k, target in [(b, k, b + off) for b in bx for k, off in enumerate(offsets)
                             if dist[b - off] >= 0 and not occ[b + off]]:
            if dead[target]:
                if log is not None:
                    log.append(("dead", key, b, k, target, None))
                continue
            nb = tuple(sorted(target if x == b else x for x in bx))
            block = board.frozen(nb, target)
            if block:
                if log is not None:
                    log.append(("dead", key, b, k, target, block))
                continue
            children += 1
            ng = g + dist[b - offsets[k]] + 1
            nkey = (b, nb)
            if best.get(nkey, INF) <= ng:
                continue
            best[nkey] = ng
            parent[nkey] = (key, b, k)
            pushed += 1
            heapq.heappush(heap, (ng + estimate(nb), -ng, pushed, b, nb))
        if log is not None and not children:
            log.append(("stuck", key))
    return None


def _path(board: _Board, occ: bytearray, src: int, dst: int) -> list[str]:
    """A shortest walk from src to dst around the occupied cells (dst must be reachable)."""
    if src == dst:
        return []
    came = {src: -1}
    queue = [src]
    for x in queue:
        for k, off in enumerate(board.offsets):
            y = x + off
            if not occ[y] and y not in came:
                came[y] = k
                if y == dst:
                    steps = []
                    while y != src:
                        k = came[y]
                        steps.append(DIRS[k])
                        y -= board.offsets[k]
                    return steps[::-1]
                queue.append(y)
    raise ValueError(f"{board.name(dst)} cannot be reached from {board.name(src)}")


def _push_moves(board: _Board, player: int, boxes: Any, plan: list[tuple[int, int]]) -> list[str]:
    """The player's moves for a push plan: walk to the cell behind each box, then push it."""
    occ = board.occupied(boxes)
    moves: list[str] = []
    for b, k in plan:
        off = board.offsets[k]
        moves += _path(board, occ, player, b - off)
        moves.append(DIRS[k])
        occ[b], occ[b + off] = 0, 1
        player = b
    return moves


def _solve_grid(board: _Board, cap: int = SOLVE_CAP, limit: int = INF) -> list[str] | None:
    plan = _search(board, board.player, board.boxes, cap, limit=limit)
    return None if plan is None else _push_moves(board, board.player, board.boxes, plan)


# ---- generation --------------------------------------------------------------------------------------------
class _Layout:
    """A wall grid under construction (flat, border included) with the shapes the spec's styles use."""

    def __init__(self, rng: np.random.Generator, rows: int, cols: int) -> None:
        self.rng, self.rows, self.cols = rng, rows, cols
        self.wall = bytearray(rows * cols)
        for r in range(rows):
            for c in range(cols):
                if r in (0, rows - 1) or c in (0, cols - 1):
                    self.wall[r * cols + c] = 1
        self.interior = [r * cols + c for r in range(1, rows - 1) for c in range(1, cols - 1)]

    def rand(self, lo: int, hi: int) -> int:
        """A uniform integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def set(self, r: int, c: int, value: int = 1) -> None:
        if 0 < r < self.rows - 1 and 0 < c < self.cols - 1:
            self.wall[r * self.cols + c] = value

    def components(self) -> list[list[int]]:
        seen = bytearray(self.wall)
        comps = []
        for s in self.interior:
            if seen[s]:
                continue
            seen[s] = 1
            comp = [s]
            for x in comp:
                for off in (-self.cols, self.cols, -1, 1):
                    y = x + off
                    if not seen[y]:
                        seen[y] = 1
                        comp.append(y)
            comps.append(comp)
        return comps

    def repair(self) -> int:
        """Keep the largest floor region and wall in the rest; returns its size."""
        comps = sorted(self.components(), key=len, reverse=True)
        for comp in comps[1:]:
            for x in comp:
                self.wall[x] = 1
        return len(comps[0]) if comps else 0

    def sparse(self, count: int) -> None:
        """Up to `count` single walls, each kept only if the floor stays connected."""
        placed = 0
        for i in self.rng.permutation(len(self.interior)).tolist():
            if placed >= count:
                break
            x = self.interior[i]
            if self.wall[x]:
                continue
            self.wall[x] = 1
            if len(self.components()) == 1:
                placed += 1
            else:
                self.wall[x] = 0

    def blocks(self, count: int) -> None:
        """Single walls placed without a check (the repair pass cleans up)."""
        for _ in range(count):
            self.wall[self.interior[int(self.rng.integers(len(self.interior)))]] = 1

    def partitions(self, rooms: int) -> None:
        """rooms - 1 straight walls across the interior, each with one doorway."""
        used_r: list[int] = []
        used_c: list[int] = []
        for _ in range(rooms - 1):
            vertical = self.rng.random() < 0.5
            span = self.cols if vertical else self.rows
            used = used_c if vertical else used_r
            options = [x for x in range(2, span - 2) if all(abs(x - u) >= 2 for u in used)]
            if not options:
                continue
            x = options[int(self.rng.integers(len(options)))]
            used.append(x)
            length = (self.rows if vertical else self.cols) - 2
            door = self.rand(1, length)
            for y in range(1, length + 1):
                if vertical:
                    self.set(y, x, 0 if y == door else 1)
                else:
                    self.set(x, y, 0 if y == door else 1)

    def segments(self, count: int) -> None:
        for _ in range(count):
            length = self.rand(2, 3)
            r, c = self.rand(1, self.rows - 2), self.rand(1, self.cols - 2)
            vertical = self.rng.random() < 0.5
            for k in range(length):
                self.set(r + k * vertical, c + k * (not vertical))

    def cross(self) -> None:
        """A central cross of walls with random gaps, at least one per arm."""
        r0 = min(max(2, self.rows // 2 + self.rand(-1, 1)), self.rows - 3)
        c0 = min(max(2, self.cols // 2 + self.rand(-1, 1)), self.cols - 3)
        arms = [[(r0, c) for c in range(1, c0)], [(r0, c) for c in range(c0 + 1, self.cols - 1)],
                [(r, c0) for r in range(1, r0)], [(r, c0) for r in range(r0 + 1, self.rows - 1)]]
        self.set(r0, c0)
        for arm in arms:
            for r, c in arm:
                self.set(r, c, int(self.rng.random() >= 0.3))
            r, c = arm[int(self.rng.integers(len(arm)))]
            self.set(r, c, 0)

    def room(self) -> None:
        """A small closed room (walls around a 2x2 or 2x3 floor) with one opening."""
        h, w = 4, self.rand(4, 5)
        if self.rows - 2 < h + 1 or self.cols - 2 < w + 1:
            return
        r0, c0 = self.rand(1, self.rows - 1 - h), self.rand(1, self.cols - 1 - w)
        edge = [(r0 + r, c0 + c) for r in range(h) for c in range(w) if r in (0, h - 1) or c in (0, w - 1)]
        for r, c in edge:
            self.set(r, c)
        for r in range(1, h - 1):
            for c in range(1, w - 1):
                self.set(r0 + r, c0 + c, 0)
        doors = [(r, c) for r, c in edge if (r in (r0, r0 + h - 1)) != (c in (c0, c0 + w - 1))]
        self.set(*doors[int(self.rng.integers(len(doors)))], 0)

    def maze(self) -> None:
        """Walls on every third row and column (p = 0.7 each), then 30% of the interior walls removed."""
        for x in self.interior:
            r, c = divmod(x, self.cols)
            if (r % 3 == 0 or c % 3 == 0) and self.rng.random() < 0.7:
                self.wall[x] = 1
        for x in self.interior:
            if self.wall[x] and self.rng.random() < 0.3:
                self.wall[x] = 0

    def l_blocks(self, count: int) -> None:
        for _ in range(count):
            r, c = self.rand(1, self.rows - 3), self.rand(1, self.cols - 3)
            cells = [(r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1)]
            del cells[self.rand(0, 3)]
            for rc in cells:
                self.set(*rc)


def _layout(rng: np.random.Generator, style: str, rows: int, cols: int, lad: _Ladder) -> bytearray | None:
    """The wall grid of one layout style (spec 2.3, step 2), or None when too little floor is left."""
    lay = _Layout(rng, rows, cols)
    rooms = lay.rand(*lad.rooms)
    if style == "open":
        lay.blocks(lay.rand(1, 3))
    elif style == "simple_rooms":
        lay.partitions(rooms)
    elif style == "corridors":
        lay.cross()
        lay.segments(lay.rand(2, 4))
    elif style == "mixed":
        if rng.random() < 0.5:
            lay.partitions(rooms)
            lay.segments(lay.rand(1, 3))
        else:
            lay.cross()
            lay.room()
    elif style in ("maze_like", "complex"):
        lay.maze()
        if style == "complex":
            lay.room()
            lay.segments(lay.rand(1, 2))
            lay.l_blocks(lay.rand(1, 3))
    if lay.repair() < max(4 * lad.boxes + 6, 0.4 * len(lay.interior)):  # too little floor left
        return None
    walls = sum(lay.wall[x] for x in lay.interior)
    lay.sparse(int(lad.density * len(lay.interior)) - walls)
    return lay.wall


def _pullable(wall: bytearray, offsets: tuple[int, ...], x: int) -> bool:
    """A box on x can be pulled at least once (the player has room on some side)."""
    return any(not wall[x + o] and not wall[x + 2 * o] for o in offsets)


def _goals(rng: np.random.Generator, wall: bytearray, rows: int, cols: int, lad: _Ladder) -> list[int] | None:
    """Goal cells: clustered around the most open spot, or spread out (spec 2.3, step 3)."""
    offsets = (-cols, cols, -1, 1)
    floor = [x for x in range(rows * cols) if not wall[x]]
    cand = [x for x in floor if _pullable(wall, offsets, x)]
    if len(cand) < lad.boxes:
        return None
    if rng.random() < lad.cluster:
        def openness(x: int) -> int:
            r, c = divmod(x, cols)
            return sum(not wall[rr * cols + cc] for rr in range(max(0, r - 2), min(rows, r + 3))
                       for cc in range(max(0, c - 2), min(cols, c + 3)))
        centre = max(floor, key=openness)
        r, c = divmod(centre, cols)
        block = [x for x in cand if abs(x // cols - r) <= 1 and abs(x % cols - c) <= 1]
        if len(block) >= lad.boxes:
            return sorted(block[i] for i in rng.choice(len(block), lad.boxes, replace=False).tolist())
    goals = [cand[int(rng.integers(len(cand)))]]
    while len(goals) < lad.boxes:
        pool = [x for x in cand if x not in goals]
        picks = [pool[i] for i in rng.choice(len(pool), min(10, len(pool)), replace=False).tolist()]
        goals.append(max(picks, key=lambda x: min(abs(x // cols - g // cols) + abs(x % cols - g % cols)
                                                  for g in goals)))
    return sorted(goals)


def _reverse_play(rng: np.random.Generator, board: _Board, pulls: int) -> tuple[int, tuple[int, ...]] | None:
    """Boxes start on the goals and are pulled away at random; the position reached is solvable (undo the pulls).

    The player then moves to a random cell of the region it is in (not a goal, preferably not next to a
    box), which keeps the position solvable."""
    offsets, goals = board.offsets, board.goal_set
    boxes = set(board.goals)
    occ = board.occupied(boxes)
    free = [x for x in range(board.n) if not occ[x]]
    player = free[int(rng.integers(len(free)))]
    for step in range(pulls + 12):
        dist = board.reach(occ, player)
        options = [(b, o) for b in sorted(boxes) for o in offsets if dist[b + o] >= 0 and not occ[b + 2 * o]]
        if not options:
            break
        b, o = options[int(rng.integers(len(options)))]
        boxes.remove(b)
        boxes.add(b + o)
        occ[b], occ[b + o] = 0, 1
        player = b + 2 * o
        if step >= pulls - 1 and not boxes & goals:
            break
    if boxes & goals:
        return None
    dist = board.reach(occ, player)
    region = [x for x in range(board.n) if dist[x] >= 0 and x not in goals]
    apart = [x for x in region if not any(x + o in boxes for o in offsets)]
    pick = apart or region
    if not pick:
        return None
    return pick[int(rng.integers(len(pick)))], tuple(sorted(boxes))


def _grid_lines(wall: bytearray, cols: int, goals: Any, boxes: Any, player: int) -> list[str]:
    chars = ["#" if w else " " for w in wall]
    for g in goals:
        chars[g] = "."
    for b in boxes:
        chars[b] = "*" if b in goals else "$"
    chars[player] = "+" if player in goals else "@"
    return ["".join(chars[r:r + cols]) for r in range(0, len(chars), cols)]


def _generate(rng: np.random.Generator, lad: _Ladder) -> tuple[list[str], list[str]]:
    """A grid and its shortest answer, inside the level's window of answer lengths."""
    lo, hi = lad.window
    for _ in range(GEN_TRIES):
        cols, rows = (int(v) for v in rng.integers(lad.size[0], lad.size[1] + 1, size=2))
        style = lad.layouts[int(rng.integers(len(lad.layouts)))]
        wall = _layout(rng, style, rows, cols, lad)
        if wall is None:
            continue
        goals = _goals(rng, wall, rows, cols, lad)
        if goals is None:
            continue
        empty = _Board(tuple(_grid_lines(wall, cols, goals, goals, goals[0])))
        placed = _reverse_play(rng, empty, int(rng.integers(lad.pulls[0], lad.pulls[1] + 1)))
        if placed is None:
            continue
        grid = _grid_lines(wall, cols, set(goals), placed[1], placed[0])
        board = _board(tuple(grid))
        moves = _solve_grid(board, GEN_CAP, limit=hi)
        if moves is not None and lo <= len(moves) <= hi:
            return grid, moves
    raise RuntimeError("Sokoban: no instance found within the generation budget")  # never seen in testing


# ---- answers -----------------------------------------------------------------------------------------------
def _parse_grid(raw: Any) -> list[str]:
    """The rows of an official initial_state (a string, or a list of rows or of characters)."""
    if isinstance(raw, list):
        raw = "\n".join("".join(str(ch) for ch in row) if isinstance(row, list) else str(row) for row in raw)
    if not isinstance(raw, str):
        raise RecordError(f"Sokoban: initial_state must be a text grid, got {type(raw).__name__}")
    lines = [line.rstrip("\r") for line in raw.replace("\\n", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    width = max((len(line) for line in lines), default=0)
    lines = [line.ljust(width) for line in lines]
    if len(lines) < 3 or width < 3:
        raise RecordError("Sokoban: the grid needs at least 3 rows and 3 columns")
    stray = {ch for line in lines for ch in line if ch not in "# .@+$*"}
    if stray:
        raise RecordError(f"Sokoban: unexpected characters {sorted(stray)} in the grid")
    ring = lines[0] + lines[-1] + "".join(line[0] + line[-1] for line in lines)
    if set(ring) != {"#"}:
        raise RecordError("Sokoban: the border of the grid must be all wall")
    text = "".join(lines)
    players = text.count("@") + text.count("+")
    boxes = text.count("$") + text.count("*")
    goals = text.count(".") + text.count("+") + text.count("*")
    if players != 1:
        raise RecordError(f"Sokoban: the grid must hold exactly one player, found {players}")
    if boxes < 1 or boxes != goals:
        raise RecordError(f"Sokoban: need as many goals as boxes (at least one), found {boxes} boxes, {goals} goals")
    if text.count("$") == 0:
        raise RecordError("Sokoban: every box already stands on a goal")
    return lines


# ---- the task ----------------------------------------------------------------------------------------------
@register_task
class Sokoban(Task):
    """Sokoban: push every box onto a goal.

    Step grammar: `up | down | left | right` (or `u | d | l | r`), one move per step; walking into a box
    pushes it. A move into a wall, or a push against a wall or a second box, is refused with the reason
    (`wall: ...`, `box blocked: ...`). The env adds undo, restart, submit and `answer <moves>`."""

    name = "Sokoban"
    key = "sokoban"
    category = "games"
    score_function = "sokoban_evaluator"
    step_help = ("up | down | left | right (or u/d/l/r): walk one cell that way; walking into a box pushes it one "
                 "cell further, unless a wall or another box is behind it")
    answer_help = "the moves as lowercase words separated by single spaces, e.g. left left up right"
    key_commands: ClassVar[dict[str, str]] = {"up": "up", "down": "down", "left": "left", "right": "right"}

    # ---- instances ---------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        """A layout of the level's styles, boxes placed by reverse play, the shortest answer by A*."""
        level = self.check_level(level)
        grid, moves = _generate(rng, LADDER[level])
        return self.puzzle(level, {"rows": len(grid), "cols": len(grid[0]), "grid": grid,
                                   "solution": " ".join(moves)})

    # ---- solving -----------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return puzzle.data["solution"]

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return puzzle.data["solution"].split()

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        """The A* search as it ran: positions tried (best estimate first), dead ends found by the sound
        deadlock rules, switches back to an earlier position; long searches are summarised."""
        board = _board_of(puzzle)
        start_boxes = tuple(sorted(board.boxes))
        dead = [x for x in range(board.n) if board.dead[x]]
        least = board.estimate(start_boxes)
        events = [
            TraceEvent("read", note=(
                f"{board.rows}x{board.cols} grid; player at {board.name(board.player)}; "
                f"{counted(len(start_boxes), 'box')} at {board.names(start_boxes)}; "
                f"goals at {board.names(board.goals)}"), state_text=board.text(board.player, start_boxes)),
            TraceEvent("deduce", note=(
                f"dead squares (a box pushed there can never reach a goal): {board.names(dead[:24])}"
                + (f" and {len(dead) - 24} more" if len(dead) > 24 else "") if dead
                else "no dead squares: from every floor cell some goal can be reached by pushes")),
            TraceEvent("deduce", note=(
                f"matching each box to its own goal by push distance, at least {counted(least, 'push')} "
                f"{'is' if least == 1 else 'are'} needed; search positions by moves made + pushes still needed, "
                "cheapest first")),
        ]
        log: list = []
        plan = _search(board, board.player, start_boxes, SOLVE_CAP, log)
        events += self._search_events(board, log)
        if plan is None:  # cannot happen for generated instances; keep the stored answer
            answer = puzzle.data["solution"]
            events.append(TraceEvent("deduce", note="the search hit its limit; fall back to the stored plan"))
        else:
            moves = _push_moves(board, board.player, start_boxes, plan)
            answer = " ".join(moves)
            pushes = "; ".join(f"{board.name(b)} {DIRS[k]}" for b, k in plan)
            events.append(TraceEvent("deduce", note=(
                f"all boxes on goals after {counted(len(plan), 'push')} and {len(moves)} moves; "
                f"the pushes (box cell, direction): {pushes}")))
        verdict = self.verify(puzzle, answer)
        events.append(TraceEvent("check", note=(
            "replayed from the start: every move is legal and every box ends on a goal" if verdict.correct
            else "; ".join(verdict.violations))))
        events.append(TraceEvent("answer", move=answer, note="the moves from the start"))
        return events

    @staticmethod
    def _search_events(board: _Board, log: list) -> list[TraceEvent]:
        """Readable events for the logged search, the first TRACE_SHOWN of them, then a summary."""
        events: list[TraceEvent] = []
        depth: dict[tuple, int] = {}
        hidden = {"try": 0, "dead_end": 0, "backtrack": 0}
        last = None

        def emit(event: TraceEvent) -> None:
            if len(events) < TRACE_SHOWN:
                events.append(event)
            else:
                hidden[event.kind] += 1

        for item in log:
            if item[0] == "expand":
                _, key, via, g, f = item
                if via is None:
                    depth[key] = 0
                    last = key
                    continue
                prev, b, k = via
                depth[key] = depth[prev] + 1
                if prev != last:
                    where = (f"the position after {counted(depth[prev], 'push')}" if depth[prev]
                             else "the start position")
                    emit(TraceEvent("backtrack", note=(
                        f"that line now looks costlier; go back to {where} (player at {board.name(prev[0])}, "
                        f"boxes at {board.names(prev[1])}) and take its most promising push left")))
                target = b + board.offsets[k]
                note = (f"push the box at {board.name(b)} {DIRS[k]} to {board.name(target)}: {g} moves so far, "
                        f"at least {f} moves in all")
                if len(events) < TRACE_SHOWN:
                    events.append(TraceEvent("try", move=DIRS[k], note=note, state_text=board.text(*key)))
                else:
                    hidden["try"] += 1
                last = key
            elif item[0] == "dead":
                _, key, b, k, target, block = item
                if block is None:
                    why = f"{board.name(target)} is a dead square: no goal can be reached from there"
                else:
                    why = f"walls and boxes would fill the 2x2 block {board.names(block)} with a box off its goal"
                emit(TraceEvent("dead_end", note=f"pushing the box at {board.name(b)} {DIRS[k]} fails: {why}"))
            elif item[0] == "stuck":
                emit(TraceEvent("dead_end", note=f"no box can be pushed from the position with the player at "
                                                 f"{board.name(item[1][0])}"))
        if any(hidden.values()):
            events.append(TraceEvent("deduce", note=(
                f"... and {hidden['try']} more positions tried, {hidden['dead_end']} more dead ends and "
                f"{hidden['backtrack']} more switches back, not listed")))
        return events

    # ---- judging -----------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        """Replay the moves from the start: each must be legal, and every box must end on a goal."""
        try:
            moves = parse_moves(answer, DIRECTION_WORDS)
        except ValueError as exc:
            return Verdict.wrong(str(exc))
        except Exception:  # the verifier must never raise on model text
            return Verdict.wrong("the answer could not be read as a list of moves")
        if not moves:
            return Verdict.wrong("no moves found: give directions such as `up left left down`", parsed=[])
        board = _board_of(puzzle)
        player, boxes, offsets = board.player, set(board.boxes), board.offsets
        for i, d in enumerate(moves, 1):
            k = _INDEX[d]
            reason = board.blocked(player, boxes, k)
            if reason:
                return Verdict.wrong(f"move {i} ({d}) is illegal: {reason}", parsed=moves)
            player += offsets[k]
            if player in boxes:
                boxes.remove(player)
                boxes.add(player + offsets[k])
        off_goal = sorted(boxes - board.goal_set)
        if off_goal:
            on = len(boxes) - len(off_goal)
            return Verdict.wrong(
                f"after all {len(moves)} moves only {on} of {len(boxes)} boxes are on goals; off goal: "
                f"{board.names(off_goal)}", parsed=moves)
        return Verdict.ok(parsed=moves)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        length = max(1, len(self.solve_moves(puzzle)))
        return " ".join(DIRS[int(i)] for i in rng.integers(4, size=length))

    # ---- presentation ------------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        data = puzzle.data
        rules = (
            f"Solve a Sokoban puzzle on a grid of {data['rows']} rows × {data['cols']} columns.\n"
            "Rules:\n"
            "- You are the player. Each move takes you one cell up, down, left or right.\n"
            "- You cannot walk into a wall.\n"
            "- Walking into a box pushes it one cell further in the same direction. The push works only when "
            "the cell behind the box is free (not a wall and not another box): you push one box at a time, "
            "and you can never pull a box.\n"
            "- The puzzle is solved when every box stands on a goal; there are exactly as many goals as boxes. "
            "Every move of your sequence must be legal, and all boxes must be on goals after your last move.\n"
            "- up means one row towards the top, down one row towards the bottom, left one column to the "
            "left, right one column to the right.\n"
        )
        if modality == "image":
            state = (
                "The picture shows the level: brown bricks are walls, sandy stone is floor, gold rings are "
                "goals, blue crates are boxes (green when on a goal), and the red face is the player (ringed in "
                "gold when on a goal). Row numbers run down the left and column numbers along the top, from 0 at "
                "the top-left corner. A red frame marks a box that can no longer reach a goal.\n"
            )
        else:
            state = (
                "The level is written below, one row per line and one character per cell: # is a wall, a space "
                "is floor, . is a goal, @ is the player, + is the player standing on a goal, $ is a box and * is a "
                "box standing on a goal. Every row has the same length, and the first and last rows and columns are "
                "the outer wall. Rows count from 0 at the top and columns from 0 at the left, the outer wall "
                "included.\n"
                "Level:\n" + "\n".join(data["grid"]) + "\n"
            )
        fmt = ("Answer with the whole sequence of moves from the start as lowercase words separated by single "
               "spaces, for example: up left left down")
        return rules + state + fmt

    def render(self, puzzle: Puzzle, state: Any = None, size: int = 512) -> Image.Image:
        """Brick walls, stone floor, gold goal rings, blue boxes (green on a goal), the red player; row and
        column numbers. In step mode the current position, with boxes in a sound deadlock outlined red."""
        board = _board_of(puzzle)
        player, boxes = (board.player, board.boxes) if state is None else (state[0], state[1])
        canvas = GridCanvas(board.rows, board.cols, size, margin=MARGIN, background=PAPER, board=FLOOR)
        cell = canvas.cell
        tiles = _tiles(cell)
        box_set = set(boxes)
        for i in range(board.n):
            r, c = divmod(i, board.cols)
            if board.wall[i]:
                tile = tiles[f"wall{(r + c) % 2}"]
            elif i in box_set:
                tile = tiles["box_goal" if i in board.goal_set else "box"]
            elif i == player:
                tile = tiles["player_goal" if i in board.goal_set else "player"]
            elif i in board.goal_set:
                tile = tiles["goal"]
            else:
                tile = tiles[f"floor{(r * 3 + c * 5) % 4}"]
            canvas.image.paste(tile, canvas.cell_box(r, c)[:2])
        canvas.grid_lines(color=GRID, width=0.03)
        if state is not None:
            stuck = {b for b in boxes if board.dead[b] or board.frozen(box_set, b)} - board.goal_set
            for b in sorted(stuck):
                canvas.draw.rectangle(canvas.cell_box(*divmod(b, board.cols), inset=max(1, cell // 16)),
                                      outline=STUCK, width=max(3, cell // 9))
        canvas.frame(color=FRAME, width=0.1)
        canvas.coordinates(color=GRID_LINE, scale=0.36)
        return canvas.image

    # ---- step mode ---------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, tuple[int, ...], tuple[str, ...]]:
        """(player cell, sorted box cells, the moves made), cells as r * cols + c."""
        board = _board_of(puzzle)
        return (board.player, tuple(sorted(board.boxes)), ())

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, tuple[int, ...], tuple[str, ...]]:
        word = DIRECTION_WORDS.get(normalize_command(move))
        if word is None:
            raise InvalidMove(f"unknown command {str(move)[:40]!r}; use up, down, left or right")
        board = _board_of(puzzle)
        player, boxes, done = state
        k = _INDEX[word]
        reason = board.blocked(player, boxes, k)
        if reason:
            raise InvalidMove(reason)
        player += board.offsets[k]
        if player in boxes:
            moved = player + board.offsets[k]
            boxes = tuple(sorted(moved if b == player else b for b in boxes))
        return (player, boxes, (*done, word))

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        """The position in the official notation, then where things are, the legal moves and any deadlock."""
        board = _board_of(puzzle)
        player, boxes, done = state
        on = sum(b in board.goal_set for b in boxes)
        lines = [
            board.text(player, boxes),
            f"Player at {board.name(player)}; boxes on goals: {on}/{len(boxes)}; moves so far: {len(done)}",
            f"Legal moves now: {', '.join(self.moves(puzzle, state)) or 'none'}",
        ]
        lines += [f"Deadlock: {d} (undo or restart)" for d in board.deadlocks(set(boxes))]
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return set(state[1]) == _board_of(puzzle).goal_set

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str]:
        board = _board_of(puzzle)
        return [d for k, d in enumerate(DIRS) if board.blocked(state[0], state[1], k) is None]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return list(DIRS)

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        return " ".join(state[2])

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        """Sound deadlocks only (a box on a dead square, a frozen 2x2 block): the position is lost."""
        return _board_of(puzzle).deadlocks(set(state[1]))

    def potential(self, puzzle: Puzzle, state: tuple) -> float:
        """-(pushes still needed) / (pushes needed at the start); a lost position counts as twice the start."""
        board = _board_of(puzzle)
        start = max(1, board.estimate(tuple(sorted(board.boxes))))
        left = board.estimate(tuple(state[1]))
        return -(left if left < INF else 2 * start) / start

    def step_budget(self, puzzle: Puzzle) -> int:
        return 4 * len(self.solve_moves(puzzle)) + 20

    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        rows, cols = puzzle.data["rows"], puzzle.data["cols"]
        ml, mt, mr, mb = MARGIN
        cell = max(8, int(size / max(cols + ml + mr, rows + mt + mb)))
        c, r = int((x - round(ml * cell)) // cell), int((y - round(mt * cell)) // cell)
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    # ---- records -----------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        answer = self.solve(puzzle)
        return self.base_record(puzzle, index=f"sokoban_{puzzle.fingerprint}", answer=answer, difficulty=puzzle.level,
                                initial_state="\n".join(puzzle.data["grid"]), step_count=len(answer.split()))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        """Our records and official rows; the record's answer is kept when it is valid, else A* solves."""
        if "initial_state" not in record:
            raise RecordError("Sokoban: the record has no initial_state grid")
        grid = _parse_grid(record["initial_state"])
        level = self.record_level(record)
        data = {"rows": len(grid), "cols": len(grid[0]), "grid": grid, "solution": ""}
        answer = record.get("answer")
        if isinstance(answer, list):
            answer = " ".join(str(move) for move in answer)
        probe = self.puzzle(level, data)
        verdict = self.verify(probe, answer) if isinstance(answer, str) else None
        if verdict is not None and verdict.correct:
            data["solution"] = " ".join(verdict.parsed)
        else:
            moves = _solve_grid(_board(tuple(grid)))
            if moves is None:
                raise RecordError("Sokoban: no solution found for this level")
            data["solution"] = " ".join(moves)
        return self.puzzle(level, data, seed=self.record_seed(record))


# ---- pictures ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _tiles(cell: int) -> dict[str, Image.Image]:
    """One picture per kind of cell at this cell size (floor variants, walls, goal, boxes, player)."""
    tiles = {f"floor{v}": _floor(cell, v) for v in range(4)}
    tiles.update({f"wall{v}": _wall(cell, v) for v in range(2)})
    tiles["goal"] = _goal(_floor(cell, 0))
    tiles["box"] = _box(_floor(cell, 1), BOX_BLUE, BOX_GRAIN, BOX_LIGHT, BOX_EDGE)
    tiles["box_goal"] = _box(_goal(_floor(cell, 0)), BOX_GREEN, GREEN_GRAIN, GREEN_LIGHT, GREEN_GLOW)
    tiles["player"] = _player(_floor(cell, 2))
    tiles["player_goal"] = _player(_goal(_floor(cell, 0)))
    return tiles


def _shade(color: tuple[int, int, int], delta: int) -> tuple[int, int, int]:
    return tuple(max(0, min(255, v + delta)) for v in color)  # type: ignore[return-value]


def _floor(cell: int, variant: int) -> Image.Image:
    """Light stone with a fixed 3x3 pattern of slightly lighter and darker patches."""
    img = Image.new("RGB", (cell, cell), FLOOR)
    draw = ImageDraw.Draw(img)
    step = cell / 3
    for i in range(3):
        for j in range(3):
            delta = ((variant * 7 + i * 5 + j * 3) % 5 - 2) * 4
            draw.rectangle((round(j * step), round(i * step), round((j + 1) * step) - 1, round((i + 1) * step) - 1),
                           fill=_shade(FLOOR, delta))
    draw.rectangle((0, 0, cell - 1, cell - 1), outline=FLOOR_EDGE)
    return img


def _wall(cell: int, variant: int) -> Image.Image:
    """Mortar with three rows of bricks, every other row offset by half a brick."""
    img = Image.new("RGB", (cell, cell), MORTAR)
    draw = ImageDraw.Draw(img)
    h = cell / 3
    for row in range(3):
        shift = (cell / 4) if (row + variant) % 2 else -(cell / 4)
        x = shift - cell / 2
        k = 0
        while x < cell:
            tone = _shade(BRICK, ((row * 3 + k + variant) % 3 - 1) * 8)
            box = (round(x) + 1, round(row * h) + 1, round(x + cell / 2) - 1, round((row + 1) * h) - 1)
            draw.rectangle(box, fill=tone, outline=BRICK_EDGE)
            x += cell / 2
            k += 1
    return img


def _disc(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, **kwargs: Any) -> None:
    draw.ellipse((round(cx - radius), round(cy - radius), round(cx + radius), round(cy + radius)), **kwargs)


def _goal(img: Image.Image) -> Image.Image:
    """Three concentric golden discs with a dark rim: the target."""
    draw = ImageDraw.Draw(img)
    cell = img.width
    mid = cell / 2
    rim = max(1, cell // 22)
    _disc(draw, mid, mid, cell * 0.38, fill=GOLD, outline=GOLD_EDGE, width=rim)
    _disc(draw, mid, mid, cell * 0.26, fill=GOLD_LIGHT, outline=GOLD_EDGE, width=rim)
    _disc(draw, mid, mid, cell * 0.13, fill=GOLD, outline=GOLD_EDGE, width=rim)
    return img


def _box(img: Image.Image, fill: tuple, grain: tuple, light: tuple, edge: tuple) -> Image.Image:
    """A crate: a filled square with grain lines, a lighter top-left edge and grey corner brackets."""
    draw = ImageDraw.Draw(img)
    cell = img.width
    inset = max(2, round(cell * 0.08))
    x0, y0, x1, y1 = inset, inset, cell - 1 - inset, cell - 1 - inset
    line = max(1, cell // 18)
    draw.rectangle((x0, y0, x1, y1), fill=fill, outline=edge, width=max(2, cell // 14))
    for t in (0.35, 0.5, 0.65):
        y = round(y0 + (y1 - y0) * t)
        draw.line((x0 + 3 * line, y, x1 - 3 * line, y), fill=grain, width=line)
    edge_w = max(2, cell // 14)
    draw.line((x0 + edge_w, y0 + edge_w, x1 - edge_w, y0 + edge_w), fill=light, width=line)
    draw.line((x0 + edge_w, y0 + edge_w, x0 + edge_w, y1 - edge_w), fill=light, width=line)
    arm = max(3, cell // 6)
    for cx, cy, sx, sy in ((x0, y0, 1, 1), (x1, y0, -1, 1), (x0, y1, 1, -1), (x1, y1, -1, -1)):
        draw.line((cx, cy, cx + sx * arm, cy), fill=BRACKET, width=line + 1)
        draw.line((cx, cy, cx, cy + sy * arm), fill=BRACKET, width=line + 1)
    return img


def _player(img: Image.Image) -> Image.Image:
    """A red round face (two eyes and a smile); on a goal the gold rings show around it."""
    draw = ImageDraw.Draw(img)
    cell = img.width
    mid = cell / 2
    radius = cell * 0.29
    _disc(draw, mid, mid, radius, fill=PLAYER, outline=PLAYER_EDGE, width=max(2, cell // 18))
    eye = max(1.5, cell * 0.045)
    for dx in (-1, 1):
        _disc(draw, mid + dx * radius * 0.38, mid - radius * 0.25, eye, fill=(0, 0, 0))
    s = radius * 0.5
    draw.arc((round(mid - s), round(mid - s * 0.6), round(mid + s), round(mid + s * 0.9)), 20, 160,
             fill=(0, 0, 0), width=max(1, cell // 22))
    return img
