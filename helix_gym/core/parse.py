"""Lenient parsing of what a model writes: numbers, lists, grids, move words. Never evaluates code."""

from __future__ import annotations

import re
from fractions import Fraction

_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname)\s*\{([^{}]*)\}")
_LATEX_SYMBOLS = {
    r"\times": "×",
    r"\cdot": "×",
    r"\div": "÷",
    r"\left": "",
    r"\right": "",
    r"\,": " ",
    r"\;": " ",
    r"\!": "",
    r"\quad": " ",
    r"\to": "->",
    r"\rightarrow": "->",
    r"\{": "{",
    r"\}": "}",
}
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_UNIT_POWER = re.compile(r"(?<=[A-Za-z])\s*\^\s*\{?\d+\}?")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:/\d+)?")
_INT = re.compile(r"[-+]?\d+")
_DASH_MINUS = re.compile(r"[−–](?=\d)")  # a typographic minus or an en dash right before a digit
_MOVE_SPLIT = re.compile(r"->|→|[\s,;/|>\-\[\](){}\"'`.:]+")
DIRECTIONS = ("up", "down", "left", "right")
# every spelling of a direction word that move answers accept, mapped to the word
DIRECTION_WORDS: dict[str, str] = {**{d: d for d in DIRECTIONS}, "u": "up", "d": "down", "l": "left", "r": "right"}


def clean_latex(text: str) -> str:
    """Drop LaTeX wrappers a model may put around an answer: `$`, `\\text{}`, `\\left(`, `\\times`..."""
    text = _LATEX_TEXT.sub(lambda m: m.group(1), text)
    for src in sorted(_LATEX_SYMBOLS, key=len, reverse=True):
        text = text.replace(src, _LATEX_SYMBOLS[src])
    changed = 1
    while changed:  # innermost fractions first, so nested ones unwind completely
        text, changed = _FRAC.subn(r"(\1)/(\2)", text)
    return text.replace("$", "").strip()


def parse_number(text: str) -> Fraction | None:
    """The single number in `text` (`7`, `7.0`, `$7$`, `\\boxed{7}`-content, `7 units`, `= 7`), exactly.

    Returns None when there is no number or more than one (an ambiguous answer is not guessed at)."""
    text = _DASH_MINUS.sub("-", clean_latex(str(text)))
    text = _THOUSANDS.sub("", text)  # 1,234 -> 1234; a list or decimal comma (1,5) stays two numbers
    text = _UNIT_POWER.sub("", text)  # units^2 names a unit, not a number
    found = _NUMBER.findall(text)
    if len(found) != 1:
        return None
    token = found[0]
    try:
        return Fraction(token)
    except (ValueError, ZeroDivisionError):
        return None


def parse_ints(text: str) -> list[int]:
    """All integers in `text`, in order (brackets, commas, newlines and labels are ignored)."""
    return [int(t) for t in _INT.findall(clean_latex(str(text)))]


def parse_digit_grid(text: str, rows: int, cols: int, allow_blank: str = "") -> list[list[int]] | None:
    """A rows x cols grid of integers written in any common notation.

    Accepts rows of space- or comma-separated numbers, nested lists, one flat run of rows*cols numbers, and
    rows of adjacent single digits (`534678912`). Returns None when the count does not fit."""
    text = clean_latex(str(text))
    text = re.sub(r"(?im)^\s*row\s*\d+\s*[:=]", " ", text)
    numbers = [int(t) for t in re.findall(r"\d+", text)]
    if len(numbers) == rows * cols:
        return [numbers[r * cols:(r + 1) * cols] for r in range(rows)]
    # rows written as runs of digits: split every long token into its digits
    digits = [int(ch) for tok in re.findall(r"\d+", text) for ch in tok]
    if len(digits) == rows * cols:
        return [digits[r * cols:(r + 1) * cols] for r in range(rows)]
    return None


def normalize_command(text: str) -> str:
    """Lower-case, collapse whitespace, strip surrounding quotes/punctuation/backticks."""
    text = clean_latex(str(text)).strip().strip("`'\"").strip()
    text = text.strip(" .;!")
    return re.sub(r"\s+", " ", text).lower()


def shown_number(value: Fraction) -> str:
    """A parsed number as a verdict quotes it back: `12`, `7.5`, `0.3333333333`; a huge or odd one is not
    spelled out (`the number given`)."""
    if value.denominator == 1:
        return str(value.numerator) if abs(value.numerator) < 10**15 else "the number given"
    small = abs(value.numerator) < 10**15 and value.denominator < 10**6
    return f"{float(value):.10g}" if small else "the number given"


def move_tokens(text: str) -> list[str]:
    """The lower-case tokens of a move answer, split at spaces, commas, arrows, brackets, quotes or newlines."""
    return [t for t in _MOVE_SPLIT.split(clean_latex(str(text)).lower()) if t]


def parse_moves(text: str, vocabulary: dict[str, str]) -> list[str]:
    """A sequence of move words (any case, separated by spaces, commas, arrows or newlines), canonicalised.

    `vocabulary` maps every accepted spelling to its canonical word (`"u": "up"`). Raises
    ValueError(`unknown move 'x'`) naming the first token not in it: a typo is an error, never a dropped move.
    Run-together one-letter moves (`llu`) are not split either (prose would turn into moves); the error says so."""
    out = []
    for token in move_tokens(text):
        word = vocabulary.get(token)
        if word is None:
            if len(token) > 1 and all(ch in vocabulary for ch in token):
                example = " ".join(vocabulary[ch] for ch in token[:4])
                raise ValueError(f"unknown move {token[:30]!r}: write each move as a separate word, e.g. `{example}` "
                                 "(run-together letters are not read)")
            raise ValueError(f"unknown move {token[:30]!r}")
        out.append(word)
    return out


def parse_words(text: str, vocabulary: dict[str, str]) -> list[str] | None:
    """`parse_moves`, but None instead of an error for a token outside the vocabulary."""
    try:
        return parse_moves(text, vocabulary)
    except ValueError:
        return None


_NO_FIRST = re.compile(r"^\W*(?:(?:final\s+)?answer\s*(?:is\s*)?[:=]?\s*)?(?:no|none)\b", re.I)
NO_PHRASE = re.compile(r"\b(?:there is no|there's no|there are no|no such|does not exist|doesn't exist|do not exist|"
                       r"cannot exist|can't exist|is impossible|impossible|not possible|does not have|doesn't have|"
                       r"has no)\b", re.I)
_YES_WORD = re.compile(r"\byes\b", re.I)


def says_no(text: str) -> bool:
    """Whether an answer to "give X, or No if none exists" says No: `No`, `no.`, `None`, `Answer: No`,
    `No, there is none`, or a no-phrase ("There is no Eulerian path") with no node numbers and no yes."""
    text = clean_latex(str(text)).strip()
    if _NO_FIRST.match(text):
        return True
    return not re.search(r"\d", text) and not _YES_WORD.search(text) and bool(NO_PHRASE.search(text))
