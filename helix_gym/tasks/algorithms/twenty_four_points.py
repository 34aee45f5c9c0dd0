"""24 Points (MM-HELIX `24Points`): combine four whole numbers with + - × ÷ and brackets to make exactly 24.

The official record holds `initial_state = {"numbers": [a, b, c, d]}` (sorted ascending) and one expression
as the answer (`6 ÷ (1 - 3 ÷ 4)`); many expressions are right, so `verify` checks the rules with the exact
parser of `helix_gym.core.arith` (never `eval`): each number used once as a whole token, only binary
operators, value exactly 24 as a fraction. The public judge's holes (`**`, `//`, `1.5` gluing 1 and 5,
unary minus; spec A1.6) are closed.

Step mode: the position is the list of cards, each `(label, numerator, denominator, expression, top
operator)`; the given numbers are #1..#4 in ascending order and each `combine #i <op> #j` replaces two
cards with a new one labelled #5, #6, #7.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import arith
from helix_gym.core.draw import ENTERED, GRID_LINE, draw_text, fit_font_size, tiles
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import normalize_command, parse_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

TARGET = Fraction(24)
# level -> (lowest, highest, distinct)
LADDER = {1: (1, 9, False), 2: (1, 13, False), 3: (1, 20, False), 4: (1, 20, True), 5: (3, 25, True)}
MAX_DRAWS = 1000
MAX_ANSWER_CHARS = 2000
MAX_TRACE_TRIES = 60  # tries listed in a trace; the rest of a long search is summarised in one note
STEP_BUDGET = 30
TITLE = "24 POINTS"

Card = tuple[int, int, int, str, str]  # label, numerator, denominator, expression, top operator ("" = number)
_COMMAND = re.compile(
    r"^(?:combine\s*)?#?\s*(\d+)\s*(\+|-|\*|/|×|÷|x|−|–|plus|minus|times|divided by|div)\s*#?\s*(\d+)$"
)
_OP_OF = {"+": "+", "plus": "+", "-": "-", "−": "-", "–": "-", "minus": "-", "*": "*", "×": "*", "x": "*",
          "times": "*", "/": "/", "÷": "/", "div": "/", "divided by": "/"}
_GLYPH = {"+": "+", "-": "-", "*": "×", "/": "÷"}
_EQUALS = re.compile(r"[=＝]")


# ---- exact arithmetic on cards ------------------------------------------------------------------------
def _value(card: Card) -> Fraction:
    return Fraction(card[1], card[2])


def _op(a: Fraction, op: str, b: Fraction) -> Fraction:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


def _join(x: Card, op: str, y: Card) -> str:
    """The expression of `x op y`, with brackets only where the value needs them."""
    left = f"({x[3]})" if arith.needs_brackets(x[4] or None, op, "left") else x[3]
    right = f"({y[3]})" if arith.needs_brackets(y[4] or None, op, "right") else y[3]
    return f"{left} {_GLYPH[op]} {right}"


def _combine(cards: tuple[Card, ...], x: Card, op: str, y: Card) -> tuple[Card, ...]:
    """The cards after replacing x and y by `x op y` (labelled one above the newest label so far)."""
    value = _op(_value(x), op, _value(y))
    label = max(c[0] for c in cards) + 1
    rest = tuple(c for c in cards if c[0] not in (x[0], y[0]))
    return (*rest, (label, value.numerator, value.denominator, _join(x, op, y), op))


def _initial_cards(numbers: list[int]) -> tuple[Card, ...]:
    return tuple((i + 1, n, 1, str(n), "") for i, n in enumerate(numbers))


def _card_text(card: Card) -> str:
    return f"#{card[0]} = {arith.fraction_text(_value(card))}"


def _candidates(a: Card, b: Card) -> list[tuple[Card, str, Card, Fraction]]:
    """The ways to combine two cards, in the solver's order, skipping a result value already listed:
    sum, product, larger minus smaller, larger over smaller, then the negative and the inverse."""
    va, vb = _value(a), _value(b)
    big, small = (a, b) if va >= vb else (b, a)
    order = ((a, "+", b), (a, "*", b), (big, "-", small), (big, "/", small), (small, "-", big), (small, "/", big))
    out, seen = [], set()
    for x, op, y in order:
        if op == "/" and y[1] == 0:
            continue
        result = _op(_value(x), op, _value(y))
        if result not in seen:
            seen.add(result)
            out.append((x, op, y, result))
    return out


def _pair_results(a: Fraction, b: Fraction) -> set[Fraction]:
    out = {a + b, a - b, b - a, a * b}
    if b:
        out.add(a / b)
    if a:
        out.add(b / a)
    return out


@lru_cache(maxsize=1 << 16)
def _reachable(values: tuple[Fraction, ...]) -> bool:
    """Whether the (sorted) values can be combined into exactly 24: the generator's solvability test."""
    if len(values) == 1:
        return values[0] == TARGET
    if len(values) == 2:
        return TARGET in _pair_results(*values)
    for i, j in combinations(range(len(values)), 2):
        rest = values[:i] + values[i + 1:j] + values[j + 1:]
        for r in _pair_results(values[i], values[j]):
            if _reachable(tuple(sorted((*rest, r)))):
                return True
    return False


