"""Graph Isomorphism (MM-HELIX `graph_isomorphism`): are two connected planar graphs the same graph relabelled?

Instances (spec G4): n = 6, 7, 8, 9, 10 nodes at levels 1-5. G1 is one of the official base shapes on shuffled
labels (random recursive tree, grid, caterpillar = a path with the other nodes hung on it; at level 5 also
chain and cycle; never a star, which has no partner) and, at level 5, the official extra edges (probability
0.18 per pair, degree < 3, planar, at most int(0.1 n) triangles). G2 is, with probability 1/2, G1 under a random
relabelling ("Yes"), else a relabelled *partner* ("No"): G1 changed by one to three double-edge swaps, which keep
every degree, so a "No" pair always has the same node count, edge count and degree sequence (the official set
differs in edge count 83-91% of the time), and both graphs stay connected and planar. Among up to PARTNER_TRIES
candidates the partner matching the most further invariants wins, ranked: the triangle count, then the
neighbour-degree profile (one round of colour refinement), then stable colour refinement. A G1 without any
partner is redrawn, for "Yes" instances too, so a shape never gives the answer away. The truth always comes
from the exact search below, never from the construction.

Official pair rule (spec 1.1) -> one env item per pair. VLMEvalKit lists every question twice (the two images
in both orders, identical `question_text`) and scores a pair 1 only when both rows are right. Our picture holds
both graphs on one canvas, G1 left and G2 right, and the question is symmetric, so the env plays each instance
once and its reward is that one verdict (for a model that answers consistently this equals the pair score; a
coin-flipping guesser gets 1/2 here instead of 1/4). Benchmark parity is an eval concern: an exporter must
write every instance twice (the second with the graphs swapped, same `question_text`) or VLMEvalKit forces each
singleton to 0.

Answers: the official `Yes` / `No`. After Yes a pairing G1 node -> G2 node may follow, in any common notation
(`0->3, 1->0`, `{0: 3, 1: 0}`, `[(0, 3), ...]`, `f(0)=3`, `[3, 0, ...]` indexed by G1 node, LaTeX arrows); a
bare pairing means Yes. A pairing is accepted iff it is a bijection that maps every edge onto an edge (read
either way round: a G2 -> G1 pairing proves the same); verdicts name the edge that breaks it. `No` is right
only when no isomorphism exists.

Step grammar (state = (partner of each G1 node or -1, claimed No)):
    map U V    pair node U of G1 with node V of G2 (replaces U's partner; V must be free)
    unmap U    remove U's partner
    no         claim "not isomorphic" (pairing commands are then refused until `undo`)
    submit     answers the complete pairing (Yes with it), or No after `no`
A complete pairing that preserves every edge ends the episode solved: whether a pairing is an isomorphism
can be read off the graphs, so ending then leaks nothing; an incomplete or broken pairing never ends it.
Feedback "conflicts" lists the pairs whose degrees differ and the edges the pairing breaks (the spec's `check`).
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import re
from functools import lru_cache
from itertools import combinations, pairwise
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.wording import counted

NODES = {1: 6, 2: 7, 3: 8, 4: 9, 5: 10}
# G1 base shapes per level: chains and cycles have no partner with their degree sequence, so they come only
# where extra edges follow (level 5); a star never has one (its first extra edge makes the one triangle allowed)
FAMILIES = {level: ("tree", "grid", "caterpillar") for level in (1, 2, 3, 4)}
FAMILIES[5] = ("chain", "cycle", "tree", "grid", "caterpillar")
EXTRA_PROB = 0.18  # spec G4: extra-edge probability at level 5 (both ends of degree < 3, planar)
EXTRA_DEGREE = 3
TRIANGLE_SHARE = 0.1  # extras stop once the triangle count reaches int(0.1 n): 1 at n = 10, 0 below
PARTNER_TRIES = 30
MAX_SWAPS = 3
WALKS = 40  # random multi-swap candidates after the single swaps
G1_TRIES = 60
Edge = tuple[int, int]


# ---- small graph facts -------------------------------------------------------------------------------------
def adjacency_sets(n: int, edges: list[list[int]] | list[Edge]) -> list[set[int]]:
    adj: list[set[int]] = [set() for _ in range(n)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    return adj


def triangle_count(adj: list[set[int]]) -> int:
    return sum(len(adj[u] & adj[v]) for u in range(len(adj)) for v in adj[u] if u < v) // 3


def refine(adj1: list[set[int]], adj2: list[set[int]]) -> list[tuple[list[int], list[int]]]:
    """Joint colour refinement of two graphs: round 0 colours nodes by degree, each round by (own colour,
    multiset of neighbour colours), until no class splits. Returns every round's (G1 colours, G2 colours);
    equal colours mean "alike so far", and an isomorphism can only pair nodes of equal colour."""
    nbrs = [[sorted(a) for a in adj1], [sorted(a) for a in adj2]]
    rounds = [([len(a) for a in adj1], [len(a) for a in adj2])]
    classes = len(set(rounds[0][0]) | set(rounds[0][1]))
    while True:
        sigs = [[(c[u], *sorted([c[v] for v in row])) for u, row in enumerate(nb)]
                for c, nb in zip(rounds[-1], nbrs)]
        ids = {sig: i for i, sig in enumerate(sorted(set(sigs[0]) | set(sigs[1])))}
        if len(ids) == classes:
            return rounds
        rounds.append(([ids[sig] for sig in sigs[0]], [ids[sig] for sig in sigs[1]]))
        classes = len(ids)


def first_split(rounds: list[tuple[list[int], list[int]]]) -> tuple[int, int] | None:
    """(round, colour) of the first class whose size differs between the graphs, or None (they stay alike)."""
    for r, (c1, c2) in enumerate(rounds):
        if sorted(c1) != sorted(c2):
            for colour in sorted(set(c1) | set(c2)):
                if c1.count(colour) != c2.count(colour):
                    return r, colour
    return None


def is_planar(n: int, edges: list[list[int]] | list[Edge]) -> bool:
    """Exact planarity for small graphs: a graph whose cycle rank is at most 3 is planar (K5 needs 6, K3,3 4);
    otherwise each biconnected block is embedded by Demoucron-Malgrange-Pertuiset path addition."""
    edges = [(min(u, v), max(u, v)) for u, v in edges]
    if len(edges) - n + len(graphs.connected_components(n, edges)) <= 3:
        return True
    if n >= 3 and len(edges) > 3 * n - 6:
        return False
    return all(len(block) - len({x for e in block for x in e}) + 1 <= 3 or _embeds(block)
               for block in _blocks(n, edges))


def _blocks(n: int, edges: list[Edge]) -> list[list[Edge]]:
    """Biconnected components as edge lists (Tarjan; recursion depth <= n, tiny here)."""
    adj = adjacency_sets(n, edges)
    disc, low = [-1] * n, [0] * n
    stack: list[Edge] = []
    out: list[list[Edge]] = []
    clock = [0]

    def visit(u: int, parent: int) -> None:
        disc[u] = low[u] = clock[0]
        clock[0] += 1
        for v in sorted(adj[u]):
            if disc[v] < 0:
                stack.append((u, v))
                visit(v, u)
                low[u] = min(low[u], low[v])
                if low[v] >= disc[u]:
                    block = []
                    while True:
                        e = stack.pop()
                        block.append((min(e), max(e)))
                        if e == (u, v):
                            break
                    out.append(block)
            elif v != parent and disc[v] < disc[u]:
                stack.append((u, v))
                low[u] = min(low[u], disc[v])

    for s in range(n):
        if disc[s] < 0 and adj[s]:
            visit(s, -1)
    return out


def _embeds(block: list[Edge]) -> bool:
    """DMP on a 2-connected block: embed a cycle, then repeatedly route a path of some fragment through a face
    holding all its attachments (a fragment with one such face first); no face for a fragment = not planar."""
    nodes = sorted({x for e in block for x in e})
    adj = {u: set() for u in nodes}
    for u, v in block:
        adj[u].add(v)
        adj[v].add(u)
    u0, v0 = block[0]
    cycle = _cycle_through(adj, u0, v0)
    faces = [list(cycle), list(cycle)]
    placed_nodes = set(cycle)
    placed = {frozenset(e) for e in zip(cycle, cycle[1:] + cycle[:1])}
    while len(placed) < len(block):
        choice = None
        for attach, path in _fragments(adj, placed_nodes, placed):
            fits = [i for i, f in enumerate(faces) if attach <= set(f)]
            if not fits:
                return False
            if choice is None or len(fits) < len(choice[0]):
                choice = (fits, path)
            if len(fits) == 1:
                break
        fits, path = choice
        faces[fits[0]:fits[0] + 1] = _split(faces[fits[0]], path)
        placed_nodes.update(path)
        placed.update(frozenset(e) for e in pairwise(path))
    return True


def _cycle_through(adj: dict[int, set[int]], u: int, v: int) -> list[int]:
    """A cycle through edge u-v: a BFS path v..u that does not use the edge itself."""
    prev: dict[int, int] = {v: v}
    queue = [v]
    for x in queue:
        for y in sorted(adj[x]):
            if y in prev or (x == v and y == u):
                continue
            prev[y] = x
            if y == u:
                path = [u]
                while path[-1] != v:
                    path.append(prev[path[-1]])
                return path[::-1]
            queue.append(y)
    raise ValueError("no cycle")  # cannot happen inside a 2-connected block


def _fragments(adj: dict[int, set[int]], placed_nodes: set[int], placed: set[frozenset]):
    """Each fragment's attachment set and a path through it between two of its attachments."""
    for u in sorted(placed_nodes):
        for v in sorted(adj[u]):
            if v in placed_nodes and u < v and frozenset((u, v)) not in placed:
                yield {u, v}, [u, v]
    seen: set[int] = set()
    for s in sorted(adj):
        if s in placed_nodes or s in seen:
            continue
        part, queue = {s}, [s]
        for u in queue:
            for v in adj[u]:
                if v not in placed_nodes and v not in part:
                    part.add(v)
                    queue.append(v)
        seen |= part
        attach = {v for u in part for v in adj[u] if v in placed_nodes}
        a, b = sorted(attach)[:2]
        path = _through(adj, a, b, part)
        yield attach, path


