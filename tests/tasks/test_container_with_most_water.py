"""ContainerWithMostWater: ladder, two-pointer optimum, lenient and leak-free verify, pick/pointer step mode,
records, and the wrapped bar chart."""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms import container_with_most_water as cw
from tests.conftest import assert_refused

TASK = get_task("ContainerWithMostWater")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = (1, 2, 3, 4, 5)
SEEDS = range(8)
EXAMPLE = [3, 8, 4, 2, 7, 5]  # the spec's example: bars 1 and 4 hold 3 x 7 = 21


def example():
    return TASK.puzzle(1, {"heights": list(EXAMPLE)})


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def brute(heights: list[int]) -> int:
    return max((j - i) * min(heights[i], heights[j]) for i, j in itertools.combinations(range(len(heights)), 2))


def play(puzzle, moves):
    state = TASK.initial_state(puzzle)
    for move in moves:
        state = TASK.apply(puzzle, state, move)
    return state


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "21" and TASK.verify(p, "21").correct
    # (0,5): 15 keep; left 3 < 5 -> (1,5): 20 keep; right 5 < 8 -> (1,4): 21 keep; right -> (1,3): 4; right -> (1,2)
    assert TASK.solve_moves(p) == ["keep", "advance left", "keep", "advance right", "keep", "advance right",
                                   "advance right", "submit"]
    state = play(p, TASK.solve_moves(p)[:-1])
    assert state == (1, 2, 1, 4) and TASK.state_answer(p, state) == "21"
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "21"
    assert [e.move for e in trace if e.kind == "deduce" and e.move] == TASK.solve_moves(p)[:-1]
    assert "= 21" in trace[-2].note


@pytest.mark.parametrize("text", ["21", "21.0", "21.", "$21$", "21 units", "area = 21", "\\text{21}", " 21 ",
                                  "The most water is 21.", "42/2", "$21.00$", "21 square units"])
def test_example_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["20", "22", "0", "-21", "21.5", "210", "2 1", "3 x 7", "(1, 4)", "twenty-one", "",
                                  "none", "[21, 21]"])
def test_example_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


# ---- solver and generator -------------------------------------------------------------------------------
def test_two_pointers_match_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(400):
        heights = [int(x) for x in rng.integers(0, 15, size=int(rng.integers(2, 12)))]
        assert cw.best_area(heights) == brute(heights), heights
    for p in puzzles():
        assert int(TASK.solve(p)) == brute(p.data["heights"])


def test_ladder_sizes_values_and_tall_bars():
    for p in puzzles(seeds=range(20)):
        low, high, top, tall = cw.LADDER[p.level]
        h = p.data["heights"]
        assert low <= len(h) <= high and 1 <= min(h) and max(h) <= top
        assert all(isinstance(x, int) for x in h)
        if tall:
            assert sum(x >= int(cw.TALL_SHARE * top) for x in h) >= 2


def test_generation_is_deterministic_and_levels_are_checked():
    assert TASK.generate_seeded(3, 4) == TASK.generate_seeded(3, 4)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)


@pytest.mark.parametrize("level", LEVELS)
def test_solvable_in_answer_and_step_mode(level):
    for p in puzzles(levels=(level,)):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit" and moves[0] == "keep"
        state = play(p, moves[:-1])
        assert state[1] == state[0] + 1  # the drill ran until the pointers met
        assert TASK.state_answer(p, state) == answer and not TASK.is_solved(p, state)
        trace = TASK.solve_trace(p)
        assert trace[-1].move == answer
        assert [e.move for e in trace if e.kind == "deduce" and e.move] == moves[:-1]


# ---- verify: soundness, completeness, no leaks ---------------------------------------------------------
def test_every_pair_is_judged_by_its_water():
    """Completeness and soundness over all pairs: a pair's water is right exactly when it is the optimum."""
    for p in puzzles(levels=(1, 2), seeds=range(4)):
        h = p.data["heights"]
        best = brute(h)
        for i, j in itertools.combinations(range(len(h)), 2):
            a = cw.area(h, i, j)
            assert TASK.verify(p, str(a)).correct == (a == best)
            assert TASK.state_answer(p, TASK.apply(p, TASK.initial_state(p), f"pick {j} {i}")) == str(a)


