"""Shingoki (MM-HELIX key `shingoki`): draw one closed loop along the lines of an n x n lattice of points that
passes every circle, goes straight through white circles and turns at black ones; a circle's number is the
sum of the lengths of the two straight lines that leave it (each running until the loop turns).

Generation (n = level + 2 points per side): the loop is the boundary of a random polyomino grown cell by cell on
the (n-1) x (n-1) squares, keeping it and its outside connected so that its boundary is one simple loop, until
the loop is at least as long as the official minimum (6, 9, 15, 21, 30 segments); circles go on the official
number of random loop points (3, 4, 4, 6, 10), then on further loop points that the solver's second solution
contradicts until the loop is unique. The official generator's walk almost never closes, so all its level 4-5
instances (and about 2/3 of the others) are the border rectangle.

The verifier checks the rules on the points that exist: the official evaluator's bounds are off by one and let a
loop use a row or column of points beyond the lattice.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.csp import Csp, Prune, QuickChecks, SearchBudgetExceeded, Table
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import MAX_ANSWER_CHARS, AnswerError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.topology import loop_order, loop_violations

OFF, ON = 0, 1  # an edge slot's value: no segment / a segment
OFF_BIT, ON_BIT, BOTH = 1 << OFF, 1 << ON, (1 << OFF) | (1 << ON)
MIN_LENGTH = {1: 6, 2: 9, 3: 15, 4: 21, 5: 30}  # official minimum loop length (segments)
CIRCLES = {1: 3, 2: 4, 3: 4, 4: 6, 5: 10}  # official circle count; we add circles until unique
MAX_TRIES = 400  # search tries per uniqueness check before the generator draws another loop
RESTARTS = 200
# growth weights of a square by how many sides it shares with the region (1: the loop gets longer by 2)
GROW_WEIGHT = {1: 6.0, 2: 1.5, 3: 0.3}
MARGIN = (0.85, 0.85, 0.55, 0.55)  # in lattice gaps: coordinates on the left and on top, circles overhang
BACKGROUND = (236, 244, 252)
LATTICE = (178, 203, 232)
DOT_INK = (35, 60, 130)
RING_INK = (35, 80, 170)
BLACK_FILL = (35, 35, 40)
WHITE_INK = (25, 45, 120)
_TOKEN = re.compile(r"^[WB](\d{1,3})$")
_PAIR = re.compile(r"[(\[{]?\s*(?<!\d)(\d++)\s*[,;]\s*(\d++)\s*[)\]}]?")  # possessive: linear on digit runs
_LINK = re.compile(r"^\s*(?:-+>?|=>|[–—−→]|to)\s*$", re.I)
_NEGATIVE = re.compile(r"[(\[{,]\s*-\s*\d")
_POINT_FLOAT = re.compile(r"(?<![\d.])(\d++)\.0+(?![\d.])")
_SEPARATOR_DASH = re.compile(r"(?<=[\d)\]])\s*(?:-+>?|[–—−→]|to)\s*")
_VERBS = {"line": ON, "draw": ON, "add": ON, "connect": ON, "join": ON, "l": ON,
          "erase": OFF, "remove": OFF, "delete": OFF, "clear": OFF, "unline": OFF, "e": OFF}
_SIDES = {"up": (0, 0, 0, 1), "w": (0, 0, 0, 1), "down": (1, 0, 1, 1), "s": (1, 0, 1, 1),
          "left": (0, 0, 1, 0), "a": (0, 0, 1, 0), "right": (0, 1, 1, 1), "d": (0, 1, 1, 1)}


# ---- lattice geometry -------------------------------------------------------------------------------------
# Edge slots: 2p is the segment from point p to its right neighbour, 2p + 1 the one to the point below; slots
# that would leave the lattice exist (fixed empty) so that a slot's number says where it is.
def slot(n: int, a: int, b: int) -> int:
    """The slot of the segment between neighbouring points a and b."""
    a, b = min(a, b), max(a, b)
    return 2 * a if b == a + 1 else 2 * a + 1


def slot_ends(n: int, e: int) -> tuple[int, int]:
    p, down = divmod(e, 2)
    return p, p + n if down else p + 1


@lru_cache(maxsize=32)
def valid_slots(n: int) -> tuple[int, ...]:
    """Every slot that joins two points of the lattice."""
    return tuple(e for e in range(2 * n * n) if (e % 2 and e // 2 < n * (n - 1)) or
                 (not e % 2 and (e // 2) % n < n - 1))


@lru_cache(maxsize=32)
def incident(n: int) -> tuple[tuple[int, ...], ...]:
    """The slots of the segments that can meet at each point."""
    out = []
    for p in range(n * n):
        r, c = divmod(p, n)
        out.append(tuple(e for e, ok in ((2 * (p - 1), c > 0), (2 * p, c < n - 1), (2 * (p - n) + 1, r > 0),
                                         (2 * p + 1, r < n - 1)) if ok))
    return tuple(out)


def point_name(n: int, p: int) -> str:
    return f"({p // n},{p % n})"


def segment_text(n: int, e: int) -> str:
    a, b = slot_ends(n, e)
    return f"{point_name(n, a)}-{point_name(n, b)}"


def arm(n: int, on: Any, p: int, dr: int, dc: int) -> int:
    """How many segments run straight from point p in direction (dr, dc) (`on[slot]` true = drawn)."""
    r, c = divmod(p, n)
    k = 0
    while 0 <= r + dr < n and 0 <= c + dc < n and on[slot(n, r * n + c, (r + dr) * n + c + dc)]:
        k += 1
        r, c = r + dr, c + dc
    return k


def circle_at(n: int, on: Any, p: int) -> str | None:
    """The circle a loop would show at point p: `W<v>` where it goes straight, `B<v>` where it turns, None
    where it does not pass."""
    left, right, up, down = arm(n, on, p, 0, -1), arm(n, on, p, 0, 1), arm(n, on, p, -1, 0), arm(n, on, p, 1, 0)
    if left and right:
        return f"W{left + right}"
    if up and down:
        return f"W{up + down}"
    if (left or right) and (up or down):
        return f"B{left + right + up + down}"
    return None


def parse_circle(token: Any) -> tuple[str, int] | None:
    """(`W` or `B`, value) of a grid entry, None for `.`; RecordError for anything else."""
    text = str(token).strip().upper()
    if text in (".", "", "0"):
        return None
    m = _TOKEN.match(text)
    if not m:
        raise RecordError(f"Shingoki: unreadable grid entry {token!r}")
    return text[0], int(m.group(1))


# ---- the solver's model -----------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _degree_table(m: int) -> Table:
    """A point's m segments: none or exactly two are drawn."""
    rows = [[x >> j & 1 for j in range(m)] for x in range(1 << m)]
    return Table([bits for bits in rows if sum(bits) in (0, 2)])


