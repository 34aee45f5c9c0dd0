"""Hanoi: level ladder (disks and optimal-length bands), the official buckets, rule verifier, step mode, records."""

from __future__ import annotations

import io
import json
from collections import deque
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.core.task import TRACE_KINDS
from helix_gym.tasks.games.hanoi import LADDER, OFFICIAL_BUCKETS, distance

TASK = get_task("Hanoi")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"
HAND = [[3, 1], [2], []]  # the spec's example (section 3.5)
HAND_ANSWER = "(1,2) (3,3) (1,1) (2,3) (1,3)"


def puzzle_of(pegs, level=1):
    return TASK.from_record({"category": "hanoi", "difficulty": str(level), "initial_state": json.dumps(pegs)})


def reference_ok(pegs, moves) -> bool:
    """Independent judge: replay (disk, peg) moves on plain lists; all disks on peg 3 at the end."""
    pegs = [list(p) for p in pegs]
    n = sum(map(len, pegs))
    for disk, peg in moves:
        if not (1 <= peg <= 3 and 1 <= disk <= n):
            return False
        src = next(i for i in range(3) if disk in pegs[i])
        if pegs[src][-1] != disk or src == peg - 1 or (pegs[peg - 1] and pegs[peg - 1][-1] < disk):
            return False
        pegs[peg - 1].append(pegs[src].pop())
    return not pegs[0] and not pegs[1]


def parse_pairs(answer: str) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in tok.strip("()").split(",")) for tok in answer.split()]


def bfs_distances(n: int) -> dict[tuple, int]:
    """Exact distance to the goal of every n-disk configuration (state = peg of each disk 1..n)."""
    goal = (3,) * n
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        s = queue.popleft()
        for disk in range(1, n + 1):
            src = s[disk - 1]
            if any(s[k - 1] == src for k in range(1, disk)):
                continue  # a smaller disk lies on it
            for dst in (1, 2, 3):
                if dst != src and not any(s[k - 1] == dst for k in range(1, disk)):
                    t = (*s[:disk - 1], dst, *s[disk:])
                    if t not in dist:
                        dist[t] = dist[s] + 1
                        queue.append(t)
    return dist


def pegs_of(state: tuple) -> list[list[int]]:
    pegs = [[], [], []]
    for disk in range(len(state), 0, -1):
        pegs[state[disk - 1] - 1].append(disk)
    return pegs


def official_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"samples file missing: {SAMPLES}")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == "hanoi"]


# ---- hand-made instance ----------------------------------------------------------------------------------
def test_hand_made_instance():
    p = puzzle_of(HAND)
    assert TASK.solve(p) == HAND_ANSWER
    assert TASK.verify(p, HAND_ANSWER).correct
    v = TASK.verify(p, "(1,2) (3,3) (1,1) (2,3)")
    assert not v.correct and v.violations == ["after the last move not every disk is on peg 3: [[1], [], [3, 2]]"]
    v = TASK.verify(p, "(2,3) (1,3)")  # legal moves that stop short of the goal
    assert v.violations == ["after the last move not every disk is on peg 3: [[3], [], [2, 1]]"]
    v = TASK.verify(p, "(3,3) (1,3)")
    assert v.violations == ["move 1 (3,3): disk 3 is not on top of peg 1 (disk 1 is)"]
    assert TASK.verify(p, "(1,2) (3,2)").violations == ["move 2 (3,2): disk 3 cannot go on the smaller disk 1 on peg 2"]
    assert TASK.verify(p, "(1,1)").violations == ["move 1 (1,1): disk 1 is already on peg 1"]
    assert TASK.verify(p, "(1,4)").violations == ["move 1 (1,4): there is no peg 4 (pegs are 1, 2, 3)"]
    assert TASK.verify(p, "(4,3)").violations == ["move 1 (4,3): there is no disk 4 (disks are 1-3)"]


