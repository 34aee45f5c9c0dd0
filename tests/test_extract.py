"""Answer extraction follows the public judge's order and never falls back to the whole response."""

from helix_gym.core.extract import extract_answer


def test_order_box_span_beats_answer_tag_and_boxed():
    text = "<answer>1</answer> \\boxed{2} <|begin_of_box|>3<|end_of_box|> Answer: 4"
    assert extract_answer(text) == "3"


def test_answer_tag_beats_later_boxed():
    assert extract_answer("<answer> 5 </answer> then \\boxed{6}") == "5"


def test_last_boxed_with_nested_braces():
    assert extract_answer("\\boxed{1} and finally \\boxed{\\frac{1}{2} + {3}}") == "\\frac{1}{2} + {3}"


def test_unbalanced_boxed_is_ignored_for_an_earlier_balanced_one():
    assert extract_answer("\\boxed{7} later \\boxed{8") == "7"


def test_answer_colon_takes_the_rest_full_width_too():
    assert extract_answer("thinking... Answer: up down") == "up down"
    assert extract_answer("answer： 12") == "12"


def test_no_marker_gives_none():
    assert extract_answer("I think it is 42") is None
    assert extract_answer("") is None
    assert extract_answer(None) is None  # type: ignore[arg-type]
