"""The shared kit of grid puzzles (cells to fill or shade): board geometry and givens, the cell-command grammar
of step mode, lenient readers of grid answers and of cell lists (Hitori's shaded cells, Campsite's tents), the
official grid notations, common rule checks, and `GridTask`, a Task base class that does step mode, judging,
solving, tracing and loading records from a few task hooks.

A position is a plain tuple of cell values in row-major order (cheap to compare, hash and keep on the env's
undo stack); the `Board` of a puzzle knows its shape, its starting values, which cells are fixed, and the
command words. Values are small ints; what they mean (a digit, shaded, a mark) is the task's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from helix_gym.core import draw
from helix_gym.core.csp import Csp, QuickChecks
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

SET_WORDS = ("place", "set", "put", "write", "enter", "fill", "p")  # spellings of the value-writing verb
CLEAR_WORDS = ("erase", "clear", "delete", "remove", "unset", "empty", "e")  # spellings of the emptying verb
ERASE_KEYS = frozenset({"backspace", "delete", "space", "0", "[0]", "period", "."})
MAX_ANSWER_CHARS = 20000

_HEAD = re.compile(r"^([a-z][a-z_]*)(?![a-z0-9])\s*(.*)$")
_RC_PREFIX = re.compile(r"(?<![a-z])[rc](?=\d)")
_FILLER = re.compile(r"\b(?:row|rows|col|cols|column|columns|cell|at|in)\b")
_XY_FILLER = re.compile(r"\b[xy]\b")  # `fill x=1 y=2` on an (x, y) board
_ARG_SPLIT = re.compile(r"[\s,;:()\[\]{}=]+")
_ROW_LABEL = re.compile(r"(?i)\b(?:row|r)\s*\d+\s*[:=)\]\-]")
_SIZE = re.compile(r"\b(\d+)\s*[x×*]\s*(\d+)\b")
_CHUNK_SPLIT = re.compile(r"[\s,;|\[\](){}\"'`&\\]+")  # LaTeX matrices: `&` and `\\` separate too
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_INT = re.compile(r"-?\d+")
_COORD = re.compile(r"-?\d+(?:\.\d+)?")
_SET = re.compile(r"\{([^{}]*)\}")  # the contents of one {...} group
_NO_CELLS = re.compile(r"^[\s{}\[\]()]*$|^\s*(?:set\(\)|none|empty|nothing|no (?:cells?|tents?|water(?: cells?)?))\s*$",
                       re.I)


class AnswerError(ValueError):
    """An answer that cannot be read as a grid; the message says why (it goes into Verdict.violations)."""


# ---- reading and writing grids ---------------------------------------------------------------------------
def parse_grid(text: Any, rows: int, cols: int, symbols: Mapping[str, int] | None = None,
               numbers: bool = True) -> list[list[Any]]:
    """A rows x cols grid written in any common notation: nested lists (JSON or Python), rows of numbers or
    symbols separated by spaces, commas or `|`, rows of adjacent single characters (`1234`, `X.X.`), `Row k:`
    labels, a `7x7` size prefix, LaTeX wrappers. Prose words are skipped.

    `symbols` maps cell spellings to values (case-insensitive): `{"#": 1, "x": 1, ".": 0}`; a whole-word
    symbol (`"null"`) works too. Numbers are read as ints (`7.0` -> 7; `7.5` stays a float for the rule check
    to reject) unless `numbers` is False. Raises AnswerError when the cell count does not fit."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError("the answer is too long")
    text = _ROW_LABEL.sub(" ", clean_latex(text))
    text = _SIZE.sub(lambda m: " " if (int(m[1]), int(m[2])) == (rows, cols) else m[0], text)
    sym = {str(k).lower(): v for k, v in (symbols or {}).items()}
    chars = {k for k in sym if len(k) == 1}
    whole: list[Any] = []  # each number one cell
    split: list[Any] = []  # runs of digits split into single digits
    for chunk in _CHUNK_SPLIT.split(text):
        low = chunk.lower()
        if not low:
            continue
        if low in sym:
            whole.append(sym[low])
            split.append(sym[low])
        elif numbers and _NUMBER.fullmatch(low):
            f = float(low)
            whole.append(int(f) if f.is_integer() and abs(f) < 1e15 else f)
            if low.isdigit():
                split.extend(sym.get(ch, int(ch)) for ch in low)
            else:
                split.append(whole[-1])
        elif all(ch in chars or (numbers and ch.isdigit()) for ch in low):
            run = [sym[ch] if ch in chars else int(ch) for ch in low]
            whole.extend(run)
            split.extend(run)
        # anything else is prose ("answer", "grid:") and is skipped
    need = rows * cols
    for cells in (whole, split):
        if len(cells) == need:
            return [cells[r * cols:(r + 1) * cols] for r in range(rows)]
    raise AnswerError(f"expected {need} cells ({rows} rows of {cols}), found {len(whole)}")


