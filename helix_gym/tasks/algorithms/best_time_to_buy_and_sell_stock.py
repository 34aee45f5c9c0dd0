"""Best Time to Buy and Sell Stock (MM-HELIX `BestTimeToBuyAndSellStock`): the most profit from free trading.

Daily prices are given; any number of buy/sell rounds is allowed while holding at most one share. The
answer is one whole number, the maximum total profit, which is the sum of every day-to-day rise (0 when
the price never rises). The official record holds `initial_state = {"prices": [...]}` and the answer as a
string. The official picture scales its y axis from 0.9 x min to 1.1 x max; ours starts at 0, labels every
point with its price and wraps a long series onto several rows (`SeriesLayout`), so it stays readable at
512 px.

Step mode is a trade ledger; days are numbered from 1. Commands:
    buy D    buy one share on day D (not holding; D is not before the day of the last sale, and D < last day)
    sell D   sell the share held on day D (D after the day it was bought)
    submit   (env) answer with the ledger's total profit; refused while a share is still held
The position is the tuple of ledger days (buy, sell, buy, sell, ...): an odd length means a share is held.
Feedback never states the ledger's profit or whether it is optimal.
"""

from __future__ import annotations

import ast
import json
import math
import re
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import normalize_command, parse_number
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
_LIST = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
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


def decode_state(raw: Any) -> Any:
    """initial_state as the public judge reads it: JSON, else a Python literal (never code), else the text."""
    if not isinstance(raw, str):
        return raw
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return raw


def series_from_record(record: dict[str, Any], field: str) -> list[int] | None:
    """The list `initial_state[field]`, else the first `[a, b, ...]` of the text question."""
    state = decode_state(record.get("initial_state"))
    values = state.get(field) if isinstance(state, dict) else state
    if isinstance(values, list):
        return values
    match = _LIST.search(str(record.get("question_language") or ""))
    return [int(t) for t in re.findall(r"\d+", match.group(1))] if match else None


def is_whole_list(values: Any, minimum: int) -> bool:
    return (isinstance(values, list) and len(values) >= minimum
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values))


def shown_number(value: Fraction) -> str:
    """A parsed number as the verifier quotes it back (never the expected one)."""
    if value.denominator == 1:
        return str(value.numerator) if abs(value.numerator) < 10**15 else "the number given"
    small = abs(value.numerator) < 10**15 and value.denominator < 10**6
    return f"{float(value):.10g}" if small else "the number given"


