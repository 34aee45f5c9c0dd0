"""LongestIncreasingSubsequence: ladder, DP answer, numeric verify, chain step mode, records, pictures."""

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
from helix_gym.tasks.algorithms import longest_increasing_subsequence as lis

TASK = get_task("LongestIncreasingSubsequence")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
EXAMPLE = [5, 2, 8, 6, 3, 6, 9, 7]  # the spec's example: length 4 (e.g. 2, 3, 6, 9)


def example():
    return TASK.puzzle(1, {"sequence": list(EXAMPLE)})


def puzzles(levels=LEVELS, seeds=range(6)):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def brute_force(seq) -> int:
    """Longest strictly increasing subsequence by trying every subset (small inputs only)."""
    best = 0
    for mask in range(1 << len(seq)):
        chosen = [v for i, v in enumerate(seq) if mask >> i & 1]
        if all(a < b for a, b in itertools.pairwise(chosen)):
            best = max(best, len(chosen))
    return best


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "4"
    assert TASK.verify(p, "4").correct
    moves = TASK.solve_moves(p)
    assert moves[-1] == "submit" and len(moves) == 5
    state = TASK.initial_state(p)
    for move in moves[:-1]:
        state = TASK.apply(p, state, move)
    values = [EXAMPLE[i] for i in state]
    assert values == sorted(set(values)) and len(values) == 4
    assert TASK.state_answer(p, state) == "4" and not TASK.is_solved(p, state)
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "4"
    assert [e.move for e in trace if e.kind == "deduce"] == [f"L[{i}] = {v}" for i, v in
                                                               enumerate([1, 1, 2, 2, 2, 3, 4, 4])]


@pytest.mark.parametrize("seq", [[1], [3, 3, 3], [5, 4, 3, 2, 1], [1, 2, 3, 4, 5], [2, 2, 3, 3, 4, 4],
                                 [10, 9, 2, 5, 3, 7, 101, 18], [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]])
def test_lis_matches_brute_force(seq):
    assert lis.lis_length(seq) == brute_force(seq) == max(lis.lis_table(seq)[0])
    chain = lis.lis_chain(seq)
    assert len(chain) == brute_force(seq)
    assert all(i < j and seq[i] < seq[j] for i, j in itertools.pairwise(chain))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=11))
def test_lis_matches_brute_force_random(seq):
    assert lis.lis_length(seq) == brute_force(seq)
    chain = lis.lis_chain(seq)
    assert len(chain) == len(set(chain)) == brute_force(seq)
    assert all(i < j and seq[i] < seq[j] for i, j in itertools.pairwise(chain))


@pytest.mark.parametrize("text", ["4", "4.0", "4.", "$4$", "4 units", "length = 4", "\\text{4}", " 4 ", "**4**",
                                  "The longest increasing subsequence has length 4.", "8/2", "$4.00$", "L=4"])
def test_example_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["3", "5", "0", "-4", "4.5", "44", "4 4", "2, 3, 6, 9", "[2, 3, 6, 9]", "four",
                                  "", "none", "9", "3.99"])
def test_example_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


def test_violations_do_not_reveal_the_length():
    p = example()
    for text in ("1", "2", "3", "5", "6", "7", "8", "2.5"):
        verdict = TASK.verify(p, text)
        assert all("4" not in v for v in verdict.violations), verdict.violations
    assert "longer" in TASK.verify(p, "3").violations[0]
    assert "only 8 values" in TASK.verify(p, "9").violations[0]
    assert "not several numbers" in TASK.verify(p, "[2, 3, 6, 9]").violations[0]


# ---- generator -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_sequences_follow_the_ladder(level):
    (n_lo, n_hi), (v_lo, v_hi) = lis.LADDER[level]
    lengths = []
    for p in puzzles([level], range(30)):
        seq = p.data["sequence"]
        assert set(p.data) == {"sequence"}
        assert n_lo <= len(seq) <= n_hi and all(v_lo <= v <= v_hi and type(v) is int for v in seq)
        lengths.append(len(seq))
    assert len(set(lengths)) > 2


