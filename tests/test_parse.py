from fractions import Fraction

from helix_gym.core.parse import clean_latex, normalize_command, parse_digit_grid, parse_number, parse_words


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
