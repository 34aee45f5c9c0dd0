"""Max Flow (MM-HELIX `max_flow`): the value of a maximum flow from the source to the sink of a layered DAG.

The graph (spec G2) has layers of 1-2-1 up to 1-3-4-4-3-1 nodes, numbered layer by layer; arcs run only from
one layer to the next, and integer capacities 1-10 are "balanced" so that a node's out-capacity roughly
follows its in-capacity. The answer is one integer; `verify` compares it with Edmonds-Karp's value and says
whether it is too large or too small without telling the value.

Step mode (augmenting paths): the position is the flow on every arc, starting at zero.
- `path 0 2 5 7` pushes the path's bottleneck along it; `push 0 2 5 7 by 3` (also `augment ... by 3`,
  `push 3 along 0 2 5 7`) pushes 3 units. Each step must follow an arc with spare capacity, or go backwards
  along an arc that carries flow (cancelling some of it); the path runs from the source to the sink and
  visits no node twice.
- `submit` answers the value of the current flow. The game never ends by itself when the flow becomes
  maximum: that would tell that it is.
"""

from __future__ import annotations

import re
from collections import deque
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> nodes per layer (the source layer first, the sink layer last)
LAYERS: dict[int, tuple[int, ...]] = {1: (1, 2, 1), 2: (1, 2, 2, 1), 3: (1, 2, 3, 2, 1), 4: (1, 3, 3, 3, 1),
                                      5: (1, 3, 4, 4, 3, 1)}
CAPACITY = (1, 10)
EXTRA_ARC = 0.3  # probability of each further arc between consecutive layers
SWING = 5  # a middle node's out-capacity total is its in-capacity total +- up to this
_QUERY = re.compile(r"from node (\d+) to node (\d+)", re.I)
_PUSH_ALONG = re.compile(r"^(?:push|send|augment)\s+(\d+)\s*(?:units?\s*)?(?:along|on|via|through)\s+(?:path\s+)?(.+)$")
_PUSH = re.compile(r"^(?:augment|push|send|path)\b\s*:?\s*(?:along\s+)?(?:path\s+)?(.+?)"
                   r"(?:\s*(?:\bby\b|\bamount\b|\bunits?\b|=|:)\s*(\d+)\s*(?:units?)?)?$")

SOURCE_FILL: draw.Color = (150, 220, 160)
SINK_FILL: draw.Color = (245, 160, 150)

Arc = tuple[int, int, int]  # u, v, capacity


# ---- the graph -----------------------------------------------------------------------------------------------
def _split(total: int, count: int) -> list[int]:
    """`total` shared by `count` arcs as evenly as integers allow (the first ones get the remainder), each
    clamped to the capacity range."""
    lo, hi = CAPACITY
    base, extra = divmod(total, count)
    return [max(lo, min(hi, max(lo, base) + (i < extra))) for i in range(count)]


def build_network(rng: np.random.Generator, sizes: tuple[int, ...]) -> list[list[int]]:
    """One layered DAG of spec G2 with balanced capacities: sorted [[u, v, capacity], ...].

    Per pair of consecutive layers: every node of the next layer gets an arc from a shuffled round-robin
    of this layer, every node of this layer without an arc gets one to a random next-layer node, then every
    other pair is joined with probability 0.3. Capacities: each node's out-arcs share a random target
    throughput (more for busier nodes); then, layer by layer, each middle node's out-arcs are reset to share
    its in-capacity total give or take SWING."""
    layers, start = [], 0
    for count in sizes:
        layers.append(list(range(start, start + count)))
        start += count
    n = start
    out: list[list[int]] = [[] for _ in range(n)]  # heads in insertion order (the order capacities are split)
    for here, there in pairwise(layers):
        order = [here[int(i)] for i in rng.permutation(len(here))]
        for k, v in enumerate(there):
            out[order[k % len(order)]].append(v)
        for u in here:
            if not out[u]:
                out[u].append(there[int(rng.integers(len(there)))])
        for u in here:
            for v in there:
                if v not in out[u] and rng.random() < EXTRA_ARC:
                    out[u].append(v)
    indeg = [0] * n
    for heads in out:
        for v in heads:
            indeg[v] += 1
    lo, hi = CAPACITY
    caps: list[list[int]] = [[] for _ in range(n)]
    targets = [int(int(rng.integers(2 * lo, 2 * hi + 1)) * (1 + (indeg[u] + len(out[u]) - 1) * 0.5))
               for layer in layers for u in layer]
    for u in range(n):
        if out[u]:
            caps[u] = _split(targets[u], len(out[u]))
    for layer in layers[1:-1]:
        for u in layer:
            if indeg[u] and out[u]:
                inflow = sum(c for w in range(n) for v, c in zip(out[w], caps[w]) if v == u)
                total = inflow + int(rng.integers(-SWING, SWING + 1))
                total = max(lo * len(out[u]), min(hi * len(out[u]), total))
                caps[u] = _split(total, len(out[u]))
    return sorted([u, v, c] for u in range(n) for v, c in zip(out[u], caps[u]))


