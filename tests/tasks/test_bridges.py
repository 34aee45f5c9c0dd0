"""Bridges: ladder and uniqueness, rule-based verifier, step mode, records, trace, pictures."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.bridges import LADDER, Bridges, _make_map, _model
from tests.conftest import official_rows

TASK: Bridges = get_task("bridges")

# the spec's own example: islands (0,0)=3, (3,0)=3, (0,2)=1, (3,3)=1; one solution
EXAMPLE = "(0,0)-(3,0):2\n(0,0)-(0,2):1\n(3,0)-(3,3):1"


def make(n: int, islands: list[tuple[int, int, int]], bridges: list[tuple[tuple, tuple, int]],
         level: int = 2) -> Puzzle:
    islands = sorted(islands, key=lambda t: (t[1], t[0]))
    data = {"size": n, "islands": [{"x": x, "y": y, "num": k} for x, y, k in islands],
            "bridges": [{"from": list(p), "to": list(q), "count": k} for p, q, k in bridges]}
    return TASK.puzzle(level, data)


def example() -> Puzzle:
    return make(4, [(0, 0, 3), (3, 0, 3), (0, 2, 1), (3, 3, 1)], [((0, 0), (3, 0), 2), ((0, 0), (0, 2), 1),
                                                                   ((3, 0), (3, 3), 1)])


def square(num: int) -> Puzzle:
    """Four islands on the corners of a 3x3 lattice, all with number `num`."""
    ring = [((0, 0), (2, 0), 1), ((0, 0), (0, 2), 1), ((2, 0), (2, 2), 1), ((0, 2), (2, 2), 1)]
    if num == 3:
        ring = [((0, 0), (2, 0), 1), ((0, 0), (0, 2), 2), ((2, 0), (2, 2), 2), ((0, 2), (2, 2), 1)]
    return make(3, [(0, 0, num), (2, 0, num), (0, 2, num), (2, 2, num)], ring)


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(6)]


def vector_text(p: Puzzle, built) -> str:
    return TASK.write_answer(p, built)


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = example()
    assert TASK.solve(p) == EXAMPLE
    assert TASK.verify(p, EXAMPLE).correct
    m = TASK.geometry(p)
    assert _model(m).solutions(3) == [TASK.solution(p)]


def test_generated_puzzles_follow_the_ladder_and_are_unique(generated):
    for p in generated:
        n, low, high, _, _, cap = LADDER[p.level]
        m = TASK.geometry(p)
        assert p.data["size"] == n and low <= len(m.pos) <= high
        assert _model(m).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct
        assert all(1 <= k <= 8 for k in m.num)
        if cap is not None:  # official-style levels: trees
            assert len(p.data["bridges"]) == len(m.pos) - 1
        if p.level == 1:
            assert all(b["count"] == 1 for b in p.data["bridges"])


def test_higher_levels_have_loops_and_big_numbers():
    puzzles = [TASK.generate_seeded(seed, 5) for seed in range(30)]
    assert any(len(p.data["bridges"]) >= len(p.data["islands"]) for p in puzzles)  # a cycle
    assert max(max(TASK.geometry(p).num) for p in puzzles) >= 5


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    assert TASK.generate(np.random.default_rng(3), 5) != TASK.generate(np.random.default_rng(4), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


def test_solve_moves_play_to_a_solved_position(generated):
    for p in generated:
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert not TASK.is_solved(p, state)
            assert move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        assert set(TASK.solve_moves(p)) <= set(TASK.move_space(p))


def test_trace_searches_and_ends_with_a_valid_answer(generated):
    for p in generated[::5]:
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer"
        assert TASK.verify(p, trace[-1].move).correct
        assert any(e.kind == "deduce" for e in trace)


# ---- verifier: soundness ---------------------------------------------------------------------------------
def test_every_single_edit_of_a_unique_solution_is_rejected(generated):
    for p in generated:
        sol = list(TASK.solution(p))
        for e in range(len(sol)):
            for k in (0, 1, 2, 3):
                if k != sol[e]:
                    edited = [*sol[:e], k, *sol[e + 1:]]
                    verdict = TASK.verify(p, vector_text(p, edited))
                    assert not verdict.correct and verdict.violations, (p.id, e, k)


def test_moving_an_end_to_another_point_is_rejected():
    p = example()
    for x in range(4):
        for y in range(4):
            if (x, y) != (3, 0):
                text = EXAMPLE.replace("(0,0)-(3,0)", f"(0,0)-({x},{y})")
                assert not TASK.verify(p, text).correct


@pytest.mark.parametrize("answer, words", [
    ("(0,0)-(3,0):2\n(0,0)-(0,2):1", "number is 1"),
    ("(0,0)-(3,0):3\n(0,0)-(0,2):1\n(3,0)-(3,3):1", "at most 2"),
    ("(0,0)-(3,0):2\n(0,0)-(0,2):1\n(3,0)-(3,3):1\n(0,2)-(3,3):1", "neither horizontal nor vertical"),
    ("(0,0)-(3,0):2\n(0,0)-(0,2):1\n(3,0)-(3,4):1", "no island at (3,4)"),
    ("(0,0)-(0,0):1", "to itself"),
])
def test_rule_breaks_are_named(answer, words):
    verdict = TASK.verify(example(), answer)
    assert not verdict.correct
    assert any(words in v for v in verdict.violations), verdict.violations


def test_crossing_passing_over_and_split_networks_are_rejected():
    cross = make(3, [(1, 0, 1), (1, 2, 1), (0, 1, 1), (2, 1, 1)], [])
    verdict = TASK.verify(cross, "(1,0)-(1,2):1\n(0,1)-(2,1):1")
    assert any("cross" in v for v in verdict.violations)
    line = make(3, [(0, 0, 1), (1, 0, 2), (2, 0, 1)], [((0, 0), (1, 0), 1), ((1, 0), (2, 0), 1)])
    verdict = TASK.verify(line, "(0,0)-(2,0):1")
    assert any("passes over the island (1,0)" in v for v in verdict.violations)
    pairs = make(3, [(0, 0, 1), (2, 0, 1), (0, 2, 1), (2, 2, 1)], [])
    verdict = TASK.verify(pairs, "(0,0)-(2,0):1\n(0,2)-(2,2):1")
    assert not verdict.correct and any("separate groups" in v for v in verdict.violations)


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    EXAMPLE,
    "(3,0)-(0,0):2\n(0,2)-(0,0):1\n(3,3)-(3,0):1",  # ends swapped, any order
    "(3,0)-(3,3):1, (0,0)-(3,0):2, (0,0)-(0,2):1",
    "(0,0) to (3,0): 2\n(0,0) -> (0,2): 1\n(3,0) → (3,3): 1",
    "connect (0,0) and (3,0) with 2 bridges; connect (0,0) and (0,2) with 1; connect (3,0) and (3,3) with 1",
    "(0, 0)-(3, 0) 2\n(0,0)-(0,2)\n(3,0)-(3,3)",  # a missing count is one bridge
    "(0,0)-(3,0):1\n(0,0)-(3,0):1\n(0,0)-(0,2):1\n(3,0)-(3,3):1\n(0,2)-(3,3):0",  # repeats add up, 0 dropped
    json.dumps([{"from": [0, 0], "to": [3, 0], "count": 2}, {"from": [0, 0], "to": [0, 2], "count": 1},
                {"from": [3, 0], "to": [3, 3], "count": 1}]),
    "$\\text{(0,0)-(3,0):2}$ \\\\ $\\text{(0,0)-(0,2):1}$ \\\\ $\\text{(3,0)-(3,3):1}$",
    "[0,0]-[3,0]:2 [0,0]-[0,2]:1 [3,0]-[3,3]:1",
])
def test_other_notations_are_accepted(answer):
    verdict = TASK.verify(example(), answer)
    assert verdict.correct, verdict.violations


def test_every_valid_solution_is_accepted():
    p = square(3)
    assert _model(TASK.geometry(p)).count_solutions(3) == 2
    for answer in ("(0,0)-(2,0):1\n(0,0)-(0,2):2\n(2,0)-(2,2):2\n(0,2)-(2,2):1",
                   "(0,0)-(2,0):2\n(0,0)-(0,2):1\n(2,0)-(2,2):1\n(0,2)-(2,2):2"):
        assert TASK.verify(p, answer).correct
    ring = square(2)
    assert TASK.verify(ring, TASK.solve(ring)).correct
    assert not TASK.verify(ring, "(0,0)-(2,0):2\n(0,2)-(2,2):2").correct  # two closed pairs


@pytest.mark.parametrize("junk", ["", "   ", "no idea", "__import__('os').system('ls')", "(1,2)", "[[[[",
                                  "(0,0)-(3,0):99999999999999999999", "(" * 5000, "\x00\x01", "∞", "1e309"])
def test_verify_never_raises_on_garbage(junk):
    verdict = TASK.verify(example(), junk)
    assert not verdict.correct and verdict.violations


# ---- step mode -------------------------------------------------------------------------------------------
def test_step_commands_and_spellings():
    p = example()
    s0 = TASK.initial_state(p)
    s1 = TASK.apply(p, s0, "bridge 0 0 3 0 2")
    assert TASK.apply(p, s0, "(0,0)-(3,0):2") == s1 == TASK.apply(p, s0, "BRIDGE 3 0 0 0 2")
    assert TASK.apply(p, TASK.apply(p, s0, "add 0 0 3 0"), "add 0 0 3 0") == s1
    assert TASK.apply(p, s1, "add 0 0 3 0") == s0  # 2 -> 0
    assert TASK.apply(p, s1, "remove 0 0 3 0") == s0
    s = s1
    for move in ("bridge 0 0 0 2 1", "bridge 3 0 3 3 1"):
        s = TASK.apply(p, s, move)
    assert TASK.is_solved(p, s)
    assert TASK.verify(p, TASK.state_answer(p, s)).correct


@pytest.mark.parametrize("move, reason", [
    ("bridge 1 1 3 0 1", "no island at (1,1)"),
    ("bridge -1 0 3 0 1", "no island at (-1,0)"),
    ("bridge 0 0 3 3 1", "not in the same row or column"),
    ("bridge 0 0 3 0 3", "at most 2"),
    ("bridge 0 0 0 0 1", "two different islands"),
    ("bridge 0 0 3 0 0", "already has 0"),
    ("bridge 0 0 3 0", "K = 0, 1 or 2"),
    ("fly 0 0 3 0", "unknown command"),
    ("", "unknown command"),
])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    s0 = TASK.initial_state(p)
    with pytest.raises(InvalidMove, match=re.escape(reason)):
        TASK.apply(p, s0, move)
    assert s0 == TASK.initial_state(p)


def test_island_between_and_crossing_moves_are_illegal():
    line = make(3, [(0, 0, 1), (1, 0, 2), (2, 0, 1)], [((0, 0), (1, 0), 1), ((1, 0), (2, 0), 1)])
    with pytest.raises(InvalidMove, match="lies between"):
        TASK.apply(line, TASK.initial_state(line), "bridge 0 0 2 0 1")
    cross = make(3, [(1, 0, 1), (1, 2, 1), (0, 1, 1), (2, 1, 1)], [])
    s = TASK.apply(cross, TASK.initial_state(cross), "bridge 1 0 1 2 1")
    with pytest.raises(InvalidMove, match="would cross"):
        TASK.apply(cross, s, "add 0 1 2 1")
    assert "add 0 1 2 1" not in TASK.moves(cross, s) and "bridge 0 1 2 1 1" not in TASK.moves(cross, s)


def test_conflicts_and_submit_of_an_empty_board():
    p = example()
    s = TASK.apply(p, TASK.initial_state(p), "bridge 0 0 0 2 2")
    assert any("(0,2) has 2 bridges" in c for c in TASK.conflicts(p, s))
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, TASK.initial_state(p))
    assert TASK.conflicts(p, TASK.initial_state(p)) == []


# ---- records ---------------------------------------------------------------------------------------------
def test_round_trip(generated):
    for p in generated:
        record = TASK.to_record(p)
        json.dumps(record)
        assert json.loads(record["initial_state"])["bridges"] == p.data["bridges"]
        assert TASK.from_record(record) == p


def test_official_style_record_without_grid_size():
    record = {"category": "bridges", "difficulty": "2", "answer": EXAMPLE,
              "question_language": "**Grid Information:**\n- Grid size: 6x6\n",
              "initial_state": json.dumps({"islands": [{"x": 3, "y": 3, "num": 1}, {"x": 0, "y": 0, "num": 3},
                                                       {"x": 3, "y": 0, "num": 3}, {"x": 0, "y": 2, "num": 1}],
                                           "bridges": []})}
    p = TASK.from_record(record)
    assert p.data["size"] == 6 and TASK.solve(p) == EXAMPLE  # empty bridges: the answer is used
    del record["question_language"]
    record["answer"] = "nonsense"
    p = TASK.from_record(record)
    assert p.data["size"] == 6 and TASK.solve(p) == EXAMPLE  # level 2 -> 6x6; the solver finds the bridges


def test_bad_records_raise_record_error():
    for state in ("not json", json.dumps({"islands": []}), json.dumps({"islands": [{"x": 0, "y": 0, "num": 9}]}),
                  json.dumps({"islands": [{"x": 0, "y": 0, "num": 1}, {"x": 2, "y": 2, "num": 1}]})):
        with pytest.raises(RecordError):
            TASK.from_record({"category": "bridges", "difficulty": "1", "initial_state": state})


def test_official_rows_load_and_their_answers_are_accepted():
    rows = [r for r in official_rows() if r["category"] == "bridges"]
    if not rows:
        pytest.skip("official samples not available")
    for row in rows:
        p = TASK.from_record(row)
        assert p.data["size"] == p.level + 4
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.verify(p, TASK.solve(p)).correct


# ---- pictures ----------------------------------------------------------------------------------------------
def test_render_is_deterministic_and_shows_the_position():
    p = TASK.generate_seeded(2, 5)
    assert TASK.render(p).tobytes() == TASK.render(p).tobytes()
    s = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, s).tobytes() != TASK.render(p).tobytes()
    assert max(TASK.render(p).size) <= 520


def test_prompts_never_show_the_solution(generated):
    for p in generated[::3]:
        for modality in ("image", "text"):
            text = TASK.prompt(p, modality)
            assert TASK.solve(p) not in text
            assert '"bridges"' not in text and '"from"' not in text
    m = _make_map(5, [(0, 0, 1), (4, 0, 1)])
    assert m.edges == ((0, 1),) and m.cross == ((),)
