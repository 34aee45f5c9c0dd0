"""24 Points: exact rule-based verifier, solver, trace, step mode, records and pictures."""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms.twenty_four_points import LADDER, MAX_TRACE_TRIES, solvable

TASK = get_task("TwentyFourPoints")
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "mmhelix-records.jsonl"


def make(numbers: list[int], level: int = 1):
    return TASK.puzzle(level, {"numbers": sorted(numbers)})


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"official samples not found at {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- an independent reference judge for the mutation test (Python's own parser, no evaluation) -------
def _reference(numbers: list[int], text: str) -> bool:
    """Python's ast parses; only int literals and + - * / are allowed; exact value 24; multiset equal."""
    text = text.replace("×", "*").replace("÷", "/").replace("x", "*").strip().rstrip(" .")
    text = re.sub(r"\)\s*\(", ")*(", text)  # implicit multiplication next to a bracket
    text = re.sub(r"(\d)\s*\(", r"\1*(", text)
    text = re.sub(r"\)\s*(\d)", r")*\1", text)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    found: list[int] = []

    def value(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            found.append(node.value)
            return Fraction(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right  # ZeroDivisionError below
        raise ValueError("not allowed")

    try:
        return value(tree) == 24 and Counter(found) == Counter(numbers)
    except (ValueError, ZeroDivisionError):
        return False


def _single_edits(text: str, alphabet: str) -> set[str]:
    out = set()
    for i in range(len(text) + 1):
        for ch in alphabet:
            out.add(text[:i] + ch + text[i:])
        if i < len(text):
            out.add(text[:i] + text[i + 1:])
            for ch in alphabet:
                out.add(text[:i] + ch + text[i + 1:])
    out.discard(text)
    return out


# ---- hand-made instances -------------------------------------------------------------------------------
def test_hand_made_1_3_4_6():
    p = make([1, 3, 4, 6])
    assert TASK.verify(p, "6 ÷ (1 - 3 ÷ 4)").correct
    assert TASK.solve(p) == "6 ÷ (1 - 3 ÷ 4)"
    assert TASK.solve_moves(p) == ["combine #2 / #3", "combine #1 - #5", "combine #4 / #6"]


def test_hand_made_3_3_8_8_other_expression_accepted():
    p = make([3, 3, 8, 8])
    answer = TASK.solve(p)
    assert TASK.verify(p, answer).correct
    other = "8 / (3 - 8 / 3)"
    assert TASK.verify(p, other).correct
    assert TASK.verify(p, "8 ÷ (3 − 8 ÷ 3)").correct


def test_solutions_other_than_the_solvers_are_accepted():
    p = make([1, 2, 3, 8])
    others = ["(8 - 2) × (3 + 1)", "8 ÷ (1 - 2 ÷ 3)", "3 × 8 × (2 - 1)", "8 × 3 ÷ (2 - 1)"]
    for text in others:
        assert text != TASK.solve(p)
        assert TASK.verify(p, text).correct, text


@pytest.mark.parametrize("text", [
    "(8 / (3 - 8 / 3))", "\\frac{8}{3-\\frac{8}{3}}", "$8 \\div (3 - 8 \\div 3)$", "8 / [3 - 8 / 3]",
    "\\left(8 \\div \\left(3 - \\frac{8}{3}\\right)\\right)", "8/{3-8/3}", "8 / (3 - 8 / 3) = 24",
    "24 = 8 / (3 - 8 / 3)", "8 / (3 - 8 / 3) = 8 / (1/3) = 24", "8 ÷ (3 − 8 ÷ 3).", "8 / (3 - 8 / 3) =",
    "8 / (3 - 8 / 3) = 24.0", " 8/(3-8/3) ",
])
def test_notations_accepted(text):
    assert TASK.verify(make([3, 3, 8, 8]), text).correct, text


@pytest.mark.parametrize("text", [
    "3 x 8 x (2 - 1)", "3 X 8 X (2 - 1)", "3 * 8 * (2 - 1)", "3 \\times 8 \\times (2 - 1)",
    "3 \\cdot 8 \\cdot (2 - 1)", "(2 - 1) × 3 × 8", "3 × 8 ÷ (2 - 1)", "3(2 - 1) × 8", "(2 - 1)(3)(8)",
    "(8 - 2) × (3 + 1)", "8 ÷ (1 - 2 ÷ 3)",
])
def test_multiplication_notations_and_other_solutions(text):
    assert TASK.verify(make([1, 2, 3, 8]), text).correct, text


def test_violations_in_words():
    p = make([1, 3, 4, 6])
    v = TASK.verify(p, "6 ÷ (1 - 5 ÷ 4)")
    assert not v.correct
    assert "uses 5 which is not one of the cards (1, 3, 4, 6)" in v.violations
    assert "does not use 3" in v.violations
    v = TASK.verify(p, "6 × 3 + 3 + 1")
    assert "number 3 used twice but given once" in v.violations
    assert "does not use 4" in v.violations
    assert "evaluates to 22, not 24" in TASK.verify(p, "6 × 4 - 3 + 1").violations
    assert TASK.verify(p, "6 ÷ 4 × 3 + 1").violations == ["evaluates to 11/2, not 24"]
    v = TASK.verify(p, "6 × 4 = 25")
    assert any("not 24" in x for x in v.violations)
    v = TASK.verify(p, "(6 ÷ (1 - 3 ÷ 4)) = 25")
    assert v.violations == ["states a result of 25, which is not 24"]
    v = TASK.verify(make([3, 3, 8, 8]), "8 / (3 - 3) + 8")
    assert any("divides by zero" in x for x in v.violations)


@pytest.mark.parametrize(("numbers", "text", "words"), [
    ([1, 2, 3, 3], "2 ** 3 * 3 * 1", "powers"),
    ([1, 2, 3, 3], "2 ^ 3 * 3 * 1", "powers"),
    ([1, 3, 7, 9], "(9 + 7 + 1) // 3 * 3", "floor division"),
    ([1, 1, 5, 16], "1.5 * 16 * 1", "not a whole number"),
    ([1, 3, 4, 6], "-1 + 6 × 4 + 3 - 2", "unary minus"),
    ([1, 3, 4, 6], "6 × 4 × (3 - 1 - 1) ~", "unknown symbol"),
    ([1, 2, 2, 6], "12 × 2", "uses 12 which is not one of the cards"),
])
def test_rule_breaks_rejected(numbers, text, words):
    verdict = TASK.verify(make(numbers), text)
    assert not verdict.correct
    assert any(words in v for v in verdict.violations), verdict.violations


def test_decimal_spelling_of_a_card_is_rejected():
    p = make([1, 2, 3, 7])
    answer = TASK.solve(p)
    assert TASK.verify(p, answer).correct
    assert "7" in answer
    verdict = TASK.verify(p, answer.replace("7", "7.0", 1))
    assert not verdict.correct and "7.0 is not a whole number" in verdict.violations[0]


def test_code_is_never_evaluated(tmp_path):
    p = make([1, 3, 4, 6])
    marker = tmp_path / "pwned"
    for text in ["__import__('os')", f"__import__('os').system('touch {marker}')", "eval('24')",
                 "(lambda: 24)()", "exec('x=1')", "open('/etc/passwd')"]:
        verdict = TASK.verify(p, text)
        assert not verdict.correct and verdict.violations
    assert not marker.exists()


@pytest.mark.parametrize("garbage", [
    "", " ", "(((((", ")" * 1000, "9" * 5000, "\\boxed{", "=", "==", "24", "24 =", "=24", "\x00\x01",
    "∞", "NaN", "1e9", "24/1 = 24", "()()", "{[(])}", "\\frac{", "\\frac{1}{0}", "+" * 300,
    "(" * 5000 + "1" + ")" * 5000, "🙂", None, 24, ["6", "4"],
])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(make([1, 3, 4, 6]), garbage)
    assert not verdict.correct
    assert verdict.violations


# ---- soundness: every single-character edit of a correct answer is judged like the reference ---------
SOUNDNESS_CASES = [
    ([1, 3, 4, 6], "6 ÷ (1 - 3 ÷ 4)"),
    ([3, 3, 8, 8], "8 / (3 - 8 / 3)"),
    ([2, 3, 5, 7], "(2 + (3 × 5)) + 7"),
    ([1, 8, 12, 15], "(1 × 8) × (15 - 12)"),
    ([9, 10, 14, 23], "(10 × 23 - 14) ÷ 9"),
    ([1, 2, 3, 8], "3 × 8 × (2 - 1)"),
    ([4, 7, 12, 13], "4 × (7 + (12 - 13))"),
]


@pytest.mark.parametrize(("numbers", "answer"), SOUNDNESS_CASES)
def test_single_edits_agree_with_reference(numbers, answer):
    p = make(numbers)
    if not _reference(numbers, answer):
        assert not TASK.verify(p, answer).correct
        return
    assert TASK.verify(p, answer).correct
    rejected = 0
    for edit in _single_edits(answer, "0123456789+-*/×÷()[] .x^"):
        ours, ref = TASK.verify(p, edit).correct, _reference(numbers, edit)
        assert ours == ref, (edit, ours, ref)
        rejected += not ours
    assert rejected > 100


@pytest.mark.parametrize(("numbers", "answer"), SOUNDNESS_CASES[:5])
def test_replacing_any_number_is_rejected(numbers, answer):
    p = make(numbers)
    spans = [m.span() for m in re.finditer(r"\d+", answer)]
    for start, end in spans:
        for n in range(0, 31):
            if str(n) == answer[start:end]:
                continue
            edited = answer[:start] + str(n) + answer[end:]
            assert not TASK.verify(p, edited).correct, edited


# ---- solver, generator, trace ----------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_generated_instances_follow_the_ladder_and_are_solved(level):
    low, high, distinct = LADDER[level]
    for seed in range(12):
        p = TASK.generate_seeded(seed, level)
        numbers = p.data["numbers"]
        assert numbers == sorted(numbers) and len(numbers) == 4
        assert all(low <= n <= high for n in numbers)
        if distinct:
            assert len(set(numbers)) == 4
        assert solvable(numbers)
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct, (numbers, answer)
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert move in TASK.move_space(p)
            assert move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.state_answer(p, state) == answer
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == answer
        assert trace[-2].kind == "check"


def test_generation_is_deterministic_and_levels_checked():
    assert TASK.generate_seeded(5, 5) == TASK.generate_seeded(5, 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 6)


def test_solvability_test_is_exact():
    assert solvable([3, 3, 8, 8]) and solvable([1, 3, 4, 6]) and solvable([1, 5, 5, 5])
    assert not solvable([1, 1, 1, 1]) and not solvable([1, 1, 2, 2]) and not solvable([1, 1, 1, 2])


def test_trace_shows_real_search_with_dead_ends_and_backtracks():
    p = make([1, 3, 4, 6])
    trace = TASK.solve_trace(p)
    kinds = Counter(e.kind for e in trace)
    assert kinds["dead_end"] > 0 and kinds["backtrack"] > 0
    assert kinds["try"] <= MAX_TRACE_TRIES + 3  # listed tries, then the replayed winning line
    assert any(e.move == "restart" and "not listed" in e.note for e in trace)
    assert any(re.search(r"#\d+ = [-\d/]+ and #\d+ = [-\d/]+ cannot make 24", e.note) for e in trace)
    replay = [e.move for e in trace if e.kind == "try"][-3:]
    assert replay == TASK.solve_moves(p)
    for e in trace:
        if e.kind in ("try", "backtrack"):
            assert e.state_text and "cards:" in e.state_text


def test_short_trace_is_the_whole_search():
    p = make([1, 2, 3, 8])
    trace = TASK.solve_trace(p)
    assert not any(e.move == "restart" for e in trace)
    # playing the trace's tries and undos through step mode reaches the answer
    stack = [TASK.initial_state(p)]
    for e in trace:
        if e.kind == "try":
            stack.append(TASK.apply(p, stack[-1], e.move))
            assert TASK.state_text(p, stack[-1]) == e.state_text
        elif e.kind == "backtrack":
            stack.pop()
            assert TASK.state_text(p, stack[-1]) == e.state_text
    assert TASK.is_solved(p, stack[-1])


def test_random_answer_has_the_right_shape():
    p = make([1, 3, 4, 6])
    rng = np.random.default_rng(0)
    for _ in range(20):
        verdict = TASK.verify(p, TASK.random_answer(p, rng))
        assert not any("cards" in v or "use" in v for v in verdict.violations), verdict.violations


# ---- step mode -------------------------------------------------------------------------------------------
def test_command_spellings():
    p = make([1, 3, 4, 6])
    s0 = TASK.initial_state(p)
    want = TASK.apply(p, s0, "combine #2 * #4")
    for text in ["combine #2 × #4", "#2 * #4", "2*4", "COMBINE #2 x #4", "combine 2 times 4", "combine #2 \\times #4",
                 "  combine  #2*#4. "]:
        assert TASK.apply(p, s0, text) == want, text
    assert want[-1][:3] == (5, 18, 1)
    assert TASK.apply(p, s0, "combine #2 ÷ #3")[-1][1:3] == (3, 4)
    assert TASK.apply(p, s0, "combine #1 − #4")[-1][1:3] == (-5, 1)


@pytest.mark.parametrize(("moves", "bad", "words"), [
    ([], "combine #1 + #1", "itself"),
    ([], "combine #1 + #5", "no card #5"),
    ([], "combine #9 + #1", "no card #9"),
    (["combine #1 + #2"], "combine #1 + #3", "no card #1"),
    (["combine #1 - #2"], "combine #3 / #5", "division by zero"),
    ([], "combine #1 ^ #2", "unknown command"),
    ([], "hello", "unknown command"),
    ([], "combine #1 + ", "unknown command"),
    ([], "", "unknown command"),
])
def test_illegal_moves_raise_and_change_nothing(moves, bad, words):
    p = make([3, 3, 8, 8])
    state = TASK.initial_state(p)
    for move in moves:
        state = TASK.apply(p, state, move)
    before = state
    with pytest.raises(InvalidMove, match=words):
        TASK.apply(p, state, bad)
    assert state == before


def test_last_card_not_24_is_not_solved_but_can_be_undone():
    p = make([1, 3, 4, 6])
    state = TASK.initial_state(p)
    for move in ["combine #1 + #2", "combine #5 + #3", "combine #6 + #4"]:
        state = TASK.apply(p, state, move)
    assert len(state) == 1 and not TASK.is_solved(p, state)
    assert TASK.conflicts(p, state) and "14" in TASK.conflicts(p, state)[0]
    answer = TASK.state_answer(p, state)
    assert answer == "1 + 3 + 4 + 6"
    assert "evaluates to 14, not 24" in TASK.verify(p, answer).violations
    assert TASK.moves(p, state) == []


def test_state_answer_needs_one_card():
    p = make([1, 3, 4, 6])
    with pytest.raises(InvalidMove, match="4 cards are left"):
        TASK.state_answer(p, TASK.initial_state(p))


def test_moves_and_move_space():
    p = make([3, 3, 8, 8])
    space = TASK.move_space(p)
    assert len(space) == len(set(space)) == 7 * 6 * 4
    state = TASK.initial_state(p)
    legal = TASK.moves(p, state)
    assert len(legal) == 4 * 3 * 4
    assert set(legal) <= set(space)
    for move in legal:
        TASK.apply(p, state, move)
    state = TASK.apply(p, state, "combine #1 - #2")  # #5 = 0: dividing by it is not legal
    legal = TASK.moves(p, state)
    assert "combine #3 / #5" not in legal and "combine #5 / #3" in legal
    assert len(legal) == 3 * 2 * 4 - 2


def test_state_text_shows_cards_with_labels_and_fractions():
    p = make([1, 3, 4, 6])
    state = TASK.apply(p, TASK.initial_state(p), "combine #2 / #3")
    text = TASK.state_text(p, state)
    assert text.startswith('{"numbers": [1, 3, 4, 6]}')
    assert "#1 = 1" in text and "#4 = 6" in text and "#5 = 3/4" in text and "3 ÷ 4" in text
    assert "#2" not in text


def test_step_budget():
    assert TASK.step_budget(make([1, 3, 4, 6])) == 30


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.data["numbers"] == sorted(row["initial_state"]["numbers"])
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, str(row["answer"])).correct, row["answer"]


@pytest.mark.parametrize("level", [1, 3, 5])
def test_record_round_trip(level):
    p = TASK.generate_seeded(11, level)
    record = TASK.to_record(p)
    assert record["category"] == "24Points"
    assert record["initial_state"] == {"numbers": p.data["numbers"]}
    assert record["difficulty"] == level
    assert TASK.verify(p, record["answer"]).correct
    assert TASK.from_record(record) == p
    assert TASK.from_record(json.loads(json.dumps(record))) == p
    unseeded = TASK.puzzle(level, p.data)
    assert TASK.from_record(TASK.to_record(unseeded)) == unseeded


def test_record_variants_and_errors():
    base = {"category": "24Points", "difficulty": 2}
    for state in ['{"numbers": [8, 3, 3, 8]}', "{'numbers': [8, 3, 3, 8]}", [8, 3, 3, 8]]:
        assert TASK.from_record({**base, "initial_state": state}).data == {"numbers": [3, 3, 8, 8]}
    loose = {**base, "question_language": "Numbers: [8, 3, 3, 8]\nMake 24."}
    assert TASK.from_record(loose).data == {"numbers": [3, 3, 8, 8]}
    for state in [{"numbers": [1, 1, 1, 1]}, {"numbers": [1, 2, 3]}, {"numbers": [0, 3, 8, 8]}, "nonsense",
                  {"numbers": ["3", 3, 8, 8]}, {"numbers": [True, 3, 8, 8]}]:
        with pytest.raises(RecordError):
            TASK.from_record({**base, "initial_state": state})


# ---- pictures and prompts --------------------------------------------------------------------------------
def test_render_is_deterministic_and_draws_step_positions():
    p = make([1, 3, 4, 6])
    a, b = TASK.render(p), TASK.render(p)
    assert a.size == (512, 512) and a.tobytes() == b.tobytes()
    s0 = TASK.initial_state(p)
    labelled = TASK.render(p, s0)
    assert labelled.tobytes() != a.tobytes()  # the #1..#4 labels
    s1 = TASK.apply(p, s0, "combine #2 / #3")
    pic = TASK.render(p, s1)
    assert pic.tobytes() == TASK.render(p, s1).tobytes()
    pixels = np.asarray(pic)
    blue = (np.abs(pixels.astype(int) - np.array([25, 90, 200])).sum(axis=2) < 60).sum()
    assert blue > 100  # the result card's value is drawn in the ENTERED colour
    assert TASK.render(p, size=256).size == (256, 256)


def test_prompts():
    p = make([2, 3, 5, 7])
    text = TASK.prompt(p, "text")
    image = TASK.prompt(p, "image")
    assert '{"numbers": [2, 3, 5, 7]}' in text
    assert "[2, 3, 5, 7]" not in image and "picture" in image
    for prompt in (text, image):
        assert "exactly once" in prompt and "24" in prompt and "\\boxed" not in prompt
