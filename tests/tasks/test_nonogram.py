"""Nonogram: clue semantics, unique generation on the official ladder, rule verifier, step mode (cells and whole
rows), records, trace and pictures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.nonogram import Nonogram, clues_of, fits, placements, runs

TASK: Nonogram = get_task("nonogram")

# the spec's own 4x4 example
PICTURE = ["XX..", ".X.X", "XXX.", "...X"]
ROWS, COLS = [[2], [1, 1], [3], [1]], [[1, 1], [3], [1], [1, 1]]


def grid_of(lines: list[str]) -> list[list[int]]:
    return [[1 if ch == "X" else 0 for ch in line] for line in lines]


def hand_made(rows=ROWS, cols=COLS, picture=PICTURE, level=2) -> Puzzle:
    return TASK.puzzle(level, {"rows": rows, "cols": cols, "solution": grid_of(picture)})


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng([seed, level]), level) for level in range(1, 6) for seed in range(6)]


# ---- lines and clues -------------------------------------------------------------------------------------
def test_runs_and_placements():
    assert runs([1, 1, 0, 1, 0]) == [2, 1] and runs([0, 0]) == [] and runs([2, 1, 1]) == [2]
    assert placements(5, (2, 1)) == ((1, 1, 0, 1, 0), (1, 1, 0, 0, 1), (0, 1, 1, 0, 1))
    assert placements(3, ()) == ((0, 0, 0),) and placements(3, (3,)) == ((1, 1, 1),)
    for length in range(1, 8):  # every 0/1 line is the one placement of its own runs
        for k in range(1 << length):
            line = tuple(k >> j & 1 for j in range(length))
            assert line in placements(length, tuple(runs(line)))
    assert fits([2], [0, 2, 0, 0]) and not fits([2], [0, 2, 0, 2]) and not fits([], [0, 1, 0])


def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert clues_of(grid_of(PICTURE)) == (ROWS, COLS)
    assert TASK.build_csp(p).count_solutions(2) == 1
    assert TASK.solve(p) == "\n".join(PICTURE)
    assert TASK.verify(p, "XX..\n.X.X\nXXX.\n...X").correct


# ---- generation ------------------------------------------------------------------------------------------
def test_generated_puzzles_follow_the_ladder_and_are_unique(generated):
    for p in generated:
        n = p.level + 2
        sol = p.data["solution"]
        assert len(p.data["rows"]) == len(p.data["cols"]) == len(sol) == n
        assert clues_of(sol) == (p.data["rows"], p.data["cols"])
        flat = [v for row in sol for v in row]
        assert 0 < sum(flat) < n * n and sum(1 for row in sol if any(row)) >= n // 3  # the official fix-ups
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert TASK.verify(p, TASK.solve(p)).correct


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(7), 5) == TASK.generate(np.random.default_rng(7), 5)
    assert TASK.generate(np.random.default_rng(7), 5) != TASK.generate(np.random.default_rng(8), 5)
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
def test_every_single_cell_flip_is_rejected(generated):
    for p in [hand_made(), *generated[::3]]:
        sol = [v for row in p.data["solution"] for v in row]
        n = len(p.data["cols"])
        for i in range(len(sol)):
            edited = sol[:]
            edited[i] = 1 - edited[i]
            verdict = TASK.verify(p, TASK.write_answer(p, edited))
            assert not verdict.correct and verdict.violations, i
            r, c = divmod(i, n)
            assert any(v.startswith((f"row {r + 1} ", f"column {c + 1} ")) for v in verdict.violations)


def test_violations_name_the_line_and_its_clue():
    p = hand_made()
    v = TASK.verify(p, "XXX.\n.X.X\nXXX.\n...X")
    assert not v.correct
    assert "row 1 shows [3] but its clue is [2]" in v.violations
    assert "column 3 shows [1, 1] but its clue is [1]" in v.violations
    v = TASK.verify(p, "XX..\n....\nXXX.\n...X")
    assert "row 2 shows no filled cell but its clue is [1, 1]" in v.violations


def test_numbers_other_than_zero_and_one_are_rejected():
    p = hand_made()
    v = TASK.verify(p, "1 1 0 0\n0 1 0 1\n1 1 1 0\n0 0 0 2")
    assert not v.correct and "cell (4,4) holds 2" in v.violations[0]


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "XX..\n.X.X\nXXX.\n...X",
    "xx..\n.x.x\nxxx.\n...x",
    "X X . .\n. X . X\nX X X .\n. . . X",
    "XX..  \r\n.X.X\r\n\r\nXXX.\n...X  ",
    "1100\n0101\n1110\n0001",
    "[[1, 1, 0, 0], [0, 1, 0, 1], [1, 1, 1, 0], [0, 0, 0, 1]]",
    "##__\n_#_#\n###_\n___#",
    "Row 1: XX..\nRow 2: .X.X\nRow 3: XXX.\nRow 4: ...X",
    "XX.. .X.X XXX. ...X",
    "$\\text{XX..}$\n.X.X\nXXX.\n...X",
    "4x4\nXX..\n.X.X\nXXX.\n...X",
])
def test_notations_are_accepted(text):
    verdict = TASK.verify(hand_made(), text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == grid_of(PICTURE)


def test_every_solution_of_a_non_unique_puzzle_is_accepted():
    # two diagonal pictures share the clues [1], [1] in every line
    p = hand_made(rows=[[1], [1]], cols=[[1], [1]], picture=["X.", ".X"], level=1)
    every = TASK.build_csp(p).solutions(10)
    assert len(every) == 2
    for sol in every:
        assert TASK.verify(p, TASK.write_answer(p, [1 if v == 1 else 0 for v in sol])).correct
    assert TASK.verify(p, ".X\nX.").correct and TASK.verify(p, "X.\n.X").correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "XX..", "None", "{}", "\\boxed{", "X" * 10000,
             "-1 " * 16, "9" * 100000, "1e309 " * 16, "nan " * 16, "\x00\x01", "[" * 500 + "]" * 500, "2" * 16,
             "XX..\n.X.X\nXXX.\n...X\n....", "0.5 " * 16]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations, text[:30]


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "nonogram"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        n = len(p.data["rows"])
        assert n == p.level + 2 and p.data["rows"] == record["initial_state"][0]
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert TASK.solve(p) == record["answer"]  # the stored picture is the official one
        assert TASK.from_record(TASK.to_record(p)) == p


def test_other_pictures_of_an_official_row_are_accepted(samples):
    record = next(r for r in samples if r.get("category") == "nonogram" and str(r.get("difficulty")) == "5")
    p = TASK.from_record(record)
    every = TASK.build_csp(p).solutions(50)
    assert len(every) > 1  # the official row is not unique: its exact-match judge rejects all but one of these
    for sol in every:
        assert TASK.verify(p, TASK.write_answer(p, [1 if v == 1 else 0 for v in sol])).correct


def test_record_round_trip_in_the_official_types(generated):
    for p in [*generated[::4], hand_made()]:
        record = TASK.to_record(p)
        assert record["category"] == "nonogram" and record["difficulty"] == str(p.level)
        assert isinstance(record["answer"], str) and isinstance(record["initial_state"], list)
        assert record["initial_state"] == [p.data["rows"], p.data["cols"]]
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.from_record({**record, "initial_state": json.dumps(record["initial_state"])}) == p
        assert TASK.from_record({**record, "initial_state": str(record["initial_state"])}) == p


def test_records_without_a_valid_answer_are_solved_and_bad_ones_refused():
    record = TASK.to_record(hand_made())
    assert TASK.from_record({**record, "answer": "XXXX"}).data["solution"] == grid_of(PICTURE)
    for broken in ["not clues", [[[1]]], [[[5]], [[1]]], [[[0]], [[1]]], [[["a"]], [[1]]], None]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})
    with pytest.raises(RecordError):  # clues that no picture satisfies
        TASK.from_record({**record, "initial_state": [[[1], []], [[], []]], "answer": ""})


# ---- step mode -------------------------------------------------------------------------------------------
def test_cell_commands_and_state_text():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["fill 1 2", "1 2", "shade 1,2", "r1c2", "FILL (1,2)", "fill row 1 col 2"]:
        assert TASK.apply(p, s0, move)[1] == 1, move
    s1 = TASK.apply(p, TASK.apply(p, s0, "fill 1 2"), "cross 1 3")
    assert s1[:4] == (0, 1, 2, 0)
    assert TASK.apply(p, s1, "clear 1 3")[2] == 0 and TASK.apply(p, s1, "erase 1 2")[1] == 0
    lines = TASK.state_text(p, s1).splitlines()
    assert json.loads(lines[0]) == [ROWS, COLS] and lines[1:] == ["_X._", "____", "____", "____"]


def test_row_command_sets_a_whole_row():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["row 3 XXX.", "row 3 xxx.", "Row 3: X X X .", "row 3 = [1, 1, 1, 0]", "`row 3 XXX.`"]:
        assert TASK.apply(p, s0, move)[8:12] == (1, 1, 1, 2), move
    s = TASK.apply(p, s0, "row 3 XXX.")
    assert TASK.apply(p, s, "row 3 ____")[8:12] == (0, 0, 0, 0)
    assert TASK.apply(p, s, "row 3 X?X_")[8:12] == (1, 0, 1, 0)
    state = s0
    for r, line in enumerate(PICTURE):
        state = TASK.apply(p, state, f"row {r + 1} {line}")
    assert TASK.is_solved(p, state) and TASK.state_answer(p, state) == "\n".join(PICTURE)


@pytest.mark.parametrize("move", ["fill 0 1", "fill 1 5", "fill 1", "paint 1 2", "", "fill 1 2 3", "row 5 XXXX",
                                  "row 0 XXXX", "row 1 XXX", "row 1 XXXXX", "row 1 XXAX", "row 1", "clear 1 1",
                                  "row 1 ____", "1 1 1"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_made()
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == TASK.initial_state(p)
    filled = TASK.apply(p, state, "fill 1 1")
    with pytest.raises(InvalidMove):
        TASK.apply(p, filled, "fill 1 1")  # a no-op


def test_crossed_cells_count_as_empty_and_conflicts_are_local():
    p = hand_made()
    state = TASK.initial_state(p)
    for r, line in enumerate(PICTURE):
        state = TASK.apply(p, state, f"row {r + 1} {line}")  # dots become crosses
    assert 2 in state and TASK.is_solved(p, state)
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    bad = TASK.apply(p, TASK.initial_state(p), "row 1 .X.X")
    assert TASK.conflicts(p, bad) == ["row 1 can no longer match its clue [2]"]
    crossed = TASK.apply(p, TASK.initial_state(p), "row 1 X.__")
    assert "row 1 can no longer match its clue [2]" in TASK.conflicts(p, crossed)
    assert not TASK.is_solved(p, TASK.apply(p, TASK.initial_state(p), "fill 1 1"))


def test_move_space_covers_cells_and_row_patterns():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == len(set(space)) == 3 * 16 + 4 * 16
    assert "row 4 ...X" in space and "fill 1 1" in space and "cross 4 4" in space and "clear 2 3" in space
    state = TASK.initial_state(p)
    for move in space:  # every listed command parses (a no-op is the only refusal on the blank grid)
        try:
            TASK.apply(p, state, move)
        except InvalidMove as exc:
            assert "already" in str(exc), move


def test_click_and_keys():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas
    from helix_gym.tasks.puzzles.nonogram import _margins

    canvas = GridCanvas(4, 4, 512, margin=_margins(p.data))
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (3, 2)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    assert TASK.cell_at(p, 3, 3, 512) is None  # a clue, not a cell
    s0 = TASK.initial_state(p)
    assert TASK.cell_command(p, s0, (0, 1), "f") == "fill 1 2"
    assert TASK.cell_command(p, s0, (0, 1), "period") == "cross 1 2"
    assert TASK.cell_command(p, s0, (0, 1), "backspace") is None
    filled = TASK.apply(p, s0, "fill 1 2")
    assert TASK.cell_command(p, filled, (0, 1), "space") == "clear 1 2"
    assert TASK.cell_command(p, filled, (5, 1), "f") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_deduces_fills_and_crosses_and_ends_in_a_valid_answer(generated):
    for p in [hand_made(), *generated[-6:]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        for e in events:
            if e.kind == "deduce":
                assert e.move.split()[0] in ("fill", "cross") and "the clue" in e.note
    p = hand_made(rows=[[1], [1]], cols=[[1], [1]], picture=["X.", ".X"], level=1)  # no line logic: a guess
    events = TASK.solve_trace(p)
    assert any(e.kind == "try" for e in events) and TASK.verify(p, events[-1].move).correct


def test_prompts_state_the_format_and_hide_the_solution(generated):
    p = generated[-1]
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text, image):
        assert "X for a filled cell and . for an empty cell" in prompt and "\\boxed" not in prompt
    assert TASK.solve(p) not in text + image
    assert json.dumps([p.data["rows"], p.data["cols"]]) in text
    assert "row 1: " in text and "column 7: " in text


def test_render_is_deterministic_and_shows_entries(generated):
    p = generated[-1]
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    filled = TASK.render(p, state)
    crossed = TASK.render(p, TASK.apply(p, TASK.initial_state(p), "cross 1 1"))
    assert len({plain.tobytes(), filled.tobytes(), crossed.tobytes()}) == 3


def test_clue_margins_grow_with_the_longest_clue():
    wide = hand_made(rows=[[1, 1, 1, 1], [], [], [], [], [], []], cols=[[1], [], [1], [], [1], [], [1]],
                     picture=["X.X.X.X"] + ["......."] * 6, level=5)
    narrow = hand_made(rows=[[7]] + [[]] * 6, cols=[[1]] * 7, picture=["XXXXXXX"] + ["......."] * 6, level=5)
    assert TASK.render(wide).size != TASK.render(narrow).size
    assert math.isclose(TASK.render(narrow).size[0], 512, abs_tol=40)
