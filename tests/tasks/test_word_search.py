"""WordSearch: unique hiding, placement-checking verifier (any true occurrence), step mode, records."""

from __future__ import annotations

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS
from helix_gym.core.words import is_common
from helix_gym.tasks.puzzles.word_search import DIRS, SIZES, STEP, WORD_LENGTHS, occurrences
from tests.conftest import official_rows

TASK = get_task("WordSearch")

# the spec's own 5x5 example (section 5.5): CAT reads east from (1, 2), nowhere else
HAND = [["K", "Q", "Z", "B", "M"], ["C", "A", "T", "R", "E"], ["P", "L", "O", "W", "N"], ["J", "U", "D", "S", "H"],
        ["V", "X", "G", "I", "F"]]
# CAT twice: east from (1, 1) and south from (5, 3) (official grids can hold a second occurrence)
TWICE = [["C", "A", "T", "Q", "Z"], ["B", "M", "R", "E", "P"], ["L", "O", "W", "N", "C"], ["J", "U", "D", "S", "A"],
         ["V", "X", "G", "I", "T"]]


def hand_puzzle(grid=HAND, answer="CAT E (1, 2) @"):
    return TASK.from_record({"category": "wordsearch", "difficulty": "1", "initial_state": grid, "answer": answer})


def reads(grid: list[str], word: str, x: int, y: int, d: str) -> bool:
    """Independent judge: walk the letters of the word from (x, y)."""
    n = len(grid)
    dx, dy = STEP[d]
    for k, ch in enumerate(word):
        cx, cy = x + k * dx, y + k * dy
        if not (1 <= cx <= n and 1 <= cy <= n) or grid[cy - 1][cx - 1] != ch:
            return False
    return True


# ---- hand-made instance ----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = hand_puzzle()
    assert p.data == {"grid": ["KQZBM", "CATRE", "PLOWN", "JUDSH", "VXGIF"], "word": "CAT", "start": [1, 2],
                      "dir": "E"}
    assert TASK.solve(p) == "CAT E (1, 2) @"
    assert TASK.verify(p, "CAT E (1, 2) @").correct
    v = TASK.verify(p, "CAT W (3, 2) @")
    assert not v.correct and v.violations == ["going W from (3, 2) the grid reads TAC, not CAT"]
    v = TASK.verify(p, "CAT N (1, 2) @")
    assert v.violations == ["going N from (1, 2) leaves the grid after 2 letters (CK); CAT has 3"]
    assert TASK.verify(p, "CAT E (6, 2) @").violations == ["(6, 2) is outside the 5x5 grid (x and y run from 1 to 5)"]
    assert "DOG" in TASK.verify(p, "DOG E (1, 2) @").violations[0]


# ---- generation and solvability --------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_generated_instances_hide_the_word_exactly_once_and_are_solved(level):
    for seed in range(12):
        p = TASK.generate_seeded(seed, level)
        grid, word = p.data["grid"], p.data["word"]
        n = SIZES[level]
        assert len(grid) == n and all(len(r) == n and r.isupper() and r.isalpha() for r in grid)
        lo, hi = WORD_LENGTHS[level]
        assert lo <= len(word) <= hi and is_common(word) and word != word[::-1]
        hits = [(x, y, d) for y in range(1, n + 1) for x in range(1, n + 1) for d in DIRS if reads(grid, word, x, y, d)]
        assert hits == [(*p.data["start"], p.data["dir"])]
        assert occurrences(grid, word) == hits
        assert TASK.verify(p, TASK.solve(p)).correct
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct


def test_all_eight_directions_are_used():
    seen = {TASK.generate_seeded(seed, 3).data["dir"] for seed in range(80)}
    assert seen == set(DIRS)


def test_trace_scans_and_ends_with_the_answer():
    for level in (1, 5):
        p = TASK.generate_seeded(4, level)
        trace = TASK.solve_trace(p)
        assert {e.kind for e in trace} <= set(TRACE_KINDS) and trace[-1].kind == "answer"
        assert trace[-1].move == TASK.solve(p) and any(e.kind == "try" for e in trace)
        dead = [e for e in trace if e.kind == "dead_end"]
        assert len(dead) == sum(e.kind == "try" for e in trace) - 1  # every tried start but the last fails


# ---- soundness: every wrong placement is rejected (exhaustive) ---------------------------------------------
@pytest.mark.parametrize("level", [1, 3])
def test_every_other_placement_is_rejected(level):
    p = TASK.generate_seeded(9, level)
    word, n = p.data["word"], SIZES[level]
    right = (*p.data["start"], p.data["dir"])
    for y in range(1, n + 1):
        for x in range(1, n + 1):
            for d in DIRS:
                v = TASK.verify(p, f"{word} {d} ({x}, {y}) @")
                assert v.correct == ((x, y, d) == right), (x, y, d)
                assert v.correct or v.violations


