"""EulerianPath: parity-repaired generator, Hierholzer answer, rule-checking verify, walk step mode, records,
pictures."""

from __future__ import annotations

import io
import itertools
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core import graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.graph_draw import MUTED, polyline_point_distance
from helix_gym.core.parse import says_no
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import _eulerian as eu
from helix_gym.tasks.graphs.eulerian_path import LADDER

TASK = get_task("EulerianPath")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
# the spec's example (G7.5): nodes 1 and 3 are odd; the official answer is [1, 2, 0, 1, 3]
EXAMPLE = {"0": [1, 2], "1": [0, 2, 3], "2": [0, 1], "3": [1]}


def example():
    adj = graphs.adjacency_from_state(EXAMPLE)
    return TASK.puzzle(1, TASK._data(4, graphs.adjacency_edges(adj)))


def make(n, edges, level=1):
    return TASK.puzzle(level, TASK._data(n, sorted([min(u, v), max(u, v)] for u, v in edges)))


def puzzles(levels=LEVELS, seeds=range(6)):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def is_euler_path(edges, walk) -> bool:
    """Independent check: the steps of the walk are exactly the edges, each once."""
    steps = Counter((min(a, b), max(a, b)) for a, b in itertools.pairwise(walk))
    return len(walk) >= 2 and steps == Counter((u, v) for u, v in edges)


def all_euler_paths(n, edges):
    """Every Eulerian path by brute force (small graphs only)."""
    out = []
    adj = graphs.neighbours(n, edges)

    def extend(walk, used):
        if len(used) == len(edges):
            out.append(list(walk))
            return
        u = walk[-1]
        for v in adj[u]:
            e = (min(u, v), max(u, v))
            if e not in used:
                extend([*walk, v], used | {e})

    for s in range(n):
        extend([s], frozenset())
    return out


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


def play(p, moves):
    state = TASK.initial_state(p)
    for move in moves:
        state = TASK.apply(p, state, move)
    return state


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "[1, 2, 0, 1, 3]"
    assert TASK.verify(p, "[1, 2, 0, 1, 3]").correct
    assert TASK.solve_moves(p) == ["go 1", "go 2", "go 0", "go 1", "go 3"]
    state = play(p, TASK.solve_moves(p))
    assert TASK.is_solved(p, state) and TASK.state_answer(p, state) == "[1, 2, 0, 1, 3]"
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "[1, 2, 0, 1, 3]"
    walks = [e for e in trace if e.move and e.move.startswith("walk from")]
    assert [e.move for e in walks] == ["walk from 1", "walk from 1"]  # 1 -> 3 stuck, then the detour 1-2-0-1
    assert "1 -> 3" in walks[0].note and "1 -> 2 -> 0 -> 1" in walks[1].note
    assert trace[-2].kind == "check"


def test_every_eulerian_path_of_the_example_is_accepted_and_nothing_else():
    p = example()
    paths = all_euler_paths(4, p.data["edges"])
    assert [1, 2, 0, 1, 3] in paths and [3, 1, 0, 2, 1] in paths and len(paths) == 4
    for walk in paths:
        assert TASK.verify(p, str(walk)).correct, walk
    for walk in itertools.product(range(4), repeat=5):
        assert TASK.verify(p, str(list(walk))).correct == (list(walk) in paths)


@pytest.mark.parametrize("text", ["[1, 2, 0, 1, 3]", "(1, 2, 0, 1, 3)", "1,2,0,1,3", "1 -> 2 -> 0 -> 1 -> 3",
                                  "1 → 2 → 0 → 1 → 3", "1-2-0-1-3", "Path: 1 2 0 1 3",
                                  "$1 \\to 2 \\to 0 \\to 1 \\to 3$", "[[1, 2, 0, 1, 3]]",
                                  "[1.0, 2, 0, 1, 3]", "\\text{[1, 2, 0, 1, 3]}", "3, 1, 0, 2, 1",
                                  "[1, 0, 2, 1, 3]"])
def test_example_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text,words", [
    ("[1, 2, 0, 1, 2]", "edge 1-2 is used twice (steps 1 and 4)"),
    ("[1, 2, 0, 3, 1]", "0-3 is not an edge"),
    ("[1, 2, 0, 1]", "never used: 1-3"),
    ("[1, 1, 2, 0, 1, 3]", "stays at node 1"),
    ("[1, 2, 0, 1, 7]", "node 7 is not in the graph"),
    ("[1]", "at least 1 step"),
    ("No", "has an Eulerian path"),
    ("Yes", "could not read"),
    ("[]", "could not read"),
    ("1, 2, banana", "could not read"),
])
def test_wrong_answers_name_the_broken_rule(text, words):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct
    assert any(words in v for v in verdict.violations), verdict.violations


