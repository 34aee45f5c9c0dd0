"""Minesweeper (MM-HELIX `minesweeper`): find every mine on a fully numbered board.

This is a deduction question, not the clicking game. Every safe cell that touches at least one mine (8
neighbours) shows that count; mines and safe cells touching no mine are both blank. A safe blank touches no
mine, so every 8-connected region of blank cells is all mines or all safe: the answer is the choice of mine
regions that reproduces every number. The generator keeps only boards where that choice is unique (the
official one never checks; spec 5.3), and the verifier checks a mine set against every cell of the board,
not against one stored set (the public judge compares with the stored set only; spec 5.6).

Text notation (official `initial_state`): one line per row, `|` + cells separated by `|` + `|`, a cell being
a digit 1-8 or a space. Answers and commands use 0-based (row, col), row 0 at the top.

Step mode is a marking game whose final answer is the flag set (spec 5.8):
    flag R C      put a flag (a mine guess) on blank cell (R, C)
    unflag R C    take the flag off (R, C)
    (R,C)         toggle the flag on (R, C)
    submit        (the env's) judge the flag set as the answer
There is no `reveal`: it would tell mines from safe blanks, which is the whole question.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core.draw import BLACK, ENTERED, GRID_LINE, WHITE, GridCanvas
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

LADDER = {1: (5, 3), 2: (6, 4), 3: (7, 5), 4: (8, 7), 5: (9, 9)}  # level -> (board side, mines)
MAX_DRAWS = 500  # boards redrawn until the mine set is unique (nearly always the first one)
MAX_SHOWN = 6  # violations listed in a verdict before "... and N more"

# the official number colours (spec 5.7)
NUMBER_COLOURS = {
    1: (25, 118, 210), 2: (56, 142, 60), 3: (211, 47, 47), 4: (123, 31, 162),
    5: (93, 64, 55), 6: (0, 137, 123), 7: (33, 33, 33), 8: (97, 97, 97),
}
EDGE = (43, 47, 54)
FLAG_RED = (215, 40, 40)
FLAG_TINT = (222, 234, 250)  # a flagged cell: the player's entry, tinted towards ENTERED
OVER_TINT = (255, 208, 208)  # a number that sees more flags than it shows
MARGIN = (0.6, 0.6, 0.25, 0.25)  # room for the row numbers (left) and column numbers (top)

_PAIR = re.compile(r"[(\[{<]\s*([-−]?\d+)(?:\.0+)?\s*[,;\s]\s*([-−]?\d+)(?:\.0+)?\s*[)\]}>]")
_BARE = re.compile(r"^[\d\s,;:.\-−]+$")
_FLAG_WORDS = {"flag": "flag", "f": "flag", "mark": "flag", "mine": "flag",
               "unflag": "unflag", "uf": "unflag", "unmark": "unflag", "clear": "unflag", "remove": "unflag",
               "toggle": "toggle", "t": "toggle"}
_COMMAND = re.compile(
    r"^(?:(" + "|".join(sorted(_FLAG_WORDS, key=len, reverse=True)) + r")\b\s*)?"
    r"[(\[]?\s*(\d+)\s*(?:,\s*|\s+)(\d+)\s*[)\]]?$"
)
_TOGGLE_KEYS = {"f", "m", "space", "return", "enter"}


# ---- the board -------------------------------------------------------------------------------------------
def _neighbours(n: int) -> list[list[int]]:
    """The up-to-8 neighbours of every cell index r*n+c."""
    out = []
    for r in range(n):
        for c in range(n):
            out.append([(r + dr) * n + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                        if (dr or dc) and 0 <= r + dr < n and 0 <= c + dc < n])
    return out


_NEIGHBOURS = {n: _neighbours(n) for n in range(1, 17)}


def _nbrs(n: int) -> list[list[int]]:
    if n not in _NEIGHBOURS:
        _NEIGHBOURS[n] = _neighbours(n)
    return _NEIGHBOURS[n]


def _counts(n: int, mines: list[int]) -> list[int]:
    """The display of a mine placement: the count on every safe cell, 0 on mines and on safe zeros."""
    nb = _nbrs(n)
    counts = [0] * (n * n)
    for m in mines:
        for j in nb[m]:
            counts[j] += 1
    for m in mines:
        counts[m] = 0
    return counts


def _regions(n: int, flat: list[int]) -> list[list[int]]:
    """The 8-connected regions of blank cells, each a sorted list of cell indices, in row-major order."""
    nb = _nbrs(n)
    seen = [False] * (n * n)
    regions = []
    for start in range(n * n):
        if flat[start] or seen[start]:
            continue
        seen[start] = True
        stack, cells = [start], []
        while stack:
            cell = stack.pop()
            cells.append(cell)
            for j in nb[cell]:
                if not flat[j] and not seen[j]:
                    seen[j] = True
                    stack.append(j)
        regions.append(sorted(cells))
    return regions


def _constraints(n: int, flat: list[int], regions: list[list[int]]) -> list[tuple[int, int, dict[int, int]]]:
    """One (cell, value, {region: cells of it among the cell's neighbours}) per numbered cell."""
    owner = {cell: k for k, cells in enumerate(regions) for cell in cells}
    nb = _nbrs(n)
    out = []
    for cell, value in enumerate(flat):
        if value:
            weights: dict[int, int] = {}
            for j in nb[cell]:
                if j in owner:
                    weights[owner[j]] = weights.get(owner[j], 0) + 1
            out.append((cell, value, weights))
    return out


def _where(n: int, cell: int) -> str:
    return f"({cell // n},{cell % n})"


def _region_phrase(n: int, cells: list[int], mine: int) -> str:
    """`blank cell (1,2) is a mine`, `blank cells (0,0) (0,1) are safe`, `the blank region ... is all mines`."""
    name = _region_name(n, cells)
    if len(cells) == 1:
        return f"{name} is {'a mine' if mine else 'safe'}"
    return f"{name} {'are' if len(cells) <= 3 else 'is'} all {'mines' if mine else 'safe'}"


def _region_name(n: int, cells: list[int]) -> str:
    if len(cells) <= 3:
        return "blank " + ("cell " if len(cells) == 1 else "cells ") + " ".join(_where(n, c) for c in cells)
    return f"the blank region of {len(cells)} cells around {_where(n, cells[0])}"


class _Search:
    """Which blank regions are mines: propagation on the numbers, then branching on the most-watched region.

    With `events` set it narrates its real work (deductions, tries, dead ends, backtracks) for solve_trace."""

    def __init__(self, n: int, flat: list[int], events: list[TraceEvent] | None = None,
                 board_text: Any = None) -> None:
        self.n = n
        self.regions = _regions(n, flat)
        self.cons = _constraints(n, flat, self.regions)
        self.watch: list[list[int]] = [[] for _ in self.regions]  # constraints that see each region
        for k, (_, _, weights) in enumerate(self.cons):
            for reg in weights:
                self.watch[reg].append(k)
        self.events = events
        self.board_text = board_text
        self.solutions: list[list[int]] = []

    def run(self, limit: int) -> list[list[int]]:
        self._branch([-1] * len(self.regions), limit, depth=0)
        return self.solutions

    def _mines(self, assign: list[int]) -> list[int]:
        return sorted(cell for k, v in enumerate(assign) if v == 1 for cell in self.regions[k])

    def _note(self, kind: str, note: str, assign: list[int] | None = None, move: str | None = None) -> None:
        if self.events is not None:
            text = self.board_text(self._mines(assign)) if assign is not None and self.board_text else None
            self.events.append(TraceEvent(kind, move=move, note=note, state_text=text))

    def _propagate(self, assign: list[int], changed: Any) -> str | None:
        """Forced conclusions from single numbers, applied in place; the broken rule if a number fails.

        A number needing `need` more mines rules out every open region that would add more than `need`, and
        forces every open region without which the others cannot reach `need`."""
        queue = list(changed)
        while queue:
            reg = queue.pop()
            for k in self.watch[reg]:
                cell, value, weights = self.cons[k]
                have = sum(w for r, w in weights.items() if assign[r] == 1)
                open_ = [r for r in weights if assign[r] < 0]
                room = sum(weights[r] for r in open_)
                need = value - have
                where = f"the {value} at {_where(self.n, cell)}"
                if need < 0:
                    return f"{where} would touch {have} mines"
                if room < need:
                    return f"{where} could touch at most {have + room} mines"
                for r in open_:
                    w = weights[r]
                    if w > need:
                        more = f"{need} more mine{'s' if need > 1 else ''}"
                        mine, why = 0, (f"{where} already touches its {value} mine{'s' if value > 1 else ''}"
                                        if need == 0 else f"{where} needs only {more} but "
                                        f"{_region_name(self.n, self.regions[r])} would add {w}")
                    elif room - w < need:
                        mine, why = 1, (f"{where} needs every blank cell left around it" if room == need else
                                        f"{where} needs {need} more mines and its other blank neighbours give at "
                                        f"most {room - w}")
                    else:
                        continue
                    assign[r] = mine
                    queue.append(r)
                    self._note("deduce", f"{why}, so {_region_phrase(self.n, self.regions[r], mine)}", assign)
                    break  # the sums changed: look at this number again when its region comes off the queue
        return None

    def _branch(self, assign: list[int], limit: int, depth: int, changed: list[int] | None = None) -> bool:
        """Depth-first search; True once `limit` solutions are found."""
        broken = self._propagate(assign, changed if changed is not None else range(len(self.regions)))
        if broken:
            self._note("dead_end", f"contradiction: {broken}")
            return False
        open_ = [k for k, v in enumerate(assign) if v < 0]
        if not open_:
            self.solutions.append(self._mines(assign))
            return len(self.solutions) >= limit
        reg = max(open_, key=lambda k: (len(self.watch[k]), -k))
        name = _region_name(self.n, self.regions[reg])
        for guess in (1, 0) if self.watch[reg] else (0,):
            trial = list(assign)
            trial[reg] = guess
            self._note("try", f"suppose {_region_phrase(self.n, self.regions[reg], guess)}", trial)
            if self._branch(trial, limit, depth + 1, [reg]):
                return True
            if self.events is not None and not self.solutions:
                self._note("backtrack", f"undo the guess on {name}", assign)
        return False


def solutions(n: int, flat: list[int], limit: int = 2) -> list[list[int]]:
    """Up to `limit` mine sets (sorted cell indices) that reproduce the numbers of the board `flat`."""
    return _Search(n, flat).run(limit)


# ---- text notation -----------------------------------------------------------------------------------------
def _grid_lines(n: int, flat: list[int] | tuple[int, ...], flags: frozenset[int] = frozenset()) -> list[str]:
    """Official rows `|1| |2|`; in step mode `F` marks a flag."""
    return ["|" + "|".join("F" if r * n + c in flags else (str(flat[r * n + c]) if flat[r * n + c] else " ")
                           for c in range(n)) + "|" for r in range(n)]


def _parse_board(raw: Any) -> tuple[int, list[int]]:
    """Side and flat numbers (0 = blank) of an official `initial_state`; RecordError if malformed."""
    if isinstance(raw, list):
        raw = "\n".join(str(line) for line in raw)
    if not isinstance(raw, str):
        raise RecordError(f"Minesweeper: initial_state must be the text board, got {type(raw).__name__}")
    lines = [line.strip() for line in raw.replace("\\n", "\n").replace("\r", "").split("\n") if line.strip()]
    n = len(lines)
    if not 1 <= n <= 16:
        raise RecordError(f"Minesweeper: expected 1-16 board rows, got {n}")
    flat = []
    for r, line in enumerate(lines):
        if len(line) < 2 or line[0] != "|" or line[-1] != "|":
            raise RecordError(f"Minesweeper: row {r} must start and end with '|': {line[:40]!r}")
        cells = line[1:-1].split("|")
        if len(cells) != n:
            raise RecordError(f"Minesweeper: row {r} has {len(cells)} cells, expected {n}")
        for c, cell in enumerate(cells):
            cell = cell.strip()
            if cell in ("", "0"):
                flat.append(0)
            elif len(cell) == 1 and cell in "12345678":
                flat.append(int(cell))
            else:
                raise RecordError(f"Minesweeper: cell ({r},{c}) holds {cell!r}, not a digit 1-8 or a blank")
    return n, flat


def _answer_text(n: int, mines: list[int]) -> str:
    """The official answer spelling: `(r, c),(r, c)` in row-major order."""
    return ",".join(f"({m // n}, {m % n})" for m in sorted(mines))


def _parse_pairs(answer: Any) -> list[tuple[int, int]] | None:
    """(row, col) pairs in brackets of any kind, or a bare run of integers read two by two; None if neither."""
    text = clean_latex(str(answer)).replace("−", "-")
    pairs = [(int(a), int(b)) for a, b in _PAIR.findall(text)]
    if pairs:
        return pairs
    if _BARE.match(text):
        ints = [int(t) for t in re.findall(r"-?\d+", text)]
        if ints and len(ints) % 2 == 0:
            return list(zip(ints[::2], ints[1::2]))
    return None


def _check(n: int, flat: list[int], pairs: list[tuple[int, int]]) -> list[str]:
    """Every rule the mine set breaks, in words: range, mines on numbers, and the display it would give."""
    problems = []
    mines = set()
    for r, c in pairs:
        if not (0 <= r < n and 0 <= c < n):
            problems.append(f"({r},{c}) is outside the {n}x{n} board (rows and columns are 0-{n - 1})")
        elif flat[r * n + c]:
            problems.append(f"({r},{c}) shows the number {flat[r * n + c]}, so it is a safe cell, not a mine")
        else:
            mines.add(r * n + c)
    if problems:
        return problems
    counts = [0] * (n * n)
    nb = _nbrs(n)
    for m in mines:
        for j in nb[m]:
            counts[j] += 1
    for cell in range(n * n):
        if cell in mines or counts[cell] == flat[cell]:
            continue
        where = _where(n, cell)
        if flat[cell]:
            problems.append(f"the {flat[cell]} at {where} touches {counts[cell]} of the listed mines")
        else:
            problems.append(f"the blank cell {where} is not listed as a mine, but it touches {counts[cell]} listed "
                            f"mine{'s' if counts[cell] > 1 else ''}; a safe cell next to a mine would show a number")
    return problems


def _flat(data: dict[str, Any]) -> list[int]:
    return [v for row in data["board"] for v in row]


@register_task
class Minesweeper(Task):
    """Find every mine on a fully numbered board (a one-shot deduction).

    Step grammar: `flag R C`, `unflag R C`, `(R,C)` toggles a flag, and the env's `submit` judges the flag
    set; 0-based coordinates, row 0 at the top. No `reveal`. `is_solved` is always False: the player ends the
    game by submitting."""

    name = "Minesweeper"
    key = "minesweeper"
    category = "games"
    score_function = "minesweeper_evaluator"
    step_help = (
        "flag R C: mark blank cell (row R, column C, 0-based from the top left) as a mine; submit judges the "
        "flagged cells as your list of mines\n"
        "unflag R C: remove the mark from (R, C); (R,C) alone toggles the mark"
    )
    answer_help = "every mine as a 0-based (row,col) pair, pairs separated by commas, e.g. (0,3),(2,1),(4,4)"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        """Mines uniformly at random (the official recipe), redrawn until the mine set is unique."""
        level = self.check_level(level)
        n, k = LADDER[level]
        for _ in range(MAX_DRAWS):
            mines = sorted(int(x) for x in rng.choice(n * n, size=k, replace=False))
            flat = _counts(n, mines)
            if len(solutions(n, flat, 2)) == 1:
                break
        else:  # pragma: no cover - never seen: uniqueness fails on well under 1% of boards
            raise RuntimeError("Minesweeper: no board with a unique mine set")
        return self.puzzle(level, self._data(n, flat, mines))

    @staticmethod
    def _data(n: int, flat: list[int], mines: list[int]) -> dict[str, Any]:
        return {"size": n, "board": [flat[r * n:(r + 1) * n] for r in range(n)],
                "mines": [[m // n, m % n] for m in sorted(mines)]}

    @staticmethod
    def _mine_cells(puzzle: Puzzle) -> list[int]:
        n = puzzle.data["size"]
        return [r * n + c for r, c in puzzle.data["mines"]]

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return _answer_text(puzzle.data["size"], self._mine_cells(puzzle))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"flag {r} {c}" for r, c in puzzle.data["mines"]] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        """Blank regions as the unknowns, propagation on the numbers, and a guess where propagation stalls."""
        n, flat = puzzle.data["size"], _flat(puzzle.data)
        events: list[TraceEvent] = []
        search = _Search(n, flat, events, lambda mines: "\n".join(_grid_lines(n, flat, frozenset(mines))))
        numbers = sum(1 for v in flat if v)
        events.append(TraceEvent("read", note=(
            f"{n}x{n} board with {numbers} numbered cells and {len(search.regions)} blank region"
            f"{'s' if len(search.regions) != 1 else ''}. A safe blank cell touches no mine, so 8-connected blank "
            "cells are either all mines or all safe: decide each region so that every number is matched."),
            state_text="\n".join(_grid_lines(n, flat))))
        found = search.run(1)
        if not found:  # cannot happen for a loaded puzzle (from_record checks)
            events.append(TraceEvent("dead_end", note="no choice of mine regions matches every number"))
            return events
        mines = found[0]
        answer = _answer_text(n, mines)
        ok = not _check(n, flat, [divmod(m, n) for m in mines])
        events.append(TraceEvent("check", note=(
            f"{len(mines)} mines; every number counts exactly its mines and no safe blank touches one"
            if ok else "the mine set breaks a rule"), state_text="\n".join(_grid_lines(n, flat, frozenset(mines)))))
        events.append(TraceEvent("answer", move=answer, note="the mine coordinates"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        """A mine set is right when it reproduces the board: every number and every blank."""
        try:
            pairs = _parse_pairs(answer)
        except Exception:  # the verifier must never raise on model text
            pairs = None
        if not pairs:
            return Verdict.wrong("no (row,col) coordinates found: list the mines as (row,col),(row,col),...")
        unique = sorted(set(pairs))
        problems = _check(puzzle.data["size"], _flat(puzzle.data), unique)
        if problems:
            shown = problems[:MAX_SHOWN]
            if len(problems) > MAX_SHOWN:
                shown.append(f"... and {len(problems) - MAX_SHOWN} more")
            return Verdict.wrong(*shown, parsed=[list(p) for p in unique])
        return Verdict.ok(parsed=[list(p) for p in unique])

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        n = puzzle.data["size"]
        blanks = [i for i, v in enumerate(_flat(puzzle.data)) if not v]
        k = min(len(blanks), len(puzzle.data["mines"]))
        picks = rng.choice(len(blanks), size=k, replace=False) if k else []
        return _answer_text(n, [blanks[int(i)] for i in picks]) or "(0,0)"

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        n = puzzle.data["size"]
        rules = (
            f"Find the hidden mines on a {n} × {n} Minesweeper board.\n"
            "Rules:\n"
            "- Every cell is either a mine or safe. The total number of mines is not given.\n"
            "- Every safe cell that touches at least one mine shows how many of its 8 neighbours "
            "(diagonals included) are mines.\n"
            "- All other cells are blank: the mines, and also the safe cells that touch no mine. The two kinds "
            "of blank look the same.\n"
            "- So a numbered cell is never a mine, and a blank cell is a mine exactly when the numbers require it.\n"
            "Rows are counted from 0 at the top and columns from 0 at the left.\n"
        )
        if modality == "image":
            state = (
                "The picture shows the board: numbered cells carry a coloured digit, blank cells are plain white. "
                "Row numbers run down the left side and column numbers along the top.\n"
            )
        else:
            state = (
                "The board is written one row per line, top row first; each cell sits between | bars and holds its "
                "number, or a space when it is blank.\n"
                "Board:\n" + "\n".join(_grid_lines(n, _flat(puzzle.data))) + "\n"
            )
        fmt = (
            "Answer with the coordinates of all mines as (row,col) pairs, 0-based, separated by commas, "
            "for example: (0,3),(2,1),(4,4)"
        )
        return rules + state + fmt

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        """White cells, coloured numbers, row/column indices; in step mode flagged cells carry a red flag on a
        blue tint, and a number that sees more flags than its value is tinted red."""
        n, flat = puzzle.data["size"], _flat(puzzle.data)
        canvas = GridCanvas(n, n, size, margin=MARGIN, background=WHITE, board=WHITE)
        flags = set(state or ())
        over = set(_over_satisfied(n, flat, flags)) if flags else set()
        for cell in flags:
            canvas.fill(cell // n, cell % n, FLAG_TINT)
        for cell in over:
            canvas.fill(cell // n, cell % n, OVER_TINT)
        canvas.grid_lines(EDGE, 0.025)
        canvas.frame(BLACK, 0.07)
        for cell, v in enumerate(flat):
            if v:
                canvas.write(cell // n, cell % n, str(v), NUMBER_COLOURS[v], scale=0.62)
        for cell in flags:
            _draw_flag(canvas, cell // n, cell % n)
        canvas.coordinates(base=0, color=GRID_LINE, scale=0.36)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def _parse_move(self, puzzle: Puzzle, move: str) -> tuple[str, int]:
        text = normalize_command(move)
        m = _COMMAND.match(text)
        if m is None:
            raise InvalidMove(f"unknown command {text[:40]!r}; use `flag R C`, `unflag R C` or `submit`")
        verb = _FLAG_WORDS.get(m.group(1) or "toggle")
        r, c = int(m.group(2)), int(m.group(3))
        n = puzzle.data["size"]
        if not (0 <= r < n and 0 <= c < n):
            raise InvalidMove(f"({r},{c}) is outside the board: rows and columns are 0-{n - 1}")
        return verb, r * n + c

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple[int, ...]:
        verb, cell = self._parse_move(puzzle, move)
        n = puzzle.data["size"]
        value = puzzle.data["board"][cell // n][cell % n]
        flagged = cell in state
        if verb == "toggle":
            verb = "unflag" if flagged else "flag"
        if verb == "flag":
            if value:
                raise InvalidMove(f"{_where(n, cell)} shows the number {value}: a numbered cell is never a mine")
            if flagged:
                raise InvalidMove(f"{_where(n, cell)} is already flagged")
            return tuple(sorted((*state, cell)))
        if not flagged:
            raise InvalidMove(f"{_where(n, cell)} has no flag to remove")
        return tuple(x for x in state if x != cell)

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        """The official board with F on flagged cells, the flag count, and numbers that see too many flags."""
        n, flat = puzzle.data["size"], _flat(puzzle.data)
        lines = _grid_lines(n, flat, frozenset(state))
        lines.append(f"Flags: {len(state)}" + (f" at {' '.join(_where(n, c) for c in state)}" if state else ""))
        over = _over_satisfied(n, flat, set(state))
        lines.append("Numbers with more flags around them than their value: "
                     + (", ".join(f"the {flat[c]} at {_where(n, c)}" for c in over) if over else "none"))
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        return False  # the game ends when the player submits: ending by itself would confirm the flags

    def moves(self, puzzle: Puzzle, state: tuple) -> list[str]:
        n = puzzle.data["size"]
        flags = set(state)
        out = []
        for cell, v in enumerate(_flat(puzzle.data)):
            if not v:
                out.append(f"{'unflag' if cell in flags else 'flag'} {cell // n} {cell % n}")
        return [*out, "submit"] if state else out

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = puzzle.data["size"]
        blanks = [cell for cell, v in enumerate(_flat(puzzle.data)) if not v]
        return ([f"flag {c // n} {c % n}" for c in blanks] + [f"unflag {c // n} {c % n}" for c in blanks]
                + ["submit"])

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        if not state:
            raise InvalidMove("no cell is flagged yet: flag the mines, then submit")
        return _answer_text(puzzle.data["size"], list(state))

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        n, flat = puzzle.data["size"], _flat(puzzle.data)
        counts = _flag_counts(n, set(state))
        return [f"the {flat[c]} at {_where(n, c)} has {counts[c]} flagged neighbours"
                for c in _over_satisfied(n, flat, set(state))]

    def potential(self, puzzle: Puzzle, state: tuple) -> float:
        """(numbers matched exactly - numbers exceeded) / numbers: visible information only (spec 5.8)."""
        n, flat = puzzle.data["size"], _flat(puzzle.data)
        counts = _flag_counts(n, set(state))
        numbered = [c for c, v in enumerate(flat) if v]
        exact = sum(1 for c in numbered if counts[c] == flat[c])
        over = sum(1 for c in numbered if counts[c] > flat[c])
        return (exact - over) / max(1, len(numbered))

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["mines"]) + puzzle.data["size"]

    # ---- human play ------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        n = puzzle.data["size"]
        ml, mt, mr, mb = MARGIN
        cell = max(8, int(size / max(n + ml + mr, n + mt + mb)))  # GridCanvas's geometry
        c, r = int((x - round(ml * cell)) // cell), int((y - round(mt * cell)) // cell)
        return (r, c) if 0 <= r < n and 0 <= c < n else None

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        """F, M, space or enter on a blank cell toggles its flag."""
        n = puzzle.data["size"]
        r, c = cell
        if not (0 <= r < n and 0 <= c < n) or puzzle.data["board"][r][c] or str(key).lower() not in _TOGGLE_KEYS:
            return None
        return f"{'unflag' if r * n + c in state else 'flag'} {r} {c}"

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        n = puzzle.data["size"]
        return self.base_record(puzzle, index=f"minesweeper_{n}_{puzzle.fingerprint}", answer=self.solve(puzzle),
                                initial_state="\n".join(_grid_lines(n, _flat(puzzle.data))))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        if "initial_state" not in record:
            raise RecordError("Minesweeper: the record has no initial_state board")
        n, flat = _parse_board(record["initial_state"])
        mines = self._record_mines(n, flat, record.get("answer"))
        return self.puzzle(self.record_level(record), self._data(n, flat, mines), seed=self.record_seed(record))

    @staticmethod
    def _record_mines(n: int, flat: list[int], answer: Any) -> list[int]:
        """The record's mine set when it reproduces the board, else the solver's first one."""
        pairs = _parse_pairs(answer) if isinstance(answer, str) else None
        if pairs and not _check(n, flat, sorted(set(pairs))):
            return sorted({r * n + c for r, c in pairs})
        found = solutions(n, flat, 1)
        if not found:
            raise RecordError("Minesweeper: no mine placement reproduces this board")
        return found[0]


# ---- module helpers ------------------------------------------------------------------------------------
def _flag_counts(n: int, flags: set[int]) -> list[int]:
    counts = [0] * (n * n)
    nb = _nbrs(n)
    for f in flags:
        for j in nb[f]:
            counts[j] += 1
    return counts


def _over_satisfied(n: int, flat: list[int], flags: set[int]) -> list[int]:
    """Numbered cells with more flagged neighbours than their value (visible to the player)."""
    if not flags:
        return []
    counts = _flag_counts(n, flags)
    return [c for c, v in enumerate(flat) if v and counts[c] > v]


def _draw_flag(canvas: GridCanvas, r: int, c: int) -> None:
    """A red pennant on a dark pole standing on a small base."""
    x0, y0, _, _ = canvas.cell_box(r, c)
    s = canvas.cell
    pole_x = x0 + 0.40 * s
    w = max(2, round(s * 0.06))
    canvas.draw.line((round(pole_x), round(y0 + 0.18 * s), round(pole_x), round(y0 + 0.78 * s)), fill=BLACK, width=w)
    canvas.draw.polygon([(round(pole_x), round(y0 + 0.18 * s)), (round(x0 + 0.80 * s), round(y0 + 0.34 * s)),
                         (round(pole_x), round(y0 + 0.50 * s))], fill=FLAG_RED, outline=(140, 20, 20))
    canvas.draw.rectangle((round(x0 + 0.26 * s), round(y0 + 0.76 * s), round(x0 + 0.62 * s), round(y0 + 0.84 * s)),
                          fill=ENTERED)
