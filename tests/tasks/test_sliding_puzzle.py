"""SlidingPuzzle: optimal-length ladder certified by IDA*, tile-semantics verifier, step mode, records."""

from __future__ import annotations

import io
import json
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS
from helix_gym.tasks.games.sliding_puzzle import (
    BANDS,
    GOAL,
    ida_star,
    lower_bound,
    solvable,
    weighted_astar,
)

TASK = get_task("SlidingPuzzle")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"
HAND = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 0, 11], [13, 14, 15, 12]]  # the spec's example (section 6.5)
# the tile that moves sits on this side of the gap (row, col offset)
SOURCE = {"up": (1, 0), "down": (-1, 0), "left": (0, 1), "right": (0, -1)}
WORDS = ("up", "down", "left", "right")


def puzzle_of(rows, level=1):
    return TASK.from_record({"category": "slidingpuzzle", "difficulty": str(level), "initial_state": json.dumps(rows)})


def reference_ok(rows, words) -> bool:
    """Independent judge on a 2-D list: tile semantics, every move needs a tile, end on the goal."""
    grid = [list(r) for r in rows]
    r, c = next((i, row.index(0)) for i, row in enumerate(grid) if 0 in row)
    for w in words:
        dr, dc = SOURCE[w]
        if not (0 <= r + dr < 4 and 0 <= c + dc < 4):
            return False
        grid[r][c], grid[r + dr][c + dc] = grid[r + dr][c + dc], 0
        r, c = r + dr, c + dc
    return [t for row in grid for t in row] == list(GOAL)


def bfs_from_goal(depth: int) -> dict[tuple, int]:
    """Exact distances of every board within `depth` moves of the goal."""
    dist = {GOAL: 0}
    queue = deque([GOAL])
    while queue:
        s = queue.popleft()
        if dist[s] == depth:
            continue
        gap = s.index(0)
        r, c = divmod(gap, 4)
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if 0 <= r + dr < 4 and 0 <= c + dc < 4:
                b = list(s)
                src = gap + 4 * dr + dc
                b[gap], b[src] = b[src], 0
                t = tuple(b)
                if t not in dist:
                    dist[t] = dist[s] + 1
                    queue.append(t)
    return dist


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"samples file missing: {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == "slidingpuzzle"]


# ---- hand-made instance ----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = puzzle_of(HAND)
    assert TASK.solve(p) == "left up"
    assert TASK.verify(p, "left up").correct
    assert TASK.verify(p, "11 12").correct and TASK.verify(p, "11, 12").correct  # tile numbers
    v = TASK.verify(p, "up left")  # blank semantics: 15 slides up, then 14 left... not the goal
    assert not v.correct and v.violations[0].startswith("after 2 moves the board is not solved")
    assert TASK.verify(p, "left").violations == ["after 1 moves the board is not solved: tiles out of place: 12"]
    assert TASK.verify(p, "left up up").violations == [
        "move 3 (up): there is no tile below the empty square at row 4, column 4"]
    assert TASK.verify(p, "12 11").violations == ["move 1: tile 12 does not touch the empty square"]
    assert TASK.verify(p, "16").violations == ["move 1: there is no tile 16 (tiles are 1-15)"]
    assert TASK.verify(p, "left 12").violations == [
        "the answer mixes direction words and tile numbers; use one form"]


def test_longer_legal_answers_are_accepted():
    p = puzzle_of(HAND)
    for answer in ("left right left up", "down up left up", "left up down up", "left left right up",
                   "left up right right left left"):
        assert TASK.verify(p, answer).correct == reference_ok(HAND, answer.split()), answer
    assert TASK.verify(p, "down up left up").correct