def test_longer_legal_answers_are_accepted():
    """No optimality requirement (spec 3.4): detours and wandering after the goal are fine."""
    p = puzzle_of(HAND)
    for answer in ("(1,3) (1,2) (3,3) (1,1) (2,3) (1,3)", HAND_ANSWER + " (1,1) (1,3)",
                   "(1,2) (1,3) (1,2) (3,3) (1,1) (2,3) (1,3)"):
        assert TASK.verify(p, answer).correct, answer


@pytest.mark.parametrize("answer", [
    "(1, 2) (3, 3) (1, 1) (2, 3) (1, 3)", "(1,2), (3,3), (1,1), (2,3), (1,3)", "[1,2] [3,3] [1,1] [2,3] [1,3]",
    "[[1, 2], [3, 3], [1, 1], [2, 3], [1, 3]]", "[(1,2), (3,3), (1,1), (2,3), (1,3)]", "(1 2) (3 3) (1 1) (2 3) (1 3)",
    "(1,2) -> (3,3) -> (1,1) -> (2,3) -> (1,3)", "(1,2) → (3,3) → (1,1) → (2,3) → (1,3)",
    "(1,2)\n(3,3)\n(1,1)\n(2,3)\n(1,3)",
    r"\text{(1,2) (3,3) (1,1) (2,3) (1,3)}", "$(1,2) (3,3) (1,1) (2,3) (1,3)$", "1,2 3,3 1,1 2,3 1,3",
    "(disk 1, peg 2) (disk 3, peg 3) (disk 1, peg 1) (disk 2, peg 3) (disk 1, peg 3)",
    "move 1 2, move 3 3, move 1 1, move 2 3, move 1 3", "disk 1 to peg 2; disk 3 to peg 3; disk 1 to peg 1; "
    "disk 2 to peg 3; disk 1 to peg 3", "(1,2) (3,3) (1,1) (2,3) (1,3).", "(1,2)(3,3)(1,1)(2,3)(1,3)",
])
def test_other_notations_are_accepted(answer):
    assert TASK.verify(puzzle_of(HAND), answer).correct, answer


@pytest.mark.parametrize("answer", [
    "(1->2) (3->3)", "1 2 3 3 1 1 2 3 1 3", "(1,2,3)", "1. (1,2) 2. (3,3)", "(1,2) (3,3) and then some",
    "up down", "(a,b)", "", "()",
])
def test_unreadable_answers_are_rejected(answer):
    assert not TASK.verify(puzzle_of(HAND), answer).correct


# ---- the ladder --------------------------------------------------------------------------------------------
def test_distance_is_the_exact_bfs_distance():
    for n in (3, 4):
        for state, d in bfs_distances(n).items():
            pegs = pegs_of(state)
            assert distance(pegs) == d
            if d:
                assert len(TASK.solve_moves(puzzle_of(pegs))) == d


@pytest.mark.parametrize("level", sorted(LADDER))
def test_levels_honour_disks_and_band_and_are_solved(level):
    n, lo, hi = LADDER[level]
    for seed in range(12):
        p = TASK.generate_seeded(seed, level)
        pegs = p.data["pegs"]
        assert p.level == level and sorted(d for peg in pegs for d in peg) == list(range(1, n + 1))
        assert all(peg == sorted(peg, reverse=True) for peg in pegs)
        assert lo <= distance(pegs) <= hi
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct and reference_ok(pegs, parse_pairs(answer))
        assert len(answer.split()) == distance(pegs)
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct


def test_levels_cover_every_start_of_their_band():
    """Level 1 has all 8 starts within 1-3 moves, level 2 all 18 within 4-7, level 3 many of its 54."""
    for level, expected in ((1, 8), (2, 18)):
        seen = {json.dumps(TASK.generate_seeded(s, level).data) for s in range(400)}
        assert len(seen) == expected
    assert len({json.dumps(TASK.generate_seeded(s, 3).data) for s in range(400)}) >= 50
    assert len({json.dumps(TASK.generate_seeded(s, 5).data) for s in range(400)}) >= 200


