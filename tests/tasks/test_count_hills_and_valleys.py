"""CountHillsAndValleys: ladder, LeetCode-2210 count, lenient number verify, mark certificate, step mode, records."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core.env import HelixEnv
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.algorithms.count_hills_and_valleys import LADDER, layout, marks_text, true_marks

TASK = get_task("CountHillsAndValleys")
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "mmhelix-records.jsonl"
SEEDS = range(6)
LEVELS = (1, 2, 3, 4, 5)
EXAMPLE = [2, 4, 4, 1, 1, 3, 5, 2]  # the spec's example: hill 4 (1-2), valley 1 (3-4), hill 5 (6) -> 3


def make(terrain: list[int], level: int = 1):
    return TASK.puzzle(level, {"terrain": list(terrain)})


def reference_count(terrain: list[int]) -> int:
    """LeetCode 2210 directly: a position counts if it starts its run and its nearest different neighbours on
    both sides are both lower or both higher."""
    total = 0
    for i, h in enumerate(terrain):
        if i and terrain[i - 1] == h:
            continue
        left = next((terrain[j] for j in range(i - 1, -1, -1) if terrain[j] != h), None)
        right = next((terrain[j] for j in range(i + 1, len(terrain)) if terrain[j] != h), None)
        if left is not None and right is not None and (left < h > right or left > h < right):
            total += 1
    return total


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
def test_spec_example():
    p = make(EXAMPLE)
    assert TASK.solve(p) == "3"
    assert true_marks(tuple(EXAMPLE)) == ((1, 2, "hill"), (3, 4, "valley"), (6, 6, "hill"))
    assert TASK.verify(p, "3").correct
    assert TASK.verify(p, "marks: hill 1-2, valley 3-4, hill 6").correct


@pytest.mark.parametrize(("terrain", "answer"), [
    ([2, 4, 1, 1, 6, 5], 3), ([6, 6, 5, 5, 4, 1], 0), ([1, 2, 1], 1), ([3, 3, 3], 0), ([5], 0), ([1, 2], 0),
    ([1, 1, 1, 2, 1, 3], 2), ([1, 1, 2, 3, 3, 5, 5, 5, 5, 3], 1),
])
def test_small_known_counts(terrain, answer):
    assert TASK.solve(make(terrain)) == str(answer) == str(reference_count(terrain))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=25))
def test_count_matches_an_independent_reference(terrain):
    assert int(TASK.solve(make(terrain))) == reference_count(terrain)


# ---- the generator --------------------------------------------------------------------------------------------
def test_ladder_sizes_heights_and_no_zero_answers():
    for level, seed in itertools.product(LEVELS, range(25)):
        terrain = TASK.generate(np.random.default_rng(seed), level).data["terrain"]
        fewest, most, high = LADDER[level]
        assert fewest <= len(terrain) <= most and all(1 <= h <= high for h in terrain)
        assert reference_count(terrain) >= 1
    l1 = [TASK.generate(np.random.default_rng(s), 1).data["terrain"] for s in range(40)]
    assert any(a == b for t in l1 for a, b in itertools.pairwise(t))  # plateaus occur


def test_generation_uses_only_the_rng():
    assert TASK.generate_seeded(9, 4) == TASK.generate_seeded(9, 4)
    assert TASK.generate_seeded(9, 4) != TASK.generate_seeded(10, 4)


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
        assert TASK.verify(p, TASK.state_answer(p, state)).correct


def test_trace_follows_the_scan():
    p = TASK.generate_seeded(2, 3)
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == TASK.solve(p)
    assert [e.move for e in trace if e.kind == "deduce" and e.move] == TASK.solve_moves(p)[:-1]
    runs = 1 + sum(a != b for a, b in itertools.pairwise(p.data["terrain"]))
    assert sum(e.kind == "deduce" for e in trace) == 1 + (runs - 2)  # the merge, then one per interior stretch


# ---- verify: numbers ----------------------------------------------------------------------------------------------
def test_number_notations_are_accepted():
    p = make(EXAMPLE)
    for text in ["3", " 3 ", "3.0", "3.", "$3$", "3 units", "3 hills and valleys", "\\text{3}", "= 3", "+3",
                 "$\\mathbf{3}$", "3.000", "total: 3"]:
        assert TASK.verify(p, text).correct, text


def test_every_other_number_is_rejected_without_telling_the_count():
    p = TASK.generate_seeded(4, 3)
    n, answer = len(p.data["terrain"]), int(TASK.solve(p))
    templates = set()
    for v in range(-3, n + 4):
        verdict = TASK.verify(p, str(v))
        assert verdict.correct == (v == answer), v
        if not verdict.correct:
            assert verdict.violations and verdict.parsed == v
            if 0 <= v <= n - 2:
                templates.add(verdict.violations[0].replace(str(v), "V", 1))
    assert len(templates) == 1  # one message for every wrong count in range: nothing depends on the count
    for text in ["3.5", f"{answer}.5", f"{answer} 1", f"{answer}/2", "1e3", "two", ""]:
        assert not TASK.verify(p, text).correct, text


@pytest.mark.parametrize("text", [
    "", "   ", "__import__('os').system('echo hi')", "a" * 100_000, "\\boxed{", "nan", "inf", "1e999", "None",
    "marks:", "marks: hill", "marks: hill 9999999999999999999", "marks: valley -3", "marks: hill 3-1", "{}", "[]",
    "\x00", "marks: " + "hill 1, " * 5000,
])
def test_garbage_never_raises(text):
    verdict = TASK.verify(make(EXAMPLE), text)
    assert not verdict.correct and verdict.violations


# ---- verify: the mark certificate -----------------------------------------------------------------------------
def test_certificate_notations_are_accepted():
    p = make(EXAMPLE)
    for text in ["marks: hill 1-2, valley 3-4, hill 6", "Marks: valley 3-4; hill 6; hill 1-2",
                 "marks: hill 2, valley 3, hill 6", "MARKS: Hill 1 - 2, Valley 4, hill at 6",
                 "marks: hill 1 to 2\nvalley 3-4\nhill 6"]:
        assert TASK.verify(p, text).correct, text
    flat = make([1, 2, 3])
    assert TASK.verify(flat, "marks: none").correct and TASK.verify(flat, "marks:").correct


def test_every_single_edit_of_the_marks_is_rejected():
    for seed, level in itertools.product(range(3), (1, 3)):
        p = TASK.generate_seeded(seed, level)
        terrain = p.data["terrain"]
        truth = list(true_marks(tuple(terrain)))
        other = {"hill": "valley", "valley": "hill"}
        edits = []
        for k, (a, b, label) in enumerate(truth):
            edits.append(truth[:k] + truth[k + 1:])  # a missing mark
            edits.append([*truth[:k], (a, b, other[label]), *truth[k + 1:]])  # the wrong label
            edits.append([*truth, (a, b, label)])  # a mark repeated
        marked = {a for a, _, _ in truth}
        for i in range(len(terrain)):  # an extra mark on any stretch that is no hill or valley
            if (i == 0 or terrain[i - 1] != terrain[i]) and i not in marked:
                j = i
                while j + 1 < len(terrain) and terrain[j + 1] == terrain[i]:
                    j += 1
                edits.extend([[*truth, (i, j, "hill")], [*truth, (i, j, "valley")]])
        for edit in edits:
            assert not TASK.verify(p, marks_text(edit)).correct, edit
        assert TASK.verify(p, marks_text(truth)).correct


def test_a_mark_must_cover_a_whole_stretch():
    p = make(EXAMPLE)
    verdict = TASK.verify(p, "marks: hill 1-1, valley 3-4, hill 6")
    assert not verdict.correct and "not one whole stretch" in verdict.violations[0]
    verdict = TASK.verify(p, "marks: hill 1-2, valley 3-4, hill 6-9")
    assert not verdict.correct and "outside" in verdict.violations[0]
    missing = TASK.verify(p, "marks: hill 1-2, hill 6")
    assert missing.violations == ["not every hill and valley is marked"]


# ---- step mode -----------------------------------------------------------------------------------------------
def test_marks_snap_to_the_stretch_and_relabel():
    p = make(EXAMPLE)
    s = TASK.apply(p, (), "mark 2 hill")
    assert s == ((1, 2, "hill"),)
    assert TASK.apply(p, s, "Mark 1 valley.") == ((1, 2, "valley"),)
    assert TASK.apply(p, s, "mark valley 4") == ((1, 2, "hill"), (3, 4, "valley"))
    assert TASK.apply(p, s, "mark 6 h") == ((1, 2, "hill"), (6, 6, "hill"))
    assert TASK.apply(p, s, "unmark 1") == ()
    assert "hill 1-2" in TASK.state_text(p, s) and json.loads(TASK.state_text(p, s).splitlines()[0]) == {
        "terrain": EXAMPLE}


@pytest.mark.parametrize("move", ["mark 8 hill", "mark 2 hill", "mark 2 mountain", "unmark 3", "mark -1 hill",
                                  "jump", "", "mark hill", "unmark", "submit please"])
def test_illegal_moves_raise_and_change_nothing(move):
    p = make(EXAMPLE)
    state = ((1, 2, "hill"),)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == ((1, 2, "hill"),)


def test_conflicts_name_wrong_marks_only():
    p = make(EXAMPLE)
    state = play(p, ["mark 0 hill", "mark 1 valley", "mark 6 hill", "mark 5 hill"])
    found = TASK.conflicts(p, state)
    assert len(found) == 3 and any("start of the terrain" in c for c in found)
    assert TASK.conflicts(p, play(p, ["mark 1 hill", "mark 3 valley"])) == []  # incomplete is not a conflict


def test_submit_judges_the_set_not_just_the_count():
    p = make(EXAMPLE)
    for moves, reward in ([["mark 1 hill", "mark 3 valley", "mark 6 hill"], 1.0],
                          [["mark 1 hill", "mark 3 valley", "mark 5 hill"], 0.0],  # right count, wrong set
                          [["mark 1 valley", "mark 3 hill", "mark 6 hill"], 0.0]):
        env = HelixEnv(TASK.name, mode="step", obs="text")
        env.reset(options={"puzzle": p.to_json()})
        for move in moves:
            assert not env.step(move)[4]["invalid"]
        _, r, terminated, _, _ = env.step("submit")
        assert terminated and r == reward


def test_budget_and_moves_do_not_depend_on_the_answer():
    p = TASK.generate_seeded(1, 5)
    n = len(p.data["terrain"])
    assert TASK.step_budget(p) == 2 * n + 20
    assert len(TASK.move_space(p)) == 3 * n + 1
    assert len(TASK.moves(p, ())) == 2 * n + 1


# ---- records ---------------------------------------------------------------------------------------------------
def test_round_trip():
    for level in LEVELS:
        p = TASK.generate_seeded(11, level)
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["initial_state"] == {"terrain": p.data["terrain"]} and record["answer"] == TASK.solve(p)
        assert TASK.from_record(record) == p and TASK.from_record(record).seed == p.seed


def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["terrain"] == row["initial_state"]["terrain"]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        bare = {k: v for k, v in row.items() if k != "initial_state"}  # the text question alone is enough
        assert TASK.from_record(bare).data == p.data
        as_string = {**row, "initial_state": json.dumps(row["initial_state"])}
        assert TASK.from_record(as_string).data == p.data


def test_bad_records_raise_record_error():
    for record in [{}, {"initial_state": {"terrain": []}}, {"initial_state": {"terrain": ["a"]}},
                   {"initial_state": "not json", "question_language": "no list here"}]:
        with pytest.raises(RecordError):
            TASK.from_record(record)


# ---- pictures --------------------------------------------------------------------------------------------------
def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_shows_marks():
    for level in (1, 5):
        p = TASK.generate_seeded(3, level)
        assert _png(TASK.render(p)) == _png(TASK.render(p))
        state = play(p, TASK.solve_moves(p)[:1])
        assert TASK.render(p).size == (512, 512)
        assert TASK.render(p, state).tobytes() != TASK.render(p).tobytes()
        assert TASK.render(p, ()).tobytes() != TASK.render(p).tobytes()  # the status line


def test_cell_at_finds_every_bar():
    for level in (1, 5):
        p = TASK.generate_seeded(0, level)
        geo = layout(p.data["terrain"], 512)
        for i, h in enumerate(p.data["terrain"]):
            x0, _, x1, base = geo.box(i, h)
            assert TASK.cell_at(p, (x0 + x1) / 2, base - 1) == (0, i)
        assert TASK.cell_at(p, 2, 2) is None
    assert TASK.cell_command(p, (), (0, 4), "h") == "mark 4 hill"
    assert TASK.cell_command(p, (), (0, 4), "x") == "unmark 4"
