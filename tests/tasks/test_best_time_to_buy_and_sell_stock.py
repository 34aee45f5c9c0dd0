"""BestTimeToBuyAndSellStock: ladder, optimal profit, lenient and leak-free verify, trade-ledger step mode,
records, and the wrapped line chart's geometry."""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core import draw
from helix_gym.core.charts import LABEL_PAD
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms import best_time_to_buy_and_sell_stock as bt
from tests.conftest import assert_refused

TASK = get_task("BestTimeToBuyAndSellStock")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = (1, 2, 3, 4, 5)
SEEDS = range(8)
EXAMPLE = [4, 9, 2, 2, 7, 5, 8]  # the spec's example: 5 + 5 + 3 = 13


def example():
    return TASK.puzzle(1, {"prices": list(EXAMPLE)})


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def dp_profit(prices: list[int]) -> int:
    """An independent check: dynamic programming over 'holding' and 'not holding' each day."""
    cash, hold = 0, -(10**9)
    for p in prices:
        cash, hold = max(cash, hold + p), max(hold, cash - p)
    return cash


def brute_profit(prices: list[int]) -> int:
    """Exhaustive: every buy/sell/wait choice per day (tiny inputs only)."""
    best = 0
    for choice in itertools.product((0, 1), repeat=len(prices)):  # 1 = hold the share at the end of the day
        profit, held = 0, 0
        for p, h in zip(prices, choice):
            profit += (held - h) * p
            held = h
        if not held:
            best = max(best, profit)
    return best


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
    assert TASK.solve(p) == "13" and TASK.verify(p, "13").correct
    assert TASK.solve_moves(p) == ["buy 1", "sell 2", "buy 4", "sell 5", "buy 6", "sell 7", "submit"]
    state = play(p, TASK.solve_moves(p)[:-1])
    assert state == (1, 2, 4, 5, 6, 7) and TASK.state_answer(p, state) == "13"
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "13"
    assert [e.move for e in trace if e.kind == "deduce"] == TASK.solve_moves(p)[:-1]
    assert "running total 13" in trace[-3].note


def test_never_rising_prices_give_zero():
    p = TASK.puzzle(1, {"prices": [9, 7, 7, 4, 1]})
    assert TASK.solve(p) == "0" and TASK.solve_moves(p) == ["submit"]
    assert TASK.state_answer(p, TASK.initial_state(p)) == "0"
    assert TASK.verify(p, "0").correct and not TASK.verify(p, "1").correct


@pytest.mark.parametrize("text", ["13", "13.0", "13.", "$13$", "13 units", "profit = 13", "\\text{13}", " 13 ",
                                  "The maximum profit is 13.", "26/2", "$13.00$", "\\$13", "13 dollars"])
def test_example_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["12", "14", "0", "-13", "13.5", "130", "1 3", "13 14", "thirteen", "", "none",
                                  "[13, 13]", "buy 1 sell 2 = 5"])
def test_example_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


# ---- solver and generator -------------------------------------------------------------------------------
def test_solver_matches_dynamic_programming_and_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(300):
        prices = [int(x) for x in rng.integers(1, 12, size=int(rng.integers(1, 9)))]
        assert bt.max_profit(prices) == dp_profit(prices) == brute_profit(prices), prices
    for p in puzzles():
        assert int(TASK.solve(p)) == dp_profit(p.data["prices"])


def test_ladder_sizes_and_values():
    for p in puzzles(seeds=range(20)):
        low, high, top, walk = bt.LADDER[p.level]
        prices = p.data["prices"]
        assert low <= len(prices) <= high and min(prices) >= 1
        assert all(isinstance(x, int) for x in prices)
        if not walk:
            assert max(prices) <= top
        else:  # the walk moves by at most 5 per day, up, or down to no lower than 1, unless a draw is kept
            assert max(prices) <= top + 5 * len(prices)


def test_generation_is_deterministic_and_levels_are_checked():
    assert TASK.generate_seeded(3, 4) == TASK.generate_seeded(3, 4)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


@pytest.mark.parametrize("level", LEVELS)
def test_solvable_in_answer_and_step_mode(level):
    for p in puzzles(levels=(level,)):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit"
        state = play(p, moves[:-1])
        assert TASK.state_answer(p, state) == answer
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        assert not TASK.is_solved(p, state)  # only submit ends a ledger
        trace = TASK.solve_trace(p)
        assert trace[-1].move == answer and TASK.verify(p, trace[-1].move).correct
        assert [e.move for e in trace if e.kind == "deduce"] == moves[:-1]


