"""CryptoMath: ladder, column search, rule-based verify of every valid mapping, set/clear step mode, records."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms import crypto_math as cm

TASK = get_task("CryptoMath")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEND = "SEND+MORE=MONEY"  # the classic, with exactly one solution: 9567 + 1085 = 10652
SEND_SOLUTION = {"D": 7, "E": 5, "M": 1, "N": 6, "O": 0, "R": 8, "S": 9, "Y": 2}
SPEC = "EDF+CAG=ABCD"  # the spec's example: 452 + 613 = 1065
SPEC_SOLUTION = {"A": 1, "B": 0, "C": 6, "D": 5, "E": 4, "F": 2, "G": 3}


def make(equation: str, level: int = 1):
    return TASK.puzzle(level, {"equation": equation})


def puzzles(levels=LEVELS, seeds=range(5)):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def valid(equation: str, mapping: dict[str, int]) -> bool:
    """The rules, checked independently of the module: digits, distinct, no leading 0, the sum holds."""
    left, result = equation.split("=")
    words = [*left.split("+"), result]
    letters = set("".join(words))
    if set(mapping) != letters or len(set(mapping.values())) != len(mapping):
        return False
    if any(not 0 <= d <= 9 for d in mapping.values()) or any(mapping[w[0]] == 0 for w in words):
        return False
    number = [int("".join(str(mapping[c]) for c in w)) for w in words]
    return sum(number[:-1]) == number[-1]


def brute_force(equation: str) -> list[dict[str, int]]:
    """Every valid mapping, by trying every assignment of distinct digits (few letters only).

    The sum holds iff the letters' place-value weights (addends +, result -) times their digits add up to 0."""
    left, result = equation.split("=")
    letters = sorted(set(equation) - set("+="))
    weight = dict.fromkeys(letters, 0)
    for word, sign in [*((w, 1) for w in left.split("+")), (result, -1)]:
        for k, ch in enumerate(reversed(word)):
            weight[ch] += sign * 10**k
    weights = [weight[x] for x in letters]
    leading = [k for k, x in enumerate(letters) if x in {w[0] for w in [*left.split("+"), result]}]
    found = []
    for digits in itertools.permutations(range(10), len(letters)):
        if sum(w * d for w, d in zip(weights, digits)) == 0 and all(digits[k] for k in leading):
            found.append(dict(zip(letters, digits)))
    return found


def text_of(mapping: dict[str, int]) -> str:
    return ", ".join(f"{x}={d}" for x, d in sorted(mapping.items()))


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instances -----------------------------------------------------------------------------------
def test_send_more_money():
    p = make(SEND)
    assert cm.all_solutions(SEND) == [SEND_SOLUTION]
    assert TASK.solve(p) == "D=7, E=5, M=1, N=6, O=0, R=8, S=9, Y=2"
    assert TASK.verify(p, TASK.solve(p)).correct
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p):
        state = TASK.apply(p, state, move)
    assert TASK.is_solved(p, state)
    trace = TASK.solve_trace(p)
    kinds = {e.kind for e in trace}
    assert {"read", "try", "deduce", "dead_end", "backtrack", "check", "answer"} <= kinds
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == TASK.solve(p)
    assert trace[1].move == "set M 1"  # the sum's extra leading letter is the final carry: deduced first
    assert any("different letters need different digits" in e.note for e in trace if e.kind == "dead_end")


def test_spec_example_and_its_alternatives():
    p = make(SPEC)
    assert TASK.verify(p, text_of(SPEC_SOLUTION)).correct
    assert TASK.verify(p, json.dumps(SPEC_SOLUTION)).correct
    solutions = cm.all_solutions(SPEC)
    assert SPEC_SOLUTION in solutions and len(solutions) > 1
    assert sorted(map(text_of, solutions)) == sorted(map(text_of, brute_force(SPEC)))
    for mapping in solutions:  # every valid mapping is accepted, not only a stored one
        assert TASK.verify(p, text_of(mapping)).correct


