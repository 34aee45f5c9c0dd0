"""Best Time to Buy and Sell Stock (MM-HELIX `BestTimeToBuyAndSellStock`): the most profit from free trading.

Daily prices are given; any number of buy/sell rounds is allowed while holding at most one share. The
answer is one whole number, the maximum total profit, which is the sum of every day-to-day rise (0 when
the price never rises). The official record holds `initial_state = {"prices": [...]}` and the answer as a
string. The official picture scales its y axis from 0.9 x min to 1.1 x max; ours starts at 0, labels every
point with its price and wraps a long series onto several rows (`core.charts`), so it stays readable at
512 px.

Step mode is a trade ledger; days are numbered from 1. Commands:
    buy D    buy one share on day D (not holding; D is not before the day of the last sale, and D < last day)
    sell D   sell the share held on day D (D after the day it was bought)
    submit   (env) answer with the ledger's total profit; refused while a share is still held
The position is the tuple of ledger days (buy, sell, buy, sell, ...): an odd length means a share is held.
Feedback never states the ledger's profit or whether it is optimal.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart, fit_caption
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest days, most days, highest i.i.d. price, random-walk overwrite)
LADDER: dict[int, tuple[int, int, int, bool]] = {
    1: (5, 10, 20, False),
    2: (10, 20, 40, False),
    3: (20, 30, 60, True),
    4: (30, 50, 80, True),
    5: (50, 70, 100, True),
}
UP_PROB, DOWN_PROB, STEP_MAX = 0.3, 0.6, 5  # spec A2.3: the walk that overwrites the draws at L3-5
_COMMAND = re.compile(r"^(buy|sell)(?: on)?(?: day)? ?(\d+)$")
LINE = draw.PALETTE[0]
HELD = (190, 215, 250)  # the halo under the days a share is held in step mode


# ---- the algorithm -----------------------------------------------------------------------------------
def max_profit(prices: list[int]) -> int:
    """Sum of the positive day-to-day changes: holding through every rise and never through a fall."""
    return sum(max(0, b - a) for a, b in pairwise(prices))


def rising_runs(prices: list[int]) -> list[tuple[int, int]]:
    """The maximal runs of strictly rising prices, as 0-based (first, last) day pairs: the optimal trades."""
    runs, i, n = [], 0, len(prices)
    while i < n - 1:
        if prices[i + 1] > prices[i]:
            start = i
            while i < n - 1 and prices[i + 1] > prices[i]:
                i += 1
            runs.append((start, i))
        else:
            i += 1
    return runs


def ledger_profit(prices: list[int], ledger: tuple[int, ...]) -> int:
    """Profit of the closed trades of a ledger of 1-based days (buy, sell, buy, sell, ...)."""
    return sum(prices[s - 1] - prices[b - 1] for b, s in zip(ledger[::2], ledger[1::2]))


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class BestTimeToBuyAndSellStock(Task):
    """Maximum profit from unlimited trades, one share at a time.

    Step grammar (days 1..n): `buy D`, `sell D`; the env adds `undo`, `restart`, `submit` (the ledger's
    profit as the answer; refused while holding) and `answer P`."""

    name = "BestTimeToBuyAndSellStock"
    key = "BestTimeToBuyAndSellStock"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "buy D: buy one share on day D (only when holding none, D not before your last sale day, D before the "
        "last day)\n"
        "sell D: sell the share you hold on day D (D after the day you bought it)\n"
        "submit: answer with the total profit of your trades (sell any share you hold first)"
    )
    answer_help = "one whole number: the maximum total profit (0 if no trade makes money)"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        low, high, top, walk = LADDER[level]
        n = int(rng.integers(low, high + 1))
        prices = [int(p) for p in rng.integers(1, top + 1, size=n)]
        if walk:
            for i in range(1, n):
                if rng.random() < UP_PROB:
                    prices[i] = prices[i - 1] + int(rng.integers(1, STEP_MAX + 1))
                elif rng.random() < DOWN_PROB:
                    prices[i] = max(1, prices[i - 1] - int(rng.integers(1, STEP_MAX + 1)))
        return self.puzzle(level, {"prices": prices})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(max_profit(puzzle.data["prices"]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        moves = []
        for first, last in rising_runs(puzzle.data["prices"]):
            moves += [f"buy {first + 1}", f"sell {last + 1}"]
        return [*moves, "submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        prices = puzzle.data["prices"]
        events = [TraceEvent("read", note=(
            f"{len(prices)} daily prices; trade freely, holding at most one share. Every day-to-day rise can be "
            "collected by holding the share through it, and holding through a fall only loses, so buy at the "
            "start of each rising run, sell at its top, and add up the rises."),
            state_text=json.dumps({"prices": prices}))]
        ledger: tuple[int, ...] = ()
        total = 0
        for first, last in rising_runs(prices):
            before = f"after falling or staying flat from {prices[first - 1]} on day {first}" if first else "on day 1"
            ledger = (*ledger, first + 1)
            events.append(TraceEvent("deduce", f"buy {first + 1}", (
                f"Day {first + 1} (price {prices[first]}, {before}) starts a rise: the price goes up to "
                f"{prices[first + 1]} on day {first + 2}, so buy on day {first + 1}."),
                self.state_text(puzzle, ledger)))
            steps = [f"+{b - a}" for a, b in pairwise(prices[first:last + 1])]
            gain = prices[last] - prices[first]
            total += gain
            end = ("it is the last day" if last == len(prices) - 1 else
                   f"the price does not rise on day {last + 2} ({prices[last + 1]})")
            ledger = (*ledger, last + 1)
            events.append(TraceEvent("deduce", f"sell {last + 1}", (
                f"The price rises every day from day {first + 1} to day {last + 1} "
                f"({' -> '.join(map(str, prices[first:last + 1]))}, {' '.join(steps)}) and {end}, so sell on "
                f"day {last + 1}: gain {prices[last]} - {prices[first]} = {gain}; running total {total}."),
                self.state_text(puzzle, ledger)))
        events.append(TraceEvent("check", note=(
            f"The day-to-day rises add up to {max_profit(prices)} = {total}: every rise is held and no fall is, "
            "so no other set of trades earns more.")))
        events.append(TraceEvent("answer", str(total), f"The maximum profit is {total}."))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(puzzle, parse_number(str(answer)))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one number, the maximum total profit")

    def _judge(self, puzzle: Puzzle, value: Fraction | None) -> Verdict:
        """Compare the number with the optimum and say what is wrong without telling the optimum."""
        if value is None:
            return Verdict.wrong("expected exactly one number, the maximum total profit")
        best = max_profit(puzzle.data["prices"])
        shown = shown_number(value)
        if value == best:
            return Verdict.ok(parsed=best)
        if value.denominator != 1:
            return Verdict.wrong(f"{shown} is not a whole number, but every price is a whole number", parsed=shown)
        if value < 0:
            return Verdict.wrong(f"{shown} is negative, but not trading at all already gives a profit of 0",
                                 parsed=int(value))
        if value > best:
            return Verdict.wrong(f"no sequence of trades earns as much as {shown}", parsed=int(value))
        return Verdict.wrong(f"{shown} is not the maximum: some sequence of trades earns more", parsed=int(value))

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        swing = sum(abs(b - a) for a, b in pairwise(puzzle.data["prices"]))
        return str(int(rng.integers(0, swing + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        prices = puzzle.data["prices"]
        rules = (
            "A stock's price is recorded once a day. You may trade as often as you like, but you can hold at most "
            "one share at a time: buy one share on some day, sell it on a later day, and only then buy again "
            "(selling and buying again on the same day is allowed). Your profit is the total of sell prices minus "
            "buy prices. What is the largest total profit you can make? If no trade can make money, the answer "
            "is 0.")
        if modality == "image":
            state = ("The picture is a line chart of the daily price: the days run from left to right, numbered "
                     "under the axis, and wrap onto the next row like text; every point is labelled with its "
                     "price, and the vertical axis starts at 0.")
        else:
            state = ("The prices are given below as a JSON object: its list \"prices\" holds one whole number per "
                     f"day, in order from day 1 to day {len(prices)}.\n" + json.dumps({"prices": prices}))
        return (f"{rules}\n{state}\nAnswer with a single whole number, the maximum total profit.")

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        return _render(puzzle.data["prices"], state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        match = _COMMAND.match(command)
        n = len(puzzle.data["prices"])
        if match is None:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `buy D` or `sell D` with a day D from 1 to "
                              f"{n}, or `submit`")
        word, day = match.group(1), int(match.group(2))
        if not 1 <= day <= n:
            raise InvalidMove(f"there is no day {day}; the days are 1 to {n}")
        holding = len(state) % 2 == 1
        if word == "buy":
            if holding:
                raise InvalidMove(f"you already hold the share bought on day {state[-1]}; sell it first")
            if state and day < state[-1]:
                raise InvalidMove(f"day {day} is before your last sale on day {state[-1]}; trades go forward in time")
            if day == n:
                raise InvalidMove(f"day {n} is the last day: a share bought then could never be sold")
        else:
            if not holding:
                raise InvalidMove("you hold no share to sell; buy one first")
            if day <= state[-1]:
                raise InvalidMove(f"the share was bought on day {state[-1]}; sell it on a later day")
        return (*state, day)

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        prices = puzzle.data["prices"]
        trades = [f"  buy day {b} (price {prices[b - 1]}), sell day {s} (price {prices[s - 1]})"
                  for b, s in zip(state[::2], state[1::2])]
        held = (f"a share bought on day {state[-1]} (price {prices[state[-1] - 1]})" if len(state) % 2 else
                "no share")
        lines = [json.dumps({"prices": prices}), "trades:" if trades else "trades: none yet", *trades,
                 f"holding: {held}"]
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # a ledger ends by `submit`: ending it by itself would tell that it is optimal

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        n = len(puzzle.data["prices"])
        if len(state) % 2:
            return [f"sell {d}" for d in range(state[-1] + 1, n + 1)]
        first = state[-1] if state else 1
        return [*(f"buy {d}" for d in range(first, n)), "submit"]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        days = range(1, len(puzzle.data["prices"]) + 1)
        return [*(f"buy {d}" for d in days), *(f"sell {d}" for d in days), "submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        if len(state) % 2:
            raise InvalidMove(f"you still hold the share bought on day {state[-1]}; sell it (or undo the buy) "
                              "before submitting")
        return str(ledger_profit(puzzle.data["prices"], state))

    def conflicts(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        if len(state) % 2:
            return [f"a share bought on day {state[-1]} is still held; submit needs every share sold"]
        return []

    def step_budget(self, puzzle: Puzzle) -> int:
        return 2 * len(puzzle.data["prices"]) + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        prices = puzzle.data["prices"]
        day = layout(prices, size).index_at(x, y)
        return None if day is None else (0, day)

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """`b` on a selected day buys on it, `s` sells on it."""
        word = {"b": "buy", "s": "sell"}.get(key.lower())
        return f"{word} {cell[1] + 1}" if word else None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,  # an int, as the official rows
                                initial_state={"prices": list(puzzle.data["prices"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        prices = int_list_from_record(record, "prices", self.name)
        return self.puzzle(self.record_level(record), {"prices": list(prices)}, seed=self.record_seed(record))


# ---- drawing -----------------------------------------------------------------------------------------------
def layout(prices: list[int], size: int) -> SeriesChart:
    """Points on a value scale, days numbered from 1, a line under the days for the step-mode B/S marks."""
    return SeriesChart(prices, size, points=True, captions=1, under=1, ticks=True, max_rows=4, min_plot=0.17,
                       index_texts=[str(d) for d in range(1, len(prices) + 1)])


def _render(prices: list[int], state: tuple[int, ...] | None, size: int) -> Image.Image:
    chart = layout(prices, size)
    image, pen = chart.canvas()
    chart.axes(pen)
    line_w = max(2, round(chart.slot / 12))
    for b, s in zip(state[::2], state[1::2]) if state else ():  # a wide pale band on the days a share is held
        chart.line(pen, range(b - 1, s), HELD, line_w * 4)
    chart.line(pen, range(len(prices)), LINE, line_w)
    marked = {day - 1 for day in state or ()}
    chart.markers(pen, LINE, draw.WHITE, fills=dict.fromkeys(marked, draw.ENTERED), enlarged=marked)
    chart.value_labels(pen, box=draw.WHITE)
    chart.index_labels(pen)
    if state is None:
        chart.caption(pen, 0, "Stock price per day (day numbers under the axis)")
        return image
    marks: dict[int, str] = {}  # `B` under each buy day and `S` under each sell day (`SB`: both)
    for k, day in enumerate(state):
        marks[day - 1] = marks.get(day - 1, "") + ("B" if k % 2 == 0 else "S")
    chart.under_labels(pen, marks)
    trades = [f"{b}-{s}" for b, s in zip(state[::2], state[1::2])]
    suffix = f"; holding since day {state[-1]}" if len(state) % 2 else "; holding nothing"
    text, font = fit_caption(trades or ["none"], "trades (buy-sell days): ", suffix, size * 0.95,
                             max(10, round(size * 0.036)))
    chart.caption(pen, 0, text, draw.ENTERED, font)
    return image
