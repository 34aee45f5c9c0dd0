"""Bridges / Hashiwokakero (MM-HELIX key `bridges`): join numbered islands with straight bridges.

Islands sit on the points of an n x n lattice, written (x, y) with x the column and y the row, counted from 0
at the top left. Rules: a bridge runs horizontally or vertically between two islands with no island between
them; at most two bridges join the same pair; bridges never cross; every island has as many bridge ends as its
number; all islands form one connected network.

Step grammar (0-based `x y`, like the official answer):
    bridge X1 Y1 X2 Y2 K   set the number of bridges between islands (X1,Y1) and (X2,Y2) to K (0, 1 or 2);
                           `(X1,Y1)-(X2,Y2):K` (an answer line) works too
    add X1 Y1 X2 Y2        one more bridge between the two islands, cycling 0 -> 1 -> 2 -> 0 (the click of
                           paper and online versions)
    remove X1 Y1 X2 Y2     take away every bridge between the two islands
A command is illegal when a point is not an island, the two are not in one row or column, an island lies
between them, or a new bridge would cross one already built. `submit` judges the bridges drawn so far.

Generation: islands are grown one at a time from a random first island, each new one reached by a straight
bridge from an island already placed that passes over no island and crosses no bridge, so the layout comes
with a connected solution (the official generator draws points first and restarts when one cannot be
attached). Levels 1-2 are official-style spanning trees (level 1 single bridges only; level 2 keeps island
numbers <= 3, as the official generator does); from level 3 on extra non-crossing bridges close loops and
double bridges are free, so numbers go up to 8 (spec 20.4). Layouts whose numbers admit a second solution are
drawn again, so every instance is unique (the official generator never checks). The verifier checks the
rules, so every valid network is accepted.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, Prune, QuickChecks
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.topology import graph_components, network_violations

Point = tuple[int, int]

# level -> (lattice side, fewest islands, most islands, chance of each extra loop-closing bridge, chance of a
# double bridge, the largest island number or None); sizes and island counts follow the official ladder
LADDER: dict[int, tuple[int, int, int, float, float, int | None]] = {
    1: (5, 3, 4, 0.0, 0.0, 2),
    2: (6, 4, 5, 0.0, 0.5, 3),
    3: (7, 5, 6, 0.35, 0.4, None),
    4: (8, 6, 7, 0.4, 0.4, None),
    5: (9, 7, 10, 0.5, 0.45, None),
}
CROWDED_SKIP = 0.9  # chance to try another spot rather than put an island right next to another
ATTEMPTS = 200  # layouts drawn before giving up on uniqueness (never reached in practice)
MAX_SIDE = 15
MAX_ANSWER_CHARS = 20000
MARGIN = (0.6, 0.6, 0.25, 0.25)  # y numbers on the left, x numbers on top
SEA = (240, 247, 255)  # the official AliceBlue board
LATTICE = (190, 205, 225)
ISLAND_RING = (30, 60, 140)
ISLAND_DONE = (215, 240, 215)  # an island whose number is met in step mode
ISLAND_OVER = (250, 215, 210)  # an island with too many bridges in step mode

_PT = r"[(\[]\s*(\d+)\s*[,;\s]\s*(\d+)\s*[)\]]"
_BRIDGE = re.compile(_PT + r"[^\d(\[\n]{0,40}?" + _PT + r"(?:[^\d(\[\n]{0,30}?(\d+))?")
_INT = re.compile(r"-?\d+")
_SIZE = re.compile(r"grid size:?\s*(\d+)\s*[x×*]\s*(\d+)", re.I)
SET_WORDS = frozenset({"bridge", "bridges", "set", "build", "b", "connect", "join"})
ADD_WORDS = frozenset({"add", "cycle", "click", "toggle", "a", "+"})
REMOVE_WORDS = frozenset({"remove", "erase", "clear", "delete", "unset", "r", "-"})


def _name(p: Point) -> str:
    return f"({p[0]},{p[1]})"


# ---- the lattice and its candidate bridges ---------------------------------------------------------------
@dataclass(frozen=True)
class _Map:
    """An instance's islands and every place a bridge can go: pairs of islands next to each other in a row
    or column (edges, in answer order), the edges at each island, and the pairs of edges that would cross."""

    n: int
    pos: tuple[Point, ...]  # islands, sorted by (y, x)
    num: tuple[int, ...]
    index: dict[Point, int]
    edges: tuple[tuple[int, int], ...]  # (a, b): a the left or upper island
    edge_of: dict[tuple[int, int], int]  # both orders
    at: tuple[tuple[int, ...], ...]
    cross: tuple[tuple[int, ...], ...]

    def label(self, e: int) -> str:
        a, b = self.edges[e]
        return f"{_name(self.pos[a])}-{_name(self.pos[b])}"

    def between(self, p: Point, q: Point) -> Point | None:
        """The first island strictly between two points of one row or column, or None."""
        if p[0] == q[0]:
            line = [(p[0], y) for y in range(min(p[1], q[1]) + 1, max(p[1], q[1]))]
        else:
            line = [(x, p[1]) for x in range(min(p[0], q[0]) + 1, max(p[0], q[0]))]
        return next((t for t in line if t in self.index), None)


def _make_map(n: int, islands: Sequence[tuple[int, int, int]]) -> _Map:
    pos = tuple((x, y) for x, y, _ in islands)
    num = tuple(k for _, _, k in islands)
    index = {p: i for i, p in enumerate(pos)}
    found: list[tuple[int, int]] = []
    for axis in (1, 0):  # rows (same y): horizontal edges; columns (same x): vertical edges
        lines: dict[int, list[int]] = {}
        for i, p in enumerate(pos):
            lines.setdefault(p[axis], []).append(i)
        for members in lines.values():
            members.sort(key=lambda i: pos[i][1 - axis])
            found += list(itertools.pairwise(members))
    found.sort(key=lambda ab: (pos[ab[0]], pos[ab[0]][1] != pos[ab[1]][1]))  # by first point, horizontal first
    edges = tuple(found)
    edge_of = {}
    for e, (a, b) in enumerate(edges):
        edge_of[(a, b)] = edge_of[(b, a)] = e
    at: list[list[int]] = [[] for _ in pos]
    for e, (a, b) in enumerate(edges):
        at[a].append(e)
        at[b].append(e)
    cross: list[list[int]] = [[] for _ in edges]
    for e, (a, b) in enumerate(edges):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if y1 != y2:
            continue
        for f, (c, d) in enumerate(edges):
            (u1, v1), (u2, v2) = pos[c], pos[d]
            if u1 == u2 and x1 < u1 < x2 and v1 < y1 < v2:
                cross[e].append(f)
                cross[f].append(e)
    return _Map(n, pos, num, index, edges, edge_of, tuple(map(tuple, at)), tuple(tuple(sorted(c)) for c in cross))


def _islands(data: dict[str, Any]) -> list[tuple[int, int, int]]:
    return [(isl["x"], isl["y"], isl["num"]) for isl in data["islands"]]


# ---- the solver's model -----------------------------------------------------------------------------------
def _not_both(e: int, f: int) -> Prune:
    """Propagator: crossing edges e and f are not both built."""

    def prune(dom: list[int]) -> bool:
        if dom[e] == 1:  # e surely empty (domain {0})
            return True
        if not dom[e] & 1:  # e surely built: f must stay empty
            if not dom[f] & 1:
                return False
            dom[f] = 1
        elif not dom[f] & 1:
            dom[e] = 1
        return True

    return prune


def _connected(m: _Map) -> Prune:
    """Propagator: the islands stay connected over the edges that can still be built; an edge whose loss would
    split them must be built."""
    nodes = range(len(m.pos))
    edges = m.edges

    def prune(dom: list[int]) -> bool:
        live = [e for e in range(len(edges)) if dom[e] & 6]
        if len(graph_components(nodes, [edges[e] for e in live])) > 1:
            return False
        for e in live:
            if dom[e] & 1 and len(graph_components(nodes, [edges[f] for f in live if f != e])) > 1:
                dom[e] &= 6
        return True

    return prune


def _model(m: _Map) -> Csp:
    """The rules as a Csp over the candidate edges (0, 1 or 2 bridges each)."""
    csp = Csp.uniform(len(m.edges), (0, 1, 2))
    for i, p in enumerate(m.pos):
        rule = f"island {_name(p)} needs {m.num[i]} bridge{'s' if m.num[i] != 1 else ''}"
        if m.at[i]:
            csp.sum(m.at[i], m.num[i], rule)
        elif m.num[i]:
            csp.add((), lambda dom: False, rule + " but no island is in line with it")
    for e, others in enumerate(m.cross):
        for f in others:
            if f > e:
                csp.add((e, f), _not_both(e, f), f"bridges {m.label(e)} and {m.label(f)} would cross")
    if len(m.pos) > 1:
        csp.add(range(len(m.edges)), _connected(m), "all islands must form one connected network")
    return csp


# ---- generation ---------------------------------------------------------------------------------------------
_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))
_AROUND = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)


def _grow(rng: np.random.Generator, n: int, count: int, gap: int) -> tuple[list[Point], list[tuple[Point, Point]]]:
    """Islands placed one at a time, each joined to an earlier one by a straight bridge that passes over no
    island and crosses no bridge, preferably not right next to another island; `gap` is the shortest bridge.
    Returns the islands and the tree's bridges (fewer islands than `count` when the lattice fills up)."""
    first = (int(rng.integers(n)), int(rng.integers(n)))
    points, taken, covered = [first], {first}, set()
    tree = []
    for _ in range(60 * count):
        if len(points) == count:
            break
        p = points[int(rng.integers(len(points)))]
        dx, dy = _STEPS[int(rng.integers(4))]
        options, span = [], []
        x, y = p[0] + dx, p[1] + dy
        while 0 <= x < n and 0 <= y < n and (x, y) not in taken and (x, y) not in covered:
            if len(span) + 1 >= gap:
                options.append((x, y, len(span)))
            span.append((x, y))
            x, y = x + dx, y + dy
        spaced = [o for o in options if not any((o[0] + dx, o[1] + dy) in taken for dx, dy in _AROUND)]
        if not spaced and (not options or rng.random() < CROWDED_SKIP):
            continue  # keep islands apart where the lattice allows it
        options = spaced or options
        x, y, k = options[int(rng.integers(len(options)))]
        points.append((x, y))
        taken.add((x, y))
        covered.update(span[:k])
        tree.append((p, (x, y)))
    return points, tree


