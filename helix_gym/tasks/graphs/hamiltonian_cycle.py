"""Hamiltonian Cycle (MM-HELIX `hamiltonian_cycle`): a cycle through every node once, or No.

The graph is the MM-HELIX grid graph (spec 1.3, G6) without a degree cap, with the official leaf repair and
density balancing; about one instance in five has no Hamiltonian cycle (the answer is then `No`). Any rotation
or direction of a cycle is right, written open (`[0, 1, 2, 3]`) or closed (`[0, 1, 2, 3, 0]`).

Step mode is a walk: the first `go V` picks where the cycle starts, each further `go V` moves to an unvisited
neighbour, `back` takes the last step back; once every node is visited, `go <start>` closes the cycle and ends
the game. `answer No` claims that there is no Hamiltonian cycle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helix_gym.core import graphs
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle
from helix_gym.tasks.graphs._hamiltonian import HamiltonianTask, P, balance_density, leaf_repair_cycle

GAMMA = 1.0  # knight-like pairs: probability GAMMA * P


@register_task
class HamiltonianCycle(HamiltonianTask):
    """Find a Hamiltonian cycle, or answer No.

    Step grammar: `go V` (the first picks the start; then walk to V, an unvisited neighbour of the current node,
    or back to the start once every node is visited; `V` or `go to node V` also read), `back` (take the last step
    back), `answer No` (no Hamiltonian cycle exists). Closing the cycle ends the game."""

    name = "HamiltonianCycle"
    key = "hamiltonian_cycle"
    score_function = "hamiltonian_cycle_evaluator"
    cycle = True
    walk_word = "cycle"
    nodes = (6, 9, 12, 14, 16)
    step_help = (
        "go V: the first go picks the node the cycle starts from; after that, walk to V, an unvisited neighbour "
        "of the current node, or back to the start once every node is visited (this closes the cycle)\n"
        "back: take the last step back\n"
        "answer No: end the game claiming that the graph has no Hamiltonian cycle"
    )
    answer_help = ("the cycle as a list of node numbers in visiting order, starting anywhere, e.g. [a, b, c, ...] "
                   "(repeating the first node at the end is allowed); or No if there is no such cycle")

    def build(self, rng: np.random.Generator, n: int) -> graphs.GridGraph:
        graph = graphs.build_grid_graph(rng, n, P, 1.0, 0.7, GAMMA)
        leaf_repair_cycle(graph)
        balance_density(rng, graph)
        return graph

    # ---- words ---------------------------------------------------------------------------------------------
    def read_note(self, data: dict[str, Any]) -> str:
        return (f"An undirected graph with {data['n']} nodes and {len(data['edges'])} edges; find a cycle that visits "
                "every node exactly once. Every such cycle passes node 0, so backtrack from node 0, trying neighbours "
                "in ascending order, and cut a branch as soon as some unvisited node can no longer be entered and "
                "left, or reached at all.")

    def none_phrase(self, data: dict[str, Any]) -> str:
        return "the graph has no Hamiltonian cycle"

    def exists_phrase(self, data: dict[str, Any]) -> str:
        return "the graph does have a Hamiltonian cycle"

    def goal_line(self, data: dict[str, Any]) -> str:
        return "goal: a cycle through every node"

    def caption(self, data: dict[str, Any]) -> str:
        return f"Hamiltonian cycle through all {data['n']} nodes?"

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        d = puzzle.data
        ask = ("A Hamiltonian cycle moves along edges, visits every node exactly once, and then returns along an "
               "edge to the node it started from. Decide whether this graph has a Hamiltonian cycle. If it does, "
               "give one: its nodes in visiting order as a list of numbers in square brackets, starting from any "
               "node (you may repeat the first node at the end). If it has none, answer No.")
        if modality == "image":
            return ("The picture shows an undirected graph: circles are nodes and lines are edges (some lines bend "
                    f"around nodes they do not join).\n{ask}")
        return ("Here is an undirected graph as an adjacency list: the line `u: [v, w, ...]` lists every neighbour "
                "of node u (so each edge is listed under both of its nodes).\n"
                f"{graphs.adjacency_text(self.adjacency(d))}\n{ask}")
