"""ShortestDistance: generator ladder, Dijkstra answer, lenient verify, walk step mode, records, pictures."""

from __future__ import annotations

import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helix_gym.core import graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import shortest_distance as sd

TASK = get_task("ShortestDistance")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(8)
# the spec's worked example: s = 0, t = 5, distance 7 via 0-1-4-2-5
EXAMPLE_EDGES = [[0, 1, 3], [0, 3, 2], [1, 2, 4], [1, 4, 1], [2, 4, 2], [2, 5, 1], [3, 4, 5], [4, 5, 4]]


def example():
    return TASK.puzzle(1, TASK._data(6, EXAMPLE_EDGES, 0, 5, 7))


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def floyd_distance(data) -> int:
    """An independent all-pairs computation to check Dijkstra against."""
    n = data["n"]
    d = [[0 if i == j else math.inf for j in range(n)] for i in range(n)]
    for u, v, w in data["edges"]:
        d[u][v] = d[v][u] = min(d[u][v], w)
    for k, i, j in itertools.product(range(n), repeat=3):
        if d[i][k] + d[k][j] < d[i][j]:
            d[i][j] = d[i][k] + d[k][j]
    return d[data["source"]][data["target"]]


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instance ---------------------------------------------------------------------------------
def test_example_known_answer():
    p = example()
    assert TASK.solve(p) == "7"
    assert TASK.verify(p, "7").correct
    assert TASK.solve_moves(p) == ["go 1", "go 4", "go 2", "go 5", "submit"]
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p)[:-1]:
        state = TASK.apply(p, state, move)
    assert state == (0, 1, 4, 2, 5)
    assert TASK.state_answer(p, state) == "7"
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "7"
    assert [e.move for e in trace if e.kind == "deduce"][:2] == ["settle 0", "settle 3"]


@pytest.mark.parametrize("text", ["7", "7.0", "7.", "$7$", "7 units", "distance = 7", "\\text{7}", " 7 ",
                                  "The shortest distance is 7.", "14/2", "$7.00$", "d=7"])
def test_example_notations_accepted(text):
    assert TASK.verify(example(), text).correct, text


@pytest.mark.parametrize("text", ["6", "8", "9", "0", "-7", "7.5", "70", "7 8", "0 -> 1 -> 4 -> 2 -> 5 = 7", "seven",
                                  "", "none", "[7, 7]"])
def test_example_wrong_answers_rejected(text):
    verdict = TASK.verify(example(), text)
    assert not verdict.correct and verdict.violations, text


def test_violations_do_not_reveal_the_distance():
    p = example()
    for text in ("9", "12", "5", "3", "0", "7.5"):
        verdict = TASK.verify(p, text)
        assert all("7" not in v.replace("7.5", "") for v in verdict.violations), verdict.violations
    assert "not minimal" in TASK.verify(p, "9").violations[0]


# ---- generator -------------------------------------------------------------------------------------------
def test_dfs_tree_matches_spec():
    assert sd.dfs_tree(9, 3) == ((0, 1), (1, 2), (2, 4), (3, 4), (3, 6), (6, 7), (5, 7), (5, 8))
    assert sd.dfs_tree(6, 3) == ((0, 1), (1, 2), (2, 4), (3, 4), (4, 5))


@pytest.mark.parametrize("n,cols", [(4, 2), (6, 3), (9, 3), (12, 4), (16, 4), (25, 5), (36, 6)])
def test_grid_columns(n, cols):
    assert sd.grid_columns(n) == cols


@pytest.mark.parametrize("level", LEVELS)
def test_generated_graph_shape(level):
    n, (w_lo, w_hi), _, _, _ = sd.level_params(level)
    for p in puzzles([level]):
        d = p.data
        cols = d["columns"]
        assert d["n"] == n and cols == sd.grid_columns(n) and d["source"] != d["target"]
        edges = {(u, v) for u, v, _ in d["edges"]}
        assert d["edges"] == sorted(d["edges"]) and len(edges) == len(d["edges"])
        adjacent = graphs.adjacent_pairs(n, cols)
        orth = {pair for pair in adjacent if graphs.pair_kind(*pair, cols) == graphs.ORTHOGONAL}
        assert orth <= edges and edges <= set(adjacent)  # full grid plus some diagonals
        assert set(sd.dfs_tree(n, cols)) <= edges
        assert all(w_lo <= w <= w_hi for _, _, w in d["edges"])
        assert d["distance"] == floyd_distance(d)


def test_generation_is_deterministic_and_corner_first():
    a = TASK.generate(np.random.default_rng(11), 5)
    b = TASK.generate(np.random.default_rng(11), 5)
    assert a == b
    corners = [(p.data["source"], p.data["target"]) == (0, p.data["n"] - 1) for p in puzzles([3], range(30))]
    assert sum(corners) > 15  # the first try is the corner pair and it is usually kept


def test_level_checks():
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), 0)
    with pytest.raises(ValueError):
        TASK.generate(np.random.default_rng(0), max(LEVELS) + 1)