def test_generation_is_deterministic_and_levels_checked():
    assert TASK.generate(np.random.default_rng(4), 5) == TASK.generate(np.random.default_rng(4), 5)
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


# ---- solvability -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        seq = p.data["sequence"]
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        assert int(answer) == max(lis.lis_table(seq)[0])
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit" and len(moves) == int(answer) + 1
        state = TASK.initial_state(p)
        for move in moves[:-1]:
            assert move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        trace = TASK.solve_trace(p)
        assert trace[-1].kind == "answer" and trace[-1].move == answer
        assert sum(e.kind == "deduce" for e in trace) == len(seq)


# ---- soundness and completeness --------------------------------------------------------------------------
def test_every_other_number_is_rejected():
    for p in puzzles(seeds=range(3)):
        best = lis.lis_length(p.data["sequence"])
        for value in range(-2, len(p.data["sequence"]) + 5):
            if value != best:
                verdict = TASK.verify(p, str(value))
                assert not verdict.correct and verdict.violations
        for text in (f"{best}.5", f"{best - 0.5}", f"{best} {best}", f"{best}, {best + 1}", f"{best}0"):
            assert not TASK.verify(p, text).correct, text


def test_every_notation_of_the_length_is_accepted():
    for p in puzzles(seeds=range(3)):
        best = lis.lis_length(p.data["sequence"])
        for text in (f"{best}", f"{best}.0", f"${best}$", f"{best} units", f"length = {best}", f"\\({best}\\)",
                     f"**{best}**", f"{best}\n", f"\\text{{{best}}}"):
            assert TASK.verify(p, text).correct, text


def test_any_longest_chain_submits_right_and_a_shorter_one_wrong():
    p = example()
    for chain in ((1, 4, 5, 6), (1, 4, 3, 7), (1, 4, 5, 7), (0, 3, 6)):
        state = TASK.initial_state(p)
        try:
            for i in chain:
                state = TASK.apply(p, state, f"take {i}")
        except InvalidMove:
            assert chain == (1, 4, 3, 7)  # 3 is left of 4: not allowed
            continue
        assert TASK.verify(p, TASK.state_answer(p, state)).correct == (len(chain) == 4)


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "1/0", "9" * 400, "nan", "inf", "-", "((((", "\x00", "\\" * 50, None, "{}",
                                     "1e5", "4/0", "\\frac{}{}", "1/" + "3" * 400, "4" * 5000])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(example(), garbage)
    assert isinstance(verdict.correct, bool) and not verdict.correct and verdict.violations


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert p.data["sequence"] == row["initial_state"]["sequence"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert TASK.solve(p) == str(row["answer"])
        assert TASK.to_record(p)["answer"] == row["answer"]


def test_official_row_without_initial_state_reads_the_question():
    row = dict(official_rows()[0])
    seq = row.pop("initial_state")["sequence"]
    assert TASK.from_record(row).data["sequence"] == seq
    assert TASK.from_record({**row, "initial_state": json.dumps({"sequence": seq})}).data["sequence"] == seq


@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for seed in range(3):
        p = TASK.generate_seeded(seed, level)
        record = TASK.to_record(p)
        assert record["category"] == "longest_increasing_subsequence" and record["difficulty"] == level
        assert isinstance(record["answer"], int) and record["answer"] == lis.lis_length(p.data["sequence"])
        assert record["initial_state"] == {"sequence": p.data["sequence"]}
        assert TASK.from_record(json.loads(json.dumps(record))) == p


def test_bad_records_raise_record_error():
    for bad in ({"initial_state": {"sequence": []}}, {"initial_state": {"sequence": [1, "x"]}},
                {"initial_state": "nothing", "question_language": "no list here"},
                {"initial_state": {"sequence": [True, 2]}}):
        with pytest.raises(RecordError):
            TASK.from_record(bad)


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move,reason", [("take 0", "not to the right"), ("take 3", "not to the right"),
                                         ("take 4", "not larger"), ("take 5", "not larger"),
                                         ("take 8", "no index 8"), ("take", "unknown"), ("take x", "unknown"),
                                         ("2", "unknown"), ("take -1", "unknown"), ("jump 3", "unknown"),
                                         ("", "unknown")])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "take 1"), "Take 3.")  # values 2, 6
    before = state
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason
    assert state == before == (1, 3)