def residual_steps(n: int, arcs: list[list[int]]) -> list[list[tuple[int, int, int]]]:
    """Per node u, the residual steps out of it as (v, arc index, direction): +1 along arc u->v, -1 back
    along arc v->u; sorted by v (the order Edmonds-Karp tries them)."""
    steps: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for i, (u, v, _) in enumerate(arcs):
        steps[u].append((v, i, 1))
        steps[v].append((u, i, -1))
    for row in steps:
        row.sort()
    return steps


def spare(arcs: list[list[int]], flow: tuple[int, ...], i: int, direction: int) -> int:
    """What a residual step can still carry: spare capacity forwards, the arc's flow backwards."""
    return arcs[i][2] - flow[i] if direction > 0 else flow[i]


def augmenting_path(n: int, arcs: list[list[int]], flow: tuple[int, ...], s: int,
                    t: int) -> tuple[list[tuple[int, int, int]], list[bool]]:
    """A shortest augmenting path (BFS, smallest node first) as [(node, arc, direction), ...] from s to t
    (empty if none), and the set of nodes the search reached (the source side of a minimum cut when empty)."""
    steps = residual_steps(n, arcs)
    came: list[tuple[int, int, int] | None] = [None] * n
    seen = [False] * n
    seen[s] = True
    queue = deque([s])
    while queue and not seen[t]:
        u = queue.popleft()
        for v, i, d in steps[u]:
            if not seen[v] and spare(arcs, flow, i, d) > 0:
                seen[v] = True
                came[v] = (u, i, d)
                queue.append(v)
    if not seen[t]:
        return [], seen
    path = []
    v = t
    while v != s:
        u, i, d = came[v]
        path.append((v, i, d))
        v = u
    return path[::-1], seen


def edmonds_karp(n: int, arcs: list[list[int]], s: int, t: int) -> tuple[int, list[tuple[list[int], int]], tuple]:
    """The maximum flow value, the augmenting paths taken ([nodes], amount) and the final arc flows."""
    flow = tuple([0] * len(arcs))
    taken = []
    while True:
        path, _ = augmenting_path(n, arcs, flow, s, t)
        if not path:
            break
        amount = min(spare(arcs, flow, i, d) for _, i, d in path)
        flow = push(flow, path, amount)
        taken.append(([s] + [v for v, _, _ in path], amount))
    return sum(a for _, a in taken), taken, flow


def push(flow: tuple[int, ...], path: list[tuple[int, int, int]], amount: int) -> tuple[int, ...]:
    """The arc flows after sending `amount` along the residual steps of `path`."""
    out = list(flow)
    for _, i, d in path:
        out[i] += d * amount
    return tuple(out)


def flow_value(arcs: list[list[int]], flow: tuple[int, ...], s: int) -> int:
    """Net flow out of the source."""
    return sum(f for (u, _, _), f in zip(arcs, flow) if u == s) - sum(f for (_, v, _), f in zip(arcs, flow) if v == s)


