"""Snake: ladder and uniqueness, rule-based verifier, step mode, records (ours and the official format), trace,
pictures."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.snake import LADDER, Snake, _model, _order
from tests.conftest import official_rows

TASK: Snake = get_task("snake")

# the spec's own 5x5 example: S at (0,0), E at (2,3)
EXAMPLE = [(0, 0), (1, 0), (1, 1), (1, 2), (1, 3), (2, 3)]
EXAMPLE_TEXT = "(0,0) (1,0) (1,1) (1,2) (1,3) (2,3)"
# a 6x6 instance with two snakes (mirror images through column 1)
TWIN_A = [(5, 1), (5, 0), (4, 0), (3, 0), (3, 1), (2, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
TWIN_B = [(5, 1), (5, 2), (4, 2), (3, 2), (3, 1), (2, 1), (2, 0), (1, 0), (0, 0), (0, 1)]


def make(n: int, path: list[tuple[int, int]], level: int = 1) -> Puzzle:
    data = {"rows": n, "cols": n, "start": list(path[0]), "end": list(path[-1]),
            "row_counts": [sum(1 for r, _ in path if r == i) for i in range(n)],
            "col_counts": [sum(1 for _, c in path if c == i) for i in range(n)],
            "solution": [list(c) for c in path]}
    return TASK.puzzle(level, data)


def text(cells) -> str:
    return " ".join(f"({r},{c})" for r, c in cells)


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(5)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = make(5, EXAMPLE)
    assert p.data["row_counts"] == [1, 4, 1, 0, 0] and p.data["col_counts"] == [2, 1, 1, 2, 0]
    assert TASK.solve(p) == EXAMPLE_TEXT
    assert TASK.verify(p, EXAMPLE_TEXT).correct
    found = _model(p.data).solutions(3)
    assert len(found) == 1
    assert _order([i for i, v in enumerate(found[0]) if v], 0, 5, 5) == [r * 5 + c for r, c in EXAMPLE]


def test_generated_puzzles_follow_the_ladder_and_are_unique(generated):
    for p in generated:
        d = p.data
        sides, share, _ = LADDER[p.level]
        n = d["rows"]
        assert n in sides and d["cols"] == n
        path = d["solution"]
        assert path[0] == d["start"] and path[-1] == d["end"]
        assert len(path) >= 0.8 * share * n * n - 1
        assert TASK.verify(p, TASK.solve(p)).correct
        assert _model(d).count_solutions(2) == 1
        (sr, sc), (er, ec) = d["start"], d["end"]
        far = 3 if p.level == 1 else max(3, n // 2) if p.level == 2 else max(4, n // 2)
        assert abs(sr - er) + abs(sc - ec) >= far
        if p.level <= 2:
            assert sr in (0, n - 1) or sc in (0, n - 1)


def test_snakes_bend_and_are_not_shortest_paths(generated):
    for p in generated:
        (sr, sc), (er, ec) = p.data["start"], p.data["end"]
        if p.level >= 3:
            assert len(p.data["solution"]) > abs(sr - er) + abs(sc - ec) + 1


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


def test_trace_searches_and_ends_with_a_valid_answer(generated):
    for p in (generated[0], generated[-1]):
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer"
        assert TASK.verify(p, trace[-1].move).correct
        assert any(e.kind == "deduce" for e in trace)


# ---- verifier: soundness ---------------------------------------------------------------------------------
def test_every_single_edit_of_a_unique_solution_is_rejected(generated):
    for p in generated[5:15]:  # levels 2 and 3
        n = p.data["rows"]
        path = [tuple(c) for c in p.data["solution"]]
        cells = [(r, c) for r in range(n) for c in range(n)]
        for k in range(len(path)):
            for cell in cells:  # replace cell k
                if cell != path[k]:
                    assert not TASK.verify(p, text([*path[:k], cell, *path[k + 1:]])).correct
            assert not TASK.verify(p, text(path[:k] + path[k + 1:])).correct  # drop cell k
            for cell in cells[::3]:  # insert a cell before cell k
                assert not TASK.verify(p, text([*path[:k], cell, *path[k:]])).correct


@pytest.mark.parametrize("answer, words", [
    ("(0,0) (1,0) (1,1) (1,2) (1,3)", "must end at E"),
    ("(1,0) (1,1) (1,2) (1,3) (2,3)", "must start at S"),
    ("(0,0) (1,0) (1,1) (1,3) (2,3)", "are not neighbours"),
    ("(0,0) (1,0) (1,1) (1,0) (1,1) (1,2) (1,3) (2,3)", "used more than once"),
    ("(0,0) (1,0) (1,1) (1,2) (1,3) (2,3) (5,5)", "outside the 5x5 grid"),
    ("(0,0) (0,1) (1,1) (1,2) (1,3) (2,3)", "row 0 has 2 snake cells but its count is 1"),
    ("(0,0) (1,0) (1,1) (1,2) (1,3) (2,3) (2,2)", "must end at E"),
    ("(2,3) (1,3) (1,2) (1,1) (1,0) (0,0) (0,1)", "must"),
    ("(0,0) (1,0) (1,2) (1,1) (1,3) (2,3)", "not neighbours"),
])
def test_rule_breaks_are_named(answer, words):
    verdict = TASK.verify(make(5, EXAMPLE), answer)
    assert not verdict.correct
    assert any(words in v for v in verdict.violations), verdict.violations


def test_touching_snakes_are_rejected_and_bends_may_touch_at_corners():
    u_turn = [(0, 0), (0, 1), (0, 2), (1, 2), (1, 1), (1, 0)]  # (1,1) lies against (0,1), (1,0) against (0,0)
    verdict = TASK.verify(make(4, u_turn), text(u_turn))
    assert sum("share an edge" in v for v in verdict.violations) == 2, verdict.violations
    bends = [(0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)]  # only the corner contacts of its bends
    assert TASK.verify(make(4, bends), text(bends)).correct


def test_corner_contact_away_from_a_bend_is_rejected():
    # (1,1) and (2,2) touch at a corner but are 4 steps apart along the snake
    snake = [(1, 1), (0, 1), (0, 2), (0, 3), (1, 3), (2, 3), (2, 2)]
    verdict = TASK.verify(make(4, snake), text(snake))
    assert any("corner" in v for v in verdict.violations), verdict.violations


def test_the_official_loophole_is_closed():
    """The official judge compares cell sets; a sorted list of the right cells is not a snake."""
    p = make(6, TWIN_A)
    verdict = TASK.verify(p, text(sorted(TWIN_A)))
    assert not verdict.correct and any("not neighbours" in v for v in verdict.violations)


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    EXAMPLE_TEXT,
    "(2,3) (1,3) (1,2) (1,1) (1,0) (0,0)",  # from E to S
    "[[0, 0], [1, 0], [1, 1], [1, 2], [1, 3], [2, 3]]",
    "(0, 0), (1, 0), (1, 1), (1, 2), (1, 3), (2, 3)",
    "(0,0) -> (1,0) -> (1,1) -> (1,2) -> (1,3) -> (2,3)",
    "0,0 1,0 1,1 1,2 1,3 2,3",
    "$(0,0)\\ (1,0)\\ (1,1)\\ (1,2)\\ (1,3)\\ (2,3)$",
    "The snake: (0,0)\n(1,0)\n(1,1)\n(1,2)\n(1,3)\n(2,3)",
])
def test_other_notations_are_accepted(answer):
    verdict = TASK.verify(make(5, EXAMPLE), answer)
    assert verdict.correct, verdict.violations


def test_every_valid_snake_is_accepted():
    p = make(6, TWIN_A)
    assert make(6, TWIN_B).data["row_counts"] == p.data["row_counts"]
    assert make(6, TWIN_B).data["col_counts"] == p.data["col_counts"]
    assert _model(p.data).count_solutions(3) == 2
    assert TASK.verify(p, text(TWIN_A)).correct and TASK.verify(p, text(TWIN_B)).correct


@pytest.mark.parametrize("junk", ["", "   ", "no idea", "__import__('os').system('ls')", "(1,2", "[[[[",
                                  "(99999999999,1)", "(" * 5000, "\x00\x01", "∞", "1e309", "1 2 3"])
def test_verify_never_raises_on_garbage(junk):
    verdict = TASK.verify(make(5, EXAMPLE), junk)
    assert not verdict.correct and verdict.violations


# ---- step mode -------------------------------------------------------------------------------------------
def test_step_spellings():
    p = make(5, EXAMPLE)
    s0 = TASK.initial_state(p)
    s1 = TASK.apply(p, s0, "down")
    for move in ("d", "D", "move down", "move D", "go down", "1 0", "(1,0)", "Down."):
        assert TASK.apply(p, s0, move) == s1, move
    s = s0
    for move in ("down", "right", "right", "right", "down"):
        s = TASK.apply(p, s, move)
    assert TASK.is_solved(p, s)
    assert TASK.state_answer(p, s) == EXAMPLE_TEXT
    with pytest.raises(InvalidMove, match="reached E"):
        TASK.apply(p, s, "left")


@pytest.mark.parametrize("moves, bad, reason", [
    ((), "up", "leave the grid"),
    ((), "left", "leave the grid"),
    ((), "right", "row 0 already has its 1"),
    (("down",), "up", "already part of the snake"),
    (("down", "right"), "up", "would touch the snake at (0,0)"),
    (("down", "right", "right", "right"), "right", "row 1 already has its 4"),
    (("down",), "down", "column 0 already has its 2"),
    ((), "2 2", "not next to the head"),
    ((), "jump", "unknown command"),
    ((), "", "unknown command"),
])
def test_illegal_moves_raise_and_change_nothing(moves, bad, reason):
    p = make(5, EXAMPLE)
    s = TASK.initial_state(p)
    for move in moves:
        s = TASK.apply(p, s, move)
    before = s
    with pytest.raises(InvalidMove, match=re.escape(reason)):
        TASK.apply(p, s, bad)
    assert s == before


def test_touching_moves_are_illegal():
    p = make(4, [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (3, 0)])
    s = TASK.initial_state(p)
    for move in ("right", "right", "down", "down", "left"):
        s = TASK.apply(p, s, move)
    with pytest.raises(InvalidMove, match="would touch the snake"):
        TASK.apply(p, s, "up")  # (1,1) touches (0,1) and (1,2)
    assert "up" not in TASK.moves(p, s)


def test_conflicts_report_a_snake_next_to_e_and_unmet_counts():
    p = make(5, EXAMPLE)
    s = TASK.initial_state(p)
    assert TASK.conflicts(p, s) == []
    wide = make(5, [(0, 0), (1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (2, 4), (3, 4), (3, 3), (2, 3)])
    s = TASK.initial_state(wide)
    for move in ("down", "right", "right", "right"):
        s = TASK.apply(wide, s, move)
    assert TASK.conflicts(wide, s) == []  # the head may stand next to E
    s = TASK.apply(wide, s, "right")
    assert any("touches E at (1,3)" in c for c in TASK.conflicts(wide, s))
    short = TASK.initial_state(p)
    for move in ("down", "right", "right", "right", "down"):
        short = TASK.apply(p, short, move)
    assert TASK.conflicts(p, short) == []


# ---- records ---------------------------------------------------------------------------------------------
def test_round_trip(generated):
    for p in generated:
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["initial_state"][p.data["start"][0]][p.data["start"][1]] == "S"
        assert TASK.from_record(record) == p


def official_record(**changes) -> dict:
    """A hand-written record in the official generator's format (spec 10.5)."""
    grid = [[None] * 5 for _ in range(5)]
    grid[0][0], grid[2][3] = "S", "E"
    record = {"index": "snake_5_1", "category": "snake", "difficulty": "1", "answer": EXAMPLE_TEXT,
              "answer_str": EXAMPLE_TEXT, "grid_size": {"rows": 5, "cols": 5}, "start": {"row": 0, "col": 0},
              "end": {"row": 2, "col": 3}, "row_counts": [1, 4, 1, 0, 0], "col_counts": [2, 1, 1, 2, 0],
              "initial_state": grid,
              "question_language": "Grid size: 5×5\nRow counts: 1, 4, 1, 0, 0\nColumn counts: 2, 1, 1, 2, 0\n"}
    record.update(changes)
    return record


