"""Nibbles: the snake rules (wall, neck, body with the tail cell), A* optimality, step mode, records."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS

TASK = get_task("Nibbles")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"
DIRS = ("up", "down", "left", "right")
STEP = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}

# the spec's example (section 7.5): up up right right and right right up up are both shortest
HAND = "Grid: 6x6\nSnake: (2,2) (2,1)\nDirection: right\nApples: (0,4)\nGoal: Eat 1 apple"
# grows to length 4 in two moves (left, up), then can curl back onto its own tail end
GROW = "Grid: 5x5\nSnake: (2,2) (2,3)\nDirection: left\nApples: (2,1) (1,1) (4,4)\nGoal: Eat 3 apples"


def load(state: str, level: int = 1, answer: str | None = None):
    record = {"category": "nibbles", "difficulty": str(level), "initial_state": state}
    if answer is not None:
        record["answer"] = answer
    return TASK.from_record(record)


def reference(data: dict, moves: list[str]) -> bool:
    """Independent judge on (row, col) pairs: every move legal (no wall, no cell of the snake), all apples eaten."""
    snake = [tuple(x) for x in data["snake"]]
    apples = {tuple(x) for x in data["apples"]}
    for m in moves:
        head = (snake[0][0] + STEP[m][0], snake[0][1] + STEP[m][1])
        if not (0 <= head[0] < data["rows"] and 0 <= head[1] < data["cols"]) or head in snake:
            return False
        snake.insert(0, head)
        if head in apples:
            apples.discard(head)
        else:
            snake.pop()
    return not apples


def bfs_length(data: dict) -> int:
    """Shortest solution length by plain BFS over (snake, apples left): checks A*'s optimality."""
    start = (tuple(tuple(x) for x in data["snake"]), frozenset(tuple(x) for x in data["apples"]))
    seen = {start}
    queue = deque([(start, 0)])
    while queue:
        (snake, apples), g = queue.popleft()
        if not apples:
            return g
        for dr, dc in STEP.values():
            head = (snake[0][0] + dr, snake[0][1] + dc)
            if not (0 <= head[0] < data["rows"] and 0 <= head[1] < data["cols"]) or head in snake:
                continue
            new = ((head, *snake), apples - {head}) if head in apples else ((head, *snake[:-1]), apples)
            if new not in seen:
                seen.add(new)
                queue.append((new, g + 1))
    return -1


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"samples file missing: {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == "nibbles"]


# ---- hand-made instances -----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = load(HAND)
    assert p.data["snake"] == [[2, 2], [2, 1]] and p.data["direction"] == "right"
    assert len(TASK.solve(p).split()) == 4
    for answer in ("up up right right", "right right up up", "up right up right", "right up right up"):
        assert TASK.verify(p, answer).correct, answer
    v = TASK.verify(p, "left up up right right right")
    assert not v.correct and v.violations[0].startswith("move 1 (left) is illegal: reverse")
    v = TASK.verify(p, "up up up right right")
    assert v.violations[0].startswith("move 3 (up) is illegal: wall")
    v = TASK.verify(p, "up up right")
    assert v.violations == ["after all 3 moves, 1 apple is still uneaten: (0,4)"]


def test_moves_after_the_last_apple_must_be_legal():
    p = load(HAND)
    assert TASK.verify(p, "up up right right down down").correct
    assert TASK.verify(p, "up up right right right").correct
    v = TASK.verify(p, "up up right right up")
    assert not v.correct and "wall" in v.violations[0]


def test_growth_and_the_tail_cell_rule():
    p = load(GROW)
    # left eats (2,1), up eats (1,1): snake (1,1) (2,1) (2,2) (2,3); right: (1,2) (1,1) (2,1) (2,2)
    s = TASK.initial_state(p)
    for m in ("left", "up", "right"):
        s = TASK.apply(p, s, m)
    assert len(s[0]) == 4 and s[0][-1] == 2 * 5 + 2
    with pytest.raises(InvalidMove) as exc:
        TASK.apply(p, s, "down")  # onto (2,2), the tail end, which would move away: still illegal
    assert exc.value.reason.startswith("body") and "tail end" in exc.value.reason
    assert "down" not in TASK.moves(p, s)
    v = TASK.verify(p, "left up right down")
    assert not v.correct and "tail end at (2,2)" in v.violations[0]
    assert TASK.verify(p, "left up right right right down down down").correct


