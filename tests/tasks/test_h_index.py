"""HIndex: ladder, h-index by ranking, lenient number verify, witness step mode, records, pictures."""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core.env import HelixEnv
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms.h_index import LADDER, layout

TASK = get_task("HIndex")
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "mmhelix-records.jsonl"
SEEDS = range(6)
LEVELS = (1, 2, 3, 4, 5)
EXAMPLE = [6, 0, 3, 5, 1, 5]  # the spec's example: three papers with >= 3 citations, not four with >= 4


def make(citations: list[int], level: int = 1):
    return TASK.puzzle(level, {"citations": list(citations)})


def reference_h(citations: list[int]) -> int:
    """The definition read literally: the largest h in 0..n with at least h counts >= h."""
    return max(h for h in range(len(citations) + 1) if sum(c >= h for c in citations) >= h)


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"official samples not found at {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


def play(puzzle, moves):
    state = TASK.initial_state(puzzle)
    for move in moves:
        state = TASK.apply(puzzle, state, move)
    return state


# ---- hand-made instances ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("citations", "h"), [
    (EXAMPLE, 3), ([3, 0, 6, 1, 5], 3), ([1, 3, 1], 1), ([0, 0, 0], 0), ([100] * 5, 5), ([0], 0), ([1], 1),
    ([3, 15, 15, 0, 8, 2, 9], 4), ([4, 4, 4, 4], 4), ([5, 5, 5, 1], 3),
])
def test_known_h(citations, h):
    p = make(citations)
    assert TASK.solve(p) == str(h) == str(reference_h(citations))
    assert TASK.verify(p, str(h)).correct


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=40))
def test_h_matches_the_definition(citations):
    assert int(TASK.solve(make(citations))) == reference_h(citations)


# ---- the generator --------------------------------------------------------------------------------------------
def test_ladder():
    zeros = 0
    for level, seed in itertools.product(LEVELS, range(25)):
        cites = TASK.generate(np.random.default_rng(seed), level).data["citations"]
        fewest, most, top = LADDER[level]
        assert fewest <= len(cites) <= most and all(0 <= c <= top for c in cites)
        if level <= 2:
            assert 3 <= reference_h(cites) <= 7
            zeros += cites.count(0)
        else:
            assert min(cites) >= 1 and sum(c >= int(0.7 * top) for c in cites) >= 2
    assert zeros  # zero-citation papers occur at levels 1-2


# ---- solvability -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_moves_are_right(level):
    for seed in SEEDS:
        p = TASK.generate_seeded(seed, level)
        assert TASK.verify(p, TASK.solve(p)).correct
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit" and set(moves) <= set(TASK.move_space(p))
        state = play(p, moves[:-1])
        assert not TASK.is_solved(p, state) and TASK.conflicts(p, state) == []
        assert TASK.state_answer(p, state) == TASK.solve(p)


def test_trace_walks_the_ranking():
    for level in (1, 5):
        p = TASK.generate_seeded(2, level)
        trace = TASK.solve_trace(p)
        h = int(TASK.solve(p))
        assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == str(h)
        assert [e.move for e in trace if e.kind == "deduce" and e.move] == TASK.solve_moves(p)[:-1]
        assert any(e.kind == "deduce" and ("Stop" in e.note or "All" in e.note) for e in trace)


# ---- verify -----------------------------------------------------------------------------------------------------
def test_number_notations_are_accepted():
    p = make(EXAMPLE)
    for text in ["3", " 3 ", "3.0", "3.", "$3$", "3 papers", "h = 3", "\\text{3}", "+3", "$\\mathbf{3}$",
                 "h-index: 3"]:
        assert TASK.verify(p, text).correct, text


def test_every_other_number_is_rejected_without_naming_h():
    p = TASK.generate_seeded(4, 3)
    n, h = len(p.data["citations"]), int(TASK.solve(p))
    for v in range(-3, n + 4):
        verdict = TASK.verify(p, str(v))
        assert verdict.correct == (v == h), v
        if not verdict.correct:
            assert verdict.violations and verdict.parsed == v
            text = verdict.violations[0]
            if v > h:  # only v itself (and n when v > n) appears: the condition fails for v
                assert set(map(int, re.findall(r"\d+", text))) <= {abs(v), n}
            elif 0 <= v < h:  # the condition holds for v + 1, which the definition lets anyone check
                assert set(map(int, re.findall(r"\d+", text))) <= {v, v + 1}
    for text in ["3.5", f"{h}.5", f"{h} {h}", f"{h}/2", "1e3", "three", ""]:
        assert not TASK.verify(p, text).correct, text


