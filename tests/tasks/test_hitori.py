"""Hitori: ladder and uniqueness, rule-based verifier, coordinate answers, step mode, records, trace, pictures."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from helix_gym.core.errors import RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.puzzles.hitori import MARGIN, SHADE_SHARE, Hitori, cells_text
from tests.conftest import assert_refused

TASK: Hitori = get_task("hitori")

# a hand-made 4x4 whose shading is unique among shadings of repeated numbers
GRID = [[3, 4, 1, 2], [4, 3, 3, 4], [4, 2, 3, 1], [2, 2, 4, 4]]
SHADED = [(1, 0), (1, 2), (3, 1), (3, 3)]
ANSWER = "{(1, 0), (1, 2), (3, 1), (3, 3)}"
AMBIGUOUS = [[1, 2, 3, 3], [2, 3, 4, 1], [3, 4, 1, 2], [1, 1, 2, 3]]


def hand_made(grid=GRID, shaded=SHADED) -> Puzzle:
    return TASK.puzzle(1, {"grid": grid, "shaded": [list(c) for c in shaded]})


def is_valid(grid: list[list[int]], shaded: set[tuple[int, int]]) -> bool:
    """An independent statement of the three rules, for cross-checking the verifier."""
    n = len(grid)
    white = [(r, c) for r in range(n) for c in range(n) if (r, c) not in shaded]
    for k in range(n):
        row = [grid[k][c] for c in range(n) if (k, c) not in shaded]
        col = [grid[r][k] for r in range(n) if (r, k) not in shaded]
        if len(set(row)) < len(row) or len(set(col)) < len(col):
            return False
    if any((r + 1, c) in shaded or (r, c + 1) in shaded for r, c in shaded):
        return False
    if not white:
        return False
    seen, todo = {white[0]}, [white[0]]
    while todo:
        r, c = todo.pop()
        for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if nb in set(white) and nb not in seen:
                seen.add(nb)
                todo.append(nb)
    return len(seen) == len(white)


@pytest.fixture(scope="module")
def generated() -> list[Puzzle]:
    return [TASK.generate(np.random.default_rng(seed), level) for level in range(1, 6) for seed in range(4)]


# ---- instance and solver ---------------------------------------------------------------------------------
def test_hand_made_instance_has_its_known_answer():
    p = hand_made()
    assert len(TASK.build_csp(p).solutions(2)) == 1
    assert TASK.solve(p) == ANSWER
    assert TASK.verify(p, ANSWER).correct and is_valid(GRID, set(SHADED))


def test_generated_puzzles_are_unique_and_follow_the_ladder(generated):
    for p in generated:
        grid = p.data["grid"]
        n = len(grid)
        shaded = {tuple(c) for c in p.data["shaded"]}
        assert n == p.level + 3 and 0 < len(shaded) <= int(n * n * SHADE_SHARE[p.level])
        assert TASK.build_csp(p).count_solutions(2) == 1
        assert is_valid(grid, shaded)
        for r, c in shaded:  # every shaded number repeats in its row or column
            v = grid[r][c]
            assert sum(grid[r][k] == v for k in range(n)) > 1 or sum(grid[k][c] == v for k in range(n)) > 1
        assert TASK.verify(p, TASK.solve(p)).correct


def test_generation_uses_only_the_rng():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    assert TASK.generate(np.random.default_rng(3), 5) != TASK.generate(np.random.default_rng(4), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


def test_solve_moves_play_to_a_solved_grid(generated):
    for p in generated:
        state = TASK.initial_state(p)
        moves = TASK.solve_moves(p)
        assert all(m.startswith("shade ") for m in moves)
        for move in moves:
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct


# ---- verifier: soundness and completeness ----------------------------------------------------------------
def test_small_shadings_are_judged_as_the_rules_say():
    """Every shading of the 4x4 with up to 6 cells (of at most 8 that can be shaded without touching)."""
    p = hand_made()
    cells = [(r, c) for r in range(4) for c in range(4)]
    accepted = 0
    for k in range(7):
        for chosen in itertools.combinations(cells, k):
            verdict = TASK.verify(p, cells_text(chosen))
            assert verdict.correct == is_valid(GRID, set(chosen)), chosen
            assert verdict.correct or verdict.violations
            accepted += verdict.correct
    assert accepted >= 1


def test_single_toggles_of_a_large_solution(generated):
    """Unshading a shaded cell always breaks a rule; shading one more cell is judged by the rules (it may be
    valid: the rules do not forbid shading a lone number)."""
    p = generated[-1]
    grid = p.data["grid"]
    n = len(grid)
    shaded = {tuple(c) for c in p.data["shaded"]}
    for cell in itertools.product(range(n), repeat=2):
        toggled = shaded ^ {cell}
        verdict = TASK.verify(p, cells_text(sorted(toggled)))
        assert verdict.correct == is_valid(grid, toggled), cell
        if cell in shaded:
            assert not verdict.correct


def test_violations_name_the_broken_rule():
    p = hand_made()
    v = TASK.verify(p, "{(1, 0), (1, 1), (3, 1), (3, 3)}")
    assert "the shaded cells (1,0) and (1,1) share an edge" in v.violations
    assert "row 1 has 2 unshaded 3s, at (1,1), (1,2)" not in v.violations  # (1,1) is shaded
    v = TASK.verify(p, "{(1, 0), (3, 1), (3, 3)}")
    assert v.violations == ["row 1 has 2 unshaded 3s, at (1,1), (1,2)", "column 2 has 2 unshaded 3s, at (1,2), (2,2)"]
    v = TASK.verify(p, "{(0, 1), (1, 0), (1, 2), (3, 1), (3, 3)}")  # (0,0) is cut off
    assert any(m.startswith("the unshaded cells are split into 2 separate groups") for m in v.violations)
    assert "outside the 4x4 grid" in TASK.verify(p, "{(4, 0)}").violations[0]
    assert "do not pair up" in TASK.verify(p, "{(1, 0), (1)}").violations[0]
    two_sets = TASK.verify(p, "{(1, 0)} then {(1, 0), (1, 2), (3, 1), (3, 3)}")  # the official judge merges them
    assert two_sets.violations == ["the answer holds 2 separate sets; give one set of shaded cells"]


@pytest.mark.parametrize("text", [ANSWER, "{(3, 3), (1, 0), (3, 1), (1, 2)}", "[(1, 0), (1, 2), (3, 1), (3, 3)]",
                                  "[[1, 0], [1, 2], [3, 1], [3, 3]]", "((1,0),(1,2),(3,1),(3,3))",
                                  "(1,0) (1,2) (3,1) (3,3)", "1 0; 1 2; 3 1; 3 3", "1,0\n1,2\n3,1\n3,3",
                                  "row=1, col=0; row=1, col=2; row=3, col=1; row=3, col=3",
                                  r"$\{(1, 0), (1, 2), (3, 1), (3, 3)\}$", "4x4: {(1, 0), (1, 2), (3, 1), (3, 3)}",
                                  "{(1, 0), (1, 2), (3, 1), (3, 3), (1, 0)}", "{(1.0, 0.0), (1, 2), (3, 1), (3, 3)}",
                                  "Shaded cells of puzzle 1: {(1, 0), (1, 2), (3, 1), (3, 3)}"])
def test_notations_are_accepted(text):
    verdict = TASK.verify(hand_made(), text)
    assert verdict.correct, (text, verdict.violations)


def test_every_shading_of_a_non_unique_puzzle_is_accepted():
    p = hand_made(grid=AMBIGUOUS, shaded=[])
    every = TASK.build_csp(p).solutions(100)
    assert len(every) > 1
    for sol in every:
        cells = [divmod(i, 4) for i, v in enumerate(sol) if v == 1]
        assert is_valid(AMBIGUOUS, set(cells))
        assert TASK.verify(p, cells_text(cells)).correct
    # shading a lone number is allowed by the rules too
    assert TASK.verify(hand_made(), "{(1, 0), (1, 2), (3, 1), (3, 3), (0, 3)}").correct


def test_verify_never_raises_on_garbage():
    p = hand_made()
    nasty = ["", " ", "__import__('os').system('ls')", "{(1,2", "None", "\\boxed{", "1" * 10000,
             "9" * 100000, "١٢٣", "1e309 " * 8, "nan " * 8, "\x00\x01", "[" * 500 + "]" * 500, "{(0.5, 1)}",
             "{(-1, 0)}", "{}", "set()", "[]"]
    for text in nasty:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations, text[:20]
    assert not TASK.verify(p, None).correct  # type: ignore[arg-type]
    assert "row 1 has 2 unshaded 4s, at (1,0), (1,3)" in TASK.verify(p, "{}").violations  # an empty set is read


def test_random_answer_has_the_right_shape():
    text = TASK.random_answer(hand_made(), np.random.default_rng(0))
    assert text.startswith("{") and text.endswith("}")
    assert TASK.read_answer(hand_made(), text)  # it parses


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass(samples):
    rows = [r for r in samples if r.get("category") == "hitori"]
    assert rows
    for record in rows:
        p = TASK.from_record(record)
        assert p.level == int(record["difficulty"]) and len(p.data["grid"]) == p.level + 3
        assert TASK.verify(p, record["answer"]).correct, record["index"]
        assert TASK.verify(p, TASK.solve(p)).correct
        assert p.data["grid"] == record["initial_state"]


def test_record_round_trip(generated):
    for p in [*generated[::5], hand_made(), TASK.generate_seeded(5, 3)]:
        record = TASK.to_record(p)
        assert record["category"] == "hitori" and record["difficulty"] == str(p.level)
        assert record["answer"] == TASK.solve(p) and record["initial_state"] == p.data["grid"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p


def test_records_with_a_bad_answer_or_a_bad_grid():
    record = TASK.to_record(hand_made())
    loaded = TASK.from_record({**record, "answer": "{(0, 0)}"})  # invalid: the solver's shading instead
    assert {tuple(c) for c in loaded.data["shaded"]} == set(SHADED)
    assert TASK.from_record({**record, "initial_state": json.dumps(GRID)}).data["grid"] == GRID
    for broken in ["not json", [[1, 2], [3]], [[1]], [[1, -2], [2, 1]], None, [[1, 1], [1, 1]]]:
        with pytest.raises(RecordError):
            TASK.from_record({**record, "initial_state": broken, "answer": None})


# ---- step mode -------------------------------------------------------------------------------------------
def test_commands_and_their_spellings():
    p = hand_made()
    s0 = TASK.initial_state(p)
    for move in ["shade 1 0", "Shade 1 0.", "shade 1,0", "shade (1,0)", "black r1c0", "shade row 1 column 0"]:
        assert TASK.apply(p, s0, move)[4] == 1, move
    s1 = TASK.apply(p, s0, "shade 1 0")
    assert TASK.apply(p, s1, "unshade 1 0") == s0 and TASK.apply(p, s1, "clear 1 0") == s0
    s2 = TASK.apply(p, s1, "keep 0 0")
    assert s2[0] == 2 and TASK.apply(p, s2, "unshade 0 0") == s1
    text = TASK.state_text(p, s2)
    assert text.startswith("[[3, 4, 1, 2],\n [4, 3, 3, 4],") and text.endswith("shaded: {(1, 0)}\nkept: {(0, 0)}")
    assert TASK.state_answer(p, s2) == "{(1, 0)}"


@pytest.mark.parametrize("move", ["unshade 0 0", "shade 4 0", "shade 0 4", "shade 0 0 1", "shade 0", "set 0 0",
                                  "0 0", "jump 0 0", "", "__import__('os')", "shade -1 0"])
def test_illegal_moves_raise_and_change_nothing(move):
    assert_refused(TASK, hand_made(), move)


def test_conflicts_see_circles_touching_and_cut_cells():
    p = hand_made()
    state = TASK.initial_state(p)
    assert TASK.conflicts(p, state) == []  # plain repeats are not conflicts yet
    state = TASK.apply(p, TASK.apply(p, state, "keep 1 1"), "keep 1 2")
    assert TASK.conflicts(p, state) == ["row 1 has 2 unshaded 3s, at (1,1), (1,2)"]
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "shade 0 1"), "shade 1 0")
    found = TASK.conflicts(p, state)
    assert any(m.startswith("the unshaded cells are split") for m in found)
    touching = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "shade 1 1"), "shade 1 2")
    assert "the shaded cells (1,1) and (1,2) share an edge" in TASK.conflicts(p, touching)


def test_move_space_and_budget():
    p = hand_made()
    space = TASK.move_space(p)
    assert len(space) == 48 and space[0] == "shade 0 0" and space[16] == "unshade 0 0" and space[-1] == "keep 3 3"
    assert TASK.step_budget(p) == 3 * 4 + 20


def test_click_and_type():
    p = hand_made()
    from helix_gym.core.draw import GridCanvas

    canvas = GridCanvas(4, 4, 512, margin=MARGIN)
    assert canvas.image.size == TASK.render(p).size
    for r, c in [(0, 0), (1, 2), (3, 3)]:
        assert TASK.cell_at(p, *canvas.center(r, c), 512) == (r, c)
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (1, 0), "space") == "shade 1 0"
    assert TASK.cell_command(p, state, (1, 0), "k") == "keep 1 0"
    assert TASK.cell_command(p, state, (1, 0), "delete") is None
    shaded = TASK.apply(p, state, "shade 1 0")
    assert TASK.cell_command(p, shaded, (1, 0), "space") == "unshade 1 0"
    assert TASK.cell_command(p, shaded, (1, 0), "k") == "keep 1 0"
    assert TASK.cell_command(p, state, (4, 4), "space") is None


# ---- trace and presentation ------------------------------------------------------------------------------
def test_trace_ends_in_a_valid_answer_and_names_the_rules():
    saw_try = False
    for p in [hand_made(), *[TASK.generate(np.random.default_rng(s), 5) for s in range(3)]]:
        events = TASK.solve_trace(p)
        assert events[0].kind == "read" and events[-1].kind == "answer"
        assert TASK.verify(p, events[-1].move).correct
        saw_try |= any(e.kind == "try" for e in events)
        for e in events:
            if e.kind == "deduce":
                assert e.move.split()[0] in ("shade", "keep") and "must be" in e.note
                assert "only once" in e.note or "must not touch" in e.note or "connected" in e.note
    assert saw_try


def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(1), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    for prompt in (text, image):
        assert "(row, column)" in prompt and "counted from 0" in prompt
        assert TASK.solve(p) not in prompt and "\\boxed" not in prompt
    assert json.dumps(p.data["grid"][0]) in text


def test_render_is_deterministic_and_shows_entries():
    p = TASK.generate(np.random.default_rng(2), 5)
    plain = TASK.render(p)
    assert TASK.render(p).tobytes() == plain.tobytes() and max(plain.size) <= 512
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    shaded = TASK.render(p, state)
    assert shaded.tobytes() != plain.tobytes()
    kept = TASK.apply(p, state, "keep 0 0" if state[0] != 2 else "keep 0 1")
    assert TASK.render(p, kept).tobytes() != shaded.tobytes()
