"""Skyscrapers: ladder and uniqueness, rule-based verifier, step mode, records (level in the index), trace."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import lines_text, list_text, to_rows
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.skyscrapers import MARGIN, Skyscrapers, line_table, visible

TASK: Skyscrapers = get_task("Skyscrapers")

SOLUTION = [[2, 1, 4, 3], [3, 4, 1, 2], [4, 3, 2, 1], [1, 2, 3, 4]]
CLUES = {"top": [3, 2, 1, 2], "bottom": [2, 3, 2, 1], "left": [2, 2, 1, 4], "right": [2, 2, 4, 1]}


def hand_made(clues=CLUES, givens=None) -> Puzzle:
    data = {"n": 4, **clues, "givens": givens or [[0] * 4 for _ in range(4)], "solution": SOLUTION}
    return TASK.puzzle(2, data)


def flat(grid) -> list[int]:
    return [v for row in grid for v in row]


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_visibility_and_line_tables():
    assert visible([1, 2, 3, 4]) == 4 and visible([4, 3, 2, 1]) == 1 and visible([2, 1, 4, 3]) == 2
    assert line_table(4, 4, 1).size == 1 and line_table(4, 0, 0).size == 24
    assert line_table(5, 2, 2).size == 22  # unsigned Stirling c(4, 2) = 11 records, times 2 ways to split them


def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).solutions(2) == [tuple(flat(SOLUTION))]
    assert TASK.solve(p) == list_text(SOLUTION)
    assert TASK.verify(p, list_text(SOLUTION)).correct


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        n = p.data["n"]
        assert n == p.level + 2
        sol = flat(p.data["solution"])
        rows = p.data["solution"]
        cols = [list(c) for c in zip(*rows)]
        assert p.data["left"] == [visible(r) for r in rows] and p.data["right"] == [visible(r[::-1]) for r in rows]
        assert p.data["top"] == [visible(c) for c in cols] and p.data["bottom"] == [visible(c[::-1]) for c in cols]
        assert all(v in (0, s) for v, s in zip(flat(p.data["givens"]), sol))
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct


def test_givens_are_few_and_each_one_is_needed(generated):
    for p in generated[-4:]:
        givens = [i for i, v in enumerate(flat(p.data["givens"])) if v]
        assert len(givens) <= 10
        for i in givens:  # without any single given, the solution is no longer unique
            data = json.loads(json.dumps(p.data))
            data["givens"][i // p.data["n"]][i % p.data["n"]] = 0
            assert TASK.build_csp(TASK.puzzle(p.level, data)).count_solutions(2) == 2


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)


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
        n = p.data["n"]
        for i in range(n * n):
            for v in range(0, n + 2):
                if v == sol[i]:
                    continue
                edited = sol[:]
                edited[i] = v
                verdict = TASK.verify(p, list_text(to_rows(edited, n)))
                assert not verdict.correct and verdict.violations, (i, v)


def test_a_latin_square_against_the_clues_is_rejected_with_the_clue_named():
    p = hand_made()
    other = [[1, 2, 3, 4], [2, 3, 4, 1], [3, 4, 1, 2], [4, 1, 2, 3]]  # Latin, but other views
    v = TASK.verify(p, list_text(other))
    assert not v.correct
    assert "looking from the left of row 1, 4 buildings are visible, but the clue says 2" in v.violations
    assert "looking from the bottom of column 1, 1 building is visible, but the clue says 2" in v.violations
    assert not any("repeats" in s for s in v.violations)


def test_givens_are_checked():
    p = hand_made(givens=[[2, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])
    assert TASK.verify(p, list_text(SOLUTION)).correct
    p2 = hand_made(givens=[[0, 0, 0, 0], [0] * 4, [0] * 4, [0, 0, 0, 1]])  # contradicts the clues' only square
    v = TASK.verify(p2, list_text(SOLUTION))
    assert "given at (4,4) changed from 1 to 4" in v.violations


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["list", "json", "tuples", "lines", "runs", "labels", "floats", "latex"])
def test_notations_are_accepted(style):
    p = hand_made()
    text = {
        "list": list_text(SOLUTION),
        "json": json.dumps(SOLUTION),
        "tuples": str(tuple(tuple(r) for r in SOLUTION)),
        "lines": lines_text(SOLUTION),
        "runs": lines_text(SOLUTION, sep=""),
        "labels": "\n".join(f"Row {k + 1}: " + ", ".join(map(str, r)) for k, r in enumerate(SOLUTION)),
        "floats": str([[float(v) for v in r] for r in SOLUTION]),
        "latex": r"$" + list_text(SOLUTION) + "$",
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    few = {"top": [3, 0, 0, 0], "bottom": [0, 0, 0, 0], "left": [0, 0, 0, 4], "right": [0, 0, 0, 0]}
    p = hand_made(clues=few)
    every = TASK.build_csp(p).solutions(1000)
    assert len(every) == 4
    for sol in every:
        assert TASK.verify(p, list_text(to_rows(list(sol), 4))).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,2],[3", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 16, "9" * 100000, "1e309 " * 16, "nan " * 16, "\x00\x01", "[" * 500 + "]" * 500]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "Skyscrapers"]
    assert rows
    for record in rows:
        assert "difficulty" not in record
        p = TASK.from_record(record)
        assert p.level == p.data["n"] - 2 == int(record["index"].split("difficulty")[1].split("_")[0])
        assert TASK.verify(p, json.dumps(record["answer"])).correct, record["index"]
        assert TASK.verify(p, str(record["answer"])).correct
        assert not any(flat(p.data["givens"]))


def test_record_round_trip_in_the_official_types(generated):
    for p in [*generated[::5], hand_made(), hand_made(givens=[[2, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])]:
        record = TASK.to_record(p)
        assert "difficulty" not in record and record["index"].startswith(f"Skyscrapers_difficulty{p.level}_")
        assert isinstance(record["answer"], list) and isinstance(record["initial_state"], dict)
        assert ("grid" in record["initial_state"]) == any(flat(p.data["givens"]))
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        as_text = {**record, "initial_state": json.dumps(record["initial_state"]), "answer": str(record["answer"])}
        assert TASK.from_record(as_text) == p
        python_literal = {**record, "initial_state": str(record["initial_state"])}
        assert TASK.from_record(python_literal) == p


def test_record_level_sources():
    record = TASK.to_record(hand_made())
    assert TASK.record_level(record) == 2
    assert TASK.record_level({**record, "index": "x", "level": 4}) == 4
    assert TASK.record_level({**record, "index": "x"}) == 2  # from n = 4
    assert TASK.from_record({**record, "answer": "[[1]]"}).data["solution"] == SOLUTION
    for broken in ["not a dict", {"n": 4}, {"n": 4, "top": [1], "bottom": [1], "left": [1], "right": [1]}]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_state_text():
    p = hand_made(givens=[[2, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])
    s0 = TASK.initial_state(p)
    for move in ["place 1 2 1", "1 2 1", "put 1,2,1", "r1c2=1", "place (1,2) 1"]:
        assert TASK.apply(p, s0, move)[1] == 1, move
    s1 = TASK.apply(p, s0, "place 1 2 1")
    assert TASK.apply(p, s1, "erase 1 2") == s0
    assert TASK.state_text(p, s1).splitlines() == ["  3 2 1 2", "2 2 1 . . 2", "2 . . . . 2", "1 . . . . 4",
                                                   "4 . . . . 1", "  2 3 2 1"]


@pytest.mark.parametrize("move", ["place 1 1 3", "erase 1 1", "erase 1 2", "place 0 1 1", "place 1 5 1",
                                  "place 1 2 5", "place 1 2", "build 1 2 3", "", "place 1 2 1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_made(givens=[[2, 0, 0, 0], [0] * 4, [0] * 4, [0] * 4])
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == TASK.initial_state(p)


def test_conflicts_and_move_space():
    p = hand_made()
    state = TASK.initial_state(p)
    for k, v in enumerate([1, 2, 3, 4]):
        state = TASK.apply(p, state, f"place 1 {k + 1} {v}")
    assert "looking from the left of row 1, 4 buildings are visible, but the clue says 2" in TASK.conflicts(p, state)
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    space = TASK.move_space(p)
    assert len(space) == 16 * 4 + 16 and space[0] == "place 1 1 1"


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (3, 2)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    assert TASK.cell_at(p, 5, 5, 512) is None  # a clue, not a cell
    assert TASK.cell_command(p, TASK.initial_state(p), (0, 0), "4") == "place 1 1 4"


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer_with_real_search():
    saw_try = False
    few = {"top": [3, 0, 0, 0], "bottom": [0, 0, 0, 0], "left": [0, 0, 0, 4], "right": [0, 0, 0, 0]}
    for p in [hand_made(), hand_made(clues=few), *[TASK.generate(np.random.default_rng(s), 5) for s in range(3)]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        saw_try |= any(e.kind == "try" for e in events)
        for e in events:
            if e.kind == "deduce":
                assert e.move.startswith("place ") and "must be" in e.note
            if e.kind in ("try", "deduce", "backtrack"):
                assert len(e.state_text.splitlines()) == p.data["n"] + 2
    assert saw_try


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 5)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert "2-D list of integers" in text and "2-D list of integers" in image
    assert TASK.state_text(p, TASK.initial_state(p)) in text
    assert TASK.solve(p) not in text + image and "\\boxed" not in text + image


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
