"""The constraint solver of the grid kit: propagators, solution counting, random solutions, traced search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from helix_gym.core.csp import Csp, QuickChecks, SearchBudgetExceeded, Table, mask, value_of, values_of
from helix_gym.core.task import TRACE_KINDS


def latin(n: int) -> Csp:
    csp = Csp.uniform(n * n, range(1, n + 1))
    for r in range(n):
        csp.all_different([r * n + c for c in range(n)], f"row {r}")
    for c in range(n):
        csp.all_different([r * n + c for r in range(n)], f"column {c}")
    return csp


def is_latin(values: tuple[int, ...], n: int) -> bool:
    rows = [values[r * n:(r + 1) * n] for r in range(n)]
    return all(sorted(r) == list(range(1, n + 1)) for r in rows) and all(
        sorted(col) == list(range(1, n + 1)) for col in zip(*rows))


# a 4x4 Futoshiki with one solution: givens (0,0)=1 and (3,3)=1 plus a chain of signs
FUT_SOLUTION = (1, 2, 3, 4,
                2, 3, 4, 1,
                3, 4, 1, 2,
                4, 1, 2, 3)


def small_futoshiki() -> Csp:
    csp = latin(4)
    csp.assign(0, 1)
    csp.assign(15, 3)
    for a, b in [(0, 1), (1, 2), (2, 3), (4, 5), (5, 6), (8, 9), (3, 7)]:
        lo, hi = (a, b) if FUT_SOLUTION[a] < FUT_SOLUTION[b] else (b, a)
        csp.less(lo, hi, f"sign {lo}<{hi}")
    return csp


def test_masks_and_values():
    m = mask([1, 3, 4])
    assert m == 0b11010 and values_of(m) == (1, 3, 4)
    assert value_of(mask([5])) == 5
    big = mask([2, 40, 63])
    assert values_of(big) == (2, 40, 63)
    assert values_of(0) == ()


def test_latin_squares_are_counted_exactly():
    assert latin(3).count_solutions(limit=1000) == 12
    assert latin(4).count_solutions(limit=1000) == 576
    assert latin(4).count_solutions(limit=2) == 2  # stops at the limit


def test_every_counted_solution_is_valid_and_distinct():
    found = latin(4).solutions(limit=1000)
    assert len(set(found)) == 576 and all(is_latin(s, 4) for s in found)


def test_a_small_futoshiki_is_unique():
    csp = small_futoshiki()
    assert csp.solutions(2) == [FUT_SOLUTION]
    assert csp.count_solutions() == 1


def test_contradictions_give_no_solution():
    csp = latin(3)
    csp.assign(0, 1)
    csp.assign(1, 1)  # two 1s in row 0
    assert csp.solutions() == [] and csp.solve() is None
    csp = latin(3)
    csp.less(0, 1, "a<b")
    csp.less(1, 0, "b<a")
    assert csp.count_solutions() == 0
    csp = Csp([0, mask([1])])
    assert csp.solutions() == []


def test_less_sum_count_and_table_building_blocks():
    csp = Csp.uniform(3, range(1, 4))
    csp.all_different([0, 1, 2], "row")
    csp.less(0, 1, "a<b")
    csp.less(1, 2, "b<c")
    assert csp.solutions(10) == [(1, 2, 3)]

    csp = Csp.uniform(3, range(1, 10))
    csp.sum([0, 1, 2], 7, "sum 7")
    csp.all_different([0, 1, 2], "distinct")
    found = csp.solutions(100)
    assert sorted(found) == sorted(p for p in itertools.permutations(range(1, 10), 3) if sum(p) == 7)

    csp = Csp.uniform(4, [0, 1])
    csp.count([0, 1, 2, 3], 1, 2, "two ones")
    assert len(csp.solutions(100)) == 6

    allowed = [(1, 2, 3), (3, 2, 1), (2, 2, 2)]
    csp = Csp.uniform(3, range(1, 4))
    csp.table([0, 1, 2], Table(allowed), "pattern")
    assert sorted(csp.solutions(100)) == sorted(allowed)
    csp.assign(0, 3)
    assert csp.solutions(100) == [(3, 2, 1)]
    with pytest.raises(ValueError):
        Csp.uniform(2, [1, 2]).table([0, 1], [(1, 2, 3)], "wrong arity")


def test_a_custom_propagator_that_only_checks_full_assignments_is_enforced():
    def even_total(dom: list[int]) -> bool:
        if all(not d & (d - 1) for d in dom):
            return sum(value_of(d) for d in dom) % 2 == 0
        return True

    csp = Csp.uniform(3, range(1, 4))
    csp.add([0, 1, 2], even_total, "the total is even")
    found = csp.solutions(100)
    assert found and all(sum(s) % 2 == 0 for s in found)
    assert len(found) == sum(1 for p in itertools.product(range(1, 4), repeat=3) if sum(p) % 2 == 0)


def test_random_solutions_depend_only_on_the_rng():
    a = latin(6).solve(np.random.default_rng(7))
    b = latin(6).solve(np.random.default_rng(7))
    assert a == b and is_latin(a, 6)
    draws = {latin(5).solve(np.random.default_rng(s)) for s in range(10)}
    assert len(draws) > 5


def _trace(csp: Csp, n: int):
    def board(values):
        return "\n".join(" ".join("." if v is None else str(v) for v in values[r * n:(r + 1) * n]) for r in range(n))

    return csp.trace(lambda v, x: f"place {v // n} {v % n} {x}", lambda v: f"({v // n},{v % n})", board)


def test_trace_of_a_search_is_well_formed():
    csp = latin(5)
    csp.less(0, 1, "sign (0,0) < (0,1)")
    csp.less(7, 2, "sign (1,2) < (0,2)")
    found, events = _trace(csp, 5)
    assert found is not None and is_latin(found, 5)
    assert found[0] < found[1] and found[7] < found[2]
    kinds = [e.kind for e in events]
    assert set(kinds) <= set(TRACE_KINDS) and "try" in kinds and "deduce" in kinds
    for e in events:
        if e.kind in ("try", "deduce"):
            assert e.move and e.move.startswith("place ") and e.state_text and len(e.state_text.splitlines()) == 5
        if e.kind == "deduce":
            assert "must be" in e.note and "(" in e.note
    # the search's own counts agree with the events
    assert kinds.count("try") == csp.stats.tries and kinds.count("backtrack") == csp.stats.backtracks


def test_trace_with_a_forced_contradiction():
    csp = latin(3)
    csp.assign(0, 1)
    csp.assign(4, 1)
    csp.assign(8, 1)
    csp.less(1, 2, "sign (0,1) < (0,2)")
    csp.less(5, 3, "sign (1,2) < (1,0)")
    csp.less(2, 5, "sign (0,2) < (1,2)")  # 3 < x impossible
    found, events = _trace(csp, 3)
    assert found is None and events[-1].kind == "dead_end"


def test_trace_reports_dead_ends_with_the_rule_and_backtracks():
    rng = np.random.default_rng(5)  # a 6x6 square with row signs whose search meets two dead ends
    n = 6
    sol = latin(n).solve(rng)
    csp = latin(n)
    for a in range(n * n):
        if a % n + 1 < n and rng.random() < 0.3:
            lo, hi = (a, a + 1) if sol[a] < sol[a + 1] else (a + 1, a)
            csp.less(lo, hi, f"sign {lo}<{hi}")
    found, events = _trace(csp, n)
    assert found is not None and is_latin(found, n)
    kinds = [e.kind for e in events]
    assert kinds.count("backtrack") == csp.stats.backtracks >= 1
    assert kinds.count("dead_end") >= 1 and kinds.index("try") < kinds.index("dead_end")
    for k, e in enumerate(events):
        if e.kind == "dead_end":
            assert "cannot hold" in e.note and ("row" in e.note or "column" in e.note or "sign" in e.note)
        if e.kind == "backtrack":
            assert kinds[k - 1] in ("dead_end", "backtrack") and "undo" in e.note and e.state_text


def _pinned_latin(n: int = 6) -> tuple[Csp, tuple[int, ...]]:
    """A Latin square with givens pinned until unique: full propagation fills it without a single guess."""
    sol = latin(n).solve(np.random.default_rng(3))
    pins = latin(n).pin_until_unique(sol, np.random.default_rng(0))
    csp = latin(n)
    for i in pins:
        csp.assign(i, sol[i])
    return csp, sol


@pytest.mark.parametrize("quick", [QuickChecks(share=0.5), QuickChecks(pencil=False)])
def test_quick_checks_turn_a_propagation_solve_into_a_search(quick):
    csp, sol = _pinned_latin()
    found, events = _trace(csp, 6)
    assert found == sol and "try" not in [e.kind for e in events]  # propagation alone: nothing to narrate
    csp, _ = _pinned_latin()
    found, events = csp.trace(lambda v, x: f"place {v // 6} {v % 6} {x}", lambda v: f"({v // 6},{v % 6})", str,
                              quick=quick)
    kinds = [e.kind for e in events]
    assert found == sol and kinds.count("try") >= 1
    first = events[kinds.index("try")]
    assert first.note.startswith("the quick checks force nothing more") and "follow it with every rule" in first.note
    if "dead_end" in kinds:  # a refuted hypothesis is taken back before the next value is tried
        assert kinds.index("backtrack") > kinds.index("dead_end")
    assert kinds.count("backtrack") == csp.stats.backtracks
    assert csp.count_solutions() == 1 and csp.solve() == sol  # the quick root is not cached as a fixpoint


def test_quick_checks_without_pencil_marks_back_up_where_full_propagation_does_not():
    csp, sol = _pinned_latin()
    found, events = csp.trace(lambda v, x: f"place {v // 6} {v % 6} {x}", lambda v: f"({v // 6},{v % 6})", str,
                              quick=QuickChecks(pencil=False))
    kinds = [e.kind for e in events]
    assert found == sol and kinds.count("dead_end") >= 1 and kinds.count("backtrack") >= 1
    for e in events[:kinds.index("try")]:
        assert e.kind == "deduce" and "must be" in e.note


def test_quick_checks_skip_the_rules_they_name_until_the_first_hypothesis():
    csp, sol = _pinned_latin()
    skip = tuple(f"column {c}" for c in range(6))
    found, events = csp.trace(lambda v, x: f"place {v // 6} {v % 6} {x}", lambda v: f"({v // 6},{v % 6})", str,
                              quick=QuickChecks(skip=skip))
    kinds = [e.kind for e in events]
    assert found == sol and "try" in kinds
    assert not any("(column " in e.note for e in events[:kinds.index("try")])  # only the rows were checked
    assert any("(column " in e.note for e in events[kinds.index("try"):])  # every rule after it


def test_quick_checks_with_one_sweep_check_each_rule_once_before_the_first_hypothesis():
    csp, sol = _pinned_latin()
    found, events = csp.trace(lambda v, x: f"place {v // 6} {v % 6} {x}", lambda v: f"({v // 6},{v % 6})", str,
                              quick=QuickChecks(sweeps=1))
    kinds = [e.kind for e in events]
    assert found == sol and "try" in kinds
    first = events[kinds.index("try")]
    assert first.note.startswith("after one sweep over the rules") and "follow it with every rule" in first.note
    # each rule ran at most once before the hypothesis: its deductions there form one unbroken run
    rules = [e.note[e.note.index("(") + 1:-1] for e in events[:kinds.index("try")]]
    runs = [r for k, r in enumerate(rules) if k == 0 or rules[k - 1] != r]
    assert rules and len(runs) == len(set(runs))
    assert csp.count_solutions() == 1 and csp.solve() == sol


def test_uniqueness_checks_stay_cheap_for_digging():
    """Search effort, not wall time (timings belong to `python -m helix_gym.bench`): propagation keeps a
    loosely pinned 7x7 Latin square's two-solution check to a few dozen tries (about 20 when written)."""
    rng = np.random.default_rng(0)
    for _ in range(5):
        sol = latin(7).solve(rng)
        csp = latin(7)
        for i in rng.permutation(49)[:9]:
            csp.assign(int(i), sol[int(i)])
        assert csp.count_solutions(2) == 2
        assert csp.stats.tries <= 60 and csp.stats.backtracks <= 5


