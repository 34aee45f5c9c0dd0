"""TrappingRainWater: two pointers against brute force, lenient verify, `water` step mode judged per column,
records, pictures."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core import draw
from helix_gym.core.env import HelixEnv
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms import trapping_rain_water as trw

TASK = get_task("TrappingRainWater")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = (1, 2, 3, 4, 5)
EXAMPLE = [3, 0, 2, 0, 4, 1, 2]  # the spec's example: 8 units, water [0, 3, 1, 3, 0, 1, 0]


def example():
    return TASK.puzzle(1, {"height": list(EXAMPLE)})


def puzzles(levels=LEVELS, seeds=range(6)):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def brute(height) -> list[int]:
    return [max(0, min(max(height[:i + 1]), max(height[i:])) - height[i]) for i in range(len(height))]


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


def play(puzzle, moves):
    state = TASK.initial_state(puzzle)
    for move in moves:
        state = TASK.apply(puzzle, state, move)
    return state


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "8" and TASK.verify(p, "8").correct
    assert trw.water_per_column(EXAMPLE) == (0, 3, 1, 3, 0, 1, 0)
    assert TASK.solve_moves(p) == ["water 1 3", "water 2 1", "water 3 3", "water 5 1", "submit"]
    state = play(p, TASK.solve_moves(p)[:-1])
    assert state == (0, 3, 1, 3, 0, 1, 0)
    assert TASK.state_answer(p, state) == "water per column: [0, 3, 1, 3, 0, 1, 0]"
    assert TASK.verify(p, TASK.state_answer(p, state)).correct
    assert TASK.conflicts(p, state) == []


def test_trace_walks_two_pointers():
    trace = TASK.solve_trace(example())
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "8"
    steps = [e for e in trace if e.kind == "deduce"]
    assert len(steps) == len(EXAMPLE)
    assert sorted(int(e.move.split()[1]) for e in steps) == list(range(len(EXAMPLE)))
    # bar 6 (2) < bar 0 (3): the right pointer moves first, then column 1 holds 3 - 0 from the left
    assert steps[0].move == "water 6 0" and "highest bar so far on the right" in steps[0].note
    assert any(e.move == "water 1 3" and "3 - 0 = 3" in e.note for e in steps)
    assert "trapped so far: 8" in steps[-1].state_text


@pytest.mark.parametrize("text", ["8", "8.0", "8.", "$8$", "8 units", "water = 8", "\\text{8}", " 8 ",
                                  "8 units of water are trapped.", "16/2", "$8.00$", "8 unit squares", "8 units^2",
                                  "water per column: [0, 3, 1, 3, 0, 1, 0]", "Water per column [0,3,1,3,0,1,0]"])
def test_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["7", "9", "0", "-8", "8.5", "80", "3 + 1 + 3 + 1 = 8", "eight", "", "[8, 8]",
                                  "8 9", "0,8", "−8", "[0, 3, 1, 3, 0, 1, 0]",
                                  "water per column: [0, 3, 1, 3, 0, 1]",
                                  "water per column: [0, 3, 1, 3, 0, 0, 1]",
                                  "water per column: [0, 3, 1, 3, 0, 1, -0.5]",
                                  "water per column: [0, 3, 2, 2, 0, 1, 0]",
                                  "water per column: []"])
def test_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


def test_violations_do_not_reveal_the_total():
    p = example()
    for text in ("7", "9", "20", "3", "0", "7.5", "-2", "water per column: [0, 3, 2, 2, 0, 1, 1]"):
        verdict = TASK.verify(p, text)
        assert not any("8" in v for v in verdict.violations), verdict.violations
    assert "more than 7" in TASK.verify(p, "7").violations[0]
    assert "cannot hold as much as 9" in TASK.verify(p, "9").violations[0]


def test_per_column_answer_with_the_right_total_but_wrong_columns_is_rejected():
    p = example()
    verdict = TASK.verify(p, "water per column: [0, 3, 2, 2, 0, 1, 0]")  # adds up to 8 all the same
    assert not verdict.correct
    assert any("flow" in v for v in verdict.violations)  # column 2's surface (4) is above column 3's (2)


# ---- generator and solver ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_ladder_and_solver_against_brute_force(level):
    low, high = trw.LADDER[level]
    for p in puzzles([level], range(10)):
        h = p.data["height"]
        assert low <= len(h) <= high and all(0 <= x <= 20 for x in h)
        assert list(trw.water_per_column(h)) == brute(h)
        assert TASK.conflicts(p, trw.water_per_column(h)) == []  # the true water rests


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=14))
def test_two_pointers_match_brute_force_on_any_heights(height):
    water = trw.water_per_column(height)
    assert list(water) == brute(height) and trw.flow_conflicts(height, water) == []


def test_generation_is_deterministic_and_checks_levels():
    assert TASK.generate_seeded(4, 5) == TASK.generate_seeded(4, 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)


@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit" and set(moves) <= set(TASK.move_space(p))
        state = play(p, moves[:-1])
        assert not TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        trace = TASK.solve_trace(p)
        assert trace[-1].move == answer
        wet = {e.move for e in trace if e.kind == "deduce" and not e.move.endswith(" 0")}
        assert wet == set(moves[:-1])  # the trace's column steps are the step-mode commands


# ---- soundness and completeness --------------------------------------------------------------------------
def test_every_other_number_is_rejected():
    for p in puzzles(seeds=range(2)):
        best = int(TASK.solve(p))
        for value in itertools.chain(range(-3, 40), range(best - 40, best + 40)):
            if value != best:
                verdict = TASK.verify(p, str(value))
                assert not verdict.correct and verdict.violations, value
        for text in (f"{best}.5", f"{best} {best}", f"{best}, {best + 1}"):
            assert not TASK.verify(p, text).correct, text


def test_every_single_column_edit_is_rejected():
    """Changing any one column's amount of a correct per-column answer breaks it (and is named a conflict)."""
    for p in puzzles(levels=(1, 3, 5), seeds=range(2)):
        truth = list(trw.water_per_column(p.data["height"]))
        top = max(p.data["height"])
        for i, k in itertools.product(range(len(truth)), range(top + 1)):
            if k == truth[i] or p.data["height"][i] + k > top:
                continue
            edited = [*truth[:i], k, *truth[i + 1:]]
            verdict = TASK.verify(p, f"water per column: {edited}")
            assert not verdict.correct and verdict.violations
            state = TASK.apply(p, tuple(truth), f"water {i} {k}")
            assert not TASK.verify(p, TASK.state_answer(p, state)).correct


