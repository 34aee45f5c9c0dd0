"""Kakuro: official layout rules and uniqueness, rule-based verifier, answer notations, step mode, records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.kakuro import Kakuro, runs, sum_table
from tests.conftest import assert_refused

TASK: Kakuro = get_task("kakuro")

B, W = {"type": "black"}, {"type": "white"}
# the spec's own standard-style 3x3 example
CELLS = [[B, {"type": "black", "down": 4}, {"type": "black", "down": 6}],
         [{"type": "black", "right": 3}, W, W],
         [{"type": "black", "right": 7}, W, W]]
ANSWER = "(1,1):1 (1,2):2 (2,1):3 (2,2):4"
# official style: the row-1 run starts at the left edge, so it has no clue and may repeat a digit
EDGE = [[{"type": "black", "down": 1}, {"type": "black", "down": 1}, B], [W, W, B], [B, B, B]]


def record(cells=CELLS, answer=ANSWER, level=1) -> dict:
    return {"index": "hand", "category": "kakuro", "difficulty": level, "initial_state": cells, "answer": answer}


def hand_made() -> Puzzle:
    return TASK.from_record(record())


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).count_solutions(2) == 1
    assert TASK.solve(p) == ANSWER
    assert TASK.verify(p, ANSWER).correct


def test_sum_tables():
    assert sum_table(2, 3).size == 2  # 1 + 2 and 2 + 1
    assert sum_table(1, 7).size == 1 and sum_table(2, 17).size == 2 and sum_table(3, 6).size == 6
    assert sum_table(2, 2).size == 0  # 1 + 1 repeats a digit


def test_generated_puzzles_follow_the_official_layout_and_are_unique(generated):
    for p in generated:
        n = p.data["size"]
        cells = p.data["cells"]
        sol = p.data["solution"]
        assert n == p.level + 2 and cells[0][0]["type"] == "black"
        for r in range(n):
            for c in range(n):
                if cells[r][c]["type"] == "white":  # a white cell has a black cell above it or to its left
                    above = r > 0 and cells[r - 1][c]["type"] == "black"
                    assert above or (c > 0 and cells[r][c - 1]["type"] == "black")
                    assert 1 <= sol[r][c] <= 9
                else:
                    assert sol[r][c] == 0
        covered = set()
        for _, _, total, run in runs(cells):
            digits = [sol[i // n][i % n] for i in run]
            assert run and sum(digits) == total and len(set(digits)) == len(digits)
            covered |= set(run)
        assert covered == {r * n + c for r in range(n) for c in range(n) if cells[r][c]["type"] == "white"}
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    assert TASK.generate(np.random.default_rng(3), 5) != TASK.generate(np.random.default_rng(4), 5)
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
def _items(p: Puzzle, grid: dict[tuple[int, int], object]) -> str:
    return " ".join(f"({r},{c}):{v}" for (r, c), v in sorted(grid.items()))


def test_every_single_cell_edit_is_rejected(generated):
    for p in [hand_made(), *generated[-4:]]:
        n = p.data["size"]
        sol = {(r, c): p.data["solution"][r][c] for r in range(n) for c in range(n)
               if p.data["cells"][r][c]["type"] == "white"}
        for cell, right in sol.items():
            for v in [*range(0, 11), 2.5]:
                if v != right:
                    verdict = TASK.verify(p, _items(p, {**sol, cell: v}))
                    assert not verdict.correct and verdict.violations, (cell, v)
            missing = {k: x for k, x in sol.items() if k != cell}
            assert TASK.verify(p, _items(p, missing)).violations == [f"white cell ({cell[0]},{cell[1]}) has no digit"]


def test_violations_name_the_broken_rule():
    p = hand_made()
    v = TASK.verify(p, "(1,1):2 (1,2):1 (2,1):3 (2,2):4")
    assert "the down clue 4 at (0,1): its run adds up to 5 (2 + 3)" in v.violations
    assert "the down clue 6 at (0,2): its run adds up to 5 (1 + 4)" in v.violations
    v = TASK.verify(p, "(1,1):1 (1,2):2 (2,1):3 (2,2):4 (0,0):5")
    assert v.violations == ["cell (0,0) is black and takes no digit (got 5)"]
    v = TASK.verify(p, "(1,1):2 (1,2):1 (2,1):2 (2,2):5")
    assert "the down clue 4 at (0,1): its run repeats 2" in v.violations
    for text, why in [("(1,1):1 (1,1):2 (1,2):2 (2,1):3 (2,2):4", "two values"),
                      ("(1,1):1 (1,2):2 (2,1):3 (2,2):4 (3,0):1", "outside")]:
        v = TASK.verify(p, text)
        assert not v.correct and why in v.violations[0]


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    ANSWER,
    "(1, 1): 1, (1, 2): 2, (2, 1): 3, (2, 2): 4",
    "(1,1)=1\n(1,2)=2\n(2,1)=3\n(2,2)=4",
    "[1,1] -> 1; [1,2] -> 2; [2,1] -> 3; [2,2] -> 4",
    "{(1, 1): 1, (1, 2): 2, (2, 1): 3, (2, 2): 4}",
    "(2,2):4 (1,1):1 (2,1):3 (1,2):2 (1,1):1",  # any order; a repeated identical item is harmless
    "(1,1):1.0 (1,2):2 (2,1):3 (2,2):4",
    r"$(1,1)\!:\!1\ (1,2):2\ (2,1):3\ (2,2):4$",
    "# # #\n# 1 2\n# 3 4",  # a full grid, black cells as #
    "[[0, 0, 0], [0, 1, 2], [0, 3, 4]]",
])
def test_notations_are_accepted(text):
    verdict = TASK.verify(hand_made(), text)
    assert verdict.correct, verdict.violations


def test_unclued_edge_runs_may_repeat_digits():
    p = TASK.from_record(record(EDGE, "(1,0):1 (1,1):1"))
    assert TASK.verify(p, "(1,0):1 (1,1):1").correct
    assert TASK.build_csp(p).count_solutions(2) == 1


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "(1,1):", "None", "{}", "\\boxed{", "1" * 10000,
             "(99999999999999999999,1):1", "(1,1):1e309", "(1,1):nan", "\x00\x01", "(" * 500 + ")" * 500,
             "(1,1):-3 (1,2):2 (2,1):3 (2,2):4", "9" * 100000]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations, text
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    text = TASK.random_answer(hand_made(), np.random.default_rng(0))
    assert [item.split(":")[0] for item in text.split()] == ["(1,1)", "(1,2)", "(2,1)", "(2,2)"]


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "kakuro"]
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["size"] == p.level + 2
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]  # unique, and written exactly as the official answer
        assert TASK.build_csp(p).count_solutions(2) == 1


def test_record_round_trip(generated):
    for p in [*generated[::5], hand_made(), TASK.generate_seeded(5, 3)]:
        rec = TASK.to_record(p)
        assert rec["category"] == "kakuro" and rec["difficulty"] == p.level
        assert isinstance(rec["answer"], str) and isinstance(rec["initial_state"], list)
        assert TASK.from_record(json.loads(json.dumps(rec))) == p
        assert TASK.from_record({**rec, "initial_state": json.dumps(rec["initial_state"])}) == p


def test_broken_records_raise():
    for cells in ["nonsense", [[B, W], [W]], [[{"type": "grey"}, W], [W, W]],
                  [[{"type": "black", "right": 3}, B], [W, W]],  # a clue with no cells after it
                  [[{"type": "black", "right": 30}, W], [B, B]]]:  # no digit makes 30
        with pytest.raises(RecordError):
            TASK.from_record(record(cells, answer="x"))


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["place 1 2 2", "Place 1 2 2.", "1 2 2", "put 1,2,2", "place (1,2) 2", "r1c2=2", "set 1 2 2"]:
        assert TASK.apply(p, s0, move)[5] == 2, move
    s1 = TASK.apply(p, s0, "place 1 2 9")
    assert TASK.apply(p, s1, "erase 1 2") == s0
    shown = json.loads(TASK.state_text(p, s1))
    assert shown[1][2] == {"type": "white", "value": 9} and shown[1][1] == {"type": "white"}


@pytest.mark.parametrize("move", ["place 0 0 1", "erase 0 1", "erase 1 1", "place 3 0 1", "place 1 1 10",
                                  "place 1 1 0", "place 1 1", "jump 1 1 1", "", "__import__('os')", "place -1 1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_black_cells_are_named_as_such():
    p = hand_made()
    with pytest.raises(InvalidMove, match="black"):
        TASK.apply(p, TASK.initial_state(p), "place 0 0 1")


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 9 * 9 + 9 and space[0] == "place 0 0 1" and space[-1] == "erase 2 2"
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    state = TASK.apply(p, TASK.apply(p, state, "place 1 1 3"), "place 2 1 3")
    conflicts = TASK.conflicts(p, state)
    assert "the down clue 4 at (0,1): its run repeats 3" in conflicts
    assert "the right clue 3 at (1,0): its run already adds up to 3 with cells still empty" in conflicts
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.step_budget(p) == 3 * 4 + 20


def test_click_and_type():
    p = hand_made()
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (1, 1), "5") == "place 1 1 5"
    assert TASK.cell_command(p, state, (0, 0), "5") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer():
    for p in [hand_made(), TASK.generate(np.random.default_rng(1), 5)]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        assert any(e.kind == "deduce" and "clue" in e.note for e in events)


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert "(row,column):digit" in text and "(row,column):digit" in image
    assert TASK.solve(p) not in text + image and "\\boxed" not in text + image
    at, way, total, _ = runs(p.data["cells"])[0]
    n = p.data["size"]
    assert f"Black cell ({at // n},{at % n}): {way} clue {total}" in text
    assert "upper-right" in image and "no clue" in text


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