def test_weighted_sums():
    # Kukurasu row of 4 cells (0/1) whose shaded columns 1..4 add up to 5: {1,4} or {2,3}
    csp = Csp.uniform(4, [0, 1])
    csp.sum([0, 1, 2, 3], 5, "row clue 5", weights=[1, 2, 3, 4])
    assert sorted(csp.solutions(10)) == [(0, 1, 1, 0), (1, 0, 0, 1)]
    with pytest.raises(ValueError):
        Csp.uniform(2, [0, 1]).sum([0, 1], 1, "bad", weights=[1, 0])


def test_clues_added_after_a_search_use_the_cached_root():
    csp = latin(4)
    assert csp.count_solutions(1000) == 576
    csp.assign(0, 2)
    assert csp.count_solutions(1000) == 144
    csp.less(1, 2, "(0,1) < (0,2)")
    fresh = latin(4)
    fresh.assign(0, 2)
    fresh.less(1, 2, "(0,1) < (0,2)")
    assert sorted(csp.solutions(1000)) == sorted(fresh.solutions(1000))
    csp.assign(1, 4)  # impossible with (0,1) < (0,2) <= 4
    assert csp.count_solutions() == 0 and fresh.count_solutions(1000) > 0


# ---- at_most, connected, all_different with free values, uniqueness helpers ------------------------------------
def test_at_most_counts_and_prunes():
    for k in range(4):
        csp = Csp.uniform(4, [0, 1])
        csp.at_most(range(4), 1, k, f"at most {k}")
        sols = csp.solutions(100)
        assert sorted(sols) == sorted(t for t in itertools.product((0, 1), repeat=4) if sum(t) <= k)
    # one sure tent in a 2x2 block: the other cells lose the tent, keep what else they may be
    csp = Csp([0b11, 0b11, 0b111, 0b1])
    csp.at_most(range(4), 1, 1, "one tent per block")
    csp.assign(0, 1)
    assert csp.solve() == (1, 0, 0, 0) and csp.count_solutions(10) == 2  # cell 2 may still be 0 or 2
    clash = Csp.uniform(3, [0, 1])
    clash.at_most(range(3), 1, 1, "one")
    clash.assign(0, 1)
    clash.assign(2, 1)
    assert clash.solve() is None


