"""Shortest Distance (MM-HELIX `shortest_distance_weighted`): the minimum total weight of an s-t path.

The graph is the MM-HELIX grid graph (spec 1.3, G1): nodes on a grid, every orthogonal neighbour joined,
the diagonals of a fixed DFS spanning tree, and a few random diagonals; integer weights on every edge.
Step mode is a walk from s: `go V` along an edge, `back` to undo, `submit` at t answers the walk's weight.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.graphs import dfs_tree, dijkstra, grid_columns, path_to
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, TraceEvent, Verdict
from helix_gym.tasks.graphs._walk import WalkClicks

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
_QUERY = re.compile(r"from node (\d+) to node (\d+)", re.I)
_GO = re.compile(r"^(?:go|move|walk)(?: to)?(?: node)? (\d+)$")

START_FILL: draw.Color = (150, 220, 160)
TARGET_FILL: draw.Color = (245, 160, 150)


def level_params(level: int) -> tuple[int, tuple[int, int], float, tuple[int, ...], tuple[int, int]]:
    """The ladder row of `level`; levels past 5 use level x level grids with the level-5 settings scaled."""
    if level in LADDER:
        return LADDER[level]
    side = level
    scale = (side - 1) / 4
    return side * side, (1, 10), 0.1, tuple(round(x * scale) for x in _L5_MIN), (side + 1, 3 * side)


def build_graph(rng: np.random.Generator, n: int, cols: int, p: float, weights: tuple[int, int]) -> list[list[int]]:
    """One random graph of spec 1.3 with alpha=10, beta=1, gamma=0: sorted [[u, v, w], ...].

    Every orthogonal pair is an edge (alpha * p >= 1) and knight-like pairs never are (gamma = 0), so only
    the diagonals are drawn: per diagonal, step B (p) and then step C (0.3 p) together. That is the order
    of `graphs.build_grid_graph` in distribution, not draw for draw; it is kept so seeds keep their instances."""
    joined = set(dfs_tree(n, cols))
    for u, v in graphs.adjacent_pairs(n, cols):
        if graphs.pair_kind(u, v, cols) == graphs.ORTHOGONAL:
            joined.add((u, v))
        elif (u, v) not in joined and (rng.random() < p or rng.random() < graphs.RESTRICTED_FACTOR * p):
            joined.add((u, v))
    pairs = sorted(joined)
    ws = rng.integers(weights[0], weights[1] + 1, size=len(pairs))
    return [[u, v, int(w)] for (u, v), w in zip(pairs, ws)]


def adjacency_text(n: int, edges: list[list[int]]) -> str:
    """The official adjacency-list notation: one `u: [(v, w), ...]` line per node."""
    return graphs.adjacency_text(graphs.weighted_neighbours(n, edges))


@register_task
class ShortestDistance(WalkClicks):
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
            shown = shown_number(value)
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
        out = [f"go {v}" for v in graphs.neighbours(puzzle.data["n"], puzzle.data["edges"])[u]]
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
    def picture(self, data: dict[str, Any], size: int) -> GraphPicture:
        return picture(data, size)

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
        data = self._data(n, edges, source, target, int(dist[target]))
        return Puzzle(self.name, self.record_level(record), data, self.record_seed(record))


def _parse_adjacency(text: str) -> tuple[list[list[int]], int]:
    """Sorted [[u, v, w], ...] and the node count from `u: [(v, w), ...]` lines; both directions must agree."""
    try:
        adj = graphs.parse_adjacency(text)
        edges = graphs.adjacency_edges(adj)
    except ValueError as err:
        raise RecordError(f"ShortestDistance: {err} (expected an adjacency list `u: [(v, w), ...]`)") from err
    if not edges or any(len(e) != 3 for e in edges):
        raise RecordError("ShortestDistance: no weighted adjacency list `u: [(v, w), ...]` in the record")
    return edges, graphs.node_count(adj)


# ---- drawing -----------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _picture(n: int, cols: int, edges: tuple[tuple[int, int, int], ...], size: int) -> GraphPicture:
    """The laid-out graph (cached: a step-mode episode redraws the same graph at every step).

    The caption band always has room for two lines (the query and, in step mode, the walk), so nodes stay
    put between the question picture and step-mode pictures, and `cell_at` needs no state."""
    return GraphPicture(graphs.grid_positions(n, cols), edges, labels=[str(w) for _, _, w in edges], size=size,
                        caption_lines=2)


def picture(data: dict[str, Any], size: int = 512) -> GraphPicture:
    """The GraphPicture of an instance at `size` px: node pixels, radius, label boxes, `node_at`."""
    return _picture(data["n"], data["columns"], tuple(tuple(e) for e in data["edges"]), size)


def _render(data: dict[str, Any], state: tuple[int, ...] | None, size: int) -> Image.Image:
    s, t = data["source"], data["target"]
    pic = picture(data, size)
    caption = [(f"shortest distance from node {s} (green) to node {t} (red)", draw.BLACK)]
    if state is not None:
        cap = max(12, round(size * 0.036))
        caption.append((_walk_caption(state, size * 0.95, cap), draw.ENTERED))
    return pic.render(fills={s: START_FILL, t: TARGET_FILL}, rings={state[-1]: draw.ENTERED} if state else None,
                      halo=pic.walk_edges(state or ()), caption=caption)


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
