"""Aquarium: real multi-cell tanks and unique fillings, rule-based verifier ((x, y) answers), tank-level step
mode, official records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.aquarium import MARGIN, WATER, Aquarium, cells_text

TASK: Aquarium = get_task("Aquarium")

REGIONS = [[0, 0, 1, 1], [0, 2, 2, 1], [3, 2, 2, 1], [3, 3, 2, 1]]
WATER_CELLS = [(0, 1), (1, 2), (2, 2), (3, 2), (2, 3), (3, 3)]  # (x, y)
ANSWER = "[(0, 1), (1, 2), (2, 2), (3, 2), (2, 3), (3, 3)]"


def hand_made(regions=REGIONS, row_clues=(0, 1, 3, 2), col_clues=(1, 1, 2, 2), water=WATER_CELLS) -> Puzzle:
    n = len(regions)
    solution = [[0] * n for _ in range(n)]
    for x, y in water:
        solution[y][x] = 1
    return TASK.puzzle(1, {"regions": regions, "row_clues": list(row_clues), "col_clues": list(col_clues),
                           "solution": solution})


def water_of(puzzle: Puzzle) -> list[tuple[int, int]]:
    return [(x, y) for y, row in enumerate(puzzle.data["solution"]) for x, v in enumerate(row) if v]


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(5)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).count_solutions(2) == 1
    assert TASK.solve(p) == ANSWER
    assert TASK.verify(p, ANSWER).correct


def test_generated_puzzles_follow_the_ladder_have_real_tanks_and_are_unique(generated):
    for p in generated:
        n = p.level + 3
        regions = p.data["regions"]
        assert len(regions) == n and all(len(row) == n for row in regions)
        tanks = TASK.board(p).tanks
        assert all(len(t) >= 2 for t in tanks), "no single-cell tanks"
        assert len(tanks) <= n * n // 2
        assert TASK.build_csp(p).count_solutions(2) == 1
        grid = [v for row in p.data["solution"] for v in row]
        assert 0 < sum(grid) < n * n
        assert p.data["row_clues"] == [sum(row) for row in p.data["solution"]]
        assert p.data["col_clues"] == [sum(col) for col in zip(*p.data["solution"])]
        assert TASK.verify(p, TASK.solve(p)).correct


def test_tanks_are_connected(generated):
    from helix_gym.core.topology import is_connected

    for p in generated:
        n = len(p.data["regions"])
        for cells in TASK.board(p).tanks:
            assert is_connected(cells, n, n)


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


def test_solve_moves_play_to_a_solved_grid(generated):
    for p in generated:
        state = TASK.initial_state(p)
        moves = TASK.solve_moves(p)
        assert all(m.startswith("level ") for m in moves)
        for move in moves:
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        assert len(moves) * 3 <= TASK.step_budget(p)


# ---- verifier: soundness ---------------------------------------------------------------------------------
def test_every_single_cell_flip_is_rejected(generated):
    for p in [hand_made(), *generated[::4]]:
        water = set(water_of(p))
        n = len(p.data["regions"])
        for y in range(n):
            for x in range(n):
                edited = water ^ {(x, y)}
                verdict = TASK.verify(p, cells_text(sorted(edited)))
                assert not verdict.correct and verdict.violations, (x, y)


def test_level_rule_messages():
    p = hand_made()
    partly = [(0, 1), (1, 2), (3, 2), (2, 3), (3, 3), (2, 2)]  # same set: fine
    assert TASK.verify(p, cells_text(partly)).correct
    half_row = [(0, 1), (1, 2), (3, 2), (2, 3), (3, 3)]  # tank 2 has (1,2) but not (2,2)
    v = TASK.verify(p, cells_text(half_row))
    assert ("the tank containing (1, 1) is partly filled in row 2: (1, 2) holds water but (2, 2) does not"
            in v.violations)
    assert "row 2 has 2 water cells, but its clue is 3" in v.violations
    floating = hand_made(regions=[[0, 1], [0, 1]], row_clues=(1, 0), col_clues=(1, 0), water=[(0, 1)])
    v = TASK.verify(floating, "[(0, 0)]")
    assert not v.correct
    assert "in the tank containing (0, 0), water at (0, 0) lies above air at (0, 1); a tank fills from the bottom" \
        in v.violations
    assert TASK.verify(floating, "[(0, 1)]").correct is False  # counts: row 1 would have 1 water cell


def test_swapped_coordinates_are_read_as_x_y():
    p = hand_made()
    swapped = "[" + ", ".join(f"({y}, {x})" for x, y in WATER_CELLS) + "]"
    assert not TASK.verify(p, swapped).correct


@pytest.mark.parametrize("text, why", [
    ("[(0, 1), (1, 2), (2, 2), (3, 2), (2, 3), (3, 3), (3, 3)]", "listed twice"),
    ("[(0, 1), (4, 2)]", "outside the grid"),
    ("[(0, 1), (1)]", "do not pair up"),
    ("[(0.5, 1)]", "whole numbers"),
    ("no idea", "no cell coordinates"),
])
def test_malformed_answers_say_why(text, why):
    v = TASK.verify(hand_made(), text)
    assert not v.correct and any(why in s for s in v.violations), v.violations


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[(1, 2", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 16, "9" * 100000, "1e309 " * 16, "nan nan", "\x00\x01", "(" * 500 + ")" * 500, "[]"]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations, text


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["tuples", "lists", "json", "lines", "shuffled", "latex", "floats", "braces"])
def test_notations_are_accepted(style):
    p = hand_made()
    text = {
        "tuples": ANSWER,
        "lists": str([list(c) for c in WATER_CELLS]),
        "json": json.dumps(WATER_CELLS),
        "lines": "\n".join(f"{x} {y}" for x, y in WATER_CELLS),
        "shuffled": str(WATER_CELLS[::-1]),
        "latex": "$[" + ", ".join(f"\\left({x}, {y}\\right)" for x, y in WATER_CELLS) + "]$",
        "floats": str([(float(x), float(y)) for x, y in WATER_CELLS]),
        "braces": "{" + ", ".join(f"({x},{y})" for x, y in reversed(WATER_CELLS)) + "}",
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations


def test_every_filling_of_a_non_unique_puzzle_is_accepted():
    loose = hand_made(regions=[[0, 1, 2], [3, 4, 5], [6, 7, 8]], row_clues=(1, 1, 1), col_clues=(1, 1, 1),
                      water=[(0, 0), (1, 1), (2, 2)])
    every = TASK.build_csp(loose).solutions(100)
    assert len(every) == 6  # every permutation matrix
    for sol in every:
        assert TASK.verify(loose, TASK.write_answer(loose, sol)).correct


def test_an_empty_answer_is_read_as_no_water():
    p = hand_made(regions=[[0, 1], [0, 1]], row_clues=(0, 0), col_clues=(0, 0), water=[])
    for text in ("[]", "none", "{}"):
        assert TASK.verify(p, text).correct
    assert not TASK.verify(hand_made(), "[]").correct


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_every_solution_passes(samples):
    rows = [r for r in samples if r.get("category") == "aquarium"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        n = p.level + 3
        assert len(p.data["regions"]) == n
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        for sol in TASK.build_csp(p).solutions(50):  # the official instances are often not unique
            assert TASK.verify(p, TASK.write_answer(p, sol)).correct
        assert TASK.from_record(TASK.to_record(p)) == p


def test_record_round_trip_in_the_official_types(generated):
    for p in [*generated[::3], hand_made()]:
        record = TASK.to_record(p)
        assert record["index"].startswith(f"aquarium_{len(p.data['regions'])}_")
        assert isinstance(record["answer"], str) and isinstance(record["initial_state"], str)
        assert record["difficulty"] == str(p.level)
        state = json.loads(record["initial_state"])
        assert set(state) == {"regions", "row_clues", "col_clues", "grid_size"}
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.from_record({**record, "initial_state": state}) == p
        assert TASK.from_record({**record, "initial_state": str(state)}) == p
        assert TASK.from_record({**record, "answer": "[]"}).data["solution"] == p.data["solution"]


def test_broken_records_raise():
    record = TASK.to_record(hand_made())
    for broken in ["not a dict", {"regions": [[0]]}, {"regions": [[0, 1], [0, 1]], "row_clues": [1], "col_clues": [1]},
                   {"regions": [[0, 1], [0, 1]], "row_clues": [2, 2], "col_clues": [0, 0]}]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_state_text():
    p = hand_made()
    s0 = TASK.initial_state(p)
    i = 2 * 4 + 1  # (x, y) = (1, 2)
    for move in ["fill 1 2", "FILL (1, 2)", "water 1,2", "fill x=1 y=2"]:
        s = TASK.apply(p, s0, move)
        assert s[i] == WATER and sum(s) == 1, move
    s1 = TASK.apply(p, s0, "fill 1 2")
    assert TASK.apply(p, s1, "empty 1 2") == s0
    flooded = TASK.apply(p, s0, "level 1 2")  # the tank of (1, 2): rows 2 and 3 fill, row 1 stays air
    assert TASK.write_answer(p, flooded) == "[(1, 2), (2, 2), (2, 3)]"
    full = TASK.apply(p, flooded, "level 2 1")
    assert TASK.write_answer(p, full) == "[(1, 1), (2, 1), (1, 2), (2, 2), (2, 3)]"
    assert TASK.apply(p, full, "drain 2 3") == s0
    assert TASK.state_text(p, flooded).endswith("water: [(1, 2), (2, 2), (2, 3)]")
    assert json.loads(TASK.state_text(p, s0).split("\nwater")[0])["regions"] == REGIONS


@pytest.mark.parametrize("move", ["fill 4 0", "fill 0 4", "fill -1 0", "fill 1", "fill 1 2 3", "pour 1 2", "",
                                  "empty 0 0", "drain 0 0", "level 0 3", "fill a b"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_made()
    state = TASK.initial_state(p)
    if move == "level 0 3":
        state = TASK.apply(p, state, "level 0 3")  # the same flood again is a no-op
    before = state
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == before


def test_conflicts_and_move_space():
    p = hand_made()
    state = TASK.apply(p, TASK.initial_state(p), "fill 0 0")
    conflicts = TASK.conflicts(p, state)
    assert "row 0 has 1 water cell, but its clue is 0" in conflicts
    assert any("lies above air" in c for c in conflicts)
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    space = TASK.move_space(p)
    assert len(space) == 4 * 16 and space[0] == "fill 0 0" and "level 3 2" in space


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (3, 2)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    s0 = TASK.initial_state(p)
    assert TASK.cell_command(p, s0, (2, 1), "space") == "fill 1 2"
    assert TASK.cell_command(p, s0, (2, 1), "l") == "level 1 2"
    assert TASK.cell_command(p, s0, (2, 1), "0") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer(generated):
    for p in [hand_made(), *generated[::6]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        for e in events:
            if e.kind == "deduce" and e.move:
                assert e.move.startswith("fill ") and "must be water" in e.note


def test_prompts_state_the_format_and_hide_the_solution(generated):
    p = generated[-1]
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert "(x, y)" in text and "(x, y)" in image
    assert "Row 0: " in text and str(p.data["row_clues"]) in text
    assert TASK.solve(p) not in text + image and "\\boxed" not in text + image


def test_render_is_deterministic_and_shows_entries(generated):
    p = generated[-1]
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