@pytest.mark.parametrize("answer", [
    "Up Up Right Right", "UP, UP, RIGHT, RIGHT", "up,up,right,right", "u u r r", "U,U,R,R",
    "up -> up -> right -> right",
    "up → up → right → right", "[up, up, right, right]", "['up', 'up', 'right', 'right']", "up\nup\nright\nright",
    r"\text{up up right right}", "$up, up, right, right$", "up; up; right; right.", "  up up right right ",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(load(HAND), answer).correct


@pytest.mark.parametrize("garbage", [
    "__import__('os').system('ls')", "", "{}", "\\boxed{", "None", "🙂" * 50, "up" * 1000, "\x00\x01",
    "up " * 5000, "[[[[", "-> -> ->", "north north east east", "1. up 2. up 3. right 4. right", 12345,
    "upp up right right",
])
def test_verify_never_raises_and_rejects_garbage(garbage):
    v = TASK.verify(load(HAND), garbage)
    assert not v.correct and v.violations


# ---- generation and solving --------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_generated_instances_follow_the_ladder_and_are_solved(level):
    n, k = level + 5, level
    for seed in range(8):
        p = TASK.generate(np.random.default_rng(seed), level)
        d = p.data
        assert (d["rows"], d["cols"]) == (n, n) and len(d["apples"]) == k and len(d["snake"]) == 2
        (hr, hc), (nr, nc) = d["snake"]
        assert STEP[d["direction"]] == (hr - nr, hc - nc)
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct and reference(d, answer.split())
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            assert not TASK.is_solved(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state)
        assert TASK.state_answer(p, state) == answer


@pytest.mark.parametrize("level", [1, 2])
def test_solver_is_optimal(level):
    for seed in range(6):
        p = TASK.generate(np.random.default_rng(seed), level)
        assert len(TASK.solve_moves(p)) == bfs_length(p.data)


def test_generation_is_deterministic_and_level_checked():
    assert TASK.generate(np.random.default_rng(42), 5) == TASK.generate(np.random.default_rng(42), 5)
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


def test_solve_trace_plans_and_ends_with_the_answer():
    for seed in range(6):
        p = TASK.generate(np.random.default_rng(seed), 4)
        trace = TASK.solve_trace(p)
        assert all(e.kind in TRACE_KINDS for e in trace)
        assert trace[0].kind == "read" and trace[-2].kind == "check" and trace[-1].kind == "answer"
        assert TASK.verify(p, trace[-1].move).correct
        assert sum(e.kind == "try" for e in trace) >= 1


def test_solve_trace_backtracks_from_an_unreachable_apple():
    """Nearest first takes (1,0) then (0,0), which walls (2,0) off; the planner backs out and takes (2,0) first."""
    p = load("Grid: 3x3\nSnake: (1,2) (1,1)\nDirection: right\nApples: (2,0) (0,0) (1,0)\nGoal: Eat 3 apples")
    trace = TASK.solve_trace(p)
    kinds = [e.kind for e in trace]
    assert kinds == ["read", "try", "try", "dead_end", "backtrack", "try", "try", "check", "answer"]
    assert "(2,0)" in trace[3].note and "(0,0)" in trace[4].note
    assert trace[-1].move == "up left down left down right right up up left left"
    assert TASK.verify(p, trace[-1].move).correct


def test_solve_trace_hands_over_to_a_star_when_planning_apple_by_apple_fails():
    p = load("Grid: 3x3\nSnake: (0,0) (1,0)\nDirection: up\nApples: (2,1) (2,0) (2,2) (1,1) (0,1)")
    trace = TASK.solve_trace(p)
    assert trace[-3].kind == "deduce" and "A*" in trace[-3].note
    assert trace[-1].move == TASK.solve(p) and TASK.verify(p, trace[-1].move).correct


# ---- soundness and completeness: every single edit of a correct answer ------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_single_edit_is_judged_by_the_rules(level):
    for seed in range(3):
        p = TASK.generate(np.random.default_rng(100 + seed), level)
        moves = TASK.solve_moves(p)
        edits = []
        for i in range(len(moves) + 1):
            edits += [[*moves[:i], d, *moves[i:]] for d in DIRS]  # insertions
            if i < len(moves):
                edits.append(moves[:i] + moves[i + 1:])  # deletions
                edits += [[*moves[:i], d, *moves[i + 1:]] for d in DIRS if d != moves[i]]  # substitutions
        rejected = 0
        for edit in edits:
            expected = reference(p.data, edit)
            verdict = TASK.verify(p, " ".join(edit))
            assert verdict.correct == expected, edit
            if not expected:
                rejected += 1
                assert verdict.violations
        assert rejected > 0


# ---- official rows -----------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_pass():
    from helix_gym.tasks.games.nibbles import _astar

    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.to_record(p)["initial_state"] == row["initial_state"]
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.verify(p, row["answer"].replace(" ", ", ")).correct  # the public judge drops these
        s, a, _ = TASK.initial_state(p)
        assert len(_astar(TASK._board(p), s, a)) == len(row["answer"].split())  # both shortest


# ---- records -----------------------------------------------------------------------------------------------
def test_record_round_trip():
    for level in (1, 3, 5):
        p = TASK.generate(np.random.default_rng(level), level)
        rec = TASK.to_record(p)
        assert rec["category"] == "nibbles" and rec["difficulty"] == str(level)
        assert rec["answer"] == TASK.solve(p) and rec["step_count"] == len(rec["answer"].split())
        assert rec["initial_state"].split("\n")[0] == f"Grid: {level + 5}x{level + 5}"
        assert TASK.from_record(rec) == p
        assert TASK.from_record(json.loads(json.dumps(rec))) == p
        assert TASK.from_record({**rec, "answer": "up"}).data["solution"] == p.data["solution"]  # A* again
    seeded = TASK.generate_seeded(5, 2)
    assert TASK.from_record(TASK.to_record(seeded)) == seeded


def test_from_record_is_lenient_with_layout():
    p = load(HAND)
    assert TASK.from_record({"difficulty": 1, "initial_state": HAND.replace("\n", "\\n")}) == p
    assert TASK.from_record({"difficulty": 1, "initial_state": HAND.split("\n")}) == p
    no_goal = "\n".join(HAND.split("\n")[:4])
    assert TASK.from_record({"difficulty": 1, "initial_state": no_goal}) == p


@pytest.mark.parametrize("bad", [
    "", HAND.replace("Direction: right", "Direction: left"), HAND.replace("(2,1)", "(3,3)"),
    HAND.replace("(0,4)", "(6,4)"), HAND.replace("(0,4)", "(2,1)"), HAND.replace("6x6", "six"),
    HAND.replace("Snake: (2,2) (2,1)", "Snake: (2,2)"),
    "Grid: 2x3\nSnake: (0,0) (0,1) (1,1) (1,0)\nDirection: left\nApples: (0,2)",  # trapped from the start
    42,
])
def test_malformed_records_raise_record_error(bad):
    with pytest.raises(RecordError):
        TASK.from_record({"difficulty": "1", "initial_state": bad})


# ---- step mode ---------------------------------------------------------------------------------------------
def test_step_mode_refusals_leave_the_state_and_say_why():
    p = load("Grid: 4x4\nSnake: (0,1) (1,1)\nDirection: up\nApples: (3,3)\nGoal: Eat 1 apple")
    s0 = TASK.initial_state(p)
    assert s0 == ((1, 5), (15,), ())
    assert sorted(TASK.moves(p, s0)) == ["left", "right"]
    for move, reason in (("up", "wall"), ("down", "reverse"), ("jump", "unknown command"), ("", "unknown"),
                         ("up up", "unknown"), ("answer up", "unknown")):
        with pytest.raises(InvalidMove) as exc:
            TASK.apply(p, s0, move)
        assert exc.value.reason.startswith(reason), move
    assert s0 == ((1, 5), (15,), ())
    s = TASK.apply(p, s0, "R")
    assert s == ((2, 1), (15,), ("right",))
    assert TASK.moves(p, s) == ["down", "right"]  # up is the wall, left the neck
    for m in ("down", "d", "Right", "down."):
        s = TASK.apply(p, s, m)
    assert TASK.is_solved(p, s) and TASK.moves(p, s) == []
    with pytest.raises(InvalidMove, match="game is over"):
        TASK.apply(p, s, "left")
    assert TASK.state_answer(p, s) == "right down down right down"
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, s0)


def test_every_legal_move_is_listed():
    for seed in range(5):
        p = TASK.generate(np.random.default_rng(seed), 3)
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            legal = TASK.moves(p, state)
            for d in DIRS:
                if d in legal:
                    TASK.apply(p, state, d)
                else:
                    with pytest.raises(InvalidMove):
                        TASK.apply(p, state, d)
            state = TASK.apply(p, state, move)


def test_state_text_conflicts_potential_and_budget():
    p = load(HAND)
    s0 = TASK.initial_state(p)
    lines = TASK.state_text(p, s0).split("\n")
    assert lines[:5] == HAND.split("\n")
    assert lines[6 + 2] == ".SH..." and lines[6][4] == "A"
    assert "Legal moves: up, down, right" in lines[-1]
    s = TASK.apply(p, TASK.apply(p, s0, "up"), "up")
    text = TASK.state_text(p, s)
    assert "Snake: (0,2) (1,2)" in text and "Direction: up" in text
    assert TASK.potential(p, s0) < TASK.potential(p, s) < 1.0
    s = TASK.apply(p, TASK.apply(p, s, "right"), "right")
    assert TASK.potential(p, s) == 1.0 and "Apples: \n" not in TASK.state_text(p, s)
    assert "Goal: Eat 0 apples" in TASK.state_text(p, s)
    assert TASK.step_budget(p) == 3 * 4 + 20
    corner = TASK.from_record({"difficulty": 1, "answer": "right right down down",
                               "initial_state": "Grid: 3x3\nSnake: (0,0) (0,1) (0,2)\nDirection: left\n"
                                                "Apples: (2,2)\nGoal: Eat 1 apple"})
    s = TASK.initial_state(corner)
    assert TASK.moves(corner, s) == ["down"]
    assert TASK.conflicts(corner, s) == []


def test_trapped_position_is_reported():
    p = load("Grid: 3x3\nSnake: (1,1) (1,2)\nDirection: left\nApples: (1,0) (0,0) (0,1) (0,2) (2,2)")
    s = TASK.initial_state(p)
    for m in ("left", "up", "right", "right"):  # eats four apples: the head ends in the corner (0,2)
        s = TASK.apply(p, s, m)
    assert TASK.moves(p, s) == []
    assert TASK.conflicts(p, s) == ["the snake is trapped: every direction hits a wall or its own body"]
    assert "none (trapped" in TASK.state_text(p, s)


# ---- presentation ------------------------------------------------------------------------------------------
def test_prompts_state_the_format_and_hide_the_solution():
    p = TASK.generate(np.random.default_rng(2), 3)
    text, image = TASK.prompt(p, "text"), TASK.prompt(p, "image")
    record_state = TASK.to_record(p)["initial_state"]
    assert record_state in text and "Apples:" not in image
    for q in (text, image):
        assert "left up up right" in q and "boxed" not in q and TASK.solve(p) not in q
        assert "tail" in q and "two cells long" in q
        assert all(ord(ch) < 128 or ch in "×÷−–→≤≥≠" for ch in q)


def test_random_answer_has_the_right_shape():
    p = TASK.generate(np.random.default_rng(1), 2)
    words = TASK.random_answer(p, np.random.default_rng(0)).split()
    assert words and set(words) <= set(DIRS)


def test_render_is_deterministic_and_shows_step_positions():
    p = TASK.generate(np.random.default_rng(4), 5)
    a, b = TASK.render(p), TASK.render(p)
    assert a.tobytes() == b.tobytes() and max(a.size) <= 512
    s = TASK.initial_state(p)
    for m in TASK.solve_moves(p)[:5]:
        s = TASK.apply(p, s, m)
    assert TASK.render(p, s).tobytes() != a.tobytes()
    assert TASK.render(p, TASK.initial_state(p)).tobytes() == a.tobytes()
