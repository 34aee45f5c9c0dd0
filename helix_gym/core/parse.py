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
    text = clean_latex(str(text)).replace("−", "-")
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


def parse_words(text: str, vocabulary: dict[str, str]) -> list[str] | None:
    """A sequence of move words (any case, separated by spaces, commas, arrows or newlines).

    `vocabulary` maps every accepted spelling to its canonical word (`"u": "up"`). Returns None if a token
    is not in the vocabulary, so a typo is an error rather than a silently dropped move."""
    text = clean_latex(str(text)).lower()
    tokens = [t for t in re.split(r"[\s,;/|>\-\[\]()\"'`.]+|->|→", text) if t]
    out = []
    for tok in tokens:
        if tok not in vocabulary:
            return None
        out.append(vocabulary[tok])
    return out
