"""HamiltonianCycle: official generator rules, pruned search = official DFS answer, rotation/direction/closure-blind
verify, walk step mode with closing move, records (official rows included), traces and pictures."""

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

TASK = get_task("HamiltonianCycle")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(10)
# the spec's example: a square 0-1-2-3 with the diagonal 1-3
KITE = [[0, 1], [0, 3], [1, 2], [1, 3], [2, 3]]
# two triangles sharing node 2: connected, no leaves, but every cycle through all nodes would pass node 2 twice
BOWTIE = [[0, 1], [0, 2], [1, 2], [2, 3], [2, 4], [3, 4]]


def make(edges, n=4, level=1):
    return TASK.puzzle(level, TASK.make_data(n, [list(e) for e in edges]))


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate_seeded(seed, level)


def is_valid(data, walk) -> bool:
    """An independent statement of the rules: open or closed, any rotation or direction."""
    if len(walk) > 1 and walk[0] == walk[-1]:
        walk = walk[:-1]
    edges = graphs.edge_set(data["edges"])
    ring = [*walk, walk[0]] if walk else []
    return (len(walk) == data["n"] and sorted(walk) == list(range(data["n"]))
            and all((min(a, b), max(a, b)) in edges for a, b in itertools.pairwise(ring)))


def plain_dfs(data):
    """The official ground truth: unpruned backtracking from node 0 over ascending neighbours, closed."""
    adj = graphs.neighbours(data["n"], data["edges"])
    path, seen = [0], {0}

    def extend():
        if len(path) == data["n"]:
            return 0 in adj[path[-1]]
        for w in adj[path[-1]]:
            if w not in seen:
                path.append(w)
                seen.add(w)
                if extend():
                    return True
                seen.discard(path.pop())
        return False

    return [*path, 0] if extend() else None


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


# ---- hand-made instances --------------------------------------------------------------------------------
def test_kite_known_answer():
    p = make(KITE)
    assert TASK.solve(p) == "[0, 1, 2, 3, 0]"
    assert TASK.solve_moves(p) == ["go 0", "go 1", "go 2", "go 3", "go 0"]
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "[0, 1, 2, 3, 0]"


@pytest.mark.parametrize("text", ["[0, 1, 2, 3, 0]", "[0, 1, 2, 3]", "[1, 2, 3, 0]", "[2, 3, 0, 1, 2]",
                                  "[0, 3, 2, 1]", "[3, 2, 1, 0, 3]", "(0, 1, 2, 3)", "0,1,2,3", "0 -> 1 -> 2 -> 3 -> 0",
                                  "0 → 1 → 2 → 3", "Cycle: 0 1 2 3 0", "[[0, 1, 2, 3]]", "0-1-2-3-0",
                                  "$0 \\to 1 \\to 2 \\to 3 \\to 0$", "[0.0, 1, 2, 3]",
                                  "Yes: 0, 1, 2, 3, 0"])
def test_cycle_notations_rotations_and_directions_accepted(text):
    assert TASK.verify(make(KITE), text).correct, text


@pytest.mark.parametrize("text", ["No", "no", "No.", "NO", "No, there is none", "\\text{No}", "none", "Answer: No",
                                  "There is no Hamiltonian cycle.", "The graph has no Hamiltonian cycle"])
def test_no_notations_accepted(text):
    assert TASK.verify(make(BOWTIE, n=5), text).correct, text


@pytest.mark.parametrize("text,needle", [
    ("[0, 1, 2]", "node 3 is never visited"),
    ("[0, 1, 3, 2]", "no edge 2-0 to close the cycle"),
    ("[0, 2, 1, 3]", "no edge 0-2"),
    ("[0, 1, 2, 3, 1]", "node 1 is visited more than once"),
    ("[0, 1, 2, 3, 4]", "node 4 does not exist"),
    ("No", "does have a Hamiltonian cycle"),
    ("yes", "not yes"),
    ("[0, 1, two, 3]", "could not read"),
])
def test_wrong_answers_name_the_broken_rule(text, needle):
    verdict = TASK.verify(make(KITE), text)
    assert not verdict.correct and any(needle in v for v in verdict.violations), (text, verdict.violations)


def test_a_no_instance_rejects_every_ordering():
    p = make(BOWTIE, n=5)
    assert TASK.solve(p) == "No"
    for perm in itertools.permutations(range(5)):
        for walk in (list(perm), [*perm, perm[0]]):
            verdict = TASK.verify(p, ham.list_text(walk))
            assert not verdict.correct and verdict.violations


@pytest.mark.parametrize("text", ["__import__('os').system('echo hi')", "\\boxed{", "[" * 5000, "9" * 5000,
                                  "[-1, 0, 1, 2]", "[1e999]", "nan", "\x00", "[0]", "[0, 0]", "None of them", "[]"])
def test_verify_never_raises(text):
    for p in (make(KITE), make(BOWTIE, n=5)):
        verdict = TASK.verify(p, text)
        assert verdict.violations or verdict.correct


