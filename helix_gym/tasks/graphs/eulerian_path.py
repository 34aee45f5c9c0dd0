"""Eulerian Path (MM-HELIX `eulerian_path`, spec G7): a walk that uses every edge of the graph exactly once.

It exists iff the edges are connected and 0 or 2 nodes have odd degree; otherwise the answer is `No`. The
graph, solver, verifier, pictures and step mode are shared with EulerianCycle (see `_eulerian`).
"""

from __future__ import annotations

from helix_gym.core.registry import register_task
from helix_gym.tasks.graphs._eulerian import EulerianTask

# level -> (nodes, edge probability p): grids of 3 columns up to 9 nodes, 4 above
LADDER = {1: (6, 0.25), 2: (8, 0.25), 3: (10, 0.15), 4: (12, 0.2), 5: (16, 0.2)}


@register_task
class EulerianPath(EulerianTask):
    """Find a walk along every edge exactly once, starting and ending anywhere, or answer No.

    Step grammar: `go V` (the first one picks the start node; each later one crosses the unused edge from the
    current node to V), `back` (undo the last step), `no` (declare that no Eulerian path exists; then
    `submit`), `submit` (judge the walk so far). Using every edge ends the episode solved."""

    name = "EulerianPath"
    key = "eulerian_path"
    score_function = "eulerian_path_evaluator"
    closed = False
    noun = "path"
    ladder = LADDER
    step_help = (
        "go V: the first go picks the start node V; after that, walk from the current node to V along an "
        "unused edge\n"
        "back: undo the last step of the walk\n"
        "no: declare that the graph has no Eulerian path (then submit)\n"
        "(using every edge ends the game; submit judges the walk so far)"
    )
    answer_help = "the nodes of a walk that uses every edge exactly once, as a list such as [0, 1, 2, 0], or No"