def _layout(rng: np.random.Generator, level: int) -> tuple[int, list[tuple[int, int, int]], list[int]]:
    """One random instance of the level (side, islands (x, y, number) sorted by (y, x), bridges per edge of
    its map), not yet checked for uniqueness."""
    n, low, high, loops, double, cap = LADDER[level]
    while True:
        points, tree = _grow(rng, n, int(rng.integers(low, high + 1)), 2 if level == 1 else 1)
        if len(points) >= low:
            break
    points.sort(key=lambda p: (p[1], p[0]))
    m = _make_map(n, [(x, y, 0) for x, y in points])
    built = [0] * len(m.edges)
    for p, q in tree:
        built[m.edge_of[(m.index[p], m.index[q])]] = 1
    if loops:
        for e in rng.permutation(len(m.edges)).tolist():
            if not built[e] and not any(built[f] for f in m.cross[e]) and rng.random() < loops:
                built[e] = 1
    ends = [0] * len(points)
    for e, (a, b) in enumerate(m.edges):
        ends[a] += built[e]
        ends[b] += built[e]
    for e in rng.permutation(len(m.edges)).tolist():
        a, b = m.edges[e]
        if built[e] and rng.random() < double and (cap is None or max(ends[a], ends[b]) < cap):
            built[e] = 2
            ends[a] += 1
            ends[b] += 1
    return n, [(x, y, ends[i]) for i, (x, y) in enumerate(points)], built


