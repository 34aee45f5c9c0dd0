"""Shortest Distance (MM-HELIX `shortest_distance_weighted`): the minimum total weight of an s-t path.

The graph is the MM-HELIX grid graph (spec 1.3, G1): nodes on a grid, every orthogonal neighbour joined,
the diagonals of a fixed DFS spanning tree, and a few random diagonals; integer weights on every edge.
Step mode is a walk from s: `go V` along an edge, `back` to undo, `submit` at t answers the walk's weight.
"""

from __future__ import annotations

import heapq
import math
import re
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import normalize_command, parse_number
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (nodes, (w_min, w_max), edge probability p, min-distance list, (min, max) nodes on the path)
_L1_MIN = (3, 7, 4, 5, 6, 8, 4, 5, 6, 9)
_L5_MIN = (15, 20, 18, 16, 19, 25, 15, 22, 20, 17)
LADDER: dict[int, tuple[int, tuple[int, int], float, tuple[int, ...], tuple[int, int]]] = {
    1: (6, (1, 5), 0.2, _L1_MIN, (2, 5)),
    2: (9, (1, 5), 0.2, _L1_MIN, (3, 6)),
    3: (12, (1, 8), 0.15, (8, 12, 10, 9, 11, 15, 8, 9, 10, 13), (4, 7)),
    4: (16, (1, 10), 0.15, (12, 15, 13, 14, 16, 18, 15, 17, 19, 16, 18, 20), (5, 10)),
    5: (25, (1, 10), 0.1, _L5_MIN, (6, 15)),
}
MAX_LEVEL = 6  # level 6 extends the ladder with a 6 x 6 grid (36 nodes); 7 x 7 labels get too small
TRIES = 100
# the DFS visits neighbours in this order: up-left, up, up-right, left, right, down-left, down, down-right
_DIRECTIONS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
_ADJ_LINE = re.compile(r"(\d+)\s*:\s*\[([^\]]*)\]")
_PAIR = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_QUERY = re.compile(r"from node (\d+) to node (\d+)", re.I)
_GO = re.compile(r"^(?:go|move|walk)(?: to)?(?: node)? (\d+)$")

START_FILL: draw.Color = (150, 220, 160)
TARGET_FILL: draw.Color = (245, 160, 150)
WALK_HALO: draw.Color = draw.HIGHLIGHT
LABEL_PAD = 3


def grid_columns(n: int) -> int:
    """Columns of the MM-HELIX graph grid for n nodes (spec 1.3)."""
    for limit, cols in ((4, 2), (9, 3), (16, 4), (25, 5)):
        if n <= limit:
            return cols
    return math.isqrt(n - 1) + 1


def level_params(level: int) -> tuple[int, tuple[int, int], float, tuple[int, ...], tuple[int, int]]:
    """The ladder row of `level`; levels past 5 use level x level grids with the level-5 settings scaled."""
    if level in LADDER:
        return LADDER[level]
    side = level
    scale = (side - 1) / 4
    return side * side, (1, 10), 0.1, tuple(round(x * scale) for x in _L5_MIN), (side + 1, 3 * side)


@lru_cache(maxsize=32)
def dfs_tree(n: int, cols: int) -> tuple[tuple[int, int], ...]:
    """The spanning tree of step A: a DFS from node 0 over the 8 grid neighbours (the same for every n)."""
    seen = {0}
    edges: list[tuple[int, int]] = []
    stack = [(0, iter(_DIRECTIONS))]  # iterative DFS with the recursive visiting order
    while stack:
        node, dirs = stack[-1]
        for dr, dc in dirs:
            r, c = divmod(node, cols)
            r, c = r + dr, c + dc
            nxt = r * cols + c
            if 0 <= r and 0 <= c < cols and nxt < n and nxt not in seen:
                seen.add(nxt)
                edges.append((min(node, nxt), max(node, nxt)))
                stack.append((nxt, iter(_DIRECTIONS)))
                break
        else:
            stack.pop()
    return tuple(edges)