@pytest.mark.parametrize("text", [
    "A=1, B=0, C=6, D=5, E=4, F=2, G=3",
    '{"A": 1, "B": 0, "C": 6, "D": 5, "E": 4, "F": 2, "G": 3}',
    "{'A': 1, 'B': 0, 'C': 6, 'D': 5, 'E': 4, 'F': 2, 'G': 3}",
    '["A"=1,"B"=0,"C"=6,"D"=5,"E"=4,"F"=2,"G"=3]',
    '"A" = 1, "B" = 0, "C" = 6, "D" = 5, "E" = 4, "F" = 2, "G" = 3',
    "A: 1\nB: 0\nC: 6\nD: 5\nE: 4\nF: 2\nG: 3",
    "{A: 1, B: 0, C: 6, D: 5, E: 4, F: 2, G: 3}",
    "a=1, b=0, c=6, d=5, e=4, f=2, g=3",
    "G=3 F=2 E=4 D=5 C=6 B=0 A=1",
    "A -> 1, B -> 0, C -> 6, D -> 5, E -> 4, F -> 2, G -> 3",
    "A → 1, B → 0, C → 6, D → 5, E → 4, F → 2, G → 3",
    "A is 1, B is 0, C is 6, D is 5, E is 4, F is 2, G is 3",
    "(A, 1), (B, 0), (C, 6), (D, 5), (E, 4), (F, 2), (G, 3)",
    '[("A", 1), ("B", 0), ("C", 6), ("D", 5), ("E", 4), ("F", 2), ("G", 3)]',
    "$A = 1$, $B = 0$, $C = 6$, $D = 5$, $E = 4$, $F = 2$, $G = 3$",
    "\\text{A}=1, \\text{B}=0, \\text{C}=6, \\text{D}=5, \\text{E}=4, \\text{F}=2, \\text{G}=3",
    "A \\to 1, B \\to 0, C \\to 6, D \\to 5, E \\to 4, F \\to 2, G \\to 3",
    "A=1.0, B=0, C=6, D=5, E=4, F=2, G=3",
    "A=1, A=1, B=0, C=6, D=5, E=4, F=2, G=3",
    "A=1, B=0, C=6, D=5, E=4, F=2, G=3 (452 + 613 = 1065)",
    "A=1; B=0; C=6; D=5; E=4; F=2; G=3.",
    "A=1, B=0, C=6, D=5, E=4, F=2, G=3, Z=9",  # a letter that is not in the puzzle is ignored
])
def test_notations_accepted(text):
    assert TASK.verify(make(SPEC), text).correct, text


@pytest.mark.parametrize("text,needle", [
    ("A=1, B=0, C=6, D=5, E=4, F=2", "no digit given for letter G"),
    ("A=1, B=0, C=6, D=5, E=4, F=2, G=2", "all have digit 2"),
    ("A=1, B=0, C=6, D=5, E=4, F=2, G=12", "not a single digit"),
    ("A=1, B=0, C=6, D=5, E=4, F=2, G=3.5", "not a whole digit"),
    ("A=1, B=0, C=6, D=5, E=4, F=2, G=3, A=7", "more than one value"),
    ("A=1, B=0, C=6, D=5, E=4, F=2, G=7", "the sum does not hold"),
    ("A=0, B=1, C=6, D=5, E=4, F=2, G=3", "starts ABCD but is 0"),
    ("452 + 613 = 1065", "no LETTER=digit pairs"),
    ("[1, 0, 6, 5, 4, 2, 3]", "no LETTER=digit pairs"),
])
def test_rule_breaks_rejected_with_reasons(text, needle):
    verdict = TASK.verify(make(SPEC), text)
    assert not verdict.correct and any(needle in v for v in verdict.violations), verdict.violations


# ---- generator -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_equations_follow_the_ladder(level):
    count, length, result_length = cm.LADDER[level]
    for p in puzzles([level], range(20)):
        eq = cm.equation(p.data["equation"])
        assert set(p.data) == {"equation"} and eq.text == p.data["equation"]
        assert len(eq.terms) == count and all(len(t) == length for t in eq.terms)
        assert len(eq.result) == result_length
        assert eq.letters == tuple(chr(ord("A") + k) for k in range(len(eq.letters)))  # the first k capitals
        assert TASK.verify(p, TASK.solve(p)).correct


def test_generation_is_deterministic_and_levels_checked():
    assert TASK.generate(np.random.default_rng(4), 5) == TASK.generate(np.random.default_rng(4), 5)
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


# ---- solvability -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        assert valid(p.data["equation"], dict(cm._solution(p.data["equation"])))
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert move in TASK.moves(p, state)
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.conflicts(p, state) == []
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        trace = TASK.solve_trace(p)
        assert trace[-1].kind == "answer" and TASK.verify(p, trace[-1].move).correct
        assert len(trace) < 400


