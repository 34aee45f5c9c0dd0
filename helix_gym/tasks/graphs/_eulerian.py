"""What EulerianPath and EulerianCycle share (MM-HELIX `eulerian_path` / `eulerian_cycle`, spec G7/G8).

The graph is the MM-HELIX grid graph (spec 1.3: alpha 1, beta 0.7, gamma 2, no degree cap). The official
generators redraw whole graphs until the degree parity happens to fit the wanted answer (about 8,400 draws per
level-5 cycle instance); here one graph is drawn and its parity repaired (spec G8.9): pairs of nodes whose
parity must change get an allowed edge (adjacent or knight-like) toggled between them, or through a third node
when their own pair is never an edge; a toggle that would disconnect the graph is not made. "No" instances
toggle edges between even nodes until enough nodes are odd. A deviation from the official distribution in
detail, not in kind: the ladder, the construction and the 75% / 25% yes / no split are the official ones.

The solver is Hierholzer's algorithm as the official generators run it: from the lowest-numbered odd node
(node 0 when every degree is even), always along the highest-numbered unused edge. It is written as circuit
splicing (walk until stuck, then detour from the latest node of the tour that still has unused edges and
splice the detour in), which gives the same walk as the stack form and reads well in a trace.

Step mode is a walk (state `Walk`): the first `go V` picks the start, each later `go V` crosses an unused edge,
`back` undoes a step (the env's undo), `no` declares that no such walk exists (then `submit`). Used edges are
drawn grey, the current node ringed, the start node green. The episode ends solved when every edge is used
(and, for the cycle, the walk is back at its start).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any, ClassVar, NamedTuple

import numpy as np
from PIL import Image

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.parse import normalize_command, says_no
from helix_gym.core.task import Puzzle, TraceEvent, Verdict
from helix_gym.tasks.graphs._walk import WalkClicks

YES_SHARE = 0.75  # official target: 75% of instances have the walk, 25% are "No"
TRIES = 50  # parity repairs that may fail (a toggle would disconnect the graph) before the graph is redrawn
SHOWN = 6  # edges or nodes named in one message before "and N more"
START_FILL: draw.Color = (150, 220, 160)
_GO = re.compile(r"^(?:go|move|walk|step)(?: to)?(?: node)? (\d+)$")
_NO = re.compile(r"^(?:declare |answer |say )?(?:no|none)(?: eulerian)?(?: path| cycle| circuit| walk)?"
                 r"(?: exists)?$")

Edge = tuple[int, int]


class Walk(NamedTuple):
    """A step-mode position: the nodes walked so far, the used edges (bit i = edge i of the sorted edge list),
    and whether the player has declared that no walk exists."""

    nodes: tuple[int, ...] = ()
    used: int = 0
    no: bool = False


# ---- graphs ------------------------------------------------------------------------------------------------
def _allowed(u: int, v: int, cols: int) -> bool:
    """Pairs the construction can ever join: adjacent cells and knight-like pairs (not far straight lines)."""
    return u != v and graphs.pair_kind(u, v, cols) != graphs.RESTRICTED


def _connected(adj: list[set[int]]) -> bool:
    seen, stack = {0}, [0]
    while stack:
        for w in adj[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == len(adj)


def _toggle(adj: list[set[int]], u: int, v: int) -> None:
    if v in adj[u]:
        adj[u].discard(v)
        adj[v].discard(u)
    else:
        adj[u].add(v)
        adj[v].add(u)


def _flip(rng: np.random.Generator, adj: list[set[int]], cols: int, a: int, b: int) -> bool:
    """Change the parity of nodes a and b (only): toggle edge a-b, or a-c and c-b through a random c, keeping
    the graph connected. Says whether it found a way."""
    n = len(adj)
    routes = [[(a, b)]] if _allowed(a, b, cols) else []
    routes += [[(a, c), (c, b)] for c in rng.permutation(n).tolist()
               if c not in (a, b) and _allowed(a, c, cols) and _allowed(c, b, cols)]
    for route in routes:
        for u, v in route:
            _toggle(adj, u, v)
        if _connected(adj):
            return True
        for u, v in route:
            _toggle(adj, u, v)
    return False


def _odd(adj: list[set[int]]) -> list[int]:
    return [u for u, row in enumerate(adj) if len(row) % 2]


def repair_parity(rng: np.random.Generator, adj: list[set[int]], cols: int, odd_range: tuple[int, int]) -> bool:
    """Toggle edges until the number of odd nodes lies in odd_range (inclusive); False if stuck."""
    lo, hi = odd_range
    for _ in range(TRIES):
        odd = _odd(adj)
        if lo <= len(odd) <= hi:
            return True
        if len(odd) > hi:  # make two odd nodes even
            a, b = (int(x) for x in rng.choice(odd, size=2, replace=False))
        else:  # make two even nodes odd
            odd_set = set(odd)
            even = [u for u in range(len(adj)) if u not in odd_set]
            a, b = (int(x) for x in rng.choice(even, size=2, replace=False))
        _flip(rng, adj, cols, a, b)
    return False


def generate_edges(rng: np.random.Generator, n: int, p: float, closed: bool) -> list[list[int]]:
    """A connected grid graph, sorted [[u, v], ...]: with the walk 75% of the time, without it otherwise."""
    yes = bool(rng.random() < YES_SHARE)
    if closed:
        odd_range = (0, 0) if yes else (2, n)
    else:
        odd_range = (0, 2) if yes else (4, n)
    while True:
        grid = graphs.build_grid_graph(rng, n, p, 1.0, 0.7, 2.0)
        adj = [set(row) for row in grid.adj]
        if repair_parity(rng, adj, grid.cols, odd_range):
            return [[u, v] for u in range(n) for v in sorted(adj[u]) if u < v]


def exists(n: int, edges: Sequence[Sequence[int]], closed: bool) -> bool:
    """Whether the walk exists: the edges are connected and 0 (cycle) or 0 or 2 (path) nodes have odd degree."""
    if not edges or not graphs.is_connected(n, edges, ignore_isolated=True):
        return False
    return len(graphs.odd_nodes(n, edges)) in ((0,) if closed else (0, 2))


def start_node(n: int, edges: Sequence[Sequence[int]]) -> int:
    """Where the official solver starts: the lowest-numbered odd node, else the lowest node with an edge."""
    odd = graphs.odd_nodes(n, edges)
    if odd:
        return odd[0]
    return min(e[0] for e in edges)


class Splice(NamedTuple):
    """One round of Hierholzer's algorithm: a walk from `node` until stuck, inserted after tour position `at`
    (-1 for the first walk)."""

    node: int
    at: int
    walk: list[int]


def hierholzer(n: int, edges: Sequence[Sequence[int]], start: int) -> tuple[list[int], list[Splice]]:
    """The Eulerian walk from `start` (the graph must have one from there) and the rounds that built it.

    Each round walks along the highest-numbered unused edge until stuck; the next round starts from the last
    node of the tour so far that still has unused edges, and its walk is spliced in there. This is the stack
    form of the algorithm (the official ground truth) written as splicing."""
    unused = [set(row) for row in graphs.neighbours(n, edges)]

    def walk_from(v: int) -> list[int]:
        out = [v]
        while unused[v]:
            w = max(unused[v])
            unused[v].discard(w)
            unused[w].discard(v)
            out.append(w)
            v = w
        return out

    tour = walk_from(start)
    rounds = [Splice(start, -1, list(tour))]
    i = len(tour) - 1
    while i >= 0:
        v = tour[i]
        if unused[v]:
            sub = walk_from(v)
            rounds.append(Splice(v, i, sub))
            tour[i + 1:i + 1] = sub[1:]
            i += len(sub) - 1
        else:
            i -= 1
    return tour, rounds


def adjacency_text(n: int, edges: Sequence[Sequence[int]]) -> str:
    """The official notation: one `u: [v, ...]` line per node."""
    return graphs.adjacency_text(graphs.neighbours(n, edges))


def _names(items: Sequence[Any], fmt: Any = str) -> str:
    shown = ", ".join(fmt(x) for x in items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _edge_name(e: Sequence[int]) -> str:
    return f"{e[0]}-{e[1]}"


# ---- checking a walk ---------------------------------------------------------------------------------------
def walk_problems(n: int, edges: Sequence[Sequence[int]], walk: list[int], closed: bool) -> list[str]:
    """Every rule the node sequence breaks, in words naming the node or edge (empty when it is an Eulerian
    path, or cycle, of the graph). A cycle may leave out the closing return to its first node."""
    noun = "cycle" if closed else "path"
    outside = sorted({v for v in walk if v >= n})
    if outside:
        return [f"node {_names(outside)} is not in the graph (its nodes are 0 to {n - 1})"]
    index = {(e[0], e[1]): i for i, e in enumerate(edges)}
    problems: list[str] = []
    if closed and len(walk) > 1 and walk[0] != walk[-1]:
        key = (min(walk[0], walk[-1]), max(walk[0], walk[-1]))
        if key in index and key not in {(min(a, b), max(a, b)) for a, b in pairwise(walk)}:
            walk = [*walk, walk[0]]  # the closing step left implicit, as in [0, 1, 2]
        else:
            problems.append(f"the walk ends at node {walk[-1]}, not back at its start node {walk[0]}")
    least = 3 if closed else 1
    if len(walk) - 1 < least:
        problems.append(f"an Eulerian {noun} needs at least {least} step{'s' * (least > 1)} "
                        f"(edges), but the answer has {max(0, len(walk) - 1)}")
    first_use: dict[int, int] = {}
    for step, (a, b) in enumerate(pairwise(walk), 1):
        i = index.get((min(a, b), max(a, b)))
        if a == b:
            problems.append(f"step {step} stays at node {a} ({a}-{a} is not an edge)")
        elif i is None:
            problems.append(f"step {step} goes from node {a} to node {b}, but {a}-{b} is not an edge")
        elif i in first_use:
            problems.append(f"edge {a}-{b} is used twice (steps {first_use[i]} and {step})")
        else:
            first_use[i] = step
    missing = [edges[i] for i in range(len(edges)) if i not in first_use]
    if missing:
        problems.append(f"{len(missing)} of the {len(edges)} edges are never used: {_names(missing, _edge_name)}")
    return problems


# ---- pictures ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _picture(n: int, cols: int, edges: tuple[Edge, ...], size: int) -> GraphPicture:
    """The laid-out graph (cached: a step-mode episode redraws it at every step). Two caption lines are always
    reserved, so nodes stay put between the question picture and step-mode pictures."""
    return GraphPicture(graphs.grid_positions(n, cols), edges, size=size, caption_lines=2)


def picture(data: dict[str, Any], size: int = 512) -> GraphPicture:
    return _picture(data["n"], data["columns"], tuple((u, v) for u, v in data["edges"]), size)


# ---- the task ----------------------------------------------------------------------------------------------
class EulerianTask(WalkClicks):
    """Both Eulerian tasks; subclasses set `closed`, `noun` and `ladder` (level -> (nodes, edge probability))."""

    category = "graphs"
    closed: ClassVar[bool] = False
    noun: ClassVar[str] = "path"
    ladder: ClassVar[dict[int, tuple[int, float]]] = {}
    undo_words = ("back",)

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n, p = self.ladder[level]
        edges = generate_edges(rng, n, p, self.closed)
        return self.puzzle(level, self._data(n, edges))

    @staticmethod
    def _data(n: int, edges: list[list[int]]) -> dict[str, Any]:
        return {"n": n, "columns": graphs.grid_columns(n), "edges": edges}

    def has_walk(self, puzzle: Puzzle) -> bool:
        d = puzzle.data
        return exists(d["n"], d["edges"], self.closed)

    def _start(self, puzzle: Puzzle) -> int:
        d = puzzle.data
        return min(e[0] for e in d["edges"]) if self.closed else start_node(d["n"], d["edges"])

    # ---- solving ---------------------------------------------------------------------------------------
    def _walk(self, puzzle: Puzzle) -> list[int] | None:
        if not self.has_walk(puzzle):
            return None
        d = puzzle.data
        return hierholzer(d["n"], d["edges"], self._start(puzzle))[0]

    def solve(self, puzzle: Puzzle) -> str:
        walk = self._walk(puzzle)
        return "No" if walk is None else str(walk)

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        walk = self._walk(puzzle)
        return ["no", "submit"] if walk is None else [f"go {v}" for v in walk]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        n, edges = d["n"], d["edges"]
        noun, closed = self.noun, self.closed
        events = [TraceEvent("read", note=(
            f"An undirected graph with {n} nodes and {len(edges)} edges. An Eulerian {noun} uses every edge "
            "exactly once" + (" and returns to where it started." if closed else "; it may start and end anywhere.")
            + " First check the degrees, then build the walk with Hierholzer's algorithm."),
            state_text=adjacency_text(n, edges))]
        deg = graphs.degrees(n, edges)
        odd = graphs.odd_nodes(n, edges)
        events.append(TraceEvent("deduce", note=(
            "Degrees: " + ", ".join(f"{u}:{k}" for u, k in enumerate(deg)) + ". "
            + (f"Odd degree at node{'s' * (len(odd) > 1)} {', '.join(map(str, odd))}." if odd
               else "Every degree is even."))))
        if not graphs.is_connected(n, edges, ignore_isolated=True):
            parts = len([p for p in graphs.connected_components(n, edges) if len(p) > 1])
            events.append(TraceEvent("deduce", note=(
                f"The edges fall into {parts} separate parts, and one walk cannot reach all of them, so no "
                f"Eulerian {noun} exists.")))
            return [*events, TraceEvent("answer", move="No", note=f"No Eulerian {noun} exists.")]
        if closed and odd:
            events.append(TraceEvent("deduce", note=(
                f"A closed walk leaves every node as often as it enters it, so every degree would have to be even; "
                f"node {odd[0]} has degree {deg[odd[0]]}, so no Eulerian cycle exists.")))
            return [*events, TraceEvent("answer", move="No", note="No Eulerian cycle exists.")]
        if len(odd) > 2:
            events.append(TraceEvent("deduce", note=(
                f"A walk enters and leaves every node it passes through equally often, so only its two ends can "
                f"have odd degree; here {len(odd)} nodes do, so no Eulerian path exists.")))
            return [*events, TraceEvent("answer", move="No", note="No Eulerian path exists.")]
        start = self._start(puzzle)
        if odd:
            why = (f"Exactly two nodes, {odd[0]} and {odd[1]}, have odd degree: the path must start at one and end "
                   f"at the other. Start at node {start}.")
        else:
            why = (f"Every degree is even and the edges are connected, so an Eulerian "
                   f"{'cycle' if closed else 'circuit'} exists; start at node {start}.")
        events.append(TraceEvent("deduce", move=f"start {start}", note=why))
        tour, rounds = hierholzer(n, edges, start)
        events.extend(self._round_events(n, edges, rounds))
        ends = (f"it starts and ends at node {start}" if tour[0] == tour[-1]
                else f"it runs from node {tour[0]} to node {tour[-1]}")
        events.append(TraceEvent("check", note=(
            f"The walk has {len(tour) - 1} steps, each along a different edge, and the graph has {len(edges)} "
            f"edges, so every edge is used exactly once; {ends}.")))
        answer = str(tour)
        events.append(TraceEvent("answer", move=answer, note=f"An Eulerian {noun}: {answer}"))
        return events

    @staticmethod
    def _round_events(n: int, edges: list[list[int]], rounds: list[Splice]) -> list[TraceEvent]:
        """One `deduce` per Hierholzer round: the first walk, then each detour and where it is spliced in."""
        out = []
        tour: list[int] = []
        used: set[Edge] = set()
        for r in rounds:
            used.update((min(a, b), max(a, b)) for a, b in pairwise(r.walk))
            left = [e for e in edges if (e[0], e[1]) not in used]
            path = " -> ".join(map(str, r.walk))
            if r.at < 0:
                tour = list(r.walk)
                note = (f"Walk from node {r.node}, each time along the unused edge to the highest-numbered "
                        f"neighbour: {path}. Stuck at node {r.walk[-1]}: all its edges are used.")
            else:
                tour[r.at + 1:r.at + 1] = r.walk[1:]
                steps = f"{r.at} step{'s' * (r.at != 1)} into the tour"
                note = (f"Going back along the tour from its end, the first node that still has unused edges is "
                        f"node {r.node} ({steps}). Detour from it until stuck: {path}; it returns to node "
                        f"{r.node}, so splice it into the tour there.")
            note += f" {len(left)} edge{'s' * (len(left) != 1)} left." if left else " No edges are left."
            state = f"tour: {' -> '.join(map(str, tour))}\nunused edges: {', '.join(map(_edge_name, left)) or 'none'}"
            out.append(TraceEvent("deduce", move=f"walk from {r.node}", note=note, state_text=state))
        return out

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, str(answer))
        except Exception:  # never raise on model text
            return Verdict.wrong("could not read the answer; expected a list of nodes such as [0, 1, 2] or No")

    def _judge(self, puzzle: Puzzle, text: str) -> Verdict:
        d = puzzle.data
        noun = self.noun
        if says_no(text):
            if self.has_walk(puzzle):
                return Verdict.wrong(f"the answer is No, but this graph has an Eulerian {noun}", parsed="No")
            return Verdict.ok(parsed="No")
        try:
            walk = graphs.parse_node_sequence(text)
        except ValueError as err:
            return Verdict.wrong(f"could not read a node sequence ({err}); expected a list such as [0, 1, 2], "
                                 "or No")
        problems = walk_problems(d["n"], d["edges"], walk, self.closed)
        return Verdict.wrong(*problems, parsed=walk) if problems else Verdict.ok(parsed=walk)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        if rng.random() < 1 - YES_SHARE:
            return "No"
        d = puzzle.data
        return str(rng.integers(d["n"], size=len(d["edges"]) + 1).tolist())

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self) -> str:
        if self.closed:
            return ("An Eulerian cycle is a closed walk that travels along every edge of the graph exactly once "
                    "and ends at the node where it started; it may pass through a node many times. Decide "
                    "whether this graph has an Eulerian cycle.")
        return ("An Eulerian path is a walk that travels along every edge of the graph exactly once; it may start "
                "and end at any nodes and may pass through a node many times. Decide whether this graph has an "
                "Eulerian path.")

    def _format(self) -> str:
        if self.closed:
            return ("If it has one, answer with the nodes in the order the cycle visits them, repeating the start "
                    "node at the end, as a list such as [0, 2, 1, 0]. If it has none, answer No.")
        return ("If it has one, answer with the nodes in the order the path visits them (one more node than "
                "there are edges) as a list such as [0, 1, 2, 0]. If it has none, answer No.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        if modality == "image":
            state = ("The picture shows an undirected graph: numbered circles are nodes, lines are edges (a line "
                     "bends around nodes it does not join; colours only tell lines apart).")
        else:
            state = ("The undirected graph is written as adjacency lists: the line u: [v, ...] lists every "
                     "neighbour v of node u.\n" + adjacency_text(d["n"], d["edges"]))
        return f"{self._rules()}\n{state}\n{self._format()}"

    def render(self, puzzle: Puzzle, state: Walk | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        pic = picture(d, size)
        title = ("Eulerian cycle: every edge once, back to the start" if self.closed
                 else "Eulerian path: every edge exactly once")
        caption = [(title, draw.BLACK)]
        fills, rings, muted = {}, {}, []
        if state is not None:
            nodes = state.nodes
            muted = [i for i in range(len(d["edges"])) if state.used >> i & 1]
            if nodes:
                fills[nodes[0]] = START_FILL
                rings[nodes[-1]] = draw.ENTERED
            caption.append((self._status(puzzle, state), draw.ENTERED))
        return pic.render(fills=fills, rings=rings, muted=muted, caption=caption)

    def _status(self, puzzle: Puzzle, state: Walk) -> str:
        total = len(puzzle.data["edges"])
        if state.no:
            return f"declared: no Eulerian {self.noun} (submit, or back)"
        if not state.nodes:
            return f"0 of {total} edges used; go V picks the start"
        used = len(state.nodes) - 1
        return f"{used} of {total} edges used; at node {state.nodes[-1]}, start {state.nodes[0]} (green)"

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> Walk:
        return Walk()

    def apply(self, puzzle: Puzzle, state: Walk, move: str) -> Walk:
        command = normalize_command(move)
        if _NO.match(command):
            if state.no:
                raise InvalidMove(f"you have already declared that no Eulerian {self.noun} exists")
            return Walk(state.nodes, state.used, True)
        match = _GO.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:40]!r}; expected `go V`, `back`, `no` or `submit`")
        if state.no:
            raise InvalidMove(f"you declared that no Eulerian {self.noun} exists: `back` to take that back, "
                              "or `submit`")
        v = int(match.group(1))
        d = puzzle.data
        if v >= d["n"]:
            raise InvalidMove(f"there is no node {v} (nodes are 0 to {d['n'] - 1})")
        if not state.nodes:
            return Walk((v,), 0, False)
        u = state.nodes[-1]
        try:
            i = d["edges"].index([min(u, v), max(u, v)])
        except ValueError:
            raise InvalidMove(f"no edge {u}-{v}") from None
        if state.used >> i & 1:
            raise InvalidMove(f"edge {u}-{v} is already used")
        return Walk((*state.nodes, v), state.used | 1 << i, False)

    def _unused(self, puzzle: Puzzle, state: Walk) -> list[list[int]]:
        return [e for i, e in enumerate(puzzle.data["edges"]) if not state.used >> i & 1]

    def state_text(self, puzzle: Puzzle, state: Walk) -> str:
        d = puzzle.data
        lines = [adjacency_text(d["n"], d["edges"])]
        if state.no:
            lines.append(f"declared: no Eulerian {self.noun} exists (submit to answer No, back to withdraw)")
        if state.nodes:
            unused = self._unused(puzzle, state)
            lines += [f"walk: {' -> '.join(map(str, state.nodes))}", f"current node: {state.nodes[-1]}",
                      f"used edges: {len(state.nodes) - 1} of {len(d['edges'])}",
                      "unused edges: " + (", ".join(map(_edge_name, unused)) or "none")]
        elif not state.no:
            lines.append("walk: (not started; the first `go V` picks the start node)")
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: Walk) -> bool:
        nodes = state.nodes
        if state.no or len(nodes) < 2 or state.used != (1 << len(puzzle.data["edges"])) - 1:
            return False
        return not self.closed or nodes[0] == nodes[-1]

    def moves(self, puzzle: Puzzle, state: Walk) -> list[str]:
        if state.no:
            return ["submit"]
        if not state.nodes:
            return [f"go {v}" for v in range(puzzle.data["n"])] + ["no"]
        u = state.nodes[-1]
        out = [f"go {e[0] + e[1] - u}" for e in self._unused(puzzle, state) if u in e]
        return [*sorted(out, key=lambda m: int(m[3:])), "no", *(["submit"] if len(state.nodes) > 1 else [])]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return [f"go {v}" for v in range(puzzle.data["n"])] + ["no", "submit"]

    def state_answer(self, puzzle: Puzzle, state: Walk) -> str:
        if state.no:
            return "No"
        if len(state.nodes) < 2:
            raise InvalidMove("nothing to submit: walk along at least one edge (go V), or declare `no`")
        return str(list(state.nodes))

    def conflicts(self, puzzle: Puzzle, state: Walk) -> list[str]:
        """Dead ends visible now: stuck at a node whose edges are all used while edges remain, or (cycle) every
        edge used but the walk is not back at its start."""
        if state.no or not state.nodes:
            return []
        u, left = state.nodes[-1], self._unused(puzzle, state)
        if left and not any(u in e for e in left):
            return [f"stuck at node {u}: all its edges are used, but {len(left)} edge{'s' * (len(left) > 1)} "
                    "are unused"]
        if not left and self.closed and u != state.nodes[0]:
            return [f"every edge is used, but the walk ends at node {u}, not at its start node {state.nodes[0]}"]
        return []

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * (len(puzzle.data["edges"]) + 1) + 20

    # ---- human play --------------------------------------------------------------------------------------
    def picture(self, data: dict[str, Any], size: int) -> GraphPicture:
        return picture(data, size)

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = {str(u): row for u, row in enumerate(graphs.neighbours(d["n"], d["edges"]))}
        index = f"{self.key}_L{puzzle.level}_{puzzle.fingerprint}"
        return self.base_record(puzzle, index=index, answer=self.solve(puzzle), difficulty=puzzle.level,
                                initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        adj = _record_adjacency(record, self.name)
        try:
            edges = graphs.adjacency_edges(adj)
        except ValueError as err:
            raise RecordError(f"{self.name}: {err}") from err
        if not edges or any(len(e) != 2 for e in edges):
            raise RecordError(f"{self.name}: the record's graph has no plain (unweighted) edges")
        data = self._data(graphs.node_count(adj), edges)
        return Puzzle(self.name, self.record_level(record), data, self.record_seed(record))


def _record_adjacency(record: dict[str, Any], name: str) -> dict[int, list]:
    """The adjacency of a record: `initial_state` (a dict, or its JSON text), else the lists in the question."""
    state = record.get("initial_state")
    if isinstance(state, str):
        try:
            state = json.loads(state)
        except ValueError:
            state = None
    try:
        if isinstance(state, dict) and state:
            return graphs.adjacency_from_state(state)
        return graphs.parse_adjacency(str(record.get("question_language") or ""))
    except (ValueError, TypeError) as err:
        raise RecordError(f"{name}: no adjacency list in the record ({err})") from err
