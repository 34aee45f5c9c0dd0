"""The safe arithmetic parser: lenient notation, strict rules, exact values, never code evaluation."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core.arith import (
    MAX_TOKENS,
    ArithError,
    BinOp,
    Neg,
    Num,
    evaluate,
    evaluate_text,
    fraction_text,
    literals,
    needs_brackets,
    parse,
    to_text,
)


@pytest.mark.parametrize("text", [
    "6 ÷ (1 - 3 ÷ 4)", "6/(1-3/4)", "6 \\div (1 - 3 \\div 4)", "6 / (1 − 3 / 4)", "6 / [1 - 3 / 4]",
    "6 / {1 - 3 / 4}", "\\frac{6}{1 - \\frac{3}{4}}", "$\\dfrac{6}{1-\\dfrac{3}{4}}$",
    "\\left(6 \\div \\left(1 - 3 \\div 4\\right)\\right)", "6 divided by (1 minus 3 over 4)", "6 ÷ (1 - 3 ÷ 4).",
    "\\(6 / (1 - 3/4)\\)",
])
def test_division_notations(text):
    node = parse(text)
    assert evaluate(node) == 24
    assert literals(node) == [6, 1, 3, 4]


@pytest.mark.parametrize("text", [
    "3 × 8", "3 * 8", "3 x 8", "3 X 8", "3 · 8", "3 \\times 8", "3 \\cdot 8", "3 \\ast 8", "3 times 8",
    "3(8)", "(3)(8)", "(3)8", "3 multiplied by 8",
])
def test_multiplication_notations(text):
    assert evaluate_text(text) == 24


@pytest.mark.parametrize(("text", "words"), [
    ("1.5 * 16", "not a whole number"),
    ("7.0 + 17", "not a whole number"),
    ("2 ** 3", "powers"),
    ("2 ^ 3", "powers"),
    ("7 // 2", "floor division"),
    ("-3 + 27", "unary minus"),
    ("3 * -8", "unary minus"),
    ("+24", "unary plus"),
    ("08 * 3", "leading zero"),
    ("3 4", "missing operator"),
    ("__import__('os')", "unknown word"),
    ("3 % 2", "unknown symbol"),
    ("3, 8", "unknown symbol"),
    ("(3 + 5]", "closed by"),
    ("((3 + 5)", "never closed"),
    ("3 + 5)", "unmatched closing"),
    ("3 +", "operand is missing"),
    ("* 3", "no left operand"),
    ("", "empty"),
    ("()", "where a number is expected"),
    (".5 + 1", "decimal point"),
    ("9" * 60, "too long"),
])
def test_rejections_say_why(text, words):
    with pytest.raises(ArithError, match=words):
        parse(text)


def test_unary_minus_on_request():
    node = parse("-3 + 27", allow_unary=True)
    assert node == BinOp("+", Neg(Num(3)), Num(27))
    assert evaluate(node) == 24
    assert to_text(node) == "-3 + 27"
    assert to_text(parse("27 - -(1 + 2)", allow_unary=True)) == "27 - (-(1 + 2))"


def test_implicit_multiplication_can_be_refused():
    with pytest.raises(ArithError, match="missing operator"):
        parse("3(8)", implicit_mul=False)


def test_division_by_zero_names_the_divisor():
    with pytest.raises(ArithError, match="3 - 3 is 0"):
        evaluate_text("8 / (3 - 3)")
    assert evaluate_text("0 / 5") == 0


def test_exact_rationals():
    assert evaluate_text("8 / (3 - 8 / 3)") == 24  # 8 / (1/3), no float error
    assert evaluate_text("1 / 3 + 1 / 3 + 1 / 3") == 1
    assert fraction_text(Fraction(-7, 2)) == "-7/2"
    assert fraction_text(Fraction(24)) == "24"


def test_length_and_nesting_are_bounded_without_recursion_errors():
    deep = "(" * 1000 + "1" + ")" * 1000
    with pytest.raises(ArithError, match="too long"):
        parse(deep)
    nested = "(" * 100 + "1" + ")" * 100
    assert evaluate_text(nested) == 1
    with pytest.raises(ArithError, match="too long"):
        parse("+".join(["1"] * MAX_TOKENS))


def test_minimal_brackets():
    assert needs_brackets("+", "*", "left")
    assert needs_brackets("-", "-", "right")
    assert needs_brackets("*", "/", "right")
    assert not needs_brackets("-", "+", "left")
    assert not needs_brackets("/", "*", "right")
    assert not needs_brackets(None, "/", "right")
    assert to_text(parse("((2 + (3 * 5)) + 7)")) == "2 + 3 × 5 + 7"
    assert to_text(parse("8 / (3 - 8 / 3)"), glyphs=False) == "8 / (3 - 8 / 3)"
    assert to_text(parse("(1 - 2) - (3 - 4)")) == "1 - 2 - (3 - 4)"


_trees = st.recursive(
    st.integers(min_value=0, max_value=30).map(Num),
    lambda sub: st.tuples(st.sampled_from("+-*/"), sub, sub).map(lambda t: BinOp(*t)),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_trees)
def test_to_text_round_trips_value_and_literals(tree):
    for glyphs in (True, False):
        again = parse(to_text(tree, glyphs=glyphs))
        assert literals(again) == literals(tree)
        try:
            want = evaluate(tree)
        except ArithError:
            with pytest.raises(ArithError):
                evaluate(again)
            continue
        assert evaluate(again) == want