# ---- "No" instances ----------------------------------------------------------------------------------------
def star():
    """K_{1,4}: four odd leaves, so no Eulerian path."""
    return make(5, [(0, 1), (0, 2), (0, 3), (0, 4)])


@pytest.mark.parametrize("text", ["No", "no", "NO", "No.", "None", "no eulerian path", "No, there is none.",
                                  "There is no Eulerian path.", "\\text{No}", "$No$", "Answer: No",
                                  "No: nodes 1, 2, 3 and 4 have odd degree", "It does not exist"])
def test_no_is_accepted_in_many_spellings(text):
    assert TASK.solve(star()) == "No"
    assert TASK.verify(star(), text).correct, text


@pytest.mark.parametrize("text", ["Yes", "[1, 0, 2]", "[1, 0, 2, 0, 3, 0, 4]", "I do not know", "maybe", "",
                                  "noo", "nothing", "Not sure"])
def test_no_instance_rejects_everything_else(text):
    verdict = TASK.verify(star(), text)
    assert not verdict.correct and verdict.violations, text


def test_disconnected_graph_has_no_path():
    p = make(4, [(0, 1), (2, 3)])
    assert TASK.solve(p) == "No" and not TASK.has_walk(p)
    assert "separate parts" in " ".join(e.note for e in TASK.solve_trace(p))
    assert not TASK.verify(p, "[0, 1]").correct


def test_says_no():
    for text in ("No", "none", " no. ", "**No**", "Final answer: No", "no such path"):
        assert says_no(text), text
    for text in ("[0, 1]", "Yes", "not sure", "node", "nothing", "1 2 3", "yes, there is no problem"):
        assert not says_no(text), text


# ---- generator -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_graph_shape(level):
    n, _ = LADDER[level]
    for p in puzzles([level], range(20)):
        d = p.data
        cols = d["columns"]
        assert d["n"] == n and cols == (3 if n <= 9 else 4)
        assert d["edges"] == sorted(d["edges"]) and len({tuple(e) for e in d["edges"]}) == len(d["edges"])
        assert all(u < v and graphs.pair_kind(u, v, cols) != graphs.RESTRICTED for u, v in d["edges"])
        assert graphs.is_connected(n, d["edges"])  # every node has an edge
        odd = len(graphs.odd_nodes(n, d["edges"]))
        assert TASK.has_walk(p) == (odd <= 2)


def test_answer_split_and_edge_counts_follow_the_spec():
    yes = 0
    for p in puzzles([5], range(200)):
        yes += TASK.has_walk(p)
        assert 25 <= len(p.data["edges"]) <= 55
    assert 130 <= yes <= 170  # 75% yes


def test_generation_is_deterministic():
    assert TASK.generate(np.random.default_rng(11), 5) == TASK.generate(np.random.default_rng(11), 5)
    assert TASK.generate_seeded(4, 3) == TASK.generate_seeded(4, 3)


def test_level_checks():
    for level in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), level)


def test_parity_repair_reaches_its_target():
    rng = np.random.default_rng(5)
    for _ in range(30):
        grid = graphs.build_grid_graph(rng, 16, 0.2)
        adj = [set(row) for row in grid.adj]
        assert eu.repair_parity(rng, adj, grid.cols, (0, 0))
        assert all(len(row) % 2 == 0 for row in adj) and eu._connected(adj)


# ---- solver ----------------------------------------------------------------------------------------------
def stack_hierholzer(n, edges, start):
    """The textbook stack form (the official generator's), to check the splicing form against."""
    unused = [set(row) for row in graphs.neighbours(n, edges)]
    stack, out = [start], []
    while stack:
        v = stack[-1]
        if unused[v]:
            w = max(unused[v])
            unused[v].discard(w)
            unused[w].discard(v)
            stack.append(w)
        else:
            out.append(stack.pop())
    return out[::-1]


@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        moves = TASK.solve_moves(p)
        trace = TASK.solve_trace(p)
        assert trace[-1].kind == "answer" and trace[-1].move == answer
        if answer == "No":
            assert moves == ["no", "submit"]
            state = play(p, moves[:1])
            assert not TASK.is_solved(p, state) and TASK.state_answer(p, state) == "No"
            continue
        walk = json.loads(answer)
        assert is_euler_path(p.data["edges"], walk)
        d = p.data
        assert walk == stack_hierholzer(d["n"], d["edges"], eu.start_node(d["n"], d["edges"]))
        state = TASK.initial_state(p)
        for move in moves:
            assert not TASK.is_solved(p, state) and move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct


