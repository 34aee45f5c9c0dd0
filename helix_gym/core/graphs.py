"""Graphs shared by the graph tasks: the MM-HELIX grid-graph construction, small algorithms, and the
adjacency-list and node-sequence notations (writing them, and reading them leniently).

Edges are `(u, v)` pairs (u < v for undirected graphs) or `[u, v, w]` triples where they carry a weight or a
capacity; nodes are 0..n-1. Randomness comes only from the `numpy.random.Generator` passed in.

The grid construction (spec 1.3): node k sits at row k // C, column k % C, C = `grid_columns(n)`;
1. a DFS from node 0 over the 8 grid neighbours (fixed direction order) gives a spanning tree, the same for
   every instance of a given n;
2. every adjacent pair not yet joined is added with probability alpha*p (orthogonal) or beta*p (diagonal);
3. every still-unjoined pair u < v is added with probability 0.3*p if it is adjacent, or gamma*p if it is
   knight-like (differs in row and column, |drow| != |dcol|); other non-adjacent pairs never are.
An optional degree cap refuses any insertion that would lift a node above it, in the tree too. Draws whose
probability is 0 or at least 1 are skipped (the outcome is certain), so only the random choices use `rng`.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from helix_gym.core.parse import clean_latex

Edge = tuple[int, int]
# the DFS visits neighbours in this order: up-left, up, up-right, left, right, down-left, down, down-right
DIRECTIONS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
ORTHOGONAL, DIAGONAL, RESTRICTED, KNIGHT = "orthogonal", "diagonal", "restricted", "knight"
RESTRICTED_FACTOR = 0.3  # step C's factor for adjacent pairs that steps A and B left unjoined


# ---- the grid ------------------------------------------------------------------------------------------------
def grid_columns(n: int) -> int:
    """Columns of the MM-HELIX graph grid for n nodes: 2, 3, 4, 5 up to 4, 9, 16, 25 nodes, then ceil(sqrt n)."""
    for limit, cols in ((4, 2), (9, 3), (16, 4), (25, 5)):
        if n <= limit:
            return cols
    return math.isqrt(n - 1) + 1


def grid_rows(n: int, cols: int | None = None) -> int:
    """Rows the n nodes fill (the last one may be partly filled)."""
    cols = cols or grid_columns(n)
    return (n + cols - 1) // cols


def grid_positions(n: int, cols: int | None = None) -> dict[int, tuple[float, float]]:
    """Abstract drawing positions: node k at (column, row), x to the right and y downwards (node 0 top left)."""
    cols = cols or grid_columns(n)
    return {k: (float(k % cols), float(k // cols)) for k in range(n)}


def pair_kind(u: int, v: int, cols: int) -> str:
    """ORTHOGONAL or DIAGONAL for adjacent cells (Chebyshev distance 1); RESTRICTED for farther pairs on a
    common row, column or 45-degree line (never joined beyond distance 1); KNIGHT for every other pair."""
    (r0, c0), (r1, c1) = divmod(u, cols), divmod(v, cols)
    dr, dc = abs(r1 - r0), abs(c1 - c0)
    if max(dr, dc) == 1:
        return ORTHOGONAL if dr == 0 or dc == 0 else DIAGONAL
    return RESTRICTED if dr == 0 or dc == 0 or dr == dc else KNIGHT


@lru_cache(maxsize=64)
def grid_neighbours(n: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """Per node, its adjacent grid cells that hold a node, in DIRECTIONS order (the DFS and repair order)."""
    out = []
    for u in range(n):
        r, c = divmod(u, cols)
        out.append(tuple((r + dr) * cols + c + dc for dr, dc in DIRECTIONS
                         if 0 <= r + dr and 0 <= c + dc < cols and (r + dr) * cols + c + dc < n))
    return tuple(out)


@lru_cache(maxsize=64)
def adjacent_pairs(n: int, cols: int) -> tuple[Edge, ...]:
    """Every adjacent pair (u, v), u < v, in the official order: by u, then right, down-left, down, down-right."""
    return tuple((u, v) for u, near in enumerate(grid_neighbours(n, cols)) for v in near if v > u)


@lru_cache(maxsize=64)
def dfs_tree(n: int, cols: int | None = None) -> tuple[Edge, ...]:
    """Step A: the DFS spanning tree from node 0 over the 8 grid neighbours (fixed for each n).

    Edges as (min, max) in the order the DFS adds them; n = 9 gives the path 0-1-2-4-3-6-7-5-8."""
    return tuple(_dfs(n, cols or grid_columns(n), None))


def _dfs(n: int, cols: int, can_add: Any) -> list[Edge]:
    """The recursive DFS of step A, iteratively; `can_add(u, v)` may refuse an edge (a degree cap)."""
    near = grid_neighbours(n, cols)
    seen = {0}
    edges: list[Edge] = []
    stack = [(0, iter(near[0]))]
    while stack:
        node, rest = stack[-1]
        for nxt in rest:
            if nxt not in seen and (can_add is None or can_add(node, nxt)):
                seen.add(nxt)
                edges.append((min(node, nxt), max(node, nxt)))
                stack.append((nxt, iter(near[nxt])))
                break
        else:
            stack.pop()
    return edges


class GridGraph:
    """A graph under construction on the MM-HELIX grid: insertion-ordered adjacency and an optional degree cap.

    Tasks with post-processing (leaf repair, density balancing) keep adding edges through `add`, which
    honours the cap like the official generators' add_edge."""

    def __init__(self, n: int, cols: int | None = None, max_degree: int | None = None) -> None:
        self.n, self.cols, self.max_degree = n, cols or grid_columns(n), max_degree
        self.adj: list[list[int]] = [[] for _ in range(n)]

    def has(self, u: int, v: int) -> bool:
        return v in self.adj[u]

    def degree(self, u: int) -> int:
        return len(self.adj[u])

    def can_add(self, u: int, v: int) -> bool:
        if u == v or v in self.adj[u]:
            return False
        return self.max_degree is None or (len(self.adj[u]) < self.max_degree and len(self.adj[v]) < self.max_degree)

    def add(self, u: int, v: int) -> bool:
        """Join u and v unless they are joined, equal, or the cap forbids it; says whether it did."""
        if not self.can_add(u, v):
            return False
        self.adj[u].append(v)
        self.adj[v].append(u)
        return True

    def kind(self, u: int, v: int) -> str:
        return pair_kind(u, v, self.cols)

    def grid_neighbours(self, u: int) -> tuple[int, ...]:
        return grid_neighbours(self.n, self.cols)[u]

    def edges(self) -> list[Edge]:
        """Sorted (u, v) pairs, u < v."""
        return sorted((u, v) for u in range(self.n) for v in self.adj[u] if u < v)

    def adjacency(self) -> list[list[int]]:
        """Sorted neighbour lists (the official `initial_state` order)."""
        return [sorted(row) for row in self.adj]


