"""Global shape checks of grid and graph puzzles, written once: connected cell sets, 2x2 blocks, touching
cells, one closed loop along grid lines, one connected network.

Cells are row-major indices (r * cols + c); lattice points likewise (r * point_cols + c). Every `*_violations`
function returns rule breaks in words (empty when the rule holds), ready for Verdict.violations; the plain
functions return the structure (components, corners, the loop's order) for solvers and propagators.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache


def _rc(i: int, cols: int, base: int) -> str:
    r, c = divmod(i, cols)
    return f"({r + base},{c + base})"


@lru_cache(maxsize=128)
def neighbours(rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """The orthogonal neighbours of every cell of a rows x cols grid."""
    out = []
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        out.append(tuple(r2 * cols + c2 for r2, c2 in ((r - 1, c), (r, c - 1), (r, c + 1), (r + 1, c))
                         if 0 <= r2 < rows and 0 <= c2 < cols))
    return tuple(out)


@lru_cache(maxsize=128)
def around(rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """The up to eight cells touching every cell of a rows x cols grid, by a side or a corner (row by row)."""
    out = []
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        out.append(tuple((r + dr) * cols + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                         if (dr or dc) and 0 <= r + dr < rows and 0 <= c + dc < cols))
    return tuple(out)


# ---- cell sets -------------------------------------------------------------------------------------------
def components(cells: Iterable[int], rows: int, cols: int) -> list[list[int]]:
    """The 4-connected groups of a cell set, each sorted, ordered by their first cell."""
    todo = set(cells)
    nbr = neighbours(rows, cols)
    groups = []
    for start in sorted(todo):
        if start not in todo:
            continue
        todo.discard(start)
        group, stack = [start], [start]
        while stack:
            for j in nbr[stack.pop()]:
                if j in todo:
                    todo.discard(j)
                    group.append(j)
                    stack.append(j)
        groups.append(sorted(group))
    return groups


def is_connected(cells: Iterable[int], rows: int, cols: int) -> bool:
    """True when the cells form one 4-connected group (an empty set counts as connected)."""
    return len(components(cells, rows, cols)) <= 1


def can_connect(must: Iterable[int], may: Iterable[int], rows: int, cols: int) -> bool:
    """Whether the `must` cells can still end up in one group using also `may` cells (a propagator's test:
    Hitori's unshaded cells, where `may` are the undecided ones)."""
    must = set(must)
    if not must:
        return True
    room = must | set(may)
    nbr = neighbours(rows, cols)
    start = next(iter(must))
    seen, stack = {start}, [start]
    while stack:
        for j in nbr[stack.pop()]:
            if j in room and j not in seen:
                seen.add(j)
                stack.append(j)
    return must <= seen


def connectivity_violations(cells: Iterable[int], rows: int, cols: int, what: str = "cells",
                            base: int = 0) -> list[str]:
    """`the unshaded cells are split into 3 separate groups (one holds (0,0), (0,1), ...)` when not connected."""
    groups = components(cells, rows, cols)
    if len(groups) <= 1:
        return []
    small = min(groups, key=len)
    shown = ", ".join(_rc(i, cols, base) for i in small[:4]) + (", ..." if len(small) > 4 else "")
    return [f"the {what} are split into {len(groups)} separate groups (one of them is {shown})"]


def blocks_2x2(cells: Iterable[int], rows: int, cols: int) -> list[int]:
    """Top-left cells of every 2x2 block fully inside the set."""
    s = set(cells)
    return [r * cols + c for r in range(rows - 1) for c in range(cols - 1)
            if {r * cols + c, r * cols + c + 1, (r + 1) * cols + c, (r + 1) * cols + c + 1} <= s]


def block_violations(cells: Iterable[int], rows: int, cols: int, what: str = "cells", base: int = 0) -> list[str]:
    """`the shaded cells fill the 2x2 block at (2,3)-(3,4)` for each such block."""
    out = []
    for i in blocks_2x2(cells, rows, cols):
        out.append(f"the {what} fill the 2x2 block at {_rc(i, cols, base)}-{_rc(i + cols + 1, cols, base)}")
    return out


def touching_pairs(cells: Iterable[int], rows: int, cols: int) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of cells in the set that share an edge."""
    s = set(cells)
    nbr = neighbours(rows, cols)
    return [(i, j) for i in sorted(s) for j in nbr[i] if j > i and j in s]


def touching_violations(cells: Iterable[int], rows: int, cols: int, what: str = "cells",
                        base: int = 0) -> list[str]:
    """`the shaded cells (1,1) and (1,2) share an edge` for each touching pair."""
    return [f"the {what} {_rc(i, cols, base)} and {_rc(j, cols, base)} share an edge"
            for i, j in touching_pairs(cells, rows, cols)]


# ---- loops along grid lines ------------------------------------------------------------------------------
Edge = tuple[int, int]


def loop_order(edges: Iterable[Edge]) -> list[int] | None:
    """The points of a single closed loop in walking order (starting at the smallest point, first towards its
    smaller neighbour), or None when the edges are not exactly one simple cycle."""
    adj: dict[int, list[int]] = {}
    count = 0
    for a, b in {(min(e), max(e)) for e in edges}:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
        count += 1
    if count < 3 or any(len(v) != 2 for v in adj.values()):
        return None
    start = min(adj)
    order, prev, cur = [start], start, min(adj[start])
    while cur != start:
        order.append(cur)
        a, b = adj[cur]
        prev, cur = cur, (b if a == prev else a)
    return order if len(order) == len(adj) else None


def loop_violations(edges: Iterable[Edge], point_rows: int, point_cols: int, base: int = 0,
                    what: str = "line") -> list[str]:
    """The rule breaks of a drawing that must be one closed loop along the lines of a lattice of
    point_rows x point_cols points: segments between non-adjacent or missing points, repeated segments,
    points with a dead end or a branch, and several separate loops. Points are r * point_cols + c."""
    out = []
    seen: set[Edge] = set()
    adj: dict[int, set[int]] = {}
    n = point_rows * point_cols
    for a, b in edges:
        if not (0 <= a < n and 0 <= b < n):
            out.append(f"a {what} segment leaves the grid of points")
            continue
        (ra, ca), (rb, cb) = divmod(a, point_cols), divmod(b, point_cols)
        if abs(ra - rb) + abs(ca - cb) != 1:
            out.append(f"the {what} segment {_rc(a, point_cols, base)}-{_rc(b, point_cols, base)} does not join "
                       "two neighbouring points")
            continue
        e = (min(a, b), max(a, b))
        if e in seen:
            out.append(f"the {what} segment {_rc(e[0], point_cols, base)}-{_rc(e[1], point_cols, base)} is drawn twice")
            continue
        seen.add(e)
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    if not seen:
        return [*out, f"there is no {what} at all"]
    for p in sorted(adj):
        if len(adj[p]) != 2:
            kind = "a dead end" if len(adj[p]) == 1 else f"{len(adj[p])} {what} segments (a branch)"
            out.append(f"point {_rc(p, point_cols, base)} has {kind}")
    pieces = graph_components(adj, [(a, b) for a, b in seen])
    if len(pieces) > 1:
        out.append(f"the {what} forms {len(pieces)} separate pieces instead of one loop")
    return out


# ---- networks (Bridges) ----------------------------------------------------------------------------------
def graph_components(nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]]) -> list[list]:
    """The connected groups of an undirected graph (isolated nodes are groups of one), ordered by first
    appearance of their nodes in `nodes`."""
    order = list(dict.fromkeys(nodes))
    adj: dict[Hashable, list] = {v: [] for v in order}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
        for v in (a, b):
            if v not in order:
                order.append(v)
    seen: set = set()
    groups = []
    for v in order:
        if v in seen:
            continue
        seen.add(v)
        group, stack = [v], [v]
        while stack:
            for w in adj[stack.pop()]:
                if w not in seen:
                    seen.add(w)
                    group.append(w)
                    stack.append(w)
        groups.append(group)
    return groups


def network_violations(nodes: Sequence[Hashable], edges: Iterable[tuple[Hashable, Hashable]], what: str = "islands",
                       name: Callable[[Hashable], str] = str) -> list[str]:
    """`the islands are split into 2 separate groups (one of them is A, B)` when the network is not connected."""
    groups = graph_components(nodes, edges)
    if len(groups) <= 1:
        return []
    small = min(groups, key=len)
    shown = ", ".join(name(v) for v in small[:4]) + (", ..." if len(small) > 4 else "")
    return [f"the {what} are split into {len(groups)} separate groups (one of them is {shown})"]
