"""CryptoMath (MM-HELIX `CryptoMath`): a cryptarithm addition `W1+W2(+W3)=R` over capital letters.

Find digits for the letters so that different letters get different digits, no word starts with 0, and the
decimal sum holds. The official record holds `initial_state = {"equation": "CED+AAD=FBDB"}` and one mapping
as a JSON object; puzzles usually have several valid mappings (spec A5.4), so `verify` checks the rules, never
the stored mapping. It reads `A=1`, `"A": 1`, `A: 1`, `A -> 1`, `A is 1`, `("A", 1)`, any case, separated
by commas, spaces or newlines, and never evaluates the text.

Step mode assigns and clears letters (the env adds undo, restart, submit, answer <mapping>):
- `set X d` (also `assign X d`, `X = d`): give letter X the digit d; rejected if another letter already has
  d, or if X starts a word and d is 0; a letter that already has a digit gets the new one;
- `clear X`: remove X's digit.
The puzzle is solved as soon as every letter has a digit and the sum holds. With feedback="conflicts" the env
lists the rightmost fully assigned column (with all columns right of it assigned) whose digits do not add up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (addends, letters per addend, letters in the result), the official ladder
LADDER: dict[int, tuple[int, int, int]] = {1: (2, 3, 4), 2: (2, 4, 5), 3: (3, 3, 4), 4: (3, 4, 5), 5: (3, 5, 6)}
MAX_DRAWS = 1000
MAX_TRACE_TRIES = 80  # tries listed in a trace; a longer search is summarised, then its winning line replayed
MAX_ANSWER_CHARS = 10_000
UNSET = -1

_EQUATION = re.compile(r"^[A-Z]+(?:\+[A-Z]+)+=[A-Z]+$")
_EQUATION_IN_TEXT = re.compile(r"Equation:\s*([A-Z+=]+)")
_VALUE = r"(\d+(?:\.\d+)?)"
_PAIR = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z])(?![A-Za-z0-9_])[\"'\s]*(?:==|:=|=>|->|→|=|:|＝|：|\bis\b)\s*[\"']?\s*"
                   + _VALUE)
_TUPLE = re.compile(r"\(\s*[\"']?([A-Za-z])[\"']?\s*,\s*[\"']?" + _VALUE + r"[\"']?\s*\)")
_SET = re.compile(r"^(?:set|assign|put|let)?\s*([a-z])\s*(?:=|:|->|to|as|is)?\s*(\d+)$")
_CLEAR = re.compile(r"^(?:clear|unset|erase|remove|delete|reset)\s+([a-z])$")
_DIGIT_KEYS = {**{str(d): d for d in range(10)}, **{f"[{d}]": d for d in range(10)}}
_CLEAR_KEYS = ("backspace", "delete", "space")

BACKGROUND = (248, 249, 250)
ADDEND = (102, 16, 242)
RESULT = (0, 123, 255)
ACCENT = (253, 126, 20)
INK = (52, 58, 64)
FAINT = (225, 228, 234)
MISSING = (150, 150, 150)


# ---- the equation --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Equation:
    """An addition of words: the addends, the result, the letters (A..Z order) and the columns."""

    text: str
    terms: tuple[str, ...]
    result: str
    letters: tuple[str, ...]
    leading: frozenset[str]
    columns: tuple[tuple[tuple[str, ...], str], ...]  # from the right: (addend letters, result letter)

    @property
    def index(self) -> dict[str, int]:
        return {x: i for i, x in enumerate(self.letters)}

    def value(self, word: str, mapping: dict[str, int]) -> int:
        out = 0
        for ch in word:
            out = out * 10 + mapping[ch]
        return out


@lru_cache(maxsize=4096)
def equation(text: str) -> Equation:
    """Parse `W1+W2=R` (capital letters); ValueError if it is not a well-formed addition of at most 10 letters."""
    text = str(text).replace(" ", "").upper()
    if not _EQUATION.match(text):
        raise ValueError(f"not an addition of words: {text[:60]!r}")
    left, result = text.split("=")
    terms = tuple(left.split("+"))
    letters = tuple(sorted(set(left.replace("+", "") + result)))
    if len(letters) > 10:
        raise ValueError(f"{len(letters)} letters but only 10 digits")
    if len(result) < max(map(len, terms)):
        raise ValueError("the result is shorter than an addend, so the sum cannot hold")
    columns = tuple((tuple(t[-1 - i] for t in terms if len(t) > i), result[-1 - i]) for i in range(len(result)))
    leading = frozenset(w[0] for w in (*terms, result) if len(w) > 1)
    return Equation(text, terms, result, letters, leading, columns)


def rule_violations(eq: Equation, mapping: dict[str, int]) -> list[str]:
    """Every broken rule of a complete mapping of the puzzle's letters to whole numbers, in words."""
    out = [f"{x} = {mapping[x]} is not a single digit 0-9" for x in eq.letters if not 0 <= mapping[x] <= 9]
    digits_ok = not out
    owners: dict[int, list[str]] = {}
    for x in eq.letters:
        owners.setdefault(mapping[x], []).append(x)
    for digit, xs in sorted(owners.items()):
        if len(xs) > 1:
            out.append(f"letters {' and '.join(xs)} all have digit {digit}; different letters need different digits")
    for word in (*eq.terms, eq.result):
        if word[0] in eq.leading and mapping[word[0]] == 0:
            out.append(f"{word[0]} starts {word} but is 0; no number may start with 0")
    if digits_ok:
        values = [eq.value(t, mapping) for t in eq.terms]
        total, result = sum(values), eq.value(eq.result, mapping)
        if total != result:
            out.append(f"the sum does not hold: {'+'.join(eq.terms)} reads {' + '.join(map(str, values))} = {total}, "
                       f"but {eq.result} reads {result}")
    return out