def build_grid_graph(rng: np.random.Generator, n: int, p: float, alpha: float = 1.0, beta: float = 0.7,
                     gamma: float = 2.0, *, cols: int | None = None, max_degree: int | None = None,
                     restricted: float = RESTRICTED_FACTOR) -> GridGraph:
    """Steps A-C of spec 1.3 (see the module docstring); returns the GridGraph for any post-processing.

    Defaults are the Hamiltonian/Eulerian parameters; the insertion order is the official one (it matters
    only under a degree cap)."""
    graph = GridGraph(n, cols, max_degree)
    _dfs(n, graph.cols, graph.add)  # adds as it goes, so the cap sees the tree's own edges
    kinds = {ORTHOGONAL: alpha * p, DIAGONAL: beta * p}
    step_b = [(u, v, kinds[pair_kind(u, v, graph.cols)]) for u, v in adjacent_pairs(n, graph.cols)
              if not graph.has(u, v)]
    _add_with(rng, graph, step_b)
    step_c = []
    for u in range(n):
        for v in range(u + 1, n):
            if graph.has(u, v):
                continue
            kind = pair_kind(u, v, graph.cols)
            if kind in (ORTHOGONAL, DIAGONAL):
                step_c.append((u, v, restricted * p))
            elif kind == KNIGHT:
                step_c.append((u, v, gamma * p))
    _add_with(rng, graph, step_c)
    return graph


def _add_with(rng: np.random.Generator, graph: GridGraph, candidates: list[tuple[int, int, float]]) -> None:
    """Add each (u, v, probability) candidate in order; one uniform per uncertain candidate, drawn at once."""
    uncertain = [i for i, (_, _, q) in enumerate(candidates) if 0 < q < 1]
    draws = dict(zip(uncertain, rng.random(len(uncertain)).tolist())) if uncertain else {}
    for i, (u, v, q) in enumerate(candidates):
        if q >= 1 or (i in draws and draws[i] < q):
            graph.add(u, v)


# ---- small algorithms ------------------------------------------------------------------------------------------
def neighbours(n: int, edges: Iterable[Sequence[int]], directed: bool = False) -> list[list[int]]:
    """Sorted neighbour (or successor) lists from (u, v) pairs or [u, v, w] triples."""
    adj: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        u, v = e[0], e[1]
        adj[u].append(v)
        if not directed:
            adj[v].append(u)
    for row in adj:
        row.sort()
    return adj