def _through(adj: dict[int, set[int]], a: int, b: int, part: set[int]) -> list[int]:
    """A path a - (nodes of `part`) - b."""
    prev: dict[int, int] = {}
    queue = []
    for v in sorted(adj[a]):
        if v in part:
            prev[v] = a
            queue.append(v)
    for u in queue:
        if b in adj[u]:
            path = [b, u]
            while path[-1] != a:
                path.append(prev[path[-1]])
            return path[::-1]
        for v in sorted(adj[u]):
            if v in part and v not in prev:
                prev[v] = u
                queue.append(v)
    raise ValueError("no path")  # a fragment of a 2-connected block has such a path


def _split(face: list[int], path: list[int]) -> list[list[int]]:
    """The two faces a path between two nodes of `face` cuts it into."""
    a, b, inner = path[0], path[-1], path[1:-1]
    i = face.index(a)
    turned = face[i:] + face[:i]
    j = turned.index(b)
    return [turned[:j + 1] + inner[::-1], [*turned[j:], a, *inner]]


# ---- construction ------------------------------------------------------------------------------------------
def base_shape(rng: np.random.Generator, n: int, family: str) -> list[Edge]:
    """One official base shape on shuffled labels (sorted (u, v) pairs, u < v)."""
    if family == "chain":
        edges = [(i, i + 1) for i in range(n - 1)]
    elif family == "star":
        edges = [(0, i) for i in range(1, n)]
    elif family == "cycle":
        edges = [(i, (i + 1) % n) for i in range(n)]
    elif family == "tree":  # random recursive tree: each node joins a uniform earlier one
        edges = [(int(rng.integers(i)), i) for i in range(1, n)]
    elif family == "grid":  # floor(sqrt n) rows, right and down links, the last row partly filled
        cols = -(-n // math.isqrt(n))
        edges = [(k, k + 1) for k in range(n - 1) if (k + 1) % cols] + [(k, k + cols) for k in range(n - cols)]
    elif family == "caterpillar":  # a path of max(2, n // 2) nodes, the rest hung on random path nodes
        spine = max(2, n // 2)
        edges = [(i, i + 1) for i in range(spine - 1)] + [(int(rng.integers(spine)), i) for i in range(spine, n)]
    else:
        raise ValueError(f"unknown shape {family!r}")
    return relabel(edges, rng.permutation(n).tolist())


def relabel(edges: list[Edge] | list[list[int]], perm: list[int]) -> list[Edge]:
    return sorted((min(perm[u], perm[v]), max(perm[u], perm[v])) for u, v in edges)


def add_extras(rng: np.random.Generator, n: int, edges: list[Edge]) -> list[Edge]:
    """Level 5's extra edges (spec G4): shuffled free pairs, each with probability 0.18 when both ends have
    degree < 3, the graph stays planar and the triangle total stays <= int(0.1 n); stop at that total."""
    limit = int(TRIANGLE_SHARE * n)
    adj = adjacency_sets(n, edges)
    pairs = [(u, v) for u, v in combinations(range(n), 2) if v not in adj[u]]
    order = rng.permutation(len(pairs)).tolist()
    draws = rng.random(len(pairs)).tolist()
    out = list(edges)
    triangles = triangle_count(adj)
    for k, i in enumerate(order):
        if triangles >= limit:
            break
        u, v = pairs[i]
        if draws[k] >= EXTRA_PROB or len(adj[u]) >= EXTRA_DEGREE or len(adj[v]) >= EXTRA_DEGREE:
            continue
        new = len(adj[u] & adj[v])
        if triangles + new > limit or not is_planar(n, [*out, (u, v)]):
            continue
        out.append((u, v))
        adj[u].add(v)
        adj[v].add(u)
        triangles += new
    return sorted(out)


def _swaps(edges: list[Edge]) -> list[tuple[int, int, Edge, Edge]]:
    """Every double-edge swap a-b, c-d -> a-c, b-d or a-d, b-c (it keeps every degree) that joins no node to
    itself and repeats no edge, as (i, j, new edge, new edge)."""
    have = set(edges)
    out = []
    for i, j in combinations(range(len(edges)), 2):
        (a, b), (c, d) = edges[i], edges[j]
        if len({a, b, c, d}) < 4:
            continue
        for x, y in (((a, c), (b, d)), ((a, d), (b, c))):
            x, y = (min(x), max(x)), (min(y), max(y))
            if x not in have and y not in have:
                out.append((i, j, x, y))
    return out


def _swapped(edges: list[Edge], swap: tuple[int, int, Edge, Edge]) -> list[Edge]:
    i, j, x, y = swap
    return sorted([e for k, e in enumerate(edges) if k != i and k != j] + [x, y])


def _candidates(rng: np.random.Generator, edges: list[Edge]):
    """Graphs with G1's degrees: every single swap in random order, then WALKS random walks of 2 to MAX_SWAPS
    swaps."""
    singles = _swaps(edges)
    for k in rng.permutation(len(singles)).tolist():
        yield _swapped(edges, singles[k])
    for _ in range(WALKS if singles else 0):
        cand = edges
        for _ in range(int(rng.integers(2, MAX_SWAPS + 1))):
            cand = _random_swap(rng, cand) or cand
        yield cand


def _random_swap(rng: np.random.Generator, edges: list[Edge]) -> list[Edge] | None:
    """One random double-edge swap, or None when the drawn one would loop or repeat an edge."""
    r = rng.random(3).tolist()
    i = int(r[0] * len(edges))
    j = int(r[1] * (len(edges) - 1))
    j += j >= i
    (a, b), (c, d) = edges[i], edges[j]
    x, y = ((a, c), (b, d)) if r[2] < 0.5 else ((a, d), (b, c))
    x, y = (min(x), max(x)), (min(y), max(y))
    if len({a, b, c, d}) < 4 or x in edges or y in edges:
        return None
    return _swapped(edges, (i, j, x, y))


def profile(adj: list[set[int]]) -> list[tuple[int, ...]]:
    """Each node's degree followed by its neighbours' sorted degrees, sorted: one round of refinement."""
    return sorted((len(a), *sorted(len(adj[v]) for v in a)) for a in adj)


def find_partner(rng: np.random.Generator, n: int, edges: list[Edge]) -> list[Edge] | None:
    """A connected planar graph with G1's degree sequence that is not isomorphic to G1, matching the most
    further invariants it can find among PARTNER_TRIES connected candidates, in this order: the triangle count,
    one round of refinement (each node's neighbour degrees), stable refinement. None if there is none."""
    adj1 = adjacency_sets(n, edges)
    triangles, shape = triangle_count(adj1), profile(adj1)
    best, best_score, seen = None, (-1,), {tuple(edges)}
    for cand in _candidates(rng, edges):
        if len(seen) > PARTNER_TRIES:
            break
        if tuple(cand) in seen or not graphs.is_connected(n, cand):
            continue
        seen.add(tuple(cand))
        adj2 = adjacency_sets(n, cand)
        alike = profile(adj2) == shape
        stable = alike and first_split(refine(adj1, adj2)) is None
        score = (triangle_count(adj2) == triangles, alike, stable)  # triangles show most: they count first
        if score <= best_score or not is_planar(n, cand) or (stable and IsoSearch(adj1, adj2).run() is not None):
            continue
        best, best_score = cand, score
        if all(score):
            break
    return best


# ---- the exact search --------------------------------------------------------------------------------------
class IsoSearch:
    """Backtracking with refinement and forward checking. Each G1 node may only go to a G2 node of its stable
    refinement class; at every step each unplaced G1 node's options are the free nodes of its class whose
    adjacency to every placed node matches (u-w an edge iff partner(u)-partner(w) is one). A node left without
    options is a dead end (the verdict names the edge it would break); otherwise the node with the fewest
    options is placed next, trying each in turn. With `events` it records the real tries, forced placements,
    dead ends and backtracks. `depth` stops at that refinement round (0: degree classes), as solve_trace does:
    the search then does the work the later rounds would have done, and shows it."""

    def __init__(self, adj1: list[set[int]], adj2: list[set[int]], events: list[TraceEvent] | None = None,
                 depth: int | None = None) -> None:
        self.adj1, self.adj2, self.events = adj1, adj2, events
        self.n = len(adj1)
        self.rounds = refine(adj1, adj2)
        self.used_rounds = self.rounds if depth is None else self.rounds[:depth + 1]
        self.colour1, self.colour2 = self.used_rounds[-1]
        self.kind = "degree" if len(self.used_rounds) == 1 else "class"  # what the trace calls a colour
        self.tries = self.dead_ends = self.backtracks = 0

    def run(self) -> list[int] | None:
        """A G1 -> G2 isomorphism as a list indexed by G1 node, or None."""
        if first_split(self.used_rounds) is not None:
            return None
        mapping = [-1] * self.n
        return list(mapping) if self._extend(mapping, [False] * self.n) else None

    def clash(self, u: int, v: int, mapping: list[int]) -> tuple[int, int] | None:
        """The first placed G1 node w (and its partner) whose adjacency to u differs from its partner's to v."""
        for w in range(self.n):
            x = mapping[w]
            if x >= 0 and (w in self.adj1[u]) != (x in self.adj2[v]):
                return w, x
        return None

    def options(self, u: int, mapping: list[int], used: list[bool]) -> list[int]:
        return [v for v in range(self.n) if self.colour2[v] == self.colour1[u] and not used[v]
                and self.clash(u, v, mapping) is None]

    def _extend(self, mapping: list[int], used: list[bool]) -> bool:
        best: tuple[tuple[int, int, int], int, list[int]] | None = None
        for u in range(self.n):
            if mapping[u] >= 0:
                continue
            opts = self.options(u, mapping, used)
            if not opts:
                self.dead_ends += 1
                if self.events is not None:
                    self._note_dead_end(u, mapping, used)
                return False
            rank = (len(opts), -sum(mapping[w] >= 0 for w in self.adj1[u]), u)
            if best is None or rank < best[0]:
                best = (rank, u, opts)
        if best is None:
            return True
        _, u, opts = best
        for v in opts:
            self.tries += 1
            mapping[u], used[v] = v, True
            if self.events is not None:
                self._note_try(u, v, opts, mapping)
            if self._extend(mapping, used):
                return True
            mapping[u], used[v] = -1, False
            self.backtracks += 1
            if self.events is not None:
                self.events.append(TraceEvent("backtrack", move=f"unmap {u}", note=(
                    f"Nothing works after {u}->{v}; take it back."), state_text=pairing_text(mapping)))
        return False

    def _note_try(self, u: int, v: int, opts: list[int], mapping: list[int]) -> None:
        if len(opts) > 1:
            kind, why = "try", (f"node {u} of G1 has the fewest options ({', '.join(map(str, opts))}: free, of its "
                                f"{self.kind} and consistent with the pairs so far); try {v}")
        else:
            kind, why = "deduce", f"node {v} is the only G2 node left that fits node {u} of G1"
        self.events.append(TraceEvent(kind, move=f"map {u} {v}", note=f"Pair {u}->{v}: {why}.",
                                      state_text=pairing_text(mapping)))

    def _note_dead_end(self, u: int, mapping: list[int], used: list[bool]) -> None:
        """Why node u has no option left: its class's G2 nodes are taken, or each breaks an edge (one named)."""
        same = [v for v in range(self.n) if self.colour2[v] == self.colour1[u]]
        free = [v for v in same if not used[v]]
        if not free:
            note = f"every G2 node of node {u}'s {self.kind} ({', '.join(map(str, same))}) is taken"
        else:
            v = free[0]
            w, x = self.clash(u, v, mapping)
            broken = (f"edge {u}-{w} of G1 would land on {v}-{x}, which is not an edge of G2" if w in self.adj1[u]
                      else f"{v}-{x} is an edge of G2 but {u}-{w} is not an edge of G1")
            others = "" if len(free) == 1 else f" (and likewise {', '.join(map(str, free[1:]))})"
            note = f"pairing it with {v} breaks an edge: {broken}{others}"
        self.events.append(TraceEvent("dead_end", note=f"Node {u} of G1 has no partner left; {note}."))


def pairing_text(mapping: list[int] | tuple[int, ...]) -> str:
    """`0->3, 1->?, ...`: the G1 -> G2 pairing so far."""
    return ", ".join(f"{u}->{'?' if v < 0 else v}" for u, v in enumerate(mapping))


def solve_graphs(n: int, g1: list[list[int]], g2: list[list[int]]) -> list[int] | None:
    return IsoSearch(adjacency_sets(n, g1), adjacency_sets(n, g2)).run()


# ---- reading answers ---------------------------------------------------------------------------------------
_NO = re.compile(r"^(?:no|false|not\s+isomorphic|non-?isomorphic|they\s+are\s+not(?:\s+isomorphic)?|"
                 r"the\s+graphs\s+are\s+not(?:\s+isomorphic)?)\b(.*)$", re.S)
_YES = re.compile(r"^(?:yes|true|isomorphic|they\s+are\s+isomorphic|the\s+graphs\s+are\s+isomorphic)\b(.*)$", re.S)
_LABELS = re.compile(r"\bg\s*_?\s*\{?\s*[12]\s*\}?|\\[a-z]+|\b(?:nodes?|vertex|vertices)\b")
_ARROW = re.compile(r"-+>|=>|→|⟶|↦|⇒|\\mapsto|\\longrightarrow|\\rightarrow|\\to\b|\\implies|"
                    r"\b(?:maps|goes|is\s+mapped|is\s+sent|is\s+paired|corresponds)?\s*\bto\b|\bwith\b")
_PAIR = re.compile(r"\(\s*(\d+)\s*\)\s*=\s*(\d+)|\(\s*(\d+)\s*,\s*(\d+)\s*\)|(\d+)\s*(?:->|:|=)\s*(\d+)")
_LIST = re.compile(r"^[\s\[\](){},;]*\d+(?:[\s,;]+\d+)*[\s\[\](){},;.]*$")


def parse_pairing(text: str, n: int) -> list[tuple[int, int]] | None:
    """G1 -> G2 pairs from `0->3, 1->0`, `{0: 3}`, `{"0": 3}`, `(0, 3), (1, 0)`, `f(0)=3`, `0 \\mapsto 3`,
    `G1 node 0 to G2 node 3`, or a bare list of n G2 nodes indexed by G1 node (`[3, 0, ...]`). Words between
    the pairs are ignored, numbers are not: a number outside every pair, or a list of the wrong length, raises
    ValueError saying so. None when the text holds no pairing (prose such as `all 10 nodes match`)."""
    text = _ARROW.sub("->", clean_latex(text).lower().replace('"', " ").replace("'", " "))
    text = _LABELS.sub(" ", text)
    found = _PAIR.findall(text)
    if found:
        stray = re.findall(r"\d+", _PAIR.sub(" ", text))
        if stray:
            raise ValueError(f"the number {stray[0]} is not part of any pair u->v of the pairing")
        return [(int(m[0] or m[2] or m[4]), int(m[1] or m[3] or m[5])) for m in found]
    if not _LIST.match(text):
        return None
    values = [int(x) for x in re.findall(r"\d+", text)]
    if len(values) != n:
        raise ValueError(f"a list pairing needs one G2 node per G1 node ({n}), got {len(values)}")
    return list(enumerate(values))


def pairing_problems(n: int, pairs: list[tuple[int, int]], adj1: list[set[int]],
                     adj2: list[set[int]]) -> tuple[list[str], list[int] | None]:
    """Violations of "a bijection that keeps every edge", and the pairing as a list when it is a bijection."""
    problems = [f"G1 has no node {u}" for u, _ in pairs if u >= n] + [f"G2 has no node {v}" for _, v in pairs if v >= n]
    if problems:
        return problems, None
    mapping = [-1] * n
    for u, v in pairs:
        if mapping[u] >= 0 and mapping[u] != v:
            problems.append(f"node {u} of G1 is paired twice (with {mapping[u]} and {v})")
        mapping[u] = v
    missing = [u for u in range(n) if mapping[u] < 0]
    if missing:
        problems.append(f"node{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of G1 "
                        f"{'have' if len(missing) > 1 else 'has'} no partner")
    owners: dict[int, list[int]] = {}
    for u, v in enumerate(mapping):
        if v >= 0:
            owners.setdefault(v, []).append(u)
    for v, us in sorted(owners.items()):
        if len(us) > 1:
            problems.append(f"nodes {', '.join(map(str, us))} of G1 all go to node {v} of G2 (not one-to-one)")
    if problems:
        return problems, None
    return broken_edges(mapping, adj1, adj2), mapping


def broken_edges(mapping: list[int] | tuple[int, ...], adj1: list[set[int]], adj2: list[set[int]],
                 limit: int = 4) -> list[str]:
    """The edges a (partial) pairing breaks, both ways: a G1 edge landing on a G2 non-edge, a G2 edge whose
    preimage is not a G1 edge (at most `limit` named, then a count)."""
    out = []
    n = len(mapping)
    for u in range(n):
        for w in range(u + 1, n):
            v, x = mapping[u], mapping[w]
            if v < 0 or x < 0 or (w in adj1[u]) == (x in adj2[v]):
                continue
            if w in adj1[u]:
                out.append(f"edge {u}-{w} of G1 maps to {v}-{x}, which is not an edge of G2")
            else:
                out.append(f"{min(v, x)}-{max(v, x)} is an edge of G2, but its preimage {u}-{w} is not an edge of G1")
    if len(out) > limit:
        out = [*out[:limit], f"and {len(out) - limit} more broken edges"]
    return out


# ---- the task ----------------------------------------------------------------------------------------------
_MAP = re.compile(r"^(?:map|pair|match|set) (?:node )?(\d+)(?: ?(?:->|to|with|=|:) ?| )(?:node )?(\d+)$")
_UNMAP = re.compile(r"^(?:unmap|unpair|clear|remove) (?:node )?(\d+)$")
_CLAIM_NO = ("no", "claim no", "not isomorphic")


@register_task
class GraphIsomorphism(Task):
    """Two graphs on one canvas; answer Yes/No, optionally with a checked pairing. See the module docstring for
    the instance ladder, the answer notations, the pair-rule decision and the step grammar:
    map U V | unmap U | no | submit."""

    name = "GraphIsomorphism"
    key = "graph_isomorphism"
    category = "graphs"
    score_function = "simple_str_match"
    paired_rows = True
    step_help = (
        "map U V: pair node U of G1 with node V of G2 (replaces U's partner; V must not be taken)\n"
        "unmap U: remove the partner of node U of G1\n"
        "no: claim the graphs are not isomorphic (then submit answers No; undo takes the claim back)\n"
        "submit: answer Yes with the pairing once every node of G1 has a partner, or No after `no`\n"
        "(a complete pairing that keeps every edge ends the game solved)"
    )
    answer_help = "Yes or No; after Yes you may add the pairing G1 node -> G2 node, e.g. Yes: 0->4, 1->2, ..."

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = NODES[level]
        families = FAMILIES[level]
        g1, partner = None, None
        for _ in range(G1_TRIES):
            g1 = base_shape(rng, n, families[int(rng.integers(len(families)))])
            if level == 5:
                g1 = add_extras(rng, n, g1)
            partner = find_partner(rng, n, g1)
            if partner is not None:
                break
        same = partner is None or rng.random() < 0.5
        g2 = relabel(g1 if same else partner, rng.permutation(n).tolist())
        return self.puzzle(level, self._data(n, g1, g2))

    @staticmethod
    def _data(n: int, g1: list, g2: list) -> dict[str, Any]:
        """Edges of both graphs (sorted [u, v], u < v) plus the solver's facts (never shown)."""
        e1 = sorted([min(e), max(e)] for e in g1)
        e2 = sorted([min(e), max(e)] for e in g2)
        mapping = solve_graphs(n, e1, e2) if len(e1) == len(e2) else None
        return {"n": n, "g1": e1, "g2": e2, "isomorphic": mapping is not None, "mapping": mapping}

    @staticmethod
    def _adj(puzzle: Puzzle) -> tuple[list[set[int]], list[set[int]]]:
        return _adjacencies(puzzle.data["n"], _key(puzzle.data["g1"]), _key(puzzle.data["g2"]))

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return "Yes" if puzzle.data["isomorphic"] else "No"

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        mapping = puzzle.data["mapping"]
        if mapping is None:
            return ["no", "submit"]
        return [f"map {u} {v}" for u, v in enumerate(mapping)]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        n, e1, e2 = d["n"], d["g1"], d["g2"]
        adj1, adj2 = self._adj(puzzle)
        events = [TraceEvent("read", note=(
            f"G1 and G2 each have {n} nodes; G1 has {len(e1)} edges and G2 has {len(e2)}. An isomorphism pairs "
            "their nodes one-to-one so that edges land exactly on edges."), state_text=graphs_text(n, e1, e2))]
        if len(e1) != len(e2):
            events.append(TraceEvent("deduce", note=(
                f"The edge counts differ ({len(e1)} against {len(e2)}), so no pairing can map edges onto edges.")))
            return self._finish(events, "No")
        # A person compares degrees, then pairs nodes of equal degree and lets the edges decide: the search shows
        # the work that further colour refinement would do silently; refinement then confirms a No.
        search = IsoSearch(adj1, adj2, events, depth=0)
        deg1, deg2 = sorted(map(len, adj1), reverse=True), sorted(map(len, adj2), reverse=True)
        events.append(TraceEvent("deduce", note=(
            f"Degree sequences: G1 {deg1}, G2 {deg2}" + (", equal." if deg1 == deg2 else
                                                         "; they differ, and a pairing keeps every degree."))))
        if deg1 != deg2:
            return self._finish(events, "No")
        classes: dict[int, tuple[list[int], list[int]]] = {}
        for u in range(n):
            classes.setdefault(search.colour1[u], ([], []))[0].append(u)
        for v in range(n):
            classes[search.colour2[v]][1].append(v)
        events.append(TraceEvent("deduce", note=(
            "Only nodes of the same degree can be paired: " + "; ".join(
                f"degree {d}: G1 {{{', '.join(map(str, a))}}} with G2 {{{', '.join(map(str, b))}}}"
                for d, (a, b) in sorted(classes.items(), reverse=True)) + ". Search: place the G1 node with the "
            "fewest options next (free, of its degree, and keeping every edge and non-edge among the pairs so "
            "far); backtrack when some node has none.")))
        mapping = search.run()
        if mapping is None:
            events.append(TraceEvent("deduce", note=(
                f"Every choice fails ({counted(search.tries, 'try')}, {counted(search.dead_ends, 'dead end')}"
                f", {counted(search.backtracks, 'backtrack')}): no pairing keeps all edges, so the graphs are not "
                "isomorphic.")))
            split = first_split(search.rounds)
            events.append(TraceEvent("check", note=(
                "Cross-check: " + self._split_note(search, split) if split is not None else
                "Cross-check: the search tried every pairing of equal degrees that keeps the edges so far, so "
                "none is left untried.")))
            return self._finish(events, "No")
        images = ", ".join(f"{u}-{w}->{mapping[u]}-{mapping[w]}" for u, w in e1)
        events.append(TraceEvent("check", note=(
            f"Pairing {pairing_text(mapping)} is one-to-one and sends every edge of G1 onto an edge of G2 "
            f"({images}); both have {len(e1)} edges, so it is an isomorphism."), state_text=pairing_text(mapping)))
        return self._finish(events, "Yes")

    @staticmethod
    def _split_note(search: IsoSearch, split: tuple[int, int]) -> str:
        """The refinement round that tells the graphs apart, in words (a round after the degrees: equal degree
        sequences are checked first)."""
        r, colour = split
        c1, c2 = search.rounds[r]
        a = [u for u in range(search.n) if c1[u] == colour]
        b = [v for v in range(search.n) if c2[v] == colour]
        example, adj = (a[0], search.adj1) if a else (b[0], search.adj2)
        kind = (f"degree {len(adj[example])} with neighbour degrees {sorted(len(adj[w]) for w in adj[example])}"
                if r == 1 else f"the neighbourhood type of node {example} of {'G1' if a else 'G2'}")
        return (f"refine by neighbourhoods (round {r}): G1 has {len(a)} node(s) of {kind} "
                f"({', '.join(map(str, a)) or 'none'}), G2 has {len(b)} ({', '.join(map(str, b)) or 'none'}). "
                "A pairing keeps neighbourhoods, so the graphs are not isomorphic.")

    @staticmethod
    def _finish(events: list[TraceEvent], answer: str) -> list[TraceEvent]:
        events.append(TraceEvent("answer", move=answer, note=f"The graphs are {'' if answer == 'Yes' else 'not '}"
                                                             "isomorphic."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, str(answer))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected Yes or No, optionally Yes followed by a pairing such as 0->3, 1->0")

    def _judge(self, puzzle: Puzzle, answer: str) -> Verdict:
        d = puzzle.data
        text = clean_latex(answer).strip().strip("`*\"' ").strip()
        if _NO.match(text.lower()):
            if d["isomorphic"]:
                return Verdict.wrong("the graphs are isomorphic: a pairing that keeps every edge exists",
                                     parsed="No")
            return Verdict.ok(parsed="No")
        yes = _YES.match(text.lower())
        try:
            pairs = parse_pairing(yes.group(1) if yes else text, d["n"])
        except ValueError as err:
            return Verdict.wrong(str(err), parsed="Yes" if yes else None)
        if pairs is not None:
            return self._judge_pairing(puzzle, pairs)
        if yes is None:
            return Verdict.wrong("expected Yes or No, optionally Yes followed by a pairing such as 0->3, 1->0")
        if not d["isomorphic"]:
            return Verdict.wrong("the graphs are not isomorphic: no pairing keeps every edge", parsed="Yes")
        return Verdict.ok(parsed="Yes")

    def _judge_pairing(self, puzzle: Puzzle, pairs: list[tuple[int, int]]) -> Verdict:
        n = puzzle.data["n"]
        adj1, adj2 = self._adj(puzzle)
        problems, mapping = pairing_problems(n, pairs, adj1, adj2)
        shown = {str(u): v for u, v in pairs}
        if not problems:
            return Verdict.ok(parsed=shown)
        if mapping is not None:  # a bijection: read the other way round, it may be a G2 -> G1 isomorphism
            inverse = [0] * n
            for u, v in enumerate(mapping):
                inverse[v] = u
            if not broken_edges(inverse, adj1, adj2):
                return Verdict.ok(parsed=shown)
        return Verdict.wrong(*problems, parsed=shown)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        kind = int(rng.integers(3))
        if kind < 2:
            return ("Yes", "No")[kind]
        perm = rng.permutation(puzzle.data["n"]).tolist()
        return "Yes: " + ", ".join(f"{u}->{v}" for u, v in enumerate(perm))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        n = d["n"]
        rules = ("G1 and G2 are isomorphic when the nodes of G1 can be paired one-to-one with the nodes of G2 so "
                 "that two nodes of G1 are joined by an edge exactly when their partners in G2 are joined. "
                 "Decide whether G1 and G2 are isomorphic.\n"
                 "Answer Yes or No. After Yes you may add the pairing, each G1 node with its G2 partner "
                 "(for example Yes: 0->4, 1->2, ...); a pairing you add is checked and must be correct.")
        if modality == "image":
            return ("The picture shows two connected, undirected, planar graphs side by side: G1 on the left and G2 "
                    f"on the right. Each has {n} nodes, drawn as circles numbered 0 to {n - 1}; each line is an "
                    "edge (a curved line is an ordinary edge bent around other nodes, and line colours carry no "
                    f"meaning).\n{rules}")
        return (f"Two connected, undirected, planar graphs G1 and G2, each with {n} nodes numbered 0 to {n - 1}, "
                "are given as adjacency lists: the line u: [v, ...] lists every neighbour v of node u.\n"
                f"{graphs_text(n, d['g1'], d['g2'])}\n{rules}")

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        return _render(puzzle.data, state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[tuple[int, ...], bool]:
        return (-1,) * puzzle.data["n"], False

    def apply(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool], move: str) -> tuple[tuple[int, ...], bool]:
        mapping, claimed = state
        n = puzzle.data["n"]
        command = normalize_command(move)
        if command in _CLAIM_NO:
            if claimed:
                raise InvalidMove("you have already claimed No; submit, or undo the claim")
            return mapping, True
        found = _MAP.match(command) or _UNMAP.match(command)
        if found is None:
            raise InvalidMove(f"unknown command {command!r}; expected `map U V`, `unmap U`, `no` or `submit`")
        if claimed:
            raise InvalidMove("you claimed No; undo the claim before changing the pairing")
        u = int(found.group(1))
        if u >= n:
            raise InvalidMove(f"G1 has no node {u} (nodes are 0 to {n - 1})")
        if found.re is _UNMAP:
            if mapping[u] < 0:
                raise InvalidMove(f"node {u} of G1 has no partner")
            return (*mapping[:u], -1, *mapping[u + 1:]), False
        v = int(found.group(2))
        if v >= n:
            raise InvalidMove(f"G2 has no node {v} (nodes are 0 to {n - 1})")
        if mapping[u] == v:
            raise InvalidMove(f"node {u} of G1 is already paired with node {v}")
        if v in mapping:
            raise InvalidMove(f"node {v} of G2 is already the partner of node {mapping.index(v)} of G1; unmap that "
                              "first")
        return (*mapping[:u], v, *mapping[u + 1:]), False

    def state_text(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool]) -> str:
        d = puzzle.data
        mapping, claimed = state
        lines = [graphs_text(d["n"], d["g1"], d["g2"]), "", f"pairing G1 -> G2: {pairing_text(mapping)}"]
        if claimed:
            lines.append("claimed: not isomorphic (submit answers No)")
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool]) -> bool:
        mapping, claimed = state
        if claimed or -1 in mapping:
            return False
        return not broken_edges(mapping, *self._adj(puzzle), limit=0)

    def moves(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool]) -> list[str]:
        mapping, claimed = state
        if claimed:
            return ["submit"]
        n = puzzle.data["n"]
        taken = set(mapping)
        out = [f"map {u} {v}" for u in range(n) for v in range(n) if v not in taken]
        out += [f"unmap {u}" for u in range(n) if mapping[u] >= 0]
        out.append("no")
        if -1 not in mapping:
            out.append("submit")
        return out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = puzzle.data["n"]
        return [f"map {u} {v}" for u in range(n) for v in range(n)] + [f"unmap {u}" for u in range(n)] + \
            ["no", "submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool]) -> str:
        mapping, claimed = state
        if claimed:
            return "No"
        missing = [str(u) for u, v in enumerate(mapping) if v < 0]
        if missing:
            raise InvalidMove(f"the pairing is incomplete: node{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(missing)} of G1 {'have' if len(missing) > 1 else 'has'} no partner; "
                              "pair them, or claim `no`")
        return "Yes: " + pairing_text(mapping)

    def conflicts(self, puzzle: Puzzle, state: tuple[tuple[int, ...], bool]) -> list[str]:
        mapping, claimed = state
        if claimed:
            return []
        adj1, adj2 = self._adj(puzzle)
        out = [f"node {u} of G1 has degree {len(adj1[u])} but its partner {v} in G2 has degree {len(adj2[v])}"
               for u, v in enumerate(mapping) if v >= 0 and len(adj1[u]) != len(adj2[v])]
        return out + broken_edges(mapping, adj1, adj2, limit=6)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 4 * puzzle.data["n"] + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        """(0, u) for node u of G1 (left), (1, v) for node v of G2 (right)."""
        layout = _layout(puzzle.data, size)
        for side, (pic, left) in enumerate(zip(layout.pictures, layout.lefts)):
            node = pic.node_at(x - left, y - layout.top)
            if node is not None:
                return side, node
        return None

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        """A digit typed on a G1 node pairs it with that G2 node (on a G2 node: that G1 node with it);
        Backspace or Delete on a G1 node unmaps it."""
        side, node = cell
        if key in ("backspace", "delete") and side == 0:
            return f"unmap {node}"
        if len(key) == 1 and key.isdigit() and int(key) < puzzle.data["n"]:
            return f"map {node} {key}" if side == 0 else f"map {key} {node}"
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        index = f"{self.key}_L{puzzle.level}_{puzzle.fingerprint}"
        return self.base_record(puzzle, index=index, answer=self.solve(puzzle), difficulty=puzzle.level)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        text = str(record.get("question_language") or record.get("question_text") or record.get("question") or "")
        try:
            blocks = graphs.parse_adjacency_blocks(text)
            if len(blocks) < 2:
                raise ValueError("expected two adjacency lists (G1 and G2)")
            e1, e2 = (graphs.adjacency_edges(b) for b in blocks[:2])
            if any(len(e) != 2 for e in e1 + e2):
                raise ValueError("edges carry weights")
        except ValueError as err:
            raise RecordError(f"{self.name}: {err}") from err
        n1, n2 = graphs.node_count(blocks[0]), graphs.node_count(blocks[1])
        if n1 != n2:
            raise RecordError(f"{self.name}: G1 has {n1} nodes but G2 has {n2}")
        return Puzzle(self.name, self.record_level(record), self._data(n1, e1, e2), self.record_seed(record))


def graphs_text(n: int, e1: list[list[int]], e2: list[list[int]]) -> str:
    """The official notation: `G1:` and its `u: [v, ...]` lines, a blank line, then `G2:` likewise."""
    return (f"G1:\n{graphs.adjacency_text(graphs.neighbours(n, e1))}\n\n"
            f"G2:\n{graphs.adjacency_text(graphs.neighbours(n, e2))}")


def _key(edges: list[list[int]]) -> tuple[tuple[int, int], ...]:
    return tuple((u, v) for u, v in edges)


@lru_cache(maxsize=256)
def _adjacencies(n: int, e1: tuple[Edge, ...], e2: tuple[Edge, ...]) -> tuple[list[set[int]], list[set[int]]]:
    """Adjacency sets of both graphs (cached: verify and step mode ask for them again and again; never mutated)."""
    return adjacency_sets(n, e1), adjacency_sets(n, e2)


# ---- drawing -----------------------------------------------------------------------------------------------
LAYOUT_STARTS = 10
LAYOUT_STEPS = 40
SPACING = 2.6  # node centres at least this many radii apart
MIN_GAP = 0.5  # nodes closer than this many ideal spacings make a layout a last resort
UNPAIRED: draw.Color = (245, 245, 245)
# one light fill per G1 node, hues spread round the colour wheel: a node and its partner share it in step mode
PAIR_FILLS: tuple[draw.Color, ...] = tuple(
    tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / 10, 0.42 if i % 2 else 0.6, 1.0)) for i in range(10))


