"""Human play shared by the graph tasks whose step mode is a walk (`go V`) on the MM-HELIX node grid."""

from __future__ import annotations

from typing import Any

from helix_gym.core.graph_draw import GraphPicture
from helix_gym.core.task import Puzzle, State, Task


class WalkClicks(Task):
    """A click selects the node under it (as a (row, column) cell of the node grid); any key then walks there.

    Subclasses say how their picture is laid out through `picture`."""

    def picture(self, data: dict[str, Any], size: int) -> GraphPicture:
        raise NotImplementedError

    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        node = self.picture(puzzle.data, size).node_at(x, y)
        return None if node is None else divmod(node, puzzle.data["columns"])

    def cell_command(self, puzzle: Puzzle, state: State, cell: tuple[int, int], key: str) -> str | None:
        node = cell[0] * puzzle.data["columns"] + cell[1]
        return f"go {node}" if node < puzzle.data["n"] else None