def test_wrong_word_or_ambiguous_direction_is_rejected():
    p = hand_puzzle()
    for answer in ("COT E (1, 2) @", "CATS E (1, 2) @", "CAT E S (1, 2) @", "CAT east south (1, 2)",
                   "CAT E (1, 2) (2, 2) (3, 2)", "CAT E", "CAT (1, 2)", "CAT E (1, 2) -> (2, 3)",
                   "CAT SE (1, 2) -> (3, 2)", "CAT E (0, 1) @", "CAT E (2, 1) @"):
        v = TASK.verify(p, answer)
        assert not v.correct and v.violations, answer


# ---- completeness: other notations, other occurrences ----------------------------------------------------
@pytest.mark.parametrize("answer", [
    "CAT E (1, 2) @", "CAT E @ (1, 2)", "CAT E (1, 2)", "cat e (1,2)", "CAT, E, (1, 2)", "CAT east (1, 2)",
    "CAT right (1, 2)", "CAT rightward from (1, 2)", "Word: CAT, direction: E, start: (1, 2)", "CAT E [1, 2]",
    "CAT E x=1, y=2", "CAT E row 2 column 1", "CAT E row 2, col 1", r"\text{CAT E (1, 2) @}", "$CAT\\ E\\ (1, 2)$",
    "E (1, 2)", "CAT (1, 2) -> (3, 2)", "CAT from (1, 2) to (3, 2)", "CAT E (1, 2) to (3, 2)", "CAT → (1, 2)",
    "CAT E (1, 2) @\n",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(hand_puzzle(), answer).correct, answer


def test_diagonal_words_and_phrases():
    grid = ["QQQQT", "QQQAQ", "QQCQQ", "QQQQQ", "QQQQQ"]
    p = TASK.puzzle(1, {"grid": grid, "word": "CAT", "start": [3, 3], "dir": "NE"})
    for answer in ("CAT NE (3, 3) @", "CAT north-east (3, 3)", "CAT northeast (3, 3)", "CAT up and to the right (3, 3)",
                   "CAT diagonally up-right (3, 3)", "CAT right-up (3, 3)", "CAT (3, 3) (5, 1)", "CAT ↗ (3, 3)"):
        assert TASK.verify(p, answer).correct, answer
    assert not TASK.verify(p, "CAT SW (5, 1) @").correct  # the same cells, read backwards


def test_a_second_occurrence_is_accepted_too():
    p = hand_puzzle(TWICE, "CAT E (1, 1) @")
    assert occurrences(p.data["grid"], "CAT") == [(1, 1, "E"), (5, 3, "S")]
    assert TASK.verify(p, "CAT E (1, 1) @").correct and TASK.verify(p, "CAT S (5, 3) @").correct


# ---- records -----------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = [r for r in official_rows() if r.get("category") == "wordsearch"]
    if not rows:
        pytest.skip("no official WordSearch rows")
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and len(p.data["grid"]) == SIZES[p.level]
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        word, d, x, y = p.data["word"], p.data["dir"], *p.data["start"]
        assert TASK.verify(p, f"{word} {d} @ ({x}, {y})").correct  # the official judge's own format
        assert TASK.from_record(TASK.to_record(p)) == p


def test_round_trip_and_record_fields():
    for level in (1, 5):
        p = TASK.generate_seeded(21, level)
        rec = TASK.to_record(p)
        assert rec["category"] == "wordsearch" and rec["difficulty"] == str(level)
        assert rec["answer"] == TASK.solve(p) and rec["answer"].endswith(" @")
        assert rec["initial_state"] == [list(r) for r in p.data["grid"]] and rec["step_count"] == 5
        assert TASK.from_record(rec) == p
    text_grid = str(HAND)  # a record whose grid was serialised as text
    assert hand_puzzle(text_grid).data == hand_puzzle().data


def test_bad_records_are_refused():
    for record in ({"answer": "CAT E (1, 2) @"}, {"initial_state": HAND, "answer": "(1, 2)"},
                   {"initial_state": HAND, "answer": "DOG E (1, 2) @"}, {"initial_state": [["A", "B"]], "answer": "A"}):
        with pytest.raises(RecordError):
            TASK.from_record({"category": "wordsearch", "difficulty": "1", **record})


def test_a_wrong_official_answer_falls_back_to_the_real_occurrence():
    assert hand_puzzle(answer="CAT E @ (9, 9)").data["start"] == [1, 2]


# ---- prompts and pictures --------------------------------------------------------------------------------
def test_prompts_name_the_word_only_in_text_and_never_the_position():
    p = TASK.generate_seeded(2, 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert p.data["word"] in text and p.data["word"] not in image
    assert str(list(p.data["grid"][0])) in text and "WORD DIRECTION (x, y) @" in text
    assert TASK.solve(p) not in text + image


def test_render_is_deterministic_and_shows_step_positions():
    p = TASK.generate_seeded(5, 5)
    a, b = TASK.render(p), TASK.render(p)
    assert a.tobytes() == b.tobytes() and max(a.size) <= 520
    state = TASK.apply(p, TASK.initial_state(p), "read 1 1 SE 4")
    marked = TASK.apply(p, state, "mark 1 1 E")
    assert len({TASK.render(p, s).tobytes() for s in (None, state, marked)}) == 3


# ---- step mode ------------------------------------------------------------------------------------------
def test_step_commands():
    p = hand_puzzle()
    s0 = TASK.initial_state(p)
    s = TASK.apply(p, s0, "read 1 2 E")
    assert s == (None, (1, 2, "E", 3)) and "Last read: 3 letters from (1, 2) going E: CAT" in TASK.state_text(p, s)
    s = TASK.apply(p, s, "read 1 2 east 5")
    assert "CATRE" in TASK.state_text(p, s)
    s = TASK.apply(p, s, "read 4 2 E 5")
    assert "RE (the grid ends after 2)" in TASK.state_text(p, s)
    s = TASK.apply(p, s, "mark 3 2 W")
    assert not TASK.is_solved(p, s) and TASK.conflicts(p, s) == ["going W from (3, 2) the grid reads TAC, not CAT"]
    assert TASK.state_answer(p, s) == "CAT W (3, 2) @"
    s = TASK.apply(p, s, "clear")
    assert s[0] is None and TASK.conflicts(p, s) == []
    for move in ("mark 1 2 E", "MARK 1 2 east", "mark 1 2 3 2", "find CAT E 1 2", "select (1, 2) E",
                 "find cat e (1,2)"):
        s = TASK.apply(p, TASK.initial_state(p), move)
        assert TASK.is_solved(p, s) and s[0] == (1, 2, "E"), move


@pytest.mark.parametrize("move", [
    "mark 0 0 E", "mark 6 1 E", "mark 4 2 E", "mark 1 1 X", "mark 1 2", "mark 1 2 3 3", "find DOG E 1 2",
    "read 9 9 E", "read 1 1", "read 1 1 E 0", "read 1 1 E 6", "read 1 1 E S", "clear", "jump 1 2", "", "mark",
    "read 1 1 E 2 3",
])
def test_illegal_moves_raise_and_change_nothing(move):
    p = hand_puzzle()
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove):
        TASK.apply(p, state, move)
    assert state == (None, None)
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)


def test_marking_the_same_line_twice_is_refused():
    p = hand_puzzle()
    s = TASK.apply(p, TASK.initial_state(p), "mark 3 2 W")
    with pytest.raises(InvalidMove):
        TASK.apply(p, s, "mark 3 2 W")


def test_move_space_lists_fitting_marks_reads_and_clear():
    p = hand_puzzle()
    space = TASK.move_space(p)
    assert len(space) == len(set(space)) and space[-1] == "clear"
    marks = [m for m in space if m.startswith("mark")]
    assert len(marks) == sum(1 for y in range(1, 6) for x in range(1, 6) for d in DIRS
                             if 1 <= x + 2 * STEP[d][0] <= 5 and 1 <= y + 2 * STEP[d][1] <= 5)
    assert sum(m.startswith("read") for m in space) == 25 * 8
    for m in space[:-1]:
        TASK.apply(p, TASK.initial_state(p), m)  # every listed command but `clear` is legal at the start


def test_click_and_key_marks_a_line():
    p = hand_puzzle()
    picture = TASK.render(p)
    ml, mt = 0.8, 1.9
    cell = int(512 / max(5 + 0.8 + 0.3, 5 + 1.9 + 1.0))
    assert picture.size[0] == round(ml * cell) + 5 * cell + round(0.3 * cell)
    x, y = round(ml * cell) + cell // 2, round(mt * cell) + cell + cell // 2  # centre of column 1, row 2
    assert TASK.cell_at(p, x, y) == (1, 0) and TASK.cell_at(p, 2, 2) is None
    assert TASK.cell_command(p, TASK.initial_state(p), (1, 0), "right") == "mark 1 2 E"
    assert TASK.cell_command(p, TASK.initial_state(p), (1, 0), "c") == "mark 1 2 SE"
    assert TASK.cell_command(p, TASK.initial_state(p), (1, 0), "left") is None  # leaves the grid
    assert TASK.cell_command(p, TASK.initial_state(p), (1, 0), "7") is None


# ---- never raises on garbage ------------------------------------------------------------------------------
@pytest.mark.parametrize("junk", [
    "", "   ", "__import__('os').system('ls')", "eval('1')", "@@@@", "(((((", "1e999", "nan", "None", "[]", "{}",
    "CAT" * 5000, "(1, 2)" * 500, "\x00", "🙂", "CAT E (99999999999999999999, 2) @", "CAT E (-1, 2) @",
])
def test_verify_never_raises(junk):
    v = TASK.verify(hand_puzzle(), junk)
    assert not v.correct and v.violations


def test_random_answer_has_the_right_shape():
    p = TASK.generate_seeded(1, 2)
    rng = np.random.default_rng(0)
    for _ in range(20):
        v = TASK.verify(p, TASK.random_answer(p, rng))
        assert v.parsed is not None or v.violations
