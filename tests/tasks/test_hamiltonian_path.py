"""HamiltonianPath: official generator rules, pruned search = official DFS answer, start-checking verify, walk
step mode, records (official rows included), traces and pictures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core import graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import _hamiltonian as ham
from helix_gym.tasks.graphs import hamiltonian_path as hp

TASK = get_task("HamiltonianPath")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(10)
# the spec's example: a 4-cycle 0-1-3-2-0, start 2 -> the first path in DFS order is [2, 0, 1, 3]
SQUARE = [[0, 1], [0, 2], [1, 3], [2, 3]]
# a plain path 0-1-2-3: a Hamiltonian path exists from 0 (and 3), not from 1
LINE = [[0, 1], [1, 2], [2, 3]]


def make(edges, start, n=4, level=1):
    return TASK.puzzle(level, TASK.make_data(n, [list(e) for e in edges], start))


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def is_valid(data, walk) -> bool:
    """An independent statement of the rules."""
    edges = graphs.edge_set(data["edges"])
    return (len(walk) == data["n"] and sorted(walk) == list(range(data["n"])) and walk[0] == data["start"]
            and all((min(a, b), max(a, b)) in edges for a, b in itertools.pairwise(walk)))


def plain_dfs(data):
    """The official ground truth: unpruned backtracking from the start over ascending neighbours."""
    adj = graphs.neighbours(data["n"], data["edges"])
    path, seen = [data["start"]], {data["start"]}

    def extend():
        if len(path) == data["n"]:
            return True
        for w in adj[path[-1]]:
            if w not in seen:
                path.append(w)
                seen.add(w)
                if extend():
                    return True
                seen.discard(path.pop())
        return False

    return path if extend() else None


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instances --------------------------------------------------------------------------------
def test_square_known_answer():
    p = make(SQUARE, 2)
    assert TASK.solve(p) == "[2, 0, 1, 3]"
    assert TASK.verify(p, "[2, 0, 1, 3]").correct
    assert TASK.verify(p, "[2, 3, 1, 0]").correct  # the other direction round the square
    assert TASK.solve_moves(p) == ["go 0", "go 1", "go 3"]
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "[2, 0, 1, 3]"


def test_no_path_from_this_start_although_one_exists_elsewhere():
    p = make(LINE, 1)
    assert TASK.solve(p) == "No"
    assert TASK.verify(p, "No").correct
    verdict = TASK.verify(p, "[0, 1, 2, 3]")  # a Hamiltonian path, but from the wrong node
    assert not verdict.correct and any("must start at node 1" in v for v in verdict.violations)
    assert not TASK.verify(make(LINE, 0), "No").correct
    moves = TASK.solve_moves(p)
    assert moves[-1] == "answer No" and moves[0].startswith("go ")


@pytest.mark.parametrize("text", ["[2, 0, 1, 3]", "(2, 0, 1, 3)", "2,0,1,3", "2 0 1 3", "2 -> 0 -> 1 -> 3",
                                  "2 → 0 → 1 → 3", "Path: 2, 0, 1, 3", "[[2, 0, 1, 3]]", "2-0-1-3",
                                  "$2 \\to 0 \\to 1 \\to 3$", "[2.0, 0, 1, 3]", "  [2,0,1,3]  ", "2; 0; 1; 3",
                                  "Yes: [2, 0, 1, 3]", "Yes. The path is 2 -> 0 -> 1 -> 3"])
def test_path_notations_accepted(text):
    assert TASK.verify(make(SQUARE, 2), text).correct, text


@pytest.mark.parametrize("text", ["No", "no", "No.", "NO", "No, there is none", "\\text{No}", "none", "Answer: No",
                                  "No Hamiltonian path starts there",
                                  "There is no Hamiltonian path starting at node 1.", "Such a path does not exist"])
def test_no_notations_accepted(text):
    assert TASK.verify(make(LINE, 1), text).correct, text


@pytest.mark.parametrize("text,needle", [
    ("[2, 0, 1]", "node 3 is never visited"),
    ("[2, 0, 3, 1]", "no edge 0-3"),
    ("[3, 1, 0, 2]", "must start at node 2"),
    ("[2, 0, 1, 3, 2]", "node 2 is visited more than once"),
    ("[2, 0, 1, 7]", "node 7 does not exist"),
    ("[2, 2, 0, 1, 3]", "does not move"),
    ("No", "does exist"),
    ("Yes", "not yes"),
    ("[2, 0, x, 3]", "could not read"),
    ("", "could not read"),
])
def test_wrong_answers_name_the_broken_rule(text, needle):
    verdict = TASK.verify(make(SQUARE, 2), text)
    assert not verdict.correct and any(needle in v for v in verdict.violations), (text, verdict.violations)


@pytest.mark.parametrize("text", ["__import__('os').system('echo hi')", "\\boxed{", "[" * 5000, "9" * 5000,
                                  "[-1, 0, 1, 2]", "[1e999]", "nan", "\x00", "[2, 0, 1, 3" * 400, "None of them",
                                  "{2: 0}", "[2, 0, 1, 3]]]"])
def test_verify_never_raises(text):
    for p in (make(SQUARE, 2), make(LINE, 1)):
        verdict = TASK.verify(p, text)
        assert verdict.violations or verdict.correct


# ---- the generator ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_graphs_follow_the_official_rules(level):
    n = TASK.nodes[level - 1]
    for p in puzzles([level]):
        d = p.data
        assert d["n"] == n and d["columns"] == graphs.grid_columns(n) and 0 <= d["start"] < n
        pairs = [tuple(e) for e in d["edges"]]
        assert pairs == sorted(set(pairs)) and all(u < v for u, v in pairs)
        assert max(graphs.degrees(n, d["edges"])) <= hp.MAX_DEGREE
        assert graphs.is_connected(n, d["edges"])
        for u, v in pairs:  # far pairs on a row, column or 45-degree line are never joined
            kind = graphs.pair_kind(u, v, d["columns"])
            assert kind != graphs.RESTRICTED, (u, v)


def test_leaf_repair_leaves_at_most_two_leaves_where_it_can():
    for seed in range(40):
        graph = TASK.build(np.random.default_rng(seed), 16)
        leaves = [u for u in range(16) if graph.degree(u) == 1]
        if len(leaves) > 2:  # only when the first leaf can take no edge within the cap
            u = leaves[0]
            assert not any(graph.can_add(u, v) for v in graph.grid_neighbours(u))
            assert not any(graph.can_add(u, v) for v in range(16) if graph.kind(u, v) == graphs.KNIGHT)


def test_both_outcomes_occur_and_generation_is_deterministic():
    found = [p.data["solution"] is not None for p in puzzles([3], range(40))]
    assert 20 <= sum(found) < 40
    assert TASK.generate_seeded(5, 5) == TASK.generate_seeded(5, 5)


def test_level_checks():
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


# ---- solving ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_is_the_official_first_path_and_play_reaches_it(level):
    for p in puzzles([level]):
        d = p.data
        assert d["solution"] == plain_dfs(d)  # pruning never changes which path comes first
        assert TASK.verify(p, TASK.solve(p)).correct
        state = TASK.initial_state(p)
        moves = TASK.solve_moves(p)
        for move in moves:
            if move == "answer No":
                assert TASK.verify(p, "No").correct and not TASK.is_solved(p, state)
                break
            assert not TASK.is_solved(p, state) and move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        else:
            assert TASK.is_solved(p, state) and list(state) == d["solution"]
            assert TASK.verify(p, TASK.state_answer(p, state)).correct


@pytest.mark.parametrize("level", [1, 2, 3])
def test_existence_matches_brute_force(level):
    for p in puzzles([level], range(20)):
        d = p.data
        rest = [v for v in range(d["n"]) if v != d["start"]]
        exists = any(is_valid(d, [d["start"], *perm]) for perm in itertools.permutations(rest))
        assert exists == (d["solution"] is not None)


def test_pruned_search_agrees_with_plain_backtracking_on_random_graphs():
    rng = np.random.default_rng(3)
    for _ in range(400):
        n = int(rng.integers(3, 10))
        edges = [[u, v] for u in range(n) for v in range(u + 1, n) if rng.random() < rng.uniform(0.2, 0.7)]
        data = {"n": n, "edges": edges, "start": int(rng.integers(n))}
        assert ham.search(graphs.neighbours(n, edges), data["start"], False).solution == plain_dfs(data)


# ---- soundness and completeness of verify -----------------------------------------------------------------
def _edits(walk, n):
    """Every answer one edit away: a node replaced, dropped, inserted, or two nodes swapped."""
    for i in range(len(walk)):
        for v in range(n + 1):
            yield [*walk[:i], v, *walk[i + 1:]]
            yield [*walk[:i], v, *walk[i:]]
        yield walk[:i] + walk[i + 1:]
    for i, j in itertools.combinations(range(len(walk)), 2):
        swapped = list(walk)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        yield swapped


@pytest.mark.parametrize("level", LEVELS)
def test_every_single_edit_is_judged_by_the_rules(level):
    for p in puzzles([level], range(4)):
        d = p.data
        if d["solution"] is None:
            continue
        for edit in _edits(d["solution"], d["n"]):
            if not edit:
                continue
            verdict = TASK.verify(p, ham.list_text(edit))
            assert verdict.correct == is_valid(d, edit), edit
            assert verdict.correct or verdict.violations


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_ordering_is_judged_by_the_rules(level):
    """Complete and sound at once: every Hamiltonian path from the start passes, every other ordering fails."""
    for p in puzzles([level], range(3)):
        d = p.data
        rest = [v for v in range(d["n"]) if v != d["start"]]
        for perm in itertools.permutations(rest):
            walk = [d["start"], *perm]
            assert TASK.verify(p, " -> ".join(map(str, walk))).correct == is_valid(d, walk)


# ---- step mode -------------------------------------------------------------------------------------------
def test_step_mode_rules():
    p = make(SQUARE, 2)
    state = TASK.initial_state(p)
    assert state == (2,) and TASK.moves(p, state) == ["go 0", "go 3", "answer No"]
    for bad, reason in [("go 1", "no edge 2-1"), ("go 9", "no node 9"), ("jump 0", "unknown command"),
                        ("go 2", "no edge"), ("", "unknown command")]:
        with pytest.raises(InvalidMove, match=reason):
            TASK.apply(p, state, bad)
    assert state == (2,)
    state = TASK.apply(p, state, "Go to node 0.")
    assert state == (2, 0)
    with pytest.raises(InvalidMove, match="already visited"):
        TASK.apply(p, state, "go 2")
    state = TASK.apply(p, TASK.apply(p, state, "1"), "visit 3")
    assert TASK.is_solved(p, state) and TASK.moves(p, state) == ["answer No"]
    with pytest.raises(InvalidMove, match="already complete"):
        TASK.apply(p, state, "go 0")
    assert TASK.state_answer(p, state) == "[2, 0, 1, 3]"
    assert TASK.move_space(p) == ["go 0", "go 1", "go 2", "go 3", "answer No"]


def test_dead_end_is_reported_as_a_conflict():
    p = make(LINE, 1)
    state = TASK.apply(p, TASK.initial_state(p), "go 0")
    assert TASK.moves(p, state) == ["answer No"]
    assert any("dead end" in c for c in TASK.conflicts(p, state))
    assert TASK.conflicts(p, TASK.initial_state(p)) == []
    assert not TASK.verify(p, TASK.state_answer(p, state)).correct


def test_step_budget_does_not_tell_whether_a_path_exists():
    assert TASK.step_budget(make(SQUARE, 2)) == TASK.step_budget(make(LINE, 1))


# ---- the trace -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [2, 4, 5])
def test_trace_replays_as_legal_walk_steps(level):
    saw_backtrack = False
    for p in puzzles([level]):
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-2].kind == "check"
        assert TASK.verify(p, trace[-1].move).correct
        walks = [TASK.initial_state(p)]
        for event in trace[1:-2]:
            if event.kind in ("try", "deduce") and event.move:
                walks.append(TASK.apply(p, walks[-1], event.move))
            elif event.kind == "backtrack":
                walks.pop()
                saw_backtrack = True
            else:
                assert event.kind in ("dead_end", "deduce") and event.note
        if p.data["solution"] is not None:
            assert list(walks[-1]) == p.data["solution"]
    assert saw_backtrack or level == 2


def test_trace_of_a_no_instance_says_why():
    trace = TASK.solve_trace(make(LINE, 1))  # ruled out before the first step: 0 and 3 would both end the path
    assert trace[-1].move == "No"
    assert any(e.kind == "deduce" and "nodes 0 and 3 each have a single usable neighbour" in e.note for e in trace)
    # two triangles joined at node 2-3: from node 3 every walk strands one triangle (from node 0 one exists)
    bowtie = make([[0, 1], [0, 2], [1, 2], [2, 3], [3, 4], [3, 5], [4, 5]], 3, n=6)
    trace = TASK.solve_trace(bowtie)
    kinds = [e.kind for e in trace]
    assert trace[-1].move == "No" and {"try", "dead_end", "backtrack"} <= set(kinds)
    assert TASK.verify(bowtie, "No").correct and not TASK.verify(bowtie, "[0, 1, 2, 3, 4, 5]").correct


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_the_first_dfs_paths():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]
        int_keys = dict(row, initial_state={int(k): v for k, v in row["initial_state"].items()})
        assert TASK.from_record(int_keys) == p  # the integer-key hazard of the official judge does not apply
        text_only = {k: v for k, v in row.items() if k not in ("initial_state", "index")}
        assert TASK.from_record(text_only) == p  # start and graph read from the question text


def test_record_round_trip():
    for p in puzzles(LEVELS, range(3)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["index"].endswith(f"_maxdeg3_start{p.data['start']}")
        assert record["answer"] == TASK.solve(p) and isinstance(record["difficulty"], int)
        assert set(record["initial_state"]) == {str(v) for v in range(p.data["n"])}
        assert TASK.from_record(record) == p


def test_bad_records_are_refused():
    with pytest.raises(RecordError):
        TASK.from_record({"initial_state": {"0": [1], "1": [0]}, "question_language": "no start here"})
    with pytest.raises(RecordError):
        TASK.from_record({"index": "x_start9", "initial_state": {"0": [1], "1": [0]}})
    with pytest.raises(RecordError):
        TASK.from_record({"index": "x_start0", "question_language": "nothing"})


def test_prompts_hide_the_answer_and_name_the_start():
    p = TASK.generate_seeded(1, 4)
    for modality in ("image", "text"):
        text = TASK.prompt(p, modality)
        assert f"node {p.data['start']}" in text and "No" in text
        if p.data["solution"]:
            assert ham.list_text(p.data["solution"]) not in text
    assert "0: [" in TASK.prompt(p, "text") and "0: [" not in TASK.prompt(p, "image")


# ---- pictures ----------------------------------------------------------------------------------------------
def test_pictures_mark_the_start_and_the_walk():
    p = TASK.generate_seeded(2, 5)
    image = TASK.render(p)
    assert image.tobytes() == TASK.render(p).tobytes()
    pic = ham.picture(p.data, 512)
    x, y = pic.xy(p.data["start"])
    assert image.getpixel((round(x + pic.radius / 2), round(y + pic.radius / 2))) == ham.START_FILL
    state = TASK.apply(p, TASK.initial_state(p), TASK.moves(p, TASK.initial_state(p))[0])
    assert TASK.render(p, state).tobytes() != image.tobytes()
    for node in range(p.data["n"]):
        cell = TASK.cell_at(p, *pic.xy(node))
        assert TASK.cell_command(p, state, cell, "x") == f"go {node}"