# ---- the generator ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_generated_graphs_follow_the_official_rules(level):
    n = TASK.nodes[level - 1]
    for p in puzzles([level]):
        d = p.data
        assert d["n"] == n and d["columns"] == graphs.grid_columns(n) and "start" not in d
        pairs = [tuple(e) for e in d["edges"]]
        assert pairs == sorted(set(pairs)) and all(u < v for u, v in pairs)
        assert graphs.is_connected(n, d["edges"])
        assert min(graphs.degrees(n, d["edges"])) >= 2  # the leaf repair removed every degree-1 node
        assert all(graphs.pair_kind(u, v, d["columns"]) != graphs.RESTRICTED for u, v in pairs)


def test_density_balancing_only_joins_grid_neighbours():
    sparse = graphs.GridGraph(16)
    for u, v in graphs.dfs_tree(16):
        sparse.add(u, v)
    before = set(sparse.edges())
    for seed in range(20):
        graph = graphs.GridGraph(16)
        for u, v in before:
            graph.add(u, v)
        ham.balance_density(np.random.default_rng(seed), graph)
        added = set(graph.edges()) - before
        assert len(added) <= 3
        assert all(graphs.pair_kind(u, v, 4) in (graphs.ORTHOGONAL, graphs.DIAGONAL) for u, v in added)


def test_both_outcomes_occur_and_generation_is_deterministic():
    found = [p.data["solution"] is not None for p in puzzles([2], range(40))]
    assert 20 <= sum(found) < 40
    assert TASK.generate_seeded(5, 5) == TASK.generate_seeded(5, 5)


def test_level_checks():
    for bad in (0, 6):
        with pytest.raises(ValueError):
            TASK.generate(np.random.default_rng(0), bad)


# ---- solving ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_solve_is_the_official_first_cycle_and_play_closes_it(level):
    for p in puzzles([level]):
        d = p.data
        assert d["solution"] == plain_dfs(d)  # pruning never changes which cycle comes first
        assert TASK.verify(p, TASK.solve(p)).correct
        state = TASK.initial_state(p)
        for move in TASK.solve_moves(p):
            if move == "answer No":
                assert TASK.verify(p, "No").correct and not TASK.is_solved(p, state)
                break
            assert not TASK.is_solved(p, state) and move in TASK.moves(p, state)
            state = TASK.apply(p, state, move)
        else:
            assert TASK.is_solved(p, state) and list(state) == d["solution"]
            assert TASK.verify(p, TASK.state_answer(p, state)).correct


@pytest.mark.parametrize("level", [1, 2])
def test_existence_matches_brute_force(level):
    for p in puzzles([level], range(20)):
        d = p.data
        exists = any(is_valid(d, [0, *perm]) for perm in itertools.permutations(range(1, d["n"])))
        assert exists == (d["solution"] is not None)


def test_pruned_search_agrees_with_plain_backtracking_on_random_graphs():
    rng = np.random.default_rng(4)
    for _ in range(400):
        n = int(rng.integers(3, 10))
        edges = [[u, v] for u in range(n) for v in range(u + 1, n) if rng.random() < rng.uniform(0.2, 0.7)]
        assert ham.search(graphs.neighbours(n, edges), 0, True).solution == plain_dfs({"n": n, "edges": edges})


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
        for walk in (d["solution"], d["solution"][:-1]):  # closed and open forms
            for edit in _edits(walk, d["n"]):
                if not edit:
                    continue
                verdict = TASK.verify(p, ham.list_text(edit))
                assert verdict.correct == is_valid(d, edit), edit
                assert verdict.correct or verdict.violations


def test_every_ordering_is_judged_by_the_rules():
    """Complete and sound at once on 6-node graphs: every rotation and direction of every Hamiltonian cycle
    passes, open or closed; every other ordering fails."""
    for p in puzzles([1], range(3)):
        d = p.data
        accepted = 0
        for perm in itertools.permutations(range(d["n"])):
            for walk in (list(perm), [*perm, perm[0]]):
                ok = TASK.verify(p, ", ".join(map(str, walk))).correct
                assert ok == is_valid(d, walk)
                accepted += ok
        assert (accepted > 0) == (d["solution"] is not None)
        assert accepted % (4 * d["n"]) == 0  # each cycle: n rotations x 2 directions x open/closed


