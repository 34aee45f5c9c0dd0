"""What HamiltonianPath and HamiltonianCycle share: the pruned backtracking search (with its trace), the rule
checks behind `verify`, the walk step mode, records and pictures.

Both tasks ask for a walk along the edges of an undirected MM-HELIX grid graph (spec 1.3) that visits every node
exactly once: a path from a given start node, or a cycle back to where it began. Either may not exist, and then
the answer is `No`.

The search tries neighbours in ascending order, like the official ground truth, and prunes with three rules that
only ever cut branches holding no solution, so the first walk it finds is the official answer:
- connectivity: every unvisited node must still be reachable from the walk's end through unvisited nodes;
- free degrees: counting the links an unvisited node still has (to unvisited nodes, the walk's end and, for a
  cycle, the start it must return to), a cycle needs two everywhere, and a path has room for one node with a
  single link left (its last node);
- forced moves: an unvisited neighbour of the walk's end with exactly two links left (one of them the end) must
  come next (for a path, once another node is bound to be last); two such neighbours are a dead end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw, graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.parse import NO_PHRASE, clean_latex, normalize_command, says_no
from helix_gym.core.records import decode_value
from helix_gym.core.task import Puzzle, TraceEvent, Verdict
from helix_gym.core.wording import counted
from helix_gym.tasks.graphs._walk import WalkClicks

P = 0.2  # edge probability of both official generators
YES_SHARE = 0.8  # the official generators aim for "a walk exists" 4 times in 5
MAX_DRAWS = 200  # redraws until the outcome matches the target (the official loops need at most about 20)
MAX_NODES = 40  # records with more nodes are refused: the backtracking search is exponential
MAX_ANSWER = 4000  # characters; longer answers are rejected unread
NO_COMMAND = "answer No"  # step mode's way to claim that no walk exists (the env verifies it)
SHOWN = 6  # violations of one kind quoted before "and k more"

START_FILL: draw.Color = (235, 95, 80)  # the path's start node (the official pictures draw it red)
VISITED_FILL: draw.Color = (170, 225, 180)
WALK_START_FILL: draw.Color = (95, 190, 120)  # where a cycle walk began

_GO = re.compile(r"^(?:(?:go|move|walk|visit)(?: to)?(?: node| vertex)? )?(\d+)$")
_YES = re.compile(r"^\W*(?:yes|true)\b\W*", re.I)


def walk_text(walk: Sequence[int]) -> str:
    return " -> ".join(map(str, walk))


def list_text(nodes: Sequence[int]) -> str:
    """`[2, 0, 1, 3]`: the official answer notation (Python's str of a list)."""
    return "[" + ", ".join(map(str, nodes)) + "]"


def nodes_text(nodes: Sequence[int]) -> str:
    """`node 3` / `nodes 3, 5 and 7`."""
    nodes = list(nodes)
    if len(nodes) == 1:
        return f"node {nodes[0]}"
    return f"nodes {', '.join(map(str, nodes[:-1]))} and {nodes[-1]}"


def _capped(messages: list[str]) -> list[str]:
    if len(messages) <= SHOWN:
        return messages
    return [*messages[:SHOWN], f"and {len(messages) - SHOWN} more of the same kind"]


# ---- the search --------------------------------------------------------------------------------------------
class Search:
    """Backtracking from `start` (ascending neighbours, pruned; see the module docstring).

    After `run()`: `solution` is the walk found (closed, `[0, ..., 0]`, for a cycle) or None; `deepest` the
    longest walk the search reached; `events` (when `trace`) the tries, forced moves, dead ends with the rule
    they break, and backtracks, in the order they happened."""

    def __init__(self, adj: Sequence[Sequence[int]], start: int, cycle: bool, trace: bool = False) -> None:
        self.adj = [sorted(row) for row in adj]
        self.n, self.start, self.cycle, self.trace = len(adj), start, cycle, trace
        self.visited = [False] * self.n
        self.visited[start] = True
        self.walk = [start]
        self.deepest = [start]
        self.solution: list[int] | None = None
        self.events: list[TraceEvent] = []
        self.tries = self.dead_ends = 0

    def run(self) -> Search:
        if self._extend():
            self.solution = [*self.walk, self.start] if self.cycle else list(self.walk)
        return self

    # -- the recursion --
    def _extend(self) -> bool:
        u = self.walk[-1]
        if len(self.walk) > len(self.deepest):
            self.deepest = list(self.walk)
        if len(self.walk) == self.n:
            if not self.cycle or self.start in self.adj[u]:
                return True
            return self._dead(f"all {self.n} nodes are visited, but there is no edge {u}-{self.start} back to the "
                              "start")
        reason, forced, why = self._inspect(u)
        if reason:
            return self._dead(reason)
        options = [forced] if forced is not None else [w for w in self.adj[u] if not self.visited[w]]
        for w in options:
            self.tries += 1
            if self.trace:
                kind, note = ("deduce", why) if forced is not None else ("try", f"From node {u}, try node {w}.")
                self.events.append(TraceEvent(kind, move=f"go {w}", note=note, state_text=self._state(w)))
            self.visited[w] = True
            self.walk.append(w)
            if self._extend():
                return True
            self.walk.pop()
            self.visited[w] = False
            if self.trace:
                self.events.append(TraceEvent("backtrack", move="back", note=(
                    f"No way on through node {w}: take it back and continue from node {u}."),
                    state_text=self._state()))
        return False

    def _dead(self, reason: str) -> bool:
        self.dead_ends += 1
        if self.trace:
            if len(self.walk) == 1:  # ruled out before the first step: a deduction about the whole graph
                self.events.append(TraceEvent("deduce", note=f"Before any step from node {self.start}: {reason}."))
            else:
                self.events.append(TraceEvent("dead_end", note=f"Dead end at {walk_text(self.walk)}: {reason}."))
        return False

    def _state(self, extra: int | None = None) -> str:
        return "walk: " + walk_text(self.walk if extra is None else [*self.walk, extra])

    # -- the pruning rules --
    def _inspect(self, u: int) -> tuple[str | None, int | None, str]:
        """(why the walk cannot be completed, or None; the forced next node, or None; why it is forced)."""
        adj, visited = self.adj, self.visited
        unvisited = [w for w in range(self.n) if not visited[w]]
        seen = {u}
        stack = [u]
        while stack:
            for y in adj[stack.pop()]:
                if not visited[y] and y not in seen:
                    seen.add(y)
                    stack.append(y)
        cut = [w for w in unvisited if w not in seen]
        if cut:
            return f"{nodes_text(cut)} can no longer be reached from node {u} through unvisited nodes", None, ""
        links = {w: [x for x in adj[w] if not visited[x] or x == u or (self.cycle and x == self.start)]
                 for w in unvisited}
        end = None
        if self.cycle:
            for w in unvisited:
                if len(links[w]) < 2:
                    return (f"node {w} has only {len(links[w])} usable neighbour left, but the cycle must enter it "
                            "and leave it", None, "")
        else:
            ends = [w for w in unvisited if len(links[w]) == 1]
            if len(ends) >= 2:
                return (f"{nodes_text(ends[:2])} each have a single usable neighbour left, so both would have to be "
                        "the last node of the path", None, "")
            if ends:
                end = ends[0]
                if links[end] == [u] and len(unvisited) > 1:
                    return (f"node {end} can only be entered from node {u} and the path would stop there with "
                            f"{len(unvisited) - 1} nodes left", None, "")
        must: list[int] = []
        if (self.cycle and u != self.start) or end is not None:
            must = [w for w in adj[u] if not visited[w] and w != end and len(links[w]) == 2]
        if len(must) >= 2:
            return (f"{nodes_text(must[:2])} each have only two usable neighbours left, one of them node {u}, so "
                    f"both would have to come right after node {u}", None, "")
        if must:
            w = must[0]
            other = next(x for x in links[w] if x != u)
            if self.cycle:
                role = "the cycle must enter it and leave it"
            else:
                role = (f"node {end} has a single usable neighbour left and so must end the path, which leaves node "
                        f"{w} in the middle, needing both")
            note = (f"Node {w} has only two usable neighbours left, node {u} and node {other}, and {role}: the walk "
                    f"must go from node {u} to node {w} now.")
            return None, w, note
        return None, None, ""


def search(adj: Sequence[Sequence[int]], start: int, cycle: bool, trace: bool = False) -> Search:
    return Search(adj, start, cycle, trace).run()


# ---- the task --------------------------------------------------------------------------------------------------
class HamiltonianTask(WalkClicks):
    """The shared half of HamiltonianPath (`cycle = False`, a given start) and HamiltonianCycle (`cycle = True`).

    data: {"n", "columns", "edges": sorted [[u, v], ...], "solution": the search's walk or None} plus "start" for
    the path. Step mode: the state is the walk so far (a tuple of nodes)."""

    cycle: ClassVar[bool]
    nodes: ClassVar[tuple[int, ...]]  # number of nodes at levels 1..5
    category = "graphs"
    undo_words = ("back",)
    walk_word: ClassVar[str]  # "path" / "cycle"

    # ---- instances -------------------------------------------------------------------------------------
    def build(self, rng: np.random.Generator, n: int) -> graphs.GridGraph:
        """One random graph of the official generator (construction and post-processing)."""
        raise NotImplementedError

    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = self.nodes[level - 1]
        want = bool(rng.random() < YES_SHARE)
        for _ in range(MAX_DRAWS):
            edges = [list(e) for e in self.build(rng, n).edges()]
            start = 0 if self.cycle else int(rng.integers(n))
            data = self.make_data(n, edges, start)
            if (data["solution"] is not None) == want:
                break
        return self.puzzle(level, data)

    def make_data(self, n: int, edges: list[list[int]], start: int = 0) -> dict[str, Any]:
        result = search(graphs.neighbours(n, edges), start, self.cycle)
        data: dict[str, Any] = {"n": n, "columns": graphs.grid_columns(n), "edges": edges}
        if not self.cycle:
            data["start"] = start
        data["solution"] = result.solution
        return data

    @staticmethod
    def adjacency(data: dict[str, Any]) -> list[list[int]]:
        return graphs.neighbours(data["n"], data["edges"])

    def start_of(self, data: dict[str, Any]) -> int:
        return 0 if self.cycle else data["start"]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        solution = puzzle.data["solution"]
        return "No" if solution is None else list_text(solution)

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        """The walk itself (reaching every node, or closing the cycle, ends the game); where none exists, the
        longest walk the search reached, then `answer No`."""
        d = puzzle.data
        if d["solution"] is not None:
            walk = d["solution"]
            return [f"go {v}" for v in (walk if self.cycle else walk[1:])]
        deepest = search(self.adjacency(d), self.start_of(d), self.cycle).deepest
        row = self.adjacency(d)[deepest[0]]
        if len(deepest) < 2 and row:  # ruled out before the first step: show one step all the same
            deepest = [deepest[0], row[0]]
        return [*(f"go {v}" for v in (deepest if self.cycle else deepest[1:])), NO_COMMAND]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        d = puzzle.data
        start = self.start_of(d)
        result = search(self.adjacency(d), start, self.cycle, trace=True)
        events = [TraceEvent("read", note=self.read_note(d), state_text=graphs.adjacency_text(self.adjacency(d))),
                  *result.events]
        if result.solution is not None:
            answer = list_text(result.solution)
            events.append(TraceEvent("check", note=(
                f"The {self.walk_word} {walk_text(result.solution)} visits all {d['n']} nodes once each and every "
                f"step is an edge of the graph (found after {_count(result)}).")))
        else:
            answer = "No"
            events.append(TraceEvent("check", note=(
                f"Every branch was ruled out ({_count(result)}), so {self.none_phrase(d)}.")))
        events.append(TraceEvent("answer", move=answer, note=f"The answer is {answer}."))
        return events

    def read_note(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def none_phrase(self, data: dict[str, Any]) -> str:
        """`no Hamiltonian path starts at node 3` / `the graph has no Hamiltonian cycle`."""
        raise NotImplementedError

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle.data, str(answer))
        except Exception:  # never raise on model text
            return Verdict.wrong(f"expected the {self.walk_word} as a list of node numbers, or No")

    def _judge(self, data: dict[str, Any], answer: str) -> Verdict:
        text = clean_latex(answer).strip()
        if len(text) > MAX_ANSWER:
            return Verdict.wrong(f"the answer is too long to be a {self.walk_word} through {data['n']} nodes")
        if says_no(text):
            if data["solution"] is None:
                return Verdict.ok(parsed="No")
            return Verdict.wrong(f"No is wrong: {self.exists_phrase(data)}", parsed="No")
        yes = _YES.match(text)
        try:
            walk = graphs.parse_node_sequence(text[yes.end():] if yes else text)  # "Yes: [2, 0, 1, 3]" is fine
        except ValueError as err:
            if NO_PHRASE.search(text):  # "There is no such path." (not readable as nodes, clearly a No)
                return self._judge(data, "No")
            if yes:
                return Verdict.wrong(f"give the {self.walk_word} itself as a list of node numbers (or No), not yes")
            return Verdict.wrong(f"could not read a list of node numbers: {err}")
        violations = self.violations(data, walk)
        return Verdict.wrong(*violations, parsed=walk) if violations else Verdict.ok(parsed=walk)

    def exists_phrase(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def violations(self, data: dict[str, Any], walk: list[int]) -> list[str]:
        """Every rule `walk` breaks, naming the node or edge (empty when it is a valid answer)."""
        n = data["n"]
        ghosts = sorted({v for v in walk if v >= n})
        if ghosts:
            return [f"{nodes_text(ghosts)} {'does' if len(ghosts) == 1 else 'do'} not exist (the nodes are 0 to "
                    f"{n - 1})"]
        out = []
        body = walk
        if self.cycle:
            if len(walk) > 1 and walk[0] == walk[-1]:
                body = walk[:-1]  # the closing repeat of the first node
        elif walk[0] != data["start"]:
            out.append(f"the path must start at node {data['start']}, but it starts at node {walk[0]}")
        counts: dict[int, int] = {}
        for v in body:
            counts[v] = counts.get(v, 0) + 1
        twice = [v for v, c in counts.items() if c > 1]
        if twice:
            out.append(f"{nodes_text(twice)} {'is' if len(twice) == 1 else 'are'} visited more than once")
        missing = [v for v in range(n) if v not in counts]
        if missing:
            out.append(f"{nodes_text(missing)} {'is' if len(missing) == 1 else 'are'} never visited")
        edges = graphs.edge_set(data["edges"])
        out += _capped([f"step {a}-{b} does not move" if a == b else f"there is no edge {a}-{b}"
                        for a, b in graphs.walk_gaps(body, edges)])
        if self.cycle and len(body) > 1 and body[-1] != body[0]:
            a, b = min(body[-1], body[0]), max(body[-1], body[0])
            if (a, b) not in edges:
                out.append(f"there is no edge {body[-1]}-{body[0]} to close the cycle")
        return out

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        d = puzzle.data
        if rng.random() < 1 - YES_SHARE:
            return "No"
        order = [int(v) for v in rng.permutation(d["n"])]
        if not self.cycle:
            order.remove(d["start"])
            order.insert(0, d["start"])
        return list_text(order)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return () if self.cycle else (puzzle.data["start"],)

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        match = _GO.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {command[:40]!r}; expected `go V` (V a node), `back` or `answer No`")
        d = puzzle.data
        v, n = int(match.group(1)), d["n"]
        if v >= n:
            raise InvalidMove(f"there is no node {v} (the nodes are 0 to {n - 1})")
        if not state:
            return (v,)
        u = state[-1]
        if self.is_solved(puzzle, state):
            raise InvalidMove(f"the {self.walk_word} is already complete")
        if v not in self.adjacency_row(d, u):
            raise InvalidMove(f"there is no edge {u}-{v}")
        if v in state:
            if self.cycle and v == state[0] and len(state) == n:
                return (*state, v)
            if self.cycle and v == state[0]:
                raise InvalidMove(f"node {v} is where the cycle started; it can only return there after visiting "
                                  f"all {n} nodes ({n - len(state)} still unvisited)")
            raise InvalidMove(f"node {v} is already visited")
        return (*state, v)

    @staticmethod
    def adjacency_row(data: dict[str, Any], u: int) -> list[int]:
        return _adjacency(data["n"], _edge_key(data))[u]

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        d = puzzle.data
        lines = [graphs.adjacency_text(self.adjacency(d)), self.goal_line(d)]
        if not state:
            lines.append("walk: empty (the first `go V` picks the node the cycle starts from)")
        else:
            seen = len(set(state))
            lines.append(f"walk: {list_text(state)}  (at node {state[-1]}; {seen} of {d['n']} nodes visited)")
        return "\n".join(lines)

    def goal_line(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        """The walk is a Hamiltonian path (every node) or cycle (every node, then back): `apply` only lets
        valid steps through, so reaching that length is reaching a valid answer."""
        n = puzzle.data["n"]
        if self.cycle:
            return len(state) == n + 1 and state[0] == state[-1]
        return len(state) == n

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        """The walk's possible steps, then `answer No` (always open, so its presence tells nothing)."""
        return [*self.steps(puzzle, state), NO_COMMAND]

    def steps(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        """The `go V` commands legal now."""
        d = puzzle.data
        if not state:
            return [f"go {v}" for v in range(d["n"])]
        if self.is_solved(puzzle, state):
            return []
        row = self.adjacency_row(d, state[-1])
        out = [f"go {v}" for v in row if v not in state]
        if self.cycle and len(state) == d["n"] and state[0] in row:
            out.append(f"go {state[0]}")
        return out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        """Every `go V`, and `answer No` (the env judges it; listed so that Discrete agents can say it)."""
        return [*(f"go {v}" for v in range(puzzle.data["n"])), NO_COMMAND]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        if not state:
            raise InvalidMove("the walk is empty: `go V` first, or `answer No`")
        return list_text(state)

    def conflicts(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        """A stuck walk (no legal step left before it is complete): visible from the position alone."""
        if not state or self.is_solved(puzzle, state) or self.steps(puzzle, state):
            return []
        n, u = puzzle.data["n"], state[-1]
        if len(state) == n:
            return [f"all nodes are visited, but there is no edge {u}-{state[0]} back to the start"]
        return [f"dead end: node {u} has no unvisited neighbour and {n - len(state)} nodes are not visited yet"]

    def step_budget(self, puzzle: Puzzle) -> int:
        """The same for instances with and without an answer (a budget must not tell which it is)."""
        return 6 * puzzle.data["n"] + 20

    # ---- human play --------------------------------------------------------------------------------------
    def picture(self, data: dict[str, Any], size: int) -> GraphPicture:
        return picture(data, size)

    # ---- records ---------------------------------------------------------------------------------------
    def record_index(self, puzzle: Puzzle) -> str:
        return f"{self.key}_L{puzzle.level}_{puzzle.fingerprint}"

    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = {str(u): row for u, row in enumerate(self.adjacency(d))}
        return self.base_record(puzzle, index=self.record_index(puzzle), answer=self.solve(puzzle),
                                difficulty=puzzle.level, initial_state=state)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        adj = self._record_adjacency(record)
        try:
            edges = graphs.adjacency_edges(adj)
        except ValueError as err:
            raise RecordError(f"{self.name}: {err}") from err
        n = max(graphs.node_count(adj), len(adj))
        if not 2 <= n <= MAX_NODES or not edges:
            raise RecordError(f"{self.name}: expected a graph of 2 to {MAX_NODES} nodes with edges, got {n} nodes")
        start = self.record_start(record, n)
        return Puzzle(self.name, self.record_level(record), self.make_data(n, edges, start), self.record_seed(record))

    def _record_adjacency(self, record: dict[str, Any]) -> dict[int, list]:
        state = decode_value(record.get("initial_state"))
        if isinstance(state, dict) and state:
            try:
                return graphs.adjacency_from_state(state)
            except (TypeError, ValueError) as err:
                raise RecordError(f"{self.name}: unreadable initial_state ({err})") from err
        try:
            return graphs.parse_adjacency(str(record.get("question_language") or ""))
        except ValueError as err:
            raise RecordError(f"{self.name}: no adjacency list in the record ({err})") from err

    def record_start(self, record: dict[str, Any], n: int) -> int:
        return 0

    # ---- presentation ----------------------------------------------------------------------------------
    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        d = puzzle.data
        pic = picture(d, size)
        fills: dict[int, draw.Color] = {}
        caption = [(self.caption(d), draw.BLACK)]
        rings = None
        if state is not None:
            fills.update({v: VISITED_FILL for v in state})
            if state and self.cycle:
                fills[state[0]] = WALK_START_FILL
            caption.append((_walk_caption(state, size * 0.95, max(12, round(size * 0.036))), draw.ENTERED))
            rings = {state[-1]: draw.ENTERED} if state else None
        if not self.cycle:
            fills[d["start"]] = START_FILL
        return pic.render(fills=fills, rings=rings, halo=pic.walk_edges(state or ()), caption=caption)

    def caption(self, data: dict[str, Any]) -> str:
        raise NotImplementedError


# ---- shared helpers ------------------------------------------------------------------------------------------
def _count(result: Search) -> str:
    return f"{counted(result.tries, 'step')} tried, {counted(result.dead_ends, 'dead end')}"


def _edge_key(data: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    return tuple((e[0], e[1]) for e in data["edges"])


@lru_cache(maxsize=256)
def _adjacency(n: int, edges: tuple[tuple[int, int], ...]) -> list[list[int]]:
    """Neighbour lists, cached per graph (step mode asks for them at every move)."""
    return graphs.neighbours(n, edges)


@lru_cache(maxsize=64)
def _picture(n: int, cols: int, edges: tuple[tuple[int, int], ...], size: int) -> GraphPicture:
    """The laid-out graph; the caption band has room for two lines (the goal and, in step mode, the walk), so
    nodes stay put between the question picture and step-mode pictures."""
    return GraphPicture(graphs.grid_positions(n, cols), edges, size=size, caption_lines=2)


def picture(data: dict[str, Any], size: int = 512) -> GraphPicture:
    return _picture(data["n"], data["columns"], _edge_key(data), size)


def _walk_caption(state: tuple[int, ...], width: float, size: int) -> str:
    """`walk: 2 - 0 - 1   (at node 1)`, dropping the oldest steps while it is too wide (the kit's font has no
    arrow or ellipsis glyph, so plain ASCII)."""
    if not state:
        return "walk: empty (go to a node to start)"
    nodes = list(map(str, state))
    for skip in range(len(nodes)):
        shown = (["..."] if skip else []) + nodes[skip:]
        text = f"walk: {' - '.join(shown)}   (at node {state[-1]})"
        if draw.text_size(text, size)[0] <= width:
            return text
    return f"walk: ... - {state[-1]}   (at node {state[-1]})"


def leaf_repair_path(graph: graphs.GridGraph) -> None:
    """HamiltonianPath's post-processing: while more than two nodes have degree 1, join the first of them to its
    first adjacent cell it can take (not joined yet, within the degree cap), else to the first knight-like node
    it can; stop when that node can take neither."""
    n = graph.n
    while True:
        leaves = [u for u in range(n) if graph.degree(u) == 1]
        if len(leaves) <= 2:
            return
        u = leaves[0]
        if not any(graph.add(u, v) for v in graph.grid_neighbours(u)) and \
                not any(graph.add(u, v) for v in range(n) if graph.kind(u, v) == graphs.KNIGHT):
            return


def leaf_repair_cycle(graph: graphs.GridGraph, rounds: int = 10) -> None:
    """HamiltonianCycle's post-processing, first half: up to `rounds` rounds, each giving every node that had
    degree 1 at the round's start an edge to its first unjoined adjacent cell, else its first knight-like node."""
    n = graph.n
    for _ in range(rounds):
        leaves = [u for u in range(n) if graph.degree(u) == 1]
        if not leaves:
            return
        for u in leaves:
            if not any(graph.add(u, v) for v in graph.grid_neighbours(u)):
                any(graph.add(u, v) for v in range(n) if graph.kind(u, v) == graphs.KNIGHT)


def balance_density(rng: np.random.Generator, graph: graphs.GridGraph) -> None:
    """HamiltonianCycle's post-processing, second half: when the mean degree is below 2.5, with probability 0.6
    try min(3, n // 2) random node pairs, joining those that are grid neighbours."""
    n = graph.n
    if sum(graph.degree(u) for u in range(n)) / n >= 2.5 or rng.random() >= 0.6:
        return
    for a, b in rng.integers(n, size=(min(3, n // 2), 2)).tolist():
        if a != b and graph.kind(a, b) in (graphs.ORTHOGONAL, graphs.DIAGONAL):
            graph.add(a, b)
