"""Sokoban: reverse-play generation (solvable, level windows), A* optimality, rule verifier, step mode, records."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS
from helix_gym.tasks.games.sokoban import LADDER, TRACE_SHOWN

TASK = get_task("Sokoban")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"
DIRS = ("up", "down", "left", "right")
STEP = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}

# the spec's own example (section 2.5): the answer is `left left up`
HAND = "######\n#.   #\n#$ # #\n#  @ #\n######"


def puzzle_of(grid: str, level: int = 1, answer: str | None = None):
    record = {"category": "sokoban", "difficulty": level, "initial_state": grid}
    if answer is not None:
        record["answer"] = answer
    return TASK.from_record(record)


def parse_grid(grid: list[str]):
    player = next((r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch in "@+")
    boxes = frozenset((r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch in "$*")
    goals = frozenset((r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch in ".+*")
    return player, boxes, goals


def reference_ok(grid: list[str], moves: list[str]) -> bool:
    """Independent judge on the raw characters: legal walks and single pushes, every box on a goal at the end."""
    (r, c), boxes, goals = parse_grid(grid)
    boxes = set(boxes)
    for m in moves:
        dr, dc = STEP[m]
        nr, nc = r + dr, c + dc
        if grid[nr][nc] == "#":
            return False
        if (nr, nc) in boxes:
            br, bc = nr + dr, nc + dc
            if grid[br][bc] == "#" or (br, bc) in boxes:
                return False
            boxes.remove((nr, nc))
            boxes.add((br, bc))
        r, c = nr, nc
    return boxes == goals


def bfs_optimum(grid: list[str]) -> int:
    """The fewest moves, by plain breadth-first search over (player, boxes) positions."""
    player, boxes, goals = parse_grid(grid)
    start = (player, boxes)
    seen = {start}
    queue = deque([(start, 0)])
    while queue:
        ((r, c), bx), d = queue.popleft()
        if bx == goals:
            return d
        for dr, dc in STEP.values():
            nr, nc = r + dr, c + dc
            if grid[nr][nc] == "#":
                continue
            nb = bx
            if (nr, nc) in bx:
                br, bc = nr + dr, nc + dc
                if grid[br][bc] == "#" or (br, bc) in bx:
                    continue
                nb = (bx - {(nr, nc)}) | {(br, bc)}
            state = ((nr, nc), nb)
            if state not in seen:
                seen.add(state)
                queue.append((state, d + 1))
    raise AssertionError("unsolvable")


def play(puzzle, moves):
    state = TASK.initial_state(puzzle)
    for m in moves:
        state = TASK.apply(puzzle, state, m)
    return state


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"samples file missing: {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == "sokoban"]


# ---- hand-made instance ----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = puzzle_of(HAND)
    assert p.data["grid"] == HAND.split("\n")
    assert TASK.solve(p) == "left left up"  # the only 3-move answer, and our A* finds the optimum
    assert TASK.verify(p, "left left up").correct
    v = TASK.verify(p, "up")
    assert not v.correct and v.violations == [
        "move 1 (up) is illegal: wall: the player at (3,3) cannot walk into the wall at (2,3)"]
    v = TASK.verify(p, "left up")
    assert not v.correct and v.violations == [
        "after all 2 moves only 0 of 1 boxes are on goals; off goal: (2,1)"]
    v = TASK.verify(p, "left left up up")  # the box is already against the wall
    assert not v.correct and "box blocked: the box at (1,1) cannot be pushed up into the wall at (0,1)" in \
        v.violations[0]


def test_the_record_answer_is_kept_when_valid_and_replaced_when_not():
    longer = "right left left left up"
    assert puzzle_of(HAND, answer=longer).data["solution"] == longer
    assert puzzle_of(HAND, answer="up up up").data["solution"] == "left left up"
    assert puzzle_of(HAND, answer="Left, LEFT, u").data["solution"] == "left left up"


# ---- generation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_generated_instances_follow_the_ladder_and_are_solved(level):
    lad = LADDER[level]
    for seed in range(8):
        p = TASK.generate_seeded(seed, level)
        grid = p.data["grid"]
        assert lad.size[0] <= p.data["cols"] <= lad.size[1] and lad.size[0] <= p.data["rows"] <= lad.size[1]
        assert all(len(row) == p.data["cols"] for row in grid) and len(grid) == p.data["rows"]
        assert set(grid[0] + grid[-1] + "".join(row[0] + row[-1] for row in grid)) == {"#"}
        text = "".join(grid)
        assert text.count("@") == 1 and "+" not in text and "*" not in text  # nothing starts on a goal
        assert text.count("$") == text.count(".") == lad.boxes
        moves = TASK.solve_moves(p)
        assert lad.window[0] <= len(moves) <= lad.window[1]
        assert TASK.verify(p, TASK.solve(p)).correct and reference_ok(grid, moves)
        assert TASK.is_solved(p, play(p, moves))


@pytest.mark.parametrize("level", [1, 2])
def test_the_reference_answer_is_move_optimal(level):
    for seed in range(6):
        p = TASK.generate_seeded(seed, level)
        assert len(TASK.solve_moves(p)) == bfs_optimum(p.data["grid"]), (level, seed)


def test_the_reference_answer_is_move_optimal_with_two_boxes():
    p = TASK.generate_seeded(0, 3)
    assert len(TASK.solve_moves(p)) == bfs_optimum(p.data["grid"])


def test_generation_is_deterministic_and_varied():
    a = [TASK.generate_seeded(s, 4).data for s in range(4)]
    assert a == [TASK.generate_seeded(s, 4).data for s in range(4)]
    assert len({json.dumps(d) for d in a}) == 4
    assert TASK.generate_seeded(1, 1).data != TASK.generate_seeded(1, 2).data
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)


# ---- verify: soundness and completeness ------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_single_edit_of_a_correct_answer_is_judged_by_the_rules(level):
    """Each substitution, deletion and insertion of one move: verify agrees with the independent judge."""
    p = TASK.generate_seeded(7, level)
    grid, moves = p.data["grid"], TASK.solve_moves(p)
    edits = []
    for i in range(len(moves)):
        edits.append(moves[:i] + moves[i + 1:])
        edits += [[*moves[:i], d, *moves[i + 1:]] for d in DIRS if d != moves[i]]
    for i in range(len(moves) + 1):
        edits += [[*moves[:i], d, *moves[i:]] for d in DIRS]
    rejected = 0
    for edit in edits:
        verdict = TASK.verify(p, " ".join(edit))
        assert verdict.correct == reference_ok(grid, edit), edit
        assert verdict.correct or verdict.violations
        rejected += not verdict.correct
    assert rejected > len(edits) // 2


def test_every_truncation_of_an_optimal_answer_is_rejected():
    p = TASK.generate_seeded(2, 5)
    moves = TASK.solve_moves(p)
    for n in range(len(moves)):
        assert not TASK.verify(p, " ".join(moves[:n])).correct


@pytest.mark.parametrize("answer", [
    "Left Left Up", "LEFT, LEFT, UP", "l l u", "L, L, U", "left -> left -> up", "left → left → up",
    "[left, left, up]", '["left", "left", "up"]', "('left', 'left', 'up')", "left\nleft\nup", r"\text{left left up}",
    "$left, left, up$", "left; left; up.", " left left up ", "left | left | up", "left/left/up",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(puzzle_of(HAND), answer).correct


@pytest.mark.parametrize("answer", [
    "right left left left up",  # a detour first
    "left left up down up",  # walking on after the box is home
    "left right left left up",
    "left left up right left",
])
def test_other_valid_solutions_are_accepted(answer):
    assert TASK.verify(puzzle_of(HAND), answer).correct


def test_moves_after_solving_still_count():
    p = puzzle_of("#######\n#.$ @ #\n#######")
    assert TASK.verify(p, "left left").correct
    v = TASK.verify(p, "left left left")  # the box on its goal cannot be pushed into the wall
    assert not v.correct and "box blocked" in v.violations[0]
    p = puzzle_of("########\n# .$ @ #\n########")
    assert TASK.verify(p, "left left").correct
    v = TASK.verify(p, "left left left")  # the box is pushed off its goal again
    assert not v.correct and "off goal: (1,1)" in v.violations[0]


def test_letters_inside_words_are_never_moves():
    p = puzzle_of(HAND)
    for text in ("llu", "LLU", "I'd go left left up", "left left up done", "left left upp", "dull"):
        v = TASK.verify(p, text)
        assert not v.correct and v.violations[0].startswith("unknown move"), text
    assert "separate word" in TASK.verify(p, "LLU").violations[0]
    assert TASK.verify(p, "left left north").violations == ["unknown move 'north'"]


@pytest.mark.parametrize("text", [
    "", "   ", "\\boxed{}", "__import__('os').system('echo pwned')", "eval('1')", "None", "[]", "{}", "1e999",
    "\x00\x01", "🙂", "up " * 5000, "left" * 1000, "{[(", "\\text{", "$$", "0 0 0",
])
def test_verify_never_raises_on_garbage(text):
    verdict = TASK.verify(puzzle_of(HAND), text)
    assert not verdict.correct and verdict.violations


# ---- official rows and records ---------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and "\n".join(p.data["grid"]) == row["initial_state"]
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]
        # our own A* is no longer than the official reference
        assert len(puzzle_of(row["initial_state"], answer="x").data["solution"].split()) <= row["step_count"]


@pytest.mark.parametrize("level", [1, 3, 5])
def test_record_round_trip(level):
    p = TASK.generate_seeded(21, level)
    record = TASK.to_record(p)
    assert record["category"] == "sokoban" and record["difficulty"] == level
    assert record["answer"] == TASK.solve(p) and record["step_count"] == len(TASK.solve_moves(p))
    assert record["initial_state"] == "\n".join(p.data["grid"])
    assert TASK.from_record(json.loads(json.dumps(record))) == p
    assert TASK.from_record({**record, "initial_state": record["initial_state"].replace("\n", "\\n")}) == p
    assert TASK.from_record({**record, "initial_state": p.data["grid"]}) == p


@pytest.mark.parametrize("grid, message", [
    ("#####\n#@$.#\n#   #", "border"),
    ("#####\n#@$.#\n#####\n", None),
    ("######\n#@$..#\n######", "as many goals"),
    ("######\n#@$.@#\n######", "one player"),
    ("######\n#@*  #\n######", "already"),
    ("######\n#@$.x#\n######", "unexpected"),
    ("######\n#.#$@#\n######", "no solution"),
])
def test_bad_records_are_refused(grid, message):
    if message is None:
        assert TASK.verify(puzzle_of(grid), "right").correct
        return
    with pytest.raises(RecordError, match=message):
        puzzle_of(grid)
    with pytest.raises(RecordError):
        TASK.from_record({"category": "sokoban"})


# ---- step mode -------------------------------------------------------------------------------------------
def test_step_mode_plays_the_answer_and_logs_the_moves():
    p = TASK.generate_seeded(5, 4)
    moves = TASK.solve_moves(p)
    state = TASK.initial_state(p)
    for m in moves:
        assert not TASK.is_solved(p, state)
        assert m in TASK.moves(p, state)
        state = TASK.apply(p, state, m)
    assert TASK.is_solved(p, state)
    assert TASK.state_answer(p, state) == TASK.solve(p)
    assert TASK.verify(p, TASK.state_answer(p, state)).correct
    assert TASK.move_space(p) == list(DIRS)


def test_illegal_moves_raise_and_leave_the_state_unchanged():
    p = puzzle_of("#######\n#.  . #\n#$$@  #\n#     #\n#######")
    state = TASK.initial_state(p)
    frozen = repr(state)
    cases = {"left": "box blocked", "garbage": "unknown command", "": "unknown command", "up up": "unknown command"}
    for move, reason in cases.items():
        with pytest.raises(InvalidMove, match=reason):
            TASK.apply(p, state, move)
        assert repr(state) == frozen
    s = play(p, ["down", "left", "left"])  # player at (3,1), box at (2,1) above, then the goal at (1,1)
    with pytest.raises(InvalidMove, match=r"^wall: the player at \(3,1\) cannot walk into the wall at \(3,0\)"):
        TASK.apply(p, s, "left")
    s = TASK.apply(p, s, "up")  # pushes the box onto the goal
    with pytest.raises(InvalidMove, match=r"box blocked: the box at \(1,1\) cannot be pushed up into the wall"):
        TASK.apply(p, s, "up")
    assert "up" not in TASK.moves(p, s)


def test_moves_lists_exactly_the_legal_directions():
    for seed in range(4):
        p = TASK.generate_seeded(seed, 5)
        state = TASK.initial_state(p)
        rng = np.random.default_rng(seed)
        for _ in range(40):
            legal = []
            for d in DIRS:
                try:
                    TASK.apply(p, state, d)
                    legal.append(d)
                except InvalidMove:
                    pass
            assert TASK.moves(p, state) == legal
            state = TASK.apply(p, state, legal[int(rng.integers(len(legal)))])


def test_commands_are_read_like_answers():
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    for spelling in ("left", "LEFT", "l", " Left. ", "`left`"):
        assert TASK.apply(p, state, spelling)[2] == ("left",)


def test_state_text_uses_the_official_notation_with_player_and_box_on_goals():
    p = puzzle_of("#######\n#.  . #\n#$$@  #\n#     #\n#######")
    s = play(p, ["down", "left", "left", "up", "right", "up", "right", "right"])
    text = TASK.state_text(p, s)
    grid = text.split("\n")[:5]
    assert grid == ["#######", "#*  + #", "#  $  #", "#     #", "#######"]
    assert "Player at (1,4); boxes on goals: 1/2; moves so far: 8" in text
    assert TASK.state_answer(p, s) == "down left left up right up right right"


def test_deadlocks_are_reported_soundly():
    p = puzzle_of("#######\n#.   .#\n# $@  #\n#  $  #\n#     #\n#######")
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    s = TASK.apply(p, TASK.initial_state(p), "down")  # the box goes against the bottom wall: no goal there
    found = TASK.conflicts(p, s)
    assert found == ["the box at (4,3) is on a dead square: no goal can be reached from there by pushes"]
    assert "Deadlock:" in TASK.state_text(p, s)
    assert TASK.potential(p, s) < TASK.potential(p, TASK.initial_state(p)) < TASK.potential(p, play(p, ["left"]))


def test_two_by_two_freeze_is_found():
    # row 1 has goals at both ends, so no cell of it is dead; two boxes side by side under the wall freeze
    p = puzzle_of("#######\n#.$  .#\n#  $  #\n#  @  #\n#######")
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    s = TASK.apply(p, TASK.initial_state(p), "up")
    assert TASK.conflicts(p, s) == [
        "the boxes at (1,2), (1,3) can never move again: walls and boxes fill the 2x2 block (0,2), (0,3), (1,2), (1,3)"]


# ---- trace and pictures ----------------------------------------------------------------------------------
def test_solve_trace_shows_the_search():
    p = TASK.generate_seeded(3, 5)
    trace = TASK.solve_trace(p)
    kinds = [e.kind for e in trace]
    assert set(kinds) <= set(TRACE_KINDS) and kinds[0] == "read" and kinds[-1] == "answer"
    assert {"try", "dead_end", "backtrack", "check"} <= set(kinds)
    assert TASK.verify(p, trace[-1].move).correct
    assert len(trace[-1].move.split()) == len(TASK.solve_moves(p))  # the same optimum
    assert len(trace) <= TRACE_SHOWN + 8
    assert all(e.state_text for e in trace if e.kind == "try")
    assert any("dead square" in e.note or "2x2" in e.note for e in trace if e.kind == "dead_end")


def test_render_is_deterministic_and_shows_the_position():
    p = TASK.generate_seeded(0, 5)
    a, b = TASK.render(p), TASK.render(p)
    assert a.tobytes() == b.tobytes() and max(a.size) <= 512
    s = play(p, TASK.solve_moves(p)[:5])
    assert TASK.render(p, s).tobytes() != a.tobytes()
    assert TASK.render(p, TASK.initial_state(p)).tobytes() == a.tobytes()


def test_prompts_state_the_format_and_the_level():
    p = puzzle_of(HAND)
    text = TASK.prompt(p, "text")
    assert HAND in text and "lowercase words separated by single spaces" in text
    assert HAND not in TASK.prompt(p, "image") and "left left up" not in text
