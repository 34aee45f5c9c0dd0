"""Kukurasu: ladder and uniqueness, rule-based verifier, step mode (with dots), records, trace, pictures."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from helix_gym.core.errors import RecordError
from helix_gym.core.grid import lines_text, list_text, to_rows
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.kukurasu import MARGIN, Kukurasu, _draw_grid, line_table
from tests.conftest import assert_refused

TASK: Kukurasu = get_task("Kukurasu")

# a hand-made 3x3 with a unique solution
SOLUTION = [[1, 0, 1], [0, 1, 0], [1, 1, 0]]
ROWS, COLS = [4, 2, 3], [4, 5, 1]


def hand_made(rows=ROWS, cols=COLS, solution=SOLUTION) -> Puzzle:
    return TASK.puzzle(1, {"size": len(rows), "row_sums": rows, "col_sums": cols, "solution": solution})


def flat(grid) -> list[int]:
    return [v for row in grid for v in row]


def is_valid(grid: list[list[int]], rows: list[int], cols: list[int]) -> bool:
    """An independent statement of the rules, for cross-checking the verifier."""
    n = len(rows)
    return (all(sum(c + 1 for c in range(n) if grid[r][c]) == rows[r] for r in range(n))
            and all(sum(r + 1 for r in range(n) if grid[r][c]) == cols[c] for c in range(n)))


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).solutions(2) == [tuple(flat(SOLUTION))]
    assert TASK.solve(p) == "[[1, 0, 1], [0, 1, 0], [1, 1, 0]]"
    assert TASK.verify(p, TASK.solve(p)).correct


def test_line_tables_list_the_subsets_with_the_sum():
    assert line_table(3, 3).size == 2  # {3} and {1, 2}
    assert line_table(4, 10).size == 1 and line_table(4, 0).size == 1 and line_table(4, 11).size == 0
    assert sum(line_table(7, k).size for k in range(29)) == 2**7


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        d = p.data
        n = d["size"]
        assert n == p.level + 2
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert min(d["row_sums"]) >= 1 and min(d["col_sums"]) >= 1  # every line has a black cell
        assert is_valid(d["solution"], d["row_sums"], d["col_sums"])
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


# ---- verifier: soundness and completeness ----------------------------------------------------------------
def test_every_3x3_grid_is_judged_as_the_rules_say():
    p = hand_made()
    accepted = 0
    for bits in itertools.product((0, 1), repeat=9):
        grid = to_rows(list(bits), 3)
        verdict = TASK.verify(p, list_text(grid))
        assert verdict.correct == is_valid(grid, ROWS, COLS), bits
        assert verdict.correct or verdict.violations
        accepted += verdict.correct
    assert accepted == 1


def test_every_one_or_two_cell_edit_is_rejected(generated):
    p = generated[-1]  # 7x7, unique
    sol = flat(p.data["solution"])
    n = p.data["size"]
    for i, j in itertools.combinations_with_replacement(range(n * n), 2):
        edited = sol[:]
        edited[i] = 1 - edited[i]
        if j != i:
            edited[j] = 1 - edited[j]
        assert not TASK.verify(p, list_text(to_rows(edited, n))).correct, (i, j)


def test_violations_name_the_broken_rule():
    p = hand_made()
    v = TASK.verify(p, "[[1, 1, 0], [0, 1, 0], [1, 1, 0]]")
    assert "row 1 has black cells in columns 1, 2 (sum 3), but its clue is 4" in v.violations
    assert "column 3 has no black cells (sum 0), but its clue is 1" in v.violations
    assert "column 2 has black cells in rows 1, 2, 3 (sum 6), but its clue is 5" in v.violations
    assert "cell (1,1) holds 2; only 0, 1 allowed" in TASK.verify(p, "[[2, 0, 1], [0, 1, 0], [1, 1, 0]]").violations


@pytest.mark.parametrize("style", ["list", "json", "tuples", "lines", "runs", "symbols", "labels", "latex",
                                   "floats"])
def test_notations_are_accepted(style):
    p = hand_made()
    text = {
        "list": list_text(SOLUTION),
        "json": json.dumps(SOLUTION),
        "tuples": str(tuple(tuple(r) for r in SOLUTION)),
        "lines": lines_text(SOLUTION),
        "runs": lines_text(SOLUTION, sep=""),
        "symbols": lines_text(SOLUTION, sep="", symbols={0: ".", 1: "#"}),
        "labels": "\n".join(f"Row {k + 1}: " + " ".join(map(str, r)) for k, r in enumerate(SOLUTION)),
        "latex": r"$\left[" + list_text(SOLUTION) + r"\right]$",
        "floats": str([[float(v) for v in r] for r in SOLUTION]),
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    rng = np.random.default_rng(0)
    while True:  # official-style clues without the uniqueness redraw are often ambiguous at 5x5
        grid = to_rows(_draw_grid(5, rng), 5)
        rows = [sum(c + 1 for c in range(5) if grid[r][c]) for r in range(5)]
        cols = [sum(r + 1 for r in range(5) if grid[r][c]) for c in range(5)]
        p = hand_made(rows, cols, grid)
        every = TASK.build_csp(p).solutions(100)
        if len(every) > 1:
            break
    for sol in every:
        assert TASK.verify(p, list_text(to_rows(list(sol), 5))).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,0],[0", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 9, "9" * 100000, "١٢٣", "1e309 " * 9, "nan " * 9, "\x00\x01", "[" * 500 + "]" * 500]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    grid = json.loads(TASK.random_answer(hand_made(), np.random.default_rng(0)))
    assert len(grid) == 3 and all(len(r) == 3 and set(r) <= {0, 1} for r in grid)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "Kukurasu"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"]) and p.data["size"] == p.level + 2
        answer = record["answer"] if isinstance(record["answer"], str) else json.dumps(record["answer"])
        assert TASK.verify(p, answer).correct, record["index"]
        shown = TASK.prompt(p, "text") + TASK.prompt(p, "image") + TASK.state_text(p, TASK.initial_state(p))
        assert "solution" not in shown and TASK.solve(p) not in shown


def test_record_round_trip(generated):
    for p in [*generated[::5], hand_made(), TASK.generate_seeded(5, 3)]:
        record = TASK.to_record(p)
        assert record["category"] == "Kukurasu" and record["difficulty"] == p.level
        assert record["answer"] == p.data["solution"] and record["initial_state"]["solution"] == p.data["solution"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert "solution" not in record["question"] + record["question_language"]


def test_records_with_a_bad_solution_or_bad_clues():
    record = TASK.to_record(hand_made())
    state = {**record["initial_state"], "solution": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]}
    assert TASK.from_record({**record, "initial_state": state}).data["solution"] == SOLUTION  # the answer wins
    assert TASK.from_record({**record, "initial_state": state, "answer": None}).data["solution"] == SOLUTION  # solver
    assert TASK.from_record({**record, "initial_state": json.dumps(state)}).data["solution"] == SOLUTION
    for broken in ["not json", {"row_sums": [1, 2]}, {"row_sums": [1, 2], "col_sums": [1], "size": 2},
                   {"row_sums": [1, 99], "col_sums": [1, 2], "size": 2}, {"row_sums": [3, 3], "col_sums": [3, 0]}]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken, "answer": None})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["fill 1 2", "Fill 1 2.", "black 1,2", "fill (1,2)", "shade r1c2", "fill row 1 column 2"]:
        assert TASK.apply(p, s0, move)[1] == 1, move
    s1 = TASK.apply(p, s0, "fill 1 2")
    assert TASK.apply(p, s1, "clear 1 2") == s0 and TASK.apply(p, s1, "erase 1 2") == s0
    s2 = TASK.apply(p, s1, "dot 1 3")
    assert s2[2] == 2 and TASK.apply(p, s2, "clear 1 3") == s1 and TASK.apply(p, s2, "fill 1 3")[2] == 1
    assert '"grid": [[0, 1, 2],' in TASK.state_text(p, s2)
    assert TASK.state_answer(p, s2) == "[[0, 1, 0], [0, 0, 0], [0, 0, 0]]"


@pytest.mark.parametrize("move", ["clear 1 1", "fill 4 1", "fill 1 4", "fill 0 1", "fill 1 1 1", "fill 1",
                                  "set 1 1", "1 1", "jump 1 1", "", "__import__('os')", "fill -1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_made()
    assert_refused(TASK, p, move)
    assert_refused(TASK, p, "fill 2 2", TASK.apply(p, TASK.initial_state(p), "fill 2 2"))  # already black


def test_dots_count_as_white_and_conflicts_see_them():
    p = hand_made()
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p):
        state = TASK.apply(p, state, move)
    state = TASK.apply(p, state, "dot 1 2")
    assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    busy = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "fill 2 1"), "fill 2 2")
    assert "the black cells of row 2 already add up to 3, more than its clue 2" in TASK.conflicts(p, busy)
    dotted = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "dot 1 1"), "dot 1 3")
    assert "row 1 can reach at most 2 with the cells not dotted, less than its clue 4" in TASK.conflicts(p, dotted)


def test_move_space_and_budget():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 27 and space[0] == "fill 1 1" and space[9] == "clear 1 1" and space[-1] == "dot 3 3"
    assert TASK.step_budget(p) == 3 * 5 + 20


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(3, 3, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (1, 2), (2, 2)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 1), "space") == "fill 1 2"
    assert TASK.cell_command(p, state, (0, 1), ".") == "dot 1 2"
    assert TASK.cell_command(p, state, (0, 1), "backspace") is None
    filled = TASK.apply(p, state, "fill 1 2")
    assert TASK.cell_command(p, filled, (0, 1), "space") == "clear 1 2"
    assert TASK.cell_command(p, filled, (0, 1), "delete") == "clear 1 2"
    assert TASK.cell_command(p, state, (5, 5), "space") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer():
    for p in [hand_made(), *[TASK.generate(np.random.default_rng(s), 5) for s in range(3)]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        deduced = [e for e in events if e.kind == "deduce"]
        assert deduced and all("must be" in e.note and "add up to" in e.note for e in deduced)
        assert all(e.move is None or e.move.startswith("fill ") for e in deduced)


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text, image):
        assert "2-D list" in prompt and TASK.solve(p) not in prompt and "solution" not in prompt
    assert json.dumps(p.data["row_sums"]) in text and json.dumps(p.data["col_sums"]) in text


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    filled = TASK.render(p, state)
    assert filled.tobytes() != plain.tobytes()
    dotted = TASK.apply(p, state, "dot 7 7" if state[-1] == 0 else "dot 1 1")
    assert TASK.render(p, dotted).tobytes() != filled.tobytes()
