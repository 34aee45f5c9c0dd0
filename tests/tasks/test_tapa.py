"""Tapa: ladder and uniqueness, the benchmark's clue rule, rule-based verifier, step mode, records, trace."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.tapa import (
    BLACK,
    MIN_CLUES,
    RING,
    WHITE,
    Tapa,
    clue_value,
    king_groups,
    ring_offsets,
    ring_runs,
    shaded_groups,
)
from tests.conftest import assert_refused

TASK: Tapa = get_task("tapa")

# the spec's own 4x4 example: clue (0,3)=1, (2,1)=3, (3,3)=1 with these shaded cells (not unique)
SPEC_GRID = ["...1", "....", ".3..", "...1"]
SPEC_BLACK = [(0, 1), (1, 1), (1, 2), (2, 2)]
# official rows whose reference answer breaks the rules (the puzzle has no solution at all)
KNOWN_BAD = {"tapa_5_1795586368": "the shaded cells are split into 2 separate groups"}


def hand_made(grid=SPEC_GRID, black=SPEC_BLACK) -> Puzzle:
    return TASK.puzzle(2, {"grid": list(grid), "black": [list(c) for c in black]})


def text(cells) -> str:
    return ", ".join(f"({r},{c})" for r, c in cells)


def cells_of(puzzle: Puzzle, grid) -> list[tuple[int, int]]:
    n = len(puzzle.data["grid"])
    return [divmod(i, n) for i, v in enumerate(grid) if v == BLACK]


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance, solver and the clue rule -------------------------------------------------------------------
def test_hand_made_instance_is_accepted_and_solved():
    p = hand_made()
    assert TASK.verify(p, text(SPEC_BLACK)).correct
    assert TASK.verify(p, TASK.solve(p)).correct
    assert TASK.solve(p) == "(0,1), (1,1), (1,2), (2,2)"
    every = TASK.build_csp(p).solutions(500)
    assert tuple(TASK.solution(p)) in every and len(every) > 1
    for sol in every:  # the verifier accepts every solution of a non-unique puzzle
        assert TASK.verify(p, text(cells_of(p, sol))).correct


def test_clue_groups_join_across_a_corner_as_the_benchmark_counts():
    # clue 2 at (2,2) sees N (1,2) and E (2,3) shaded, NE (1,3) white: one group here ("1 1" in standard Tapa)
    grid = [".....", ".....", "..2..", ".....", "....."]
    black = [(0, 2), (0, 3), (0, 4), (1, 2), (1, 4), (2, 3), (2, 4)]
    p = hand_made(grid, black)
    assert TASK.verify(p, text(black)).correct
    n = 5
    shaded = [WHITE] * 25
    for r, c in black:
        shaded[r * n + c] = BLACK
    assert clue_value(n, shaded, 12) == 2
    assert ring_runs(((-1, 0), (-1, 1), (0, 1)), [1, 0, 1]) == 2 and king_groups([(-1, 0), (0, 1)]) == 1
    assert ring_runs(((0, 1), (1, 1), (1, 0), (1, -1), (0, -1)), [1, 0, 0, 0, 1]) == 2  # cut by the top edge
    assert ring_runs(tuple(RING), [1, 0, 0, 0, 0, 0, 0, 1]) == 1  # the full ring wraps around
    # N (1,2) and S (3,2) shaded, joined far outside the ring: two groups around the clue
    split = [(1, 2), (0, 2), (0, 1), (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1), (4, 2), (3, 2)]
    v = TASK.verify(p, text(split))
    assert v.violations == ["the 2 shaded neighbours of the clue 2 at (2,2) form 2 separate groups, not one"]
    v = TASK.verify(p, text([(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (3, 2), (3, 1)]))
    assert "the clue 2 at (2,2) has 7 shaded neighbours, not 2" in v.violations


def test_generated_puzzles_are_unique_valid_and_follow_the_ladder(generated):
    for p in generated:
        n = len(p.data["grid"])
        assert n == p.level + 2
        clues = TASK.clues(p)
        assert len(clues) >= MIN_CLUES[p.level] and all(1 <= k <= 8 for k in clues.values())
        sol = TASK.solution(p)
        assert sum(sol) >= int(n * n * {1: 0.25, 2: 0.30, 3: 0.35, 4: 0.40, 5: 0.45}[p.level])
        assert len(shaded_groups(sol, n)) == 1
        assert TASK.violations(p, sol) == []
        assert TASK.build_csp(p).count_solutions(2) == 1
        for i, k in clues.items():  # our clues also read the same under standard Tapa (one run around the ring)
            r, c = divmod(i, n)
            offs = ring_offsets(n, i)
            assert ring_runs(offs, [sol[(r + a) * n + c + b] for a, b in offs]) == 1 and clue_value(n, sol, i) == k


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
def test_every_single_cell_flip_is_rejected(generated):
    for p in [generated[3], generated[11], *generated[-4:]]:  # unique puzzles: any other shading breaks a rule
        n = len(p.data["grid"])
        sol = list(TASK.solution(p))
        for i in range(n * n):
            flipped = sol[:]
            flipped[i] = WHITE if sol[i] == BLACK else BLACK
            verdict = TASK.verify(p, text(cells_of(p, flipped)))
            assert not verdict.correct and verdict.violations, (p.id, i)


def test_violations_name_the_broken_rule():
    p = hand_made()
    v = TASK.verify(p, text([*SPEC_BLACK, (0, 3)]))
    assert "clue cell (0,3) is shaded" in v.violations
    v = TASK.verify(p, text([(0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]))
    assert "the shaded cells fill the 2x2 block at (0,1)-(1,2)" in v.violations
    v = TASK.verify(p, text([(0, 1), (1, 1), (1, 2), (2, 2), (3, 0)]))
    assert any(m.startswith("the shaded cells are split into 2 separate groups") for m in v.violations)
    v = TASK.verify(p, text([(0, 0), (1, 0), (2, 0), (3, 0), (3, 1), (3, 2), (1, 2), (0, 2)]))
    assert "the 2 shaded neighbours of the clue 1 at (0,3) form" not in " ".join(v.violations)
    assert "the clue 1 at (0,3) has 2 shaded neighbours, not 1" in v.violations
    v = TASK.verify(p, text([(0, 1), (1, 1), (1, 2)]))
    assert "the clue 1 at (3,3) has 0 shaded neighbours, not 1" in v.violations


def test_bad_coordinates_are_rejected():
    p = hand_made()
    for answer in ["(0,1), (4,1)", "(0,1), (1,-1)", "(0.5,1)", "0 1 1", "nothing here"]:
        verdict = TASK.verify(p, answer)
        assert not verdict.correct and verdict.violations, answer


# ---- verifier: completeness ------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    "(0,1), (1,1), (1,2), (2,2)",
    "(2,2), (0,1), (1,2), (1,1), (1,1)",  # any order, duplicates harmless
    "{(0, 1), (1, 1), (1, 2), (2, 2)}",
    "[[0, 1], [1, 1], [1, 2], [2, 2]]",
    "[(0,1),(1,1),(1,2),(2,2)]",
    "0 1; 1 1; 1 2; 2 2",
    "row 0 col 1, row 1 col 1, row 1 col 2, row 2 col 2",
    r"$\{(0,1), (1,1), (1,2), (2,2)\}$",
    "Shaded cells: (0,1), (1,1), (1,2), (2,2).",
    "W B W 1\nW B B W\nW 3 B W\nW W W 1",
    ".#.1\n.##.\n.3#.\n...1",
    "0100\n0110\n0010\n0000",
    "[[0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]",
])
def test_notations_are_accepted(answer):
    verdict = TASK.verify(hand_made(), answer)
    assert verdict.correct, (answer, verdict.violations)
    assert verdict.parsed == [[0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "[[1,2],[3", "None", "{}", "\\boxed{", "1" * 10000,
             "(" * 500 + ")" * 500, "9" * 100000, "١٢٣", "(1e309, 1)", "nan, nan", "\x00\x01", "B" * 16, "(0,1)-(1,1)"]
    for answer in nasty:
        verdict = TASK.verify(p, answer)
        assert not verdict.correct and verdict.violations, answer
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]


def test_random_answer_has_the_right_shape():
    p = TASK.generate(np.random.default_rng(0), 3)
    answer = TASK.random_answer(p, np.random.default_rng(1))
    assert TASK.read_answer(p, answer) is not None


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "tapa"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"])
        assert TASK.state_text(p, TASK.initial_state(p)) == record["initial_state"]
        verdict = TASK.verify(p, record["answer"])
        if record["index"] in KNOWN_BAD:
            assert not verdict.correct and KNOWN_BAD[record["index"]] in verdict.violations[0]
            assert TASK.build_csp(p).count_solutions(1) == 0  # the official puzzle has no solution at all
        else:
            assert verdict.correct, (record["index"], verdict.violations)


def test_record_round_trip(generated):
    for p in [*generated[::3], hand_made(), TASK.generate_seeded(5, 4)]:
        record = TASK.to_record(p)
        assert record["category"] == "tapa" and record["difficulty"] == str(p.level)
        assert isinstance(record["initial_state"], str) and "\n" in record["initial_state"]
        back = TASK.from_record(json.loads(json.dumps(record)))
        assert back == p
        assert TASK.verify(p, record["answer"]).correct


def test_records_with_escaped_newlines_or_a_bad_answer_load():
    p = hand_made()
    record = {**TASK.to_record(p), "initial_state": "\\n".join(SPEC_GRID), "answer": "(0,0)"}
    loaded = TASK.from_record(record)
    assert loaded.data["grid"] == SPEC_GRID and TASK.violations(loaded, TASK.solution(loaded)) == []


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["shade 0 1", "Shade 0 1.", "shade (0,1)", "black 0 1", "shade r0c1", "shade row 0 column 1"]:
        assert TASK.apply(p, s0, move)[1] == BLACK, move
    s1 = TASK.apply(p, s0, "shade 0 1")
    assert TASK.apply(p, s1, "unshade 0 1") == s0 and TASK.apply(p, s1, "erase 0 1") == s0
    s2 = TASK.apply(p, s1, "dot 0 0")
    assert TASK.state_text(p, s2) == "o#.1\n....\n.3..\n...1"
    assert TASK.state_text(p, s0) == "\n".join(SPEC_GRID)


@pytest.mark.parametrize("move", ["shade 0 3", "dot 2 1", "unshade 0 0", "shade 4 0", "shade 0 4", "shade 0",
                                  "shade 0 1 1", "jump 0 1", "", "__import__('os')", "shade -1 0"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_move_space_conflicts_and_state_answer():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 3 * 16 and space[0] == "shade 0 0" and space[-1] == "dot 3 3"
    state = TASK.initial_state(p)
    assert TASK.conflicts(p, state) == []
    assert TASK.state_answer(p, state) == ""  # the empty shading is a complete (wrong) answer
    for move in ["shade 1 2", "shade 1 3", "shade 2 2"]:
        state = TASK.apply(p, state, move)
    assert "the clue 1 at (0,3) has 2 shaded neighbours, not 1" in TASK.conflicts(p, state)
    dotted = TASK.initial_state(p)
    for move in ["dot 2 2", "dot 2 3", "dot 3 2"]:
        dotted = TASK.apply(p, dotted, move)
    assert "the clue 1 at (3,3) has only 0 neighbours left that are not dotted" in TASK.conflicts(p, dotted)
    assert TASK.step_budget(p) == 3 * 4 + 20


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas
    from helix_gym.tasks.puzzles.tapa import MARGIN

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (2, 3), (3, 3)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 1), "space") == "shade 0 1"
    assert TASK.cell_command(p, TASK.apply(p, state, "shade 0 1"), (0, 1), "space") == "unshade 0 1"
    assert TASK.cell_command(p, state, (0, 0), ".") == "dot 0 0"
    assert TASK.cell_command(p, state, (0, 3), "space") is None  # a clue


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer(generated):
    for p in [hand_made(), *generated[::4]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        for e in events:
            if e.kind == "deduce":
                assert "must be" in e.note and (e.move is None or e.move.startswith("shade "))


def test_prompts_state_the_rules_and_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text_prompt, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text_prompt, image):
        assert "(row,column)" in prompt and "2×2" in prompt and "corner" in prompt
        assert TASK.solve(p) not in prompt and "\\boxed" not in prompt
    assert "\n".join(p.data["grid"]) in text_prompt


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != plain.tobytes()
