from fractions import Fraction

import pytest

from helix_gym.core.parse import (
    DIRECTION_WORDS,
    clean_latex,
    move_tokens,
    normalize_command,
    parse_digit_grid,
    parse_moves,
    parse_number,
    parse_words,
    shown_number,
)


def test_parse_number_accepts_common_spellings():
    for text in ["7", "7.0", "$7$", "7 units", "= 7", "\\text{7}", " 7. "]:
        assert parse_number(text) == Fraction(7), text
    assert parse_number("3/4") == Fraction(3, 4)


def test_parse_number_rejects_ambiguous_and_empty():
    assert parse_number("7 or 8") is None
    assert parse_number("seven") is None
    assert parse_number("") is None


def test_digit_grid_notations():
    want = [[1, 2], [3, 4]]
    for text in ["1 2\n3 4", "[[1,2],[3,4]]", "12\n34", "Row 1: 1 2\nRow 2: 3 4", "1,2,3,4"]:
        assert parse_digit_grid(text, 2, 2) == want, text
    assert parse_digit_grid("1 2 3", 2, 2) is None


def test_words_and_commands():
    vocab = {"up": "up", "u": "up", "down": "down"}
    assert parse_words("Up, DOWN -> u", vocab) == ["up", "down", "up"]
    assert parse_words("up sideways", vocab) is None
    assert normalize_command("  `Place  1 2 3.` ") == "place 1 2 3"
    assert clean_latex("$3 \\times 8$") == "3 × 8"


def test_nested_fractions_unwind():
    assert clean_latex("\\frac{8}{3-\\frac{8}{3}}") == "(8)/(3-(8)/(3))"


def test_number_commas_minus_and_unit_powers():
    assert parse_number("1,234") == Fraction(1234)
    assert parse_number("1,5") is None  # a list or a decimal comma: ambiguous, not 15
    assert parse_number("−15") == Fraction(-15)
    assert parse_number("15 units^2") == Fraction(15)


def test_en_dash_before_a_digit_is_a_minus():
    assert parse_number("–15") == Fraction(-15)
    assert parse_number("3–5") is None  # a range: two numbers


def test_shown_number():
    assert shown_number(Fraction(12)) == "12" and shown_number(Fraction(-7)) == "-7"
    assert shown_number(Fraction(15, 2)) == "7.5"
    assert shown_number(Fraction(10**20)) == shown_number(Fraction(1, 10**9)) == "the number given"


def test_parse_moves_names_the_first_unknown_token():
    assert parse_moves("Up, DOWN -> u", DIRECTION_WORDS) == ["up", "down", "up"]
    assert parse_moves("[left]; {right}: `d`.", DIRECTION_WORDS) == ["left", "right", "down"]
    assert parse_moves("", DIRECTION_WORDS) == []
    with pytest.raises(ValueError, match="unknown move 'upp'"):
        parse_moves("up upp north", DIRECTION_WORDS)
    assert parse_words("up north", DIRECTION_WORDS) is None
    assert move_tokens("$\\text{Up}$ -> 3") == ["up", "3"]


def test_run_together_letters_are_named_not_split():
    with pytest.raises(ValueError) as error:
        parse_moves("up llu", DIRECTION_WORDS)
    assert str(error.value).startswith("unknown move 'llu': write each move as a separate word, e.g. `left left up`")
