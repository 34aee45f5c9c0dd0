"""Calcudoku: ladder and uniqueness, exact division, rule-based verifier, step mode, records, trace, pictures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import lines_text, list_text, to_rows
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.calcudoku import SIZES, Calcudoku, cage_result
from tests.conftest import assert_refused

TASK: Calcudoku = get_task("Calcudoku")

# the spec's own 4x4 example (1-based cells)
SOLUTION = [[1, 2, 3, 4], [3, 4, 1, 2], [4, 3, 2, 1], [2, 1, 4, 3]]
REGIONS = [
    {"cells": [[1, 1], [1, 2]], "operator": "+", "target": 3},
    {"cells": [[1, 3], [2, 3]], "operator": "*", "target": 3},
    {"cells": [[1, 4], [2, 4]], "operator": "÷", "target": 2},
    {"cells": [[2, 1], [2, 2]], "operator": "-", "target": 1},
    {"cells": [[3, 1], [4, 1]], "operator": "+", "target": 6},
    {"cells": [[3, 2], [3, 3]], "operator": "*", "target": 6},
    {"cells": [[3, 4], [4, 4]], "operator": "-", "target": 2},
    {"cells": [[4, 2], [4, 3]], "operator": "+", "target": 5},
]


def record(regions=REGIONS, answer=SOLUTION, size=4, level=2) -> dict:
    return {"index": "hand", "category": "Calcudoku", "difficulty": level,
            "initial_state": {"size": size, "regions": regions}, "answer": answer}


def hand_made() -> Puzzle:
    return TASK.from_record(record())


def flat(grid) -> list[int]:
    return [v for row in grid for v in row]


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(3)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert p.data["solution"] == SOLUTION
    assert TASK.verify(p, list_text(SOLUTION)).correct
    assert TASK.verify(p, TASK.solve(p)).correct
    assert tuple(flat(SOLUTION)) in TASK.build_csp(p).solutions(50)


def test_cage_arithmetic():
    assert cage_result("+", [1, 2, 3]) == 6 and cage_result("*", [2, 3, 4]) == 24
    assert cage_result("-", [2, 5]) == 3 and cage_result("-", [5, 2]) == 3
    assert cage_result("÷", [2, 6]) == 3 and cage_result("÷", [6, 2]) == 3
    assert cage_result("÷", [5, 2]) is None  # the official judge's floor division would say 2
    assert cage_result("-", [1, 2, 3]) is None


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        n = p.data["size"]
        assert n == SIZES[p.level]
        sol = p.data["solution"]
        seen = sorted((r, c) for q in p.data["regions"] for r, c in q["cells"])
        assert seen == [(r, c) for r in range(1, n + 1) for c in range(1, n + 1)]
        for q in p.data["regions"]:
            values = [sol[r - 1][c - 1] for r, c in q["cells"]]
            assert 1 <= len(values) <= 4 and cage_result(q["operator"], values) == q["target"]
            if len(values) == 1:
                assert q["operator"] == "+"
            if q["operator"] in ("-", "÷"):
                assert len(values) == 2
            if q["operator"] == "*":
                assert q["target"] < 100
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 4) == TASK.generate(np.random.default_rng(3), 4)
    assert TASK.generate(np.random.default_rng(3), 4) != TASK.generate(np.random.default_rng(4), 4)
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
    for p in [hand_made(), generated[-1]]:
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


def test_division_must_be_exact():
    # a 5x5 Latin square whose cage (1,1)-(1,2) holds 5 and 2: floor division would accept "2÷"
    square = [[5, 2, 1, 3, 4], [1, 3, 4, 5, 2], [2, 4, 5, 1, 3], [3, 5, 2, 4, 1], [4, 1, 3, 2, 5]]
    regions = [{"cells": [[1, 1], [1, 2]], "operator": "÷", "target": 2}]
    regions += [{"cells": [[r, c]], "operator": "+", "target": square[r - 1][c - 1]}
                for r in range(1, 6) for c in range(1, 6) if (r, c) not in ((1, 1), (1, 2))]
    p = TASK.puzzle(3, {"size": 5, "regions": regions, "solution": square})
    with pytest.raises(RecordError):  # with exact division this puzzle has no solution at all
        TASK.from_record(record(regions, answer=square, size=5, level=3))
    verdict = TASK.verify(p, list_text(square))
    assert not verdict.correct
    assert verdict.violations == ["the cage 2÷ at (1,1),(1,2) does not hold: 5 ÷ 2 is not a whole number"]


def test_violations_name_the_broken_rule():
    p = hand_made()
    swapped = [row[:] for row in SOLUTION]
    swapped[0][0], swapped[0][1] = swapped[0][1], swapped[0][0]  # the + cage still holds; columns break
    v = TASK.verify(p, list_text(swapped))
    assert "column 1 repeats 2" in v.violations and "column 2 repeats 1" in v.violations
    changed = [row[:] for row in SOLUTION]
    changed[3][1], changed[3][2] = 4, 1  # 4 + 1 still 5; columns break
    assert TASK.verify(p, list_text(changed)).violations == ["column 2 repeats 4", "column 3 repeats 1"]
    wrong = [[2, 1, 4, 3], [1, 4, 3, 2], [4, 3, 2, 1], [3, 2, 1, 4]]
    v = TASK.verify(p, list_text(wrong))
    assert "the cage 3× at (1,3),(2,3) does not hold: 4 × 3 = 12" in v.violations
    assert "the cage 2÷ at (1,4),(2,4) does not hold: 3 ÷ 2 is not a whole number" in v.violations


def test_wrong_shapes_are_rejected():
    p = hand_made()
    assert not TASK.verify(p, list_text(SOLUTION[:3])).correct
    assert not TASK.verify(p, list_text([*SOLUTION, [1, 2, 3, 4]])).correct
    assert not TASK.verify(p, "[[1, 2, 3, 4], [3, 4, 1, 2], [4, 3, 2, 1], [2, 1, 4, 3.5]]").correct


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
        "labels": "\n".join(f"Row {k}: " + " ".join(map(str, r)) for k, r in enumerate(SOLUTION, 1)),
        "floats": str([[float(v) for v in r] for r in SOLUTION]),
        "latex": r"$\left[" + list_text(SOLUTION) + r"\right]$",
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_solution_of_a_non_unique_official_puzzle_is_accepted(samples):
    rows = [r for r in samples if r.get("category") == "Calcudoku" and r["initial_state"]["size"] <= 5]
    many = 0
    for row in rows:
        p = TASK.from_record(row)
        every = TASK.build_csp(p).solutions(200)
        many += len(every) > 1
        for sol in every:
            assert TASK.verify(p, list_text(to_rows(list(sol), p.data["size"]))).correct
    assert many  # the official generator does not make them unique


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,2],[3", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 16, "9" * 100000, "1e309 " * 16, "nan " * 16, "\x00\x01", "[" * 500 + "]" * 500]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    grid = json.loads(TASK.random_answer(hand_made(), np.random.default_rng(0)))
    assert len(grid) == 4 and all(len(r) == 4 and all(1 <= v <= 4 for v in r) for r in grid)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "Calcudoku"]
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["size"] == SIZES[p.level]
        assert TASK.verify(p, json.dumps(row["answer"])).correct, row["index"]
        assert p.data["solution"] == row["answer"]


def test_record_round_trip(generated):
    for p in [*generated[::4], hand_made(), TASK.generate_seeded(5, 3)]:
        rec = TASK.to_record(p)
        assert rec["category"] == "Calcudoku" and rec["difficulty"] == p.level
        assert isinstance(rec["answer"], list) and isinstance(rec["initial_state"], dict)
        assert set(rec["initial_state"]) == {"size", "regions"}
        assert TASK.from_record(json.loads(json.dumps(rec))) == p
        assert TASK.from_record({**rec, "initial_state": repr(rec["initial_state"])}) == p  # a Python-literal string


def test_records_with_other_spellings_or_broken_cages():
    spelled = [dict(q, operator={"*": "×", "÷": "/", "-": "−"}.get(q["operator"], q["operator"])) for q in REGIONS]
    assert TASK.from_record(record(spelled)) == hand_made()
    assert TASK.from_record(record(answer=[[1, 2]])).data["solution"] == SOLUTION  # a bad answer: the solver's
    for broken in [REGIONS[:-1], [*REGIONS, REGIONS[0]], [dict(REGIONS[0], operator="^")],
                   [dict(REGIONS[0], operator="-", cells=[[1, 1], [1, 2], [2, 1]]), *REGIONS[1:]]]:
        with pytest.raises(RecordError):
            TASK.from_record(record(broken))
    with pytest.raises(RecordError):
        TASK.from_record({**record(), "initial_state": "not a dict"})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["place 1 2 2", "Place 1 2 2.", "1 2 2", "put 1,2,2", "place (1,2) 2", "r1c2=2", "set 1 2 2"]:
        assert TASK.apply(p, s0, move)[1] == 2, move
    s1 = TASK.apply(p, s0, "place 1 2 4")
    assert TASK.apply(p, s1, "erase 1 2") == s0 and TASK.apply(p, s1, "clear 1 2") == s0
    assert json.loads(TASK.state_text(p, s1))["grid"][0] == [0, 4, 0, 0]


@pytest.mark.parametrize("move", ["erase 1 1", "place 5 1 1", "place 1 5 1", "place 0 1 1", "place 1 1 5",
                                  "place 1 1 0", "place 1 1", "place 1 1 1 1", "jump 1 1 1", "",
                                  "__import__('os')", "place -1 1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 16 * 4 + 16 and space[0] == "place 1 1 1" and space[-1] == "erase 4 4"
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    state = TASK.apply(p, TASK.apply(p, state, "place 1 1 2"), "place 1 2 2")
    conflicts = TASK.conflicts(p, state)
    assert "row 1 repeats 2" in conflicts
    assert "the cage 3+ at (1,1),(1,2) does not hold: 2 + 2 = 4" in conflicts
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.step_budget(p) == 3 * 16 + 20


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer():
    for p in [hand_made(), TASK.generate(np.random.default_rng(1), 5)]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        assert any(e.kind == "deduce" and "cage" in e.note for e in events)


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert "2-D list of integers" in text and "2-D list of integers" in image
    assert TASK.solve(p) not in text + image and "\\boxed" not in text + image
    q = p.data["regions"][0]
    symbol = {"+": "+", "*": "×", "-": "−", "÷": "÷"}[q["operator"]]
    assert f"Cage 1: {q['target']}{symbol} over cells " in text
    assert "exact" in text and "exact" in image


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
    assert TASK.cell_at(p, 2, 2, 512) is None
