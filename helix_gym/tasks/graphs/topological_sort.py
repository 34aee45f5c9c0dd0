"""Topological Sort (MM-HELIX `topological_sort`): order all nodes of a DAG so that every arc points forwards.

The graph (spec G3) sits on the grid of spec 1.3 (6, 9, 12, 16 or 25 nodes); arcs join grid neighbours
(right/left, down/up, the two diagonals), plus a few longer extra arcs, never closing a cycle. Many orders are
valid, so `verify` checks the rules (every node exactly once, every arc u -> v with u before v) and names
each broken one. The official answer is a list (`[0, 1, 3, 4, 2, 5]`) and `difficulty` a string.

Step mode builds the order: `add V` appends node V, legal only when every node with an arc into V is
already placed (the error names the missing one); `back`/`undo` removes the last node. Placing the last node
completes a valid order, which ends the game.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.graphs import grid_columns
from helix_gym.core.parse import normalize_command
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (nodes, extra-arc budget)
LADDER: dict[int, tuple[int, int]] = {1: (6, 3), 2: (9, 3), 3: (12, 3), 4: (16, 2), 5: (25, 2)}
GRID_ARC = 0.5  # right/left and down/up neighbours: forward with 0.5, else backward with 0.5
DIAGONAL_ARC = 0.3  # the diagonals: forward with 0.3, else (down-right only) backward with 0.3
MAX_REVERSE = 3
MAX_LISTED = 6  # broken arcs named one by one in a verdict; the rest are counted
_ADD = re.compile(r"^(?:add|place|put|append|next|take)?\s*(?:node\s*)?(\d+)$")
_NO = re.compile(r"^\s*(?:no|none|impossible|no valid order|there is no[\w ]*)\s*[.!]?\s*$", re.I)

PLACED_FILL: draw.Color = (255, 226, 150)


# ---- the graph -----------------------------------------------------------------------------------------------
class _Dag:
    """A DAG under construction: successor lists in insertion order and a reachability test for cycles."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.succ: list[list[int]] = [[] for _ in range(n)]

    def reaches(self, a: int, b: int) -> bool:
        seen, stack = {a}, [a]
        while stack:
            u = stack.pop()
            if u == b:
                return True
            for v in self.succ[u]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        return False

    def add(self, u: int, v: int) -> bool:
        """Add u -> v unless it exists or would close a cycle; says whether it did."""
        if v in self.succ[u] or self.reaches(v, u):
            return False
        self.succ[u].append(v)
        return True

    def arcs(self) -> list[list[int]]:
        return sorted([u, v] for u in range(self.n) for v in self.succ[u])


