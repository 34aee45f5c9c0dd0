"""Sudoku: generator ladder and uniqueness, rule-based verifier, step mode, records, trace."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.sudoku import TARGET_GIVENS, Sudoku, solutions
from tests.conftest import assert_refused

TASK: Sudoku = get_task("sudoku")

# the shifted pattern grid (a valid solution) and a hand-made puzzle from it: 20 blanks, each forced
PATTERN = [(3 * (r % 3) + r // 3 + c) % 9 + 1 for r in range(9) for c in range(9)]
BLANKS = {0, 10, 20, 30, 40, 50, 60, 70, 80, 8, 16, 24, 32, 48, 56, 64, 72, 5, 37, 77}
GIVENS = [0 if i in BLANKS else v for i, v in enumerate(PATTERN)]


def rows(flat: list[int]) -> list[list[int]]:
    return [flat[r * 9:(r + 1) * 9] for r in range(9)]


def hand_made() -> Puzzle:
    return TASK.puzzle(1, {"givens": rows(GIVENS), "solution": rows(PATTERN)})


def flat_answer(values: list[int]) -> str:
    return " ".join(map(str, values))


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(3)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert solutions(GIVENS) == [PATTERN]
    assert TASK.solve(p) == flat_answer(PATTERN)
    assert TASK.verify(p, flat_answer(PATTERN)).correct


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        givens = [v for row in p.data["givens"] for v in row]
        count = 81 - givens.count(0)
        target = TARGET_GIVENS[p.level]
        assert target <= count <= target + 2, (p.level, count)
        found = solutions(givens, 2)
        assert len(found) == 1
        assert rows(found[0]) == p.data["solution"]
        assert TASK.verify(p, TASK.solve(p)).correct


def test_level_one_to_four_hit_the_target_exactly(generated):
    for p in generated:
        if p.level < 5:
            assert sum(v > 0 for row in p.data["givens"] for v in row) == TARGET_GIVENS[p.level]


def test_generation_uses_only_the_rng():
    a = TASK.generate(np.random.default_rng(11), 5)
    b = TASK.generate(np.random.default_rng(11), 5)
    assert a == b
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


def test_solution_count_stops_at_the_limit():
    assert len(solutions([0] * 81, 2)) == 2
    clash = PATTERN[:]
    clash[1] = clash[0]
    assert solutions(clash) == []


# ---- verifier: soundness ---------------------------------------------------------------------------------
def test_every_single_cell_edit_is_rejected():
    p = hand_made()
    for i in range(81):
        for v in range(0, 11):
            if v == PATTERN[i]:
                continue
            edited = PATTERN[:]
            edited[i] = v
            verdict = TASK.verify(p, flat_answer(edited))
            assert not verdict.correct and verdict.violations, (i, v)


def test_violations_name_the_broken_rule():
    p = hand_made()
    edited = PATTERN[:]
    edited[1 * 9 + 3] = PATTERN[1 * 9 + 4]  # a given at row 2, column 4 overwritten with its neighbour
    v = TASK.verify(p, flat_answer(edited))
    assert f"given at (2,4) changed from {PATTERN[12]} to {PATTERN[13]}" in v.violations
    assert f"row 2 repeats {PATTERN[13]}" in v.violations
    assert f"column 4 repeats {PATTERN[13]}" in v.violations
    assert any(s.startswith("box 2 (rows 1-3, columns 4-6) repeats") for s in v.violations)
    zero = PATTERN[:]
    zero[0] = 0
    assert "cell (1,1) holds 0; only digits 1-9 are allowed" in TASK.verify(p, flat_answer(zero)).violations


def test_swapping_two_blank_cells_in_a_row_is_rejected():
    p = hand_made()
    swapped = PATTERN[:]
    swapped[0], swapped[8] = swapped[8], swapped[0]  # both blanks in row 1: columns and boxes break
    v = TASK.verify(p, flat_answer(swapped))
    assert not v.correct
    assert any(s.startswith("column 1 repeats") for s in v.violations)


def test_wrong_lengths_are_rejected():
    p = hand_made()
    assert not TASK.verify(p, flat_answer(PATTERN[:80])).correct
    assert not TASK.verify(p, flat_answer([*PATTERN, 1])).correct
    with_dots = " ".join("." if g == 0 else str(v) for g, v in zip(GIVENS, PATTERN))
    assert not TASK.verify(p, with_dots).correct


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["lines", "runs", "commas", "json", "tuples", "labels", "latex", "floats",
                                   "inline_labels", "size_prefix"])
def test_notations_are_accepted(style):
    p = hand_made()
    grid = rows(PATTERN)
    text = {
        "lines": "\n".join(" ".join(map(str, r)) for r in grid),
        "runs": "\n".join("".join(map(str, r)) for r in grid),
        "commas": ", ".join(map(str, PATTERN)),
        "json": json.dumps(grid),
        "tuples": str(tuple(tuple(r) for r in grid)),
        "labels": "\n".join(f"Row {k + 1}: " + " ".join(map(str, r)) for k, r in enumerate(grid)),
        "latex": r"$\text{" + flat_answer(PATTERN) + "}$",
        "floats": " ".join(f"{v}.0" for v in PATTERN),
        "inline_labels": " ".join(f"row {k + 1}: " + ",".join(map(str, r)) + ";" for k, r in enumerate(grid)),
        "size_prefix": "9x9 grid:\n" + "\n".join(" ".join(map(str, r)) for r in grid),
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == grid


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    givens = PATTERN[:27] + [0] * 54  # only the top band: many completions
    first, second = solutions(givens, 2)
    assert first != second
    p = TASK.puzzle(1, {"givens": rows(givens), "solution": rows(first)})
    assert TASK.verify(p, flat_answer(first)).correct
    assert TASK.verify(p, flat_answer(second)).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,2],[3", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 81, "9" * 100000, "١٢٣", "1e309 " * 81, "nan " * 81, "\x00\x01", "[" * 500 + "]" * 500]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    p = hand_made()
    text = TASK.random_answer(p, np.random.default_rng(0))
    assert len(text.split()) == 81 and all(t in "123456789" for t in text.split())


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows_ = [r for r in samples if r.get("category") == "sudoku"]
    assert rows_
    for record in rows_:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"])
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert TASK.state_text(p, TASK.initial_state(p)) == record["initial_state"]
        assert len(solutions([v for row in p.data["givens"] for v in row])) == 1


def test_record_round_trip(generated):
    for p in [*generated[:3], hand_made(), TASK.generate_seeded(5, 3)]:
        record = TASK.to_record(p)
        assert record["category"] == "sudoku"
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.verify(p, record["answer"]).correct


def test_record_with_a_bad_answer_falls_back_to_the_solver():
    p = hand_made()
    record = {**TASK.to_record(p), "answer": "1 2 3"}
    assert TASK.from_record(record).data["solution"] == rows(PATTERN)


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    assert s0[0] == 0
    for move in ["place 1 1 1", "Place 1 1 1.", "1 1 1", "put 1,1,1", "place (1,1) 1", "place r1 c1 1", "r1c1=1"]:
        assert TASK.apply(p, s0, move)[0] == 1, move
    s1 = TASK.apply(p, s0, "place 1 1 7")
    assert TASK.apply(p, s1, "erase 1 1") == s0
    assert TASK.apply(p, s1, "clear 1, 1") == s0
    assert TASK.apply(p, s1, "place 1 1 1")[0] == 1  # overwriting an entry is allowed
    assert "7 " in TASK.state_text(p, s1).splitlines()[0]


@pytest.mark.parametrize("move", ["place 1 2 5", "erase 1 2", "erase 1 1", "place 0 1 1", "place 1 10 1",
                                  "place 1 1 0", "place 1 1", "erase 1", "place 1 1 1 1", "jump 1 1 1", "",
                                  "place a b c", "__import__('os')", "1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 810 and len(set(space)) == 810
    assert space[0] == "place 1 1 1" and space[-1] == "erase 9 9"
    assert TASK.moves(p, TASK.initial_state(p)) is None
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    state = TASK.apply(p, state, f"place 1 1 {PATTERN[1]}")  # the digit of its right-hand neighbour
    assert f"row 1 repeats {PATTERN[1]}" in TASK.conflicts(p, state)
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.step_budget(p) == 3 * len(BLANKS) + 20


def test_a_full_grid_with_a_clash_is_not_solved():
    p = hand_made()
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p):
        state = TASK.apply(p, state, move)
    wrong = TASK.apply(p, state, f"place 1 1 {PATTERN[1]}")
    assert 0 not in wrong and not TASK.is_solved(p, wrong)
    assert not TASK.verify(p, TASK.state_answer(p, wrong)).correct


def test_click_and_type():
    p = hand_made()
    image = TASK.render(p, size=512)
    from helix_gym.core.draw import GridCanvas
    from helix_gym.tasks.puzzles.sudoku import MARGIN

    canvas = GridCanvas(9, 9, 512, margin=MARGIN)
    assert canvas.image.size == image.size
    for r, c in [(0, 0), (4, 7), (8, 8)]:
        x, y = canvas.center(r, c)
        assert TASK.cell_at(p, x, y, 512) == (r, c)
    assert TASK.cell_at(p, 2, 2, 512) is None
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 0), "5") == "place 1 1 5"
    assert TASK.cell_command(p, state, (0, 0), "[5]") == "place 1 1 5"
    assert TASK.cell_command(p, state, (0, 1), "5") is None  # a given
    assert TASK.cell_command(p, state, (0, 0), "backspace") is None  # nothing to erase
    filled = TASK.apply(p, state, "place 1 1 5")
    assert TASK.cell_command(p, filled, (0, 0), "delete") == "erase 1 1"
    assert TASK.cell_command(p, filled, (0, 0), "a") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_is_a_real_search_ending_in_the_answer():
    hard = [TASK.generate(np.random.default_rng(seed), 5) for seed in range(6)]
    saw_guess = False
    for p in [hand_made(), *hard]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        kinds = [e.kind for e in events]
        saw_guess |= "try" in kinds
        for e in events:
            if e.kind == "dead_end":
                assert "no candidate" in e.note or "has no place" in e.note
            if e.kind in ("deduce", "try", "backtrack"):
                assert e.state_text is not None and len(e.state_text.splitlines()) == 9
    assert saw_guess


def test_prompts_state_the_format_and_hide_the_solution():
    p = hand_made()
    text = TASK.prompt(p, "text")
    image = TASK.prompt(p, "image")
    assert TASK.state_text(p, TASK.initial_state(p)) in text
    assert "81 digits" in text and "81 digits" in image
    assert TASK.solve(p) not in text + image
    assert "\\boxed" not in text + image


def test_render_shows_entries_in_another_colour():
    p = hand_made()
    plain = TASK.render(p)
    state = TASK.apply(p, TASK.initial_state(p), "place 1 1 1")
    assert TASK.render(p, state).tobytes() != plain.tobytes()
    assert TASK.render(p).tobytes() == plain.tobytes()
    assert max(plain.size) <= 512


@pytest.mark.slow
def test_soak_level_five_is_unique_and_near_the_target():
    for seed in range(200):
        p = TASK.generate(np.random.default_rng(seed), 5)
        givens = [v for row in p.data["givens"] for v in row]
        assert 81 - givens.count(0) <= TARGET_GIVENS[5] + 3
        assert len(solutions(givens, 2)) == 1
        assert TASK.verify(p, TASK.solve(p)).correct
