"""LargestRectangleInHistogram: stack solver against brute force, lenient verify, `rect` step mode, records,
pictures."""

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
from helix_gym.tasks.algorithms import largest_rectangle_in_histogram as lrh

TASK = get_task("LargestRectangleInHistogram")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = (1, 2, 3, 4, 5)
EXAMPLE = [3, 6, 5, 7, 2, 4]  # the spec's example: bars 1-3 at height 5, area 15


def example():
    return TASK.puzzle(1, {"heights": list(EXAMPLE)})


def puzzles(levels=LEVELS, seeds=range(6)):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def brute(heights) -> int:
    return max((b - a + 1) * min(heights[a:b + 1]) for a in range(len(heights)) for b in range(a, len(heights)))


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instances --------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "15" and TASK.verify(p, "15").correct
    assert TASK.solve_moves(p) == ["rect 1 3", "submit"]
    state = TASK.apply(p, TASK.initial_state(p), "rect 1 3")
    assert state == (1, 3) and TASK.state_answer(p, state) == "15"
    classic = TASK.puzzle(1, {"heights": [2, 1, 5, 6, 2, 3]})
    assert TASK.solve(classic) == "10" and TASK.solve_moves(classic)[0] == "rect 2 3"


def test_trace_pops_every_bar_and_ends_with_the_answer():
    p = example()
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "15"
    pops = [e for e in trace if e.kind == "deduce"]
    assert [e.move for e in pops] == ["pop 1", "pop 3", "pop 2", "pop 0", "pop 5", "pop 4"]
    assert "spans bars 1 to 3: 3 × 5 = 15" in pops[2].note
    assert trace[-2].kind == "check" and trace[-2].move == "rect 1 3"


def test_equal_heights_are_not_pushed_twice():
    p = TASK.puzzle(1, {"heights": [4, 4, 4, 1]})
    pops = [e for e in TASK.solve_trace(p) if e.kind == "deduce"]
    assert len(pops) == 2 and "spans bars 0 to 2: 3 × 4 = 12" in pops[0].note
    assert TASK.solve(p) == "12"


@pytest.mark.parametrize("text", ["15", "15.0", "15.", "$15$", "15 units", "area = 15", "\\text{15}", " 15 ",
                                  "The largest rectangle has area 15.", "30/2", "$15.00$", "15 square units",
                                  "15 units^2", "$15\\text{ units}^{2}$", "15,"])
def test_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["14", "16", "0", "-15", "15.5", "150", "5×3", "3 × 5 = 15", "fifteen", "",
                                  "[15, 15]", "15 16", "1,5", "−15", "15^2", "15,5"])
def test_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


def test_violations_do_not_reveal_the_area():
    p = example()
    for text in ("14", "16", "20", "3", "0", "7.5", "-2"):
        verdict = TASK.verify(p, text)
        assert not any("15" in v for v in verdict.violations), verdict.violations
    assert "bigger rectangle" in TASK.verify(p, "12").violations[0]
    assert "as large as 16" in TASK.verify(p, "16").violations[0]


# ---- generator and solver ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_ladder_and_solver_against_brute_force(level):
    low, high, top = lrh.LADDER[level]
    for p in puzzles([level], range(10)):
        h = p.data["heights"]
        assert low <= len(h) <= high and all(1 <= x <= top for x in h)
        area, left, right = lrh.largest_rectangle(h)
        assert area == brute(h) == (right - left + 1) * min(h[left:right + 1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=14))
def test_stack_matches_brute_force_on_any_heights(heights):
    area, left, right = lrh.largest_rectangle(heights)
    assert area == brute(heights) == (right - left + 1) * min(heights[left:right + 1])