@lru_cache(maxsize=32)
def _grid_pairs(n: int, cols: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """All orthogonal and all diagonal neighbour pairs (u < v) of the grid."""
    orth, diag = [], []
    for u in range(n):
        r, c = divmod(u, cols)
        for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
            rr, cc = r + dr, c + dc
            v = rr * cols + cc
            if 0 <= cc < cols and v < n:
                (orth if dr == 0 or dc == 0 else diag).append((u, v))
    return tuple(orth), tuple(diag)


def build_graph(rng: np.random.Generator, n: int, cols: int, p: float, weights: tuple[int, int]) -> list[list[int]]:
    """One random graph of spec 1.3 with alpha=10, beta=1, gamma=0: sorted [[u, v, w], ...]."""
    joined = set(dfs_tree(n, cols))
    orth, diag = _grid_pairs(n, cols)
    joined.update(orth)  # alpha * p >= 1: every orthogonal pair is an edge
    for pair in diag:  # step B (beta * p), then step C (0.3 * p) for the adjacent pairs still unjoined
        if pair not in joined and (rng.random() < p or rng.random() < 0.3 * p):
            joined.add(pair)
    pairs = sorted(joined)
    ws = rng.integers(weights[0], weights[1] + 1, size=len(pairs))
    return [[u, v, int(w)] for (u, v), w in zip(pairs, ws)]


def adjacency(n: int, edges: list[list[int]]) -> list[list[tuple[int, int]]]:
    """Neighbour lists [(v, w), ...] per node, sorted by neighbour."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    for row in adj:
        row.sort()
    return adj


def dijkstra(n: int, edges: list[list[int]], source: int) -> tuple[list[float], list[int], list[int]]:
    """Distances, predecessors (first found; ties ignored) and the order in which nodes were settled."""
    adj = adjacency(n, edges)
    dist = [math.inf] * n
    pred = [-1] * n
    dist[source] = 0
    heap = [(0, source)]
    order: list[int] = []
    done = [False] * n
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        order.append(u)
        for v, w in adj[u]:
            if d + w < dist[v]:
                dist[v], pred[v] = d + w, u
                heapq.heappush(heap, (d + w, v))
    return dist, pred, order


def path_to(pred: list[int], source: int, target: int) -> list[int]:
    path = [target]
    while path[-1] != source:
        path.append(pred[path[-1]])
    return path[::-1]


def adjacency_text(n: int, edges: list[list[int]]) -> str:
    """The official adjacency-list notation: one `u: [(v, w), ...]` line per node."""
    adj = adjacency(n, edges)
    return "\n".join(f"{u}: [{', '.join(f'({v}, {w})' for v, w in adj[u])}]" for u in range(n))


@register_task
class ShortestDistance(Task):
    name = "ShortestDistance"
    key = "shortest_distance_weighted"
    category = "graphs"
    score_function = "simple_str_match"
    levels = tuple(range(1, MAX_LEVEL + 1))
    step_help = (
        "go V: walk from the current node to its neighbour V along an edge\n"
        "back: undo the last step of the walk\n"
        "submit: at the target node, answer with the total weight of the walk"
    )
    answer_help = "one integer: the minimum total edge weight of a path from the start node to the target node"
    undo_words = ("back",)

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n, weights, p, min_list, (lo, hi) = level_params(level)
        cols = grid_columns(n)
        min_dis = min_list[int(rng.integers(len(min_list)))]
        source, target = 0, n - 1
        for attempt in range(TRIES):
            if attempt:
                source, target = (int(x) for x in rng.choice(n, size=2, replace=False))
            edges = build_graph(rng, n, cols, p, weights)
            dist, pred, _ = dijkstra(n, edges, source)
            if dist[target] >= min_dis and lo <= len(path_to(pred, source, target)) <= hi:
                break
        return self.puzzle(level, self._data(n, edges, source, target, int(dist[target])))

    @staticmethod
    def _data(n: int, edges: list[list[int]], source: int, target: int, distance: int) -> dict[str, Any]:
        return {"n": n, "columns": grid_columns(n), "edges": edges, "source": source, "target": target,
                "distance": distance}

    # ---- solving ---------------------------------------------------------------------------------------
    def _path(self, puzzle: Puzzle) -> list[int]:
        d = puzzle.data
        _, pred, _ = dijkstra(d["n"], d["edges"], d["source"])
        return path_to(pred, d["source"], d["target"])

    def solve(self, puzzle: Puzzle) -> str:
        d = puzzle.data
        dist, _, _ = dijkstra(d["n"], d["edges"], d["source"])
        return str(int(dist[d["target"]]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"go {v}" for v in self._path(puzzle)[1:]] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        s, t = d["source"], d["target"]
        dist, pred, order = dijkstra(d["n"], d["edges"], s)
        events = [TraceEvent("read", note=(
            f"An undirected graph with {d['n']} nodes and {len(d['edges'])} weighted edges; find the shortest "
            f"distance from node {s} to node {t}. Dijkstra: settle nodes in order of distance from {s}."),
            state_text=adjacency_text(d["n"], d["edges"]))]
        settled: list[str] = []
        for v in order:
            settled.append(f"{v}={int(dist[v])}")
            note = (f"Settle node {s} at distance 0 (the start)." if v == s else
                    f"Settle node {v} at distance {int(dist[v])} via node {pred[v]} (the smallest tentative "
                    f"distance among unsettled nodes).")
            events.append(TraceEvent("deduce", move=f"settle {v}", note=note,
                                     state_text="settled: " + ", ".join(settled)))
            if v == t:
                break
        path = path_to(pred, s, t)
        weight = {(u, v): w for u, v, w in d["edges"]}
        steps = [weight[(min(a, b), max(a, b))] for a, b in pairwise(path)]
        events.append(TraceEvent("check", note=(
            f"Path {' -> '.join(map(str, path))} has weights {' + '.join(map(str, steps))} = {sum(steps)}, "
            f"and node {t} was settled at {int(dist[t])}, so no lighter path exists.")))
        events.append(TraceEvent("answer", move=str(int(dist[t])), note=f"The shortest distance is {int(dist[t])}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, parse_number(str(answer)))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the shortest distance")

    def _judge(self, puzzle: Puzzle, value: Fraction | None) -> Verdict:
        """Compare one parsed number with the Dijkstra distance; say what is wrong without telling it."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the shortest distance")
        d = puzzle.data
        best = d["distance"] if "distance" in d else int(self.solve(puzzle))
        if value == best:
            return Verdict.ok(parsed=int(value))
        s, t = d["source"], d["target"]
        if value.denominator != 1:
            small = abs(value.numerator) < 10**15 and value.denominator < 10**6
            shown = f"{float(value):.10g}" if small else "the number given"
            return Verdict.wrong(f"{shown} is not a whole number, but every path weight is a sum of integer "
                                 "edge weights", parsed=shown)
        value = int(value)
        if value <= 0:
            return Verdict.wrong(f"{value} is not positive, but every path from node {s} to node {t} has positive "
                                 "weight", parsed=value)
        if value > best:
            return Verdict.wrong(f"expected the minimum distance from node {s} to node {t}; {value} is not "
                                 "minimal (a lighter path exists)", parsed=value)
        return Verdict.wrong(f"no path from node {s} to node {t} has a total weight as small as {value}", parsed=value)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return str(int(rng.integers(1, 4 * puzzle.data["n"] + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        s, t = d["source"], d["target"]
        ask = (f"Find the shortest distance from node {s} to node {t}: the smallest possible sum of edge weights "
               "along a path between them. Give the distance as a single integer.")
        if modality == "image":
            return ("The picture shows an undirected graph. Each numbered circle is a node, each line is an edge, "
                    "and the number on a line is that edge's weight, a positive integer. The start node is filled "
                    f"green and the target node red.\n{ask}")
        return ("Here is an undirected graph with positive integer edge weights, written as an adjacency list: "
                "the line for node u lists every neighbour v of u together with the weight w of the edge "
                "between them, as u: [(v, w), ...].\n"
                f"{adjacency_text(d['n'], d['edges'])}\n{ask}")

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        return _render(puzzle.data, state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return (puzzle.data["source"],)

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        match = _GO.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command!r}; expected `go V` (V a neighbour of node {state[-1]}), "
                              "`back` or `submit`")
        v, u = int(match.group(1)), state[-1]
        if v >= puzzle.data["n"]:
            raise InvalidMove(f"there is no node {v}")
        a, b = min(u, v), max(u, v)
        for x, y, _ in puzzle.data["edges"]:
            if x == a and y == b:
                return (*state, v)
        raise InvalidMove(f"no edge {u}-{v}")

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        d = puzzle.data
        return (f"{adjacency_text(d['n'], d['edges'])}\nfrom node {d['source']} to node {d['target']}\n"
                f"current node: {state[-1]}\nwalk: {' -> '.join(map(str, state))}")

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # a walk only ends by `submit`: ending it by itself would tell that it is optimal

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        u = state[-1]
        out = [f"go {v}" for v, _ in adjacency(puzzle.data["n"], puzzle.data["edges"])[u]]
        return [*out, "submit"] if u == puzzle.data["target"] else out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return [f"go {v}" for v in range(puzzle.data["n"])] + ["submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        t = puzzle.data["target"]
        if state[-1] != t:
            raise InvalidMove(f"submit is only possible at the target node {t}; the walk is at node {state[-1]}")
        weight = {(u, v): w for u, v, w in puzzle.data["edges"]}
        return str(sum(weight[(min(a, b), max(a, b))] for a, b in pairwise(state)))

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * puzzle.data["n"] + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        geo = _Geometry(puzzle.data["n"], puzzle.data["columns"], size)
        for node in range(puzzle.data["n"]):
            nx, ny = geo.xy(node)
            if math.hypot(x - nx, y - ny) <= geo.radius:
                return divmod(node, puzzle.data["columns"])
        return None

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """Any key on a selected node walks there."""
        node = cell[0] * puzzle.data["columns"] + cell[1]
        return f"go {node}" if node < puzzle.data["n"] else None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        index = f"{self.key}_L{puzzle.level}_{puzzle.fingerprint}"
        return self.base_record(puzzle, index=index, answer=self.solve(puzzle), difficulty=puzzle.level)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        text = str(record.get("question_language") or "")
        query = _QUERY.search(text) or _QUERY.search(str(record.get("question") or ""))
        if query is None:
            raise RecordError(f"{self.name}: no 'from node S to node T' in the record")
        edges, n = _parse_adjacency(text.replace("\\n", "\n"))
        source, target = int(query.group(1)), int(query.group(2))
        n = max(n, source + 1, target + 1)
        dist, _, _ = dijkstra(n, edges, source)
        if source == target or math.isinf(dist[target]):
            raise RecordError(f"{self.name}: node {target} cannot be reached from node {source}")
        seed = record.get("seed")
        data = self._data(n, edges, source, target, int(dist[target]))
        return Puzzle(self.name, self.record_level(record), data, None if seed is None else int(seed))


def _parse_adjacency(text: str) -> tuple[list[list[int]], int]:
    """Sorted [[u, v, w], ...] and the node count from `u: [(v, w), ...]` lines; both directions must agree."""
    weights: dict[tuple[int, int], int] = {}
    top = -1
    for line in _ADJ_LINE.finditer(text):
        u = int(line.group(1))
        top = max(top, u)
        for v_text, w_text in _PAIR.findall(line.group(2)):
            v, w = int(v_text), int(w_text)
            key = (min(u, v), max(u, v))
            if u == v or weights.setdefault(key, w) != w:
                raise RecordError(f"ShortestDistance: inconsistent edge {u}-{v} in the adjacency list")
    if not weights:
        raise RecordError("ShortestDistance: no adjacency list `u: [(v, w), ...]` in the record")
    edges = [[u, v, w] for (u, v), w in sorted(weights.items())]
    return edges, 1 + max(top, edges[-1][1], max(u for u, _, _ in edges))


# ---- drawing -----------------------------------------------------------------------------------------------
class _Geometry:
    """Pixel positions of the grid layout inside a size x size picture with a caption band on top.

    The band always has room for two lines (the query and, in step mode, the walk), so nodes stay put
    between the question picture and step-mode pictures, and `cell_at` needs no state."""

    def __init__(self, n: int, cols: int, size: int) -> None:
        rows = (n + cols - 1) // cols
        self.band = round(size * 0.055) * 2 + round(size * 0.02)
        span = max(cols - 1, rows - 1, 1)
        self.cell = min((size - size * 0.16) / max(cols - 1, 1), (size - self.band - size * 0.16) / max(rows - 1, 1))
        self.cell = min(self.cell, size * 0.84 / span)
        self.radius = max(9.0, min(0.22 * self.cell, size / 16))
        self.x0 = (size - (cols - 1) * self.cell) / 2
        self.y0 = self.band + (size - self.band - (rows - 1) * self.cell) / 2
        self.cols = cols

    def xy(self, node: int) -> tuple[float, float]:
        r, c = divmod(node, self.cols)
        return self.x0 + c * self.cell, self.y0 + r * self.cell


def _edge_colors(edges: list[list[int]], cols: int) -> list[draw.Color]:
    """Greedy colouring: edges that share an end or cross (the two diagonals of a cell) differ in colour."""
    index = {(u, v): i for i, (u, v, _) in enumerate(edges)}
    at: dict[int, list[int]] = {}
    for i, (u, v, _) in enumerate(edges):
        at.setdefault(u, []).append(i)
        at.setdefault(v, []).append(i)
    chosen: list[int] = []
    for i, (u, v, _) in enumerate(edges):
        taken = {chosen[j] for j in at[u] + at[v] if j < i}
        other = _crossing(u, v, cols)
        if other in index and index[other] < i:
            taken.add(chosen[index[other]])
        free = [k for k in range(len(draw.PALETTE)) if k not in taken]
        chosen.append(free[0] if free else i % len(draw.PALETTE))
    return [draw.PALETTE[k] for k in chosen]


def _crossing(u: int, v: int, cols: int) -> tuple[int, int] | None:
    """The other diagonal of the cell that diagonal u-v (u < v) crosses, or None for an orthogonal edge."""
    (r0, c0), (r1, c1) = divmod(u, cols), divmod(v, cols)
    if r0 == r1 or c0 == c1:
        return None
    a, b = r0 * cols + c1, r1 * cols + c0
    return min(a, b), max(a, b)


def _label_t(u: int, v: int, cols: int, edge_set: set[tuple[int, int]]) -> float:
    """Where along u-v its weight goes: the middle, except for crossing diagonals, which share the middle.

    Of two crossing diagonals, the one going down-right puts its label a third of the way from its upper
    end and the one going down-left two thirds of the way, so the two labels sit one above the other."""
    other = _crossing(u, v, cols)
    if other is None or other not in edge_set:
        return 0.5
    return 1 / 3 if (v % cols) > (u % cols) else 2 / 3


def _label_size(geo: _Geometry, size: int) -> int:
    return max(11, min(round(geo.cell * 0.19), size // 22))


def weight_labels(data: dict[str, Any], geo: _Geometry, size: int) -> list[tuple[float, float, str, int]]:
    """(x, y, text, edge index) of every weight label: on its edge, where `_label_t` puts it."""
    cols, edges = data["columns"], data["edges"]
    edge_set = {(u, v) for u, v, _ in edges}
    out = []
    for i, (u, v, w) in enumerate(edges):
        f = _label_t(u, v, cols, edge_set)
        (x0, y0), (x1, y1) = geo.xy(u), geo.xy(v)
        out.append((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, str(w), i))
    return out


def label_rect(x: float, y: float, text: str, font_size: int, pad: int = LABEL_PAD) -> tuple[int, int, int, int]:
    """The box `draw.draw_label` fills for this label (for the overlap checks)."""
    w, h = draw.text_size(text, font_size)
    x, y = round(x), round(y)
    return x - w // 2 - pad, y - h // 2 - pad, x + (w + 1) // 2 + pad, y + (h + 1) // 2 + pad


def _render(data: dict[str, Any], state: tuple[int, ...] | None, size: int) -> Image.Image:
    n, cols, edges = data["n"], data["columns"], data["edges"]
    s, t = data["source"], data["target"]
    geo = _Geometry(n, cols, size)
    image = Image.new("RGB", (size, size), draw.WHITE)
    pen = ImageDraw.Draw(image)
    line_w = max(2, round(geo.radius / 8))
    walk_edges = set()
    if state is not None:
        walk_edges = {(min(a, b), max(a, b)) for a, b in pairwise(state)}
    for u, v, _ in edges:  # the walk first, as a wide halo under its edges
        if (u, v) in walk_edges:
            pen.line(_seg(geo, u, v), fill=WALK_HALO, width=line_w * 5)
    colors = _edge_colors(edges, cols)
    for (u, v, _), color in zip(edges, colors):
        pen.line(_seg(geo, u, v), fill=color, width=line_w)
    label_size = _label_size(geo, size)
    for x, y, text, i in weight_labels(data, geo, size):
        draw.draw_label(pen, (x, y), text, label_size, fill=colors[i], pad=LABEL_PAD)
    node_size = round(geo.radius * 0.95)
    for node in range(n):
        x, y = geo.xy(node)
        fill = START_FILL if node == s else TARGET_FILL if node == t else draw.LIGHT_BLUE
        rad = geo.radius
        if state is not None and node == state[-1]:  # the walker: a thick ring around the current node
            pen.ellipse(_box(x, y, rad + ring_width(rad)), fill=draw.ENTERED)
        pen.ellipse(_box(x, y, rad), fill=fill, outline=draw.DARK_BLUE, width=max(2, round(rad / 10)))
        text = str(node)
        draw.draw_text(pen, (x, y), text, draw.fit_font_size(text, rad * 1.5, rad * 1.3, node_size))
    cap = max(12, round(size * 0.036))
    line_h = round(size * 0.055)
    caption = f"shortest distance from node {s} (green) to node {t} (red)"
    draw.draw_text(pen, (size / 2, line_h * 0.6), caption, draw.fit_font_size(caption, size * 0.95, line_h, cap))
    if state is not None:
        walk = _walk_caption(state, size * 0.95, cap)
        draw.draw_text(pen, (size / 2, line_h * 1.5), walk, draw.fit_font_size(walk, size * 0.95, line_h, cap),
                       draw.ENTERED)
    return image


def ring_width(radius: float) -> float:
    """Width of the ring that marks the walker's node (thin enough to clear the nearest weight labels)."""
    return max(3.0, radius * 0.22)


def _walk_caption(state: tuple[int, ...], width: float, size: int) -> str:
    """`walk: 0 - 1 - 4   (at node 4)`, dropping the oldest steps while it is too wide to read.

    (The kit's font has no arrow or ellipsis glyph, so plain ASCII.)"""
    nodes = list(map(str, state))
    for skip in range(len(nodes)):
        shown = (["..."] if skip else []) + nodes[skip:]
        text = f"walk: {' - '.join(shown)}   (at node {state[-1]})"
        if draw.text_size(text, size)[0] <= width:
            return text
    return f"walk: ... - {state[-1]}   (at node {state[-1]})"


def _seg(geo: _Geometry, u: int, v: int) -> tuple[int, int, int, int]:
    (x0, y0), (x1, y1) = geo.xy(u), geo.xy(v)
    return round(x0), round(y0), round(x1), round(y1)


def _box(x: float, y: float, r: float) -> tuple[int, int, int, int]:
    return round(x - r), round(y - r), round(x + r), round(y + r)