def build_dag(rng: np.random.Generator, n: int, extra: int) -> list[list[int]]:
    """One DAG of spec G3 on the n-node grid: sorted [[u, v], ...], weakly connected.

    1. each horizontal neighbour pair: an arc to the right with 0.5, else to the left with 0.5; then each
       vertical pair the same (down, else up); then per node the down-right diagonal (0.3 forward, else 0.3
       backward) and the down-left one (0.3 forward);
    2. min(extra // 2, 3) arcs from a higher to a lower id, then more arcs from a lower to a higher id until
       `extra` extra arcs in all (random pairs, a bounded number of tries);
    3. while the graph falls apart, join the component of the smallest node without node 0's to node 0's by
       the arc between their nearest grid cells, from the lower id to the higher (one arc per component).
    Every arc that would close a cycle is skipped (the official generator checks only the backward ones and
    regenerates the graph when a forward one closed a cycle), and step 3 replaces the official fix, which adds
    arcs 0 -> 1, 0 -> 2, ... until the graph is connected and can bury node 0 under two dozen arcs."""
    cols = grid_columns(n)
    dag = _Dag(n)
    for step in (1, cols):  # right neighbours, then down neighbours
        for i in range(n):
            j = i + step
            if j >= n or (step == 1 and i % cols == cols - 1):
                continue
            if rng.random() < GRID_ARC:
                dag.add(i, j)
            elif rng.random() < GRID_ARC:
                dag.add(j, i)
    for i in range(n):
        col = i % cols
        j = i + cols + 1
        if col < cols - 1 and j < n:
            if rng.random() < DIAGONAL_ARC:
                dag.add(i, j)
            elif rng.random() < DIAGONAL_ARC:
                dag.add(j, i)
        j = i + cols - 1
        if col > 0 and j < n and rng.random() < DIAGONAL_ARC:
            dag.add(i, j)
    added = 0
    for _ in range(5 * n):
        if added >= min(extra // 2, MAX_REVERSE):
            break
        u, v = sorted(int(x) for x in rng.choice(n, size=2, replace=False))
        added += dag.add(v, u)
    for _ in range(3 * n):
        if added >= extra:
            break
        u, v = (int(x) for x in rng.choice(n, size=2, replace=False))
        if u < v:
            added += dag.add(u, v)
    _connect(dag, cols)
    return dag.arcs()


def _connect(dag: _Dag, cols: int) -> None:
    """Join every component to node 0's by one arc between their nearest cells (lower id -> higher id)."""
    while True:
        parts = graphs.connected_components(dag.n, dag.arcs())
        if len(parts) == 1:
            return
        main, other = parts[0], parts[1]

        def gap(pair: tuple[int, int]) -> tuple[int, int, tuple[int, int]]:
            (r0, c0), (r1, c1) = divmod(pair[0], cols), divmod(pair[1], cols)
            return max(abs(r0 - r1), abs(c0 - c1)), (r0 - r1) ** 2 + (c0 - c1) ** 2, pair

        a, b = min(((a, b) for a in main for b in other), key=gap)
        dag.add(min(a, b), max(a, b))


def successors(n: int, arcs: list[list[int]]) -> list[list[int]]:
    return graphs.neighbours(n, arcs, directed=True)


def predecessors(n: int, arcs: list[list[int]]) -> list[list[int]]:
    return graphs.neighbours(n, [[v, u] for u, v in arcs], directed=True)


def smallest_order(n: int, arcs: list[list[int]]) -> list[int] | None:
    """Kahn's algorithm taking the smallest available node each time (the lexicographically smallest order,
    the official reference answer); None when the graph has a cycle."""
    succ = successors(n, arcs)
    indeg = [0] * n
    for _, v in arcs:
        indeg[v] += 1
    ready = sorted(v for v in range(n) if not indeg[v])
    order = []
    while ready:
        u = ready.pop(0)
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if not indeg[v]:
                ready.append(v)
        ready.sort()
    return order if len(order) == n else None


def adjacency_text(n: int, arcs: list[list[int]]) -> str:
    """The official notation: one `u: [v, ...]` line of successors per node."""
    return graphs.adjacency_text(successors(n, arcs))


def order_violations(n: int, arcs: list[list[int]], order: list[int]) -> list[str]:
    """Every rule a proposed order breaks, in words (empty when it is a topological order)."""
    out = []
    unknown = sorted({v for v in order if v >= n})
    if unknown:
        out.append(f"there is no node {', '.join(map(str, unknown))} (the nodes are 0 to {n - 1})")
    counts: dict[int, int] = {}
    for v in order:
        counts[v] = counts.get(v, 0) + 1
    for v in sorted(v for v, k in counts.items() if k > 1):
        out.append(f"node {v} appears {counts[v]} times; every node must appear exactly once")
    missing = [v for v in range(n) if v not in counts]
    if missing:
        out.append(f"node{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} "
                   f"{'are' if len(missing) > 1 else 'is'} missing; every node must appear exactly once")
    first = {}
    for k, v in enumerate(order):
        first.setdefault(v, k)
    broken = [(u, v) for u, v in arcs if u in first and v in first and first[u] > first[v]]
    for u, v in broken[:MAX_LISTED]:
        out.append(f"arc {u} -> {v} is broken: node {v} comes before node {u}")
    if len(broken) > MAX_LISTED:
        out.append(f"and {len(broken) - MAX_LISTED} more arcs are broken the same way")
    return out


@register_task
class TopologicalSort(Task):
    """Topological Sort: list every node of a DAG once, each arc u -> v with u before v.

    Step grammar (the position is the order built so far):
    - `add V` (also `place V`, or just `V`): append node V; legal only when V is not placed yet and every node
      with an arc into V is already placed;
    - `back` / `undo` (the env) removes the last node, `restart` clears the order;
    - placing the last node completes a valid order and ends the game (`submit` before that is refused).
    """

    name = "TopologicalSort"
    key = "topological_sort"
    category = "graphs"
    score_function = "topological_sort_evaluator"
    step_help = (
        "add V: put node V next in the order (every node with an arc into V must already be placed)\n"
        "back: take the last node out of the order again"
    )
    answer_help = "a list of all node numbers, each once, in a valid topological order, e.g. [0, 2, 1, 3]"
    undo_words = ("back",)

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        n, extra = LADDER[self.check_level(level)]
        return self.puzzle(level, {"n": n, "arcs": build_dag(rng, n, extra)})

    # ---- solving ---------------------------------------------------------------------------------------
    def _order(self, puzzle: Puzzle) -> list[int]:
        return smallest_order(puzzle.data["n"], puzzle.data["arcs"])

    def solve(self, puzzle: Puzzle) -> str:
        return json.dumps(self._order(puzzle))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"add {v}" for v in self._order(puzzle)]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        n, arcs = d["n"], d["arcs"]
        preds = predecessors(n, arcs)
        indeg = [len(p) for p in preds]
        events = [TraceEvent("read", note=(
            f"A directed acyclic graph with {n} nodes and {len(arcs)} arcs; list every node once so that each arc "
            "points from an earlier node to a later one. Kahn's algorithm: repeatedly place a node none of whose "
            "predecessors is still unplaced, taking the smallest such node. In-degrees: "
            + ", ".join(f"{v}:{k}" for v, k in enumerate(indeg)) + "."),
            state_text=adjacency_text(n, arcs))]
        succ = successors(n, arcs)
        order: list[int] = []
        ready = sorted(v for v in range(n) if not indeg[v])
        while ready:
            u = ready.pop(0)
            why = ("it has no incoming arcs" if not preds[u] else f"its predecessor {preds[u][0]} is placed"
                   if len(preds[u]) == 1 else f"its predecessors {', '.join(map(str, preds[u]))} are placed")
            freed = []
            for v in succ[u]:
                indeg[v] -= 1
                if not indeg[v]:
                    freed.append(v)
            note = (f"Available: {', '.join(map(str, [u, *ready]))}. Place node {u} ({why})"
                    + (f"; now {', '.join(map(str, freed))} become{'s' if len(freed) == 1 else ''} available."
                       if freed else "."))
            order.append(u)
            ready = sorted(ready + freed)
            events.append(TraceEvent("deduce", move=f"add {u}", note=note, state_text=f"order: {order}"))
        events.append(TraceEvent("check", note=(
            f"All {n} nodes are placed once, and each of the {len(arcs)} arcs goes from an earlier node to a later "
            "one.")))
        events.append(TraceEvent("answer", move=json.dumps(order), note=f"A valid topological order is {order}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, str(answer))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected a list of node numbers such as [0, 2, 1, 3]")

    def _judge(self, puzzle: Puzzle, text: str) -> Verdict:
        if _NO.match(text):
            return Verdict.wrong("the graph has no cycle, so a topological order exists")
        try:
            order = graphs.parse_node_sequence(text[:10_000])
        except ValueError as err:
            return Verdict.wrong(f"could not read a node order ({err}); expected a list such as [0, 2, 1, 3]")
        violations = order_violations(puzzle.data["n"], puzzle.data["arcs"], order)
        return Verdict.wrong(*violations, parsed=order) if violations else Verdict.ok(parsed=order)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return json.dumps([int(v) for v in rng.permutation(puzzle.data["n"])])

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        ask = ("Write down a topological order: every node exactly once, such that for every arc u -> v node u comes "
               "before node v. Several orders may be valid; give any one of them as a list of node numbers, e.g. "
               f"[{', '.join(map(str, range(min(4, d['n']))))}].")
        if modality == "image":
            return ("The picture shows a directed acyclic graph. Each numbered circle is a node, and each arrow is an "
                    f"arc from the node at its tail to the node at its head. The nodes are 0 to {d['n'] - 1}.\n{ask}")
        return ("Here is a directed acyclic graph written as an adjacency list: the line of node u lists every node v "
                "with an arc u -> v (an empty list when u has no outgoing arc).\n"
                f"{adjacency_text(d['n'], d['arcs'])}\n{ask}")

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        pic = picture(d, size)
        caption = [("an arrow u -> v means: node u comes before node v", draw.BLACK)]
        if state is None:
            return pic.render(caption=caption)
        cap = max(12, round(size * 0.036))
        caption.append((_order_caption(state, d["n"], size * 0.95, cap), draw.ENTERED))
        placed = set(state)
        done = [i for i, (u, _) in enumerate(d["arcs"]) if u in placed]  # arcs already honoured: greyed out
        return pic.render(fills={v: PLACED_FILL for v in placed}, rings={state[-1]: draw.ENTERED} if state else None,
                          muted=done, caption=caption)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        match = _ADD.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:60]!r}; expected `add V` (V a node number) or `back`")
        v, n = int(match.group(1)), puzzle.data["n"]
        if v >= n:
            raise InvalidMove(f"there is no node {v} (the nodes are 0 to {n - 1})")
        if v in state:
            raise InvalidMove(f"node {v} is already placed (position {state.index(v) + 1})")
        waiting = [u for u in _preds(_key(puzzle.data))[v] if u not in state]
        if waiting:
            arcs = ", ".join(f"{u} -> {v}" for u in waiting)
            raise InvalidMove(f"node {v} cannot come yet: arc{'s' if len(waiting) > 1 else ''} {arcs} need"
                              f"{'' if len(waiting) > 1 else 's'} node{'s' if len(waiting) > 1 else ''} "
                              f"{', '.join(map(str, waiting))} placed first")
        return (*state, v)

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        d = puzzle.data
        return (f"{adjacency_text(d['n'], d['arcs'])}\norder so far: {list(state)} "
                f"({len(state)} of {d['n']} nodes placed)")

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return len(state) == puzzle.data["n"]  # every placement was checked, so a full order is valid

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        preds = _preds(_key(puzzle.data))
        placed = set(state)
        return [f"add {v}" for v in range(puzzle.data["n"]) if v not in placed and placed.issuperset(preds[v])]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return [f"add {v}" for v in range(puzzle.data["n"])]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        left = puzzle.data["n"] - len(state)
        if left:
            raise InvalidMove(f"{left} node{'s are' if left > 1 else ' is'} not placed yet; the order must list "
                              "every node")
        return json.dumps(list(state))

    def potential(self, puzzle: Puzzle, state: tuple[int, ...]) -> float:
        """The share of nodes placed (every placement is legal, so progress is never a dead end)."""
        return len(state) / puzzle.data["n"]

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * puzzle.data["n"] + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        node = picture(puzzle.data, size).node_at(x, y)
        return None if node is None else divmod(node, grid_columns(puzzle.data["n"]))

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """Any key on a selected node places it next."""
        node = cell[0] * grid_columns(puzzle.data["n"]) + cell[1]
        return f"add {node}" if 0 <= node < puzzle.data["n"] else None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = {str(u): row for u, row in enumerate(successors(d["n"], d["arcs"]))}
        return self.base_record(puzzle, index=f"{self.key}_{puzzle.level}_{puzzle.fingerprint}",
                                answer=self._order(puzzle), initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        adj = _record_adjacency(record)
        n = graphs.node_count(adj)
        arcs = sorted({(u, v) for u, row in adj.items() for v in row})
        if not n or any(u == v for u, v in arcs):
            raise RecordError(f"{self.name}: no graph, or a self-loop, in the record")
        arcs = [[u, v] for u, v in arcs]
        if smallest_order(n, arcs) is None:
            raise RecordError(f"{self.name}: the graph has a cycle, so no topological order exists")
        return Puzzle(self.name, self.record_level(record), {"n": n, "arcs": arcs}, self.record_seed(record))


# ---- module helpers ----------------------------------------------------------------------------------------
def _record_adjacency(record: dict[str, Any]) -> dict[int, list[int]]:
    """Successor lists from `initial_state` (a dict, or its JSON / Python-literal text), else from the
    adjacency lines of `question_language` (a string, or the official 1-element list)."""
    raw = record.get("initial_state")
    if isinstance(raw, str):
        for decode in (json.loads, ast.literal_eval):
            try:
                raw = decode(raw)
                break
            except (ValueError, SyntaxError):
                continue
    try:
        if isinstance(raw, dict):
            return graphs.adjacency_from_state(raw)
        text = record.get("question_language") or ""
        if isinstance(text, list | tuple):
            text = "\n".join(map(str, text))
        adj = graphs.parse_adjacency(str(text))
    except (ValueError, TypeError) as err:
        raise RecordError(f"TopologicalSort: no successor lists in the record ({err})") from err
    if any(isinstance(x, tuple) for row in adj.values() for x in row):
        raise RecordError("TopologicalSort: expected successor lists `u: [v, ...]`, not weighted pairs")
    return adj


def _key(d: dict[str, Any]) -> tuple[int, tuple[tuple[int, ...], ...]]:
    return d["n"], tuple(tuple(a) for a in d["arcs"])


@lru_cache(maxsize=256)
def _preds(key: tuple[int, tuple[tuple[int, ...], ...]]) -> tuple[frozenset[int], ...]:
    """Per node, the nodes with an arc into it (cached: `apply` runs on every step)."""
    n, arcs = key
    out: list[set[int]] = [set() for _ in range(n)]
    for u, v in arcs:
        out[v].add(u)
    return tuple(frozenset(s) for s in out)


@lru_cache(maxsize=64)
def _picture(key: tuple[int, tuple[tuple[int, ...], ...]], size: int) -> GraphPicture:
    """The laid-out graph on its grid (cached: a step-mode episode redraws the same graph at every step);
    two caption lines always, so nodes stay put between the question and step-mode pictures."""
    n, arcs = key
    return GraphPicture(graphs.grid_positions(n, grid_columns(n)), arcs, directed=True, size=size, caption_lines=2)


def picture(data: dict[str, Any], size: int = 512) -> GraphPicture:
    """The GraphPicture of an instance at `size` px (node pixels, radius, `node_at`)."""
    return _picture(_key(data), size)


def _order_caption(state: tuple[int, ...], n: int, width: float, size: int) -> str:
    """`order: 3, 0, 4  (3 of 9 placed)`, dropping the oldest entries while it is too wide to read."""
    nodes = list(map(str, state))
    tail = f"   ({len(state)} of {n} placed)"
    for skip in range(len(nodes) + 1):
        shown = (["..."] if skip else []) + nodes[skip:]
        text = f"order: {', '.join(shown) or '(empty)'}{tail}"
        if draw.text_size(text, size)[0] <= width:
            return text
    return f"order: ... {nodes[-1]}{tail}" if nodes else f"order: (empty){tail}"