def test_drop_and_back():
    p = example()
    state = TASK.apply(p, TASK.initial_state(p), "pick 1")
    assert TASK.apply(p, state, "drop") == () == TASK.apply(p, state, "BACK")
    with pytest.raises(InvalidMove):
        TASK.apply(p, (), "drop")
    assert "drop" not in TASK.moves(p, ()) and "drop" in TASK.moves(p, state)


def test_moves_and_move_space():
    for p in puzzles(seeds=range(2)):
        n = len(p.data["sequence"])
        space = TASK.move_space(p)
        assert space[-2:] == ["drop", "submit"] and len(space) == n + 2
        state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
        legal = set(TASK.moves(p, state))
        assert legal <= set(space)
        for move in space[:-2]:
            if move in legal:
                assert TASK.apply(p, state, move)[-1] == int(move.split()[1])
            else:
                with pytest.raises(InvalidMove):
                    TASK.apply(p, state, move)
    assert TASK.step_budget(example()) == 3 * 8 + 20


def test_state_text_shows_the_chain():
    p = example()
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "take 1"), "take 4")
    text = TASK.state_text(p, state)
    assert json.dumps({"sequence": EXAMPLE}) in text
    assert "chain indices: [1, 4]" in text and "chain values: [2, 3]" in text and "chain length: 2" in text
    assert TASK.conflicts(p, state) == []


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    for p in puzzles(seeds=range(2)):
        for modality in ("image", "text"):
            text = TASK.prompt(p, modality)
            assert set(text) <= ALLOWED and "boxed" not in text
            assert "strictly" in text and "single integer" in text
        assert json.dumps({"sequence": p.data["sequence"]}) in TASK.prompt(p, "text")
        assert str(p.data["sequence"]) not in TASK.prompt(p, "image")


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("level", LEVELS)
def test_render_is_deterministic_and_marks_the_chain(level):
    p = TASK.generate(np.random.default_rng(3), level)
    first = TASK.render(p)
    assert first.size == (512, 512) and first.mode == "RGB"
    assert _png(first) == _png(TASK.render(p))
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    taken = TASK.render(p, state)
    assert _png(taken) != _png(first) and _png(taken) == _png(TASK.render(p, state))
    chart = lis.layout(p.data["sequence"], 512)
    x, y = chart.cx(state[0]), chart.y(state[0], p.data["sequence"][state[0]])
    assert taken.getpixel((round(x), round(y))) == lis.draw.ENTERED
    assert first.getpixel((round(x), round(y))) == lis.draw.WHITE


@pytest.mark.parametrize("level", LEVELS)
def test_value_labels_do_not_overlap(level):
    """Within a row, neighbouring value labels (centred on their points) are narrower than the spacing."""
    for p in puzzles([level], range(10)):
        seq = p.data["sequence"]
        chart = lis.layout(seq, 512)
        widest = max(lis.draw.text_size(str(v), chart.label_font(str(v)))[0] for v in seq)
        assert widest < chart.slot
        assert min(chart.label_font(str(v)) for v in seq) >= 10 and chart.index_font >= 9
        tops = [chart.row_top(r) for r in range(chart.rows)]
        assert all(b - a >= 90 for a, b in itertools.pairwise(tops))


def test_click_on_a_point_takes_it():
    p = example()
    chart = lis.layout(EXAMPLE, 512)
    x, y = chart.cx(4), chart.y(4, EXAMPLE[4])
    cell = TASK.cell_at(p, x + 2, y - 2)
    assert cell == (0, 4)
    assert TASK.cell_command(p, (), cell, "return") == "take 4"
    assert TASK.cell_command(p, (1,), cell, "backspace") == "drop"
    assert TASK.cell_at(p, 1, 1) is None