def test_every_other_number_is_rejected_and_the_optimum_is_never_told():
    for p in puzzles(levels=(1, 3), seeds=range(3)):
        best = int(TASK.solve(p))
        for value in range(-3, best + 60):
            verdict = TASK.verify(p, str(value))
            assert verdict.correct == (value == best), value
            if value != best:
                text = " ".join(verdict.violations)
                assert not re.search(rf"(?<![\d.]){best}(?![\d.])", text), (value, text)
        assert not TASK.verify(p, f"{best}.5").correct


def test_wrong_answers_say_which_way_without_the_number():
    p = example()
    assert "no two bars hold as much as 22" in TASK.verify(p, "22").violations[0]
    assert "some pair of bars holds more" in TASK.verify(p, "20").violations[0]
    assert "negative" in TASK.verify(p, "-1").violations[0]
    assert "whole number" in TASK.verify(p, "20.5").violations[0]
    assert "exactly one number" in TASK.verify(p, "1 4").violations[0]


@pytest.mark.parametrize("text", ["__import__('os').system('echo hi')", "\\boxed{", "}}}{{{", "1" * 5000, "9" * 400,
                                  "\x00\x01", "NaN", "inf", "-", "1/0", "0/0", "[[[[", "1e308", None, 21])
def test_verify_never_raises(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move", ["pick 1 4", "pick 4 1", "Pick (1, 4)", "pick bars 1 and 4", "pick 1,4",
                                  "PICK 1 4.", "choose 1 and 4", "`pick 1 4`"])
def test_pick_spellings(move):
    p = example()
    assert TASK.apply(p, TASK.initial_state(p), move) == (0, 5, 1, 4)


def test_pointer_commands():
    p = example()
    state = TASK.initial_state(p)
    assert state == (0, 5, -1, -1)
    assert TASK.apply(p, state, "advance left") == (1, 5, -1, -1)
    assert TASK.apply(p, state, "Advance Right") == (0, 4, -1, -1)
    assert TASK.apply(p, state, "left") == (1, 5, -1, -1)
    assert TASK.apply(p, state, "move right") == (0, 4, -1, -1)
    assert TASK.apply(p, state, "keep") == (0, 5, 0, 5)
    state = TASK.apply(p, (2, 4, 0, 5), "keep")
    assert state == (2, 4, 2, 4) and TASK.state_answer(p, state) == "8"  # 2 x min(4, 7)
    assert TASK.apply(p, (2, 4, 2, 4), "pick 0 5") == (2, 4, 0, 5)  # a pick keeps the pointers


@pytest.mark.parametrize("state, move", [
    ((0, 5, -1, -1), "pick 1 1"), ((0, 5, -1, -1), "pick 1 6"), ((0, 5, -1, -1), "pick 1"),
    ((0, 5, -1, -1), "pick 1 2 3"), ((0, 5, -1, -1), "pick -1 2"), ((0, 5, -1, -1), "advance up"),
    ((0, 5, -1, -1), "area 1 4"), ((0, 5, -1, -1), ""), ((2, 3, -1, -1), "advance left"),
    ((2, 3, 0, 1), "advance right"), ((0, 5, -1, -1), "pick one four"),
])
def test_illegal_moves_raise_and_change_nothing(state, move):
    assert assert_refused(TASK, example(), move, state).reason


def test_submit_needs_a_choice():
    p = example()
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, TASK.initial_state(p))


def test_move_space_and_moves():
    p = example()
    space = TASK.move_space(p)
    assert len(space) == 15 + 4 and len(set(space)) == len(space)
    assert set(TASK.solve_moves(p)) <= set(space)
    for move in space[:-1]:  # every command of the space is well formed (legal from a roomy position)
        TASK.apply(p, (1, 4, -1, -1), move)
    assert TASK.moves(p, TASK.initial_state(p)) is None