def layer_of(n: int, arcs: list[list[int]]) -> list[int]:
    """Each node's layer: the longest arc path reaching it (the generator's layer index; any DAG works)."""
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, v, _ in arcs:
        preds[v].append(u)
    layer = [-1] * n

    def depth(v: int) -> int:  # graphs are tiny and acyclic (checked on load): plain memoised recursion
        if layer[v] < 0:
            layer[v] = max((depth(u) + 1 for u in preds[v]), default=0)
        return layer[v]

    for v in range(n):
        depth(v)
    return layer


def adjacency_text(n: int, arcs: list[list[int]]) -> str:
    """The official notation: one `u: [(v,c), ...]` line per node, `[]` for the sink."""
    return graphs.adjacency_text(graphs.weighted_neighbours(n, arcs, directed=True), pair_sep=",")


def _is_acyclic(n: int, arcs: list[list[int]]) -> bool:
    indeg = [0] * n
    succ = graphs.neighbours(n, arcs, directed=True)
    for _, v, _ in arcs:
        indeg[v] += 1
    ready = [v for v in range(n) if not indeg[v]]
    done = 0
    while ready:
        u = ready.pop()
        done += 1
        for v in succ[u]:
            indeg[v] -= 1
            if not indeg[v]:
                ready.append(v)
    return done == n


