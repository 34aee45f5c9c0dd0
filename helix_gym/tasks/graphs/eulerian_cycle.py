"""Eulerian Cycle (MM-HELIX `eulerian_cycle`, spec G8): a closed walk that uses every edge exactly once.

It exists iff the edges are connected and every degree is even; otherwise the answer is `No`. The graph,
solver, verifier, pictures and step mode are shared with EulerianPath (see `_eulerian`); the generator repairs
degree parity instead of redrawing graphs (the official one needs about 8,400 draws per level-5 instance).
"""

from __future__ import annotations

from helix_gym.core.registry import register_task
from helix_gym.tasks.graphs._eulerian import EulerianTask

# level -> (nodes, edge probability p): grids of 3 columns for 8 nodes, 4 above
LADDER = {1: (8, 0.2), 2: (10, 0.2), 3: (12, 0.2), 4: (14, 0.2), 5: (16, 0.2)}


@register_task
class EulerianCycle(EulerianTask):
    """Find a closed walk along every edge exactly once, or answer No.

    Step grammar: `go V` (the first one picks the start node; each later one crosses the unused edge from the
    current node to V), `back` (undo the last step), `no` (declare that no Eulerian cycle exists; then
    `submit`), `submit` (judge the walk so far). Using every edge and standing on the start node again ends the
    episode solved."""

    name = "EulerianCycle"
    key = "eulerian_cycle"
    score_function = "eulerian_cycle_evaluator"
    closed = True
    noun = "cycle"
    ladder = LADDER
    step_help = (
        "go V: the first go picks the start node V; after that, walk from the current node to V along an "
        "unused edge\n"
        "back: undo the last step of the walk\n"
        "no: declare that the graph has no Eulerian cycle (then submit)\n"
        "(using every edge and returning to the start ends the game; submit judges the walk so far)"
    )
    answer_help = ("the nodes of a closed walk that uses every edge exactly once, ending at its start, as a list "
                   "such as [0, 1, 2, 0], or No")