def test_generation_is_deterministic_and_checks_levels():
    assert TASK.generate_seeded(4, 5) == TASK.generate_seeded(4, 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        state = TASK.initial_state(p)
        for move in moves[:-1]:
            state = TASK.apply(p, state, move)
            assert not TASK.is_solved(p, state)
        assert moves[-1] == "submit" and TASK.state_answer(p, state) == answer
        trace = TASK.solve_trace(p)
        assert trace[-1].move == answer
        assert sum(e.kind == "deduce" for e in trace) == _pushed(p.data["heights"])  # every push is popped once


def _pushed(heights) -> int:
    """How many bars the strictly increasing stack pushes (each is popped exactly once)."""
    stack, count = [], 0
    for x in heights:
        while stack and stack[-1] > x:
            stack.pop()
        if not (stack and stack[-1] == x):
            stack.append(x)
            count += 1
    return count


# ---- soundness and completeness --------------------------------------------------------------------------
def test_every_other_number_is_rejected():
    for p in puzzles(seeds=range(2)):
        best = int(TASK.solve(p))
        for value in itertools.chain(range(-3, 60), range(best - 40, best + 40)):
            if value != best:
                verdict = TASK.verify(p, str(value))
                assert not verdict.correct and verdict.violations, value
        for text in (f"{best}.5", f"{best} {best}", f"{best}, {best + 1}", f"{best + 0.25}"):
            assert not TASK.verify(p, text).correct, text


def test_every_rectangle_submitted_scores_by_its_area():
    """Step mode: submitting any rectangle is right exactly when its area is the largest one."""
    for p in puzzles(levels=(1, 2), seeds=range(3)):
        h = p.data["heights"]
        best = brute(h)
        for left, right in itertools.combinations_with_replacement(range(len(h)), 2):
            state = TASK.apply(p, TASK.initial_state(p), f"rect {left} {right}")
            verdict = TASK.verify(p, TASK.state_answer(p, state))
            assert verdict.correct == ((right - left + 1) * min(h[left:right + 1]) == best)


def test_ties_any_largest_rectangle_is_accepted():
    p = TASK.puzzle(1, {"heights": [4, 1, 2, 2, 1, 4]})  # areas 4 at bars 0, 2-3, 5; 6 at 0-5
    for move in ("rect 0 5",):
        assert TASK.verify(p, TASK.state_answer(p, TASK.apply(p, (), move))).correct
    q = TASK.puzzle(1, {"heights": [5, 1, 5]})
    for move in ("rect 0 0", "rect 2 2"):
        assert TASK.verify(q, TASK.state_answer(q, TASK.apply(q, (), move))).correct


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "1/0", "9" * 400, "nan", "inf", "-", "((((", "\x00", "\\" * 50, None, "{}",
                                     "1e5", "NaN/0", "\\frac{}{}", "7/0", "9" * 400 + ".5", "1/" + "3" * 400,
                                     "9" * 5000])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(example(), garbage)
    assert isinstance(verdict.correct, bool) and not verdict.correct and verdict.violations


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["heights"] == row["initial_state"]["heights"]
        assert isinstance(row["answer"], int)
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert TASK.solve(p) == str(row["answer"]) and brute(p.data["heights"]) == row["answer"]


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
        assert record["category"] == "LargestRectangleInHistogram" and record["difficulty"] == level
        assert record["answer"] == int(TASK.solve(p)) and isinstance(record["answer"], int)
        assert record["initial_state"] == {"heights": p.data["heights"]}
        assert TASK.from_record(record) == p and TASK.from_record(record).seed == seed
        unseeded = TASK.generate(np.random.default_rng(seed), level)
        assert TASK.from_record(TASK.to_record(unseeded)) == unseeded


@pytest.mark.parametrize("state", [{"heights": []}, {"heights": [1, -2]}, {"heights": [1, 2.5]},
                                   {"heights": [True, 2]}, {"heights": "abc"}, {"heights": [1] * 501}])
def test_bad_records_raise_record_error(state):
    with pytest.raises(RecordError):
        TASK.from_record({"category": TASK.key, "initial_state": state, "difficulty": 1})


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move", ["rect 1 3", "Rect 1 3.", "rect 1..3", "rect 1-3", "rectangle (1, 3)",
                                  "rect 1 to 3", "`rect 1 3`"])
def test_rect_spellings(move):
    assert TASK.apply(example(), (), move) == (1, 3)


@pytest.mark.parametrize("move,reason", [("rect 3 1", "must not come after"), ("rect 0 6", "no bar 6"),
                                         ("rect 1", "unknown"), ("rect -1 2", "unknown"), ("pick 1 3", "unknown"),
                                         ("", "unknown"), ("rect a b", "unknown"), ("area 1 3", "unknown")])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    state = TASK.apply(p, (), "rect 0 1")
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason and state == (0, 1)