# ---- verify: soundness, completeness, no leaks ---------------------------------------------------------
def test_every_other_number_is_rejected_and_the_optimum_is_never_told():
    for p in puzzles(levels=(1, 3, 5), seeds=range(3)):
        best = int(TASK.solve(p))
        for value in range(-3, best + 40):
            verdict = TASK.verify(p, str(value))
            assert verdict.correct == (value == best), value
            if value != best:
                text = " ".join(verdict.violations)
                assert not re.search(rf"(?<![\d.]){best}(?![\d.])", text), (value, text)
        for text in (f"{best}.5", f"{best + 0.25}", f"{best * 2}/2"):
            assert TASK.verify(p, text).correct == (text == f"{best * 2}/2"), text


def test_wrong_answers_say_which_way_without_the_number():
    p = example()
    assert "no sequence of trades earns as much as 14" in TASK.verify(p, "14").violations[0]
    assert "some sequence of trades earns more" in TASK.verify(p, "12").violations[0]
    assert "negative" in TASK.verify(p, "-1").violations[0]
    assert "whole number" in TASK.verify(p, "12.5").violations[0]
    assert "exactly one number" in TASK.verify(p, "12 13").violations[0]


@pytest.mark.parametrize("text", ["__import__('os').system('echo hi')", "\\boxed{", "}}}{{{", "1" * 5000, "9" * 400,
                                  "\x00\x01", "NaN", "inf", "-", "1/0", "0/0", "[[[[", "1e308", "€13", None, 13])
def test_verify_never_raises(text):
    verdict = TASK.verify(example(), text)
    assert isinstance(verdict.correct, bool)


# ---- step mode -------------------------------------------------------------------------------------------
def test_ledger_rules():
    p = example()  # 7 days
    state = TASK.apply(p, (), "buy 3")
    assert state == (3,) and TASK.conflicts(p, state)
    state = TASK.apply(p, state, "Sell day 5.")
    assert state == (3, 5) and TASK.conflicts(p, state) == []
    assert TASK.apply(p, state, "buy 5") == (3, 5, 5)  # sell and buy again on the same day
    assert TASK.apply(p, state, "BUY ON DAY 6") == (3, 5, 6)
    assert TASK.state_answer(p, state) == "5"  # 7 - 2
    assert TASK.moves(p, ()) == [f"buy {d}" for d in range(1, 7)] + ["submit"]
    assert TASK.moves(p, (3,)) == [f"sell {d}" for d in range(4, 8)]
    assert TASK.moves(p, (3, 5)) == [f"buy {d}" for d in range(5, 7)] + ["submit"]


def test_losing_trades_are_legal_and_counted():
    p = example()
    state = play(p, ["buy 2", "sell 3"])  # 9 -> 2
    assert TASK.state_answer(p, state) == "-7"
    assert not TASK.verify(p, TASK.state_answer(p, state)).correct


@pytest.mark.parametrize("state, move", [
    ((), "sell 2"), ((), "buy 0"), ((), "buy 8"), ((), "buy 7"), ((), "hold 3"), ((), "buy"), ((), "buy -1"),
    ((), "buy 2 3"), ((), ""), ((2,), "buy 3"), ((2,), "sell 2"), ((2,), "sell 1"), ((2,), "sell 8"),
    ((2, 5), "buy 4"), ((2, 5), "sell 6"), ((), "buy 1.5"),
])
def test_illegal_moves_raise_and_change_nothing(state, move):
    assert assert_refused(TASK, example(), move, state).reason


def test_submit_refused_while_holding():
    p = example()
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, (1,))


def test_move_space_and_budget():
    p = example()
    space = TASK.move_space(p)
    assert len(space) == 2 * 7 + 1 and len(set(space)) == len(space)
    assert set(TASK.solve_moves(p)) <= set(space)
    assert TASK.step_budget(p) >= len(TASK.solve_moves(p))