def test_state_text_shows_the_choice_not_the_water():
    p = example()
    text = TASK.state_text(p, (1, 4, 1, 4))
    assert text.splitlines()[0] == json.dumps({"heights": EXAMPLE})
    assert "bars 1 (height 8) and 4 (height 7)" in text and "21" not in text


# ---- records ---------------------------------------------------------------------------------------------
def test_record_round_trip_and_format():
    for p in puzzles(seeds=range(2)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["initial_state"] == {"heights": p.data["heights"]} and record["answer"] == TASK.solve(p)
        assert record["category"] == "ContainerWithMostWater" and record["difficulty"] == p.level
        assert TASK.from_record(record) == p


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.data["heights"] == row["initial_state"]["heights"] and p.level == row["difficulty"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        no_state = {k: v for k, v in row.items() if k != "initial_state"}  # heights read from the question
        assert TASK.from_record(no_state) == p
        assert TASK.from_record({**row, "initial_state": json.dumps(row["initial_state"])}) == p


@pytest.mark.parametrize("record", [{}, {"initial_state": {"heights": [5]}}, {"initial_state": {"heights": [1, "a"]}},
                                    {"initial_state": {"heights": [1, -2]}}, {"initial_state": "garbage"}])
def test_bad_records_raise_record_error(record):
    with pytest.raises(RecordError):
        TASK.from_record(record)


# ---- pictures --------------------------------------------------------------------------------------------
def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_shows_the_choice():
    p = TASK.generate_seeded(5, 5)
    assert png(TASK.render(p)) == png(TASK.render(p))
    start = TASK.initial_state(p)
    picked = TASK.apply(p, start, "pick 0 3")
    pictures = [TASK.render(p).tobytes(), TASK.render(p, start).tobytes(), TASK.render(p, picked).tobytes()]
    assert len(set(pictures)) == 3


def test_chosen_walls_are_drawn_in_the_entered_colour():
    p = example()
    geo = cw.layout(EXAMPLE, 512)
    image = TASK.render(p, (0, 5, 1, 4))
    for k in range(6):
        pixel = image.getpixel((round(geo.cx(k)), round(geo.baseline(0) - 3)))
        assert (pixel == draw.ENTERED) == (k in (1, 4)), (k, pixel)
    water = image.getpixel((round((geo.cx(3) + geo.cx(2)) / 2), round(geo.y_at(0, 6.5))))  # above bar 2/3, under 7
    assert water == cw.WATER


@pytest.mark.parametrize("size", [64, 96, 256, 512, 1024])
def test_layout_fits_every_size(size):
    for p in puzzles(seeds=range(3)):
        geo = cw.layout(p.data["heights"], size)
        assert geo.plot_h > 0 and geo.under_y(geo.rows - 1) + geo.under_h / 2 <= size
        assert TASK.render(p, size=size).size == (size, size)


def test_every_height_label_is_readable_and_fits_its_bar():
    for p in puzzles(seeds=range(10)):
        h = p.data["heights"]
        geo = cw.layout(h, 512)
        assert geo.plot_h >= 512 * geo.min_plot >= 512 * 0.17 or geo.rows == 1
        for value in set(h):
            font = geo.label_font(str(value))
            assert font >= (11 if value < 100 else 10), (p.id, value, font)
            assert draw.text_size(str(value), font)[0] <= geo.slot * 0.95


def test_click_selects_a_bar():
    p = TASK.generate_seeded(2, 5)
    geo = cw.layout(p.data["heights"], 512)
    for k in (0, 9, len(p.data["heights"]) - 1):
        assert TASK.cell_at(p, geo.cx(k), geo.baseline(geo.row_of(k)) - 1, 512) == (0, k)
    assert TASK.cell_at(p, 2, 2, 512) is None