def _connected_ones(values: tuple[int, ...], nbr: tuple[tuple[int, ...], ...]) -> bool:
    ones = [i for i, v in enumerate(values) if v == 1]
    if not ones:
        return True
    seen, stack = {ones[0]}, [ones[0]]
    while stack:
        for j in nbr[stack.pop()]:
            if values[j] == 1 and j not in seen:
                seen.add(j)
                stack.append(j)
    return len(seen) == len(ones)


def test_connected_admits_exactly_the_connected_sets():
    from helix_gym.core.topology import neighbours

    nbr = neighbours(3, 3)
    csp = Csp.uniform(9, [0, 1])
    csp.connected(nbr, 1, "the ones connect")
    found = sorted(csp.solutions(1000))
    assert found == [t for t in itertools.product((0, 1), repeat=9) if _connected_ones(t, nbr)]
    # with a path graph a - b - c and both ends sure, the middle is an articulation point: forced
    csp = Csp.uniform(3, [0, 1])
    csp.connected([(1,), (0, 2), (1,)], 1, "path")
    csp.assign(0, 1)
    csp.assign(2, 1)
    assert csp.solutions(10) == [(1, 1, 1)]
    cut = Csp.uniform(3, [0, 1])
    cut.connected([(1,), (0, 2), (1,)], 1, "path")
    for var, value in ((0, 1), (1, 0), (2, 1)):
        cut.assign(var, value)
    assert cut.solve() is None