def _run(n: int, p: int, dr: int, dc: int, length: int) -> tuple[list[int], int | None] | None:
    """The slots of a straight run of `length` segments from p in direction (dr, dc) and the slot that would
    continue it (None at the lattice's edge); None when the run leaves the lattice."""
    r, c = divmod(p, n)
    if not (0 <= r + dr * length < n and 0 <= c + dc * length < n):
        return None
    slots = [slot(n, (r + dr * k) * n + c + dc * k, (r + dr * (k + 1)) * n + c + dc * (k + 1)) for k in range(length)]
    r2, c2 = r + dr * length, c + dc * length
    more = slot(n, r2 * n + c2, (r2 + dr) * n + c2 + dc) if 0 <= r2 + dr < n and 0 <= c2 + dc < n else None
    return slots, more


def circle_options(n: int, p: int, kind: str, value: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every way the loop can meet a circle, as (slots drawn, slots empty): a white circle's line runs straight
    through p, a black circle's two arms leave p at a right angle, the arms' lengths add up to `value`, and each
    arm stops where the loop turns (the slot beyond it is empty)."""
    if kind == "W":
        pairs = [((0, -1), (0, 1)), ((-1, 0), (1, 0))]
    else:
        pairs = [((0, dc), (dr, 0)) for dc in (-1, 1) for dr in (-1, 1)]
    out = []
    for d1, d2 in pairs:
        for a in range(1, value):
            x, y = _run(n, p, *d1, a), _run(n, p, *d2, value - a)
            if x is None or y is None:
                continue
            out.append((tuple(x[0] + y[0]), tuple(s for s in (x[1], y[1]) if s is not None)))
    return out


def _circle_prune(options: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> tuple[list[int], Prune]:
    """Propagator of one circle: the ways still open given the drawn and empty slots; a slot drawn (or empty)
    in every open way is drawn (or empty)."""
    on_masks = [sum(1 << e for e in on) for on, _ in options]
    off_masks = [sum(1 << e for e in off) for _, off in options]
    scope = sorted({e for on, off in options for e in on + off})

    def prune(dom: list[int]) -> bool:
        drawn = empty = 0
        for e in scope:
            d = dom[e]
            if d == ON_BIT:
                drawn |= 1 << e
            elif d == OFF_BIT:
                empty |= 1 << e
        must_on = must_off = -1
        alive = False
        for on_m, off_m in zip(on_masks, off_masks):
            if not (on_m & empty or off_m & drawn):
                alive = True
                must_on &= on_m
                must_off &= off_m
        if not alive:
            return False
        if must_on & ~drawn or must_off & ~empty:
            for e in scope:
                if must_on >> e & 1:
                    dom[e] = ON_BIT
                elif must_off >> e & 1:
                    dom[e] = OFF_BIT
        return True

    return scope, prune


def _loop_prune(n: int, circles: list[int]) -> Prune:
    """Propagator: the drawn segments become one closed loop through every circle (`circles` may grow).

    A closed loop must hold every drawn segment and circle (then every open slot is empty); every drawn
    segment and circle must be reachable from the others over slots that are not empty (unreachable open slots
    are empty); a slot that would close a chain into a loop too early (other pieces or circles left out) is
    empty."""
    size = n * n
    slots = valid_slots(n)
    ends = [slot_ends(n, e) for e in range(2 * size)]
    inc = incident(n)

    def prune(dom: list[int]) -> bool:
        parent = list(range(size))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        drawn, open_ = [], []
        for e in slots:
            d = dom[e]
            if d == ON_BIT:
                drawn.append(e)
            elif d == BOTH:
                open_.append(e)
        if not drawn:
            return bool(open_)
        closed = -1
        degree = [0] * size
        for e in drawn:
            a, b = ends[e]
            degree[a] += 1
            degree[b] += 1
            ra, rb = find(a), find(b)
            if ra == rb:
                closed = ra
            else:
                parent[ra] = rb
        if closed >= 0:
            root = find(closed)
            if any(find(ends[e][0]) != root for e in drawn) or any(find(p) != root for p in circles):
                return False
            for e in open_:
                dom[e] = OFF_BIT
            return True
        start = ends[drawn[0]][0]
        seen = bytearray(size)
        seen[start] = 1
        stack = [start]
        while stack:
            p = stack.pop()
            for e in inc[p]:
                if dom[e] & ON_BIT:
                    a, b = ends[e]
                    q = b if a == p else a
                    if not seen[q]:
                        seen[q] = 1
                        stack.append(q)
        if any(not seen[ends[e][0]] for e in drawn) or any(not seen[p] for p in circles):
            return False
        chain_ends: dict[int, list[int]] = {}
        for p in range(size):
            if degree[p] == 1:
                chain_ends.setdefault(find(p), []).append(p)
        pieces = len({find(ends[e][0]) for e in drawn})
        for e in open_:
            a, b = ends[e]
            if not seen[a]:
                dom[e] = OFF_BIT
            elif degree[a] == 1 and degree[b] == 1 and find(a) == find(b):
                root = find(a)
                if pieces > 1 or any(find(p) != root for p in circles):
                    dom[e] = OFF_BIT  # it would close this chain and leave the rest out
        return True

    return prune


def base_model(n: int) -> tuple[Csp, list[int]]:
    """The circle-free rules as a Csp over the edge slots, and the (growing) list of circle points that the
    loop propagator must keep on the loop."""
    valid = set(valid_slots(n))
    csp = Csp([BOTH if e in valid else OFF_BIT for e in range(2 * n * n)])
    for p, slots in enumerate(incident(n)):
        csp.table(slots, _degree_table(len(slots)), f"point {point_name(n, p)} has no segment or exactly two")
    circles: list[int] = []
    csp.add(sorted(valid), _loop_prune(n, circles), "the segments must form one closed loop")
    return csp, circles


def add_circle(csp: Csp, circles: list[int], n: int, p: int, kind: str, value: int) -> None:
    colour = "white" if kind == "W" else "black"
    how = "goes straight through it" if kind == "W" else "turns at it"
    scope, prune = _circle_prune(circle_options(n, p, kind, value))
    csp.add(scope, prune, f"the {colour} circle {value} at {point_name(n, p)}: the loop {how} and its two straight "
            f"lines are {value} long together")
    circles.append(p)


def model(n: int, circles: dict[int, tuple[str, int]]) -> Csp:
    csp, points = base_model(n)
    for p, (k, v) in sorted(circles.items()):
        add_circle(csp, points, n, p, k, v)
    return csp


# ---- generation ---------------------------------------------------------------------------------------------
def _keeps_outside_connected(inside: Sequence[int], m: int, j: int) -> bool:
    """Whether adding square j to the region keeps the squares outside it (beyond the board counts as outside)
    in one piece: the outside squares among j's four side neighbours must form one run around the ring of its
    eight neighbours (neighbours in the ring share a side). With the region and its outside both connected, the
    region's boundary is one simple loop."""
    r, c = divmod(j, m)
    ring = [not (0 <= r + dr < m and 0 <= c + dc < m and inside[(r + dr) * m + c + dc])
            for dr, dc in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]
    if all(ring):
        return True
    first = ring.index(False)
    runs, in_run, has_side = 0, False, False
    for q in range(first + 1, first + 9):  # ends on `first`, which closes the last run
        k = q % 8
        if ring[k]:
            if not in_run:
                in_run, has_side = True, False
            has_side |= k % 2 == 0  # side neighbours sit at even ring positions
        elif in_run:
            runs += has_side
            in_run = False
    return runs == 1


def random_region(m: int, length: int, rng: np.random.Generator) -> list[int] | None:
    """A random polyomino on an m x m board of squares, grown from one square, whose boundary is a simple loop
    of at least `length` segments; None when the growth gets stuck first."""
    inside = [0] * (m * m)
    start = int(rng.integers(m * m))
    inside[start] = 1
    perimeter = 4
    while perimeter < length:
        options, weights = [], []
        for j in range(m * m):
            if inside[j]:
                continue
            r, c = divmod(j, m)
            sides = sum(1 for r2, c2 in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                        if 0 <= r2 < m and 0 <= c2 < m and inside[r2 * m + c2])
            if sides and sides < 4 and _keeps_outside_connected(inside, m, j):
                options.append((j, sides))
                weights.append(GROW_WEIGHT[sides])
        if not options:
            return None
        w = np.asarray(weights)
        j, sides = options[int(rng.choice(len(options), p=w / w.sum()))]
        inside[j] = 1
        perimeter += 4 - 2 * sides
    return inside


def region_loop(m: int, inside: Sequence[int]) -> list[int]:
    """The slot values (ON/OFF) of the boundary of a region of squares on the (m + 1)-point lattice."""
    n = m + 1
    on = [OFF] * (2 * n * n)
    for j, flag in enumerate(inside):
        if not flag:
            continue
        r, c = divmod(j, m)
        for (r2, c2), (a, b) in (((r - 1, c), (r * n + c, r * n + c + 1)),
                                 ((r + 1, c), ((r + 1) * n + c, (r + 1) * n + c + 1)),
                                 ((r, c - 1), (r * n + c, (r + 1) * n + c)),
                                 ((r, c + 1), (r * n + c + 1, (r + 1) * n + c + 1))):
            if not (0 <= r2 < m and 0 <= c2 < m and inside[r2 * m + c2]):
                on[slot(n, a, b)] = ON
    return on


def _loop_points(n: int, on: Sequence[int]) -> list[int]:
    return sorted({p for e in valid_slots(n) if on[e] for p in slot_ends(n, e)})


def _unique_circles(n: int, on: list[int], first: int, rng: np.random.Generator
                    ) -> tuple[list[int], dict[int, str]] | None:
    """Circles that leave only one loop: `first` random loop points, then one at a time a loop point where the
    solver's other loop differs. When the other loop shows the same circles at every point of ours (it takes a
    detour through points ours misses), it becomes the loop instead: it satisfies every circle so far, and it
    passes more points, so this ends. Returns the loop and its circles, or None when a check runs out of tries."""
    points = _loop_points(n, on)
    chosen = [points[int(j)] for j in rng.permutation(len(points))[:first]]
    circles = {p: circle_at(n, on, p) for p in chosen}
    csp, kept = base_model(n)
    for p, token in circles.items():
        add_circle(csp, kept, n, p, token[0], int(token[1:]))
    sol = tuple(on)
    while True:
        try:
            found = csp.solutions(2, max_tries=MAX_TRIES)
        except SearchBudgetExceeded:
            return None
        if len(found) == 1:
            return list(sol), circles
        other = found[0] if found[0] != sol else found[1]
        telling = [p for p in points if p not in circles and circle_at(n, other, p) != circle_at(n, sol, p)]
        if not telling:
            sol, points = other, _loop_points(n, other)
            continue
        p = telling[int(rng.integers(len(telling)))]
        circles[p] = circle_at(n, sol, p)
        add_circle(csp, kept, n, p, circles[p][0], int(circles[p][1:]))


# ---- answers ------------------------------------------------------------------------------------------------
def read_segments(text: Any) -> list[tuple[int, int, int, int]]:
    """The segments (r1, c1, r2, c2) an answer lists: `(r1,c1)-(r2,c2)` items (any dash, `->`, `to`, square
    brackets, or none: `0,0-0,1`), chains of points joined that way (`(0,0)-(0,1)-(1,1)`), or a plain sequence
    of points in loop order (`(0,0), (0,1), (1,1), (1,0)`, closed back to its start)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError("the answer is too long")
    text = _POINT_FLOAT.sub(r"\1", clean_latex(text))
    if _NEGATIVE.search(text):
        raise AnswerError("a coordinate is negative; points count from (0,0) at the top left")
    chains: list[list[tuple[int, int]]] = []
    last = -1
    for m in _PAIR.finditer(text):
        point = (int(m.group(1)), int(m.group(2)))
        if chains and _LINK.match(text[last:m.start()]):
            chains[-1].append(point)
        else:
            chains.append([point])
        last = m.end()
    if not chains:
        raise AnswerError("no segments found; write them as (r1,c1)-(r2,c2) separated by spaces")
    if all(len(ch) == 1 for ch in chains):  # a sequence of points in loop order
        points = [ch[0] for ch in chains]
        if len(points) > 1 and points[0] != points[-1]:
            points.append(points[0])
        chains = [points]
    elif any(len(ch) == 1 for ch in chains):
        lone = next(ch[0] for ch in chains if len(ch) == 1)
        raise AnswerError(f"the point ({lone[0]},{lone[1]}) stands alone; write every segment as (r1,c1)-(r2,c2)")
    return [(*a, *b) for ch in chains for a, b in itertools.pairwise(ch)]


def segments_text(n: int, order: Sequence[int]) -> str:
    """A loop given as its points in walking order, in the official notation `(r1,c1)-(r2,c2) ...`."""
    return " ".join(f"{point_name(n, a)}-{point_name(n, b)}" for a, b in zip(order, [*order[1:], order[0]]))


@register_task
class Shingoki(Task):
    """Shingoki: draw one closed loop along the lines of the lattice of points, without branches or crossings,
    through every circle; the loop goes straight through a white circle and turns at a black one, and a circle's
    number is the total length of the two straight lines leaving it (each until the loop turns).

    Step grammar (0-based point coordinates `row column`, as the official answer counts):
        line R1 C1 R2 C2    draw the segment between the neighbouring points (R1,C1) and (R2,C2)
        erase R1 C1 R2 C2   remove that segment
    """

    name = "Shingoki"
    key = "shingoki"
    category = "puzzles"
    trace_quick: ClassVar[QuickChecks | None] = None  # the traced search's checks before its first hypothesis
    score_function = "shingoki_evaluator"
    step_help = (
        "line R1 C1 R2 C2: draw the segment between neighbouring points (R1,C1) and (R2,C2) (0-based from the "
        "top left; `line (0,0)-(0,1)` also works)\n"
        "erase R1 C1 R2 C2: remove that segment"
    )
    answer_help = "the loop's segments in order as (r1,c1)-(r2,c2) separated by spaces: (0,0)-(0,1) (0,1)-(1,1) ..."

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        n = level + 2
        for _ in range(RESTARTS):
            inside = random_region(n - 1, MIN_LENGTH[level] + 2 * int(rng.integers(n - 1)), rng)
            if inside is None:
                continue
            found = _unique_circles(n, region_loop(n - 1, inside), CIRCLES[level], rng)
            if found is None:
                continue
            on, circles = found
            grid = [[circles.get(r * n + c, ".") for c in range(n)] for r in range(n)]
            order = loop_order([slot_ends(n, e) for e in valid_slots(n) if on[e]])
            return self.puzzle(level, {"grid": grid, "loop": [list(divmod(p, n)) for p in order]})
        raise RuntimeError(f"Shingoki: no unique level-{level} instance after {RESTARTS} loops")

    @staticmethod
    def circles(puzzle: Puzzle) -> dict[int, tuple[str, int]]:
        """Point index -> (`W` or `B`, value)."""
        grid = puzzle.data["grid"]
        n = len(grid)
        out = {}
        for r, row in enumerate(grid):
            for c, token in enumerate(row):
                parsed = parse_circle(token)
                if parsed:
                    out[r * n + c] = parsed
        return out

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return model(len(puzzle.data["grid"]), self.circles(puzzle))

    def _loop(self, puzzle: Puzzle) -> list[int]:
        n = len(puzzle.data["grid"])
        return [r * n + c for r, c in puzzle.data["loop"]]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return segments_text(len(puzzle.data["grid"]), self._loop(puzzle))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["grid"])
        order = self._loop(puzzle)
        moves = []
        for a, b in zip(order, [*order[1:], order[0]]):
            a, b = min(a, b), max(a, b)  # the canonical spelling of move_space: the upper or left point first
            moves.append(f"line {a // n} {a % n} {b // n} {b % n}")
        return moves

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        n = len(puzzle.data["grid"])
        circles = self.circles(puzzle)
        listed = ", ".join(f"{'white' if k == 'W' else 'black'} {v} at {point_name(n, p)}"
                           for p, (k, v) in sorted(circles.items()))
        events = [TraceEvent("read", None, f"{n}x{n} points, {len(circles)} circles: {listed}",
                             self.state_text(puzzle, self.initial_state(puzzle)))]
        valid = set(valid_slots(n))

        def move(e: int, value: int) -> str | None:
            if value != ON or e not in valid:
                return None
            a, b = slot_ends(n, e)
            return f"line {a // n} {a % n} {b // n} {b % n}"

        def board(values: list[int | None]) -> str:
            return self.state_text(puzzle, tuple(1 if v == ON else 0 for v in values[:2 * n * n]))

        found, search = self.build_csp(puzzle).trace(move, lambda e: "the segment " + segment_text(n, e), board,
                                                     lambda v: "drawn" if v == ON else "empty", quick=self.trace_quick)
        events += search
        answer = self.solve(puzzle)
        if found is not None:
            order = loop_order([slot_ends(n, e) for e in valid_slots(n) if found[e] == ON])
            if order is not None:
                candidate = segments_text(n, order)
                if self.verify(puzzle, candidate).correct:
                    answer = candidate
        events.append(TraceEvent("check", None, "the segments form one closed loop through every circle, straight "
                                  "at white ones, turning at black ones, with every circle's lines adding up"))
        events.append(TraceEvent("answer", answer, "the loop's segments in walking order"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def violations(self, puzzle: Puzzle, segments: Sequence[tuple[int, int, int, int]],
                   complete: bool = True) -> list[str]:
        """Every rule the drawn segments break. With complete=False (a step-mode position) only what is
        visible already: circles met wrongly or overshot, and a closed loop that leaves something out."""
        n = len(puzzle.data["grid"])
        out = []
        inside: list[tuple[int, int]] = []
        for r1, c1, r2, c2 in segments:
            if not all(0 <= v < n for v in (r1, c1, r2, c2)):
                out.append(f"the segment ({r1},{c1})-({r2},{c2}) leaves the {n}x{n} grid of points (rows and columns "
                           f"count 0 to {n - 1})")
            else:
                inside.append((r1 * n + c1, r2 * n + c2))
        if complete:
            out += loop_violations(inside, n, n, base=0, what="loop")
        on = [False] * (2 * n * n)
        for a, b in inside:
            ra, ca, rb, cb = a // n, a % n, b // n, b % n
            if abs(ra - rb) + abs(ca - cb) == 1:
                on[slot(n, a, b)] = True
        out += self._circle_violations(n, self.circles(puzzle), on, complete)
        if not complete:
            out += self._early_loop(n, on)
        return out

    def _circle_violations(self, n: int, circles: dict[int, tuple[str, int]], on: list[bool],
                           complete: bool) -> list[str]:
        out = []
        for p, (kind, value) in sorted(circles.items()):
            colour = "white" if kind == "W" else "black"
            name = f"the {colour} circle {value} at {point_name(n, p)}"
            left, right, up, down = (arm(n, on, p, 0, -1), arm(n, on, p, 0, 1), arm(n, on, p, -1, 0),
                                     arm(n, on, p, 1, 0))
            flat, tall = bool(left or right), bool(up or down)
            if not (flat or tall):
                if complete:
                    out.append(f"{name} is not on the loop")
                continue
            if kind == "W" and flat and tall:
                out.append(f"the loop turns at {name}")
                continue
            if kind == "B" and ((left and right) or (up and down)):
                out.append(f"the loop goes straight through {name}")
                continue
            total = left + right + up + down
            if total > value or (complete and total != value):
                out.append(f"the straight lines from {name} are {total} long together, not {value}")
        return out

    def _early_loop(self, n: int, on: list[bool]) -> list[str]:
        """A closed loop in a position that leaves other segments out."""
        drawn = [slot_ends(n, e) for e in valid_slots(n) if on[e]]
        order = loop_order(drawn)
        if order is not None or len(drawn) < 4:
            return []
        adj: dict[int, list[int]] = {}
        for a, b in drawn:
            adj.setdefault(a, []).append(b)
            adj.setdefault(b, []).append(a)
        for start in sorted(adj):
            prev, cur, size = start, adj[start][0], 1
            while len(adj[cur]) == 2 and cur != start:
                a, b = adj[cur]
                prev, cur, size = cur, (b if a == prev else a), size + 1
            if cur == start and size < len(drawn):
                return [f"a closed loop through {point_name(n, start)} leaves other segments out"]
        return []

    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            segments = read_segments(answer)
            broken = self.violations(puzzle, segments)
        except AnswerError as exc:
            return Verdict.wrong(str(exc))
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        parsed = [list(s) for s in segments]
        return Verdict.wrong(*broken, parsed=parsed) if broken else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        """A random closed walk's worth of segments: a random simple loop of the lattice (a random region's
        boundary), ignoring the circles."""
        n = len(puzzle.data["grid"])
        inside = random_region(n - 1, 4 + 2 * int(rng.integers(n)), rng) or [1] + [0] * ((n - 1) ** 2 - 1)
        on = region_loop(n - 1, inside)
        order = loop_order([slot_ends(n, e) for e in valid_slots(n) if on[e]])
        return segments_text(n, order or [0, 1, n + 1, n])

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return (OFF,) * (2 * len(puzzle.data["grid"]) ** 2)

    def _parse_move(self, n: int, move: str) -> tuple[int, int]:
        """(value, slot) of a command; InvalidMove when malformed or off the lattice."""
        text = normalize_command(move)
        head = re.match(r"^([a-z]+)\b\s*(.*)$", text)
        verb, rest = (head.group(1), head.group(2)) if head else ("line", text)
        if verb not in _VERBS:
            raise InvalidMove(f"unknown command {move[:40]!r}; use `line R1 C1 R2 C2` or `erase R1 C1 R2 C2`")
        rest = _SEPARATOR_DASH.sub(" ", rest)  # `(0,0)-(0,1)`, `0,0-0,1`: a dash between points separates
        numbers = [int(t) for t in re.findall(r"-?\d+", rest)]
        if len(numbers) != 4 or re.search(r"\d\.\d", rest):
            raise InvalidMove(f"`{verb}` needs four whole numbers: R1 C1 R2 C2")
        r1, c1, r2, c2 = numbers
        if not all(0 <= v < n for v in numbers):
            raise InvalidMove(f"points must be within rows and columns 0-{n - 1}, got ({r1},{c1}) and ({r2},{c2})")
        if abs(r1 - r2) + abs(c1 - c2) != 1:
            raise InvalidMove(f"({r1},{c1}) and ({r2},{c2}) are not neighbouring points; a segment joins two points "
                              "one step apart in a row or a column")
        return _VERBS[verb], slot(n, r1 * n + c1, r2 * n + c2)

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        n = len(puzzle.data["grid"])
        value, e = self._parse_move(n, move)
        where = segment_text(n, e)
        if state[e] == value:
            raise InvalidMove(f"the segment {where} is {'already drawn' if value == ON else 'not drawn'}")
        if value == ON:
            inc = incident(n)
            for p in slot_ends(n, e):
                if sum(state[s] for s in inc[p]) >= 2:
                    raise InvalidMove(f"point {point_name(n, p)} already has two segments; a third would branch")
        return (*state[:e], value, *state[e + 1:])

    def _segments(self, n: int, state: Sequence[int]) -> list[tuple[int, int, int, int]]:
        out = []
        for e in valid_slots(n):
            if state[e]:
                a, b = slot_ends(n, e)
                out.append((a // n, a % n, b // n, b % n))
        return out

    def state_text(self, puzzle: Puzzle, state: Sequence[int]) -> str:
        """The official initial_state notation (the grid as JSON), then the drawn segments."""
        n = len(puzzle.data["grid"])
        drawn = " ".join(segment_text(n, e) for e in valid_slots(n) if state[e]) or "(none)"
        return json.dumps(puzzle.data["grid"]) + "\nsegments: " + drawn

    def is_solved(self, puzzle: Puzzle, state: Sequence[int]) -> bool:
        n = len(puzzle.data["grid"])
        return any(state) and not self.violations(puzzle, self._segments(n, state))

    def moves(self, puzzle: Puzzle, state: Sequence[int]) -> list[str]:
        n = len(puzzle.data["grid"])
        inc = incident(n)
        full = {p for p in range(n * n) if sum(state[s] for s in inc[p]) >= 2}
        out = []
        for e in valid_slots(n):
            a, b = slot_ends(n, e)
            words = f"{a // n} {a % n} {b // n} {b % n}"
            if state[e]:
                out.append(f"erase {words}")
            elif a not in full and b not in full:
                out.append(f"line {words}")
        return out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["grid"])
        words = [f"{a // n} {a % n} {b // n} {b % n}" for a, b in (slot_ends(n, e) for e in valid_slots(n))]
        return [f"line {w}" for w in words] + [f"erase {w}" for w in words]

    def state_answer(self, puzzle: Puzzle, state: Sequence[int]) -> str:
        n = len(puzzle.data["grid"])
        drawn = [e for e in valid_slots(n) if state[e]]
        if not drawn:
            raise InvalidMove("no segment is drawn yet")
        order = loop_order([slot_ends(n, e) for e in drawn])
        if order is not None:
            return segments_text(n, order)
        return " ".join(segment_text(n, e) for e in drawn)

    def conflicts(self, puzzle: Puzzle, state: Sequence[int]) -> list[str]:
        n = len(puzzle.data["grid"])
        return self.violations(puzzle, self._segments(n, state), complete=False)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["loop"]) + 20

    # ---- human play ------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        """The square between four points under the pixel (its top-left point's row and column)."""
        m = len(puzzle.data["grid"]) - 1
        return draw.grid_cell_at(m, m, x, y, size, MARGIN)

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        """On a selected square, an arrow key (or w/a/s/d) draws or erases the segment on that side."""
        n = len(puzzle.data["grid"])
        side = _SIDES.get(str(key).lower())
        r, c = cell
        if side is None or not (0 <= r < n - 1 and 0 <= c < n - 1):
            return None
        r1, c1, r2, c2 = r + side[0], c + side[1], r + side[2], c + side[3]
        e = slot(n, r1 * n + c1, r2 * n + c2)
        return f"{'erase' if state[e] else 'line'} {r1} {c1} {r2} {c2}"

    # ---- presentation ----------------------------------------------------------------------------------
    def _rules(self, n: int) -> str:
        return (f"Rules: the board is a {n}×{n} lattice of points. Draw one closed loop made of segments, each "
                "joining two points next to each other in a row or a column. The loop must not branch or cross "
                "itself (every point it visits has exactly two of its segments) and must pass through every circle. "
                "At a white circle the loop goes straight through; at a black circle it turns by 90 degrees. The "
                "number in a circle is the total length, in segments, of the two straight lines that leave the "
                "circle, each one counted up to the point where the loop turns.")

    def _format(self) -> str:
        return ("Answer format: the loop's segments in order around the loop, each written (r1,c1)-(r2,c2) with "
                "0-based point coordinates (row down, column right, (0,0) at the top left), separated by spaces, "
                "e.g. (0,0)-(0,1) (0,1)-(1,1) (1,1)-(1,0) (1,0)-(0,0) for the smallest loop.")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        grid = puzzle.data["grid"]
        n = len(grid)
        if modality == "text":
            width = max(3, *(len(str(t)) for row in grid for t in row))
            head = " " * 4 + " ".join(str(c).rjust(width) for c in range(n))
            lines = [head] + [str(r).rjust(3) + " " + " ".join(str(t).rjust(width) for t in row)
                              for r, row in enumerate(grid)]
            state = ("The points, one line per row with row and column numbers; W<v> is a white circle with number "
                     "v, B<v> a black circle with number v, and . a point without a circle:\n\n" + "\n".join(lines))
            return f"Solve this Shingoki puzzle.\n\n{self._rules(n)}\n\n{state}\n\n{self._format()}"
        state = (f"The picture shows the {n}×{n} points joined by faint lattice lines, numbered 0 to {n - 1} along "
                 "the top (columns) and the left (rows); white and black circles sit on some points with their "
                 "numbers inside. No segment is drawn yet.")
        return f"Solve the Shingoki puzzle in the picture.\n\n{self._rules(n)}\n\n{state}\n\n{self._format()}"

    def render(self, puzzle: Puzzle, state: Sequence[int] | None = None, size: int = 512) -> Image.Image:
        grid = puzzle.data["grid"]
        n = len(grid)
        canvas = draw.GridCanvas(n - 1, n - 1, size, margin=MARGIN, background=BACKGROUND, board=BACKGROUND)
        gap = canvas.cell
        canvas.grid_lines(LATTICE, 0.025)

        def at(p: int) -> tuple[int, int]:
            return canvas.x0 + (p % n) * gap, canvas.y0 + (p // n) * gap

        label = max(10, int(gap * 0.3))
        for k in range(n):
            draw.draw_text(canvas.draw, (canvas.x0 + k * gap, canvas.y0 - gap * 0.55), str(k), label, draw.GRID_LINE)
            draw.draw_text(canvas.draw, (canvas.x0 - gap * 0.6, canvas.y0 + k * gap), str(k), label, draw.GRID_LINE)
        if state is not None:
            width = max(3, round(gap * 0.09))
            for e in valid_slots(n):
                if state[e]:
                    a, b = slot_ends(n, e)
                    canvas.draw.line((*at(a), *at(b)), fill=draw.ENTERED, width=width)
            for p in range(n * n):
                if any(state[s] for s in incident(n)[p]):
                    x, y = at(p)
                    half = width // 2
                    canvas.draw.rectangle((x - half, y - half, x + half, y + half), fill=draw.ENTERED)
        dot = max(2, round(gap * 0.05))
        for p in range(n * n):
            x, y = at(p)
            canvas.draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=DOT_INK)
        rad = gap * 0.3
        ring = max(2, round(gap * 0.03))
        for p, (kind, value) in self.circles(puzzle).items():
            x, y = at(p)
            box = (round(x - rad), round(y - rad), round(x + rad), round(y + rad))
            canvas.draw.ellipse(box, fill=draw.WHITE if kind == "W" else BLACK_FILL, outline=RING_INK, width=ring)
            text = str(value)
            fs = draw.fit_font_size(text, rad * 1.45, rad * 1.2, int(rad * 1.05))
            draw.draw_text(canvas.draw, (x, y), text, fs, WHITE_INK if kind == "W" else draw.WHITE)
        return canvas.image

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = len(puzzle.data["grid"])
        return self.base_record(puzzle, index=f"shingoki_{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                initial_state=json.dumps(puzzle.data["grid"]))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        if not isinstance(state, list) or not state or not all(isinstance(row, list) for row in state):
            raise RecordError("Shingoki: initial_state must be a grid (a list of rows)")
        n = len(state)
        if not 2 <= n <= 15 or any(len(row) != n for row in state):
            raise RecordError("Shingoki: initial_state must be a square grid of points")
        grid = [["." if parse_circle(t) is None else str(t).strip().upper() for t in row] for row in state]
        probe = self.puzzle(self.record_level(record), {"grid": grid, "loop": []})
        order = self._record_loop(probe, record.get("answer"))
        return self.puzzle(probe.level, {"grid": grid, "loop": [list(divmod(p, n)) for p in order]},
                           seed=self.record_seed(record))

    def _record_loop(self, puzzle: Puzzle, answer: Any) -> list[int]:
        """The record's loop when its answer is valid, else the solver's; in walking order."""
        n = len(puzzle.data["grid"])
        if answer is not None:
            try:
                segments = read_segments(answer if isinstance(answer, str) else str(answer))
                if not self.violations(puzzle, segments):
                    order = loop_order([(r1 * n + c1, r2 * n + c2) for r1, c1, r2, c2 in segments])
                    if order is not None:
                        return order
            except AnswerError:
                pass
        found = self.build_csp(puzzle).solve()
        order = loop_order([slot_ends(n, e) for e in valid_slots(n) if found[e] == ON]) if found else None
        if order is None:
            raise RecordError("Shingoki: the puzzle has no solution")
        return order