def answer_text(eq: Equation, mapping: dict[str, int]) -> str:
    """The canonical answer: `A=1, B=0, C=6` in A..Z order."""
    return ", ".join(f"{x}={mapping[x]}" for x in eq.letters)


def parse_mapping(text: str) -> tuple[dict[str, list[Fraction]], bool]:
    """Every `letter -> value` pair written in the text (upper-cased letter, all values seen for it) and
    whether any pair was found at all. Reads, never evaluates."""
    text = clean_latex(text)
    found: dict[str, list[Fraction]] = {}
    for pattern in (_PAIR, _TUPLE):
        for letter, value in pattern.findall(text):
            values = found.setdefault(letter.upper(), [])
            number = Fraction(value)
            if number not in values:
                values.append(number)
    return found, bool(found)


# ---- the search (solve, solve_moves, solve_trace and the solution count share it) ------------------------
class _Search:
    """Column-by-column depth-first search from the right, as written addition is checked.

    In each column the addend letters without a digit are tried in turn (digits ascending, skipping digits in
    use and 0 for a leading letter); then the result letter is forced: the column sum plus the carry, mod 10.
    A forced digit that is taken, a leading 0, a result letter that already holds another digit, or a carry
    left after the last column is a dead end. With `record`, it writes the trace (listing at most
    MAX_TRACE_TRIES tries, counting the rest); with `find_all`, it counts every solution."""

    def __init__(self, eq: Equation, record: bool = False, find_all: bool = False) -> None:
        self.eq = eq
        self.record = record
        self.find_all = find_all
        self.mapping: dict[str, int] = {}
        self.used = [False] * 10
        self.events: list[TraceEvent] = []
        self.solutions: list[dict[str, int]] = []
        self.tries = 0
        self.hidden = 0
        self.path: list[tuple[str, str | None, str]] = []  # (kind, move, note) of the current line, for replay

    # bookkeeping
    def emit(self, kind: str, move: str | None, note: str) -> None:
        if kind == "try":
            self.tries += 1
        if not self.record:
            return
        if self.hidden or (kind == "try" and self.tries > MAX_TRACE_TRIES):
            self.hidden += kind == "try"
            return
        self.events.append(TraceEvent(kind, move, note, mapping_text(self.eq, self.mapping)))

    def put(self, x: str, d: int) -> None:
        self.mapping[x] = d
        self.used[d] = True

    def take_back(self, x: str) -> None:
        self.used[self.mapping.pop(x)] = False

    def run(self) -> bool:
        """First the leftmost column if the sum sticks out past the addends: its letter is the final carry,
        1 to (addends - 1); then the columns from the right."""
        eq = self.eq
        addends, y = eq.columns[-1]
        if addends or len(eq.columns) < 2:
            return self.column(0, 0)
        top = len(eq.terms) - 1
        why = (f"the leftmost letter {y} of the sum has no addend letters in its column, so it is the carry out of "
               f"the column to its right: at most {top}, and not 0 since it starts the sum")
        if top == 1:
            self.put(y, 1)
            self.path.append(("deduce", f"set {y} 1", f"{why}, so {y} = 1"))
            self.emit("deduce", f"set {y} 1", f"{why}, so {y} = 1")
            return self.column(0, 0)
        for d in range(1, top + 1):
            self.put(y, d)
            self.path.append(("try", f"set {y} {d}", f"{why}: try {y} = {d}"))
            self.emit("try", f"set {y} {d}", f"{why}: try {y} = {d}")
            if self.column(0, 0):
                return True
            self.path.pop()
            self.take_back(y)
            self.emit("backtrack", f"clear {y}", f"{y} = {d} leads nowhere; clear {y} and what followed from it")
        return False

    # the search
    def column(self, i: int, carry: int) -> bool:
        eq = self.eq
        if i == len(eq.columns):
            if carry:
                self.emit("dead_end", None, f"a carry of {carry} is left after the leftmost column, so the sum "
                                            "does not hold")
                return False
            self.solutions.append(dict(self.mapping))
            return not self.find_all
        addends = eq.columns[i][0]
        pending = [x for k, x in enumerate(addends) if x not in self.mapping and x not in addends[:k]]
        return self.fill(i, carry, pending)

    def fill(self, i: int, carry: int, pending: list[str]) -> bool:
        if not pending:
            return self.settle(i, carry)
        x, rest = pending[0], pending[1:]
        for d in range(10):
            if self.used[d] or (d == 0 and x in self.eq.leading):
                continue
            self.put(x, d)
            self.path.append(("try", f"set {x} {d}", f"{_column_name(i)}: try {x} = {d}"))
            self.emit("try", f"set {x} {d}", f"{_column_name(i)}: try {x} = {d}")
            if self.fill(i, carry, rest):
                return True
            self.path.pop()
            self.take_back(x)
            self.emit("backtrack", f"clear {x}", f"{x} = {d} leads nowhere; clear {x} and what followed from it")
        return False

    def settle(self, i: int, carry: int) -> bool:
        """All addend letters of column i have digits: the result letter is forced."""
        addends, y = self.eq.columns[i]
        total = carry + sum(self.mapping[x] for x in addends)
        digit, out = total % 10, total // 10
        shown = " + ".join([*(str(self.mapping[x]) for x in addends), f"carry {carry}"])
        where = f"{_column_name(i)}: {shown} = {total}"
        if y in self.mapping:
            if self.mapping[y] != digit:
                self.emit("dead_end", None, f"{where} ends in {digit}, but {y} is already {self.mapping[y]}; the sum "
                                            "does not hold")
                return False
            note = f"{where}, which ends in {digit} = {y}; carry {out}"
            self.path.append(("deduce", None, note))
            self.emit("deduce", None, note)
            if self.column(i + 1, out):
                return True
            self.path.pop()
            return False
        if self.used[digit]:
            owner = next(x for x, v in self.mapping.items() if v == digit)
            self.emit("dead_end", None, f"{where} needs {y} = {digit}, but {owner} already has {digit}; different "
                                        "letters need different digits")
            return False
        if digit == 0 and y in self.eq.leading:
            self.emit("dead_end", None, f"{where} needs {y} = 0, but {y} starts a number; no number may start "
                                        "with 0")
            return False
        self.put(y, digit)
        note = f"{where}, so {y} = {digit}; carry {out}"
        self.path.append(("deduce", f"set {y} {digit}", note))
        self.emit("deduce", f"set {y} {digit}", note)
        if self.column(i + 1, out):
            return True
        self.path.pop()
        self.take_back(y)
        return False