def weighted_neighbours(n: int, edges: Iterable[Sequence[int]], directed: bool = False) -> list[list[tuple[int, int]]]:
    """Sorted [(v, w), ...] lists from [u, v, w] triples (weights or capacities)."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
        if not directed:
            adj[v].append((u, w))
    for row in adj:
        row.sort()
    return adj


def edge_set(edges: Iterable[Sequence[int]], directed: bool = False) -> set[Edge]:
    """{(u, v)} for membership tests; undirected pairs are stored as (min, max)."""
    if directed:
        return {(e[0], e[1]) for e in edges}
    return {(min(e[0], e[1]), max(e[0], e[1])) for e in edges}


def walk_gaps(walk: Sequence[int], edges: set[Edge], directed: bool = False) -> list[Edge]:
    """The consecutive steps (a, b) of `walk` that are not edges of `edges` (an `edge_set`)."""
    if directed:
        return [(a, b) for a, b in pairwise(walk) if (a, b) not in edges]
    return [(a, b) for a, b in pairwise(walk) if (min(a, b), max(a, b)) not in edges]


def degrees(n: int, edges: Iterable[Sequence[int]]) -> list[int]:
    """Undirected degree of every node."""
    deg = [0] * n
    for e in edges:
        deg[e[0]] += 1
        deg[e[1]] += 1
    return deg


def degree_sequence(n: int, edges: Iterable[Sequence[int]]) -> list[int]:
    """Degrees sorted from largest to smallest (equal for isomorphic graphs)."""
    return sorted(degrees(n, edges), reverse=True)


def odd_nodes(n: int, edges: Iterable[Sequence[int]]) -> list[int]:
    """Nodes of odd degree, ascending (an Euler path needs 0 or 2, an Euler circuit 0)."""
    return [u for u, d in enumerate(degrees(n, edges)) if d % 2]


def bfs_distances(adj: Sequence[Sequence[int]], source: int) -> list[int]:
    """Hop counts from `source` over neighbour lists; -1 where unreachable."""
    dist = [-1] * len(adj)
    dist[source] = 0
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def connected_components(n: int, edges: Iterable[Sequence[int]]) -> list[list[int]]:
    """Components of the undirected graph (direction ignored), each sorted, ordered by smallest node."""
    adj = neighbours(n, edges)
    seen = [False] * n
    out = []
    for s in range(n):
        if not seen[s]:
            dist = bfs_distances(adj, s)
            part = [v for v in range(n) if dist[v] >= 0]
            for v in part:
                seen[v] = True
            out.append(part)
    return out


def is_connected(n: int, edges: Iterable[Sequence[int]], ignore_isolated: bool = False) -> bool:
    """One component (weakly, for directed edges); `ignore_isolated` skips degree-0 nodes (Euler tests)."""
    edges = list(edges)
    parts = connected_components(n, edges)
    if ignore_isolated:
        deg = degrees(n, edges)
        parts = [p for p in parts if len(p) > 1 or deg[p[0]] > 0]
    return len(parts) <= 1


def dijkstra(n: int, edges: Iterable[Sequence[int]], source: int,
             directed: bool = False) -> tuple[list[float], list[int], list[int]]:
    """Distances, predecessors (the first found; ties ignored) and the order in which nodes were settled."""
    adj = weighted_neighbours(n, edges, directed)
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


def path_to(pred: Sequence[int], source: int, target: int) -> list[int]:
    """The path source..target read back through a predecessor list (target must be reachable)."""
    path = [target]
    while path[-1] != source:
        path.append(pred[path[-1]])
    return path[::-1]


# ---- the adjacency-list notation -----------------------------------------------------------------------------
def adjacency_text(adj: Sequence[Sequence[int | tuple[int, int]]], pair_sep: str = ", ") -> str:
    """One `u: [...]` line per node: `u: [v, ...]` for ints, `u: [(v, w), ...]` for pairs (`pair_sep=","`
    writes MaxFlow's `(v,w)`). No trailing newline."""
    def item(x: Any) -> str:
        return f"({x[0]}{pair_sep}{x[1]})" if isinstance(x, tuple | list) else str(x)

    return "\n".join(f"{u}: [{', '.join(item(x) for x in row)}]" for u, row in enumerate(adj))


_ADJ_LINE = re.compile(r"(\d+)\s*:\s*\[([^\]]*)\]")
_PAIR = re.compile(r"\(\s*(\d+)\s*,\s*(-?\d+)\s*\)")
_BARE = re.compile(r"-?\d+")


def parse_adjacency_blocks(text: str) -> list[dict[int, list]]:
    """Every `u: [...]` line of `text`, grouped into graphs: a new graph starts when a node id repeats
    (GraphIsomorphism's `G1: ... G2: ...`). Items are ints, or (v, w) tuples where written as pairs.

    Lenient about what surrounds the lines (a question glued before them, `\\n` escapes, blank lines).
    Raises ValueError when there is no such line or a line mixes pairs and bare numbers."""
    text = str(text).replace("\\n", "\n")
    blocks: list[dict[int, list]] = []
    for match in _ADJ_LINE.finditer(text):
        u, body = int(match.group(1)), match.group(2)
        pairs = [(int(v), int(w)) for v, w in _PAIR.findall(body)]
        rest = _PAIR.sub(" ", body)
        bare = [int(x) for x in _BARE.findall(rest)]
        if pairs and bare:
            raise ValueError(f"line {u}: mixes (v, w) pairs and bare numbers")
        if not blocks or u in blocks[-1]:
            blocks.append({})
        blocks[-1][u] = pairs or bare
    if not blocks:
        raise ValueError("no adjacency list `u: [...]` found")
    return blocks


def parse_adjacency(text: str) -> dict[int, list]:
    """The first graph of `parse_adjacency_blocks` (the usual one-graph record)."""
    return parse_adjacency_blocks(text)[0]


def adjacency_from_state(state: Mapping[Any, Sequence[Any]]) -> dict[int, list[int]]:
    """An official `initial_state` dict (`{"0": [1, 2], ...}`, str or int keys) as {int: [int, ...]}."""
    return {int(k): [int(v) for v in vs] for k, vs in state.items()}


def node_count(adj: Mapping[int, Sequence[Any]]) -> int:
    """1 + the largest node id named as a key or a neighbour."""
    ids = [*adj, *(x[0] if isinstance(x, tuple | list) else x for row in adj.values() for x in row)]
    return 1 + max(ids) if ids else 0


def adjacency_edges(adj: Mapping[int, Sequence[Any]], directed: bool = False) -> list[list[int]]:
    """Sorted edges from parsed adjacency: [u, v] for bare lists, [u, v, w] for (v, w) pairs.

    Undirected edges are (min, max) and may be listed from one side or both; a self-loop, or two listings of
    one edge (or arc) that disagree on a weight, raise ValueError."""
    found: dict[Edge, int | None] = {}
    for u, row in adj.items():
        for x in row:
            v, w = (x[0], x[1]) if isinstance(x, tuple | list) else (x, None)
            if u == v:
                raise ValueError(f"self-loop at node {u}")
            key = (u, v) if directed else (min(u, v), max(u, v))
            if key in found and found[key] != w:
                what = f"arc {u}->{v} is listed twice" if directed else f"the two sides of edge {key[0]}-{key[1]}"
                raise ValueError(f"{what} with different weights")
            found[key] = w
    return [[u, v] if w is None else [u, v, w] for (u, v), w in sorted(found.items())]


# ---- node sequences in answers ---------------------------------------------------------------------------------
_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]*?(?:\s*[:=]|\s+is\b)\s*")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z_]+|\S")
_SEPARATORS = set(",;-–—−>→⇒⟶<()[]{}|/.:")
_NEGATIVE = re.compile(r"(?:^|[\[({,;>→])\s*[-−]\s*\d")


def parse_node_sequence(text: str) -> list[int]:
    """Node numbers in order from `0,1,2`, `0 -> 1 -> 2`, `[0, 1, 2]`, `(0, 1, 2)`, `0-1-2`, `Path: 0 1 2`,
    `0 \\to 1`, `[[0, 1, 2]]`; `3.0` counts as 3. Raises ValueError saying what is wrong otherwise (a word
    or symbol between the numbers, a negative or fractional number, no numbers at all)."""
    text = clean_latex(str(text)).strip()
    text = _LABEL.sub("", text, count=1)
    if _NEGATIVE.search(text):
        raise ValueError("node numbers cannot be negative")
    out = []
    for token in _TOKEN.findall(text):
        if token[0].isdecimal():
            whole, _, fraction = token.partition(".")
            if fraction.strip("0"):
                raise ValueError(f"{token} is not a node number")
            out.append(int(whole))
        elif token not in _SEPARATORS:
            raise ValueError(f"unexpected {token!r} in a node sequence")
    if not out:
        raise ValueError("no node numbers found")
    return out
