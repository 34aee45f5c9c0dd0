"""TopologicalSort: grid DAG generator, rule-based verify checked exhaustively against brute force, lenient
notations, order-building step mode, official records (list answers, string difficulty), pictures."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core import graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import topological_sort as ts

TASK = get_task("TopologicalSort")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(6)
# the spec's worked example: answer [0, 1, 3, 4, 2, 5]; [0, 3, 4, 1, 5, 2] is valid too
EXAMPLE_STATE = {"0": [1, 3], "1": [2], "2": [], "3": [4], "4": [2, 5], "5": []}


def example():
    return TASK.from_record({"initial_state": EXAMPLE_STATE, "difficulty": "1"})


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def is_valid(n, arcs, order) -> bool:
    """The rule, written independently: a permutation of 0..n-1 with every arc pointing forwards."""
    if sorted(order) != list(range(n)):
        return False
    pos = {v: k for k, v in enumerate(order)}
    return all(pos[u] < pos[v] for u, v in arcs)


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert p.data == {"n": 6, "arcs": [[0, 1], [0, 3], [1, 2], [3, 4], [4, 2], [4, 5]]}
    assert TASK.solve(p) == "[0, 1, 3, 4, 2, 5]"
    assert TASK.verify(p, "[0, 3, 4, 1, 5, 2]").correct
    assert TASK.solve_moves(p) == ["add 0", "add 1", "add 3", "add 4", "add 2", "add 5"]
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "[0, 1, 3, 4, 2, 5]"
    assert [e.move for e in trace if e.kind == "deduce"] == TASK.solve_moves(p)


def test_verify_matches_brute_force_on_every_permutation():
    """Soundness and completeness at once: all 720 orders of the example."""
    p = example()
    n, arcs = p.data["n"], p.data["arcs"]
    valid = 0
    for order in itertools.permutations(range(n)):
        verdict = TASK.verify(p, str(list(order)))
        assert verdict.correct == is_valid(n, arcs, order), order
        assert verdict.correct or verdict.violations
        valid += verdict.correct
    assert valid == 7  # 0 first, then the 7 interleavings of 1 -> 2 with 3 -> 4 -> {2, 5}


@pytest.mark.parametrize("text", [
    "[0, 1, 3, 4, 2, 5]", "0,1,3,4,2,5", "0 -> 1 -> 3 -> 4 -> 2 -> 5", "(0, 1, 3, 4, 2, 5)", "0 1 3 4 2 5",
    "[[0, 1, 3, 4, 2, 5]]", "$[0, 1, 3, 4, 2, 5]$", "Order: 0, 1, 3, 4, 2, 5", "0 → 1 → 3 → 4 → 2 → 5",
    "0 \\to 1 \\to 3 \\to 4 \\to 2 \\to 5", "[0.0, 1, 3, 4, 2, 5]", "0-1-3-4-2-5", "[0;1;3;4;2;5]",
])
def test_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


def test_every_single_edit_of_a_valid_order_is_judged_by_the_rules():
    """Swaps, deletions, duplications, replacements and insertions of a valid order: accepted iff valid."""
    for p in [example(), *puzzles([2, 3], range(2))]:
        n, arcs = p.data["n"], p.data["arcs"]
        base = json.loads(TASK.solve(p))
        edits = []
        for i, j in itertools.combinations(range(n), 2):
            swapped = list(base)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            edits.append(swapped)
        for i in range(n):
            edits.append(base[:i] + base[i + 1:])
            edits.append([*base[:i], base[i], *base[i:]])
            for v in range(n + 1):
                edits.append([*base[:i], v, *base[i + 1:]])
                edits.append([*base[:i], v, *base[i:]])
        for order in edits:
            verdict = TASK.verify(p, json.dumps(order))
            assert verdict.correct == is_valid(n, arcs, order), order
            assert verdict.correct or verdict.violations


def test_violations_name_the_broken_rule():
    p = example()
    assert TASK.verify(p, "[1, 0, 3, 4, 2, 5]").violations == ["arc 0 -> 1 is broken: node 1 comes before node 0"]
    assert "node 5 is missing" in TASK.verify(p, "[0, 1, 3, 4, 2]").violations[0]
    assert "node 2 appears 2 times" in TASK.verify(p, "[0, 1, 3, 4, 2, 5, 2]").violations[0]
    assert "no node 7" in TASK.verify(p, "[0, 1, 3, 4, 2, 5, 7]").violations[0]
    assert "no cycle" in TASK.verify(p, "No").violations[0]
    many = TASK.verify(next(puzzles([5])), json.dumps(list(range(24, -1, -1)))).violations
    assert many[-1].startswith("and ") and len(many) == ts.MAX_LISTED + 1


@pytest.mark.parametrize("text", ["", "[]", "none", "0, 1, x", "[-1, 0]", "[0.5, 1]", "{0: 1}", "1e999",
                                  "__import__('os').system('ls')", "[0, 1, 3, 4, 2, 5] and also [5]", "a" * 5000])
def test_garbage_is_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises(text):
    verdict = TASK.verify(example(), text)
    assert isinstance(verdict.correct, bool) and (verdict.correct or verdict.violations)


# ---- generator -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_dag_shape(level):
    n, _ = ts.LADDER[level]
    counts = []
    for p in puzzles([level]):
        d = p.data
        assert d["n"] == n and d["arcs"] == sorted(d["arcs"])
        assert len({tuple(a) for a in d["arcs"]}) == len(d["arcs"]) and all(u != v for u, v in d["arcs"])
        assert ts.smallest_order(n, d["arcs"]) is not None  # acyclic
        assert graphs.is_connected(n, d["arcs"])  # weakly connected
        counts.append(len(d["arcs"]))
    low, high = {1: (6, 12), 2: (10, 19), 3: (13, 27), 4: (18, 35), 5: (30, 61)}[level]
    assert low <= min(counts) and max(counts) <= high


def test_grid_arcs_join_neighbours_and_reverse_ones_exist():
    p = TASK.generate(np.random.default_rng(0), 5)
    cols = graphs.grid_columns(25)
    near = sum(graphs.pair_kind(u, v, cols) in (graphs.ORTHOGONAL, graphs.DIAGONAL) for u, v in p.data["arcs"])
    assert near >= len(p.data["arcs"]) - 4  # only the extra arcs (and connecting ones) may be long
    backwards = sum(u > v for p in puzzles([3]) for u, v in p.data["arcs"])
    assert backwards > 0  # left/up arcs keep 0, 1, 2, ... from being an answer


# ---- solvability and step mode ----------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_moves(level):
    for p in puzzles([level]):
        n, arcs = p.data["n"], p.data["arcs"]
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct and is_valid(n, arcs, json.loads(answer))
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert move in TASK.moves(p, state)
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct
        assert set(TASK.solve_moves(p)) <= set(TASK.move_space(p))


def test_step_spellings():
    p = example()
    for move in ("add 0", "Add 0.", "place 0", "0", "add node 0", "`add 0`"):
        assert TASK.apply(p, (), move) == (0,), move


@pytest.mark.parametrize("move,reason", [
    ("add 2", "arcs 1 -> 2, 4 -> 2 need nodes 1, 4"), ("add 4", "arc 3 -> 4 needs node 3"),
    ("add 0", "already placed"), ("add 6", "no node 6"), ("add", "unknown"), ("add -1", "unknown"),
    ("remove 0", "unknown"), ("add 1 3", "unknown"), ("", "unknown"),
])
def test_illegal_moves_raise_and_leave_the_state(move, reason):
    p = example()
    state = TASK.apply(p, (), "add 0")
    with pytest.raises(InvalidMove, match=reason):
        TASK.apply(p, state, move)
    assert state == (0,)


def test_submit_before_the_end_is_refused_and_moves_list_the_available_nodes():
    p = example()
    state = TASK.apply(p, (), "add 0")
    with pytest.raises(InvalidMove, match="5 nodes are not placed"):
        TASK.state_answer(p, state)
    assert TASK.moves(p, state) == ["add 1", "add 3"]
    assert TASK.conflicts(p, state) == []
    assert "order so far: [0] (1 of 6 nodes placed)" in TASK.state_text(p, state)


# ---- records ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for p in puzzles([level], range(3)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["category"] == "topological_sort" and record["difficulty"] == str(level)
        assert isinstance(record["answer"], list) and is_valid(p.data["n"], p.data["arcs"], record["answer"])
        assert all(isinstance(k, str) for k in record["initial_state"])
        assert TASK.from_record(record) == p
        text_only = {k: v for k, v in record.items() if k != "initial_state"}
        assert TASK.from_record(text_only) == p  # the adjacency lines of the text question suffice


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and isinstance(row["answer"], list)
        assert TASK.verify(p, json.dumps(row["answer"])).correct, row["index"]
        assert TASK.verify(p, str(row["answer"])).correct
        assert ts.smallest_order(p.data["n"], p.data["arcs"]) == row["answer"]  # the official reference rule
        without_state = {k: v for k, v in row.items() if k != "initial_state"}  # question_language is a list
        assert TASK.from_record(without_state) == p


def test_bad_records_are_refused():
    with pytest.raises(RecordError, match="cycle"):
        TASK.from_record({"initial_state": {"0": [1], "1": [2], "2": [0]}})
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "nothing here"})
    assert TASK.from_record({"initial_state": json.dumps(EXAMPLE_STATE)}) == example()
    assert TASK.from_record({"initial_state": str({0: [1, 3], 1: [2], 2: [], 3: [4], 4: [2, 5], 5: []})}) == example()


# ---- pictures ---------------------------------------------------------------------------------------------
def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_pictures_are_deterministic_and_show_the_position():
    p = TASK.generate(np.random.default_rng(3), 5)
    first = TASK.render(p)
    ts._picture.cache_clear()
    assert _png(TASK.render(p)) == _png(first)
    state = ()
    for move in TASK.solve_moves(p)[:4]:
        state = TASK.apply(p, state, move)
    assert TASK.render(p, state).tobytes() != first.tobytes()


def test_no_arc_is_drawn_through_a_node_and_clicks_map_to_nodes():
    for p in puzzles([5], range(4)):
        pic = ts.picture(p.data, 512)
        for i, (u, v) in enumerate(p.data["arcs"]):
            path = pic.paths[i]
            others = [k for k in range(p.data["n"]) if k not in (u, v)]
            gap = min(ts_distance(path, pic.xy(k)) for k in others)
            assert gap > pic.radius, (u, v)
        for node in range(p.data["n"]):
            x, y = pic.xy(node)
            cell = TASK.cell_at(p, x, y)
            assert TASK.cell_command(p, (), cell, "a") == f"add {node}"


def ts_distance(path, point) -> float:
    from helix_gym.core.graph_draw import polyline_point_distance

    return polyline_point_distance(path, point)