def _bridge_list(m: _Map, built: Sequence[int]) -> list[dict[str, Any]]:
    """The official `bridges` records of the built edges, in answer order."""
    return [{"from": list(m.pos[a]), "to": list(m.pos[b]), "count": int(built[e])}
            for e, (a, b) in enumerate(m.edges) if built[e]]


# ---- reading answers --------------------------------------------------------------------------------------
def _read_bridges(text: str) -> list[tuple[Point, Point, int]]:
    """Every `(x1,y1)-(x2,y2):k` in the text (also `to`, arrows, `[x, y]`, `with k`, the official JSON
    records); a missing count means one bridge, lines with count 0 are dropped. ValueError when none."""
    text = clean_latex(str(text))
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError("the answer is too long")
    out = []
    for m in _BRIDGE.finditer(text):
        x1, y1, x2, y2, k = m.groups()
        count = int(k) if k is not None and len(k) < 6 else (1 if k is None else 10**6)
        if count:
            out.append(((int(x1), int(y1)), (int(x2), int(y2)), count))
    if not out and not _BRIDGE.search(text):
        raise ValueError("no bridges found: write one per line as (x1,y1)-(x2,y2):count")
    return out


def _judge(m: _Map, bridges: Sequence[tuple[Point, Point, int]]) -> tuple[list[str], dict[int, int]]:
    """The rule breaks of a set of bridges and the number built on each candidate edge."""
    out: list[str] = []
    total: dict[int, int] = {}
    for p, q, k in bridges:
        if p not in m.index or q not in m.index:
            out += [f"there is no island at {_name(t)}" for t in (p, q) if t not in m.index]
            continue
        if p == q:
            out.append(f"a bridge cannot join the island {_name(p)} to itself")
            continue
        if p[0] != q[0] and p[1] != q[1]:
            out.append(f"the bridge {_name(p)}-{_name(q)} is neither horizontal nor vertical")
            continue
        e = m.edge_of.get((m.index[p], m.index[q]))
        if e is None:
            out.append(f"the bridge {_name(p)}-{_name(q)} passes over the island {_name(m.between(p, q))}")
            continue
        total[e] = total.get(e, 0) + k
    for e in sorted(total):
        if total[e] > 2:
            out.append(f"{m.label(e)} has {total[e]} bridges; at most 2 may join two islands")
        out += [f"the bridges {m.label(e)} and {m.label(f)} cross" for f in m.cross[e] if f > e and f in total]
    for i, p in enumerate(m.pos):
        have = sum(total.get(e, 0) for e in m.at[i])
        if have != m.num[i]:
            out.append(f"island {_name(p)} has {have} bridge{'s' if have != 1 else ''} but its number is {m.num[i]}")
    if not out:
        out += network_violations(range(len(m.pos)), [m.edges[e] for e in total], "islands",
                                  lambda i: _name(m.pos[i]))
    return out, total