# ---- soundness and completeness --------------------------------------------------------------------------
def single_edits(walk, n):
    """Every walk one edit away: a node replaced, deleted or inserted, or two neighbours swapped."""
    for i in range(len(walk)):
        for v in range(n):
            if v != walk[i]:
                yield [*walk[:i], v, *walk[i + 1:]]
        yield walk[:i] + walk[i + 1:]
    for i in range(len(walk) + 1):
        for v in range(n + 1):
            yield [*walk[:i], v, *walk[i:]]
    for i in range(len(walk) - 1):
        yield [*walk[:i], walk[i + 1], walk[i], *walk[i + 2:]]


def test_every_single_edit_is_judged_by_the_rules():
    """An edit that breaks a rule is rejected with a reason; an edit that is still an Eulerian path passes."""
    checked = 0
    for p in puzzles((1, 3, 5), range(3)):
        if not TASK.has_walk(p):
            continue
        d = p.data
        walk = json.loads(TASK.solve(p))
        for edited in single_edits(walk, d["n"]):
            verdict = TASK.verify(p, str(edited))
            valid = all(v < d["n"] for v in edited) and is_euler_path(d["edges"], edited)
            assert verdict.correct == valid, edited
            assert valid or verdict.violations
            checked += 1
    assert checked > 1000


def test_reversed_and_other_walks_are_accepted():
    for p in puzzles(seeds=range(4)):
        if not TASK.has_walk(p):
            continue
        walk = json.loads(TASK.solve(p))
        assert TASK.verify(p, str(walk[::-1])).correct
        assert TASK.verify(p, " -> ".join(map(str, walk))).correct
        assert TASK.verify(p, ", ".join(map(str, walk))).correct
        assert TASK.verify(p, str(tuple(walk))).correct
        d = p.data
        if not graphs.odd_nodes(d["n"], d["edges"]):  # a circuit: any rotation is another Eulerian path
            k = len(walk) // 2
            assert TASK.verify(p, str(walk[k:-1] + walk[:k + 1])).correct


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "1/0", "9" * 400, "nan", "inf", "-", "((((", "\x00", "\\" * 50, None, "{}",
                                     "[-1, 0]", "[0.5, 1]", "[" * 300, "1e5", "[1, 2, 0, 1, 3" * 100])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(example(), garbage)
    assert isinstance(verdict.correct, bool) and not verdict.correct and verdict.violations


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"]) and p.data["n"] == LADDER[p.level][0]
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert TASK.solve(p) == row["answer"]  # the official Hierholzer, reproduced exactly
        if row["answer"] != "No":  # no start node is asked for: the reversed walk passes too
            assert TASK.verify(p, str(json.loads(row["answer"])[::-1])).correct
        assert eu.adjacency_text(p.data["n"], p.data["edges"]) in row["question_language"]
        text_only = {k: v for k, v in row.items() if k != "initial_state"}
        assert TASK.from_record(text_only) == p


@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for seed in range(4):
        p = TASK.generate_seeded(seed, level)
        record = TASK.to_record(p)
        assert record["category"] == "eulerian_path" and record["difficulty"] == level
        assert record["answer"] == TASK.solve(p)
        assert set(record["initial_state"]) == {str(u) for u in range(p.data["n"])}
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        assert TASK.from_record({**record, "initial_state": json.dumps(record["initial_state"])}) == p
        unseeded = TASK.generate(np.random.default_rng(seed), level)
        assert TASK.from_record(TASK.to_record(unseeded)) == unseeded


def test_bad_records_raise_record_error():
    good = TASK.to_record(example())
    with pytest.raises(RecordError):
        TASK.from_record({**good, "initial_state": None, "question_language": "no graph here"})
    with pytest.raises(RecordError):
        TASK.from_record({**good, "initial_state": {"0": [0]}})
    with pytest.raises(RecordError):
        TASK.from_record({**good, "initial_state": {"0": [], "1": []}})


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move,reason", [("go 3", "no edge 2-3"), ("go 9", "no node 9"), ("jump 2", "unknown"),
                                         ("go", "unknown"), ("go x", "unknown"), ("2", "unknown"),
                                         ("go 2", "no edge 2-2"), ("go 1", "already used"), ("", "unknown")])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    state = play(p, ["go 1", "go 2"])
    before = state
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason
    assert state == before == eu.Walk((1, 2), 1 << p.data["edges"].index([1, 2]), False)


def test_no_declaration():
    p = star()
    state = play(p, ["go 1", "go 0", "No."])
    assert state.no and TASK.state_answer(p, state) == "No" and TASK.verify(p, "No").correct
    assert TASK.moves(p, state) == ["submit"]
    for move in ("go 2", "no"):
        with pytest.raises(InvalidMove):
            TASK.apply(p, state, move)
    assert "declared" in TASK.state_text(p, state)
    with pytest.raises(InvalidMove):  # nothing walked and nothing declared
        TASK.state_answer(p, TASK.initial_state(p))