@pytest.mark.parametrize("changes", [
    {},
    {"answer": [list(c) for c in EXAMPLE]},  # the generator's list form
    {"answer": text(EXAMPLE[::-1])},
    {"row_counts": None, "col_counts": None},  # counts only in the question text
    {"row_counts": None, "col_counts": None, "question_language": None},  # counts from the answer
    {"initial_state": json.dumps([["S", None, None, None, None]] + [[None] * 5] + [[None, None, None, "E", None]]
                                 + [[None] * 5] * 2)},
    {"answer": "garbage"},  # the solver finds the snake
])
def test_official_format_records_load_and_their_answer_is_accepted(changes):
    record = official_record(**changes)
    p = TASK.from_record(record)
    assert p.data["solution"] == [list(c) for c in EXAMPLE]
    assert TASK.verify(p, EXAMPLE_TEXT).correct
    answer = record["answer"] if isinstance(record["answer"], str) else json.dumps(record["answer"])
    if answer != "garbage":
        assert TASK.verify(p, answer).correct


def test_our_records_load_from_the_question_text_alone(generated):
    for p in generated[::4]:
        record = TASK.to_record(p)
        for key in ("row_counts", "col_counts", "grid_size", "start", "end"):
            del record[key]
        record["answer"] = None
        assert TASK.from_record(record).data == p.data