# ---- the task ---------------------------------------------------------------------------------------------
@register_task
class Bridges(Task):
    """Bridges (Hashiwokakero). Step grammar (0-based x y, x = column, y = row):
    `bridge X1 Y1 X2 Y2 K` sets the bridges between two islands to K in {0, 1, 2} (an answer line
    `(X1,Y1)-(X2,Y2):K` works too); `add X1 Y1 X2 Y2` cycles 0 -> 1 -> 2 -> 0; `remove X1 Y1 X2 Y2` sets 0.
    Illegal: a point that is no island, islands not in one row or column, an island between them, a new
    bridge crossing a built one. The env adds undo, restart, submit and `answer <...>`."""

    name = "Bridges"
    key = "bridges"
    category = "puzzles"
    # SERG: propagation alone connects most maps without a guess; see QuickChecks
    trace_quick: ClassVar[QuickChecks | None] = QuickChecks(share=0.5)
    score_function = "bridges_evaluator"
    step_help = (
        "bridge X1 Y1 X2 Y2 K: set the number of bridges between islands (X1,Y1) and (X2,Y2) to K (0, 1 or 2); "
        "x is the column and y the row, both from 0 at the top left\n"
        "add X1 Y1 X2 Y2: one more bridge between the two islands (after 2 it goes back to 0)\n"
        "remove X1 Y1 X2 Y2: take away the bridges between the two islands"
    )
    answer_help = "one bridge per line as (x1,y1)-(x2,y2):count, e.g. (0,0)-(3,0):2 then (0,0)-(0,2):1"
    _maps: ClassVar[dict[int, tuple[Any, _Map]]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        for _ in range(ATTEMPTS):
            n, islands, built = _layout(rng, level)
            m = _make_map(n, islands)
            if _model(m).count_solutions(2) == 1:
                break
        return self.puzzle(level, _data(n, islands, _bridge_list(m, built)))

    def geometry(self, puzzle: Puzzle) -> _Map:
        """The puzzle's map, built once per puzzle object (step mode consults it on every move)."""
        key = id(puzzle.data)
        hit = self._maps.get(key)
        if hit is not None and hit[0] is puzzle.data:
            return hit[1]
        made = _make_map(puzzle.data["size"], _islands(puzzle.data))
        if len(self._maps) >= 256:
            self._maps.clear()
        self._maps[key] = (puzzle.data, made)
        return made

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        """Bridges per candidate edge of the stored solution."""
        m = self.geometry(puzzle)
        built = [0] * len(m.edges)
        for b in puzzle.data["bridges"]:
            built[m.edge_of[(m.index[tuple(b["from"])], m.index[tuple(b["to"])])]] = b["count"]
        return tuple(built)

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return self.write_answer(puzzle, self.solution(puzzle))

    def write_answer(self, puzzle: Puzzle, built: Sequence[int]) -> str:
        m = self.geometry(puzzle)
        return "\n".join(f"{m.label(e)}:{k}" for e, k in enumerate(built) if k)

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        m = self.geometry(puzzle)
        return [self._command(m, e, k) for e, k in enumerate(self.solution(puzzle)) if k]

    @staticmethod
    def _command(m: _Map, e: int, k: int) -> str:
        (x1, y1), (x2, y2) = (m.pos[i] for i in m.edges[e])
        return f"bridge {x1} {y1} {x2} {y2} {k}"

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        m = self.geometry(puzzle)
        start = tuple([0] * len(m.edges))
        high = max(m.num, default=0)
        events = [TraceEvent("read", None, f"{len(m.pos)} islands on a {m.n}x{m.n} lattice with numbers up to "
                             f"{high}; {len(m.edges)} places where a bridge can go, "
                             f"{sum(map(len, m.cross)) // 2} pairs of them crossing", self.state_text(puzzle, start))]

        def board(values: list[int | None]) -> str:
            return self.state_text(puzzle, tuple(v or 0 for v in values))

        def value(k: int) -> str:
            return f"{k} bridge{'s' if k != 1 else ''}"

        found, search = _model(m).trace(lambda e, k: self._command(m, e, k), lambda e: m.label(e), board, value,
                                        quick=self.trace_quick)
        events += search
        built = found if found is not None and not _judge(m, self._as_bridges(m, found))[0] else self.solution(puzzle)
        events.append(TraceEvent("check", None, "every island has its number of bridges, no two bridges cross, "
                                 "no pair has more than 2, and the network is connected"))
        events.append(TraceEvent("answer", self.write_answer(puzzle, built), "the bridges, one per line"))
        return events

    @staticmethod
    def _as_bridges(m: _Map, built: Sequence[int]) -> list[tuple[Point, Point, int]]:
        return [(m.pos[a], m.pos[b], built[e]) for e, (a, b) in enumerate(m.edges) if built[e]]

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            bridges = _read_bridges(answer)
            parsed = [[list(p), list(q), k] for p, q, k in bridges]
            broken, _ = _judge(self.geometry(puzzle), bridges)
        except ValueError as exc:
            return Verdict.wrong(str(exc))
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        return Verdict.wrong(*broken, parsed=parsed) if broken else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        m = self.geometry(puzzle)
        lines = [f"{m.label(e)}:{int(rng.integers(1, 3))}" for e in range(len(m.edges)) if rng.random() < 0.5]
        return "\n".join(lines) or (f"{m.label(0)}:1" if m.edges else "(0,0)-(0,1):1")

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self) -> str:
        return (
            "Rules:\n"
            "1. Each island shows a number: exactly that many bridges must end at it.\n"
            "2. A bridge is a straight horizontal or vertical line between two islands in the same row or column, "
            "with no other island between them.\n"
            "3. Two islands may be joined by one or two bridges, never more.\n"
            "4. Bridges may not cross each other.\n"
            "5. All islands must end up connected into a single network."
        )

    def _format(self) -> str:
        return (
            "Answer format: one line per pair of joined islands, written (x1,y1)-(x2,y2):count with count 1 or 2, "
            "for example:\n(0,0)-(3,0):2\n(0,0)-(0,2):1\n(3,0)-(3,3):1"
        )

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        coords = (f"Coordinates are (x,y) on a {n}×{n} lattice of points: x is the column, counted from 0 on the "
                  f"left to {n - 1} on the right, and y is the row, counted from 0 at the top to {n - 1} at the "
                  "bottom.")
        if modality == "text":
            islands = "\n".join(f"- island at ({x},{y}) with number {k}" for x, y, k in _islands(puzzle.data))
            state = (f"{coords}\n\nThe islands ({len(puzzle.data['islands'])}):\n{islands}\n\n"
                     f"The same lattice as a map (a digit is an island, . an empty point; row y = 0 first):\n"
                     f"{self._ascii(puzzle, None)}")
            return f"Solve this Bridges (Hashiwokakero) puzzle.\n\n{self._rules()}\n\n{state}\n\n{self._format()}"
        state = (f"{coords} The picture shows the lattice with its x numbers along the top and its y numbers "
                 "down the left side; each island is a circle on a lattice point with its number inside, and the "
                 "small dots are empty points.")
        head = "Solve the Bridges (Hashiwokakero) puzzle in the picture."
        return f"{head}\n\n{self._rules()}\n\n{state}\n\n{self._format()}"

    def _ascii(self, puzzle: Puzzle, built: Sequence[int] | None) -> str:
        """The lattice as text: island numbers, `.` empty points, `-`/`=` single/double horizontal bridges,
        `|`/`H` single/double vertical ones."""
        m = self.geometry(puzzle)
        n = m.n
        grid = [["."] * n for _ in range(n)]
        for e, k in enumerate(built or ()):
            if k:
                a, b = m.edges[e]
                (x1, y1), (x2, y2) = m.pos[a], m.pos[b]
                if y1 == y2:
                    for x in range(x1 + 1, x2):
                        grid[y1][x] = "-" if k == 1 else "="
                else:
                    for y in range(y1 + 1, y2):
                        grid[y][x1] = "|" if k == 1 else "H"
        for (x, y), k in zip(m.pos, m.num):
            grid[y][x] = str(k)
        return "\n".join(" ".join(row) for row in grid)

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        """The sea with its lattice (light lines and dots), x numbers on top and y numbers on the left, islands
        as ringed circles with their numbers; in step mode the bridges built (one or two parallel lines) in the
        entered colour, islands whose number is met tinted green and over-full ones red."""
        m = self.geometry(puzzle)
        n = m.n
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.WHITE, board=SEA)
        cell = canvas.cell
        for k in range(n):
            x0, y0 = canvas.center(k, 0)
            x1, y1 = canvas.center(k, n - 1)
            canvas.draw.line((round(x0), round(y0), round(x1), round(y1)), fill=LATTICE, width=1)
            x0, y0 = canvas.center(0, k)
            x1, y1 = canvas.center(n - 1, k)
            canvas.draw.line((round(x0), round(y0), round(x1), round(y1)), fill=LATTICE, width=1)
        for r in range(n):
            for c in range(n):
                if (c, r) not in m.index:
                    canvas.circle(r, c, draw.GRID_LINE, radius=0.05, width=0)
        for k in range(n):
            canvas.label("top", k, str(k), draw.GRID_LINE, scale=0.32, offset=0.38)
            canvas.label("left", k, str(k), draw.GRID_LINE, scale=0.32, offset=0.38)
        have = [0] * len(m.pos)
        if state is not None:
            for e, k in enumerate(state):
                if k:
                    _draw_bridge(canvas, m, e, k)
                    a, b = m.edges[e]
                    have[a] += k
                    have[b] += k
        for i, ((x, y), k) in enumerate(zip(m.pos, m.num)):
            fill = draw.WHITE
            if state is not None:
                fill = ISLAND_DONE if have[i] == k else ISLAND_OVER if have[i] > k else draw.WHITE
            canvas.circle(y, x, fill, radius=0.36, outline=ISLAND_RING, width=max(2, cell // 16))
            canvas.write(y, x, str(k), draw.GIVEN, scale=0.42)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return tuple([0] * len(self.geometry(puzzle).edges))

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, ...]:
        m = self.geometry(puzzle)
        verb, numbers = _split(move)
        if verb in SET_WORDS or (verb is None and len(numbers) == 5):
            if len(numbers) != 5:
                raise InvalidMove("write `bridge X1 Y1 X2 Y2 K` with K = 0, 1 or 2")
            k = numbers[4]
            if k > 2:
                raise InvalidMove(f"at most 2 bridges may join two islands, not {k}")
        elif verb in ADD_WORDS or (verb is None and len(numbers) == 4):
            if len(numbers) != 4:
                raise InvalidMove("write `add X1 Y1 X2 Y2`")
            k = -1
        elif verb in REMOVE_WORDS:
            if len(numbers) != 4:
                raise InvalidMove("write `remove X1 Y1 X2 Y2`")
            k = 0
        else:
            raise InvalidMove(f"unknown command {str(move)[:40]!r}; use bridge, add or remove")
        e = self._edge(m, (numbers[0], numbers[1]), (numbers[2], numbers[3]))
        if k < 0:
            k = (state[e] + 1) % 3
        if k == state[e]:
            raise InvalidMove(f"{m.label(e)} already has {k} bridge{'s' if k != 1 else ''}")
        if k:
            for f in m.cross[e]:
                if state[f]:
                    raise InvalidMove(f"a bridge {m.label(e)} would cross the bridge {m.label(f)}")
        return (*state[:e], k, *state[e + 1:])

    @staticmethod
    def _edge(m: _Map, p: Point, q: Point) -> int:
        """The candidate edge between two points, or InvalidMove saying why there is none."""
        missing = [t for t in (p, q) if t not in m.index]
        if missing:
            raise InvalidMove(f"there is no island at {_name(missing[0])}")
        if p == q:
            raise InvalidMove("a bridge needs two different islands")
        if p[0] != q[0] and p[1] != q[1]:
            raise InvalidMove(f"{_name(p)} and {_name(q)} are not in the same row or column")
        e = m.edge_of.get((m.index[p], m.index[q]))
        if e is None:
            raise InvalidMove(f"the island {_name(m.between(p, q))} lies between {_name(p)} and {_name(q)}")
        return e

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        """The official initial_state notation with the player's bridges, then the lattice as a text map."""
        m = self.geometry(puzzle)
        body = json.dumps({"islands": puzzle.data["islands"], "bridges": _bridge_list(m, state)})
        return f"{body}\n{self._ascii(puzzle, state)}"

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        m = self.geometry(puzzle)
        return not _judge(m, self._as_bridges(m, state))[0]

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str]:
        m = self.geometry(puzzle)
        out = []
        for e in range(len(m.edges)):
            blocked = any(state[f] for f in m.cross[e])
            out += [self._command(m, e, k) for k in (0, 1, 2) if k != state[e] and not (k and blocked)]
        return out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        m = self.geometry(puzzle)
        out = [self._command(m, e, k) for e in range(len(m.edges)) for k in (0, 1, 2)]
        for _e, (a, b) in enumerate(m.edges):
            (x1, y1), (x2, y2) = m.pos[a], m.pos[b]
            out.append(f"add {x1} {y1} {x2} {y2}")
        return out

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        if not any(state):
            raise InvalidMove("no bridge is built yet")
        return self.write_answer(puzzle, state)

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        """Islands with more bridges than their number, and, once every island is complete, a split network."""
        m = self.geometry(puzzle)
        have = [0] * len(m.pos)
        for e, k in enumerate(state):
            a, b = m.edges[e]
            have[a] += k
            have[b] += k
        out = [f"island {_name(p)} has {h} bridges but its number is {k}"
               for p, h, k in zip(m.pos, have, m.num) if h > k]
        if not out and have == list(m.num):
            out += network_violations(range(len(m.pos)), [m.edges[e] for e, k in enumerate(state) if k], "islands",
                                      lambda i: _name(m.pos[i]))
        return out

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * max(1, len(self.geometry(puzzle).edges)) + 20

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        d = puzzle.data
        state = json.dumps({"islands": d["islands"], "bridges": d["bridges"]})
        return self.base_record(puzzle, index=f"bridges_difficulty_{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), initial_state=state, grid_size=d["size"])

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        try:
            islands = [(int(isl["x"]), int(isl["y"]), int(isl["num"])) for isl in state["islands"]]
        except (TypeError, KeyError, ValueError) as exc:
            raise RecordError(f"Bridges: unreadable initial_state ({exc})") from exc
        level = self.record_level(record)
        n = _record_side(record, islands, level)
        if not islands or len({(x, y) for x, y, _ in islands}) != len(islands) or any(
                not (0 <= x < n and 0 <= y < n and 0 < k <= 8) for x, y, k in islands):
            raise RecordError("Bridges: islands must be distinct lattice points with numbers 1-8")
        islands.sort(key=lambda t: (t[1], t[0]))
        m = _make_map(n, islands)
        built = self._record_solution(m, record, state)
        data = _data(n, islands, _bridge_list(m, built))
        return self.puzzle(level, data, seed=self.record_seed(record))

    def _record_solution(self, m: _Map, record: dict[str, Any], state: Any) -> Sequence[int]:
        """The record's bridges (initial_state) or answer when they are valid, else the solver's solution."""
        candidates = []
        if isinstance(state, dict) and isinstance(state.get("bridges"), list):
            candidates.append(json.dumps(state["bridges"]))
        if record.get("answer") is not None:
            answer = record["answer"]
            candidates.append(answer if isinstance(answer, str) else json.dumps(answer))
        for text in candidates:
            try:
                broken, total = _judge(m, _read_bridges(text))
            except ValueError:
                continue
            if not broken:
                return [total.get(e, 0) for e in range(len(m.edges))]
        found = _model(m).solve()
        if found is None:
            raise RecordError("Bridges: the puzzle has no solution")
        return found


# ---- module helpers ---------------------------------------------------------------------------------------
def _data(n: int, islands: Sequence[tuple[int, int, int]], bridges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"size": n, "islands": [{"x": x, "y": y, "num": k} for x, y, k in islands], "bridges": bridges}


def _split(move: str) -> tuple[str | None, list[int]]:
    """A command's verb (None when it starts with a number or a bracket) and its whole numbers."""
    text = normalize_command(move)
    head = re.match(r"[a-z+\-]+", text)
    verb = head.group(0) if head else None
    rest = text[head.end():] if head else text
    numbers = [int(t) for t in _INT.findall(rest) if len(t) < 5]
    return verb, numbers


def _record_side(record: dict[str, Any], islands: Sequence[tuple[int, int, int]], level: int) -> int:
    """The lattice side: our records' `grid_size`, else the `Grid size: NxN` of the text question, else the
    official ladder's side for the level, never smaller than the islands need."""
    need = max((max(x, y) + 1 for x, y, _ in islands), default=1)
    side = record.get("grid_size")
    if isinstance(side, dict):
        side = side.get("rows")
    if side is None:
        found = _SIZE.search(str(record.get("question_language") or record.get("question") or ""))
        side = int(found.group(1)) if found else LADDER.get(level, (need,))[0]
    try:
        side = int(side)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"Bridges: unreadable grid size {side!r}") from exc
    if not need <= side <= MAX_SIDE:
        side = need
    if side > MAX_SIDE:
        raise RecordError(f"Bridges: the lattice is larger than {MAX_SIDE}x{MAX_SIDE}")
    return side


def _draw_bridge(canvas: draw.GridCanvas, m: _Map, e: int, k: int) -> None:
    """One or two parallel lines between the rims of two islands."""
    a, b = m.edges[e]
    (x1, y1), (x2, y2) = m.pos[a], m.pos[b]
    (px, py), (qx, qy) = canvas.center(y1, x1), canvas.center(y2, x2)
    cell = canvas.cell
    width = max(2, round(cell * 0.07))
    offsets = (0.0,) if k == 1 else (-0.11, 0.11)
    horizontal = y1 == y2
    for off in offsets:
        d = off * cell
        if horizontal:
            seg = (round(px + cell * 0.3), round(py + d), round(qx - cell * 0.3), round(qy + d))
        else:
            seg = (round(px + d), round(py + cell * 0.3), round(qx + d), round(qy - cell * 0.3))
        canvas.draw.line(seg, fill=draw.ENTERED, width=width)