def test_conflicts_name_water_that_cannot_stay():
    p = example()
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert TASK.conflicts(p, play(p, ["water 0 1"])) == [
        "the water above column 0 would run off the left end",
        "the water above column 0 (surface at 4) would flow right into column 1 (surface at 0)"]
    assert TASK.conflicts(p, play(p, ["water 1..3 2"])) == [
        "the water above column 2 (surface at 4) would flow left into column 1 (surface at 2)",
        "the water above column 2 (surface at 4) would flow right into column 3 (surface at 2)"]
    overfull = play(p, ["water 1 3", "water 2 1", "water 3 3", "water 5 2"])
    assert TASK.conflicts(p, overfull) == [
        "the water above column 5 (surface at 3) would flow right into column 6 (surface at 2)"]


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "1/0", "9" * 400, "nan", "inf", "-", "((((", "\x00", "\\" * 50, None, "{}",
                                     "1e5", "7/0", "1/" + "3" * 400, "9" * 5000, "water per column: [",
                                     "water per column: [a, b]", "water per column: [" + "1," * 400 + "1]",
                                     "water per column: [1, 2] [3]"])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(example(), garbage)
    assert isinstance(verdict.correct, bool) and not verdict.correct and verdict.violations


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)
    assert isinstance(TASK.verify(example(), "water per column: " + text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["height"] == row["initial_state"]["height"]
        assert isinstance(row["answer"], int)
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert TASK.solve(p) == str(row["answer"]) and sum(brute(p.data["height"])) == row["answer"]


def test_official_rows_load_from_text_and_string_state():
    row = official_rows()[0]
    expected = TASK.from_record(row)
    assert TASK.from_record({**row, "initial_state": json.dumps(row["initial_state"])}) == expected
    assert TASK.from_record({**row, "initial_state": str(row["initial_state"])}) == expected
    assert TASK.from_record({k: v for k, v in row.items() if k != "initial_state"}) == expected


@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for seed in range(3):
        p = TASK.generate_seeded(seed, level)
        record = json.loads(json.dumps(TASK.to_record(p)))
        assert record["category"] == "trapping_rain_water" and record["difficulty"] == level
        assert record["answer"] == int(TASK.solve(p)) and isinstance(record["answer"], int)
        assert record["initial_state"] == {"height": p.data["height"]}
        assert TASK.from_record(record) == p and TASK.from_record(record).seed == seed
        unseeded = TASK.generate(np.random.default_rng(seed), level)
        assert TASK.from_record(TASK.to_record(unseeded)) == unseeded


@pytest.mark.parametrize("state", [{"height": []}, {"height": [1, -2]}, {"height": [1, 2.5]},
                                   {"height": [True, 2]}, {"heights": "abc"}, {"height": [1] * 501}])
def test_bad_records_raise_record_error(state):
    with pytest.raises(RecordError):
        TASK.from_record({"category": TASK.key, "initial_state": state, "difficulty": 1})


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move,expected", [("water 1 3", (0, 3, 0, 0, 0, 0, 0)),
                                           ("Water 1 3.", (0, 3, 0, 0, 0, 0, 0)),
                                           ("water 1..3 2", (0, 2, 2, 2, 0, 0, 0)),
                                           ("water 1-3 2", (0, 2, 2, 2, 0, 0, 0)),
                                           ("water 1 to 3 2", (0, 2, 2, 2, 0, 0, 0)),
                                           ("water 5..5 1", (0, 0, 0, 0, 0, 1, 0)),
                                           ("water 0..6 0", (0,) * 7)])