# ---- solvability -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_and_play(level):
    for p in puzzles([level]):
        answer = TASK.solve(p)
        assert TASK.verify(p, answer).correct
        assert int(answer) == floyd_distance(p.data)
        moves = TASK.solve_moves(p)
        assert moves[-1] == "submit"
        state = TASK.initial_state(p)
        for move in moves[:-1]:
            assert move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
            assert not TASK.is_solved(p, state)
        assert "submit" in TASK.moves(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct
        trace = TASK.solve_trace(p)
        assert trace[-1].kind == "answer" and trace[-1].move == answer


# ---- soundness and completeness --------------------------------------------------------------------------
def test_every_other_number_is_rejected():
    for p in puzzles(seeds=range(3)):
        best = p.data["distance"]
        for value in range(-2, 2 * best + 6):
            if value != best:
                verdict = TASK.verify(p, str(value))
                assert not verdict.correct and verdict.violations
        for text in (f"{best}.5", f"{best - 0.5}", f"{best} {best}", f"{best}, {best + 1}"):
            assert not TASK.verify(p, text).correct, text


def test_every_notation_of_the_distance_is_accepted():
    for p in puzzles(seeds=range(3)):
        best = p.data["distance"]
        for text in (f"{best}", f"{best}.0", f"${best}$", f"{best} units", f"distance = {best}", f"\\({best}\\)",
                     f"**{best}**", f"{best}\n"):
            assert TASK.verify(p, text).correct, text


def test_walk_answers_other_shortest_paths_and_detours():
    """Any walk to t submits its own weight: a shortest one is right, a detour is wrong."""
    p = example()
    state = TASK.initial_state(p)
    for move in ("go 1", "go 4", "go 5"):  # 3 + 1 + 4 = 8
        state = TASK.apply(p, state, move)
    assert TASK.state_answer(p, state) == "8" and not TASK.verify(p, "8").correct
    state = TASK.initial_state(p)
    for move in ("go 1", "go 2", "go 5"):  # 3 + 4 + 1 = 8 as well
        state = TASK.apply(p, state, move)
    assert TASK.state_answer(p, state) == "8"
    tie = TASK.puzzle(1, TASK._data(4, [[0, 1, 1], [0, 2, 2], [1, 3, 2], [2, 3, 1]], 0, 3, 3))
    for path in ((1, 3), (2, 3)):  # two shortest paths, both accepted
        state = TASK.initial_state(tie)
        for v in path:
            state = TASK.apply(tie, state, f"go {v}")
        assert TASK.verify(tie, TASK.state_answer(tie, state)).correct


@pytest.mark.parametrize("garbage", ["", " ", "\\boxed{}", "__import__('os')", "__import__('os').system('ls')",
                                     "1/0", "9" * 400, "nan", "inf", "-", "((((", "\x00", "\\" * 50, None, "{}",
                                     "1e5", "NaN/0", "\\frac{}{}", "7/0", "9" * 400 + ".5",
                                     "1/" + "3" * 400])
def test_verify_never_raises(garbage):
    verdict = TASK.verify(example(), garbage)
    assert isinstance(verdict.correct, bool)
    assert not verdict.correct


def test_odd_spellings_of_seven_do_not_raise():
    for text in ("7" + "\\" * 50, "٧", "\\boxed{7}", "7\tunits"):
        assert isinstance(TASK.verify(example(), text).correct, bool)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, str(row["answer"])).correct, row["index"]
        assert TASK.solve(p) == str(row["answer"])
        assert f"from node {p.data['source']} to node {p.data['target']}" in row["question"]
        assert p.data["n"] == sd.level_params(p.level)[0]


def test_official_adjacency_is_read_exactly():
    row = official_rows()[0]
    p = TASK.from_record(row)
    assert sd.adjacency_text(p.data["n"], p.data["edges"]) in row["question_language"].replace("decimal).", "\n")


@pytest.mark.parametrize("level", LEVELS)
def test_record_round_trip(level):
    for seed in range(4):
        p = TASK.generate_seeded(seed, level)
        record = TASK.to_record(p)
        assert "initial_state" not in record
        assert record["category"] == "shortest_distance_weighted" and record["difficulty"] == level
        assert record["answer"] == str(p.data["distance"])
        assert f"from node {p.data['source']} to node {p.data['target']}" in record["question"]
        assert TASK.from_record(json.loads(json.dumps(record))) == p
        unseeded = TASK.generate(np.random.default_rng(seed), level)
        assert TASK.from_record(TASK.to_record(unseeded)) == unseeded


def test_bad_records_raise_record_error():
    good = TASK.to_record(example())
    with pytest.raises(RecordError):
        TASK.from_record({**good, "question_language": "no graph here from node 0 to node 5"})
    with pytest.raises(RecordError):
        TASK.from_record({**good, "question": "?", "question_language": "0: [(1, 2)]\n1: [(0, 2)]"})
    with pytest.raises(RecordError):  # the two directions of an edge disagree
        TASK.from_record({**good, "question_language": "from node 0 to node 1. 0: [(1, 2)]\n1: [(0, 3)]"})
    with pytest.raises(RecordError):  # t unreachable
        TASK.from_record({**good, "question_language": "from node 0 to node 3. 0: [(1, 2)]\n1: [(0, 2)]\n3: []"})