def spring_layout(n: int, edges: list[list[int]], seed: int, aspect: float) -> dict[int, tuple[float, float]]:
    """Force-directed positions (Fruchterman-Reingold with a weak pull to the centre and no walls, so nodes
    never line up along a border) for a picture `aspect` times taller than wide: LAYOUT_STARTS random starts
    relaxed together, each then stretched to fill a 1 x aspect box (the picture does the same: an affine map
    keeps crossings as they are). Returns the stretched start that ranks best in `_best_layout`. `seed` comes
    from the graph itself, so the picture is a function of the instance."""
    rng = np.random.default_rng(seed)
    x = rng.random((LAYOUT_STARTS, n))
    y = rng.random((LAYOUT_STARTS, n))
    adj = np.zeros((n, n))
    for u, v in edges:
        adj[u, v] = adj[v, u] = 1.0
    k2 = 1.0 / n
    k = math.sqrt(k2)
    eye = np.eye(n)
    for step in range(LAYOUT_STEPS):
        temp = 0.1 * (1 - step / LAYOUT_STEPS) + 0.005
        dx = x[:, :, None] - x[:, None, :]
        dy = y[:, :, None] - y[:, None, :]
        d2 = np.maximum(dx * dx + dy * dy, 1e-6) + eye
        force = k2 / d2 * (1 - eye) - adj * np.sqrt(d2) / k
        mx = (dx * force).sum(axis=2) + 0.1 * (0.5 - x)
        my = (dy * force).sum(axis=2) + 0.1 * (0.5 - y)
        length = np.maximum(np.sqrt(mx * mx + my * my), 1e-9)
        scale = np.minimum(length, temp) / length
        x = x + mx * scale
        y = y + my * scale
    x = (x - x.min(axis=1, keepdims=True)) / np.maximum(np.ptp(x, axis=1, keepdims=True), 1e-9)
    y = (y - y.min(axis=1, keepdims=True)) / np.maximum(np.ptp(y, axis=1, keepdims=True), 1e-9) * aspect
    best = _best_layout(x, y, edges, math.sqrt(aspect / n))
    return {u: (float(x[best, u]), float(y[best, u])) for u in range(n)}