@pytest.mark.parametrize("answer", [
    "Left Up", "LEFT, UP", "l u", "L,U", "left -> up", "left → up", "[left, up]", "('left', 'up')", "left\nup",
    r"\text{left up}", "$left, up$", "left; up.", " left  up ", "[11, 12]", "11 -> 12", "(11, 12)",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(puzzle_of(HAND), answer).correct, answer


@pytest.mark.parametrize("answer", ["", "leftup", "left upp", "west north", "1. left 2. up", "move left up", "0"])
def test_unreadable_answers_are_rejected(answer):
    v = TASK.verify(puzzle_of(HAND), answer)
    assert not v.correct and v.violations


# ---- the search -------------------------------------------------------------------------------------------
def test_ida_star_is_optimal_and_the_bound_admissible():
    dist = bfs_from_goal(10)
    rng = np.random.default_rng(0)
    boards = list(dist)
    for i in rng.choice(len(boards), size=300, replace=False):
        board = boards[int(i)]
        assert lower_bound(board) <= dist[board]
        words, _ = ida_star(board)
        assert len(words) == dist[board]
        rows = [list(board[4 * r:4 * r + 4]) for r in range(4)]
        assert reference_ok(rows, words)


def test_fallback_for_boards_beyond_the_levels():
    rng = np.random.default_rng(5)
    perm = tuple(int(t) for t in rng.permutation(16))
    if not solvable(perm):  # swap two tiles to fix the parity
        i, j = [k for k, t in enumerate(perm) if t][:2]
        perm = tuple(perm[j] if k == i else perm[i] if k == j else t for k, t in enumerate(perm))
    assert solvable(perm)
    assert ida_star(perm, node_limit=1000)[0] is None
    words = weighted_astar(perm)
    assert reference_ok([list(perm[4 * r:4 * r + 4]) for r in range(4)], words)


def test_parity_decides_solvability():
    assert solvable(GOAL)
    swapped = (*GOAL[:13], 15, 14, 0)
    assert not solvable(swapped)
    with pytest.raises(RecordError, match="parity"):
        puzzle_of([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 15, 14, 0]])
    for seed in range(30):  # every generated board is solvable by parity
        p = TASK.generate_seeded(seed, 3)
        assert solvable(tuple(t for row in p.data["board"] for t in row))


# ---- the ladder --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", sorted(BANDS))
def test_levels_land_in_their_band_and_are_solved(level):
    lo, hi = BANDS[level]
    for seed in range(10 if level < 6 else 3):
        p = TASK.generate_seeded(seed, level)
        assert p.level == level
        answer = TASK.solve(p)
        assert lo <= len(answer.split()) <= hi
        assert TASK.verify(p, answer).correct and reference_ok(p.data["board"], answer.split())
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct


def test_generation_is_deterministic_and_level_checked():
    assert TASK.generate(np.random.default_rng(8), 5) == TASK.generate(np.random.default_rng(8), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 7)
    assert len({json.dumps(TASK.generate_seeded(s, 5).data) for s in range(50)}) == 50


def test_solve_trace_searches_and_ends_with_the_answer():
    kinds: set[str] = set()
    for seed in range(6):
        p = TASK.generate_seeded(seed, 5)
        trace = TASK.solve_trace(p)
        assert all(e.kind in TRACE_KINDS for e in trace)
        assert trace[0].kind == "read" and trace[-2].kind == "check" and trace[-1].kind == "answer"
        assert trace[-1].move == TASK.solve(p) and TASK.verify(p, trace[-1].move).correct
        kinds |= {e.kind for e in trace}
    assert {"try", "dead_end", "backtrack", "deduce"} <= kinds


def test_level_4_traces_show_dead_ends_and_backtracks():
    """The trace follows IDA* move by move, so most searches show a line cut by the bound and undone."""
    both = 0
    for seed in range(10):
        p = TASK.generate_seeded(seed, 4)
        kinds = [e.kind for e in TASK.solve_trace(p)]
        both += "dead_end" in kinds and "backtrack" in kinds
        assert sum(k in ("try", "dead_end", "backtrack", "deduce") for k in kinds) <= 70 + 2 * len(TASK.solve_moves(p))
    assert both >= 6


def test_trace_dead_end_names_the_bound():
    p = puzzle_of(HAND)
    trace = TASK.solve_trace(puzzle_of([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 13, 14, 15]]))
    notes = [e.note for e in trace if e.kind == "dead_end"]
    assert notes and all("exceeds the bound" in n or "already on the current line" in n or "overruns" in n
                         for n in notes)
    assert TASK.solve_trace(p)[-1].move == TASK.solve(p)


# ---- soundness and completeness: every single edit ----------------------------------------------------------
@pytest.mark.parametrize("level", [2, 3, 4])
def test_every_single_edit_is_judged_by_the_rules(level):
    for seed in range(3):
        p = TASK.generate_seeded(70 + seed, level)
        rows = p.data["board"]
        words = TASK.solve_moves(p)
        edits = []
        for i in range(len(words)):
            edits.append(words[:i] + words[i + 1:])
            edits.extend([*words[:i], w, *words[i + 1:]] for w in WORDS if w != words[i])
            if i + 1 < len(words):
                edits.append([*words[:i], words[i + 1], words[i], *words[i + 2:]])
        for i in range(len(words) + 1):
            edits.extend([*words[:i], w, *words[i:]] for w in WORDS)
            edits.extend([*words[:i], w, v, *words[i:]] for w in WORDS for v in WORDS)  # inserted detours
        for edit in edits:
            verdict = TASK.verify(p, " ".join(edit))
            assert verdict.correct == reference_ok(rows, edit), (rows, edit, verdict)
            assert verdict.correct or verdict.violations