# ---- step mode -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("move,reason", [("go 3", "no edge 1-3"), ("go 9", "no node 9"), ("jump 2", "unknown"),
                                         ("go", "unknown"), ("go x", "unknown"), ("2", "unknown"),
                                         ("go 1", "no edge 1-1"), ("", "unknown")])
def test_illegal_moves_raise_and_change_nothing(move, reason):
    p = example()
    state = TASK.apply(p, TASK.initial_state(p), "go 1")
    before = state
    with pytest.raises(InvalidMove) as err:
        TASK.apply(p, state, move)
    assert reason in err.value.reason
    assert state == before == (0, 1)


def test_submit_only_at_target():
    p = example()
    state = TASK.apply(p, TASK.initial_state(p), "Go 1.")
    with pytest.raises(InvalidMove):
        TASK.state_answer(p, state)
    assert "submit" not in TASK.moves(p, state)


def test_moves_and_move_space():
    for p in puzzles(seeds=range(2)):
        space = TASK.move_space(p)
        assert space[-1] == "submit" and len(space) == p.data["n"] + 1
        state = TASK.initial_state(p)
        for move in TASK.moves(p, state):
            assert move in space
            if move != "submit":
                assert TASK.apply(p, state, move)[-1] == int(move.split()[1])
        legal = set(TASK.moves(p, state))
        for move in space[:-1]:
            if move not in legal:
                with pytest.raises(InvalidMove):
                    TASK.apply(p, state, move)
    assert TASK.undo_words == ("back",)
    assert TASK.step_budget(example()) == 3 * 6 + 20


def test_state_text_shows_the_walk_not_the_distance():
    p = example()
    state = TASK.initial_state(p)
    for move in ("go 1", "go 4", "go 2", "go 5"):
        state = TASK.apply(p, state, move)
    text = TASK.state_text(p, state)
    assert "walk: 0 -> 1 -> 4 -> 2 -> 5" in text and "current node: 5" in text
    assert sd.adjacency_text(6, EXAMPLE_EDGES) in text
    assert TASK.conflicts(p, state) == [] and not TASK.is_solved(p, state)


# ---- prompts and pictures --------------------------------------------------------------------------------
ALLOWED = set(map(chr, range(32, 127))) | set("\n×÷−–→≤≥≠")


def test_prompts():
    for p in puzzles(seeds=range(2)):
        for modality in ("image", "text"):
            text = TASK.prompt(p, modality)
            assert set(text) <= ALLOWED
            assert f"from node {p.data['source']} to node {p.data['target']}" in text
            assert "integer" in text and "boxed" not in text
        assert sd.adjacency_text(p.data["n"], p.data["edges"]) in TASK.prompt(p, "text")
        assert "0: [" not in TASK.prompt(p, "image")


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_render_is_deterministic_and_marks_the_walk():
    p = TASK.generate(np.random.default_rng(3), 5)
    first = TASK.render(p)
    assert first.size == (512, 512) and first.mode == "RGB"
    assert _png(first) == _png(TASK.render(p))
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    walked = TASK.render(p, state)
    assert _png(walked) != _png(first) and _png(walked) == _png(TASK.render(p, state))
    pic = sd.picture(p.data, 512)
    x, y = pic.xy(state[-1])
    ring = walked.getpixel((round(x + pic.radius + pic.ring / 2), round(y)))
    assert ring == sd.draw.ENTERED
    sx, sy = pic.xy(p.data["source"])
    assert first.getpixel((round(sx), round(sy - pic.radius * 0.7))) == sd.START_FILL


@pytest.mark.parametrize("level", LEVELS)
def test_weight_labels_do_not_overlap(level):
    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    for p in puzzles([level], range(40)):
        pic = sd.picture(p.data, 512)
        rects = pic.label_boxes()
        assert None not in rects and not pic.crowded
        for a, b in itertools.combinations(rects, 2):
            assert not overlap(a, b)
        for rect, node in itertools.product(rects, range(p.data["n"])):
            nx, ny = pic.xy(node)
            cx, cy = min(max(nx, rect[0]), rect[2]), min(max(ny, rect[1]), rect[3])
            assert math.hypot(cx - nx, cy - ny) >= pic.radius + pic.ring


def test_click_on_a_node_walks_there():
    p = example()
    x, y = sd.picture(p.data, 512).xy(4)
    cell = TASK.cell_at(p, x + 3, y - 3)
    assert cell == (1, 1)
    assert TASK.cell_command(p, TASK.initial_state(p), cell, "return") == "go 4"
    assert TASK.cell_at(p, 1, 1) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises_on_any_text(text):
    assert isinstance(TASK.verify(example(), text).correct, bool)