def test_bad_records_raise_record_error():
    for changes in ({"initial_state": "nope"}, {"initial_state": [["S", None], [None, None]]},
                    {"row_counts": [1, 2], "answer": None}, {"row_counts": [5, 0, 0, 0, 0], "answer": None}):
        with pytest.raises(RecordError):
            TASK.from_record(official_record(**changes))


def test_official_rows_if_any():
    rows = [r for r in official_rows() if r["category"] == "snake"]
    for row in rows:  # the sample file has none (the official generator produced no instances)
        p = TASK.from_record(row)
        answer = row["answer"] if isinstance(row["answer"], str) else json.dumps(row["answer"])
        assert TASK.verify(p, answer).correct


# ---- pictures ----------------------------------------------------------------------------------------------
def test_render_is_deterministic_and_shows_the_position():
    p = TASK.generate_seeded(2, 5)
    assert TASK.render(p).tobytes() == TASK.render(p).tobytes()
    s = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, s).tobytes() != TASK.render(p).tobytes()
    assert TASK.render(p, TASK.initial_state(p)).size == TASK.render(p).size


def test_prompts_never_show_the_solution(generated):
    for p in generated:
        for modality in ("image", "text"):
            prompt = TASK.prompt(p, modality)
            assert TASK.solve(p) not in prompt
            assert ", ".join(map(str, p.data["row_counts"])) in prompt
