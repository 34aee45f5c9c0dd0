"""The grid-puzzle kit: grid answers in many notations, cell commands, rule checks, global shape checks and
the GridTask base class (on two toy tasks that are not registered)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest

from helix_gym.core import draw, topology
from helix_gym.core.csp import Csp
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.grid import (
    AnswerError,
    Board,
    GridTask,
    bad_values,
    changed_givens,
    latin_csp,
    lines_text,
    list_text,
    parse_cells,
    parse_grid,
    random_latin_square,
    repeats,
    to_rows,
)
from helix_gym.core.task import Puzzle

GRID = [[1, 2, 3], [3, 1, 2], [2, 3, 1]]


# ---- reading grids ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "[[1, 2, 3], [3, 1, 2], [2, 3, 1]]",
    json.dumps(GRID),
    "((1, 2, 3), (3, 1, 2), (2, 3, 1))",
    "1 2 3\n3 1 2\n2 3 1",
    "123\n312\n231",
    "1,2,3,3,1,2,2,3,1",
    "Row 1: 1 2 3\nRow 2: 3 1 2\nRow 3: 2 3 1",
    "3x3 grid:\n1 2 3\n3 1 2\n2 3 1",
    "$\\begin{bmatrix}1 & 2 & 3 \\\\ 3 & 1 & 2 \\\\ 2 & 3 & 1\\end{bmatrix}$",
    "1.0 2.0 3.0 3.0 1.0 2.0 2.0 3.0 1.0",
    '"answer": [[1, 2, 3], [3, 1, 2], [2, 3, 1]]',
    "| 1 | 2 | 3 |\n| 3 | 1 | 2 |\n| 2 | 3 | 1 |",
    "1. [1, 2, 3]\n2. [3, 1, 2]\n3. [2, 3, 1]",
])
def test_parse_grid_notations(text):
    assert parse_grid(text, 3, 3) == GRID


def test_parse_grid_symbols_and_words():
    shaded = {"#": 1, "x": 1, ".": 0, "o": 0}
    assert parse_grid("#.#\n.#.\n#..", 3, 3, shaded) == [[1, 0, 1], [0, 1, 0], [1, 0, 0]]
    assert parse_grid("X . X\nx o x\n. . .", 3, 3, shaded) == [[1, 0, 1], [1, 0, 1], [0, 0, 0]]
    assert parse_grid("Here is the example grid:\nX.X\n.X.\n...", 3, 3, shaded)[0] == [1, 0, 1]
    binairo = {"null": -1, "_": -1}
    assert parse_grid("[[0, null], [_, 1]]", 2, 2, binairo) == [[0, -1], [-1, 1]]
    assert parse_grid("7.5 1 2 3", 2, 2) == [[7.5, 1], [2, 3]]  # kept as a float, for the rule check to reject


@pytest.mark.parametrize("text", ["", "1 2 3", "[[1,2],[3", "__import__('os').system('ls')", "9" * 30000,
                                  "[" * 500 + "]" * 500, "1e309 " * 9, "nan " * 9, "\x00\x01", None, 42])
def test_parse_grid_rejects_with_a_reason(text):
    with pytest.raises(AnswerError) as info:
        parse_grid(text, 3, 3)
    assert str(info.value)


def test_writing_grids():
    assert list_text(GRID) == "[[1, 2, 3], [3, 1, 2], [2, 3, 1]]" == str(GRID)
    assert lines_text(GRID) == "1 2 3\n3 1 2\n2 3 1"
    assert lines_text([[1, 0], [0, 1]], sep="", symbols={1: "X", 0: "."}) == "X.\n.X"
    assert to_rows([1, 2, 3, 4, 5, 6], 3) == [[1, 2, 3], [4, 5, 6]]


# ---- reading cell lists ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "{(0, 1), (2, 3)}", "[(0, 1), (2, 3)]", "[[0, 1], [2, 3]]", "((0,1),(2,3))", "(0,1) (2,3)", "0 1; 2 3",
    "0,1\n2,3", "row=0, col=1; row=2, col=3", "R0C1 R2C3", r"$\{(0, 1), (2, 3)\}$", "3x4: {(0, 1), (2, 3)}",
    "{(0.0, 1.0), (2, 3)}", "The 2 cells: {(0, 1), (2, 3)}", "Cells: [(0, 1), (2, 3)] (2 cells)",
])
def test_parse_cells_notations(text):
    assert parse_cells(text, 3, 4) == [1, 11]


def test_parse_cells_policies():
    assert parse_cells("[[1, 2], [3, 4]]", 3, 4, base=1) == [1, 11]  # 1-based
    assert parse_cells("[(1, 0), (3, 2)]", 3, 4, xy=True) == [1, 11]  # (x, y): column first
    assert parse_cells("[(1, 0), (3, 2), (1, 0)]", 3, 4, xy=True) == [1, 11, 1]  # a set written as a list
    for empty in ("{}", "[]", "()", "set()", "none", "None", "nothing", "no cells", "No tents", "[[]]"):
        assert parse_cells(empty, 3, 4) == [], empty
    with pytest.raises(AnswerError, match="no cell coordinates"):
        parse_cells(None, 3, 4)  # not a string: read as its text, here none


@pytest.mark.parametrize("text, kwargs, why", [
    ("{(0, 1)} then {(0, 1), (2, 3)}", {"what": "shaded cells"}, "the answer holds 2 separate sets; give one set of "
                                                                 "shaded cells"),
    ("[(0, 1), (2)]", {}, "found 3 numbers, which do not pair up into (row, column) coordinates"),
    ("[(0, 1), (2)]", {"xy": True}, "found 3 numbers, which do not pair up into (x, y) coordinates"),
    ("[(0.5, 1)]", {}, "coordinates must be whole numbers, got 0.5"),
    ("[(3, 0)]", {}, "the cell (3, 0) is outside the 3x4 grid (rows count 0 to 2, columns 0 to 3)"),
    ("[(0, 0)]", {"base": 1}, "the cell (0, 0) is outside the 3x4 grid (rows count 1 to 3, columns 1 to 4)"),
    ("[(0, 3)]", {"xy": True}, "the cell (0, 3) is outside the grid (x counts columns 0 to 3, y counts rows 0 to 2)"),
    ("[(0, 1), (0, 1)]", {"repeats": False}, "the cell (0, 1) is listed twice"),
    ("no idea", {"what": "tents", "item": "tent", "example": "[[row, column], ...]"},
     "no tent coordinates found; write the tents as [[row, column], ...]"),
    ("", {}, "no cell coordinates found; write the cells as [(row, column), ...]"),
    ("1 " * 20000, {}, "the answer is too long"),
    ("1e309", {}, "the cell (1, 309) is outside the 3x4 grid (rows count 0 to 2, columns 0 to 3)"),
])
def test_parse_cells_rejects_with_a_reason(text, kwargs, why):
    with pytest.raises(AnswerError) as info:
        parse_cells(text, 3, 4, **kwargs)
    assert str(info.value) == why


def test_parse_cells_square_grid_message_and_junk():
    with pytest.raises(AnswerError, match=r"outside the 4x4 grid \(rows and columns count 0 to 3\)"):
        parse_cells("{(4, 0)}", 4, 4)
    for junk in ["__import__('os')", "[" * 500 + "]" * 500, "\x00\x01", "nan nan", 42, None]:
        try:
            parse_cells(junk, 4, 4)
        except AnswerError as exc:
            assert str(exc)


# ---- commands --------------------------------------------------------------------------------------------
def value_board(base: int = 1) -> Board:
    start = [0, 2, 0, 0, 0, 0, 0, 0, 0]
    return Board(3, 3, start, verbs={"place": None, "erase": 0}, values=range(1, 4), base=base)


def shade_board() -> Board:
    return Board(2, 3, [0] * 6, verbs={"shade": 1, "unshade": 0, "keep": 2}, values=(0, 1), empty=None,
                 aliases={"black": "shade", "white": "unshade"}, value_names={1: "shaded", 0: "unshaded", 2: "kept"})


@pytest.mark.parametrize("move", ["place 1 1 3", "Place 1 1 3.", "1 1 3", "set 1,1,3", "put (1,1) 3",
                                  "place r1 c1 3", "r1c1=3", "write row 1 column 1 3", "`place 1 1 3`", "p 1 1 3"])
def test_command_spellings(move):
    b = value_board()
    assert b.apply(b.start, move)[0] == 3


def test_commands_zero_based_and_clearing():
    b = value_board(base=0)
    s = b.apply(b.start, "place 0 0 3")
    assert s[0] == 3 and b.apply(s, "erase 0 0") == b.start and b.apply(s, "clear 0, 0") == b.start
    assert b.apply(s, "place 0 0 1")[0] == 1  # overwriting an entry
    assert b.name(4) == "(1,1)" and value_board().name(4) == "(2,2)"


@pytest.mark.parametrize("move", ["place 1 2 3", "erase 1 1", "place 0 1 1", "place 1 4 1", "place 1 1 4",
                                  "place 1 1 0", "place 1 1", "erase 1", "place 1 1 1 1", "jump 1 1 1", "", "1 1",
                                  "place a b c", "__import__('os')", "place 1 1 x"])
def test_illegal_commands_raise(move):
    b = value_board()
    with pytest.raises(InvalidMove) as info:
        b.apply(b.start, move)
    assert info.value.reason


def test_illegal_command_messages():
    b = value_board()
    with pytest.raises(InvalidMove, match="given"):
        b.apply(b.start, "place 1 2 3")
    with pytest.raises(InvalidMove, match="already empty"):
        b.apply(b.start, "erase 1 1")
    with pytest.raises(InvalidMove, match="already holds 3"):
        b.apply(b.apply(b.start, "place 1 1 3"), "place 1 1 3")
    with pytest.raises(InvalidMove, match="1-3"):
        b.apply(b.start, "place 1 1 7")
    with pytest.raises(InvalidMove, match="rows 1-3"):
        b.apply(b.start, "place 4 1 1")


def test_shading_commands():
    b = shade_board()
    s = b.apply(b.start, "shade 1 2")
    assert s == (0, 1, 0, 0, 0, 0)
    assert b.apply(s, "unshade 1 2") == b.start and b.apply(s, "white 1 2") == b.start
    assert b.apply(b.start, "black 2 3")[5] == 1 and b.apply(b.start, "keep 2 3")[5] == 2
    with pytest.raises(InvalidMove, match="already shaded"):
        b.apply(s, "shade 1 2")
    with pytest.raises(InvalidMove):
        b.apply(b.start, "shade 1 2 1")  # shading takes no value
    assert b.open_cells(b.start) == 0
    assert b.command(1, 1) == "shade 1 2" and b.command(1, 0) == "unshade 1 2"
    assert b.move_space()[:2] == ["shade 1 1", "shade 1 2"] and len(b.move_space()) == 18


def test_move_space_and_canonical_commands():
    b = value_board()
    space = b.move_space()
    assert len(space) == 9 * 3 + 9 and len(set(space)) == len(space)
    assert space[0] == "place 1 1 1" and space[-1] == "erase 3 3"
    assert b.command(0, 3) == "place 1 1 3" and b.command(0, 0) == "erase 1 1"
    for move in space:
        try:
            b.apply(b.start, move)
        except InvalidMove:
            pass


def test_value_words():
    b = Board(1, 2, [0, 0], verbs={"place": None, "erase": 0}, values=(1, 2), value_words={"A1": 1, "B2": 2})
    assert b.apply(b.start, "place 1 2 B2") == (0, 2)
    assert b.command(1, 2) == "place 1 2 A1".replace("A1", "B2")
    assert b.spell(1) == "A1" and b.values_text() == "A1, B2"


def test_keys_and_clicks():
    b = value_board()
    assert b.key_command(b.start, 0, "3") == "place 1 1 3"
    assert b.key_command(b.start, 0, "[3]") == "place 1 1 3"
    assert b.key_command(b.start, 1, "3") is None  # a given
    assert b.key_command(b.start, 0, "backspace") is None  # nothing to erase
    assert b.key_command(b.apply(b.start, "place 1 1 3"), 0, "delete") == "erase 1 1"
    assert b.key_command(b.start, 0, "q") is None
    margin = (0.7, 0.3, 0.5, 1.0)
    canvas = draw.GridCanvas(4, 6, 400, margin=margin)
    for r, c in [(0, 0), (3, 5), (2, 1)]:
        x, y = canvas.center(r, c)
        assert draw.grid_cell_at(4, 6, x, y, 400, margin) == (r, c)
        x0, y0, x1, y1 = canvas.cell_box(r, c)
        assert draw.grid_cell_at(4, 6, x0, y0, 400, margin) == (r, c)
        assert draw.grid_cell_at(4, 6, x1 - 1, y1 - 1, 400, margin) == (r, c)
    assert draw.grid_cell_at(4, 6, 1, 1, 400, margin) is None
    assert draw.grid_geometry(4, 6, 400, margin) == (canvas.cell, canvas.x0, canvas.y0)


def test_clear_spellings_reach_the_verb_that_writes_the_start_value():
    b = shade_board()  # empty=None: every open cell starts unshaded, so clearing means unshade
    s = b.apply(b.start, "shade 1 2")
    for move in ("clear 1 2", "erase 1 2", "remove 1 2", "delete 1 2", "e 1 2", "unshade 1 2"):
        assert b.apply(s, move) == b.start, move
    assert b.blank == 0 and b.clear_verb == "unshade"
    assert b.key_command(s, 1, "delete") == "unshade 1 2" and b.key_command(b.start, 1, "delete") is None
    mixed = Board(1, 2, [0, 1], verbs={"shade": 1, "unshade": 0}, values=(0, 1), empty=None)
    assert mixed.blank is None and mixed.clear_verb is None  # no one start value: clear has no meaning
    with pytest.raises(InvalidMove, match="unknown command"):
        mixed.apply(mixed.start, "clear 1 1")
    trees = Board(1, 3, [3, 0, 0], verbs={"tent": 1, "remove": 0}, values=(0, 1), empty=None,
                  fixed=[True, False, False], fixed_reason="holds a tree")
    assert trees.blank == 0 and trees.apply(trees.apply(trees.start, "tent 1 2"), "clear 1 2") == trees.start
    with pytest.raises(InvalidMove, match=r"^cell \(1,1\) holds a tree$"):
        trees.apply(trees.start, "tent 1 1")
    with pytest.raises(InvalidMove, match="already empty"):  # an explicit empty value still wins
        value_board().apply(value_board().start, "clear 1 1")


def xy_board() -> Board:
    return Board(2, 3, [0] * 6, verbs={"fill": 1, "empty": 0}, actions=("level", "drain"), values=(0, 1), base=0,
                 xy=True, empty=None, aliases={"flood": "level"}, value_names={0: "air", 1: "water"},
                 keys={"space": 1, "a": 0, "l": "level"})


def test_xy_boards_and_actions():
    b = xy_board()
    assert b.apply(b.start, "fill 2 1") == (0, 0, 0, 0, 0, 1)  # x = column 2, y = row 1
    for move in ("fill x=2 y=1", "FILL (2, 1)", "fill 2,1"):
        assert b.apply(b.start, move)[5] == 1, move
    assert b.name(5) == "(2, 1)" and b.command(5, 1) == "fill 2 1" and b.coordinates(5) == "2 1"
    assert b.move_space()[:4] == ["fill 0 0", "fill 1 0", "fill 2 0", "fill 0 1"]
    assert len(b.move_space()) == 4 * 6 and b.move_space()[-1] == "drain 2 1"
    assert b.parse("level 1 0") == ("level", 1, None) and b.parse("flood 1 1") == ("level", 4, None)
    assert b.parse("clear 1 1") == ("empty", 4, 0)
    with pytest.raises(InvalidMove, match="not a single-cell command"):
        b.apply(b.start, "drain 0 0")  # the task performs actions
    with pytest.raises(InvalidMove, match=r"x in 0-2 and y in 0-1, got \(0, 2\)"):
        b.apply(b.start, "fill 0 2")
    with pytest.raises(InvalidMove, match="`fill X Y` or `empty X Y` or `level X Y` or `drain X Y`"):
        b.apply(b.start, "pour 0 0")
    for bad in ("fill r1c2", "level 1", "drain 1 1 1"):
        with pytest.raises(InvalidMove):
            b.parse(bad)
    with pytest.raises(InvalidMove, match=r"cell \(2, 1\) is already water"):
        b.put(b.apply(b.start, "fill 2 1"), 5, 1)


def test_key_bindings_toggle_clear_and_act():
    b = xy_board()
    s = b.start
    assert b.key_command(s, 5, "space") == "fill 2 1"  # a bound value writes it...
    wet = b.apply(s, "fill 2 1")
    assert b.key_command(wet, 5, "space") == "empty 2 1"  # ...or takes it back (a toggle)
    assert b.key_command(wet, 5, "a") == "empty 2 1" and b.key_command(s, 5, "a") is None  # bound to the blank
    assert b.key_command(s, 5, "l") == "level 2 1"  # bound to an action
    assert b.key_command(wet, 5, "backspace") == "empty 2 1" and b.key_command(s, 5, "q") is None
    hitori = Board(1, 2, [0, 0], verbs={"shade": 1, "unshade": 0, "keep": 2}, values=(0, 1, 2), base=0, empty=None,
                   keys={"s": 1, "1": 1, "k": 2})
    assert hitori.key_command((2, 0), 0, "s") == "shade 0 0" and hitori.key_command((2, 0), 0, "k") == "unshade 0 0"
    assert hitori.key_command((0, 0), 1, "[1]") == "shade 0 1"  # keypad names are read as their key


# ---- rule checks -----------------------------------------------------------------------------------------
def test_rule_check_helpers():
    b = value_board()
    assert bad_values(b, [1, 2, 3, 3, 1, 2, 2, 3, 1]) == []
    assert bad_values(b, [9, 2, 3, 3, 1.5, 2, 2, 3, 1]) == ["cell (1,1) holds 9; only 1-3 allowed",
                                                           "cell (2,2) holds 1.5; only 1-3 allowed"]
    assert changed_givens(b, [1, 3, 2, 0, 0, 0, 0, 0, 0]) == ["given at (1,2) changed from 2 to 3"]
    assert repeats([1, 1, 0, 0, 0, 0, 1, 0, 0], b.lines()) == ["row 1 repeats 1", "column 1 repeats 1"]
    assert repeats([0] * 9, b.lines()) == []


def test_latin_helpers():
    for seed in range(3):
        sq = random_latin_square(5, np.random.default_rng(seed))
        rows = to_rows(list(sq), 5)
        assert all(sorted(r) == [1, 2, 3, 4, 5] for r in rows)
        assert all(sorted(c) == [1, 2, 3, 4, 5] for c in zip(*rows))
    assert random_latin_square(4, np.random.default_rng(1)) == random_latin_square(4, np.random.default_rng(1))
    assert latin_csp(value_board()).count_solutions(20) == 4  # the 12 Latin squares of order 3, (0,1) = 2


# ---- global shape checks ---------------------------------------------------------------------------------
def test_connectivity():
    # 3x3: cells 0,1,2 (top row) and 8 (corner) -> two groups
    assert topology.components([0, 1, 2, 8], 3, 3) == [[0, 1, 2], [8]]
    assert not topology.is_connected([0, 1, 2, 8], 3, 3)
    assert topology.is_connected([0, 1, 2, 5, 8], 3, 3) and topology.is_connected([], 3, 3)
    assert topology.connectivity_violations([0, 1, 2, 5, 8], 3, 3) == []
    msg = topology.connectivity_violations([0, 1, 2, 8], 3, 3, "unshaded cells", base=1)
    assert msg == ["the unshaded cells are split into 2 separate groups (one of them is (3,3))"]
    assert topology.can_connect([0, 8], [1, 2, 5], 3, 3) and not topology.can_connect([0, 8], [1, 2], 3, 3)
    assert topology.neighbours(2, 2) == ((1, 2), (0, 3), (0, 3), (1, 2))


def test_cells_around():
    ring = topology.around(3, 4)
    assert ring[0] == (1, 4, 5) and ring[5] == (0, 1, 2, 4, 6, 8, 9, 10) and ring[11] == (6, 7, 10)
    assert all(i not in ring[i] and all(i in ring[j] for j in ring[i]) for i in range(12))
    assert topology.around(1, 1) == ((),)


def test_blocks_and_touching():
    cells = [0, 1, 3, 4, 8]  # 3x3: the top-left 2x2 block and a corner
    assert topology.blocks_2x2(cells, 3, 3) == [0]
    assert topology.block_violations(cells, 3, 3, "shaded cells") == [
        "the shaded cells fill the 2x2 block at (0,0)-(1,1)"]
    assert topology.blocks_2x2([0, 1, 3, 5], 3, 3) == []
    assert topology.touching_pairs([0, 4, 8], 3, 3) == []
    assert topology.touching_pairs([0, 1, 5, 8], 3, 3) == [(0, 1), (5, 8)]
    assert topology.touching_violations([0, 1], 3, 3, "shaded cells", base=1) == [
        "the shaded cells (1,1) and (1,2) share an edge"]


def _ring(points: Sequence[tuple[int, int]], cols: int) -> list[tuple[int, int]]:
    idx = [r * cols + c for r, c in points]
    return [(idx[k], idx[(k + 1) % len(idx)]) for k in range(len(idx))]


def test_single_loop():
    cols = 3  # a 3x3 lattice of points
    square = _ring([(0, 0), (0, 1), (1, 1), (1, 0)], cols)
    assert topology.loop_violations(square, 3, 3) == []
    assert topology.loop_order(square) == [0, 1, 4, 3]
    big = _ring([(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)], cols)
    assert topology.loop_violations(big, 3, 3) == [] and len(topology.loop_order(big)) == 8
    # two loops
    cols4 = 4
    two = _ring([(0, 0), (0, 1), (1, 1), (1, 0)], cols4) + _ring([(2, 2), (2, 3), (3, 3), (3, 2)], cols4)
    assert any("2 separate pieces" in v for v in topology.loop_violations(two, 4, 4))
    assert topology.loop_order(two) is None
    # a dead end and a branch
    path = [(0, 1), (1, 2)]
    assert any("dead end" in v for v in topology.loop_violations(path, 3, 3))
    branch = [*square, (1, 2)]
    assert any("branch" in v for v in topology.loop_violations(branch, 3, 3))
    # not neighbours, off the grid, twice, nothing
    assert any("neighbouring" in v for v in topology.loop_violations([*square, (0, 8)], 3, 3))
    assert any("leaves" in v for v in topology.loop_violations([*square, (8, 9)], 3, 3))
    assert any("twice" in v for v in topology.loop_violations([*square, (1, 0)], 3, 3))
    assert topology.loop_violations([], 3, 3) == ["there is no line at all"]


def test_network():
    islands = ["A", "B", "C", "D"]
    assert topology.network_violations(islands, [("A", "B"), ("B", "C"), ("C", "D")]) == []
    msg = topology.network_violations(islands, [("A", "B"), ("C", "D")])
    assert msg == ["the islands are split into 2 separate groups (one of them is A, B)"]
    assert topology.graph_components(islands, [("A", "B")]) == [["A", "B"], ["C"], ["D"]]


# ---- GridTask on toy tasks -------------------------------------------------------------------------------
class LatinToy(GridTask):
    """A 3x3 Latin square with givens (0-based place/erase), to exercise the base class."""

    name = "LatinToy"
    key = "latin_toy"
    category = "puzzles"
    score_function = "none"

    def make_board(self, puzzle: Puzzle) -> Board:
        return Board(3, 3, [v for row in puzzle.data["givens"] for v in row], verbs={"place": None, "erase": 0},
                     values=range(1, 4), base=0)

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        return (bad_values(b, grid) if complete else []) + changed_givens(b, grid) + repeats(grid, b.lines())

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return list_text(to_rows(list(grid), 3))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return lines_text(to_rows([v or "." for v in grid], 3))

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        return self.build_csp(puzzle).solve()

    def build_csp(self, puzzle: Puzzle) -> Csp:
        return latin_csp(self.board(puzzle))


class ShadeToy(GridTask):
    """Shade exactly one cell per row and column of a 3x3 grid, never a cell marked 0 in `forbid`."""

    name = "ShadeToy"
    key = "shade_toy"
    category = "puzzles"
    score_function = "none"
    answer_symbols: ClassVar[Mapping[str, int]] = {"#": 1, ".": 0}

    def make_board(self, puzzle: Puzzle) -> Board:
        return Board(3, 3, [0] * 9, verbs={"shade": 1, "unshade": 0}, values=(0, 1), empty=None,
                     value_names={0: "unshaded", 1: "shaded"})

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        b = self.board(puzzle)
        out = bad_values(b, grid, (0, 1)) if complete else []
        for name, cells in b.lines():
            k = sum(1 for i in cells if grid[i] == 1)
            if k > 1 or (complete and k != 1):
                out.append(f"{name} has {k} shaded cells")
        out += [f"cell {b.name(i)} may not be shaded" for i in puzzle.data["forbid"] if grid[i] == 1]
        return out

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return lines_text(to_rows(list(grid), 3), sep="", symbols={0: ".", 1: "#"})

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        return self.write_answer(puzzle, grid)

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        return self.build_csp(puzzle).solve()

    def build_csp(self, puzzle: Puzzle) -> Csp:
        csp = Csp.uniform(9, (0, 1))
        for name, cells in self.board(puzzle).lines():
            csp.count(cells, 1, 1, f"{name} has one shaded cell")
        for i in puzzle.data["forbid"]:
            csp.assign(i, 0)
        return csp


LATIN = LatinToy()
SHADE = ShadeToy()


def latin_puzzle() -> Puzzle:
    return LATIN.puzzle(1, {"givens": [[1, 0, 0], [0, 0, 0], [0, 0, 2]]})


def test_grid_task_judges_by_the_rules():
    p = latin_puzzle()
    answer = LATIN.solve(p)
    assert LATIN.verify(p, answer).correct
    loose = LATIN.puzzle(1, {"givens": [[1, 0, 0], [0, 0, 0], [0, 0, 0]]})
    every = LATIN.build_csp(loose).solutions(10)
    assert len(every) == 4 and all(LATIN.verify(loose, lines_text(to_rows(list(s), 3))).correct for s in every)
    bad = LATIN.verify(p, "2 3 1\n3 1 2\n1 2 3")
    assert not bad.correct and "given at (0,0) changed from 1 to 2" in bad.violations
    assert not LATIN.verify(p, "1 2").correct
    assert LATIN.verify(p, "__import__('os')").violations


def test_grid_task_step_mode():
    p = latin_puzzle()
    state = LATIN.initial_state(p)
    assert LATIN.state_text(p, state) == "1 . .\n. . .\n. . 2"
    with pytest.raises(InvalidMove):
        LATIN.state_answer(p, state)
    moves = LATIN.solve_moves(p)
    assert len(moves) == 7 and all(m.startswith("place ") for m in moves)
    for m in moves:
        assert not LATIN.is_solved(p, state)
        state = LATIN.apply(p, state, m)
    assert LATIN.is_solved(p, state) and LATIN.verify(p, LATIN.state_answer(p, state)).correct
    clash = LATIN.apply(p, LATIN.initial_state(p), "place 0 1 1")
    assert LATIN.conflicts(p, clash) == ["row 0 repeats 1"]
    assert LATIN.step_budget(p) == 3 * 7 + 20
    assert LATIN.cell_command(p, LATIN.initial_state(p), (0, 1), "3") == "place 0 1 3"
    assert LATIN.cell_command(p, LATIN.initial_state(p), (0, 0), "3") is None
    assert LATIN.cell_command(p, LATIN.initial_state(p), (5, 5), "3") is None
    rnd = LATIN.random_answer(p, np.random.default_rng(0))
    assert len(parse_grid(rnd, 3, 3)) == 3


def test_grid_task_trace():
    p = latin_puzzle()
    events = LATIN.solve_trace(p)
    assert events[0].kind == "read" and events[-1].kind == "answer" and events[-2].kind == "check"
    assert LATIN.verify(p, events[-1].move).correct
    for e in events:
        if e.kind in ("deduce", "try"):
            assert e.move.startswith("place ") and len(e.state_text.splitlines()) == 3


def test_grid_task_with_shading():
    p = SHADE.puzzle(1, {"forbid": [0, 4]})
    answer = SHADE.solve(p)
    assert SHADE.verify(p, answer).correct
    assert SHADE.verify(p, "[[0, 1, 0], [1, 0, 0], [0, 0, 1]]").correct  # another solution, another notation
    assert SHADE.verify(p, ". # .\n# . .\n. . #").correct
    wrong = SHADE.verify(p, "#..\n.#.\n..#")
    assert not wrong.correct and "cell (1,1) may not be shaded" in wrong.violations
    moves = SHADE.solve_moves(p)
    assert len(moves) == 3 and all(m.startswith("shade ") for m in moves)
    state = SHADE.initial_state(p)
    assert not SHADE.is_solved(p, state) and SHADE.state_answer(p, state) == "...\n...\n..."
    for m in moves:
        state = SHADE.apply(p, state, m)
    assert SHADE.is_solved(p, state)
    assert SHADE.board(p) is SHADE.board(p)  # built once per puzzle
    events = SHADE.solve_trace(p)
    assert SHADE.verify(p, events[-1].move).correct
    shaded = [e for e in events if e.kind in ("deduce", "try") and "shaded" in e.note]
    assert shaded and all(e.move is None or e.move.startswith("shade ") for e in shaded)


class StoredLatin(LatinToy):
    """LatinToy with the base class's defaults: the answer is a list of rows, the solution is stored."""

    write_answer = GridTask.write_answer
    solution = GridTask.solution