def test_long_search_trace_is_summarised_and_replayed():
    for p in puzzles([5], range(10)):
        search = cm._Search(cm.equation(p.data["equation"]))
        search.run()
        if search.tries > cm.MAX_TRACE_TRIES:
            break
    else:
        pytest.skip("no long search among these seeds")
    trace = TASK.solve_trace(p)
    assert sum(e.kind == "try" for e in trace) > cm.MAX_TRACE_TRIES
    restart = next(i for i, e in enumerate(trace) if e.move == "restart")
    assert trace[restart].kind == "backtrack"
    sets = {}
    for e in trace[restart + 1:]:
        if e.move and e.move.startswith("set "):
            _, x, d = e.move.split()
            sets[x] = int(d)
    assert text_of(sets) == trace[-1].move  # the replayed line is the answer


def test_every_valid_mapping_is_accepted_and_counts_agree():
    for p in puzzles(range(1, 6), range(3)):
        solutions = cm.all_solutions(p.data["equation"])
        assert solutions and len({text_of(m) for m in solutions}) == len(solutions)
        for mapping in solutions:
            assert valid(p.data["equation"], mapping)
            assert TASK.verify(p, text_of(mapping)).correct
    small = [p for p in puzzles([1, 3], range(30)) if len(cm.equation(p.data["equation"]).letters) <= 5][:4]
    assert small
    for p in small:  # against brute force where that is cheap
        assert sorted(map(text_of, cm.all_solutions(p.data["equation"]))) == \
            sorted(map(text_of, brute_force(p.data["equation"])))