def test_state_text_shows_the_ledger_not_the_profit():
    p = example()
    text = TASK.state_text(p, (1, 2, 4))
    assert text.splitlines()[0] == json.dumps({"prices": EXAMPLE})
    assert "buy day 1 (price 4), sell day 2 (price 9)" in text and "bought on day 4" in text
    assert "profit" not in text and "5" not in text.split("\n", 1)[1]  # no running profit (9 - 4 = 5)


# ---- records ---------------------------------------------------------------------------------------------
def test_record_round_trip_and_format():
    for p in puzzles(seeds=range(2)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["initial_state"] == {"prices": p.data["prices"]} and record["answer"] == TASK.solve(p)
        assert record["category"] == "BestTimeToBuyAndSellStock" and record["difficulty"] == p.level
        assert TASK.from_record(record) == p


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.data["prices"] == row["initial_state"]["prices"] and p.level == row["difficulty"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        no_state = {k: v for k, v in row.items() if k != "initial_state"}  # prices read from the question
        assert TASK.from_record(no_state) == p
        assert TASK.from_record({**row, "initial_state": json.dumps(row["initial_state"])}) == p
        assert TASK.from_record({**row, "initial_state": str(row["initial_state"])}) == p


@pytest.mark.parametrize("record", [{}, {"initial_state": {"prices": []}}, {"initial_state": {"prices": [1, "a"]}},
                                    {"initial_state": {"prices": [1, -2]}}, {"initial_state": "garbage"},
                                    {"initial_state": {"prices": [True, 2]}}])
def test_bad_records_raise_record_error(record):
    with pytest.raises(RecordError):
        TASK.from_record(record)


# ---- pictures --------------------------------------------------------------------------------------------
def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_shows_the_ledger():
    p = TASK.generate_seeded(5, 4)
    assert png(TASK.render(p)) == png(TASK.render(p))
    state = play(p, TASK.solve_moves(p)[:3])
    assert TASK.render(p, state).size == (512, 512)
    assert TASK.render(p, state).tobytes() != TASK.render(p).tobytes()
    assert TASK.render(p, ()).tobytes() != TASK.render(p).tobytes()  # the step caption replaces the title


@pytest.mark.parametrize("size", [64, 96, 256, 512, 1024])
def test_layout_fits_every_size(size):
    for p in puzzles(seeds=range(3)):
        geo = bt.layout(p.data["prices"], size)
        assert geo.plot_h > 0 and geo.rows <= geo.max_rows == 4
        assert geo.under_y(geo.rows - 1) + geo.under_h / 2 <= size
        assert TASK.render(p, size=size).size == (size, size)


def test_every_price_label_is_readable_and_apart():
    """At 512 px: labels at least 9 px (11 for two digits), narrower than a slot (so neighbours never touch),
    inside their row and off the day numbers; the plot keeps a fair height."""
    for p in puzzles(seeds=range(10)):
        prices = p.data["prices"]
        geo = bt.layout(prices, 512)
        assert geo.plot_h >= 512 * geo.min_plot >= 512 * 0.17 or geo.rows == 1
        for i in range(len(prices)):
            _, y, text, font = geo.label_place(i)
            w, h = draw.text_size(text, font)
            assert font >= (11 if len(text) <= 2 else 9), (p.id, text, font)
            assert w <= geo.slot * 0.95
            assert y + h / 2 + LABEL_PAD <= geo.baseline(geo.row_of(i))  # never on the axis or day numbers
            assert y - h / 2 - LABEL_PAD >= geo.row_top(geo.row_of(i))
        assert geo.index_font >= 8 and draw.text_size(str(len(prices)), geo.index_font)[0] <= geo.slot * 0.95


def test_click_selects_a_day_and_keys_trade_on_it():
    p = TASK.generate_seeded(2, 5)
    geo = bt.layout(p.data["prices"], 512)
    for i in (0, 7, len(p.data["prices"]) - 1):
        row = geo.row_of(i)
        assert TASK.cell_at(p, geo.cx(i), geo.baseline(row) - 2, 512) == (0, i)
        assert TASK.cell_at(p, geo.cx(i), geo.index_y(row), 512) == (0, i)
    assert TASK.cell_at(p, 1, 1, 512) is None
    assert TASK.cell_command(p, (), (0, 4), "b") == "buy 5"
    assert TASK.cell_command(p, (5,), (0, 8), "S") == "sell 9"
    assert TASK.cell_command(p, (), (0, 4), "x") is None