STORED = StoredLatin()
LOOSE = {"givens": [[1, 0, 0], [0, 0, 0], [0, 0, 0]]}  # 4 solutions


def test_default_solution_and_answer():
    p = STORED.puzzle(1, {**LOOSE, "solution": [[1, 3, 2], [2, 1, 3], [3, 2, 1]]})
    assert STORED.solution(p) == (1, 3, 2, 2, 1, 3, 3, 2, 1)
    assert STORED.solve(p) == "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]" and STORED.verify(p, STORED.solve(p)).correct


def test_record_solution_takes_the_first_valid_candidate_else_the_solver():
    p = STORED.puzzle(1, LOOSE)
    other = "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]"
    first = STORED.build_csp(p).solve()
    assert STORED.record_solution(p, None, "nonsense", other) == (1, 3, 2, 2, 1, 3, 3, 2, 1)
    assert STORED.record_solution(p, [[1, 3, 2], [2, 1, 3], [3, 2, 1]]) == (1, 3, 2, 2, 1, 3, 3, 2, 1)  # JSON
    assert STORED.record_solution(p, "[[2, 3, 1], [3, 1, 2], [1, 2, 3]]") == first  # breaks the given: solver
    assert STORED.record_solution(p, {1, 2}, object()) == first  # unreadable values do not count either
    stuck = STORED.puzzle(1, {"givens": [[1, 1, 0], [0, 0, 0], [0, 0, 0]]})
    with pytest.raises(RecordError, match="LatinToy: the puzzle has no solution"):
        STORED.record_solution(stuck, "[[1, 1, 2], [2, 3, 1], [3, 2, 1]]")


def test_record_solution_reads_the_solvers_values_as_an_answer():
    p = SHADE.puzzle(1, {"forbid": [0, 4]})
    assert SHADE.record_solution(p) == SHADE.read_answer(p, SHADE.solve(p))


def test_record_puzzle():
    record = {"answer": "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]", "difficulty": "2", "seed": "7"}
    p = STORED.record_puzzle(record, dict(LOOSE), record["answer"])
    assert p == STORED.puzzle(2, {**LOOSE, "solution": [[1, 3, 2], [2, 1, 3], [3, 2, 1]]}) and p.seed == 7
    no_answer = STORED.record_puzzle({}, dict(LOOSE))
    assert no_answer.seed is None and STORED.verify(no_answer, STORED.solve(no_answer)).correct