def solvable(numbers: list[int]) -> bool:
    return _reachable(tuple(sorted(Fraction(n) for n in numbers)))


# ---- the depth-first search (solve, solve_moves and solve_trace share it) ------------------------------
class _Search:
    """Depth-first search over combines, in a fixed order, remembering card sets already shown to fail.

    With `record`, it writes the trace: each try, each dead end (with the reason) and each backtrack; after
    MAX_TRACE_TRIES listed tries it keeps searching but only counts the tries."""

    def __init__(self, numbers: list[int], record: bool = False) -> None:
        self.numbers = list(numbers)
        self.record = record
        self.events: list[TraceEvent] = []
        self.tries = 0  # tries made so far
        self.listed = 0  # tries written so far
        self.hidden = 0  # tries made after the listing stopped
        self.failed: set[tuple[Fraction, ...]] = set()

    def emit(self, kind: str, move: str | None, note: str, cards: tuple[Card, ...] | None) -> None:
        self.tries += kind == "try"
        if not self.record:
            return
        if self.hidden or (kind == "try" and self.listed >= MAX_TRACE_TRIES):
            self.hidden += kind == "try"
            return
        self.listed += kind == "try"
        self.events.append(TraceEvent(kind, move, note, _cards_text(self.numbers, cards) if cards else None))

    def run(self) -> list[tuple[str, tuple[Card, ...], int]] | None:
        """The solution as (move, cards after it, number of the try) triples, or None when there is none."""
        return self.node(_initial_cards(self.numbers))

    def node(self, cards: tuple[Card, ...]) -> list[tuple[str, tuple[Card, ...], int]] | None:
        if len(cards) == 1:
            return [] if _value(cards[0]) == TARGET else None
        if len(cards) == 2:
            return self.last_pair(cards)
        seen_pairs = set()
        for i, j in combinations(range(len(cards)), 2):
            pair = tuple(sorted((_value(cards[i]), _value(cards[j]))))
            if pair in seen_pairs:  # the same two values again: the same choice
                continue
            seen_pairs.add(pair)
            for x, op, y, result in _candidates(cards[i], cards[j]):
                move = f"combine #{x[0]} {op} #{y[0]}"
                after = _combine(cards, x, op, y)
                new = after[-1]
                self.emit("try", move, f"#{new[0]} = #{x[0]} {_GLYPH[op]} #{y[0]} = "
                                       f"{arith.fraction_text(result)}", after)
                number = self.tries
                key = tuple(sorted(_value(c) for c in after))
                if key in self.failed:
                    values = ", ".join(arith.fraction_text(v) for v in key)
                    self.emit("dead_end", None, f"the cards {values} were already shown not to reach 24", after)
                else:
                    rest = self.node(after)
                    if rest is not None:
                        return [(move, after, number), *rest]
                    self.failed.add(key)
                self.emit("backtrack", "undo", f"undo {move}", cards)
        if len(cards) < len(self.numbers):
            self.emit("dead_end", None, f"no way to combine {', '.join(map(_card_text, cards))} into 24", cards)
        return None

    def last_pair(self, cards: tuple[Card, ...]) -> list[tuple[str, tuple[Card, ...], int]] | None:
        a, b = cards
        for x, op, y, result in _candidates(a, b):
            if result == TARGET:
                move = f"combine #{x[0]} {op} #{y[0]}"
                after = _combine(cards, x, op, y)
                self.emit("try", move, f"#{after[-1][0]} = #{x[0]} {_GLYPH[op]} #{y[0]} = 24", after)
                return [(move, after, self.tries)]
        self.emit("dead_end", None, f"{_card_text(a)} and {_card_text(b)} cannot make 24", cards)
        return None