def _column_name(i: int) -> str:
    return f"column {i + 1} from the right"


def mapping_text(eq: Equation, mapping: dict[str, int]) -> str:
    """`A=8, B=?, C=7`: the letters in order with their digits or `?`."""
    return ", ".join(f"{x}={mapping[x] if x in mapping else '?'}" for x in eq.letters)


@lru_cache(maxsize=4096)
def _solution(text: str) -> tuple[tuple[str, int], ...]:
    """The solver's mapping for an equation (the first one the column search finds), cached."""
    search = _Search(equation(text))
    if not search.run():
        raise ValueError(f"CryptoMath: {text} has no solution")
    return tuple(sorted(search.solutions[0].items()))


def all_solutions(text: str) -> list[dict[str, int]]:
    """Every valid mapping of the equation (the column search, run to the end)."""
    search = _Search(equation(text), find_all=True)
    search.run()
    return search.solutions


def columns_text(eq: Equation) -> str:
    """The addition in columns, right-aligned, as written on paper."""
    width = len(eq.result) + 2
    lines = [eq.terms[0].rjust(width)] + ["+" + t.rjust(width - 1) for t in eq.terms[1:]]
    return "\n".join([*lines, "-" * width, eq.result.rjust(width)])


# ---- the task ------------------------------------------------------------------------------------------
@register_task
class CryptoMath(Task):
    """Cryptarithm addition: find a digit for every letter.

    Step grammar (the env adds undo, restart, submit, answer <mapping>):
      set X d    give letter X the digit d (also `assign X d`, `X = d`); d must not be another letter's digit,
                 and a letter that starts a word cannot be 0
      clear X    remove the digit of letter X
    Solved when every letter has a digit and the addition holds.
    """

    name = "CryptoMath"
    key = "CryptoMath"
    category = "algorithms"
    score_function = "cryptomath_evaluator"
    step_help = (
        "set X d: give letter X the digit d (0-9; also `assign X d`); d must not belong to another letter, and a "
        "letter that starts a number cannot be 0\n"
        "clear X: remove the digit of letter X\n"
        "the puzzle is solved when every letter has a digit and the addition holds"
    )
    answer_help = "the digit of every letter as LETTER=digit pairs separated by commas, e.g. A=5, B=3, C=0"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        count, length, result_length = LADDER[level]
        for _ in range(MAX_DRAWS):
            terms = [int(v) for v in rng.integers(10 ** (length - 1), 10**length, size=count)]
            total = sum(terms)
            if len(str(total)) != result_length:
                continue
            words = [str(v) for v in (*terms, total)]
            digits = sorted(set("".join(words)))
            order = [digits[int(k)] for k in rng.permutation(len(digits))]
            letter_of = {d: chr(ord("A") + k) for k, d in enumerate(order)}
            coded = ["".join(letter_of[ch] for ch in w) for w in words]
            return self.puzzle(level, {"equation": "+".join(coded[:-1]) + "=" + coded[-1]})
        raise RuntimeError(f"CryptoMath: no draw with a {result_length}-digit sum in {MAX_DRAWS} tries")

    # ---- solving ---------------------------------------------------------------------------------------
    def _mapping(self, puzzle: Puzzle) -> dict[str, int]:
        return dict(_solution(puzzle.data["equation"]))

    def solve(self, puzzle: Puzzle) -> str:
        return answer_text(equation(puzzle.data["equation"]), self._mapping(puzzle))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"set {x} {d}" for x, d in sorted(self._mapping(puzzle).items())]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        eq = equation(puzzle.data["equation"])
        lead = ", ".join(sorted(eq.leading))
        search = _Search(eq, record=True)
        search.events.append(TraceEvent("read", None, (
            f"{'+'.join(eq.terms)}={eq.result}: letters {', '.join(eq.letters)} stand for different digits, and "
            f"{lead} start numbers so they are not 0. Add column by column from the right with carries: try digits "
            "for the addend letters of a column; the column sum then fixes the result letter."),
            mapping_text(eq, {})))
        if not search.run():
            raise ValueError(f"CryptoMath: {eq.text} has no solution")
        events = search.events
        mapping = search.solutions[0]
        if search.hidden:  # the listing stopped: summarise, then replay the line that worked
            events.append(TraceEvent("backtrack", "restart", (
                f"{search.hidden} more tries (not listed) until a line worked; back to the start to follow "
                "that line"), mapping_text(eq, {})))
            replay: dict[str, int] = {}
            for kind, move, note in search.path:
                if move:
                    x, d = move.split()[1:]
                    replay[x] = int(d)
                events.append(TraceEvent(kind, move, note, mapping_text(eq, replay)))
        values = [eq.value(t, mapping) for t in eq.terms]
        events.append(TraceEvent("check", None, (
            f"{' + '.join(map(str, values))} = {sum(values)} = {eq.result}; the {len(eq.letters)} letters have "
            "different digits and no number starts with 0.")))
        answer = answer_text(eq, mapping)
        events.append(TraceEvent("answer", answer, "every letter with its digit"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            return self._judge(equation(puzzle.data["equation"]), str(answer))
        except Exception as exc:  # never raise on model text
            return Verdict.wrong(f"could not read the answer ({type(exc).__name__}); expected LETTER=digit pairs")

    @staticmethod
    def _judge(eq: Equation, text: str) -> Verdict:
        if len(text) > MAX_ANSWER_CHARS:
            return Verdict.wrong("the answer is too long; expected LETTER=digit pairs such as A=5, B=3")
        found, any_pair = parse_mapping(text)
        if not any_pair:
            return Verdict.wrong("no LETTER=digit pairs found; expected e.g. A=5, B=3, C=0")
        violations: list[str] = []
        mapping: dict[str, int] = {}
        for x in eq.letters:
            values = found.get(x)
            if not values:
                continue
            if len(values) > 1:
                shown = " and ".join(str(v) if v.denominator == 1 else f"{float(v):g}" for v in values)
                violations.append(f"letter {x} is given more than one value ({shown})")
            elif values[0].denominator != 1:
                violations.append(f"{x} = {float(values[0]):g} is not a whole digit")
            else:
                mapping[x] = int(values[0])
        missing = [x for x in eq.letters if x not in found]
        if missing:
            violations.append(f"no digit given for {'letter' if len(missing) == 1 else 'letters'} "
                              f"{', '.join(missing)}")
        if violations:
            return Verdict.wrong(*violations, parsed=dict(sorted(mapping.items())))
        violations = rule_violations(eq, mapping)
        parsed = answer_text(eq, mapping)
        return Verdict.wrong(*violations, parsed=parsed) if violations else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        eq = equation(puzzle.data["equation"])
        digits = rng.permutation(10)[: len(eq.letters)]
        return answer_text(eq, {x: int(d) for x, d in zip(eq.letters, digits)})

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        eq = equation(puzzle.data["equation"])
        count = len(eq.terms)
        rules = ("Each letter stands for one digit from 0 to 9: the same letter is always the same digit and "
                 "different letters are different digits. The leftmost letter of each number is not 0. Find "
                 "digits for all the letters so that the addition is correct.")
        ask = ("Answer with the digit of every letter as LETTER=digit pairs in alphabetical order, separated by "
               "commas, for example: A=5, B=3, C=0")
        if modality == "image":
            where = (f"The picture shows an addition in columns: {count} numbers aligned on the right above a "
                     "line, and their sum below it. Every digit has been replaced by a capital letter.")
        else:
            where = (f"An addition of {count} numbers in which every digit has been replaced by a capital letter.\n"
                     f"Equation: {eq.text}\nThe same addition in columns:\n{columns_text(eq)}")
        return f"{where}\n{rules}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        return _render(equation(puzzle.data["equation"]), state, size)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return (UNSET,) * len(equation(puzzle.data["equation"]).letters)

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        eq = equation(puzzle.data["equation"])
        command = normalize_command(move)
        clear = _CLEAR.match(command)
        if clear:
            k = self._letter_index(eq, clear.group(1))
            if state[k] == UNSET:
                raise InvalidMove(f"{eq.letters[k]} has no digit to clear")
            return (*state[:k], UNSET, *state[k + 1:])
        match = _SET.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `set X d` (X a letter, d a digit) or "
                              "`clear X`")
        k = self._letter_index(eq, match.group(1))
        x, d = eq.letters[k], int(match.group(2))
        if d > 9:
            raise InvalidMove(f"{d} is not a digit; use 0-9")
        if state[k] == d:
            raise InvalidMove(f"{x} already has digit {d}")
        if d in state:
            raise InvalidMove(f"digit {d} already belongs to {eq.letters[state.index(d)]}; different letters need "
                              "different digits (clear it first)")
        if d == 0 and x in eq.leading:
            raise InvalidMove(f"{x} starts a number, so it cannot be 0")
        return (*state[:k], d, *state[k + 1:])

    @staticmethod
    def _letter_index(eq: Equation, letter: str) -> int:
        k = eq.index.get(letter.upper())
        if k is None:
            raise InvalidMove(f"there is no letter {letter.upper()} in this puzzle (letters: {', '.join(eq.letters)})")
        return k

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        eq = equation(puzzle.data["equation"])
        mapping = _as_mapping(eq, state)
        free = [str(d) for d in range(10) if d not in state]
        words = ["".join(str(mapping[ch]) if ch in mapping else "?" for ch in w) for w in (*eq.terms, eq.result)]
        return (f"{json.dumps({'equation': eq.text})}\nassigned: {mapping_text(eq, mapping)}\n"
                f"with digits: {'+'.join(words[:-1])}={words[-1]}\nunused digits: {', '.join(free) or 'none'}")

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        if UNSET in state:
            return False
        eq = equation(puzzle.data["equation"])
        return not rule_violations(eq, _as_mapping(eq, state))

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        eq = equation(puzzle.data["equation"])
        out = []
        for x, have in zip(eq.letters, state):
            out.extend(f"set {x} {d}" for d in range(10)
                       if d != have and d not in state and not (d == 0 and x in eq.leading))
        return out + [f"clear {x}" for x, have in zip(eq.letters, state) if have != UNSET]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        letters = equation(puzzle.data["equation"]).letters
        return [f"set {x} {d}" for x in letters for d in range(10)] + [f"clear {x}" for x in letters]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        eq = equation(puzzle.data["equation"])
        missing = [x for x, d in zip(eq.letters, state) if d == UNSET]
        if missing:
            raise InvalidMove(f"letters without a digit: {', '.join(missing)}; give every letter a digit first")
        return answer_text(eq, _as_mapping(eq, state))

    def conflicts(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        """The first column from the right whose digits (all known, carry known) do not add up, if any."""
        eq = equation(puzzle.data["equation"])
        mapping = _as_mapping(eq, state)
        carry = 0
        for i, (addends, y) in enumerate(eq.columns):
            if any(x not in mapping for x in (*addends, y)):
                return []
            total = carry + sum(mapping[x] for x in addends)
            if total % 10 != mapping[y]:
                return [f"{_column_name(i)}: the digits add up to {total} (carry included), which does not end in "
                        f"{y} = {mapping[y]}"]
            carry = total // 10
        return [f"a carry of {carry} is left after the leftmost column"] if carry else []

    def step_budget(self, puzzle: Puzzle) -> int:
        return 6 * len(equation(puzzle.data["equation"]).letters) + 20

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        eq = equation(puzzle.data["equation"])
        geo = _Geometry(eq, size)
        c, r = int((x - geo.x0) // geo.cell), int((y - geo.y0) // geo.cell)
        if x < geo.x0 or y < geo.y0 or not (0 <= r < geo.rows and 0 <= c < geo.cols):
            return None
        return (r, c) if geo.letter(r, c) else None

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """A digit key on a letter sets it; backspace, delete or space clears it."""
        eq = equation(puzzle.data["equation"])
        letter = _Geometry(eq, 512).letter(*cell)
        if not letter:
            return None
        key = str(key).lower()
        if key in _DIGIT_KEYS:
            return f"set {letter} {_DIGIT_KEYS[key]}"
        if key in _CLEAR_KEYS and state[eq.index[letter]] != UNSET:
            return f"clear {letter}"
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=json.dumps(self._mapping(puzzle)), difficulty=puzzle.level,
                                initial_state={"equation": puzzle.data["equation"]})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        state = decode_value(record.get("initial_state"))
        text = state.get("equation") if isinstance(state, dict) else None
        if not isinstance(text, str):
            found = _EQUATION_IN_TEXT.search(str(record.get("question_language") or ""))
            text = found.group(1) if found else None
        if not isinstance(text, str):
            raise RecordError(f"{self.name}: no equation in the record")
        try:
            eq = equation(text)
            _solution(eq.text)
        except ValueError as exc:
            raise RecordError(f"{self.name}: {exc}") from exc
        return self.puzzle(self.record_level(record), {"equation": eq.text}, seed=self.record_seed(record))


def _as_mapping(eq: Equation, state: tuple[int, ...]) -> dict[str, int]:
    return {x: d for x, d in zip(eq.letters, state) if d != UNSET}


# ---- drawing -----------------------------------------------------------------------------------------------
class _Geometry:
    """The column layout: one row per addend and one for the result, one column per digit place plus one on
    the left for the `+` signs; a title band on top and a band for the letter table (step mode) below."""

    MARGIN = (0.4, 1.0, 0.4, 1.3)  # left, top, right, bottom, in cells

    def __init__(self, eq: Equation, size: int) -> None:
        self.eq = eq
        self.rows = len(eq.terms) + 1
        self.cols = len(eq.result) + 1
        ml, mt, mr, mb = self.MARGIN
        self.cell = max(8, int(size / max(self.cols + ml + mr, self.rows + mt + mb + 0.3)))
        self.x0, self.y0 = round(ml * self.cell), round(mt * self.cell)
        self.rule_gap = round(0.3 * self.cell)  # extra room around the line above the result
        self.width = size
        self.height = self.y0 + self.rows * self.cell + self.rule_gap + round(mb * self.cell)
        self.x0 = (size - self.cols * self.cell) // 2

    def word(self, r: int) -> str:
        return self.eq.terms[r] if r < len(self.eq.terms) else self.eq.result

    def letter(self, r: int, c: int) -> str | None:
        """The letter drawn at (r, c), or None (a blank cell or the `+` column)."""
        if not (0 <= r < self.rows and 1 <= c < self.cols):
            return None
        word = self.word(r)
        k = c - (self.cols - len(word))
        return word[k] if 0 <= k < len(word) else None

    def box(self, r: int, c: int) -> tuple[int, int, int, int]:
        y = self.y0 + r * self.cell + (self.rule_gap if r == self.rows - 1 else 0)
        x = self.x0 + c * self.cell
        return x, y, x + self.cell, y + self.cell

    def center(self, r: int, c: int) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box(r, c)
        return (x0 + x1) / 2, (y0 + y1) / 2


def _render(eq: Equation, state: tuple[int, ...] | None, size: int) -> Image.Image:
    geo = _Geometry(eq, size)
    image = Image.new("RGB", (geo.width, geo.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    cell = geo.cell
    mapping = _as_mapping(eq, state) if state is not None else {}
    title = "Cryptarithm: each letter is one digit"
    draw.draw_text(pen, (geo.width / 2, geo.y0 * 0.5), title,
                   draw.fit_font_size(title, geo.width * 0.9, geo.y0 * 0.6, round(cell * 0.42)), INK)
    letter_fs = round(cell * (0.5 if state is not None else 0.68))
    digit_fs = round(cell * 0.32)
    for r in range(geo.rows):
        color = RESULT if r == geo.rows - 1 else ADDEND
        for c in range(1, geo.cols):
            letter = geo.letter(r, c)
            if not letter:
                continue
            x0, y0, x1, y1 = geo.box(r, c)
            pen.rounded_rectangle((x0 + 3, y0 + 3, x1 - 3, y1 - 3), radius=max(3, cell // 10), fill=draw.WHITE,
                                  outline=FAINT, width=max(1, cell // 40))
            cx, cy = geo.center(r, c)
            if state is None:
                draw.draw_text(pen, (cx, cy), letter, letter_fs, color)
                continue
            draw.draw_text(pen, (cx, cy - cell * 0.15), letter, letter_fs, color)
            if letter in mapping:
                draw.draw_text(pen, (cx, cy + cell * 0.27), str(mapping[letter]), digit_fs, draw.ENTERED)
        if 0 < r < len(eq.terms):
            draw.draw_text(pen, geo.center(r, 0), "+", round(cell * 0.7), ACCENT)
    rule_y = geo.box(geo.rows - 1, 0)[1] - geo.rule_gap / 2
    pen.line((geo.x0 + round(cell * 0.15), round(rule_y), geo.x0 + geo.cols * cell, round(rule_y)), fill=ACCENT,
             width=max(3, cell // 16))
    if state is not None:
        _letter_table(pen, eq, mapping, geo)
    return image


def _letter_table(pen: ImageDraw.ImageDraw, eq: Equation, mapping: dict[str, int], geo: _Geometry) -> None:
    """The step-mode table under the sum: `A=8  B=?  C=7`, assigned digits in the ENTERED colour."""
    top = geo.box(geo.rows - 1, 0)[3]
    y = (top + geo.height) / 2
    slot = geo.width * 0.92 / len(eq.letters)
    fs = draw.fit_font_size("W=9", slot * 0.85, geo.cell * 0.6, round(geo.cell * 0.38))
    x_start = geo.width * 0.04
    for k, x in enumerate(eq.letters):
        text = f"{x}={mapping[x]}" if x in mapping else f"{x}=?"
        draw.draw_text(pen, (x_start + (k + 0.5) * slot, y), text, fs, draw.ENTERED if x in mapping else MISSING)