def test_submit_needs_a_rectangle_and_state_text_hides_the_area():
    p = example()
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, ())
    assert "none yet" in TASK.state_text(p, ())
    state = TASK.apply(p, TASK.apply(p, (), "rect 0 5"), "rect 1 3")  # a new choice replaces the old one
    text = TASK.state_text(p, state)
    assert text == '{"heights": [3, 6, 5, 7, 2, 4]}\nchosen rectangle: bars 1 to 3' and "15" not in text
    assert TASK.conflicts(p, state) == [] and not TASK.is_solved(p, state)


def test_moves_and_move_space():
    p = example()
    space = TASK.move_space(p)
    assert len(space) == 21 + 1 and space[-1] == "submit" and len(set(space)) == len(space)
    assert TASK.moves(p, ()) == space[:-1] and TASK.moves(p, (1, 3)) == space
    for move in space[:-1]:
        TASK.apply(p, (), move)
    big = TASK.generate_seeded(0, 5)
    assert TASK.moves(big, ()) is None and set(TASK.solve_moves(big)) <= set(TASK.move_space(big))


def test_env_submit_and_answer():
    env = HelixEnv("LargestRectangleInHistogram", mode="step", obs="text")
    env.reset(options={"puzzle": TASK.to_record(example())})
    obs, reward, terminated, _, info = env.step("submit")
    assert info["invalid"] and not terminated
    env.step("rect 0 5")
    assert "12" not in obs["text"].split("Current position:")[-1]
    _, reward, terminated, _, info = env.step("submit")  # 6 × 2 = 12: a rectangle, not the largest
    assert terminated and reward == 0.0 and "bigger rectangle" in info["verdict"]["violations"][0]
    env.reset(options={"puzzle": TASK.to_record(example())})
    _, reward, terminated, _, _ = env.step("answer $15$")
    assert terminated and reward == 1.0


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    p = example()
    for modality in ("image", "text"):
        text = TASK.prompt(p, modality)
        assert set(text) <= ALLOWED and "integer" in text and "boxed" not in text and "area" in text
    assert '{"heights": [3, 6, 5, 7, 2, 4]}' in TASK.prompt(p, "text")
    assert "[3, 6" not in TASK.prompt(p, "image")
    assert set(TASK.step_help) <= ALLOWED and set(TASK.answer_help) <= ALLOWED


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_shows_the_choice():
    p = TASK.generate_seeded(3, 5)
    first = TASK.render(p)
    assert first.size == (512, 512) and _png(first) == _png(TASK.render(p))
    state = TASK.apply(p, (), TASK.solve_moves(p)[0])
    chosen = TASK.render(p, state)
    assert _png(chosen) != _png(first) and _png(TASK.render(p, ())) != _png(first)
    chart = lrh.layout(p.data["heights"], 512)
    left, right = state
    x0, y0, x1, y1 = chart.box(left, lrh.rect_height(p.data["heights"], left, right))
    assert chosen.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) in (lrh.RECT_FILL, draw.ENTERED)
    assert chosen.getpixel((x0 + 1, (y0 + y1) // 2)) == draw.ENTERED


@pytest.mark.parametrize("level", LEVELS)
def test_labels_are_legible_and_do_not_collide(level):
    """Every height label fits its bar's slot at a font of at least 11 px; bars are to scale from zero."""
    for p in puzzles([level], range(20)):
        h = p.data["heights"]
        chart = lrh.layout(h, 512)
        assert chart.font >= 11 and chart.index_font >= 8
        for v in h:
            assert chart.label_font(str(v)) >= 11 and draw.text_size(str(v), chart.label_font(str(v)))[0] < chart.slot
        for i, v in enumerate(h):
            _, y0, _, y1 = chart.box(i, v)
            assert y1 == round(chart.baseline(i // chart.per_row))
            assert abs((y1 - y0) - v * chart.scale) <= 1
            assert y0 - chart.label_font(str(v)) * 1.2 > chart.band + (i // chart.per_row) * chart.row_h - 1
        last_row = (len(h) - 1) // chart.per_row
        assert chart.index_y(last_row) + chart.index_font / 2 <= 512


def test_rectangle_across_panels_is_drawn_on_each():
    p = TASK.puzzle(5, {"heights": [50] * 60})
    chart = lrh.layout(p.data["heights"], 512)
    assert chart.rows >= 2
    image = TASK.render(p, (0, 59))
    for row in range(chart.rows):
        i = row * chart.per_row
        x0, y0, _, y1 = chart.box(i, 50)
        assert image.getpixel((x0 + 1, (y0 + y1) // 2)) == draw.ENTERED