# ---- official rows ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        mine = TASK.solve(p)
        assert TASK.verify(p, mine).correct and len(mine.split()) <= len(row["answer"].split())
        assert TASK.from_record({**row, "initial_state": json.loads(row["initial_state"])}) == p


def test_records_round_trip_and_bad_records_are_refused():
    for level in BANDS:
        p = TASK.generate_seeded(9, level)
        record = TASK.to_record(p)
        assert record["category"] == "slidingpuzzle" and record["difficulty"] == str(level)
        assert json.loads(record["initial_state"]) == p.data["board"]
        assert TASK.verify(p, record["answer"]).correct
        assert TASK.from_record(record) == p
    for bad in ("[[1, 2, 3], [4, 5, 6], [7, 8, 0]]", "[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 15]]",
                "[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 0]]", "board", "[[1, 2, 3, 4]]"):
        with pytest.raises(RecordError):
            TASK.from_record({"category": "slidingpuzzle", "initial_state": bad})


# ---- step mode ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("move", "reason"), [
    ("tile 1", "does not touch"), ("12", "does not touch"), ("tile 0", "no tile 0"), ("16", "no tile 16"),
    ("north", "unknown command"), ("", "unknown command"), ("up up", "unknown command"), ("tile", "unknown command"),
])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove, match=reason):
        TASK.apply(p, state, move)
    assert state == TASK.initial_state(p)


def test_moves_off_the_board_are_refused():
    p = puzzle_of(HAND)
    solved = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "left"), "up")  # gap bottom-right
    assert TASK.moves(p, solved) == ["down", "right"]
    for word, side in (("up", "below"), ("left", "right of")):
        with pytest.raises(InvalidMove, match=f"no tile {side}"):
            TASK.apply(p, solved, word)


def test_step_commands_moves_and_answer():
    p = puzzle_of(HAND)
    s0 = TASK.initial_state(p)
    assert TASK.moves(p, s0) == ["up", "down", "left", "right"]
    assert TASK.move_space(p) == ["up", "down", "left", "right"]
    for cmd in ("left", "LEFT", "l", "tile 11", "11", "move left", "slide 11", "`left`", "Tile 11."):
        assert TASK.apply(p, s0, cmd) == (TASK.apply(p, s0, "left")[0], ("left",)), cmd
    state = TASK.apply(p, TASK.apply(p, s0, "tile 11"), "12")
    assert TASK.is_solved(p, state) and TASK.state_answer(p, state) == "left up"
    assert TASK.potential(p, state) == 0.0 and TASK.potential(p, s0) == -1.0
    text = TASK.state_text(p, s0)
    assert text.splitlines()[0] == str(HAND)
    assert "Legal moves: up (tile 15), down (tile 7), left (tile 11), right (tile 10)" in text
    assert "Tiles in place: 13/15" in text


def test_click_a_tile_then_space_slides_it():
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    image = TASK.render(p)
    cell = TASK.cell_at(p, image.width * 0.75, image.height * 0.62, 512)  # over row 3, column 4 (tile 11)
    assert cell == (2, 3)
    assert TASK.cell_command(p, state, cell, "space") == "tile 11"
    assert TASK.cell_command(p, state, (0, 0), "space") is None  # tile 1 is far from the gap
    assert TASK.cell_at(p, 2, 2, 512) is None


# ---- pictures and robustness ---------------------------------------------------------------------------------
def test_render_is_deterministic_and_shows_step_positions():
    p = TASK.generate_seeded(2, 5)

    def png(image) -> bytes:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    assert png(TASK.render(p)) == png(TASK.render(p))
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert png(TASK.render(p, state)) != png(TASK.render(p))


@pytest.mark.parametrize("garbage", [
    "__import__('os').system('echo hi')", "[" * 5000, "9" * 5000, "up " * 20000, "\x00\xff", "{}", "None",
    "\\boxed{up}", "-1", "99999999999999999999",
])
def test_verify_never_raises_on_garbage(garbage):
    verdict = TASK.verify(puzzle_of(HAND), garbage)
    assert not verdict.correct and verdict.violations