def parse_cells(text: Any, rows: int, cols: int, base: int = 0, *, xy: bool = False, repeats: bool = True,
                what: str = "cells", item: str = "cell", example: str | None = None) -> list[int]:
    """The cells (row-major indices) of an answer that lists grid cells as coordinate pairs, in any common
    notation: `{(0, 1), (2, 3)}`, lists of lists or tuples, `0 1; 2 3`, `row=0, col=1`, `R1C2`, LaTeX, a `7x7`
    size prefix. Pairs are (row, column), or (x, y) = (column, row) with `xy`, counted from `base`.

    The numbers inside a `{...}` set (else from the first `[` to the last `]`, else from the first `(` to the
    last `)`, else all of them) are read in pairs, so a word or count before the list does not count; an
    explicit empty list (`{}`, `[]`, `set()`, `none`, `no cells`) is no cells. `repeats` says whether a cell may
    be listed twice. Raises AnswerError, with the reason, on several sets (a draft and a final answer), an odd
    count, fractions, a cell off the grid or a repeat that is not allowed; `what`, `item` and `example` name
    the expected list in those messages (`shaded cells`, `cell`, `{(row, column), ...}`)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError("the answer is too long")
    text = _SIZE.sub(lambda m: " " if (int(m[1]), int(m[2])) == (rows, cols) else m[0], clean_latex(text))
    sets = _SET.findall(text)
    if len(sets) > 1:
        raise AnswerError(f"the answer holds {len(sets)} separate sets; give one set of {what}")
    body = sets[0] if sets else _span(text, "[", "]") or _span(text, "(", ")") or text
    tokens = _COORD.findall(body)
    pair = "(x, y)" if xy else "(row, column)"
    if not tokens:
        if sets or (text.strip() and _NO_CELLS.match(text)):
            return []
        raise AnswerError(f"no {item} coordinates found; write the {what} as {example or f'[{pair}, ...]'}")
    values = []
    for t in tokens:
        f = float(t) if len(t) < 12 else float("inf")
        if not f.is_integer():
            raise AnswerError(f"coordinates must be whole numbers, got {t[:12]}")
        values.append(int(f))
    if len(values) % 2:
        raise AnswerError(f"found {len(values)} numbers, which do not pair up into {pair} coordinates")
    cells: list[int] = []
    seen: set[int] = set()
    for a, b in zip(values[::2], values[1::2]):
        r, c = (b - base, a - base) if xy else (a - base, b - base)
        if not (0 <= r < rows and 0 <= c < cols):
            raise AnswerError(f"the cell ({a}, {b}) is outside the {_extent(rows, cols, base, xy)}")
        i = r * cols + c
        if i in seen and not repeats:
            raise AnswerError(f"the cell ({a}, {b}) is listed twice")
        seen.add(i)
        cells.append(i)
    return cells


def _span(text: str, opening: str, closing: str) -> str:
    """The text from the first `opening` to the last `closing` bracket, both included ('' when absent)."""
    a, b = text.find(opening), text.rfind(closing)
    return text[a:b + 1] if 0 <= a < b else ""


def _extent(rows: int, cols: int, base: int, xy: bool) -> str:
    """The grid and how its coordinates count, for an off-grid message."""
    if xy:
        return (f"grid (x counts columns {base} to {cols - 1 + base}, y counts rows {base} to "
                f"{rows - 1 + base})")
    if rows == cols:
        return f"{rows}x{cols} grid (rows and columns count {base} to {rows - 1 + base})"
    return f"{rows}x{cols} grid (rows count {base} to {rows - 1 + base}, columns {base} to {cols - 1 + base})"


def to_rows(flat: Sequence[Any], cols: int) -> list[list[Any]]:
    """A flat row-major sequence as a list of row lists."""
    return [list(flat[k:k + cols]) for k in range(0, len(flat), cols)]


def list_text(grid: Sequence[Sequence[Any]]) -> str:
    """A grid as a Python/JSON list literal: `[[1, 2], [3, 4]]` (the official list answers)."""
    return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in grid) + "]"


def lines_text(grid: Sequence[Sequence[Any]], sep: str = " ", symbols: Mapping[Any, str] | None = None) -> str:
    """A grid as one line per row, cells joined by `sep`, values spelled through `symbols` where given
    (`{0: ".", 1: "X"}`): the official `0 1 0 1` and `X..X` notations."""
    spell = symbols or {}
    return "\n".join(sep.join(spell.get(v, str(v)) for v in row) for row in grid)


# ---- the board and its commands -------------------------------------------------------------------------
class Board:
    """One puzzle's grid: shape, starting values, fixed cells and the step-mode command grammar.

    `verbs` maps each canonical command word to the value it writes, or to None for the verb that takes a
    value (`{"place": None, "erase": 0}`, `{"shade": 1, "unshade": 0}`). Common spellings (set/put/write,
    clear/delete...) resolve to the value verb and to the verb that writes the blank (`empty`, or where `empty`
    is None the one starting value of the open cells: Hitori's unshade); `aliases` adds others. A command
    without a verb (`R C V` or `r2c3=5`) uses `default_verb` (by default the value verb). `actions` are further
    cell commands that write no single value (Aquarium's `level X Y`): `parse` returns them with value None
    and the task performs them. Coordinates in commands and messages are `base`-based (1 or 0, as the task's
    official answer format counts), row first, or column first with `xy` (Aquarium's official (x, y));
    internally 0-based. `empty` is the value of an unfilled cell (None where every position is a complete
    answer, as in shading puzzles). `fixed_reason` ends the message for a command on a fixed cell. `keys` binds
    keys for human play: a key bound to a value writes it, or the blank back where the cell holds it already (a
    toggle; a key bound to the blank clears), a key bound to an action word performs it on the cell. `margin`
    is the picture's GridCanvas margin, for mapping clicks to cells."""

    __slots__ = ("_allowed", "_spell", "_spelling", "actions", "base", "blank", "clear_verb", "cols", "default_verb",
                 "empty", "fixed", "fixed_reason", "keys", "margin", "rows", "start", "value_names", "value_verb",
                 "value_words", "values", "verbs", "xy")

    def __init__(self, rows: int, cols: int, start: Sequence[int], *, verbs: Mapping[str, int | None],
                 values: Iterable[int], base: int = 1, fixed: Sequence[bool] | None = None, empty: int | None = 0,
                 aliases: Mapping[str, str] | None = None, value_words: Mapping[str, int] | None = None,
                 value_names: Mapping[int, str] | None = None, default_verb: str | None = None,
                 actions: Iterable[str] = (), xy: bool = False, keys: Mapping[str, int | str] | None = None,
                 fixed_reason: str = "is a given and cannot change",
                 margin: Sequence[float] = (0.5, 0.5, 0.5, 0.5)) -> None:
        self.rows, self.cols, self.base, self.empty, self.xy = rows, cols, base, empty, xy
        self.start = tuple(start)
        if len(self.start) != rows * cols:
            raise ValueError(f"start has {len(self.start)} cells, expected {rows * cols}")
        if fixed is None:  # by default the filled cells are the givens (none where there is no empty value)
            fixed = [empty is not None and v != empty for v in self.start]
        self.fixed = tuple(bool(f) for f in fixed)
        self.fixed_reason = fixed_reason
        self.values = tuple(values)
        self._allowed = frozenset(self.values)
        self.verbs = dict(verbs)
        self.actions = tuple(actions)
        self.blank = empty if empty is not None else self._open_start()
        takers = [v for v, val in self.verbs.items() if val is None]
        clearers = [v for v, val in self.verbs.items() if val is not None and val == self.blank]
        self.value_verb = takers[0] if takers else None
        self.clear_verb = clearers[0] if clearers else None
        self.default_verb = default_verb or self.value_verb
        spell: dict[str, str] = {}
        if len(takers) == 1:
            spell.update(dict.fromkeys(SET_WORDS, takers[0]))
        if len(clearers) == 1:
            spell.update(dict.fromkeys(CLEAR_WORDS, clearers[0]))
        spell.update({k.lower(): v for k, v in (aliases or {}).items()})
        spell.update({v: v for v in (*self.verbs, *self.actions)})
        self._spell = spell
        self.value_words = {k.lower(): v for k, v in (value_words or {}).items()}
        self._spelling: dict[int, str] = {}
        for word, v in (value_words or {}).items():
            self._spelling.setdefault(v, word)
        self.value_names = dict(value_names or {})
        self.keys = {str(k).lower(): v for k, v in (keys or {}).items()}
        self.margin = tuple(margin)

    def _open_start(self) -> int | None:
        """The starting value shared by every open cell (what a clear writes back), or None."""
        found = {v for v, f in zip(self.start, self.fixed) if not f}
        return found.pop() if len(found) == 1 else None

    # geometry
    def index(self, r: int, c: int) -> int:
        return r * self.cols + c

    def name(self, i: int) -> str:
        """Cell i as `(r,c)` in the task's counting, or `(x, y)` on an xy board."""
        r, c = divmod(i, self.cols)
        if self.xy:
            return f"({c + self.base}, {r + self.base})"
        return f"({r + self.base},{c + self.base})"

    def coordinates(self, i: int) -> str:
        """Cell i as a command writes it: `R C`, or `X Y` on an xy board."""
        r, c = divmod(i, self.cols)
        first, second = (c, r) if self.xy else (r, c)
        return f"{first + self.base} {second + self.base}"

    def lines(self, row_word: str = "row", col_word: str = "column") -> list[tuple[str, list[int]]]:
        """Every row and column as (name, cells), named in the task's counting (Latin-square groups)."""
        rows = [(f"{row_word} {r + self.base}", [r * self.cols + c for c in range(self.cols)])
                for r in range(self.rows)]
        cols = [(f"{col_word} {c + self.base}", [r * self.cols + c for r in range(self.rows)])
                for c in range(self.cols)]
        return rows + cols

    # commands
    def parse(self, move: str) -> tuple[str, int, int | None]:
        """(verb, cell, value) of a command (value None for an action); InvalidMove says what is wrong with a
        malformed one."""
        text = normalize_command(move)
        head = _HEAD.match(text)
        word, rest = (head.group(1), head.group(2)) if head else ("", text)
        verb = self._spell.get(word) if word else self.default_verb
        if verb is None:
            raise InvalidMove(f"unknown command {move!r}; use {self.usage()}")
        takes_value = verb not in self.actions and self.verbs[verb] is None
        rest = _FILLER.sub(" ", rest)
        if self.xy:
            rest = _XY_FILLER.sub(" ", rest)
        args = [a for a in _ARG_SPLIT.split(rest) if a]
        # a value spelled as a word (Eulero's `c1`) is taken before `r2c3` prefixes are stripped from coordinates
        value_word = args.pop() if takes_value and args and args[-1] in self.value_words else None
        if not self.xy:  # `r2c3` names a row first: not an (x, y) pair
            args = [a for a in _ARG_SPLIT.split(_RC_PREFIX.sub(" ", " ".join(args))) if a]
        if value_word is not None:
            args.append(value_word)
        want = 3 if takes_value else 2
        if len(args) != want or not (args[0].isdigit() and args[1].isdigit()):
            raise InvalidMove(f"`{verb}` needs {self._usage(verb)}")
        a, b = int(args[0]) - self.base, int(args[1]) - self.base
        r, c = (b, a) if self.xy else (a, b)
        if not (0 <= r < self.rows and 0 <= c < self.cols):
            hi_r, hi_c = self.rows - 1 + self.base, self.cols - 1 + self.base
            if self.xy:
                raise InvalidMove(f"the cell must have x in {self.base}-{hi_c} and y in {self.base}-{hi_r}, "
                                  f"got ({args[0]}, {args[1]})")
            raise InvalidMove(f"the cell must be within rows {self.base}-{hi_r} and columns {self.base}-{hi_c}, "
                              f"got ({args[0]},{args[1]})")
        if not takes_value:
            return verb, r * self.cols + c, self.verbs.get(verb)
        token = args[2]
        value = self.value_words.get(token)
        if value is None and _INT.fullmatch(token):
            value = int(token)
        if value is None or value not in self._allowed:
            raise InvalidMove(f"the value must be one of {self.values_text()}, got {token!r}")
        return verb, r * self.cols + c, value

    def apply(self, state: tuple, move: str) -> tuple:
        """The position after `move`; InvalidMove for a malformed command, a fixed cell or a no-op."""
        verb, i, value = self.parse(move)
        if value is None:
            raise InvalidMove(f"`{verb}` is not a single-cell command")  # an action: the task performs it
        return self.put(state, i, value)

    def put(self, state: tuple, i: int, value: int) -> tuple:
        """The position with `value` written into cell i; InvalidMove on a fixed cell or when it holds it."""
        if self.fixed[i]:
            raise InvalidMove(f"cell {self.name(i)} {self.fixed_reason}")
        if state[i] == value:
            raise InvalidMove(f"cell {self.name(i)} {self.describe(value, already=True)}")
        return (*state[:i], value, *state[i + 1:])

    def command(self, i: int, value: int) -> str:
        """The canonical command that writes `value` into cell i."""
        for verb, fixed_value in self.verbs.items():
            if fixed_value is not None and fixed_value == value:
                return f"{verb} {self.coordinates(i)}"
        if self.value_verb is None:
            raise ValueError(f"no command writes {value!r}")
        return f"{self.value_verb} {self.coordinates(i)} {self.spell(value)}"

    def move_space(self) -> list[str]:
        """Every command, in a fixed order: verb by verb (then the actions), cells row-major, values ascending."""
        out = []
        cells = [self.coordinates(i) for i in range(self.rows * self.cols)]
        for verb, fixed_value in self.verbs.items():
            if fixed_value is None:
                out += [f"{verb} {at} {self.spell(v)}" for at in cells for v in self.values]
            else:
                out += [f"{verb} {at}" for at in cells]
        for verb in self.actions:
            out += [f"{verb} {at}" for at in cells]
        return out

    def key_command(self, state: tuple, i: int, key: str) -> str | None:
        """The command a key typed on selected cell i means: a bound key (see `keys`), a value's spelling writes
        it, delete clears."""
        if not 0 <= i < len(self.start) or self.fixed[i]:
            return None
        key = str(key).lower()
        if len(key) > 2 and key[0] == "[" and key[-1] == "]":  # pygame's keypad names: "[5]"
            key = key[1:-1]
        bound = self.keys.get(key)
        if isinstance(bound, str):
            return f"{bound} {self.coordinates(i)}"
        if bound is not None:
            if state[i] != bound:
                return self.command(i, bound)
            return self.command(i, self.blank) if bound != self.blank and self.blank is not None else None
        value = self.value_words.get(key)
        if value is None and key.isdigit():
            value = int(key)
        if self.value_verb is not None and value in self._allowed and value != state[i]:
            return self.command(i, value)
        if key in ERASE_KEYS and self.clear_verb and state[i] != self.blank:
            return self.command(i, self.blank)
        return None

    def open_cells(self, state: Sequence[int]) -> int:
        """How many cells the player still has to fill (0 where `empty` is None: shading puzzles)."""
        if self.empty is None:
            return 0
        return sum(1 for v, f in zip(state, self.fixed) if v == self.empty and not f)

    def cell_at(self, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        return draw.grid_cell_at(self.rows, self.cols, x, y, size, self.margin)

    # words
    def spell(self, value: int) -> str:
        """How commands and pictures write a value (its value word, else the number)."""
        return self._spelling.get(value, str(value))

    def describe(self, value: int, already: bool = False) -> str:
        """`is empty`, `is shaded` (value_names), or `holds 5`; with already=True, `is already ...`."""
        adv = "already " if already else ""
        if value == self.empty:
            return f"is {adv}empty"
        if value in self.value_names:
            return f"is {adv}{self.value_names[value]}"
        return f"{adv}holds {self.spell(value)}"

    def values_text(self) -> str:
        vals = sorted(self._allowed)
        if len(vals) > 2 and vals == list(range(vals[0], vals[-1] + 1)) and not self.value_words:
            return f"{vals[0]}-{vals[-1]}"
        return ", ".join(self.spell(v) for v in vals)

    def _usage(self, verb: str) -> str:
        at = "X Y" if self.xy else "R C"
        return f"{verb} {at} V" if verb not in self.actions and self.verbs[verb] is None else f"{verb} {at}"

    def usage(self) -> str:
        return " or ".join(f"`{self._usage(v)}`" for v in (*self.verbs, *self.actions))


# ---- rule checks shared by many grid puzzles ------------------------------------------------------------
def bad_values(board: Board, grid: Sequence[Any], allowed: Iterable[Any] | None = None) -> list[str]:
    """`cell (r,c) holds 9; only 1-7 are allowed` for each cell outside `allowed` (default: board.values)."""
    ok = frozenset(board.values if allowed is None else allowed)
    what = board.values_text() if allowed is None else ", ".join(map(str, sorted(ok)))
    return [f"cell {board.name(i)} holds {v}; only {what} allowed" for i, v in enumerate(grid)
            if type(v) is not int or v not in ok]


def changed_givens(board: Board, grid: Sequence[Any]) -> list[str]:
    """`given at (r,c) changed from 3 to 5` for each fixed cell that differs from its starting value."""
    return [f"given at {board.name(i)} changed from {board.spell(s)} to {grid[i]}"
            for i, (s, f) in enumerate(zip(board.start, board.fixed)) if f and grid[i] != s]


def repeats(grid: Sequence[Any], groups: Iterable[tuple[str, Sequence[int]]],
            ignore: Iterable[Any] = (0, None)) -> list[str]:
    """`row 2 repeats 5` for each value seen twice in a group (empty cells, `ignore`, are skipped)."""
    skip = set(ignore)
    out = []
    for name, cells in groups:
        seen: set = set()
        twice: list = []
        for c in cells:
            v = grid[c]
            if v in skip:
                continue
            if v in seen and v not in twice:
                twice.append(v)
            seen.add(v)
        out += [f"{name} repeats {v}" for v in sorted(twice, key=str)]
    return out


def latin_csp(board: Board) -> Csp:
    """A Csp over the board's cells with domains `board.values`, fixed cells assigned, and every row and
    column all-different (the base of Futoshiki, Skyscrapers, Calcudoku, Eulero...)."""
    csp = Csp.uniform(board.rows * board.cols, board.values)
    for i, (v, f) in enumerate(zip(board.start, board.fixed)):
        if f:
            csp.assign(i, v)
    for name, cells in board.lines():
        csp.all_different(cells, f"{name} holds each value once")
    return csp


# ---- the Task base class ---------------------------------------------------------------------------------
class GridTask(Task):
    """A grid puzzle Task: step mode, verify, solve, solve_moves, solve_trace, random_answer and human play
    come from a few hooks. A subclass writes `make_board`, `violations`, `grid_text` and `build_csp` (the
    traced search and the records' fallback solver), plus generate/prompt/render/records; `write_answer` and
    `solution` have defaults (a list of rows; the rows under `data["solution"]`). `record_solution` and
    `record_puzzle` do the common part of `from_record`.

    Positions are tuples of cell values (row-major). `answer_symbols` tells `read_answer` how the official
    answer spells non-numeric cells."""

    answer_symbols: ClassVar[Mapping[str, int] | None] = None
    # the traced search's checks before its first hypothesis (see QuickChecks); None: full propagation from the
    # start, so a puzzle that propagation solves shows no search at all
    trace_quick: ClassVar[QuickChecks | None] = None
    _boards: ClassVar[dict[int, tuple[Any, Board]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._boards = {}

    # ---- hooks -----------------------------------------------------------------------------------------
    def make_board(self, puzzle: Puzzle) -> Board:
        """The puzzle's Board (shape, start, fixed cells, command words)."""
        raise NotImplementedError

    def violations(self, puzzle: Puzzle, grid: Sequence[Any], complete: bool = True) -> list[str]:
        """Every rule the grid breaks, in words. With complete=False (a step-mode position) only what is
        visible already: empty cells are not errors. `grid` may hold junk (floats, wrong values) when it comes
        from an answer; never raise on it."""
        raise NotImplementedError

    def write_answer(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """A complete grid in the official answer format (by default a list of rows: `[[1, 2], [2, 1]]`)."""
        return list_text(to_rows(list(grid), self.board(puzzle).cols))

    def grid_text(self, puzzle: Puzzle, grid: Sequence[int]) -> str:
        """A position in the official initial_state notation (the player's entries filled in)."""
        raise NotImplementedError

    def solution(self, puzzle: Puzzle) -> tuple[int, ...]:
        """A solution: by default the rows stored under `data["solution"]`, flattened."""
        return tuple(v for row in puzzle.data["solution"] for v in row)

    def build_csp(self, puzzle: Puzzle) -> Csp:
        """The puzzle as a Csp over its cells (row-major) with named rules, for the traced search."""
        raise NotImplementedError

    def read_answer(self, puzzle: Puzzle, text: str) -> tuple:
        """The answer's grid as a flat tuple; AnswerError when it cannot be read."""
        b = self.board(puzzle)
        rows = parse_grid(text, b.rows, b.cols, self.answer_symbols)
        return tuple(v for row in rows for v in row)

    def trace_intro(self, puzzle: Puzzle) -> str:
        """The `read` event's note: the facts of the instance in one or two sentences."""
        b = self.board(puzzle)
        return f"a {b.rows}x{b.cols} {self.name} with {sum(b.fixed)} fixed cells"

    # ---- the board, cached per puzzle ------------------------------------------------------------------
    def board(self, puzzle: Puzzle) -> Board:
        """`make_board(puzzle)`, built once per puzzle object (step mode calls it on every move)."""
        key = id(puzzle.data)
        hit = self._boards.get(key)
        if hit is not None and hit[0] is puzzle.data:
            return hit[1]
        made = self.make_board(puzzle)
        if len(self._boards) >= 256:
            self._boards.clear()
        self._boards[key] = (puzzle.data, made)  # holding the data keeps its id from being reused
        return made

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return self.write_answer(puzzle, self.solution(puzzle))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        b = self.board(puzzle)
        sol = self.solution(puzzle)
        return [b.command(i, v) for i, v in enumerate(sol) if not b.fixed[i] and v != b.start[i]]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        b = self.board(puzzle)
        start = self.grid_text(puzzle, b.start)
        events = [TraceEvent("read", None, self.trace_intro(puzzle), start)]

        def board_text(values: list[int | None]) -> str:
            return self.grid_text(puzzle, [b.empty if v is None else v for v in values])

        def move(i: int, value: int) -> str | None:  # a deduction that keeps the starting value needs no command
            return None if value == b.start[i] else b.command(i, value)

        def value_name(value: int) -> str:
            return b.value_names.get(value, b.spell(value))

        found, search = self.build_csp(puzzle).trace(move, b.name, board_text, value_name, quick=self.trace_quick)
        events += search
        grid = found if found is not None and not self.violations(puzzle, found) else self.solution(puzzle)
        answer = self.write_answer(puzzle, grid)
        events.append(TraceEvent("check", None, "every rule holds: " + self.rules_summary(puzzle), None))
        events.append(TraceEvent("answer", answer, "the completed grid"))
        return events

    def rules_summary(self, puzzle: Puzzle) -> str:
        return "the grid satisfies all the rules"

    # ---- records ---------------------------------------------------------------------------------------
    def record_solution(self, puzzle: Puzzle, *candidates: Any) -> tuple:
        """A solution for a puzzle loaded from a record: the first candidate (the record's answer, a stored
        solution; text in any notation `read_answer` takes, other values read as JSON) that keeps every rule,
        else the solver's first solution, in the answer's values (notes such as circles or crosses become plain
        cells). RecordError when the puzzle has none."""
        for raw in candidates:
            if raw is None:
                continue
            try:
                grid = self.read_answer(puzzle, raw if isinstance(raw, str) else json.dumps(raw))
                if not self.violations(puzzle, grid):
                    return grid
            except (ValueError, TypeError, IndexError, KeyError):  # an unreadable candidate just does not count
                continue
        found = self.build_csp(puzzle).solve()
        if found is None:
            raise RecordError(f"{self.name}: the puzzle has no solution")
        return self.read_answer(puzzle, self.write_answer(puzzle, found))

    def record_puzzle(self, record: dict[str, Any], data: dict[str, Any], *candidates: Any) -> Puzzle:
        """The puzzle of a record whose instance is `data`, with its solution (see `record_solution`) stored as
        rows under `data["solution"]`, at the record's level and seed."""
        probe = self.puzzle(self.record_level(record), data)
        solution = self.record_solution(probe, *candidates)
        return self.puzzle(probe.level, {**data, "solution": to_rows(list(solution), self.board(probe).cols)},
                           seed=self.record_seed(record))

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            grid = self.read_answer(puzzle, answer)
            b = self.board(puzzle)
            parsed = to_rows(grid, b.cols)
            broken = self.violations(puzzle, grid, complete=True)
        except AnswerError as exc:
            return Verdict.wrong(str(exc))
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        return Verdict.wrong(*broken, parsed=parsed) if broken else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        b = self.board(puzzle)
        values = list(b.values)
        grid = [s if f else values[int(rng.integers(len(values)))] for s, f in zip(b.start, b.fixed)]
        return self.write_answer(puzzle, grid)

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple:
        return self.board(puzzle).start

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple:
        return self.board(puzzle).apply(state, move)

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        return self.grid_text(puzzle, state)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        if self.board(puzzle).open_cells(state):
            return False
        return not self.violations(puzzle, state, complete=True)

    def move_space(self, puzzle: Puzzle) -> list[str]:
        return self.board(puzzle).move_space()

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        left = self.board(puzzle).open_cells(state)
        if left:
            raise InvalidMove(f"{left} cell{'s are' if left > 1 else ' is'} still empty")
        return self.write_answer(puzzle, state)

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        return self.violations(puzzle, state, complete=False)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * max(1, len(self.solve_moves(puzzle))) + 20

    # ---- human play ------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        return self.board(puzzle).cell_at(x, y, size)

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        b = self.board(puzzle)
        r, c = cell
        if not (0 <= r < b.rows and 0 <= c < b.cols):
            return None
        return b.key_command(state, r * b.cols + c, key)

    # ---- pictures --------------------------------------------------------------------------------------
    def draw_values(self, canvas: draw.GridCanvas, puzzle: Puzzle, state: Sequence[int] | None = None,
                    scale: float = 0.6) -> None:
        """Write every non-empty cell: fixed ones in the GIVEN colour, the player's entries in ENTERED."""
        b = self.board(puzzle)
        grid = b.start if state is None else state
        for i, v in enumerate(grid):
            if v != b.empty and v is not None:
                r, c = divmod(i, b.cols)
                canvas.write(r, c, b.spell(v), draw.GIVEN if b.fixed[i] else draw.ENTERED, scale=scale)


def random_latin_square(n: int, rng: np.random.Generator, values: Sequence[int] | None = None) -> tuple[int, ...]:
    """A random n x n Latin square over `values` (default 1..n), row-major, drawn by the Csp's randomized
    search: any Latin square can come out, not only the cyclic ones the official generators shuffle."""
    vals = tuple(values) if values is not None else tuple(range(1, n + 1))
    csp = Csp.uniform(n * n, vals)
    for r in range(n):
        csp.all_different([r * n + c for c in range(n)], f"row {r}")
    for c in range(n):
        csp.all_different([r * n + c for r in range(n)], f"column {c}")
    found = csp.solve(rng)
    if found is None:  # cannot happen: Latin squares exist for every n
        raise ValueError(f"no {n}x{n} Latin square")
    return found