@lru_cache(maxsize=4096)
def _solution(numbers: tuple[int, ...]) -> tuple[tuple[str, ...], str]:
    """The solver's moves and final expression for `numbers` (cached: solve, solve_moves, to_record)."""
    path = _Search(list(numbers)).run()
    if path is None:
        raise ValueError(f"24 Points: {list(numbers)} cannot make 24")
    return tuple(step[0] for step in path), path[-1][1][-1][3]


def _cards_text(numbers: list[int], cards: tuple[Card, ...]) -> str:
    """The step-mode position: the official initial_state, then the cards left, one per line."""
    lines = [json.dumps({"numbers": list(numbers)}), "cards:"]
    for card in cards:
        made = f"   (made as {card[3]})" if card[4] else ""
        lines.append(f"  {_card_text(card)}{made}")
    return "\n".join(lines)


def _times(k: int) -> str:
    return {0: "0 times", 1: "once", 2: "twice"}.get(k, f"{k} times")


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class TwentyFourPoints(Task):
    name = "TwentyFourPoints"
    key = "24Points"
    category = "algorithms"
    score_function = "24points_evaluator"
    step_help = (
        "combine #i <op> #j: replace cards #i and #j by the card #i <op> #j, with <op> one of + - × ÷ "
        "(or * /); results are labelled #5, #6, #7\n"
        "the puzzle is solved when a single card worth exactly 24 is left"
    )
    answer_help = "an expression using every number once with + - × ÷ and brackets, e.g. (10 - 4) × (5 - 1)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        low, high, distinct = LADDER[level]
        for _ in range(MAX_DRAWS):
            if distinct:
                numbers = rng.choice(np.arange(low, high + 1), size=4, replace=False)
            else:
                numbers = rng.integers(low, high + 1, size=4)
            numbers = sorted(int(n) for n in numbers)
            if solvable(numbers):
                return self.puzzle(level, {"numbers": numbers})
        raise RuntimeError(f"24 Points: no solvable draw in {MAX_DRAWS} tries at level {level}")

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return _solution(tuple(puzzle.data["numbers"]))[1]

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return list(_solution(tuple(puzzle.data["numbers"]))[0])

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        numbers = puzzle.data["numbers"]
        start = _initial_cards(numbers)
        search = _Search(numbers, record=True)
        search.events.append(TraceEvent(
            "read", None, f"cards {', '.join(map(_card_text, start))}; combine two cards at a time until one "
                          "card is left, and it must be worth exactly 24", _cards_text(numbers, start)))
        path = search.run()
        if path is None:
            raise ValueError(f"24 Points: {numbers} cannot make 24")
        events = search.events
        if search.hidden:  # the listing stopped: summarise, then replay the winning line
            failed = search.hidden - sum(number > search.listed for _, _, number in path)
            events.append(TraceEvent(
                "backtrack", "restart", f"{failed} more tries ended in dead ends (not "
                                        "listed) before a line that works; back to the start to follow it",
                _cards_text(numbers, start)))
            for move, after, _ in path:
                new = after[-1]
                events.append(TraceEvent("try", move, f"#{new[0]} = {new[3]} = {arith.fraction_text(_value(new))}",
                                         _cards_text(numbers, after)))
        answer = path[-1][1][-1][3]
        events.append(TraceEvent("check", None, f"{answer} uses {', '.join(map(str, numbers))} once each and "
                                                "equals exactly 24"))
        events.append(TraceEvent("answer", answer, "the expression of the last card"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._verify(puzzle.data["numbers"], answer)
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"could not read the answer: {type(exc).__name__}")

    def _verify(self, numbers: list[int], answer: str) -> Verdict:
        text = arith.normalize(str(answer))
        if len(text) > MAX_ANSWER_CHARS:
            return Verdict.wrong("the answer is too long for an expression of four numbers")
        parts = [p.strip() for p in _EQUALS.split(text)]
        while len(parts) > 1 and not parts[-1]:  # a dangling "=" at the end
            parts.pop()
        if len(parts) > 1 and parts[0] == "24":  # "24 = expression"
            parts = parts[1:]
        try:
            node = arith.parse(parts[0])
        except arith.ArithError as exc:
            return Verdict.wrong(f"not a valid expression: {exc}")
        shown = arith.to_text(node)
        violations = self._count_violations(numbers, arith.literals(node))
        try:
            value = arith.evaluate(node)
            if value != TARGET:
                violations.append(f"evaluates to {arith.fraction_text(value)}, not 24")
        except arith.ArithError as exc:
            violations.append(f"divides by zero ({exc})")
        for claim in parts[1:]:
            violations.extend(self._claim_violations(claim))
        return Verdict.wrong(*violations, parsed=shown) if violations else Verdict.ok(shown)

    @staticmethod
    def _count_violations(numbers: list[int], used_list: list[int]) -> list[str]:
        """Each card used exactly once, and nothing else: the multisets must be equal."""
        given, used = Counter(numbers), Counter(used_list)
        cards = ", ".join(map(str, numbers))
        out = []
        for n in sorted(set(given) | set(used)):
            if n not in given:
                out.append(f"uses {n} which is not one of the cards ({cards})")
            elif used[n] == 0 and given[n] == 1:
                out.append(f"does not use {n}")
            elif used[n] != given[n]:
                out.append(f"number {n} used {_times(used[n])} but given {_times(given[n])}")
        return out

    @staticmethod
    def _claim_violations(claim: str) -> list[str]:
        """A part after `=` must itself be worth 24 (`8 ÷ (3 - 8 ÷ 3) = 8 ÷ 1/3 = 24`)."""
        try:
            value: Fraction | None = arith.evaluate(arith.parse(claim))
        except arith.ArithError:
            value = parse_number(claim)
        if value is None:
            return [f"the part after '=' ({claim[:40]}) is not a number or expression"]
        if value != TARGET:
            return [f"states a result of {claim[:40]}, which is not 24"]
        return []

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        nodes: list[arith.Node] = [arith.Num(int(n)) for n in puzzle.data["numbers"]]
        while len(nodes) > 1:
            i, j = (int(k) for k in rng.choice(len(nodes), size=2, replace=False))
            op = arith.OPS[int(rng.integers(4))]
            merged = arith.BinOp(op, nodes[i], nodes[j])
            nodes = [n for k, n in enumerate(nodes) if k not in (i, j)] + [merged]
        return arith.to_text(nodes[0])

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        numbers = puzzle.data["numbers"]
        count = len(numbers)
        where = (f"The picture shows {count} cards with a number on each." if modality == "image" else
                 f"There are {count} cards with a number on each; the numbers are {json.dumps({'numbers': numbers})}.")
        return (
            f"Make 24 from {count} numbers. {where}\n"
            "Rules: use every number exactly once, each as a whole number (never join digits into a bigger "
            "number), and combine them only with + (plus), - (minus), × (times), ÷ (divided by) and "
            "parentheses. Every operator stands between two operands: no minus sign in front of a number, no "
            "powers, no decimals, no other numbers. Fractions along the way are fine, but the final value must "
            "be exactly 24.\n"
            "Answer with the expression alone, written with the numbers, + - × ÷ and parentheses, "
            "for example: (10 - 4) × (5 - 1)"
        )

    def render(self, puzzle: Puzzle, state: tuple[Card, ...] | None = None, size: int = 512) -> Image.Image:
        if state is None:
            return tiles([str(n) for n in puzzle.data["numbers"]], size=size, title=TITLE)
        given = len(puzzle.data["numbers"])
        texts = [arith.fraction_text(_value(c)) for c in state]
        solved = self.is_solved(puzzle, state)
        # results are drawn over blank cards in the ENTERED colour; given numbers by the kit in ink
        image = tiles([t if c[0] <= given else "" for t, c in zip(texts, state)], size=size, title=TITLE,
                      highlight=(0,) if solved else ())
        draw = ImageDraw.Draw(image)
        for (x0, y0, w, h), card, text in zip(_tile_boxes(len(state), size), state, texts):
            if card[0] > given:
                fs = fit_font_size(text, w * 0.85, h * 0.6, int(h * 0.45))
                draw_text(draw, (x0 + w / 2, y0 + h / 2), text, fs, ENTERED)
            label_size = max(12, min(int(size / 18), int(w * 0.3)))
            draw_text(draw, (x0 + w / 2, y0 - label_size * 0.9), f"#{card[0]}", label_size,
                      ENTERED if card[0] > given else GRID_LINE)
        return image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[Card, ...]:
        return _initial_cards(puzzle.data["numbers"])

    def apply(self, puzzle: Puzzle, state: tuple[Card, ...], move: str) -> tuple[Card, ...]:
        command = normalize_command(move)
        match = _COMMAND.match(command)
        labels = ", ".join(f"#{c[0]}" for c in state)
        if not match:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `combine #i <op> #j` with <op> one of "
                              f"+ - × ÷ (cards now: {labels})")
        li, op, lj = int(match.group(1)), _OP_OF[match.group(2)], int(match.group(3))
        by_label = {c[0]: c for c in state}
        for label in (li, lj):
            if label not in by_label:
                raise InvalidMove(f"there is no card #{label} now (cards now: {labels})")
        if li == lj:
            raise InvalidMove(f"card #{li} cannot be combined with itself")
        if op == "/" and by_label[lj][1] == 0:
            raise InvalidMove(f"division by zero: card #{lj} is 0")
        return _combine(state, by_label[li], op, by_label[lj])

    def state_text(self, puzzle: Puzzle, state: tuple[Card, ...]) -> str:
        return _cards_text(puzzle.data["numbers"], state)

    def is_solved(self, puzzle: Puzzle, state: tuple[Card, ...]) -> bool:
        return len(state) == 1 and _value(state[0]) == TARGET

    def moves(self, puzzle: Puzzle, state: tuple[Card, ...]) -> list[str]:
        return [f"combine #{a[0]} {op} #{b[0]}" for a in state for b in state if a[0] != b[0]
                for op in arith.OPS if not (op == "/" and b[1] == 0)]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        labels = range(1, 2 * len(puzzle.data["numbers"]))
        return [f"combine #{i} {op} #{j}" for i in labels for j in labels if i != j for op in arith.OPS]

    def state_answer(self, puzzle: Puzzle, state: tuple[Card, ...]) -> str:
        if len(state) != 1:
            raise InvalidMove(f"{len(state)} cards are left; combine them into one card first")
        return state[0][3]

    def conflicts(self, puzzle: Puzzle, state: tuple[Card, ...]) -> list[str]:
        if len(state) == 1 and _value(state[0]) != TARGET:
            return [f"the last card is {arith.fraction_text(_value(state[0]))}, not 24; undo to try another way"]
        return []

    def step_budget(self, puzzle: Puzzle) -> int:
        return STEP_BUDGET

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,
                                initial_state={"numbers": list(puzzle.data["numbers"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        numbers = sorted(int_list_from_record(record, "numbers", "24 Points", min_len=4, max_len=4, low=1))
        if not solvable(numbers):
            raise RecordError(f"24 Points: {numbers} cannot make 24")
        return self.puzzle(self.record_level(record), {"numbers": numbers}, seed=self.record_seed(record))


def _tile_boxes(count: int, size: int) -> list[tuple[float, float, float, float]]:
    """(x0, y0, width, height) of each card as the kit's `tiles` places `count` cards in one titled row."""
    top = size * 0.14
    slot_w = size / count
    slot_h = min(size - top - size * 0.04, slot_w * 1.5)
    y_start = top + ((size - top - size * 0.04) - slot_h) / 2
    w, h = slot_w * 0.8, slot_h * 0.85
    return [(c * slot_w + (slot_w - w) / 2, y_start + (slot_h - h) / 2, w, h) for c in range(count)]
