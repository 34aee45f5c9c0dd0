"""Binairo: ladder and uniqueness, rule-based verifier, step mode, records, trace, pictures."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import lines_text, list_text, to_rows
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.binairo import MARGIN, Binairo, line_table
from tests.conftest import assert_refused

TASK: Binairo = get_task("binairo")
N = 6

# a hand-made instance with a unique solution
SOLUTION = [[0, 0, 1, 1, 0, 1], [0, 0, 1, 0, 1, 1], [1, 1, 0, 1, 0, 0], [1, 0, 1, 1, 0, 0], [0, 1, 0, 0, 1, 1],
            [1, 1, 0, 0, 1, 0]]
GIVENS = [[0, 0, 1, None, 0, 1], [None, 0, 1, 0, 1, 1], [1, None, 0, 1, None, None], [None, 0, 1, 1, None, 0],
          [0, 1, None, 0, None, 1], [1, 1, 0, 0, None, 0]]
BLANK = [[None] * N for _ in range(N)]


def hand_made(givens=GIVENS, solution=SOLUTION) -> Puzzle:
    return TASK.puzzle(3, {"size": N, "givens": givens, "solution": solution})


def flat(grid) -> list:
    return [v for row in grid for v in row]


def is_valid(grid: list[list[int]], givens=GIVENS) -> bool:
    """An independent statement of the rules, for cross-checking the verifier."""
    cols = [[grid[r][c] for r in range(N)] for c in range(N)]
    lines = grid + cols
    ok_lines = all(sum(line) == N // 2 and all(v in (0, 1) for v in line)
                   and not any(line[k] == line[k + 1] == line[k + 2] for k in range(N - 2)) for line in lines)
    distinct = len({tuple(r) for r in grid}) == N and len({tuple(c) for c in cols}) == N
    kept = all(g is None or g == v for g, v in zip(flat(givens), flat(grid)))
    return ok_lines and distinct and kept


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).solutions(2) == [tuple(flat(SOLUTION))]
    assert TASK.solve(p) == lines_text(SOLUTION)
    assert TASK.verify(p, lines_text(SOLUTION)).correct


def test_line_table_holds_the_fourteen_legal_lines():
    legal = {b for b in itertools.product((0, 1), repeat=6)
             if sum(b) == 3 and not any(b[k] == b[k + 1] == b[k + 2] for k in range(4))}
    assert line_table(6).size == len(legal) == 14


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    givens_by_level: dict[int, list[int]] = {}
    for p in generated:
        assert p.data["size"] == N
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct
        sol = p.data["solution"]
        assert all(g is None or g == v for g, v in zip(flat(p.data["givens"]), flat(sol)))
        givens_by_level.setdefault(p.level, []).append(sum(v is not None for v in flat(p.data["givens"])))
    assert np.mean(givens_by_level[1]) > np.mean(givens_by_level[5])  # fewer givens up the ladder


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
def test_every_single_cell_edit_is_rejected():
    p = hand_made()
    for i in range(N * N):
        for v in (0, 1, 2, -1, 9):
            edited = flat(SOLUTION)
            if edited[i] == v:
                continue
            edited[i] = v
            verdict = TASK.verify(p, list_text(to_rows(edited, N)))
            assert not verdict.correct and verdict.violations, (i, v)


def test_every_two_cell_edit_agrees_with_the_rules():
    """On a puzzle without givens, any grid that is two flips away from a solution is judged as the rules say."""
    p = hand_made(givens=BLANK)
    base = flat(SOLUTION)
    for i, j in itertools.combinations(range(N * N), 2):
        edited = base[:]
        edited[i], edited[j] = 1 - edited[i], 1 - edited[j]
        grid = to_rows(edited, N)
        assert TASK.verify(p, lines_text(grid)).correct == is_valid(grid, BLANK), (i, j)


def test_violations_name_the_broken_rule():
    p = hand_made(givens=BLANK)
    twins = [list(r) for r in SOLUTION]
    twins[1], twins[4] = [0, 1, 0, 1, 1, 0], [0, 1, 0, 1, 1, 0]  # balanced rows, repeated
    v = TASK.verify(p, lines_text(twins))
    assert "rows 2 and 5 are identical" in v.violations
    triple = [list(r) for r in SOLUTION]
    triple[0] = [0, 0, 0, 1, 1, 1]
    v = TASK.verify(p, lines_text(triple))
    assert "row 1 has three 0s in a row (columns 1-3)" in v.violations
    heavy = [list(r) for r in SOLUTION]
    heavy[0][0] = 1
    v = TASK.verify(p, lines_text(heavy))
    assert "row 1 has 4 ones; it needs exactly 3" in v.violations
    assert "column 1 has 4 ones; it needs exactly 3" in v.violations
    changed = [list(r) for r in SOLUTION]
    changed[0][2] = 0
    v = TASK.verify(hand_made(), lines_text(changed))
    assert "given at (1,3) changed from 1 to 0" in v.violations
    junk = [list(r) for r in SOLUTION]
    junk[5][5] = 2
    assert "cell (6,6) holds 2; only 0, 1 allowed" in TASK.verify(p, lines_text(junk)).violations


def test_wrong_shapes_are_rejected():
    p = hand_made()
    assert not TASK.verify(p, lines_text(SOLUTION[:5])).correct
    assert not TASK.verify(p, lines_text([*SOLUTION, [0, 1, 0, 1, 0, 1]])).correct
    assert not TASK.verify(p, lines_text(SOLUTION) + " 2").correct  # a stray digit is not dropped


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["lines", "runs", "one_line", "list", "json", "labels", "commas", "latex",
                                   "floats", "pipes"])
def test_notations_are_accepted(style):
    p = hand_made()
    text = {
        "lines": lines_text(SOLUTION),
        "runs": lines_text(SOLUTION, sep=""),
        "one_line": "".join(str(v) for v in flat(SOLUTION)),
        "list": list_text(SOLUTION),
        "json": json.dumps(SOLUTION),
        "labels": "\n".join(f"Row {k + 1}: " + " ".join(map(str, r)) for k, r in enumerate(SOLUTION)),
        "commas": ", ".join(map(str, flat(SOLUTION))),
        "latex": r"\begin{matrix}" + r" \\ ".join(" & ".join(map(str, r)) for r in SOLUTION) + r"\end{matrix}",
        "floats": str([[float(v) for v in r] for r in SOLUTION]),
        "pipes": "\n".join("| " + " | ".join(map(str, r)) + " |" for r in SOLUTION),
    }[style]
    verdict = TASK.verify(p, text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    givens = [[0, None, None, None, None, None], *[[None] * N for _ in range(5)]]
    p = hand_made(givens=givens)
    every = TASK.build_csp(p).solutions(2000)
    assert len(every) > 100
    for sol in every[::7]:
        grid = to_rows(list(sol), N)
        assert is_valid(grid, givens)
        assert TASK.verify(p, lines_text(grid)).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[0,1],[1", "None", "{}", "\\boxed{", "1" * 10000,
             "-1 " * 36, "9" * 100000, "١٢٣", "1e309 " * 36, "nan " * 36, "\x00\x01", "[" * 500 + "]" * 500, "0 " * 35]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    p = hand_made()
    rows = [list(map(int, line.split())) for line in TASK.random_answer(p, np.random.default_rng(0)).splitlines()]
    assert len(rows) == N and all(len(r) == N and set(r) <= {0, 1} for r in rows)
    assert all(g is None or g == v for g, v in zip(flat(GIVENS), flat(rows)))


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "binairo"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"])
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert json.loads(TASK.state_text(p, TASK.initial_state(p))) == record["initial_state"]


def test_record_round_trip(generated):
    for p in [*generated[::5], hand_made(), TASK.generate_seeded(5, 3)]:
        record = TASK.to_record(p)
        assert record["category"] == "binairo" and record["difficulty"] == p.level
        assert isinstance(record["answer"], str) and record["initial_state"] == p.data["givens"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.verify(p, record["answer"]).correct


def test_records_with_a_bad_answer_or_a_bad_grid():
    record = TASK.to_record(hand_made())
    assert TASK.from_record({**record, "answer": "0 1"}).data["solution"] == SOLUTION
    assert TASK.from_record({**record, "initial_state": json.dumps(GIVENS)}).data["givens"] == GIVENS
    for broken in ["not json", [[0, 1], [1]], [[0, 2], [1, 0]], [[0] * 5] * 5, None]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    i = 3  # row 1, column 4 is empty
    for move in ["set 1 4 1", "Set 1 4 1.", "1 4 1", "put 1,4,1", "set (1,4) 1", "r1c4=1", "place 1 4 1"]:
        assert TASK.apply(p, s0, move)[i] == 1, move
    s1 = TASK.apply(p, s0, "set 1 4 0")
    assert s1[i] == 0
    assert TASK.apply(p, s1, "clear 1 4") == s0 and TASK.apply(p, s1, "erase 1 4") == s0
    assert TASK.state_text(p, s1).startswith("[[0, 0, 1, 0, 0, 1],\n [null, 0, 1, 0, 1, 1],")


@pytest.mark.parametrize("move", ["set 1 1 1", "clear 1 1", "clear 1 4", "set 7 1 0", "set 1 7 0", "set 0 4 1",
                                  "set 1 4 2", "set 1 4", "set 1 4 1 1", "jump 1 4 1", "", "__import__('os')",
                                  "set -1 4 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 36 * 2 + 36 and space[0] == "set 1 1 0" and space[-1] == "clear 6 6"
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    assert TASK.conflicts(p, state) == []
    state = TASK.apply(p, state, "set 1 4 1")
    assert TASK.conflicts(p, state) == []
    state = TASK.apply(p, state, "set 2 1 1")  # row 2: 1 0 1 0 1 1
    assert TASK.conflicts(p, state) == ["row 2 has 4 ones; it needs exactly 3"]
    state = TASK.apply(p, state, "set 4 5 1")  # row 4: _ 0 1 1 1 0
    assert "row 4 has three 1s in a row (columns 3-5)" in TASK.conflicts(p, state)
    assert TASK.step_budget(p) == 3 * len(TASK.solve_moves(p)) + 20


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(N, N, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (2, 3), (5, 5)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 3), "1") == "set 1 4 1"
    assert TASK.cell_command(p, state, (0, 3), "0") == "set 1 4 0"
    assert TASK.cell_command(p, state, (0, 0), "1") is None
    assert TASK.cell_command(p, TASK.apply(p, state, "set 1 4 1"), (0, 3), "backspace") == "clear 1 4"


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer_and_searches_when_it_must():
    sparse = hand_made(givens=[[0, None, None, None, None, None], *[[None] * N for _ in range(5)]])
    saw_try = False
    for p in [hand_made(), sparse, *[TASK.generate(np.random.default_rng(s), 5) for s in range(3)]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        saw_try |= any(e.kind == "try" for e in events)
        for e in events:
            if e.kind == "deduce":
                assert e.move.startswith("set ") and "must be" in e.note
            if e.kind == "dead_end":
                assert "cannot hold" in e.note or "breaks" in e.note
    assert saw_try


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text, image):
        assert "one row per line" in prompt and "exactly 3 zeros and 3 ones" in prompt
        assert TASK.solve(p) not in prompt and "\\boxed" not in prompt
    assert "null" in text and TASK.state_text(p, TASK.initial_state(p)) in text


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