def test_generate_official_reproduces_the_3_disk_buckets():
    rng = np.random.default_rng(0)
    seen: set[str] = set()
    for bucket, (lo, hi) in OFFICIAL_BUCKETS.items():
        for _ in range(60):
            p = TASK.generate_official(rng, bucket)
            assert p.level == bucket and sum(map(len, p.data["pegs"])) == 3
            assert lo <= distance(p.data["pegs"]) <= hi
            seen.add(json.dumps(p.data))
    assert len(seen) == 26  # every non-goal 3-disk start, as in the official generator
    with pytest.raises(ValueError):
        TASK.generate_official(rng, 6)


def test_generation_is_deterministic_and_level_checked():
    assert TASK.generate(np.random.default_rng(3), 5) == TASK.generate(np.random.default_rng(3), 5)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)


def test_solve_trace_deduces_and_ends_with_the_answer():
    p = TASK.generate_seeded(4, 4)
    trace = TASK.solve_trace(p)
    assert all(e.kind in TRACE_KINDS for e in trace)
    assert trace[0].kind == "read" and trace[-2].kind == "check" and trace[-1].kind == "answer"
    assert trace[-1].move == TASK.solve(p) and TASK.verify(p, trace[-1].move).correct
    assert [e.move for e in trace if e.kind == "deduce" and e.move] == TASK.solve_moves(p)


# ---- soundness and completeness: every single edit ----------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_single_edit_is_judged_by_the_rules(level):
    for seed in range(3):
        p = TASK.generate_seeded(50 + seed, level)
        pegs = p.data["pegs"]
        n = sum(map(len, pegs))
        moves = parse_pairs(TASK.solve(p))
        atoms = list(product(range(1, n + 1), (1, 2, 3)))
        edits = []
        for i in range(len(moves)):
            edits.append(moves[:i] + moves[i + 1:])
            edits.extend([*moves[:i], a, *moves[i + 1:]] for a in atoms if a != moves[i])
            if i + 1 < len(moves):
                edits.append([*moves[:i], moves[i + 1], moves[i], *moves[i + 2:]])
        for i in range(len(moves) + 1):
            edits.extend([*moves[:i], a, *moves[i:]] for a in atoms)
        for edit in edits:
            text = " ".join(f"({d},{q})" for d, q in edit)
            verdict = TASK.verify(p, text)
            assert verdict.correct == reference_ok(pegs, edit), (pegs, text, verdict)
            assert verdict.correct or verdict.violations


# ---- official rows ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.verify(p, TASK.solve(p)).correct
        assert len(TASK.solve_moves(p)) == row["step_count"]  # both optimal
        back = TASK.from_record({**row, "initial_state": json.loads(row["initial_state"])})  # decoded form
        assert back == p


def test_records_round_trip_and_bad_records_are_refused():
    for level in LADDER:
        p = TASK.generate_seeded(9, level)
        record = TASK.to_record(p)
        assert record["category"] == "hanoi" and record["difficulty"] == str(level)
        assert json.loads(record["initial_state"]) == p.data["pegs"]
        assert TASK.verify(p, record["answer"]).correct
        assert TASK.from_record(record) == p
    for bad in ("[[1, 3], [2], []]", "[[3], [1]]", "[[3, 2, 1], [], []] x", "[[3, 1], [1], []]", "[[], [], [2, 1]]",
                "[[], [], [3, 2, 1]]", "[[4, 1], [2], []]", "nonsense"):
        with pytest.raises(RecordError):
            TASK.from_record({"category": "hanoi", "initial_state": bad})
    assert TASK.from_record({"category": "hanoi", "initial_state": "((3, 1), (2,), ())"}).data["pegs"] == HAND


