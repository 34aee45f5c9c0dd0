"""GraphIsomorphism: hard "No" partners, exact search, pairing verifier, step mode, records, pictures."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from helix_gym.core import graphs
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.registry import get_task
from helix_gym.tasks.graphs import graph_isomorphism as gi

TASK = get_task("GraphIsomorphism")
SAMPLES = Path("/work/shared/samples/mmhelix-records.jsonl")
LEVELS = TASK.levels
SEEDS = range(6)

# the spec's worked example: two paths on 4 nodes (G2 is 0-2-3-1)
PATH1 = [[0, 1], [1, 2], [2, 3]]
PATH2 = [[0, 2], [1, 3], [2, 3]]
# same degrees (3, 2, 2, 1, 1, 1), not isomorphic: legs 3, 1, 1 against legs 2, 2, 1 around node 0
SPIDER_311 = [[0, 1], [1, 2], [2, 3], [0, 4], [0, 5]]
SPIDER_221 = [[0, 1], [1, 2], [0, 3], [3, 4], [0, 5]]
# same colour refinement (no invariant short of triangles tells them apart): a 2 x 3 grid against two triangles
# joined by an edge, so the search has to backtrack to say No
GRID_2X3 = [[0, 1], [1, 2], [3, 4], [4, 5], [0, 3], [1, 4], [2, 5]]
TWO_TRIANGLES = [[0, 1], [0, 2], [1, 2], [3, 4], [3, 5], [4, 5], [0, 3]]


def make(g1, g2, n=None, level=1):
    n = n or graphs.node_count({u: [v] for u, v in g1 + g2})
    return TASK.puzzle(level, TASK._data(n, g1, g2))


def puzzles(levels=LEVELS, seeds=SEEDS):
    for level, seed in itertools.product(levels, seeds):
        yield TASK.generate(np.random.default_rng(seed), level)


def isomorphisms(puzzle):
    """Every G1 -> G2 isomorphism by brute force (small n only)."""
    d = puzzle.data
    e2 = {tuple(e) for e in d["g2"]}
    for perm in itertools.permutations(range(d["n"])):
        if all((min(perm[u], perm[v]), max(perm[u], perm[v])) in e2 for u, v in d["g1"]):
            yield list(perm)


def official_rows():
    if not SAMPLES.exists():
        pytest.skip("official samples file missing")
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("category") == TASK.key]


def arrows(mapping):
    return ", ".join(f"{u}->{v}" for u, v in enumerate(mapping))


# ---- hand-made instances -------------------------------------------------------------------------------------
def test_paths_known_answer():
    p = make(PATH1, PATH2)
    assert p.data["isomorphic"] and TASK.solve(p) == "Yes"
    assert TASK.verify(p, "Yes").correct and not TASK.verify(p, "No").correct
    assert sorted(isomorphisms(p)) == [[0, 2, 3, 1], [1, 3, 2, 0]]
    assert TASK.verify(p, "Yes: 0->0, 1->2, 2->3, 3->1").correct
    state = TASK.initial_state(p)
    for move in TASK.solve_moves(p):
        state = TASK.apply(p, state, move)
    assert TASK.is_solved(p, state) and TASK.verify(p, TASK.state_answer(p, state)).correct
    trace = TASK.solve_trace(p)
    assert trace[0].kind == "read" and trace[-1].kind == "answer" and trace[-1].move == "Yes"
    assert any(e.kind == "check" for e in trace)


def test_same_degrees_not_isomorphic():
    p = make(SPIDER_311, SPIDER_221)
    assert not p.data["isomorphic"] and TASK.solve(p) == "No" and TASK.solve_moves(p) == ["no", "submit"]
    assert TASK.verify(p, "No").correct
    verdict = TASK.verify(p, "Yes")
    assert not verdict.correct and "not isomorphic" in verdict.violations[0]
    for perm in itertools.permutations(range(6)):  # every bijection breaks an edge, and the verdict names it
        verdict = TASK.verify(p, arrows(perm))
        assert not verdict.correct and any("edge" in v for v in verdict.violations)
    trace = TASK.solve_trace(p)
    kinds = [e.kind for e in trace]
    assert trace[-1].move == "No"
    # the trace pairs nodes of equal degree until every choice fails, then one refinement round confirms it
    assert {"dead_end", "backtrack"} <= set(kinds) and kinds.index("dead_end") < kinds.index("check")
    assert any("round 1" in e.note for e in trace if e.kind == "check")
    assert any("Every choice fails" in e.note for e in trace)


def test_refinement_alike_pair_needs_the_search():
    p = make(GRID_2X3, TWO_TRIANGLES)
    assert not p.data["isomorphic"]
    a1, a2 = gi.adjacency_sets(6, GRID_2X3), gi.adjacency_sets(6, TWO_TRIANGLES)
    assert gi.first_split(gi.refine(a1, a2)) is None and gi.profile(a1) == gi.profile(a2)
    trace = TASK.solve_trace(p)
    kinds = {e.kind for e in trace}
    assert {"try", "dead_end", "backtrack"} <= kinds and trace[-1].move == "No"
    dead = [e.note for e in trace if e.kind == "dead_end"]
    assert all("no partner left" in note for note in dead)
    assert any("is not an edge of" in note for note in dead)


def test_the_trace_search_uses_degree_classes_and_stays_exact():
    """The trace's search pairs nodes by degree only (refinement comes last, as a cross-check); the answer it
    reaches is the exact one for every instance, and every No it proves by search."""
    for level in LEVELS:
        for p in puzzles([level]):
            trace = TASK.solve_trace(p)
            assert trace[-1].move == ("Yes" if p.data["isomorphic"] else "No")
            if not p.data["isomorphic"] and any("equal." in e.note for e in trace):
                assert "dead_end" in [e.kind for e in trace]


def test_dead_end_names_the_broken_edge():
    p = make(PATH1, PATH2)
    verdict = TASK.verify(p, "0->0, 1->2, 2->1, 3->3")
    assert not verdict.correct
    assert "edge 1-2 of G1 maps to 2-1, which is not an edge of G2" in verdict.violations
    assert "2-3 is an edge of G2, but its preimage 1-3 is not an edge of G1" in verdict.violations


# ---- generator -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_ladder_and_hard_no_instances(level):
    for seed in range(10):
        p = TASK.generate_seeded(seed, level)
        d = p.data
        n = d["n"]
        assert n == gi.NODES[level]
        for edges in (d["g1"], d["g2"]):
            assert edges == sorted(edges) and all(u < v < n for u, v in edges)
            assert graphs.is_connected(n, edges) and gi.is_planar(n, edges)
        a1, a2 = gi.adjacency_sets(n, d["g1"]), gi.adjacency_sets(n, d["g2"])
        # every instance has equal counts and degrees: only a pairing search (or finer invariants) tells
        assert len(d["g1"]) == len(d["g2"])
        assert graphs.degree_sequence(n, d["g1"]) == graphs.degree_sequence(n, d["g2"])
        if level < 5:
            assert gi.triangle_count(a1) == gi.triangle_count(a2)
        mapping = gi.IsoSearch(a1, a2).run()
        assert (mapping is not None) == d["isomorphic"] and mapping == d["mapping"]


def test_answers_are_balanced():
    yes = sum(TASK.generate_seeded(seed, level).data["isomorphic"] for seed in range(16) for level in LEVELS)
    assert 0.3 < yes / (16 * len(LEVELS)) < 0.7


def test_generation_is_deterministic():
    for level in LEVELS:
        assert TASK.generate_seeded(5, level) == TASK.generate_seeded(5, level)


def test_partner_keeps_degrees_and_differs():
    rng = np.random.default_rng(3)
    for family in ("tree", "grid", "caterpillar"):
        g1 = gi.base_shape(rng, 9, family)
        partner = gi.find_partner(rng, 9, g1)
        if partner is None:
            continue
        assert graphs.degree_sequence(9, g1) == graphs.degree_sequence(9, partner)
        assert gi.solve_graphs(9, [list(e) for e in g1], [list(e) for e in partner]) is None
    assert gi.find_partner(rng, 7, gi.base_shape(rng, 7, "chain")) is None  # a path is its degree sequence


def test_planarity_on_known_graphs():
    k5 = list(itertools.combinations(range(5), 2))
    k33 = [(a, b) for a in range(3) for b in range(3, 6)]
    petersen = [(i, (i + 1) % 5) for i in range(5)] + [(i, i + 5) for i in range(5)] + \
        [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
    subdivided_k33 = [(0, 3), (0, 4), (0, 5), (1, 3), (1, 4), (1, 6), (6, 5), (2, 3), (2, 7), (7, 4), (2, 8), (8, 5)]
    grid = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)] + \
        [(r * 3 + c, r * 3 + c + 3) for r in range(2) for c in range(3)]
    wheel = [(0, i) for i in range(1, 8)] + [(i, i % 7 + 1) for i in range(1, 8)]
    assert not gi.is_planar(5, k5) and not gi.is_planar(6, k33) and not gi.is_planar(10, petersen)
    assert not gi.is_planar(9, subdivided_k33)
    k4 = list(itertools.combinations(range(4), 2))
    assert gi.is_planar(9, grid) and gi.is_planar(8, wheel) and gi.is_planar(4, k4)


def test_planarity_and_search_match_networkx():
    nx = pytest.importorskip("networkx")
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(5, 10)
        pairs = list(itertools.combinations(range(n), 2))
        e1 = rng.sample(pairs, rng.randint(n - 1, min(3 * n - 6, len(pairs))))
        g1 = nx.Graph(e1)
        g1.add_nodes_from(range(n))
        assert gi.is_planar(n, e1) == nx.check_planarity(g1)[0], e1
        perm = list(range(n))
        rng.shuffle(perm)
        e2 = [(perm[u], perm[v]) for u, v in e1] if rng.random() < 0.5 else rng.sample(pairs, len(e1))
        g2 = nx.Graph(e2)
        g2.add_nodes_from(range(n))
        found = gi.solve_graphs(n, [sorted(e) for e in e1], [sorted(e) for e in e2])
        assert (found is not None) == nx.is_isomorphic(g1, g2)


# ---- solvability -------------------------------------------------------------------------------------------------
def test_solver_answers_and_moves_are_accepted():
    for p in puzzles():
        assert TASK.verify(p, TASK.solve(p)).correct
        state = TASK.initial_state(p)
        moves = TASK.solve_moves(p)
        for move in moves:
            if move != "submit":
                state = TASK.apply(p, state, move)
        if p.data["isomorphic"]:
            assert TASK.is_solved(p, state) and "submit" not in moves
            assert TASK.verify(p, arrows(p.data["mapping"])).correct
        else:
            assert moves[-1] == "submit" and not TASK.is_solved(p, state)
        assert TASK.verify(p, TASK.state_answer(p, state)).correct


def test_trace_ends_with_a_verified_answer():
    for p in puzzles(seeds=range(3)):
        trace = TASK.solve_trace(p)
        assert trace[0].kind == "read" and trace[-1].kind == "answer"
        assert TASK.verify(p, trace[-1].move).correct
        for event in trace:
            if event.kind in ("try", "backtrack") or (event.kind == "deduce" and event.move):
                assert event.move.startswith(("map ", "unmap ")) and event.state_text


# ---- soundness: every broken pairing is rejected --------------------------------------------------------------
def test_every_single_edit_of_a_valid_pairing_is_judged_by_the_rules():
    for p in puzzles(levels=(1, 2), seeds=range(12)):
        if not p.data["isomorphic"]:
            continue
        valid = {tuple(m) for m in isomorphisms(p)}
        base = p.data["mapping"]
        n = p.data["n"]
        for a, b in itertools.combinations(range(n), 2):  # swap two partners: accepted iff still an isomorphism
            edited = list(base)
            edited[a], edited[b] = edited[b], edited[a]
            inverse = [edited.index(v) for v in range(n)]
            expected = tuple(edited) in valid or tuple(inverse) in valid
            assert TASK.verify(p, arrows(edited)).correct == expected, edited
        for u, v in itertools.product(range(n), repeat=2):  # re-aim one node: never a bijection unless unchanged
            edited = list(base)
            edited[u] = v
            assert TASK.verify(p, arrows(edited)).correct == (v == base[u])
        for u in range(n):  # drop one pair
            pairs = ", ".join(f"{w}->{x}" for w, x in enumerate(base) if w != u)
            verdict = TASK.verify(p, pairs)
            assert not verdict.correct and f"node {u} of G1 has no partner" in verdict.violations
        assert not TASK.verify(p, "No").correct


def test_no_instances_reject_yes_and_every_pairing():
    for p in puzzles(levels=(1, 2), seeds=range(12)):
        if p.data["isomorphic"]:
            continue
        assert not TASK.verify(p, "Yes").correct and TASK.verify(p, "No").correct
        for perm in itertools.islice(itertools.permutations(range(p.data["n"])), 200):
            assert not TASK.verify(p, "Yes: " + arrows(perm)).correct


# ---- completeness: every valid pairing, in every notation --------------------------------------------------------
def test_every_isomorphism_is_accepted():
    p = make(GRID_2X3, GRID_2X3)
    found = list(isomorphisms(p))
    assert len(found) == 4  # the grid's symmetries
    for m in found:
        assert TASK.verify(p, arrows(m)).correct


@pytest.mark.parametrize("text", [
    "Yes", "yes", "YES.", "\\text{Yes}", "**Yes**", "Yes, they are isomorphic.", "True", "Isomorphic",
    "The graphs are isomorphic", "Yes, all 4 nodes match",
    "Yes: 0->0, 1->2, 2->3, 3->1", "0->0, 1->2, 2->3, 3->1", "0 -> 0\n1 -> 2\n2 -> 3\n3 -> 1",
    "{0: 0, 1: 2, 2: 3, 3: 1}", '{"0": 0, "1": 2, "2": 3, "3": 1}', "[0, 2, 3, 1]", "0 2 3 1", "(0, 2, 3, 1)",
    "[(0, 0), (1, 2), (2, 3), (3, 1)]", "f(0)=0, f(1)=2, f(2)=3, f(3)=1", "0:0 1:2 2:3 3:1", "0=0; 1=2; 2=3; 3=1",
    "0 \\to 0, 1 \\to 2, 2 \\to 3, 3 \\to 1", "0 \\mapsto 0, 1 \\mapsto 2, 2 \\mapsto 3, 3 \\mapsto 1",
    "0 → 0, 1 → 2, 2 → 3, 3 → 1", "G1 node 0 -> G2 node 0, G1 node 1 -> G2 node 2, 2 -> 3, 3 -> 1",
    "Yes, G1 is isomorphic to G2 via 0->0, 1->2, 2->3, 3->1", "Yes. Mapping: 0->0; 1->2; 2->3; 3->1.",
    "0 maps to 0, 1 maps to 2, 2 maps to 3, 3 maps to 1", "Yes: 1->3, 0->1, 3->0, 2->2",  # the other isomorphism
    "Yes: 0->0, 2->1, 3->2, 1->3",  # the inverse (G2 -> G1) of 0->0, 1->2, 2->3, 3->1
])
def test_yes_notations_accepted(text):
    assert TASK.verify(make(PATH1, PATH2), text).correct, text


@pytest.mark.parametrize("text", ["No", "no.", "\\text{No}", "No, they are not isomorphic", "Not isomorphic",
                                  "non-isomorphic", "False", "The graphs are not isomorphic"])
def test_no_notations_accepted(text):
    assert TASK.verify(make(SPIDER_311, SPIDER_221), text).correct, text


@pytest.mark.parametrize("text", [
    "", "maybe", "nope", "Not sure", "None", "Yes: 0->0, 1->2, 2->3", "0->0, 1->2, 2->3, 3->1, 7", "[0, 2, 3]",
    "Yes: 0->0, 1->2, 2->3, 3->3", "0->0, 0->1, 1->2, 2->3, 3->1", "0 -> 9, 1->2, 2->3, 3->1",
    "Yes: 0->0, 1->2, 2->1, 3->3", "No",
])
def test_wrong_answers_rejected_with_a_reason(text):
    verdict = TASK.verify(make(PATH1, PATH2), text)
    assert not verdict.correct and verdict.violations, text


@pytest.mark.parametrize("text", ["__import__('os').system('echo hi')", "{" * 500, "\\boxed{", "0->" * 200,
                                  "[" + ",".join(["9" * 40] * 4) + "]", "\x00\x01", "Yes: (((", "f(f(0))=1",
                                  "1e309", "-1 -> 2", "Yes " + "0->0, " * 1000])
def test_verify_never_raises(text):
    for p in (make(PATH1, PATH2), make(SPIDER_311, SPIDER_221)):
        verdict = TASK.verify(p, text)
        assert isinstance(verdict.correct, bool)


def test_random_answers_have_the_right_shape():
    p = TASK.generate_seeded(0, 3)
    rng = np.random.default_rng(0)
    for _ in range(30):
        text = TASK.random_answer(p, rng)
        verdict = TASK.verify(p, text)
        assert verdict.parsed is not None, text


# ---- official rows -------------------------------------------------------------------------------------------
def test_official_rows_load_and_their_answers_are_accepted():
    rows = official_rows()
    assert rows
    for row in rows:
        p = TASK.from_record(row)
        assert p.level == int(row["difficulty"])
        assert TASK.verify(p, row["answer"]).correct, row["index"]
        assert TASK.solve(p) == row["answer"]
        if p.data["isomorphic"]:
            assert TASK.verify(p, arrows(p.data["mapping"])).correct
        # the text variant also arrives under VLMEvalKit's column name
        alias = {k: v for k, v in row.items() if k != "question_language"}
        alias["question_text"] = row["question_language"]
        assert TASK.from_record(alias) == p


def test_unreadable_records_raise_record_error():
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "no graphs here", "difficulty": 1})
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "G1:\n0: [1]\n1: [0]\n", "difficulty": 1})  # only one graph
    with pytest.raises(RecordError):
        TASK.from_record({"question_language": "G1:\n0: [1]\n1: [0]\n\nG2:\n0: [2]\n2: [0]\n", "difficulty": 1})


# ---- records -------------------------------------------------------------------------------------------------
def test_record_round_trip():
    for p in puzzles(seeds=range(3)):
        record = TASK.to_record(p)
        json.dumps(record)
        assert record["category"] == "graph_isomorphism" and record["answer"] in ("Yes", "No")
        assert record["difficulty"] == p.level
        assert TASK.from_record(record) == p
        blocks = graphs.parse_adjacency_blocks(record["question_language"])
        assert len(blocks) == 2


# ---- step mode ---------------------------------------------------------------------------------------------------
def test_step_mode_rules():
    p = make(PATH1, PATH2)
    s0 = TASK.initial_state(p)
    assert s0 == ((-1, -1, -1, -1), False)
    s1 = TASK.apply(p, s0, "map 0 0")
    assert s1 == ((0, -1, -1, -1), False)
    assert TASK.apply(p, s1, "Map node 1 to node 2.") == ((0, 2, -1, -1), False)
    assert TASK.apply(p, s1, "map 1->2") == ((0, 2, -1, -1), False)
    assert TASK.apply(p, s1, "map 0 3") == ((3, -1, -1, -1), False)  # re-pairing replaces
    assert TASK.apply(p, s1, "unmap 0") == s0
    for bad in ("map 0 0", "map 1 0", "map 4 1", "map 1 4", "unmap 1", "unmap 9", "go 1", "map", "map 1",
                "map -1 2", "", "answer yes"):
        with pytest.raises(InvalidMove):
            TASK.apply(p, s1, bad)
    assert s1 == ((0, -1, -1, -1), False)
    claimed = TASK.apply(p, s1, "no")
    assert claimed == ((0, -1, -1, -1), True) and TASK.state_answer(p, claimed) == "No"
    for bad in ("no", "map 1 2", "unmap 0"):
        with pytest.raises(InvalidMove):
            TASK.apply(p, claimed, bad)
    assert TASK.moves(p, claimed) == ["submit"]
    with pytest.raises(InvalidMove, match="incomplete"):
        TASK.state_answer(p, s1)


def test_step_mode_ends_only_on_a_complete_valid_pairing():
    p = make(PATH1, PATH2)
    state = TASK.initial_state(p)
    for move in ("map 0 0", "map 1 2", "map 2 1"):
        state = TASK.apply(p, state, move)
        assert not TASK.is_solved(p, state)
    assert TASK.conflicts(p, state) == ["node 2 of G1 has degree 2 but its partner 1 in G2 has degree 1",
                                        "edge 1-2 of G1 maps to 2-1, which is not an edge of G2"]
    state = TASK.apply(p, state, "map 3 3")
    assert not TASK.is_solved(p, state)  # complete but broken: the game goes on, submit judges it wrong
    assert not TASK.verify(p, TASK.state_answer(p, state)).correct
    with pytest.raises(InvalidMove, match="already the partner of node 2"):
        TASK.apply(p, state, "map 3 1")
    state = TASK.apply(p, TASK.apply(p, TASK.initial_state(p), "map 0 0"), "map 1 2")
    state = TASK.apply(p, TASK.apply(p, state, "map 2 3"), "map 3 1")
    assert TASK.is_solved(p, state) and TASK.conflicts(p, state) == []


def test_conflicts_report_degrees_and_edges_only():
    p = make(SPIDER_311, SPIDER_221)
    state = TASK.apply(p, TASK.initial_state(p), "map 0 1")
    assert TASK.conflicts(p, state) == ["node 0 of G1 has degree 3 but its partner 1 in G2 has degree 2"]
    assert TASK.conflicts(p, TASK.apply(p, state, "no")) == []


def test_moves_and_move_space():
    p = TASK.generate_seeded(0, 2)
    space = TASK.move_space(p)
    n = p.data["n"]
    assert len(space) == n * n + n + 2 and len(set(space)) == len(space)
    assert set(TASK.solve_moves(p)) <= set(space)
    state = TASK.initial_state(p)
    assert set(TASK.moves(p, state)) <= set(space)
    for move in TASK.moves(p, state):
        if move != "submit":
            TASK.apply(p, state, move)


# ---- prompts and pictures ----------------------------------------------------------------------------------------
def test_prompts():
    p = make(PATH1, PATH2)
    image, text = TASK.prompt(p, "image"), TASK.prompt(p, "text")
    assert "G1 on the left" in image and "0: [" not in image
    assert "G1:\n0: [1]\n1: [0, 2]\n2: [1, 3]\n3: [2]\n\nG2:\n0: [2]\n1: [3]\n2: [0, 3]\n3: [1, 2]" in text
    for prompt in (image, text):
        assert "Yes or No" in prompt and "\\boxed" not in prompt


def test_render_is_deterministic_and_shows_the_pairing():
    p = TASK.generate_seeded(4, 5)
    a, b = TASK.render(p), TASK.render(p)
    assert a.size == (512, 512) and a.tobytes() == b.tobytes()
    state = TASK.apply(p, TASK.initial_state(p), TASK.solve_moves(p)[0])
    assert TASK.render(p, state).tobytes() != a.tobytes()
    assert TASK.render(p, TASK.initial_state(p)).tobytes() != TASK.render(p, state).tobytes()


def test_every_node_is_clickable():
    p = TASK.generate_seeded(2, 5)
    layout = gi._layout(p.data, 512)
    for side, (pic, left) in enumerate(zip(layout.pictures, layout.lefts)):
        for node in range(p.data["n"]):
            x, y = pic.xy(node)
            assert TASK.cell_at(p, x + left, y + layout.top) == (side, node)
    assert TASK.cell_at(p, 256, 5) is None
    state = TASK.initial_state(p)
    assert TASK.cell_command(p, state, (0, 3), "5") == "map 3 5"
    assert TASK.cell_command(p, state, (1, 3), "5") == "map 5 3"
    assert TASK.cell_command(p, state, (0, 3), "backspace") == "unmap 3"
    assert TASK.cell_command(p, state, (0, 3), "x") is None


def test_pictures_keep_nodes_apart_and_edges_off_other_nodes():
    for p in puzzles(levels=(1, 5), seeds=range(4)):
        layout = gi._layout(p.data, 512)
        for pic in layout.pictures:
            assert pic.cell >= 2.5 * pic.radius and pic.radius >= 9  # node discs never touch
            for i, (u, v) in enumerate(pic.edges):  # a straight edge clears every other node's disc
                if not pic.curved(i):
                    assert not pic.blockers(pic.xy(u), pic.xy(v), (u, v))