def test_water_spellings(move, expected):
    assert TASK.apply(example(), TASK.initial_state(example()), move) == expected


@pytest.mark.parametrize("move,reason", [("water 7 1", "no column 7"), ("water 3..1 1", "left to right"),
                                         ("water 1 5", "above the tallest bar"), ("water 0..4 1", "column 4"),
                                         ("water 1 -1", "unknown"), ("water 1", "unknown"), ("fill 1 2", "unknown"),
                                         ("", "unknown"), ("water a 1", "unknown"), ("check 1", "unknown")])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    state = play(p, ["water 1 3"])
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason and state == (0, 3, 0, 0, 0, 0, 0)


def test_state_text_and_moves():
    p = example()
    state = play(p, ["water 1 3", "water 1 0", "water 2 1"])
    assert TASK.state_text(p, state) == '{"height": [3, 0, 2, 0, 4, 1, 2]}\nwater per column: [0, 0, 1, 0, 0, 0, 0]'
    space = TASK.move_space(p)
    assert len(space) == sum(5 - x for x in EXAMPLE) + 1 and space[-1] == "submit"
    assert TASK.moves(p, state) == space
    for move in space[:-1]:
        TASK.apply(p, state, move)
    big = TASK.generate_seeded(0, 5)
    assert TASK.moves(big, TASK.initial_state(big)) is None
    assert TASK.step_budget(p) == 3 * 7 + 20


def test_env_submit_judges_every_column():
    record = TASK.to_record(example())
    env = HelixEnv("TrappingRainWater", mode="step", obs="text")
    env.reset(options={"puzzle": record})
    for move in ("water 1 3", "water 2 2", "water 3 2", "water 5 1"):  # total 8, but column 2 is wrong
        _, _, terminated, _, info = env.step(move)
        assert not terminated and not info["invalid"]
    _, reward, terminated, _, info = env.step("submit")
    assert terminated and reward == 0.0
    env.reset(options={"puzzle": record})
    for move in ("water 1..3 1", "water 1 3", "water 3 3", "water 5 1"):
        env.step(move)
    _, reward, terminated, _, _ = env.step("submit")
    assert terminated and reward == 1.0
    env.reset(options={"puzzle": record})
    _, reward, terminated, _, _ = env.step("answer 8 units")
    assert terminated and reward == 1.0


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    p = example()
    for modality in ("image", "text"):
        text = TASK.prompt(p, modality)
        assert set(text) <= ALLOWED and "integer" in text and "boxed" not in text and "water" in text
    assert '{"height": [3, 0, 2, 0, 4, 1, 2]}' in TASK.prompt(p, "text")
    assert "[3, 0" not in TASK.prompt(p, "image")
    assert set(TASK.step_help) <= ALLOWED and set(TASK.answer_help) <= ALLOWED


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_draws_the_water():
    p = example()
    first = TASK.render(p)
    assert first.size == (512, 512) and _png(first) == _png(TASK.render(p))
    state = play(p, ["water 1 3"])
    wet = TASK.render(p, state)
    assert _png(wet) == _png(TASK.render(p, state)) and _png(wet) != _png(TASK.render(p, TASK.initial_state(p)))
    chart = trw.layout(EXAMPLE, 512, step=True)
    x0, y0, x1, y1 = chart.box(1, 3)
    assert wet.getpixel(((x0 + x1) // 2, y0 + 3)) == trw.WATER_FILL
    assert wet.getpixel((x0, (y0 + y1) // 2)) == draw.ENTERED
    ex0, ey0, ex1, ey1 = chart.box(4, 4)
    assert wet.getpixel(((ex0 + ex1) // 2, (ey0 + ey1) // 2)) == trw.BAR_FILL


@pytest.mark.parametrize("level", LEVELS)
def test_labels_fit_in_the_step_picture(level):
    for p in puzzles([level], range(10)):
        h = p.data["height"]
        chart = trw.layout(h, 512, step=True)
        assert chart.font >= 11 and chart.under_font >= 8
        assert all(chart.label_font(str(v)) >= 11 for v in h)
        assert all(draw.text_size(str(v), chart.label_font(str(v)))[0] < chart.slot for v in h)
        last_row = (len(h) - 1) // chart.per_row
        assert chart.under_y(last_row) + chart.under_font / 2 <= 512
        assert chart.under_y(0) - chart.under_font / 2 > chart.index_y(0) + chart.index_font / 2