# ---- step mode ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("move", "reason"), [
    ("(3,3)", "not on top"), ("(2,2)", "already on peg 2"), ("(2,1)", "smaller disk 1"), ("(4,3)", "no disk 4"),
    ("(1,5)", "no peg 5"), ("3->1", "peg 3 is empty"), ("4->1", "no peg 4"), ("2->1", "smaller disk 1"),
    ("fly", "unknown command"), ("", "unknown command"), ("(1,2,3)", "unknown command"),
])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    with pytest.raises(InvalidMove, match=reason):
        TASK.apply(p, state, move)
    assert state == TASK.initial_state(p)


def test_step_commands_and_their_spellings():
    p = puzzle_of(HAND)
    s0 = TASK.initial_state(p)
    for cmd in ("(1,2)", "( 1 , 2 )", "1,2", "move 1 2", "Move disk 1 to peg 2", "1->2", "move 1 -> 2", "1 → 2",
                "peg 1 to peg 2", "`(1,2)`"):
        state = TASK.apply(p, s0, cmd)
        assert state[0] == ((3,), (2, 1), ()) and state[1] == ((1, 2),), cmd
    assert TASK.apply(p, s0, "move 1 to 3")[0] == ((3,), (2,), (1,))  # `move d p` is disk -> peg


def test_moves_move_space_and_answer_in_step_mode():
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    assert TASK.moves(p, state) == ["(1,2)", "(1,3)", "(2,3)"]
    assert TASK.move_space(p) == [f"({d},{q})" for d in (1, 2, 3) for q in (1, 2, 3)]
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    for level in (2, 4):
        p = TASK.generate_seeded(21, level)
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            legal = TASK.moves(p, state)
            for atom in TASK.move_space(p):  # exactly the legal atoms apply
                try:
                    TASK.apply(p, state, atom)
                    assert atom in legal
                except InvalidMove:
                    assert atom not in legal
            state = TASK.apply(p, state, move)
        assert TASK.potential(p, state) == 1.0 and TASK.state_answer(p, state) == TASK.solve(p)
        assert "Disks on peg 3" in TASK.state_text(p, state)
    assert TASK.state_text(puzzle_of(HAND), TASK.initial_state(puzzle_of(HAND))).splitlines()[0] == "[[3, 1], [2], []]"


def test_click_a_peg_then_type_its_destination():
    p = puzzle_of(HAND)
    state = TASK.initial_state(p)
    assert TASK.cell_at(p, 10, 100, 512) == (0, 0) and TASK.cell_at(p, 500, 100, 512) == (0, 2)
    assert TASK.cell_at(p, 10, 1000, 512) is None
    assert TASK.cell_command(p, state, (0, 0), "2") == "1->2"
    assert TASK.apply(p, state, "1->2")[1] == ((1, 2),)
    assert TASK.cell_command(p, state, (0, 2), "1") is None  # empty peg
    assert TASK.cell_command(p, state, (0, 0), "1") is None and TASK.cell_command(p, state, (0, 0), "x") is None


# ---- pictures and robustness ---------------------------------------------------------------------------------
def test_render_is_deterministic_and_shows_step_positions():
    p = TASK.generate_seeded(2, 5)

    def png(image) -> bytes:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    assert png(TASK.render(p)) == png(TASK.render(p))
    assert TASK.render(p).size == (512, 384)
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert png(TASK.render(p, state)) != png(TASK.render(p))


@pytest.mark.parametrize("garbage", [
    "__import__('os').system('echo hi')", "(" * 5000, "(1," * 3000, "9" * 5000, "(99999999999,1)", "\x00\xff",
    "{}", "[[[]]]", "(1,2) " * 20000, "None", "\\boxed{(1,2)}", "(-1,2)", "(1,-2)",
])
def test_verify_never_raises_on_garbage(garbage):
    verdict = TASK.verify(puzzle_of(HAND), garbage)
    assert not verdict.correct and verdict.violations
