"""A small finite-domain constraint solver for grid puzzles, fast enough in pure Python for live generation.

Variables are numbered 0..n-1 (a grid puzzle's cells in row-major order); a domain is an int bitmask (bit v set
= value v still possible), so values are small non-negative ints. Constraints are propagators: functions that
remove impossible values from the domains of their scope, each named with the rule it stands for. The solver
propagates to a fixpoint, then branches on the most constrained variable; it counts solutions up to a limit
(uniqueness checks stop at 2), draws random solutions (value order from an rng), and records a traced search
(deductions with the propagator's rule, tries, dead ends with the violated rule, backtracks) for SERG.

Writing a propagator: `prune(dom: list[int]) -> bool` may only clear bits of its scope's domains, must return
False when it finds the constraint cannot hold (a wiped domain counts too), must reject any full assignment
that breaks it, and should reach its own fixpoint in one call (the solver does not re-run a propagator after
its own changes; every propagator runs once more on each solution, so a sloppy one costs speed, not answers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from helix_gym.core.task import TraceEvent

Prune = Callable[[list[int]], bool]
_SMALL = 1 << 11
_VALUES: list[tuple[int, ...]] = [tuple(v for v in range(11) if m >> v & 1) for m in range(_SMALL)]


def mask(values: Iterable[int]) -> int:
    """The domain bitmask holding `values`."""
    m = 0
    for v in values:
        m |= 1 << int(v)
    return m


def values_of(m: int) -> tuple[int, ...]:
    """The values in a domain, ascending."""
    if m < _SMALL:
        return _VALUES[m]
    out = []
    v = 0
    while m:
        if m & 1:
            out.append(v)
        m >>= 1
        v += 1
    return tuple(out)


def value_of(m: int) -> int:
    """The value of a singleton domain (the highest value of any domain)."""
    return m.bit_length() - 1


def _low(m: int) -> int:
    return (m & -m).bit_length() - 1


def _between(lo: int, hi: int) -> int:
    """Mask of the values lo..hi (empty when hi < lo or hi < 0)."""
    lo = max(lo, 0)
    return ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1) if hi >= lo else 0


class Table:
    """Allowed tuples of a constraint, indexed for fast filtering (a compact-table propagator).

    Tuple k is bit k of a big int; `support[i][v]` holds the tuples with value v at position i. Filtering
    results are memoised per Table (bounded), so build a Table once and share it across Csp instances
    (Skyscrapers' line tables, Kakuro's sum combinations): a generator that re-solves similar puzzles while it
    digs meets the same line states again."""

    __slots__ = ("arity", "every", "memo", "size", "support")
    MEMO_LIMIT = 4096

    def __init__(self, tuples: Iterable[Sequence[int]]) -> None:
        rows = [tuple(int(v) for v in t) for t in tuples]
        self.size = len(rows)
        self.arity = len(rows[0]) if rows else 0
        self.every = (1 << self.size) - 1
        top = max((v for t in rows for v in t), default=0)
        support = [[0] * (top + 1) for _ in range(self.arity)]
        for k, t in enumerate(rows):
            bit = 1 << k
            for i, v in enumerate(t):
                support[i][v] |= bit
        self.support = support
        self.memo: dict[tuple[int, ...], tuple[int, ...] | None] = {}

    def filter(self, doms: tuple[int, ...]) -> tuple[int, ...] | None:
        """The domains cut down to the values some still-possible tuple uses; None when no tuple fits."""
        hit = self.memo.get(doms, False)
        if hit is not False:
            return hit
        live = self.every
        width = len(self.support[0]) if self.support else 0
        for d, sup in zip(doms, self.support):
            s = 0
            for v in values_of(d):
                if v < width:
                    s |= sup[v]
            live &= s
            if not live:
                break
        out: tuple[int, ...] | None = None
        if live:
            out = tuple(sum(1 << v for v in values_of(d) if v < width and sup[v] & live)
                        for d, sup in zip(doms, self.support))
        if len(self.memo) >= self.MEMO_LIMIT:
            self.memo.clear()
        self.memo[doms] = out
        return out


class SearchBudgetExceeded(Exception):
    """A search given `max_tries` took more tries than that: a generator drops the candidate whose check
    thrashes (rare, but seconds long) and draws another, instead of waiting it out."""


@dataclass(frozen=True)
class QuickChecks:
    """The checks a traced search makes before its first hypothesis, for puzzles that full propagation solves
    without a single guess (so a trace of it would show no search at all).

    A person does not run every rule to its fixpoint before trying something: they check the rules that are
    nearly settled, with the digits already placed, and when those force nothing more they suppose a value
    for the most constrained cell and follow it with every rule, down to a contradiction (a dead end and a
    backtrack) or the solution. `share`: a rule is checked only while at most that share of its cells (and
    at least one) is open. `pencil=False`: a rule reads only the values already placed, never the candidates
    other rules have struck (no pencil marks carried from rule to rule). `skip`: names of rules left out of the
    quick checks altogether (a rule that needs the whole grid in view, such as Numbrix's neighbour chain).
    Below the first hypothesis the search is the solver's ordinary one."""

    share: float = 1.0
    pencil: bool = True
    skip: tuple[str, ...] = ()
    sweeps: int | None = None

    @property
    def lead(self) -> str:
        """How the first hypothesis opens in the trace."""
        if self.sweeps is None:
            return "the quick checks force nothing more"
        return "after one sweep over the rules" if self.sweeps == 1 else f"after {self.sweeps} sweeps over the rules"


@dataclass
class SearchStats:
    """What the last search did: tries (a value chosen for a variable) and backtracks (a try taken back)."""

    tries: int = 0
    backtracks: int = 0


@dataclass
class _Tracer:
    move: Callable[[int, int], str | None]
    cell: Callable[[int], str]
    board: Callable[[list[int | None]], str]
    value: Callable[[int], str]
    events: list[TraceEvent] = field(default_factory=list)
    max_events: int = 20000

    def snapshot(self, dom: list[int]) -> str:
        return self.board([value_of(d) if d and not d & (d - 1) else None for d in dom])

    def add(self, kind: str, move: str | None, note: str, dom: list[int] | None = None) -> None:
        if len(self.events) < self.max_events:
            self.events.append(TraceEvent(kind, move, note, self.snapshot(dom) if dom is not None else None))


class Csp:
    """Variables with bitmask domains and named propagators; see the module docstring."""

    def __init__(self, domains: Sequence[int]) -> None:
        self.domains = [int(d) for d in domains]
        self._prunes: list[Prune] = []
        self._scopes: list[tuple[int, ...]] = []
        self.names: list[str] = []
        self._watch: list[list[int]] = [[] for _ in self.domains]
        self.stats = SearchStats()
        # the propagated root of the last search: domains only shrink, so it stays a sound starting point for
        # the next one, which re-runs only the constraints touched since (a generator adding clues one by one)
        self._fix: list[int] | None = None
        self._pending: list[int] = []

    @classmethod
    def uniform(cls, n: int, values: Iterable[int]) -> Csp:
        """n variables sharing one domain (the cells of a grid, values 1..n)."""
        m = mask(values)
        return cls([m] * n)

    def __len__(self) -> int:
        return len(self.domains)

    # ---- domains -------------------------------------------------------------------------------------
    def assign(self, var: int, value: int) -> None:
        """Fix a variable (a given); an impossible value leaves an empty domain, so nothing solves."""
        self.restrict(var, 1 << int(value))

    def restrict(self, var: int, allowed: int) -> None:
        """Keep only the values of bitmask `allowed` in the domain of `var`."""
        self.domains[var] &= allowed
        if self._fix is not None:
            self._fix[var] &= allowed
            self._pending.extend(self._watch[var])

    # ---- constraints ---------------------------------------------------------------------------------
    def add(self, scope: Sequence[int], prune: Prune, name: str) -> None:
        """A custom propagator over `scope`, named by the rule it enforces ("row 3", "sign (1,2) < (1,3)")."""
        k = len(self._prunes)
        scope = tuple(dict.fromkeys(int(v) for v in scope))
        self._prunes.append(prune)
        self._scopes.append(scope)
        self.names.append(name)
        for v in scope:
            self._watch[v].append(k)
        self._pending.append(k)

    def all_different(self, cells: Sequence[int], name: str, *, free: Iterable[int] = (),
                      cover: Iterable[int] | None = None) -> None:
        """Pairwise different values, except the `free` ones, which may repeat (Numbrix's 0, a cell off the
        path). Every value of `cover` must be taken by some cell: a value with one place left goes there (hidden
        single) and one with none is a dead end. `cover` defaults to the cells' values when they are exactly as
        many as the cells (a Latin row); with no cover, fewer values than cells is a dead end."""
        cells = tuple(cells)
        spare = mask(free)
        if cover is not None:
            need = mask(cover) & ~spare
        else:
            union = 0
            for c in cells:
                union |= self.domains[c]
            need = union if not spare and bin(union).count("1") == len(cells) else 0

        def prune(dom: list[int]) -> bool:
            while True:
                fixed = 0
                for c in cells:
                    d = dom[c]
                    if not d & (d - 1) and not d & spare:
                        if fixed & d or not d:
                            return False
                        fixed |= d
                again = False
                if fixed:
                    keep = ~fixed
                    for c in cells:
                        d = dom[c]
                        if d & (d - 1) and d & fixed:
                            d &= keep
                            if not d:
                                return False
                            dom[c] = d
                            if not d & (d - 1):
                                again = True
                if again:
                    continue
                once = twice = 0
                for c in cells:
                    d = dom[c]
                    twice |= once & d
                    once |= d
                if need:
                    if need & ~once:
                        return False  # a value that must be used has no cell left
                    hidden = need & once & ~twice & ~fixed
                    if hidden:
                        for c in cells:
                            d = dom[c]
                            h = d & hidden
                            if h and d & (d - 1):
                                if h & (h - 1):
                                    return False  # two values that each have only this cell
                                dom[c] = h
                        continue
                elif not spare and bin(once).count("1") < len(cells):
                    return False
                return True

        self.add(cells, prune, name)

    def less(self, a: int, b: int, name: str) -> None:
        """value[a] < value[b] (bounds consistency)."""

        def prune(dom: list[int]) -> bool:
            da, db = dom[a], dom[b]
            da &= (1 << (db.bit_length() - 1)) - 1 if db else 0
            if not da:
                return False
            db &= ~((2 << _low(da)) - 1)
            if not db:
                return False
            dom[a], dom[b] = da, db
            return True

        self.add((a, b), prune, name)

    def sum(self, cells: Sequence[int], total: int, name: str, weights: Sequence[int] | None = None) -> None:
        """The values of `cells` add up to `total`, each times its positive weight where `weights` is given
        (Kukurasu's rows: 0/1 cells weighted by their column number). Bounds consistency."""
        cells = tuple(cells)
        if weights is not None:
            self._weighted_sum(cells, tuple(int(w) for w in weights), total, name)
            return

        def prune(dom: list[int]) -> bool:
            while True:
                lows = [_low(dom[c]) for c in cells]
                highs = [dom[c].bit_length() - 1 for c in cells]
                lo, hi = sum(lows), sum(highs)
                if lo > total or hi < total or min(lows, default=0) < 0:  # an empty sum is 0
                    return False
                changed = False
                for i, c in enumerate(cells):
                    d = dom[c]
                    nd = d & _between(total - (hi - highs[i]), total - (lo - lows[i]))
                    if nd != d:
                        if not nd:
                            return False
                        dom[c] = nd
                        changed = True
                if not changed:
                    return True

        self.add(cells, prune, name)

    def _weighted_sum(self, cells: tuple[int, ...], weights: tuple[int, ...], total: int, name: str) -> None:
        if len(weights) != len(cells) or min(weights, default=1) <= 0:
            raise ValueError(f"{name}: need one positive weight per cell")
        pairs = tuple(zip(cells, weights))

        def prune(dom: list[int]) -> bool:
            while True:
                if not all(dom[c] for c in cells):
                    return False
                lows = [_low(dom[c]) * w for c, w in pairs]
                highs = [(dom[c].bit_length() - 1) * w for c, w in pairs]
                lo, hi = sum(lows), sum(highs)
                if lo > total or hi < total:
                    return False
                changed = False
                for i, (c, w) in enumerate(pairs):
                    d = dom[c]
                    least, most = total - (hi - highs[i]), total - (lo - lows[i])
                    nd = 0
                    for v in values_of(d):
                        if least <= v * w <= most:
                            nd |= 1 << v
                    if nd != d:
                        if not nd:
                            return False
                        dom[c] = nd
                        changed = True
                if not changed:
                    return True

        self.add(cells, prune, name)

    def count(self, cells: Sequence[int], value: int, k: int, name: str) -> None:
        """Exactly `k` of `cells` take `value` (Binairo's halves, a row's number of shaded cells)."""
        cells = tuple(cells)
        bit = 1 << int(value)

        def prune(dom: list[int]) -> bool:
            sure = possible = 0
            for c in cells:
                d = dom[c]
                if d & bit:
                    possible += 1
                    if d == bit:
                        sure += 1
            if sure > k or possible < k:
                return False
            if sure == k and possible > k:
                for c in cells:
                    d = dom[c]
                    if d & bit and d != bit:
                        dom[c] = d & ~bit
            elif possible == k and sure < k:
                for c in cells:
                    if dom[c] & bit:
                        dom[c] = bit
            return True

        self.add(cells, prune, name)

    def at_most(self, cells: Sequence[int], value: int, k: int, name: str) -> None:
        """At most `k` of `cells` take `value` (one tent per 2x2 block, two neighbours not both shaded, one of
        Hitori's equal numbers left unshaded): once `k` surely do, the others lose the value."""
        cells = tuple(cells)
        bit = 1 << int(value)

        def prune(dom: list[int]) -> bool:
            sure = 0
            for c in cells:
                if dom[c] == bit:
                    sure += 1
            if sure > k:
                return False
            if sure == k:
                for c in cells:
                    d = dom[c]
                    if d & bit and d != bit:
                        dom[c] = d & ~bit
            return True

        self.add(cells, prune, name)

    def connected(self, adjacency: Sequence[Sequence[int]], value: int, name: str) -> None:
        """The variables that take `value` form one connected group of the graph `adjacency` (the neighbours of
        each variable 0..n-1; topology.neighbours(rows, cols) for the cells of a grid): Hitori's unshaded cells.

        Walking from a sure member over the variables that may take the value: a sure member out of reach is a
        dead end, an undecided variable out of reach loses the value, and an undecided one whose loss would cut
        sure members off from the rest (an articulation point, found by Tarjan's low-link walk) must take it."""
        nbr = tuple(tuple(a) for a in adjacency)
        size = len(nbr)
        bit = 1 << int(value)

        def prune(dom: list[int]) -> bool:
            while True:
                root = next((i for i in range(size) if dom[i] == bit), -1)
                if root < 0:
                    return True
                disc = [-1] * size
                low = [0] * size
                sure = [0] * size  # sure members in each walked variable's subtree
                disc[root], sure[root] = 0, 1
                clock = 1
                cut: list[int] = []
                stack = [(root, iter(nbr[root]))]
                while stack:
                    v, it = stack[-1]
                    for w in it:
                        if not dom[w] & bit:
                            continue
                        if disc[w] < 0:
                            disc[w] = low[w] = clock
                            clock += 1
                            sure[w] = 1 if dom[w] == bit else 0
                            stack.append((w, iter(nbr[w])))
                            break
                        low[v] = min(low[v], disc[w])
                    else:
                        stack.pop()
                        if stack:
                            p = stack[-1][0]
                            low[p] = min(low[p], low[v])
                            sure[p] += sure[v]
                            if low[v] >= disc[p] and sure[v] and dom[p] != bit:
                                cut.append(p)  # the root (sure) lies outside v's subtree: p joins them
                changed = False
                for i in range(size):
                    if disc[i] < 0 and dom[i] & bit:
                        if dom[i] == bit:
                            return False
                        dom[i] &= ~bit
                        changed = True
                for p in cut:
                    if dom[p] != bit:
                        dom[p] = bit
                        changed = True
                if not changed:
                    return True

        self.add(range(size), prune, name)

    def table(self, cells: Sequence[int], table: Table | Iterable[Sequence[int]], name: str) -> None:
        """The values of `cells`, in order, form one of the table's tuples (generalised arc consistency)."""
        cells = tuple(cells)
        tab = table if isinstance(table, Table) else Table(table)
        if tab.size and tab.arity != len(cells):
            raise ValueError(f"{name}: table arity {tab.arity} != {len(cells)} cells")
        if not tab.size:
            self.add(cells, lambda dom: False, name)
            return
        filter_ = tab.filter

        def prune(dom: list[int]) -> bool:
            out = filter_(tuple([dom[c] for c in cells]))
            if out is None:
                return False
            for c, d in zip(cells, out):
                dom[c] = d
            return True

        self.add(cells, prune, name)

    # ---- propagation ---------------------------------------------------------------------------------
    def _propagate(self, dom: list[int], queue: list[int], tracer: _Tracer | None = None,
                   quick: QuickChecks | None = None) -> int:
        """Run propagators until nothing changes; -1 when consistent, else the failing constraint's index.
        `quick` restricts the propagators to the quick checks of a traced search (see QuickChecks)."""
        prunes, scopes, watch = self._prunes, self._scopes, self._watch
        queued = [False] * len(prunes)
        for k in queue:
            queued[k] = True
        queue = list(dict.fromkeys(queue))
        queue.reverse()
        runs = [0] * len(prunes) if quick is not None else []  # how often each rule ran (QuickChecks.sweeps)
        while queue:
            k = queue.pop()
            queued[k] = False
            scope = scopes[k]
            before = [dom[v] for v in scope]
            if quick is not None:
                if (sum(1 for d in before if d & (d - 1)) > max(1, quick.share * len(scope))
                        or self.names[k] in quick.skip or (quick.sweeps is not None and runs[k] >= quick.sweeps)):
                    continue
                runs[k] += 1
            if quick is not None and not quick.pencil:  # the rule reads placed values, not other rules' marks
                seen = dom[:]
                for v, b in zip(scope, before):
                    if b & (b - 1):
                        seen[v] = self.domains[v]
                if not prunes[k](seen):
                    return k
                for v, b in zip(scope, before):
                    dom[v] = b & seen[v]
            elif not prunes[k](dom):
                return k
            shown: list[int] | None = None  # the board as the trace tells it: this rule's placements one by one
            for v, b in zip(scope, before):
                d = dom[v]
                if d != b:
                    if not d:
                        return k
                    if tracer is not None and not d & (d - 1):
                        if shown is None:
                            shown = dom[:]
                            for v2, b2 in zip(scope, before):
                                shown[v2] = b2
                        shown[v] = d
                        val = value_of(d)
                        tracer.add("deduce", tracer.move(v, val),
                                   f"{tracer.cell(v)} must be {tracer.value(val)} ({self.names[k]})", shown)
                    for k2 in watch[v]:
                        if not queued[k2] and k2 != k:
                            queued[k2] = True
                            queue.append(k2)
        return -1

    def _holds(self, dom: list[int]) -> int:
        """-1 if every constraint accepts the full assignment, else the first one that does not."""
        for k, prune in enumerate(self._prunes):
            if not prune(dom[:]):
                return k
        return -1

    def _root(self, tracer: _Tracer | None = None, quick: QuickChecks | None = None) -> tuple[list[int], int]:
        """The propagated root (from the cached fixpoint where there is one, except when tracing, so a trace
        shows every deduction) and -1, or the failing constraint (-2: an empty domain to start with). A root
        propagated with `quick` checks is not a fixpoint of every constraint, so it is not cached."""
        if self._fix is not None and tracer is None:
            dom, queue = self._fix[:], self._pending
        else:
            dom, queue = list(self.domains), list(range(len(self._prunes)))
        self._fix, self._pending = None, []
        if not all(dom):
            return dom, -2
        fail = self._propagate(dom, queue, tracer, quick)
        if fail == -1 and quick is None:
            self._fix = dom[:]
        return dom, fail

    # ---- search --------------------------------------------------------------------------------------
    def solutions(self, limit: int = 2, rng: np.random.Generator | None = None, *,
                  max_tries: int | None = None) -> list[tuple[int, ...]]:
        """Up to `limit` solutions (value per variable), in search order; with `rng`, values are tried in
        random order (a random solution). `stats` tells how much search it took.

        With `max_tries`, raises SearchBudgetExceeded once the search would go below a node after more than
        `max_tries` tries (an exception, not a short list, so a cut-off search is never read as "no solution"
        or "unique"); the Csp stays usable for later searches."""
        self.stats = SearchStats()
        dom, fail = self._root()
        if fail != -1:
            return []
        found: list[tuple[int, ...]] = []
        self._search(dom, found, limit, rng, None, max_tries)
        return found

    def count_solutions(self, limit: int = 2, *, max_tries: int | None = None) -> int:
        """The number of solutions, counted up to `limit` (2 answers "is it unique?"); `max_tries` as in
        `solutions`."""
        return len(self.solutions(limit, max_tries=max_tries))

    def solve(self, rng: np.random.Generator | None = None, *, max_tries: int | None = None) -> tuple[int, ...] | None:
        """One solution (the first in search order, or a random one with `rng`), or None; `max_tries` as in
        `solutions`."""
        found = self.solutions(1, rng, max_tries=max_tries)
        return found[0] if found else None

    def rival(self, solution: Sequence[int]) -> tuple[int, ...] | None:
        """Another solution than `solution` (the first the search meets), or None when there is no other: a
        generator's uniqueness test that also says what to break next."""
        found = self.solutions(2)
        if len(found) < 2:
            return None
        return found[1] if found[0] == tuple(solution) else found[0]

    def pin_until_unique(self, solution: Sequence[int], rng: np.random.Generator) -> list[int]:
        """Assign the value of `solution` to a random variable where a rival solution differs, until `solution`
        is the only one left; the variables pinned, in order (the givens a generator adds)."""
        pinned: list[int] = []
        while (other := self.rival(solution)) is not None:
            diff = [i for i, (a, b) in enumerate(zip(other, solution)) if a != b]
            i = diff[int(rng.integers(len(diff)))]
            self.assign(i, solution[i])
            pinned.append(i)
        return pinned

    def trace(self, move: Callable[[int, int], str | None], cell: Callable[[int], str],
              board: Callable[[list[int | None]], str], value: Callable[[int], str] = str,
              max_events: int = 20000, quick: QuickChecks | None = None,
              ) -> tuple[tuple[int, ...] | None, list[TraceEvent]]:
        """The first solution and the search that found it as TraceEvents: `deduce` (a forced value and the
        rule that forced it), `try`, `dead_end` (the rule that cannot hold), `backtrack`.

        `move(var, value)` writes the step command (None: none needed), `cell(var)` names a variable,
        `board(values)` writes the position (None = undecided) shown after each event; `value` names a value.
        With `quick`, the root is propagated with the quick checks only, and the first hypothesis is taken
        when they force nothing more (see QuickChecks)."""
        tracer = _Tracer(move, cell, board, value, max_events=max_events)
        self.stats = SearchStats()
        dom, fail = self._root(tracer, quick)
        if fail != -1:
            why = "a variable has no possible value" if fail == -2 else f"{self.names[fail]} cannot hold"
            tracer.add("dead_end", None, f"contradiction before any choice: {why}")
            return None, tracer.events
        found: list[tuple[int, ...]] = []
        self._search(dom, found, 1, None, tracer, quick=None if quick is None else quick.lead)
        return (found[0] if found else None), tracer.events

    def _most_constrained(self, dom: list[int]) -> int:
        """`_choose` for a node that only the quick checks have propagated: among the variables with the fewest
        values left, the one in the rule with the fewest open cells (where a hypothesis shows its
        consequences soonest)."""
        open_cells = [sum(1 for v in scope if dom[v] & (dom[v] - 1)) for scope in self._scopes]
        best, best_key = -1, (1 << 30, 1 << 30)
        for v, d in enumerate(dom):
            if d & (d - 1):
                key = (d.bit_count(), min((open_cells[k] for k in self._watch[v]), default=1 << 30))
                if key < best_key:
                    best, best_key = v, key
        return best

    def _choose(self, dom: list[int]) -> int:
        """The undecided variable with the fewest values left (-1 when all are decided)."""
        best, best_n = -1, 1 << 30
        for v, d in enumerate(dom):
            if d & (d - 1):
                n = d.bit_count()
                if n < best_n:
                    best, best_n = v, n
                    if n == 2:
                        break
        return best

    def _search(self, dom: list[int], found: list[tuple[int, ...]], limit: int, rng: np.random.Generator | None,
                tracer: _Tracer | None, max_tries: int | None = None, quick: str | None = None) -> bool:
        """Depth-first search below a propagated node; True once `limit` solutions are found. `quick` (how the
        first hypothesis opens): the node was propagated with the quick checks only (see `trace`), so each child
        is propagated with every rule."""
        if max_tries is not None and self.stats.tries > max_tries:
            raise SearchBudgetExceeded(f"more than {max_tries} search tries")
        var = self._most_constrained(dom) if quick is not None else self._choose(dom)
        if var < 0:
            bad = self._holds(dom)
            if bad >= 0:
                if tracer is not None:
                    tracer.add("dead_end", None, f"the filled grid breaks {self.names[bad]}")
                return False
            found.append(tuple(value_of(d) for d in dom))
            return len(found) >= limit
        options = list(values_of(dom[var]))
        if rng is not None:
            options = [options[i] for i in rng.permutation(len(options))]
        watch = list(range(len(self._prunes))) if quick is not None else self._watch[var]
        for val in options:
            child = dom[:]
            child[var] = 1 << val
            self.stats.tries += 1
            if tracer is not None:
                names = ", ".join(tracer.value(v) for v in values_of(dom[var]))
                tracer.add("try", tracer.move(var, val), f"{quick or 'no forced step left'}; {tracer.cell(var)} can "
                           f"be {names}: try {tracer.value(val)}" + (" and follow it with every rule" if quick else ""),
                           child)
            fail = self._propagate(child, list(watch), tracer)
            if fail >= 0:
                if tracer is not None:
                    tracer.add("dead_end", None, f"{self.names[fail]} cannot hold")
            elif self._search(child, found, limit, rng, tracer, max_tries):
                return True
            self.stats.backtracks += 1
            if tracer is not None:
                tracer.add("backtrack", None, f"{tracer.cell(var)} = {tracer.value(val)} leads to a contradiction; "
                           "undo it", dom)
        return False