def test_connected_prunes_unreachable_cells_and_forces_cut_cells():
    from helix_gym.core.topology import neighbours

    nbr = neighbours(2, 3)  # cells 0 1 2 / 3 4 5
    csp = Csp([0b10, 0b11, 0b01, 0b11, 0b01, 0b11])  # 0 is a one; 2 and 4 are zeros, so 5 is cut off
    csp.connected(nbr, 1, "connected")
    assert all(s[5] == 0 for s in csp.solutions(100))  # out of reach: it loses the value
    csp.assign(5, 1)
    assert csp.solve() is None
    csp = Csp([0b10, 0b11, 0b10, 0b01, 0b11, 0b11])  # 0 and 2 are ones, 3 a zero: 1 joins them
    csp.connected(nbr, 1, "connected")
    events = csp.trace(lambda v, x: f"set {v} {x}", str, str)[1]
    assert any(e.kind == "deduce" and e.note == "1 must be 1 (connected)" for e in events)  # an articulation point


def test_all_different_with_free_values_and_a_cover():
    def brute(doms, ok):
        return sorted(t for t in itertools.product(*[values_of(d) for d in doms]) if ok(t))

    doms = [mask(range(4))] * 4
    csp = Csp(doms)
    csp.all_different(range(4), "each number once", free=(0,), cover=(1, 2, 3))
    assert sorted(csp.solutions(1000)) == brute(doms, lambda t: sorted(v for v in t if v) == [1, 2, 3])
    assert len(csp.solutions(1000)) == 24
    csp = Csp(doms)
    csp.all_different(range(4), "numbers differ", free=(0,))  # no cover: 0 may repeat, nothing must be used
    assert sorted(csp.solutions(1000)) == brute(doms, lambda t: len([v for v in t if v]) == len({v for v in t if v}))
    missing = Csp([mask([0, 1, 2])] * 3)
    missing.all_different(range(3), "each number once", free=(0,), cover=(1, 2, 3))  # no cell can hold 3
    assert missing.solve() is None
    hidden = Csp([mask([0, 1, 2]), mask([0, 1]), mask([0, 1])])
    hidden.all_different(range(3), "each number once", free=(0,), cover=(1, 2))  # 2 fits only the first cell
    assert sorted(hidden.solutions(100)) == [(2, 0, 1), (2, 1, 0)]
    plain = Csp([mask([1, 2])] * 3)  # three cells, two values: the pigeonhole dead end still holds
    plain.all_different(range(3), "differ")
    assert plain.solve() is None


