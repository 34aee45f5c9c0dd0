"""Numbrix: random Hamiltonian paths, unique generation on the official ladder, rule verifier (full grids and
official short paths), step mode, records, trace and pictures."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.numbrix import GAP, Numbrix, random_path

TASK: Numbrix = get_task("numbrix")

# the spec's own 4x4 example
SOLUTION = [[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]]
GIVENS = [[1, 0, 0, 4], [0, 7, 0, 0], [9, 0, 0, 12], [16, 0, 14, 0]]
ANSWER = "|1|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14|13|"


def hand_made(givens=GIVENS, solution=SOLUTION, level=1) -> Puzzle:
    return TASK.puzzle(level, {"n": len(givens), "givens": givens, "solution": solution})


def flat(grid) -> list[int]:
    return [v for row in grid for v in row]


def bars(grid) -> str:
    return "\n".join("|" + "|".join(str(v) if v else " " for v in row) + "|" for row in grid)


def is_path(cells: list[int], n: int) -> bool:
    return sorted(cells) == list(range(n * n)) and all(
        abs(a // n - b // n) + abs(a % n - b % n) == 1 for a, b in itertools.pairwise(cells))


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng([seed, level]), level) for level in range(1, 6) for seed in range(4)]


@pytest.fixture(scope="module")
def short_row(samples) -> dict:
    """The official 7x7 row whose path stops at 48 and leaves a cell empty."""
    return next(r for r in samples if r.get("category") == "numbrix" and str(r.get("difficulty")) == "4")


# ---- paths and the solver ------------------------------------------------------------------------------
def test_random_paths_are_hamiltonian_and_varied():
    for n in range(2, 10):
        paths = {tuple(random_path(np.random.default_rng(seed), n)) for seed in range(6)}
        assert all(is_path(list(p), n) for p in paths)
        if n >= 4:
            assert len(paths) >= 5


def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert TASK.build_csp(p).solutions(2) == [tuple(flat(SOLUTION))]
    assert TASK.solve(p) == ANSWER
    assert TASK.verify(p, ANSWER).correct and TASK.verify(p, "\n" + ANSWER).correct


# ---- generation ------------------------------------------------------------------------------------------
def test_generated_puzzles_follow_the_ladder_and_are_unique(generated):
    for p in generated:
        n = p.data["n"]
        assert n == p.level + 3
        sol, givens = flat(p.data["solution"]), flat(p.data["givens"])
        order = sorted(range(n * n), key=lambda i: sol[i])
        assert sorted(sol) == list(range(1, n * n + 1)) and is_path(order, n)
        assert all(g in (0, s) for g, s in zip(givens, sol))
        shown = {g for g in givens if g}
        assert set(range(1, n * n + 1, GAP[p.level])) | {n * n} <= shown  # 1, 1 + g, 1 + 2g, ... and the last
        assert len(shown) >= -(-n * n * 45 // 100)  # at least 45 % of the cells, as the official ladder keeps
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
def test_every_single_cell_edit_is_rejected(generated):
    for p in [hand_made(), generated[8], generated[-1]]:
        sol = flat(p.data["solution"])
        n = p.data["n"]
        for i in range(n * n):
            for v in range(0, n * n + 2):
                if v == sol[i]:
                    continue
                edited = sol[:]
                edited[i] = v
                verdict = TASK.verify(p, bars([edited[k:k + n] for k in range(0, n * n, n)]))
                assert not verdict.correct and verdict.violations, (i, v)


def test_every_swap_of_two_cells_is_rejected(generated):
    p = generated[9]  # 6x6, unique: any other grid breaks a rule
    sol = flat(p.data["solution"])
    n = p.data["n"]
    for i in range(n * n):
        for j in range(i + 1, n * n):
            edited = sol[:]
            edited[i], edited[j] = edited[j], edited[i]
            assert not TASK.verify(p, bars([edited[k:k + n] for k in range(0, n * n, n)])).correct


def test_violations_name_the_broken_rule():
    p = hand_made()
    v = TASK.verify(p, "|1|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|13|14|")
    assert "given at (4,3) changed from 14 to 13" in v.violations
    assert "12 at (3,4) and 13 at (4,3) are not orthogonal neighbours" in v.violations
    v = TASK.verify(p, "|1|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14|14|")
    assert "14 is written 2 times, at (4,3), (4,4)" in v.violations
    assert "the path 1-16 misses the number 13" in v.violations
    v = TASK.verify(p, "|1|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14| |")
    assert "1 cell is empty; every cell needs a number 1-16" in v.violations
    v = TASK.verify(p, "|1|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14|17|")
    assert v.violations == ["cell (4,4) holds 17; only whole numbers 1-16 (or an empty cell) are allowed"]


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    ANSWER,
    "\n" + ANSWER + "\n",
    "| 1 | 2 | 3 | 4 |\n| 8 | 7 | 6 | 5 |\n| 9 | 10 | 11 | 12 |\n| 16 | 15 | 14 | 13 |",
    "1 2 3 4\n8 7 6 5\n9 10 11 12\n16 15 14 13",
    "[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]]",
    "|1|2|3|4|\n|---|---|---|---|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14|13|",
    "1|2|3|4\n8|7|6|5\n9|10|11|12\n16|15|14|13",
    "|1.0|2|3|4|\n|8|7|6|5|\n|9|10|11|12|\n|16|15|14|13|",
    "|1|2|3|4| |8|7|6|5| |9|10|11|12| |16|15|14|13|",
    "$\\begin{matrix} 1 & 2 & 3 & 4 \\\\ 8 & 7 & 6 & 5 \\\\ 9 & 10 & 11 & 12 \\\\ 16 & 15 & 14 & 13 \\end{matrix}$",
])
def test_notations_are_accepted(text):
    verdict = TASK.verify(hand_made(), text)
    assert verdict.correct, verdict.violations
    assert verdict.parsed == SOLUTION


def test_every_path_of_a_non_unique_puzzle_is_accepted():
    # 1 in a corner and 9 in the opposite one: the row snake and the column snake both fit
    p = hand_made(givens=[[1, 0, 0], [0, 0, 0], [0, 0, 9]], solution=[[1, 2, 3], [6, 5, 4], [7, 8, 9]])
    every = TASK.build_csp(p).solutions(10)
    assert len(every) == 2
    for sol in every:
        assert TASK.verify(p, bars([list(sol[k:k + 3]) for k in range(0, 9, 3)])).correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "|1|2|", "None", "{}", "\\boxed{", "|" * 10000,
             "-1 " * 16, "9" * 100000, "1e309 " * 16, "nan " * 16, "\x00\x01", "[" * 500 + "]" * 500,
             "|a|b|c|d|\n" * 4, "|1e400|2|3|4|\n" * 4, "| | | | |\n" * 4, "0.5 " * 16]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations, text[:30]


# ---- official rows (the path may stop short of n*n) ----------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "numbrix"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.data["n"] == p.level + 3
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert "\n" + TASK.solve(p) == record["answer"]
        assert TASK.to_record(p)["initial_state"] == record["initial_state"]
        assert TASK.from_record(TASK.to_record(p)) == p


def test_a_short_official_path_keeps_its_empty_cell_and_every_path_passes(short_row):
    p = TASK.from_record(short_row)
    assert TASK.top(p) == 48 and flat(p.data["solution"]).count(0) == 1
    every = TASK.build_csp(p).solutions(10)
    assert len(every) > 1  # several paths 1..48 through the givens
    for sol in every:
        assert TASK.verify(p, bars([list(sol[k:k + 7]) for k in range(0, 49, 7)])).correct
    assert "from 1 to at least 48" in TASK.prompt(p, "text")
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p):
        state = TASK.apply(p, state, move)
    assert TASK.is_solved(p, state) and "| |" in TASK.state_answer(p, state)
    with pytest.raises(InvalidMove):
        TASK.apply(p, TASK.initial_state(p), "place 1 1 49")  # the numbers stop at 48 here


def test_records_round_trip_and_bad_ones_are_refused(generated):
    for p in [*generated[::3], hand_made()]:
        record = TASK.to_record(p)
        assert record["category"] == "numbrix" and record["difficulty"] == str(p.level)
        assert record["answer"].startswith("\n|") and record["initial_state"].startswith("\n|")
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.from_record({**record, "initial_state": p.data["givens"]}) == p
    record = TASK.to_record(hand_made())
    assert TASK.from_record({**record, "answer": "|1|2|"}).data["solution"] == SOLUTION  # solved instead
    for broken in ["no grid", "|1|2|\n|3|", "|1|2|3|\n|4|5|6|", "|99| |\n| | |", "| | |\n| | |"]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken})
    with pytest.raises(RecordError):  # givens no path can join
        TASK.from_record({**record, "initial_state": "|1|3|\n|2|4|", "answer": ""})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_state_text():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["place 1 2 2", "1 2 2", "put 1,2,2", "r1c2=2", "Place (1, 2) 2"]:
        assert TASK.apply(p, s0, move)[1] == 2, move
    s1 = TASK.apply(p, s0, "place 1 2 2")
    assert TASK.apply(p, s1, "erase 1 2") == s0
    assert TASK.state_text(p, s1).splitlines() == ["|1|2| |4|", "| |7| | |", "|9| | |12|", "|16| |14| |"]


@pytest.mark.parametrize("move", ["place 1 1 3", "erase 1 1", "erase 1 2", "place 0 1 2", "place 1 5 2",
                                  "place 1 2 17", "place 1 2 0", "place 1 2 7", "place 1 2", "write", "",
                                  "place 1 2 2 2", "jump 1 2"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_made()
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == TASK.initial_state(p)


def test_a_number_goes_on_the_board_once():
    p = hand_made()
    s = TASK.apply(p, TASK.initial_state(p), "place 1 2 2")
    with pytest.raises(InvalidMove, match="already on the board at \\(1,2\\)"):
        TASK.apply(p, s, "place 1 3 2")
    with pytest.raises(InvalidMove):
        TASK.apply(p, s, "place 1 2 2")  # a no-op
    assert TASK.apply(p, s, "place 1 2 3")[1] == 3  # overwriting your own entry is fine


def test_conflicts_are_local_rule_breaks():
    p = hand_made()
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.conflicts(p, TASK.apply(p, TASK.initial_state(p), "place 4 4 13")) == []
    s = TASK.apply(p, TASK.initial_state(p), "place 2 3 8")
    assert TASK.conflicts(p, s) == ["8 at (2,3) and 9 at (3,1) are not orthogonal neighbours"]
    s = TASK.apply(p, TASK.initial_state(p), "place 3 2 3")
    assert "1 at (1,1) and 3 at (3,2) cannot be joined by a path of 2 steps" in TASK.conflicts(p, s)
    s = TASK.apply(p, TASK.initial_state(p), "place 1 2 3")  # next to 1, but two steps need the other colour
    assert "1 at (1,1) and 3 at (1,2) cannot be joined by a path of 2 steps" in TASK.conflicts(p, s)
    s = TASK.initial_state(p)
    for move in ["place 1 2 2", "place 1 3 3", "place 2 1 10"]:
        s = TASK.apply(p, s, move)
    assert "10 at (2,1) has no empty neighbour left for 11" in TASK.conflicts(p, s)
    assert "9 at (3,1) and 10 at (2,1) are not orthogonal neighbours" not in TASK.conflicts(p, s)


def test_move_space_and_human_play():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == len(set(space)) == 16 * 16 + 16 and space[0] == "place 1 1 1"
    assert set(TASK.solve_moves(p)) <= set(space)
    from helix_gym.core.draw import GridCanvas
    from helix_gym.tasks.puzzles.numbrix import MARGIN

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    assert TASK.cell_at(p, *canvas.center(2, 1), 512) == (2, 1)
    assert TASK.cell_command(p, TASK.initial_state(p), (0, 1), "2") == "place 1 2 2"
    assert TASK.cell_command(p, TASK.initial_state(p), (0, 0), "2") is None  # a given


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer(generated):
    for p in [hand_made(), *generated[::5]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        for e in events:
            if e.kind == "deduce":
                assert e.move.startswith("place ") and "must be" in e.note
    p = hand_made(givens=[[1, 0, 0], [0, 0, 0], [0, 0, 9]], solution=[[1, 2, 3], [6, 5, 4], [7, 8, 9]])
    events = TASK.solve_trace(p)  # two paths: the search has to guess
    assert any(e.kind == "try" for e in events) and TASK.verify(p, events[-1].move).correct


def test_prompts_state_the_format_and_hide_the_solution(generated):
    p = generated[-1]
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text, image):
        assert "between vertical bars" in prompt and "1 to 64" in prompt and "\\boxed" not in prompt
    assert TASK.solve(p) not in text + image
    assert TASK.state_text(p, TASK.initial_state(p)) in text


def test_render_is_deterministic_and_shows_entries(generated):
    p = generated[-1]
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()


def test_records_round_trip_with_rows_without_givens():
    """A row of blank cells (`| | | |`) is a board row, not a Markdown separator."""
    from helix_gym.core.registry import get_task

    task = get_task("Numbrix")
    for seed in range(12):
        for level in (1, 2, 3, 4, 5):
            puzzle = task.generate_seeded(seed, level)
            assert task.from_record(task.to_record(puzzle)).data == puzzle.data, (seed, level)