# ---- soundness ---------------------------------------------------------------------------------------------
def test_every_single_edit_of_a_right_answer_is_judged_by_the_rules():
    """Change one letter's value, swap two letters, or drop a letter: accepted iff the result is valid."""
    for p in puzzles(seeds=range(2)):
        equation = p.data["equation"]
        mapping = dict(cm._solution(equation))
        for x in mapping:
            for d in [*range(10), 10, 23]:
                edited = {**mapping, x: d}
                assert TASK.verify(p, text_of(edited)).correct == valid(equation, edited), (equation, edited)
            dropped = {k: v for k, v in mapping.items() if k != x}
            assert not TASK.verify(p, text_of(dropped)).correct
        for x, y in itertools.combinations(mapping, 2):
            swapped = {**mapping, x: mapping[y], y: mapping[x]}
            assert TASK.verify(p, text_of(swapped)).correct == valid(equation, swapped)


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "eval('A=1')", "A=", "=1", "A=B", "A=-1", "1/0", "9" * 400, "{}", "[]",
                                     "\x00", "\\" * 50, None, "A" * 20000, "A=1" * 5000, "A=1e999",
                                     "' OR 1=1 --", "{A: 1, B: 0}"])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(make(SPEC), garbage)
    assert isinstance(verdict.correct, bool) and not verdict.correct and verdict.violations


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(make(SPEC), text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert p.data["equation"] == row["initial_state"]["equation"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert valid(p.data["equation"], json.loads(row["answer"]))
        assert TASK.verify(p, TASK.solve(p)).correct
        assert TASK.from_record({**row, "initial_state": None}) == p  # the equation from the text question


@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for seed in range(3):
        p = TASK.generate_seeded(seed, level)
        record = TASK.to_record(p)
        assert record["category"] == "CryptoMath" and record["difficulty"] == level
        assert record["initial_state"] == {"equation": p.data["equation"]}
        assert isinstance(record["answer"], str) and valid(p.data["equation"], json.loads(record["answer"]))
        assert f"Equation: {p.data['equation']}" in record["question_language"]
        assert p.data["equation"] not in record["question"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p


@pytest.mark.parametrize("equation", ["", "ABC", "AB+CD", "AB=CD", "ABC+DEF=GH", "AB+CD=EFGHIJK+L",
                                      "ABCDE+FGHIJ=KLMNOP", "A1+B=C", "AB+AB=AB"])
def test_bad_records_raise_record_error(equation):
    with pytest.raises(RecordError):
        TASK.from_record({"initial_state": {"equation": equation}, "difficulty": 1})


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move,reason", [
    ("set B 1", "already belongs to A"), ("set C 0", "cannot be 0"), ("set Z 3", "no letter Z"),
    ("set B 10", "not a digit"), ("set A 1", "already has digit 1"), ("clear B", "no digit to clear"),
    ("set", "unknown"), ("set B", "unknown"), ("B", "unknown"), ("clear", "unknown"), ("set BC 3", "unknown"),
    ("", "unknown"), ("__import__('os')", "unknown"), ("set B -1", "unknown"),
])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = make(SPEC)
    state = TASK.apply(p, TASK.initial_state(p), "Set A 1.")
    before = state
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason
    assert state == before == (1, -1, -1, -1, -1, -1, -1)


@pytest.mark.parametrize("move", ["set b 0", "assign B 0", "B=0", "b = 0", "set B=0", "set B to 0", "put b 0"])
def test_set_spellings(move):
    p = make(SPEC)
    assert TASK.apply(p, TASK.initial_state(p), move) == (-1, 0, -1, -1, -1, -1, -1)


def test_overwrite_and_clear():
    p = make(SPEC)
    state = TASK.apply(p, TASK.initial_state(p), "set A 1")
    state = TASK.apply(p, state, "set A 2")
    assert state[0] == 2
    assert TASK.apply(p, state, "clear a")[0] == cm.UNSET
    assert "clear A" in TASK.moves(p, state) and "set B 2" not in TASK.moves(p, state)
    assert "set A 0" not in TASK.moves(p, state)  # A starts ABCD


def test_another_valid_mapping_also_solves():
    p = make(SPEC)
    others = [m for m in cm.all_solutions(SPEC) if text_of(m) != TASK.solve(p)]
    state = TASK.initial_state(p)
    for x, d in sorted(others[0].items()):
        state = TASK.apply(p, state, f"set {x} {d}")
    assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct


def test_conflicts_and_incomplete_submit():
    p = make(SPEC)
    state = TASK.initial_state(p)
    for move in ("set F 2", "set G 4", "set D 7"):  # units column: 2 + 4 = 6, but D = 7
        state = TASK.apply(p, state, move)
    assert TASK.conflicts(p, state) == ["column 1 from the right: the digits add up to 6 (carry included), which "
                                        "does not end in D = 7"]
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    state = TASK.apply(p, state, "set D 6")
    assert TASK.conflicts(p, state) == []
    full = TASK.initial_state(p)
    for x, d in zip("ABCDEFG", (1, 0, 6, 5, 4, 2, 7)):  # 452 + 617 = 1069, not 1065
        full = TASK.apply(p, full, f"set {x} {d}")
    assert not TASK.is_solved(p, full) and TASK.conflicts(p, full)
    assert not TASK.verify(p, TASK.state_answer(p, full)).correct


def test_state_text_and_move_space():
    p = make(SPEC)
    state = TASK.apply(p, TASK.initial_state(p), "set A 1")
    text = TASK.state_text(p, state)
    assert json.dumps({"equation": SPEC}) in text and "A=1, B=?" in text and "with digits: ???+?1?=1???" in text
    space = TASK.move_space(p)
    assert len(space) == 7 * 11 and len(set(space)) == len(space)
    assert set(TASK.moves(p, state)) <= set(space)
    assert TASK.step_budget(p) == 6 * 7 + 20


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    for p in puzzles(seeds=range(2)):
        for modality in ("image", "text"):
            text = TASK.prompt(p, modality)
            assert set(text) <= ALLOWED and "boxed" not in text and "A=5, B=3" in text
        assert p.data["equation"] in TASK.prompt(p, "text")
        assert p.data["equation"] not in TASK.prompt(p, "image")


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("level", LEVELS)
def test_render_is_deterministic_and_shows_entered_digits(level):
    p = TASK.generate(np.random.default_rng(3), level)
    first = TASK.render(p)
    assert first.width == 512 and 300 <= first.height <= 512
    assert _png(first) == _png(TASK.render(p))
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    shown = TASK.render(p, state)
    assert _png(shown) != _png(first) and _png(shown) == _png(TASK.render(p, state))
    colours = {c for _, c in shown.getcolors(1 << 16)}
    assert cm.draw.ENTERED in colours and cm.draw.ENTERED not in {c for _, c in first.getcolors(1 << 16)}


def test_every_letter_cell_is_clickable():
    p = make(SPEC)
    eq = cm.equation(SPEC)
    geo = cm._Geometry(eq, 512)
    seen = []
    for r in range(geo.rows):
        for c in range(geo.cols):
            x, y = geo.center(r, c)
            cell = TASK.cell_at(p, x, y)
            if geo.letter(r, c):
                assert cell == (r, c)
                seen.append(geo.letter(r, c))
            else:
                assert cell is None
    assert "".join(seen) == "EDFCAGABCD"
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (2, 1), "1") == "set A 1"
    assert TASK.cell_command(p, state, (2, 1), "backspace") is None
    assert TASK.cell_command(p, TASK.apply(p, state, "set A 1"), (2, 1), "delete") == "clear A"
    assert TASK.cell_at(p, 1, 1) is None