def test_rival_and_pin_until_unique():
    csp = latin(3)
    sol = csp.solve()
    other = csp.rival(sol)
    assert other is not None and other != sol and is_latin(other, 3)
    pinned = csp.pin_until_unique(sol, np.random.default_rng(4))
    assert pinned and len(set(pinned)) == len(pinned)
    assert csp.solutions(10) == [sol] and csp.rival(sol) is None
    again = latin(3)
    for i in pinned:
        again.assign(i, sol[i])
    assert again.count_solutions(10) == 1
    assert latin(3).pin_until_unique(sol, np.random.default_rng(4)) == pinned  # the rng decides
    assert small_futoshiki().pin_until_unique(FUT_SOLUTION, np.random.default_rng(0)) == []  # unique already


def test_max_tries_cuts_a_long_search_and_leaves_the_csp_usable():
    full = latin(4)
    assert full.count_solutions(1000) == 576
    with pytest.raises(SearchBudgetExceeded):
        full.solutions(1000, max_tries=50)
    with pytest.raises(SearchBudgetExceeded):
        full.count_solutions(1000, max_tries=50)
    assert full.stats.tries > 50
    assert full.solutions(1000, max_tries=None) == latin(4).solutions(1000)  # still usable, same answers
    assert full.count_solutions(1000, max_tries=10**6) == 576  # a budget that suffices changes nothing
    assert full.solve(max_tries=10**6) == latin(4).solve()
    forced = Csp.uniform(10, (0, 1))
    forced.sum(range(10), 10, "all ones")
    assert forced.solve(max_tries=0) == (1,) * 10 and forced.stats.tries == 0  # propagation alone: no try needed


def test_sum_over_no_cells_is_zero():
    from helix_gym.core.csp import Csp

    ok = Csp.uniform(2, (0, 1))
    ok.sum([], 0, "nothing")
    assert ok.count_solutions(5) == 4
    bad = Csp.uniform(2, (0, 1))
    bad.sum([], 3, "nothing adds to 3")
    assert bad.count_solutions(5) == 0