# ---- step mode -------------------------------------------------------------------------------------------
def test_step_mode_rules():
    p = make(KITE)
    state = TASK.initial_state(p)
    assert state == () and TASK.moves(p, state) == ["go 0", "go 1", "go 2", "go 3", "answer No"]
    with pytest.raises(InvalidMove, match="walk is empty"):
        TASK.state_answer(p, state)
    state = TASK.apply(p, state, "go 2")  # any node may start the cycle
    assert state == (2,)
    for bad, reason in [("go 0", "no edge 2-0"), ("go 4", "no node 4"), ("fly 1", "unknown command"),
                        ("go 2", "no edge 2-2")]:
        with pytest.raises(InvalidMove, match=reason):
            TASK.apply(p, state, bad)
    state = TASK.apply(p, state, "go 1")
    with pytest.raises(InvalidMove, match="where the cycle started"):
        TASK.apply(p, state, "go 2")
    state = TASK.apply(p, TASK.apply(p, state, "go 0"), "go 3")
    assert not TASK.is_solved(p, state) and TASK.moves(p, state) == ["go 2", "answer No"]
    with pytest.raises(InvalidMove, match="already visited"):
        TASK.apply(p, state, "go 1")
    closed = TASK.apply(p, state, "go 2")
    assert TASK.is_solved(p, closed) and closed == (2, 1, 0, 3, 2)
    with pytest.raises(InvalidMove, match="already complete"):
        TASK.apply(p, closed, "go 1")
    assert TASK.verify(p, TASK.state_answer(p, closed)).correct
    assert state == (2, 1, 0, 3)  # apply never mutates


def test_stuck_walks_are_reported_as_conflicts():
    p = make([[0, 1], [1, 2], [2, 3], [0, 2]])  # a triangle with a tail: 3 is a leaf
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "go 3"), "go 2")
    state = TASK.apply(p, TASK.apply(p, state, "go 0"), "go 1")
    assert TASK.moves(p, state) == ["answer No"] and any("no edge 1-3 back" in c for c in TASK.conflicts(p, state))
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "go 0"), "go 2")
    state = TASK.apply(p, state, "go 1")
    assert any("dead end" in c for c in TASK.conflicts(p, state))
    assert TASK.conflicts(p, TASK.initial_state(p)) == []


def test_step_budget_does_not_tell_whether_a_cycle_exists():
    assert TASK.step_budget(make(KITE)) == TASK.step_budget(make([[0, 1], [1, 2], [2, 3], [0, 2]]))


# ---- the trace -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [2, 4, 5])
def test_trace_replays_as_legal_walk_steps(level):
    saw = set()
    for p in puzzles([level]):
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-2].kind == "check"
        assert TASK.verify(p, trace[-1].move).correct
        walks = [TASK.apply(p, TASK.initial_state(p), "go 0")]
        for event in trace[1:-2]:
            saw.add(event.kind)
            if event.kind in ("try", "deduce") and event.move:
                walks.append(TASK.apply(p, walks[-1], event.move))
            elif event.kind == "backtrack":
                walks.pop()
            else:
                assert event.kind in ("dead_end", "deduce") and event.note
        if p.data["solution"] is not None:
            assert TASK.apply(p, walks[-1], "go 0") == tuple(p.data["solution"])
    assert {"try", "backtrack", "dead_end"} <= saw


def test_trace_of_a_no_instance_says_why():
    trace = TASK.solve_trace(make(BOWTIE, n=5))
    assert trace[-1].move == "No"
    assert any(e.kind in ("dead_end", "deduce") and "node 2" in e.note for e in trace)


# ---- records ---------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_the_first_dfs_cycles():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]
        int_keys = dict(row, initial_state={int(k): v for k, v in row["initial_state"].items()})
        assert TASK.from_record(int_keys) == p
        text_only = {k: v for k, v in row.items() if k != "initial_state"}
        assert TASK.from_record(text_only) == p


def test_record_round_trip():
    for p in puzzles(LEVELS, range(3)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["answer"] == TASK.solve(p) and isinstance(record["difficulty"], int)
        assert TASK.from_record(record) == p


def test_bad_records_are_refused():
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "no graph here"})
    with pytest.raises(RecordError):
        TASK.from_record({"initial_state": {"0": [0]}})


def test_prompts_hide_the_answer():
    p = TASK.generate_seeded(1, 3)
    for modality in ("image", "text"):
        text = TASK.prompt(p, modality)
        assert "No" in text and (p.data["solution"] is None or ham.list_text(p.data["solution"]) not in text)
    assert "0: [" in TASK.prompt(p, "text") and "0: [" not in TASK.prompt(p, "image")


# ---- pictures ----------------------------------------------------------------------------------------------
def test_pictures_show_the_walk():
    p = TASK.generate_seeded(2, 5)
    image = TASK.render(p)
    assert image.tobytes() == TASK.render(p).tobytes()
    pic = ham.picture(p.data, 512)
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "go 0"), TASK.moves(p, (0,))[0])
    walked = TASK.render(p, state)
    x, y = pic.xy(0)
    assert walked.getpixel((round(x + pic.radius / 2), round(y + pic.radius / 2))) == ham.WALK_START_FILL
    assert TASK.render(p, ()).tobytes() != image.tobytes()  # the empty walk adds its caption line
    for node in range(p.data["n"]):
        assert TASK.cell_command(p, state, TASK.cell_at(p, *pic.xy(node)), "x") == f"go {node}"