# ---- a long series drawn as wrapped rows (kit candidate: draw.series_layout) -------------------------------
class SeriesLayout:
    """Where the n slots of a series go on a size x size picture, wrapped into rows like lines of text.

    Top to bottom: a caption band, then per row a band for the value labels, the plot (0 at its bottom, one
    scale for every row, so heights compare across rows), a band for the slot numbers and a band for
    step-mode marks. The row count is the one giving the largest label font while the plot keeps at least
    MIN_PLOT of the picture; the layout depends only on the data, so step-mode pictures keep every slot in
    place and `slot_at` needs no state."""

    MIN_PLOT = 0.17
    MAX_ROWS = 4
    BANDS = (1.4, 1.35, 1.25, 0.45)  # value labels, slot numbers, marks, gap: in units of the label font

    def __init__(self, values: list[int], index_texts: list[str], size: int) -> None:
        self.n, self.size = len(values), size
        self.vmax = max(1, *values) if values else 1
        self.caption_h = round(size * 0.075)
        self.tick_step = _nice_step(self.vmax)
        self.tick_font = max(9, round(size / 46))
        top_tick = str(self.tick_step * (self.vmax // self.tick_step))
        self.left = draw.text_size(top_tick, self.tick_font)[0] + round(size * 0.025)
        self.right = size - round(size * 0.015)
        # the font is fitted to two-digit labels; a rare wider one (100, 125) gets its own smaller size
        widest = max(["00", *index_texts], key=len)
        best = None
        for rows in range(1, self.MAX_ROWS + 1):
            per = math.ceil(max(1, self.n) / rows)
            slot = (self.right - self.left) / per
            row_h = (size - self.caption_h) / rows
            by_width = draw.fit_font_size(widest, slot * 0.85, size, max(10, size // 32))
            by_height = int((row_h - size * self.MIN_PLOT) / sum(self.BANDS))
            font = max(6, min(by_width, by_height))
            if best is None or font > best[0]:
                best = (font, rows, per, slot)
        self.font, self.rows, self.per, self.slot = best
        self.label_h, self.index_h, self.mark_h, self.gap = self._bands(self.font)
        self.row_h = (size - self.caption_h) / self.rows
        self.plot_h = self.row_h - self.label_h - self.index_h - self.mark_h - self.gap
        self.scale = self.plot_h / self.vmax

    @staticmethod
    def _bands(font: float) -> tuple[int, int, int, int]:
        """Heights of the value-label band, the slot-number band, the mark band and the gap below a row."""
        label, index, mark, gap = SeriesLayout.BANDS
        return round(font * label), round(font * index), round(font * mark), round(font * gap)

    def label_font(self, text: str) -> int:
        """The size of one value label: the layout's font, smaller where the text is wider than usual."""
        return draw.fit_font_size(text, self.slot * 0.95, self.size, self.font)

    def row_of(self, i: int) -> int:
        return i // self.per

    def x(self, i: int) -> float:
        return self.left + (i % self.per + 0.5) * self.slot

    def baseline(self, row: int) -> float:
        return self.caption_h + row * self.row_h + self.label_h + self.plot_h

    def y(self, row: int, value: float) -> float:
        return self.baseline(row) - value * self.scale

    def index_y(self, row: int) -> float:
        return self.baseline(row) + self.index_h / 2 + 1

    def mark_y(self, row: int) -> float:
        return self.baseline(row) + self.index_h + self.mark_h / 2

    def row_span(self, row: int) -> tuple[float, float]:
        """Left and right x of the plot area of a row (the last row may hold fewer slots)."""
        count = min(self.per, self.n - row * self.per)
        return self.left, self.left + count * self.slot

    def slot_at(self, x: float, y: float) -> int | None:
        """The slot under pixel (x, y): its column anywhere from its label band down to its mark band."""
        if x < self.left or y < self.caption_h:
            return None
        row = int((y - self.caption_h) // self.row_h)
        col = int((x - self.left) // self.slot)
        i = row * self.per + col
        if row >= self.rows or col >= self.per or i >= self.n:
            return None
        return i

    def axes(self, pen: ImageDraw.ImageDraw) -> None:
        """Per row: faint grid lines at round values with their numbers on the left, and the zero line (no
        vertical axis line: it would run into the first slot's label)."""
        for row in range(self.rows):
            x1 = self.row_span(row)[1]
            for value in range(0, self.vmax + 1, self.tick_step):
                y = round(self.y(row, value))
                pen.line((round(self.left), y, round(x1), y), fill=(225, 225, 225) if value else draw.GRID_LINE,
                         width=1)
                draw.draw_text(pen, (self.left - 4, y), str(value), self.tick_font, draw.GRID_LINE, anchor="rm")

    def index_labels(self, pen: ImageDraw.ImageDraw, texts: list[str]) -> None:
        size = max(8, self.font - 1)
        for i, text in enumerate(texts):
            draw.draw_text(pen, (self.x(i), self.index_y(self.row_of(i))), text, size, draw.GRID_LINE)

    def caption(self, pen: ImageDraw.ImageDraw, text: str, color: draw.Color = draw.BLACK,
                start: int | None = None) -> None:
        start = start or max(12, round(self.size * 0.034))
        size = draw.fit_font_size(text, self.size * 0.96, self.caption_h * 0.8, start)
        draw.draw_text(pen, (self.size / 2, self.caption_h / 2), text, size, color)


def _nice_step(vmax: int) -> int:
    """A round grid step giving two to four lines above zero."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if vmax // step <= 4:
            return step
    return 10 ** len(str(vmax)) // 4


def fit_caption(items: list[str], prefix: str, suffix: str, width: float, size: int, smallest: int = 11
                ) -> tuple[str, int]:
    """`prefix item, item, ... suffix` and a font size: shrunk down to `smallest` first, then dropping the
    oldest items (shown as `...`) while it is still too wide."""
    for skip in range(len(items) + 1):
        shown = (["..."] if skip else []) + items[skip:]
        text = f"{prefix}{', '.join(shown)}{suffix}"
        for font in range(size, smallest - 1, -1) if not skip else (smallest,):
            if draw.text_size(text, font)[0] <= width:
                return text, font
    return f"{prefix}...{suffix}", smallest


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
        day = _layout(prices, size).slot_at(x, y)
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
        prices = series_from_record(record, "prices")
        if not is_whole_list(prices, 1):
            raise RecordError(f"{self.name}: expected a list of whole-number prices, got {str(prices)[:80]}")
        seed = record.get("seed")
        return self.puzzle(self.record_level(record), {"prices": list(prices)},
                           seed=None if seed is None else int(seed))


# ---- drawing -----------------------------------------------------------------------------------------------
def _layout(prices: list[int], size: int) -> SeriesLayout:
    return SeriesLayout(prices, [str(d) for d in range(1, len(prices) + 1)], size)


def _render(prices: list[int], state: tuple[int, ...] | None, size: int) -> Image.Image:
    geo = _layout(prices, size)
    image = Image.new("RGB", (size, size), draw.WHITE)
    pen = ImageDraw.Draw(image)
    geo.axes(pen)
    points = [(geo.x(i), geo.y(geo.row_of(i), p)) for i, p in enumerate(prices)]
    line_w = max(2, round(geo.slot / 12))
    if state:
        _held_halo(pen, geo, prices, state, line_w * 4)
    _polyline(pen, geo, prices, points, line_w)
    radius = marker_radius(geo)
    marked = set(state or ())
    for i, (x, y) in enumerate(points):
        r = radius * 1.5 if i + 1 in marked else radius
        color = draw.ENTERED if i + 1 in marked else LINE
        pen.ellipse((round(x - r), round(y - r), round(x + r), round(y + r)), fill=color, outline=draw.WHITE)
    for i in range(len(prices)):
        x, y, text, font = price_label(geo, prices, i)
        draw.draw_label(pen, (x, y), text, font, fill=draw.BLACK, box=draw.WHITE, outline=draw.WHITE, pad=LABEL_PAD)
    geo.index_labels(pen, [str(d) for d in range(1, len(prices) + 1)])
    if state is None:
        geo.caption(pen, "Stock price per day (day numbers under the axis)")
    else:
        _ledger_marks(pen, geo, state)
        trades = [f"{b}-{s}" for b, s in zip(state[::2], state[1::2])]
        suffix = f"; holding since day {state[-1]}" if len(state) % 2 else "; holding nothing"
        font = max(12, round(size * 0.034))
        text, font = fit_caption(trades or ["none"], "trades (buy-sell days): ", suffix, size * 0.96, font)
        geo.caption(pen, text, draw.ENTERED, font)
    return image


def _polyline(pen: ImageDraw.ImageDraw, geo: SeriesLayout, prices: list[int], points: list[tuple[float, float]],
              width: int) -> None:
    """The price line, row by row; at a row break, half a segment leaves the row and half enters the next."""
    for i in range(len(prices) - 1):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        row, nxt = geo.row_of(i), geo.row_of(i + 1)
        if row == nxt:
            pen.line((round(x0), round(y0), round(x1), round(y1)), fill=LINE, width=width)
            continue
        half = geo.slot / 2
        out_y = (y0 + geo.y(row, prices[i + 1])) / 2
        in_y = (y1 + geo.y(nxt, prices[i])) / 2
        pen.line((round(x0), round(y0), round(x0 + half), round(out_y)), fill=LINE, width=width)
        pen.line((round(x1 - half), round(in_y), round(x1), round(y1)), fill=LINE, width=width)


def _held_halo(pen: ImageDraw.ImageDraw, geo: SeriesLayout, prices: list[int], state: tuple[int, ...],
               width: int) -> None:
    """A wide pale band under the line on the days a share is held (bought to sold)."""
    for b, s in zip(state[::2], state[1::2]):
        for i in range(b - 1, s - 1):
            if geo.row_of(i) == geo.row_of(i + 1):
                row = geo.row_of(i)
                pen.line((round(geo.x(i)), round(geo.y(row, prices[i])), round(geo.x(i + 1)),
                          round(geo.y(row, prices[i + 1]))), fill=HELD, width=width)


LABEL_PAD = 2


def marker_radius(geo: SeriesLayout) -> float:
    return max(2.5, min(geo.slot * 0.13, geo.size / 80))


def price_label(geo: SeriesLayout, prices: list[int], i: int) -> tuple[float, float, str, int]:
    """(x, y, text, font) of a price label: above its point, or below it at a valley when there is room
    above the axis (a label under a valley clears the line, which leaves the point upwards)."""
    text = str(prices[i])
    font = geo.label_font(text)
    h = draw.text_size(text, font)[1]
    x, y = geo.x(i), geo.y(geo.row_of(i), prices[i])
    offset = marker_radius(geo) + 2 + LABEL_PAD + h / 2
    neighbours = [prices[k] for k in (i - 1, i + 1) if 0 <= k < len(prices)]
    valley = bool(neighbours) and all(prices[i] < v for v in neighbours)
    room = y + offset + h / 2 + LABEL_PAD <= geo.baseline(geo.row_of(i)) - 1
    return x, (y + offset if valley and room else y - offset), text, font


def _ledger_marks(pen: ImageDraw.ImageDraw, geo: SeriesLayout, state: tuple[int, ...]) -> None:
    """`B` under each buy day and `S` under each sell day (`SB` when a day has both), in the ENTERED colour."""
    marks: dict[int, str] = {}
    for k, day in enumerate(state):
        marks[day] = marks.get(day, "") + ("B" if k % 2 == 0 else "S")
    for day, text in marks.items():
        i = day - 1
        size = draw.fit_font_size(text, geo.slot * 0.95, geo.mark_h, geo.font)
        draw.draw_text(pen, (geo.x(i), geo.mark_y(geo.row_of(i))), text, size, draw.ENTERED)
