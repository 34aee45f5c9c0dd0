"""Futoshiki: ladder and uniqueness, rule-based verifier, step mode, records, trace, pictures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import lines_text, list_text, to_rows
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.futoshiki import GIVEN_SHARE, MARGIN, Futoshiki
from tests.conftest import assert_refused

TASK: Futoshiki = get_task("futoshiki")

# a hand-made 4x4: two givens and five signs force this square
SOLUTION = [[1, 2, 3, 4], [2, 3, 4, 1], [3, 4, 1, 2], [4, 1, 2, 3]]
GIVENS = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3]]
SIGNS = [([0, 0], [0, 1], "<"), ([0, 1], [0, 2], "<"), ([0, 2], [0, 3], "<"), ([1, 0], [1, 1], "<"),
         ([1, 1], [1, 2], "<"), ([2, 0], [2, 1], "<"), ([0, 3], [1, 3], ">")]


def hand_made(signs=SIGNS, givens=GIVENS) -> Puzzle:
    data = {"size": 4, "grid": givens, "inequalities": [{"cell1": a, "cell2": b, "symbol": s} for a, b, s in signs],
            "solution": SOLUTION}
    return TASK.puzzle(2, data)


def flat(grid) -> list[int]:
    return [v for row in grid for v in row]


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).solutions(2) == [tuple(flat(SOLUTION))]
    assert TASK.solve(p) == list_text(SOLUTION)
    assert TASK.verify(p, list_text(SOLUTION)).correct


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        n = p.data["size"]
        assert n == p.level + 2
        givens = sum(1 for v in flat(p.data["grid"]) if v)
        assert givens >= max(1, int(n * n * GIVEN_SHARE[p.level]))
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct
        for q in p.data["inequalities"]:  # cell1 is the left or upper cell, the symbol reads from the solution
            (r1, c1), (r2, c2) = q["cell1"], q["cell2"]
            assert (r2 - r1, c2 - c1) in ((0, 1), (1, 0))
            a, b = p.data["solution"][r1][c1], p.data["solution"][r2][c2]
            assert (a < b) == (q["symbol"] == "<")


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    assert TASK.generate(np.random.default_rng(3), 5) != TASK.generate(np.random.default_rng(4), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


def test_solve_moves_play_to_a_solved_grid(generated):
    for p in generated:
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct


# ---- verifier: soundness ---------------------------------------------------------------------------------
def test_every_single_cell_edit_is_rejected(generated):
    for p in [hand_made(), generated[9], generated[-1]]:
        sol = flat(p.data["solution"])
        n = p.data["size"]
        for i in range(n * n):
            for v in range(0, n + 2):
                if v == sol[i]:
                    continue
                edited = sol[:]
                edited[i] = v
                verdict = TASK.verify(p, list_text(to_rows(edited, n)))
                assert not verdict.correct and verdict.violations, (i, v)


def test_violations_name_the_broken_rule():
    p = hand_made()
    swapped = [row[:] for row in SOLUTION]
    swapped[0][1], swapped[0][2] = swapped[0][2], swapped[0][1]  # row stays a permutation; columns and signs break
    v = TASK.verify(p, list_text(swapped))
    assert "the sign (0,1) < (0,2) does not hold: 3 < 2 is false" in v.violations
    assert "column 1 repeats 3" in v.violations
    changed = [row[:] for row in SOLUTION]
    changed[0][0] = 5
    v = TASK.verify(p, list_text(changed))
    assert "cell (0,0) holds 5; only 1-4 allowed" in v.violations
    assert "given at (0,0) changed from 1 to 5" in v.violations


def test_wrong_shapes_are_rejected():
    p = hand_made()
    assert not TASK.verify(p, list_text(SOLUTION[:3])).correct
    assert not TASK.verify(p, list_text([*SOLUTION, [1, 2, 3, 4]])).correct
    assert not TASK.verify(p, "[[1, 2, 3, 4], [2, 3, 4, 1], [3, 4, 1, 2], [4, 1, 2, 3.5]]").correct


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["list", "json", "tuples", "lines", "runs", "labels", "floats", "commas",
                                   "latex", "answer_key"])
def test_notations_are_accepted(style):
    p = hand_made()
    text = {
        "list": list_text(SOLUTION),
        "json": json.dumps(SOLUTION),
        "tuples": str(tuple(tuple(r) for r in SOLUTION)),
        "lines": lines_text(SOLUTION),
        "runs": lines_text(SOLUTION, sep=""),
        "labels": "\n".join(f"Row {k}: " + " ".join(map(str, r)) for k, r in enumerate(SOLUTION)),
        "floats": str([[float(v) for v in r] for r in SOLUTION]),
        "commas": ", ".join(map(str, flat(SOLUTION))),
        "latex": r"$\left[" + list_text(SOLUTION) + r"\right]$",
        "answer_key": '"answer": ' + list_text(SOLUTION),
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    p = hand_made(signs=SIGNS[:2], givens=[[1, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])
    every = TASK.build_csp(p).solutions(1000)
    assert len(every) > 10
    for sol in every:
        assert TASK.verify(p, list_text(to_rows(list(sol), 4))).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,2],[3", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 16, "9" * 100000, "١٢٣", "1e309 " * 16, "nan " * 16, "\x00\x01", "[" * 500 + "]" * 500]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    p = hand_made()
    grid = json.loads(TASK.random_answer(p, np.random.default_rng(0)))
    assert len(grid) == 4 and all(len(r) == 4 and all(1 <= v <= 4 for v in r) for r in grid)
    assert grid[0][0] == 1 and grid[3][3] == 3


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "futoshiki"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"])
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert TASK.state_text(p, TASK.initial_state(p)) == record["initial_state"]


def test_record_round_trip(generated):
    for p in [*generated[::5], hand_made(), TASK.generate_seeded(5, 3)]:
        record = TASK.to_record(p)
        assert record["category"] == "futoshiki" and record["difficulty"] == p.level
        assert isinstance(record["answer"], str) and isinstance(record["initial_state"], str)
        assert "solution" not in record["initial_state"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.verify(p, record["answer"]).correct


def test_records_with_a_bad_answer_or_reversed_signs():
    p = hand_made()
    record = {**TASK.to_record(p), "answer": "[[1, 2]]"}
    assert TASK.from_record(record).data["solution"] == SOLUTION
    state = json.loads(record["initial_state"])
    state["inequalities"][0] = {"cell1": [0, 1], "cell2": [0, 0], "symbol": ">"}  # the same sign, written backwards
    loaded = TASK.from_record({**record, "initial_state": state})
    assert loaded.data["inequalities"][0] == {"cell1": [0, 0], "cell2": [0, 1], "symbol": "<"}
    for broken in ["not json", {"size": 4}, {"size": 4, "grid": [[0]], "inequalities": []}]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["place 0 1 2", "Place 0 1 2.", "0 1 2", "put 0,1,2", "place (0,1) 2", "r0c1=2", "set 0 1 2"]:
        assert TASK.apply(p, s0, move)[1] == 2, move
    s1 = TASK.apply(p, s0, "place 0 1 4")
    assert TASK.apply(p, s1, "erase 0 1") == s0 and TASK.apply(p, s1, "clear 0 1") == s0
    assert '"grid": [[1, 4, 0, 0]' in TASK.state_text(p, s1)


@pytest.mark.parametrize("move", ["place 0 0 2", "erase 0 0", "erase 0 1", "place 4 0 1", "place 0 4 1",
                                  "place 0 1 5", "place 0 1 0", "place 0 1", "place 0 1 1 1", "jump 0 1 1", "",
                                  "__import__('os')", "place -1 0 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 16 * 4 + 16 and space[0] == "place 0 0 1" and space[-1] == "erase 3 3"
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    state = TASK.apply(p, state, "place 0 1 1")
    assert "row 0 repeats 1" in TASK.conflicts(p, state)
    assert "the sign (0,0) < (0,1) does not hold: 1 < 1 is false" in TASK.conflicts(p, state)
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.step_budget(p) == 3 * 14 + 20


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (2, 3), (3, 3)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    assert TASK.cell_at(p, 2, 2, 512) is None
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 1), "2") == "place 0 1 2"
    assert TASK.cell_command(p, state, (0, 0), "2") is None
    assert TASK.cell_command(p, TASK.apply(p, state, "place 0 1 2"), (0, 1), "backspace") == "erase 0 1"


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer_and_searches_when_it_must():
    sparse = hand_made(signs=SIGNS[:2], givens=[[1, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])  # must guess
    saw_try = False
    for p in [hand_made(), sparse, *[TASK.generate(np.random.default_rng(s), 5) for s in range(4)]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        kinds = [e.kind for e in events]
        saw_try |= "try" in kinds
        for e in events:
            if e.kind == "deduce":
                assert e.move.startswith("place ") and "must be" in e.note
                assert ("row" in e.note or "column" in e.note or "sign" in e.note)
            if e.kind == "dead_end":
                assert "cannot hold" in e.note
    assert saw_try


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert "2-D list of integers" in text and "2-D list of integers" in image
    assert TASK.solve(p) not in text + image and "\\boxed" not in text + image
    first = p.data["inequalities"][0]
    assert f"cell ({first['cell1'][0]},{first['cell1'][1]}) {first['symbol']}" in text
    assert " _ " in text or text.count("_") > 0


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
