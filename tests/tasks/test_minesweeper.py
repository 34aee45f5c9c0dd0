"""Minesweeper: unique-board generator, rule verifier (every number, every blank), marking game, records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS

TASK = get_task("Minesweeper")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"

# the spec's example (section 5.5): 5x5, mines at (0,4), (2,0), (2,2)
HAND = "| | | |1| |\n|1|2|1|2|1|\n| |2| |1| |\n|1|2|1|1| |\n| | | | | |"
HAND_MINES = {(0, 4), (2, 0), (2, 2)}
# a board with two mine sets: the two diagonals' corners
TWIN = "| |1| |\n|1|2|1|\n| |1| |"


def load(board: str, level: int = 1):
    return TASK.from_record({"category": "minesweeper", "difficulty": str(level), "initial_state": board})


def board_of(text: str) -> list[list[str]]:
    return [line[1:-1].split("|") for line in text.split("\n")]


def reference_ok(board: str, mines: set[tuple[int, int]]) -> bool:
    """Independent judge on the raw text: the mines, placed on the board, draw exactly this board."""
    cells = board_of(board)
    n = len(cells)
    for r in range(n):
        for c in range(n):
            if (r, c) in mines:
                if cells[r][c] != " ":
                    return False
                continue
            k = sum((r + dr, c + dc) in mines for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)
            if cells[r][c] != (str(k) if k else " "):
                return False
    return all(0 <= r < n and 0 <= c < n for r, c in mines)


def text_of(p) -> str:
    n = p.data["size"]
    return "\n".join("|" + "|".join(str(v) if v else " " for v in row) + "|" for row in p.data["board"][:n])


def fmt(mines) -> str:
    return ",".join(f"({r},{c})" for r, c in sorted(mines))


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"samples file missing: {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == "minesweeper"]


# ---- hand-made instances -----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = load(HAND)
    assert p.data["size"] == 5 and {tuple(m) for m in p.data["mines"]} == HAND_MINES
    assert TASK.solve(p) == "(0, 4),(2, 0),(2, 2)"  # the official spelling
    assert TASK.verify(p, "(0,4),(2,0),(2,2)").correct
    v = TASK.verify(p, "(0,4),(2,0)")
    assert not v.correct and "the 2 at (1,1) touches 1 of the listed mines" in v.violations
    v = TASK.verify(p, "(0,4),(2,0),(2,2),(4,4)")
    assert not v.correct and any("(3,3)" in x for x in v.violations)
    v = TASK.verify(p, "(0,4),(2,0),(1,1)")
    assert v.violations == ["(1,1) shows the number 2, so it is a safe cell, not a mine"]
    v = TASK.verify(p, "(0,4),(2,0),(2,2),(5,0)")
    assert "outside the 5x5 board" in v.violations[0]


def test_a_board_with_two_mine_sets_accepts_both():
    """The rules, not a stored set: the official judge would reject the second one."""
    p = load(TWIN)
    from helix_gym.tasks.games.minesweeper import solutions

    assert sorted(solutions(3, [0, 1, 0, 1, 2, 1, 0, 1, 0], 5)) == [[0, 8], [2, 6]]
    assert TASK.verify(p, "(0,0),(2,2)").correct and TASK.verify(p, "(0,2),(2,0)").correct
    assert not TASK.verify(p, "(0,0),(0,2)").correct
    assert TASK.verify(p, TASK.solve(p)).correct


@pytest.mark.parametrize("answer", [
    "(0,4),(2,0),(2,2)", "(0, 4), (2, 0), (2, 2)", "(2,2),(0,4),(2,0)", "(0,4),(0,4),(2,0),(2,2)",
    "[(0, 4), (2, 0), (2, 2)]", "[[0,4],[2,0],[2,2]]", "{(0,4), (2,0), (2,2)}", "(0;4) (2;0) (2;2)",
    "0 4; 2 0; 2 2", "0,4, 2,0, 2,2", "$(0,4),(2,0),(2,2)$", r"\left(0,4\right),\left(2,0\right),\left(2,2\right)",
    "(0.0, 4.0),(2.0, 0.0),(2.0, 2.0)", "Mines: (0,4), (2,0) and (2,2).", "(0,4)\n(2,0)\n(2,2)",
    r"\text{(0,4),(2,0),(2,2)}",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(load(HAND), answer).correct


@pytest.mark.parametrize("garbage", [
    "__import__('os').system('ls')", "", "{}", "[]", "\\boxed{", "None", "🙂" * 50, "(" * 1000, "\x00\x01",
    "(0,4)" * 3000, "1e999", "(-1,4),(2,0),(2,2)", "(0,4),(2,0),(2,2),(−1,0)", "0 4 2", "(1,1,1)", 12345,
    "(1,2),(3,4)", "row 0 col 4",
])
def test_verify_never_raises_and_rejects_garbage(garbage):
    v = TASK.verify(load(HAND), garbage)
    assert not v.correct and v.violations


# ---- generation --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_generated_boards_follow_the_ladder_and_have_one_mine_set(level):
    from helix_gym.tasks.games.minesweeper import LADDER, solutions

    n, k = LADDER[level]
    for seed in range(10):
        p = TASK.generate(np.random.default_rng(seed), level)
        mines = {tuple(m) for m in p.data["mines"]}
        assert p.data["size"] == n and len(mines) == k and len(p.data["board"]) == n
        board = text_of(p)
        assert reference_ok(board, mines)
        flat = [v for row in p.data["board"] for v in row]
        assert len(solutions(n, flat, 2)) == 1
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        state = TASK.initial_state(p)
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit"
        for move in moves[:-1]:
            state = TASK.apply(p, state, move)
        assert not TASK.is_solved(p, state)  # the game ends by submit
        assert TASK.verify(p, TASK.state_answer(p, state)).correct


def test_generation_is_deterministic_and_level_checked():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


def test_solve_trace_deduces_and_ends_with_the_answer():
    for seed in range(6):
        p = TASK.generate(np.random.default_rng(seed), 3)
        trace = TASK.solve_trace(p)
        assert all(e.kind in TRACE_KINDS for e in trace)
        assert trace[0].kind == "read" and trace[-2].kind == "check" and trace[-1].kind == "answer"
        assert trace[-1].move == TASK.solve(p)
        assert any(e.kind == "deduce" for e in trace)


def test_search_tries_where_the_numbers_do_not_decide():
    trace = TASK.solve_trace(load(TWIN))
    kinds = [e.kind for e in trace]
    assert "try" in kinds and TASK.verify(load(TWIN), trace[-1].move).correct


def test_impossible_boards_are_refused():
    from helix_gym.core.task import TraceEvent
    from helix_gym.tasks.games.minesweeper import _Search

    events: list[TraceEvent] = []
    assert _Search(2, [1, 1, 0, 3], events).run(1) == []
    assert any(e.kind == "dead_end" for e in events)
    for bad in ("|1|1|\n| |3|", "|8| |\n| | |"):
        with pytest.raises(RecordError):
            load(bad)


# ---- soundness: every single edit of a correct answer ------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_single_edit_is_judged_by_the_rules(level):
    for seed in range(3):
        p = TASK.generate(np.random.default_rng(50 + seed), level)
        n = p.data["size"]
        mines = {tuple(m) for m in p.data["mines"]}
        board = text_of(p)
        cells = [(r, c) for r in range(n) for c in range(n)]
        edits = [mines - {m} for m in mines]  # a mine missing
        edits += [mines | {x} for x in cells if x not in mines]  # an extra cell, numbered or blank
        edits += [(mines - {m}) | {x} for m in mines for x in cells if x not in mines]  # a mine moved
        edits += [mines | {(n, 0)}, mines | {(0, n)}]  # off the board
        for edit in edits:
            verdict = TASK.verify(p, fmt(edit))
            assert verdict.correct == reference_ok(board, edit), edit
            assert not verdict.correct and verdict.violations, edit  # one mine set: every edit breaks a rule


# ---- official rows -----------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.to_record(p)["initial_state"] == row["initial_state"]
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]  # the official spelling, and the same (unique) set
        assert reference_ok(row["initial_state"], {tuple(m) for m in p.data["mines"]})


# ---- records -----------------------------------------------------------------------------------------------
def test_record_round_trip():
    for level in (1, 3, 5):
        p = TASK.generate(np.random.default_rng(level), level)
        rec = TASK.to_record(p)
        assert rec["category"] == "minesweeper" and rec["difficulty"] == str(level)
        assert rec["answer"] == TASK.solve(p) and rec["initial_state"] == text_of(p)
        assert TASK.from_record(rec) == p
        assert TASK.from_record(json.loads(json.dumps(rec))) == p
        assert TASK.from_record({**rec, "answer": "garbage"}) == p  # the solver recovers the mines
    seeded = TASK.generate_seeded(5, 2)
    assert TASK.from_record(TASK.to_record(seeded)) == seeded


def test_from_record_accepts_escaped_newlines_and_line_lists():
    p = load(HAND)
    assert TASK.from_record({"difficulty": 1, "initial_state": HAND.replace("\n", "\\n")}) == p
    assert TASK.from_record({"difficulty": 1, "initial_state": HAND.split("\n")}) == p


@pytest.mark.parametrize("bad", [
    "", "| | |\n| | | |", "| |x|\n| | |", "|1|2\n| | |", "| | |", 42, "|9| |\n| | |",
])
def test_malformed_records_raise_record_error(bad):
    with pytest.raises(RecordError):
        TASK.from_record({"difficulty": "1", "initial_state": bad})


# ---- step mode ---------------------------------------------------------------------------------------------
def test_flag_unflag_toggle_and_refusals():
    p = load(HAND)
    s0 = TASK.initial_state(p)
    assert s0 == ()
    s1 = TASK.apply(p, s0, "flag 2 2")
    assert s1 == (12,) and TASK.apply(p, s1, "Unflag 2 2") == ()
    assert TASK.apply(p, s0, "(2,2)") == (12,) and TASK.apply(p, s1, "(2, 2)") == ()
    assert TASK.apply(p, s0, "F 2,2") == (12,) and TASK.apply(p, s0, "flag (2,2).") == (12,)
    refusals = {
        "flag 1 1": "shows the number 2",
        "flag 5 0": "outside the board",
        "unflag 0 0": "no flag to remove",
        "reveal 0 0": "unknown command",
        "flag 1": "unknown command",
        "flag -1 0": "unknown command",
        "dig 0 0": "unknown command",
        "submit now": "unknown command",
    }
    for move, reason in refusals.items():
        with pytest.raises(InvalidMove) as exc:
            TASK.apply(p, s1, move)
        assert reason in exc.value.reason, move
    with pytest.raises(InvalidMove, match="already flagged"):
        TASK.apply(p, s1, "flag 2 2")
    assert s1 == (12,)


def test_state_text_conflicts_potential_and_answer():
    p = load(HAND)
    s = ()
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, s)
    assert TASK.state_text(p, s).split("\n")[:5] == HAND.split("\n")
    for move in ("flag 0 4", "flag 2 0", "flag 2 2"):
        s = TASK.apply(p, s, move)
    text = TASK.state_text(p, s)
    assert text.split("\n")[:5] == ["| | | |1|F|", "|1|2|1|2|1|", "|F|2|F|1| |", "|1|2|1|1| |", "| | | | | |"]
    assert "Flags: 3" in text and TASK.conflicts(p, s) == []
    assert TASK.potential(p, s) == 1.0 and TASK.potential(p, ()) == 0.0
    assert TASK.state_answer(p, s) == "(0, 4),(2, 0),(2, 2)"
    extra = TASK.apply(p, s, "flag 0 0")  # now the 1 at (1,0) and the 2 at (1,1) see one flag too many
    assert TASK.conflicts(p, extra) == ["the 1 at (1,0) has 2 flagged neighbours",
                                        "the 2 at (1,1) has 3 flagged neighbours"]
    assert "the 1 at (1,0)" in TASK.state_text(p, extra)
    assert TASK.potential(p, extra) < TASK.potential(p, s)
    assert TASK.step_budget(p) == 3 * 3 + 5


def test_moves_and_move_space():
    p = load(HAND)
    blanks = [(r, c) for r, row in enumerate(board_of(HAND)) for c, ch in enumerate(row) if ch == " "]
    space = TASK.move_space(p)
    assert space[-1] == "submit" and len(space) == 2 * len(blanks) + 1
    s = TASK.apply(p, (), "flag 0 0")
    legal = TASK.moves(p, s)
    assert "unflag 0 0" in legal and "flag 0 0" not in legal and "submit" in legal
    assert "submit" not in TASK.moves(p, ())
    for move in legal:
        if move != "submit":
            TASK.apply(p, s, move)  # every listed move is accepted
            assert move in space


# ---- presentation ------------------------------------------------------------------------------------------
def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(2), 2)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    assert text_of(p) in text and text_of(p).split("\n")[2] not in image
    for q in (text, image):
        assert "(0,3),(2,1),(4,4)" in q and "boxed" not in q and TASK.solve(p) not in q
        assert fmt({tuple(m) for m in p.data["mines"]}) not in q
        assert all(ord(ch) < 128 or ch in "×÷−–→≤≥≠" for ch in q)


def test_random_answer_has_the_right_shape():
    p = TASK.generate(np.random.default_rng(1), 2)
    answer = TASK.random_answer(p, np.random.default_rng(0))
    assert answer.count("(") == len(p.data["mines"])
    assert TASK.verify(p, answer).violations or TASK.verify(p, answer).correct


def test_render_is_deterministic_and_shows_flags():
    p = TASK.generate(np.random.default_rng(4), 5)
    a, b = TASK.render(p), TASK.render(p)
    assert a.tobytes() == b.tobytes() and max(a.size) <= 512
    s = TASK.apply(p, (), TASK.solve_moves(p)[0])
    assert TASK.render(p, s).tobytes() != a.tobytes()
    from helix_gym.core.draw import GridCanvas
    from helix_gym.tasks.games.minesweeper import MARGIN

    canvas = GridCanvas(9, 9, 512, margin=MARGIN)
    x, y = canvas.center(3, 7)
    assert TASK.cell_at(p, x, y, 512) == (3, 7) and TASK.cell_at(p, 1, 1, 512) is None
    r, c = p.data["mines"][0]
    assert TASK.cell_command(p, (), (r, c), "f") == f"flag {r} {c}"
    assert TASK.cell_command(p, (r * 9 + c,), (r, c), "space") == f"unflag {r} {c}"
    numbered = next((i, j) for i in range(9) for j in range(9) if p.data["board"][i][j])
    assert TASK.cell_command(p, (), numbered, "f") is None