@register_task
class MaxFlow(Task):
    """Max Flow: the value of a maximum flow from the source to the sink of a layered DAG with capacities.

    Step grammar (augmenting paths; the position is the flow on every arc, all zero at the start):
    - `path V0 V1 ... Vk`: push the bottleneck along the path (V0 = source, Vk = sink, no node twice; each
      step follows an arc with spare capacity or goes back along an arc carrying flow);
    - `push V0 ... Vk by K` (also `augment ... by K`, `push K along V0 ... Vk`): push K units, 1 <= K <= the
      bottleneck;
    - `undo` / `restart` (the env); `submit`: answer the value of the current flow (never automatic).
    """

    name = "MaxFlow"
    key = "max_flow"
    category = "graphs"
    score_function = "simple_str_match"
    step_help = (
        "path V0 V1 ... Vk: push as much flow as fits along the path from the source V0 to the sink Vk (each step "
        "follows an arc with spare capacity, or goes back along an arc that carries flow)\n"
        "push V0 V1 ... Vk by K: push K units along the path instead\n"
        "submit: answer with the value of the current flow"
    )
    answer_help = "one integer: the value of a maximum flow from the source node to the sink node"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        sizes = LAYERS[self.check_level(level)]
        arcs = build_network(rng, sizes)
        n = sum(sizes)
        return self.puzzle(level, self._data(n, arcs, 0, n - 1))

    @staticmethod
    def _data(n: int, arcs: list[list[int]], source: int, sink: int) -> dict[str, Any]:
        value, _, _ = edmonds_karp(n, arcs, source, sink)
        return {"n": n, "arcs": arcs, "source": source, "sink": sink, "max_flow": value}

    # ---- solving ---------------------------------------------------------------------------------------
    def _run(self, puzzle: Puzzle) -> tuple[int, list[tuple[list[int], int]], tuple]:
        d = puzzle.data
        return edmonds_karp(d["n"], d["arcs"], d["source"], d["sink"])

    def solve(self, puzzle: Puzzle) -> str:
        return str(self._run(puzzle)[0])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"path {' '.join(map(str, nodes))}" for nodes, _ in self._run(puzzle)[1]] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        n, arcs, s, t = d["n"], d["arcs"], d["source"], d["sink"]
        events = [TraceEvent("read", note=(
            f"A directed graph with {n} nodes and {len(arcs)} arcs with capacities; find the maximum flow from "
            f"node {s} to node {t}. Edmonds-Karp: start from zero flow and repeatedly push flow along a shortest "
            "path in the residual graph (arcs with spare capacity forwards, arcs with flow backwards)."),
            state_text=adjacency_text(n, arcs))]
        flow = tuple([0] * len(arcs))
        total = 0
        while True:
            path, seen = augmenting_path(n, arcs, flow, s, t)
            if not path:
                break
            amount = min(spare(arcs, flow, i, dd) for _, i, dd in path)
            narrow = min(path, key=lambda step: spare(arcs, flow, step[1], step[2]))
            nodes = [s] + [v for v, _, _ in path]
            back = [f"{arcs[i][0]}->{arcs[i][1]}" for _, i, dd in path if dd < 0]
            flow = push(flow, path, amount)
            total += amount
            u, v, _ = arcs[narrow[1]]
            limit = f"arc {u}->{v} with {amount} to spare" if narrow[2] > 0 else \
                f"the flow of {amount} on arc {u}->{v} that it cancels"
            cancel = f", cancelling flow on {', '.join(back)}" if back else ""
            note = (f"Shortest augmenting path {' -> '.join(map(str, nodes))}; its bottleneck is {limit}, so push "
                    f"{amount}{cancel}. The flow is now {total}.")
            events.append(TraceEvent("deduce", move=f"path {' '.join(map(str, nodes))}", note=note,
                                     state_text=_flow_text(n, arcs, flow)))
        side = [v for v in range(n) if seen[v]]
        cut = [a for a in arcs if seen[a[0]] and not seen[a[1]]]
        events.append(TraceEvent("check", note=(
            f"No augmenting path is left: from node {s} the residual graph reaches only nodes "
            f"{', '.join(map(str, side))}. The arcs leaving that set ("
            + ", ".join(f"{u}->{v}:{c}" for u, v, c in cut)
            + f") are all full and their capacities add up to {sum(c for _, _, c in cut)}, the value of the flow, "
            "so no flow is larger.")))
        events.append(TraceEvent("answer", move=str(total), note=f"The maximum flow is {total}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, parse_number(str(answer)))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the maximum flow value")

    def _judge(self, puzzle: Puzzle, value: Fraction | None) -> Verdict:
        """Compare one number with the maximum flow; say which way it is wrong without telling the value."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the maximum flow value")
        d = puzzle.data
        best = d["max_flow"] if "max_flow" in d else int(self.solve(puzzle))
        if value == best:
            return Verdict.ok(parsed=int(value))
        s, t = d["source"], d["sink"]
        shown = shown_number(value)
        if value.denominator != 1:
            return Verdict.wrong(f"{shown} is not a whole number, but with integer capacities the maximum flow is "
                                 "an integer", parsed=shown)
        if value < 0:
            return Verdict.wrong(f"{shown} is negative, but a flow value cannot be", parsed=shown)
        if value > best:
            return Verdict.wrong(f"no flow of value {shown} from node {s} to node {t} exists: some set of arcs "
                                 "separating them has a smaller total capacity", parsed=shown)
        return Verdict.wrong(f"a flow of value {shown} exists, but it is not maximum: more flow can reach node {t}",
                             parsed=shown)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return str(int(rng.integers(1, 31)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        s, t = d["source"], d["sink"]
        rules = ("A flow sends an amount along each arc, never more than the arc's capacity, and every node other "
                 "than the source and the sink passes on exactly as much as it receives. Its value is the net amount "
                 f"leaving the source.\nFind the value of a maximum flow from node {s} to node {t}. Give it as a "
                 "single integer.")
        if modality == "image":
            return ("The picture shows a directed graph drawn in layers from left to right. Each numbered circle is a "
                    "node, each arrow is an arc, and the number on an arrow is its capacity, a positive integer. "
                    f"The source, node {s}, is filled green and the sink, node {t}, red.\n{rules}")
        return ("Here is a directed graph with integer arc capacities, written as an adjacency list: the line of "
                "node u lists each arc u -> v leaving it as a pair (v,c), c being the capacity of that arc; a node "
                f"without outgoing arcs has an empty list.\n{adjacency_text(d['n'], d['arcs'])}\n{rules}")

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        s, t = d["source"], d["sink"]
        pic = picture(d, size, state is not None)
        caption = [(f"maximum flow from node {s} (green, source) to node {t} (red, sink)", draw.BLACK)]
        if state is None:
            caption.append(("the number on each arrow is its capacity", draw.BLACK))
            return pic.render(fills={s: SOURCE_FILL, t: SINK_FILL}, caption=caption)
        caption.append(("each arrow shows flow/capacity; arcs with flow are highlighted", draw.ENTERED))
        text = {i: f"{f}/{c}" for i, (f, (_, _, c)) in enumerate(zip(state, d["arcs"]))}
        return pic.render(fills={s: SOURCE_FILL, t: SINK_FILL}, halo=[i for i, f in enumerate(state) if f],
                          edge_text=text, caption=caption)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return tuple([0] * len(puzzle.data["arcs"]))

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        nodes, amount = _parse_push(normalize_command(move))
        path = self._steps(puzzle, state, nodes)
        d = puzzle.data
        room = min(spare(d["arcs"], state, i, dd) for _, i, dd in path)
        if amount is None:
            amount = room
        elif amount < 1:
            raise InvalidMove("the amount to push must be at least 1")
        elif amount > room:
            raise InvalidMove(f"at most {room} can be pushed along this path (its narrowest step has {room} to "
                              "spare)")
        return push(state, path, amount)

    def _steps(self, puzzle: Puzzle, state: tuple[int, ...], nodes: list[int]) -> list[tuple[int, int, int]]:
        """The residual steps of an augmenting path, or InvalidMove naming the rule it breaks."""
        d = puzzle.data
        n, arcs, s, t = d["n"], d["arcs"], d["source"], d["sink"]
        for v in nodes:
            if v >= n:
                raise InvalidMove(f"there is no node {v}")
        if nodes[0] != s or nodes[-1] != t:
            raise InvalidMove(f"an augmenting path runs from the source {s} to the sink {t}; this one runs from "
                              f"{nodes[0]} to {nodes[-1]}")
        repeated = sorted({v for v in nodes if nodes.count(v) > 1})
        if repeated:
            raise InvalidMove(f"node {repeated[0]} appears twice on the path")
        index = {(u, v): i for i, (u, v, _) in enumerate(arcs)}
        path = []
        for a, b in pairwise(nodes):
            if (a, b) in index:
                i = index[(a, b)]
                if arcs[i][2] - state[i] <= 0:
                    raise InvalidMove(f"arc {a}->{b} is full ({state[i]}/{arcs[i][2]})")
                path.append((b, i, 1))
            elif (b, a) in index:
                i = index[(b, a)]
                if state[i] <= 0:
                    raise InvalidMove(f"the step {a}->{b} goes back along arc {b}->{a}, which carries no flow to "
                                      "cancel")
                path.append((b, i, -1))
            else:
                raise InvalidMove(f"there is no arc between node {a} and node {b}")
        return path

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        d = puzzle.data
        n, arcs = d["n"], d["arcs"]
        residual = [[(v, spare(arcs, state, i, dd)) for v, i, dd in row if spare(arcs, state, i, dd) > 0]
                    for row in residual_steps(n, arcs)]
        return (f"{adjacency_text(n, arcs)}\nmaximum flow from node {d['source']} to node {d['sink']}\n"
                f"flow on each arc, as (v,flow/capacity):\n{_flow_text(n, arcs, state)}\n"
                "residual graph, as (v,amount that can still be sent from u to v):\n"
                f"{graphs.adjacency_text(residual, pair_sep=',')}")

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # only `submit` ends the game: ending it by itself would tell that the flow is maximum

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return [*_path_commands(_key(puzzle.data)), "submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        return str(flow_value(puzzle.data["arcs"], state, puzzle.data["source"]))

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_L{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        text = str(record.get("question_language") or "").replace("\\n", "\n")
        query = _QUERY.search(text) or _QUERY.search(str(record.get("question") or ""))
        if query is None:
            raise RecordError(f"{self.name}: no 'from node S to node T' in the record")
        try:
            adj = graphs.parse_adjacency(text)
            arcs = graphs.adjacency_edges(adj, directed=True)
        except ValueError as err:
            raise RecordError(f"{self.name}: {err} (expected an adjacency list `u: [(v,c), ...]`)") from err
        if not arcs or any(len(a) != 3 or a[2] <= 0 for a in arcs):
            raise RecordError(f"{self.name}: expected arcs with positive capacities `u: [(v,c), ...]`")
        source, sink = int(query.group(1)), int(query.group(2))
        n = max(graphs.node_count(adj), source + 1, sink + 1)
        if source == sink or not _is_acyclic(n, arcs):
            raise RecordError(f"{self.name}: the source equals the sink or the graph has a cycle")
        return Puzzle(self.name, self.record_level(record), self._data(n, arcs, source, sink), self.record_seed(record))


# ---- module helpers ----------------------------------------------------------------------------------------
def _parse_push(command: str) -> tuple[list[int], int | None]:
    """(path nodes, amount or None for the bottleneck) from a push command; InvalidMove otherwise."""
    match = _PUSH_ALONG.match(command)
    if match:
        body, amount = match.group(2), int(match.group(1))
    else:
        match = _PUSH.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:60]!r}; expected `path V0 V1 ... Vk` or "
                              "`push V0 V1 ... Vk by K`")
        body, amount = match.group(1), None if match.group(2) is None else int(match.group(2))
    try:
        nodes = graphs.parse_node_sequence(body)
    except ValueError as err:
        raise InvalidMove(f"could not read the path: {err}") from err
    if len(nodes) < 2:
        raise InvalidMove("a path needs at least two nodes")
    return nodes, amount


def _flow_text(n: int, arcs: list[list[int]], flow: tuple[int, ...]) -> str:
    rows: list[list[str]] = [[] for _ in range(n)]
    for (u, v, c), f in zip(arcs, flow):
        rows[u].append(f"({v},{f}/{c})")
    return "\n".join(f"{u}: [{', '.join(row)}]" for u, row in enumerate(rows))


def _key(d: dict[str, Any]) -> tuple[int, tuple[tuple[int, ...], ...], int, int]:
    return d["n"], tuple(tuple(a) for a in d["arcs"]), d["source"], d["sink"]


@lru_cache(maxsize=64)
def _path_commands(key: tuple[int, tuple[tuple[int, ...], ...], int, int]) -> tuple[str, ...]:
    """`path ...` for every simple source-sink path of the underlying undirected graph (each step along an arc
    or back along one), shortest first: every augmenting path any flow can have."""
    n, arcs, s, t = key
    near = graphs.neighbours(n, arcs)
    found: list[tuple[int, ...]] = []
    stack = [(s, (s,))]
    while stack:
        u, path = stack.pop()
        if u == t:
            found.append(path)
            continue
        for v in near[u]:
            if v not in path:
                stack.append((v, (*path, v)))
    found.sort(key=lambda p: (len(p), p))
    return tuple(f"path {' '.join(map(str, p))}" for p in found)


@lru_cache(maxsize=64)
def _picture(key: tuple[int, tuple[tuple[int, ...], ...], int, int], size: int, flows: bool) -> GraphPicture:
    """The laid-out network: layers left to right, each layer's nodes top to bottom by id. Labels are placed
    for capacities, or for `flow/capacity` texts in step mode (same node places, so clicks map the same)."""
    n, arcs, _, _ = key
    layer = layer_of(n, [list(a) for a in arcs])
    members: dict[int, list[int]] = {}
    for v in range(n):
        members.setdefault(layer[v], []).append(v)
    pos = {v: (float(layer[v]), k - (len(row) - 1) / 2) for row in members.values() for k, v in enumerate(row)}
    labels = [f"{c}/{c}" if flows else str(c) for _, _, c in arcs]
    return GraphPicture(pos, arcs, labels=labels, directed=True, size=size, caption_lines=2, keep_aspect=False)


def picture(data: dict[str, Any], size: int = 512, flows: bool = False) -> GraphPicture:
    """The GraphPicture of an instance (node pixels, radius, label places, `node_at`)."""
    return _picture(_key(data), size, flows)
