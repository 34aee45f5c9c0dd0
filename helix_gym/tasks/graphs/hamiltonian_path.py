"""Hamiltonian Path (MM-HELIX `hamiltonian_path`): a path from a given start node through every node once, or No.

The graph is the MM-HELIX grid graph (spec 1.3, G5) with degree cap 3 and the official leaf repair; the start
node is drawn with it, and about one instance in five has no Hamiltonian path from its start (the answer is then
`No`, even where a path from another node exists). The official judge never checks the start; we do.

Step mode is a walk from the start (already placed): `go V` moves to an unvisited neighbour V, `back` takes the
last step back, reaching every node ends the game (a valid path), and `answer No` claims that none exists.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from helix_gym.core import graphs
from helix_gym.core.errors import RecordError
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.graphs._hamiltonian import HamiltonianTask, P, leaf_repair_path

MAX_DEGREE = 3
GAMMA = 2.0  # knight-like pairs: probability GAMMA * P
_START_INDEX = re.compile(r"_start(\d+)")
_START_TEXT = re.compile(r"start(?:ing|s)?\s+(?:from\s+|at\s+)?(?:vertex|node)\s+(\d+)", re.I)


@register_task
class HamiltonianPath(HamiltonianTask):
    """Find a Hamiltonian path that starts at the red node, or answer No.

    Step grammar: `go V` (walk to V, an unvisited neighbour of the current node; `V` or `go to node V` also read),
    `back` (take the last step back), `answer No` (no such path exists). Visiting every node ends the game."""

    name = "HamiltonianPath"
    key = "hamiltonian_path"
    score_function = "hamiltonian_path_evaluator"
    cycle = False
    walk_word = "path"
    nodes = (4, 6, 8, 12, 16)
    step_help = (
        "go V: walk from the current node to its unvisited neighbour V (the walk starts at the red start node)\n"
        "back: take the last step back\n"
        "answer No: end the game claiming that no Hamiltonian path starts at the start node"
    )
    answer_help = ("the path as a list of node numbers in visiting order, beginning with the start node, e.g. "
                   "[s, a, b, ...]; or No if no such path exists")

    def build(self, rng: np.random.Generator, n: int) -> graphs.GridGraph:
        graph = graphs.build_grid_graph(rng, n, P, 1.0, 0.7, GAMMA, max_degree=MAX_DEGREE)
        leaf_repair_path(graph)
        return graph

    # ---- words ---------------------------------------------------------------------------------------------
    def read_note(self, data: dict[str, Any]) -> str:
        s = data["start"]
        return (f"An undirected graph with {data['n']} nodes and {len(data['edges'])} edges; find a path that starts "
                f"at node {s} and visits every node exactly once. Backtrack from node {s}, trying neighbours in "
                "ascending order; cut a branch as soon as an unvisited node can no longer be reached, or two "
                "unvisited nodes are each left with a single usable neighbour (only one can end the path), and "
                "take a step at once where a neighbour of the current node has no other way in and out.")

    def none_phrase(self, data: dict[str, Any]) -> str:
        return f"no Hamiltonian path starts at node {data['start']}"

    def exists_phrase(self, data: dict[str, Any]) -> str:
        return f"a Hamiltonian path starting at node {data['start']} does exist"

    def goal_line(self, data: dict[str, Any]) -> str:
        return f"start node: {data['start']}"

    def caption(self, data: dict[str, Any]) -> str:
        return f"Hamiltonian path from node {data['start']} (red)"

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        s = d["start"]
        ask = (f"A Hamiltonian path moves along edges and visits every node exactly once. Decide whether there is "
               f"a Hamiltonian path that starts at node {s}. If there is, give one: its nodes in visiting order as "
               f"a list of numbers in square brackets, beginning with {s}. If no such path starts at node {s} "
               "(even if one starts elsewhere), answer No.")
        if modality == "image":
            return ("The picture shows an undirected graph: circles are nodes and lines are edges (some lines bend "
                    f"around nodes they do not join). The start, node {s}, is red.\n{ask}")
        return ("Here is an undirected graph as an adjacency list: the line `u: [v, w, ...]` lists every neighbour "
                "of node u (so each edge is listed under both of its nodes).\n"
                f"{graphs.adjacency_text(self.adjacency(d))}\n{ask}")

    # ---- records -------------------------------------------------------------------------------------------
    def record_index(self, puzzle: Puzzle) -> str:
        return f"{super().record_index(puzzle)}_maxdeg{MAX_DEGREE}_start{puzzle.data['start']}"

    def record_start(self, record: dict[str, Any], n: int) -> int:
        """The start from the index (`..._start3`), else from the question (`starting from vertex 3`)."""
        found = _START_INDEX.search(str(record.get("index") or ""))
        for field in ("question_language", "question"):
            if found is None:
                found = _START_TEXT.search(str(record.get(field) or ""))
        if found is None:
            raise RecordError(f"{self.name}: the record does not say which node the path starts from")
        start = int(found.group(1))
        if start >= n:
            raise RecordError(f"{self.name}: start node {start} is not one of the {n} nodes")
        return start