def _best_layout(x: np.ndarray, y: np.ndarray, edges: list[list[int]], k: float) -> int:
    """Index of the best start (rows of x, y): no two nodes closer than MIN_GAP k first, then the fewest
    crossings, then the fewest edges grazing a node (closer than 0.3 k to a node not on them), then the
    widest node spacing."""
    starts, n = x.shape
    ends = np.array(edges, dtype=int).reshape(-1, 2)
    ax, ay, bx, by = x[:, ends[:, 0]], y[:, ends[:, 0]], x[:, ends[:, 1]], y[:, ends[:, 1]]
    pairs = [(i, j) for i, j in combinations(range(len(edges)), 2) if not set(edges[i]) & set(edges[j])]
    crossings = np.zeros(starts)
    if pairs:
        i, j = np.array(pairs).T

        def side(q: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:  # which side of edges q points lie
            return (bx[:, q] - ax[:, q]) * (py - ay[:, q]) - (by[:, q] - ay[:, q]) * (px - ax[:, q])

        split_j = side(i, ax[:, j], ay[:, j]) * side(i, bx[:, j], by[:, j]) < 0
        split_i = side(j, ax[:, i], ay[:, i]) * side(j, bx[:, i], by[:, i]) < 0
        crossings = (split_i & split_j).sum(axis=1)
    vx, vy = bx - ax, by - ay
    length2 = np.maximum(vx * vx + vy * vy, 1e-12)[:, None, :]
    rx, ry = x[:, :, None] - ax[:, None, :], y[:, :, None] - ay[:, None, :]
    t = np.clip((rx * vx[:, None, :] + ry * vy[:, None, :]) / length2, 0.0, 1.0)
    gx, gy = rx - t * vx[:, None, :], ry - t * vy[:, None, :]
    on_edge = np.zeros((n, len(edges)), dtype=bool)
    on_edge[ends[:, 0], np.arange(len(edges))] = True
    on_edge[ends[:, 1], np.arange(len(edges))] = True
    near = ((gx * gx + gy * gy < (0.3 * k) ** 2) & ~on_edge).sum(axis=(1, 2))
    dx, dy = x[:, :, None] - x[:, None, :], y[:, :, None] - y[:, None, :]
    gap = np.sqrt((dx * dx + dy * dy + np.eye(n) * 1e9).min(axis=(1, 2)))
    return int(np.lexsort((-gap, near, crossings, gap < MIN_GAP * k))[0])


def _layout_seed(which: str, n: int, edges: tuple[Edge, ...]) -> int:
    text = f"{which}:{n}:{edges}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


class _Canvas:
    """Geometry of the two-panel picture: a title band, G1 left and G2 right, a status band at the bottom."""

    def __init__(self, n: int, e1: tuple[Edge, ...], e2: tuple[Edge, ...], size: int) -> None:
        self.size = size
        self.top = round(size * 0.08)
        self.bottom = round(size * 0.09)
        self.gap = max(6, round(size * 0.03))
        width = (size - self.gap) // 2
        height = size - self.top - self.bottom
        self.lefts = (0, size - width)
        radius = max(9.0, size * 0.03)
        self.pictures = []
        for which, edges in (("G1", e1), ("G2", e2)):
            pos = spring_layout(n, [list(e) for e in edges], _layout_seed(which, n, edges), height / width)
            pic = GraphPicture(pos, edges, width=width, height=height, node_radius=radius, margin=0.09,
                               keep_aspect=False)
            if pic.cell < SPACING * radius:  # a cramped layout: smaller discs rather than touching ones
                pic = GraphPicture(pos, edges, width=width, height=height, node_radius=pic.cell / SPACING,
                                   margin=0.09, keep_aspect=False)
            self.pictures.append(pic)


@lru_cache(maxsize=64)
def _canvas(n: int, e1: tuple[Edge, ...], e2: tuple[Edge, ...], size: int) -> _Canvas:
    return _Canvas(n, e1, e2, size)


def _layout(data: dict[str, Any], size: int) -> _Canvas:
    return _canvas(data["n"], _key(data["g1"]), _key(data["g2"]), size)


def _render(data: dict[str, Any], state: tuple | None, size: int) -> Image.Image:
    layout = _layout(data, size)
    mapping, claimed = state if state is not None else ((), False)
    fills: tuple[dict[int, draw.Color], dict[int, draw.Color]] = ({}, {})
    if state is not None:
        for u in range(data["n"]):
            v = mapping[u]
            fills[0][u] = PAIR_FILLS[u % len(PAIR_FILLS)] if v >= 0 else UNPAIRED
        for v in range(data["n"]):
            fills[1][v] = UNPAIRED
        for u, v in enumerate(mapping):
            if v >= 0:
                fills[1][v] = PAIR_FILLS[u % len(PAIR_FILLS)]
    image = Image.new("RGB", (size, size), draw.WHITE)
    pen = ImageDraw.Draw(image)
    title = max(12, round(size * 0.045))
    for side, (pic, left) in enumerate(zip(layout.pictures, layout.lefts)):
        image.paste(pic.render(fills=fills[side]), (left, layout.top))
        draw.draw_text(pen, (left + pic.width / 2, layout.top * 0.55), f"G{side + 1}", title, draw.BLACK)
    x = size / 2
    pen.line((round(x), layout.top // 3, round(x), size - layout.bottom), fill=draw.GRID_LINE, width=1)
    y = size - layout.bottom / 2
    if state is None:
        status, colour = "Are G1 and G2 isomorphic?", draw.BLACK
    elif claimed:
        status, colour = "claimed: not isomorphic", draw.ENTERED
    else:
        status = "G1->G2: " + "  ".join(f"{u}->{'?' if v < 0 else v}" for u, v in enumerate(mapping))
        colour = draw.ENTERED
    fs = draw.fit_font_size(status, size * 0.96, layout.bottom * 0.8, max(12, round(size * 0.036)))
    draw.draw_text(pen, (x, y), status, fs, colour)
    return image