def test_stuck_walk_reports_a_dead_end_and_submits_as_wrong():
    p = make(5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)])  # a triangle with a tail: odd nodes 2 and 4
    state = play(p, ["go 2", "go 3", "go 4"])  # the bridge first: the triangle is lost
    assert TASK.moves(p, state) == ["no", "submit"]
    assert TASK.conflicts(p, state) == ["stuck at node 4: all its edges are used, but 3 edges are unused"]
    assert not TASK.is_solved(p, state)
    verdict = TASK.verify(p, TASK.state_answer(p, state))
    assert not verdict.correct and "never used: 0-1, 0-2, 1-2" in verdict.violations[0]
    solved = play(p, ["go 2", "go 1", "go 0", "go 2", "go 3", "go 4"])
    assert TASK.is_solved(p, solved) and TASK.conflicts(p, solved) == []


def test_moves_and_move_space():
    for p in puzzles(seeds=range(2)):
        space = TASK.move_space(p)
        assert space[-2:] == ["no", "submit"] and len(space) == p.data["n"] + 2
        state = TASK.initial_state(p)
        assert TASK.moves(p, state) == space[:-1]
        state = TASK.apply(p, state, "go 0")
        legal = TASK.moves(p, state)
        assert set(legal) <= set(space) and "submit" not in legal  # nothing walked yet
        for move in space[:-2]:
            if move in legal:
                assert TASK.apply(p, state, move).nodes[-1] == int(move.split()[1])
            else:
                with pytest.raises(InvalidMove):
                    TASK.apply(p, state, move)
    assert TASK.undo_words == ("back",)
    assert TASK.step_budget(example()) == 3 * 5 + 20


def test_state_text_shows_the_walk_and_the_unused_edges():
    p = example()
    state = play(p, ["go 1", "go 2", "go 0"])
    text = TASK.state_text(p, state)
    assert eu.adjacency_text(4, p.data["edges"]) in text
    assert "walk: 1 -> 2 -> 0" in text and "current node: 0" in text and "unused edges: 0-1, 1-3" in text
    assert "not started" in TASK.state_text(p, TASK.initial_state(p))


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    for p in puzzles(seeds=range(2)):
        for modality in ("image", "text"):
            text = TASK.prompt(p, modality)
            assert set(text) <= ALLOWED and "boxed" not in text
            assert "exactly once" in text and "No" in text and "[0, 1, 2, 0]" in text
        assert eu.adjacency_text(p.data["n"], p.data["edges"]) in TASK.prompt(p, "text")
        assert "0: [" not in TASK.prompt(p, "image")


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_marks_the_walk():
    p = next(q for q in puzzles([5], range(20)) if TASK.has_walk(q))
    first = TASK.render(p)
    assert first.size == (512, 512) and first.mode == "RGB"
    assert _png(first) == _png(TASK.render(p))
    moves = TASK.solve_moves(p)[:6]
    state = play(p, moves)
    walked = TASK.render(p, state)
    assert _png(walked) != _png(first) and _png(walked) == _png(TASK.render(p, state))
    pic = eu.picture(p.data, 512)
    x, y = pic.xy(state.nodes[-1])
    assert walked.getpixel((round(x + pic.radius + pic.ring / 2), round(y))) == eu.draw.ENTERED
    sx, sy = pic.xy(state.nodes[0])
    assert walked.getpixel((round(sx), round(sy - pic.radius * 0.7))) == eu.START_FILL
    i = pic.edge_index(state.nodes[0], state.nodes[1])
    if not pic.curved(i):  # a used edge is grey where it leaves its start node's rim
        (ax, ay), (bx, by) = pic.xy(state.nodes[0]), pic.xy(state.nodes[1])
        f = (pic.radius + pic.ring + 4) / math.dist((ax, ay), (bx, by))
        assert walked.getpixel((round(ax + (bx - ax) * f), round(ay + (by - ay) * f))) == MUTED


@pytest.mark.parametrize("level", LEVELS)
def test_edges_clear_every_other_node(level):
    for p in puzzles([level], range(15)):
        pic = eu.picture(p.data, 512)
        for (u, v), pts in zip(pic.edges, pic.paths):
            for node in range(p.data["n"]):
                if node not in (u, v):
                    assert polyline_point_distance(pts, pic.xy(node)) > pic.radius, (p.data, u, v, node)


def test_click_on_a_node_walks_there():
    p = example()
    x, y = eu.picture(p.data, 512).xy(3)
    cell = TASK.cell_at(p, x + 3, y - 3)
    assert cell == (1, 1)
    assert TASK.cell_command(p, TASK.initial_state(p), cell, "return") == "go 3"
    assert TASK.cell_at(p, 1, 1) is None
