"""MaxFlow: layered generator, Edmonds-Karp value against brute-force minimum cuts, lenient verify that never
tells the value, augmenting-path step mode (backward steps included), records, pictures."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import max_flow as mf

TASK = get_task("MaxFlow")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(6)
# the spec's worked example: 0->1:7, 0->2:6, 1->3:5, 2->3:9 -> 11
EXAMPLE = [[0, 1, 7], [0, 2, 6], [1, 3, 5], [2, 3, 9]]
# a network where the greedy path 0-1-2-3 must be partly undone: max flow 2 needs the backward step 2->1
CROSS = [[0, 1, 1], [0, 2, 1], [1, 2, 1], [1, 3, 1], [2, 3, 1]]


def make(arcs, n=4):
    return TASK.puzzle(1, TASK._data(n, arcs, 0, n - 1))


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def min_cut(data) -> int:
    """Brute force over every source side S (s in S, t not): the smallest total capacity leaving S."""
    n, s, t = data["n"], data["source"], data["sink"]
    others = [v for v in range(n) if v not in (s, t)]
    best = None
    for mask in range(1 << len(others)):
        side = {s} | {v for k, v in enumerate(others) if mask >> k & 1}
        cap = sum(c for u, v, c in data["arcs"] if u in side and v not in side)
        best = cap if best is None else min(best, cap)
    return best


def play(puzzle, moves):
    state = TASK.initial_state(puzzle)
    for move in moves:
        if move != "submit":
            state = TASK.apply(puzzle, state, move)
    return state


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instances --------------------------------------------------------------------------------
def test_example_known_answer():
    p = make(EXAMPLE)
    assert TASK.solve(p) == "11" and p.data["max_flow"] == 11
    assert TASK.verify(p, "11").correct
    assert TASK.solve_moves(p) == ["path 0 1 3", "path 0 2 3", "submit"]
    state = play(p, TASK.solve_moves(p))
    assert state == (5, 6, 5, 6) and TASK.state_answer(p, state) == "11"
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "11"
    assert [e.move for e in trace if e.kind == "deduce"] == ["path 0 1 3", "path 0 2 3"]
    assert trace[-2].kind == "check" and "(0->2:6, 1->3:5)" in trace[-2].note  # the minimum cut


def test_cross_network_needs_a_backward_step():
    p = make(CROSS)
    assert TASK.solve(p) == "2"
    state = TASK.apply(p, TASK.initial_state(p), "path 0 1 2 3")  # the greedy path blocks both others
    assert TASK.state_answer(p, state) == "1"
    with pytest.raises(InvalidMove, match="full"):
        TASK.apply(p, state, "path 0 1 3")
    state = TASK.apply(p, state, "path 0 -> 2 -> 1 -> 3")  # back along 1->2, cancelling its flow
    assert state == (1, 1, 0, 1, 1) and TASK.state_answer(p, state) == "2"
    assert "path 0 2 1 3" in TASK.move_space(p)
    assert TASK.is_solved(p, state) is False  # never ends by itself at the maximum


@pytest.mark.parametrize("text", ["11", "11.0", "11.", "$11$", "11 units", "max flow = 11", "\\text{11}", " 11 ",
                                  "The maximum flow is 11.", "22/2", "$11.00$", "f=11"])
def test_example_notations_accepted(text):
    assert TASK.verify(make(EXAMPLE), text).correct, text


@pytest.mark.parametrize("text", ["10", "12", "0", "-11", "11.5", "110", "11 12", "5 + 6 = 11", "eleven", "", "none",
                                  "[11, 11]", "1e999", "__import__('os').system('ls')"])
def test_example_wrong_answers_rejected(text):
    verdict = TASK.verify(make(EXAMPLE), text)
    assert not verdict.correct and verdict.violations, text


def test_every_other_integer_is_rejected_and_the_value_is_never_told():
    p = make(EXAMPLE)
    for value in range(-3, 40):
        verdict = TASK.verify(p, str(value))
        assert verdict.correct == (value == 11)
        if value != 11:
            assert not any("11" in v for v in verdict.violations), verdict.violations
    assert "not maximum" in TASK.verify(p, "10").violations[0]
    assert "no flow of value 12" in TASK.verify(p, "12").violations[0]


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises(text):
    verdict = TASK.verify(make(EXAMPLE), text)
    assert isinstance(verdict.correct, bool) and (verdict.correct or verdict.violations)


# ---- generator -------------------------------------------------------------------------------------------
def test_level_one_is_the_diamond():
    for p in puzzles([1]):
        assert [a[:2] for a in p.data["arcs"]] == [[0, 1], [0, 2], [1, 3], [2, 3]]


@pytest.mark.parametrize("level", LEVELS)
def test_generated_network_shape(level):
    sizes = mf.LAYERS[level]
    starts = list(itertools.accumulate((0, *sizes)))
    layer = [k for k, count in enumerate(sizes) for _ in range(count)]
    for p in puzzles([level]):
        d = p.data
        n = d["n"]
        assert n == sum(sizes) and d["source"] == 0 and d["sink"] == n - 1
        assert d["arcs"] == sorted(d["arcs"]) and len({(u, v) for u, v, _ in d["arcs"]}) == len(d["arcs"])
        assert all(layer[v] == layer[u] + 1 and 1 <= c <= 10 for u, v, c in d["arcs"])
        assert mf.layer_of(n, d["arcs"]) == layer
        for v in range(n):
            outs = [c for u, _, c in d["arcs"] if u == v]
            ins = [u for u, w, _ in d["arcs"] if w == v]
            assert bool(outs) == (v != n - 1) and bool(ins) == (v != 0)
            assert not outs or max(outs) - min(outs) <= 1  # a node's out-arcs share its throughput evenly
        assert starts[-1] == n
        assert d["max_flow"] == min_cut(d)  # Edmonds-Karp against an independent brute force


def test_level_five_statistics_match_the_spec():
    arcs = [len(p.data["arcs"]) for p in puzzles([5], range(40))]
    assert 20 <= min(arcs) and max(arcs) <= 33


# ---- solvability and step mode ----------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_moves_reach_the_maximum(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit" and set(moves) <= set(TASK.move_space(p))
        state = play(p, moves)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        assert all(0 <= f <= c for f, (_, _, c) in zip(state, p.data["arcs"]))
        trace = TASK.solve_trace(p)
        assert trace[-1].move == answer and TASK.verify(p, trace[-1].move).correct


def test_push_amounts_and_spellings():
    p = make(EXAMPLE)
    start = TASK.initial_state(p)
    for move in ("push 0 1 3 by 2", "augment 0 -> 1 -> 3 by 2", "push 2 along 0 1 3", "push 0,1,3 amount 2",
                 "Push [0, 1, 3] by 2.", "send 2 units along 0 1 3"):
        assert TASK.apply(p, start, move) == (2, 0, 2, 0), move
    assert TASK.apply(p, start, "path 0 1 3") == (5, 0, 5, 0)
    assert TASK.apply(p, start, "augment 0 2 3") == (0, 6, 0, 6)


@pytest.mark.parametrize("move,reason", [
    ("path 1 3", "source"), ("path 0 1", "sink"), ("path 0 3", "no arc"), ("path 0 1 0 2 3", "twice"),
    ("path 0 9 3", "no node 9"), ("push 0 1 3 by 5", "at most 4"), ("push 0 1 3 by 0", "at least 1"),
    ("path 0 2 1 3", "no arc"), ("path 0", "two nodes"), ("path", "unknown"), ("flow", "unknown"),
    ("go 1", "unknown"), ("path 0 x 3", "read the path"), ("", "unknown"),
])
def test_illegal_moves_raise_and_leave_the_state(move, reason):
    p = make(EXAMPLE)
    state = TASK.apply(p, TASK.initial_state(p), "push 0 1 3 by 1")
    before = state
    with pytest.raises(InvalidMove, match=reason):
        TASK.apply(p, state, move)
    assert state == before


def test_saturated_and_empty_arcs_are_refused():
    p = make(CROSS)
    state = TASK.apply(p, TASK.initial_state(p), "path 0 1 3")
    with pytest.raises(InvalidMove, match="full"):
        TASK.apply(p, state, "path 0 1 2 3")
    with pytest.raises(InvalidMove, match="carries no flow"):
        TASK.apply(p, TASK.initial_state(p), "path 0 2 1 3")


def test_submit_answers_the_current_flow_value():
    p = make(EXAMPLE)
    state = TASK.apply(p, TASK.initial_state(p), "path 0 1 3")
    assert TASK.state_answer(p, state) == "5" and not TASK.verify(p, "5").correct
    assert TASK.conflicts(p, state) == []


def test_state_text_shows_flows_and_the_residual_graph():
    p = make(CROSS)
    state = TASK.apply(p, TASK.initial_state(p), "path 0 1 2 3")
    text = TASK.state_text(p, state)
    assert "0: [(1,1/1), (2,0/1)]" in text
    assert "residual graph" in text and "2: [(1,1)]" in text
    assert "maximum" not in text.split("residual")[1]


def test_move_space_is_every_simple_path():
    p = next(puzzles([3]))
    space = TASK.move_space(p)
    assert space[-1] == "submit" and len(space) == len(set(space))
    assert all(m.startswith("path 0 ") and m.endswith(" 8") for m in space[:-1])
    assert space == TASK.move_space(p)


# ---- records ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for p in puzzles([level], range(3)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["category"] == "max_flow" and record["difficulty"] == level
        assert record["answer"] == str(p.data["max_flow"]) and "initial_state" not in record
        assert TASK.from_record(record) == p


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"] and p.data["max_flow"] == min_cut(p.data)


def test_bad_records_are_refused():
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "no graph here"})
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "from node 0 to node 2\n0: [(1,3)]\n1: [(0,2)]\n2: []"})


# ---- pictures ---------------------------------------------------------------------------------------------
def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_pictures_are_deterministic_and_show_the_position():
    p = TASK.generate(np.random.default_rng(3), 5)
    first = TASK.render(p)
    mf._picture.cache_clear()
    assert _png(TASK.render(p)) == _png(first)
    state = play(p, TASK.solve_moves(p)[:1])
    assert TASK.render(p, state).tobytes() != first.tobytes()
    for data in (p.data, make(EXAMPLE).data):
        pic = mf.picture(data, 512)
        assert not pic.crowded
        xs = {round(pic.xy(v)[0]) for v in range(data["n"])}
        assert len(xs) == max(mf.layer_of(data["n"], data["arcs"])) + 1  # one column per layer