@pytest.mark.parametrize("text", [
    "", "   ", "__import__('os').system('echo hi')", "a" * 100_000, "\\boxed{", "nan", "inf", "1e999", "None",
    "{}", "[]", "\x00", "select 1", "9" * 5000,
])
def test_garbage_never_raises(text):
    verdict = TASK.verify(make(EXAMPLE), text)
    assert not verdict.correct and verdict.violations


# ---- step mode -----------------------------------------------------------------------------------------------
def test_select_and_deselect():
    p = make(EXAMPLE)
    s = play(p, ["select 3", "Select paper 0.", "pick #5"])
    assert s == (0, 3, 5)
    assert TASK.apply(p, s, "deselect 3") == (0, 5) and TASK.apply(p, s, "unselect 0") == (3, 5)
    assert TASK.state_text(p, s).splitlines() == ['{"citations": [6, 0, 3, 5, 1, 5]}',
                                                  "selected papers: 0, 3, 5 (3 in all)"]
    assert TASK.state_answer(p, s) == "3" and "submit" in TASK.moves(p, s)


@pytest.mark.parametrize("move", ["select 6", "select 0", "deselect 1", "select -1", "select", "choose all",
                                  "select 1 2", "", "submit now"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = make(EXAMPLE)
    state = (0,)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == (0,)


def test_an_invalid_witness_cannot_be_submitted():
    p = make(EXAMPLE)
    state = play(p, ["select 0", "select 1", "select 3"])  # paper 1 has 0 < 3 citations
    with pytest.raises(InvalidMove, match="paper 1 has 0 citations"):
        TASK.state_answer(p, state)
    assert TASK.conflicts(p, state) == ["paper 1 has 0 citations, fewer than the 3 papers selected"]
    assert "submit" not in TASK.moves(p, state)
    env = HelixEnv(TASK.name, mode="step", obs="text")
    env.reset(options={"puzzle": p.to_json()})
    for move in ["select 0", "select 1", "select 3"]:
        env.step(move)
    before = env.state
    _, reward, terminated, _, info = env.step("submit")
    assert info["invalid"] and not terminated and reward == 0.0 and env.state == before


@pytest.mark.parametrize(("moves", "reward"), [
    (["select 0", "select 3", "select 5"], 1.0),
    (["select 0", "select 3"], 0.0),  # a valid witness, but not the largest
    ([], 0.0),
])
def test_submit_rewards_only_the_largest_witness(moves, reward):
    env = HelixEnv(TASK.name, mode="step", obs="text")
    env.reset(options={"puzzle": make(EXAMPLE).to_json()})
    for move in moves:
        assert not env.step(move)[4]["invalid"]
    _, r, terminated, _, _ = env.step("submit")
    assert terminated and r == reward


def test_budget_and_spaces_do_not_depend_on_h():
    p = TASK.generate_seeded(1, 5)
    n = len(p.data["citations"])
    assert TASK.step_budget(p) == 2 * n + 20 and len(TASK.move_space(p)) == 2 * n + 1
    assert len(TASK.moves(p, ())) == n + 1


# ---- records ---------------------------------------------------------------------------------------------------
def test_round_trip():
    for level in LEVELS:
        p = TASK.generate_seeded(11, level)
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["initial_state"] == {"citations": p.data["citations"]} and record["answer"] == TASK.solve(p)
        assert TASK.from_record(record) == p and TASK.from_record(record).seed == p.seed


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["citations"] == row["initial_state"]["citations"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        bare = {k: v for k, v in row.items() if k != "initial_state"}
        assert TASK.from_record(bare).data == p.data
        assert TASK.from_record({**row, "initial_state": str(row["initial_state"])}).data == p.data


def test_bad_records_raise_record_error():
    for record in [{}, {"initial_state": {"citations": []}}, {"initial_state": {"citations": [1, -2]}},
                   {"initial_state": {"citations": [True]}}]:
        with pytest.raises(RecordError):
            TASK.from_record(record)


# ---- pictures --------------------------------------------------------------------------------------------------
def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_shows_the_selection():
    for level in (1, 5):
        p = TASK.generate_seeded(3, level)
        assert _png(TASK.render(p)) == _png(TASK.render(p)) and TASK.render(p).size == (512, 512)
        state = play(p, TASK.solve_moves(p)[:1])
        assert TASK.render(p, state).tobytes() != TASK.render(p, ()).tobytes() != TASK.render(p).tobytes()


def test_cell_at_finds_every_bar():
    for level in (1, 5):
        p = TASK.generate_seeded(0, level)
        geo = layout(p.data["citations"], 512)
        for i in range(len(p.data["citations"])):
            x0, _, x1, base = geo.box(i, 0)
            assert TASK.cell_at(p, (x0 + x1) / 2, base - 1) == (0, i)
    assert TASK.cell_command(p, (2,), (0, 2), "s") == "deselect 2"
    assert TASK.cell_command(p, (), (0, 2), "space") == "select 2"
