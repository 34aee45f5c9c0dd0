"""WordSearch (MM-HELIX key `wordsearch`): find one word hidden in a square grid of letters.

The word reads along a straight line in one of eight compass directions (so also backwards and diagonally).
Positions are 1-based (x, y): x = column from the left, y = row from the top. The official answer is
`WORD DIR (x, y) @`; its judge compares with one stored string and parses `WORD DIR @ (x, y)` only (spec 5.6).
Ours checks the claimed line against the grid, so any true occurrence counts, in either `@` position, with
direction words (`east`, `down-left`) or start and end cells. Our generator hides the word exactly once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.words import common_words

SIZES = {1: 5, 2: 7, 3: 10, 4: 12, 5: 15}
WORD_LENGTHS = {1: (3, 5), 2: (3, 6), 3: (4, 6), 4: (4, 6), 5: (4, 6)}
DIRS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
STEP = {"N": (0, -1), "NE": (1, -1), "E": (1, 0), "SE": (1, 1), "S": (0, 1), "SW": (-1, 1), "W": (-1, 0),
        "NW": (-1, -1)}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_ANSWER = 2000
MARGIN = (0.8, 1.9, 0.3, 1.0)  # left: row numbers; top: the word and column numbers; bottom: the last read
READ_TINT = (214, 232, 250)

# direction words, single tokens and two-part phrases (`up right`, `down-left`, `north east`)
_VERTICAL = {"n": "N", "north": "N", "up": "N", "upward": "N", "upwards": "N", "top": "N",
             "s": "S", "south": "S", "down": "S", "downward": "S", "downwards": "S", "bottom": "S"}
_HORIZONTAL = {"e": "E", "east": "E", "right": "E", "rightward": "E", "rightwards": "E",
               "w": "W", "west": "W", "left": "W", "leftward": "W", "leftwards": "W"}
_SINGLE = {**_VERTICAL, **_HORIZONTAL, **{d.lower(): d for d in DIRS},
           **{f"{v}{h}": f"{_VERTICAL[v]}{_HORIZONTAL[h]}" for v in ("north", "south") for h in ("east", "west")},
           "→": "E", "←": "W", "↑": "N", "↓": "S", "↗": "NE", "↘": "SE", "↙": "SW", "↖": "NW"}
_V = "|".join(sorted((k for k in _VERTICAL if len(k) > 1), key=len, reverse=True))
_H = "|".join(sorted((k for k in _HORIZONTAL if len(k) > 1), key=len, reverse=True))
_PAIR = re.compile(rf"\b({_V})\b[\s\-_/]*(?:and\s+)?(?:to\s+the\s+)?\b({_H})\b")
_PAIR_REVERSED = re.compile(rf"\b({_H})\b[\s\-_/]*(?:and\s+)?\b({_V})\b")
_NUMBER = re.compile(r"(?<!\d)-?\d+")
_TOKENS = re.compile(r"[a-z]+|[→←↑↓↗↘↙↖]")
_LABELLED = {"x": re.compile(r"\bx\s*[=:]\s*(-?\d+)"), "y": re.compile(r"\by\s*[=:]\s*(-?\d+)"),
             "row": re.compile(r"\brow\s*[=:#]?\s*(-?\d+)"), "col": re.compile(r"\bcol(?:umn)?\s*[=:#]?\s*(-?\d+)")}
_FILLER = {"at", "from", "to", "start", "starts", "starting", "direction", "dir", "position", "pos", "word",
           "the", "and", "is", "in", "row", "col", "column", "x", "y", "going", "reads", "read", "cell", "found",
           "answer", "end", "ends", "ending", "diagonal", "diagonally", "horizontal", "horizontally", "vertical",
           "vertically", "backward", "backwards", "forward", "forwards", "towards", "toward", "then", "of",
           "coordinates", "coordinate", "letter", "first", "last", "located", "location", "it", "on", "runs",
           "running", "text", "mathrm", "textbf", "find", "mark", "select", "line", "with", "by", "goes", "go",
           "heading", "pointing", "reading", "spelled", "spells", "hidden", "here", "grid"}
# words the generator never hides: they would read as directions in an answer
_DIRECTION_WORDS = set(_SINGLE) | {"northeast", "northwest", "southeast", "southwest"}


# ---- the grid ---------------------------------------------------------------------------------------------
def _line(n: int, x: int, y: int, d: str, length: int) -> list[tuple[int, int]] | None:
    """The 1-based cells of a line, or None when it leaves the n x n grid."""
    dx, dy = STEP[d]
    cells = [(x + k * dx, y + k * dy) for k in range(length)]
    if all(1 <= cx <= n and 1 <= cy <= n for cx, cy in cells):
        return cells
    return None


def _read(rows: list[str], x: int, y: int, d: str, length: int) -> str:
    """Up to `length` letters from (x, y) going d, stopping at the edge."""
    n = len(rows)
    dx, dy = STEP[d]
    out = []
    for k in range(length):
        cx, cy = x + k * dx, y + k * dy
        if not (1 <= cx <= n and 1 <= cy <= n):
            break
        out.append(rows[cy - 1][cx - 1])
    return "".join(out)


def occurrences(rows: list[str], word: str) -> list[tuple[int, int, str]]:
    """Every (x, y, DIR) at which `word` reads, in reading order, directions in DIRS order."""
    n = len(rows)
    found = []
    for y in range(1, n + 1):
        for x in range(1, n + 1):
            if rows[y - 1][x - 1] != word[0]:
                continue
            for d in DIRS:
                if _read(rows, x, y, d, len(word)) == word:
                    found.append((x, y, d))
    return found


@lru_cache(maxsize=8)
def _word_pool(level: int) -> tuple[str, ...]:
    """Common words of the level's lengths that cannot be misread: no palindromes, no direction words."""
    lo, hi = WORD_LENGTHS[level]
    return tuple(w.upper() for n in range(lo, hi + 1) for w in common_words(n)
                 if w != w[::-1] and w not in _DIRECTION_WORDS)


def _answer_text(word: str, x: int, y: int, d: str) -> str:
    return f"{word} {d} ({x}, {y}) @"


# ---- reading an answer --------------------------------------------------------------------------------------
def _direction(text: str) -> tuple[str | None, list[str]]:
    """The direction named in `text` (lower case, word removed) and the leftover word tokens."""
    found: list[str] = []
    for pattern, swap in ((_PAIR, False), (_PAIR_REVERSED, True)):
        for m in pattern.finditer(text):
            v, h = (m.group(2), m.group(1)) if swap else (m.group(1), m.group(2))
            found.append(_VERTICAL[v] + _HORIZONTAL[h])
        text = pattern.sub(" ", text)
    rest = []
    for tok in _TOKENS.findall(text):
        if tok in _SINGLE:
            found.append(_SINGLE[tok])
        else:
            rest.append(tok)
    dirs = sorted(set(found), key=found.index)
    if len(dirs) > 1:
        return "?" + "/".join(dirs), rest
    return (dirs[0] if dirs else None), rest


def _cells(text: str) -> list[tuple[int, int]] | str:
    """The (x, y) cells named in `text`: labelled (`x=3, y=4`, `row 4 column 3`) or as plain number pairs."""
    labelled = {k: [int(v) for v in p.findall(text)] for k, p in _LABELLED.items()}
    if len(labelled["x"]) == 1 and len(labelled["y"]) == 1:
        return [(labelled["x"][0], labelled["y"][0])]
    if len(labelled["row"]) == 1 and len(labelled["col"]) == 1:
        return [(labelled["col"][0], labelled["row"][0])]
    numbers = [int(t) for t in _NUMBER.findall(text)]
    if len(numbers) not in (2, 4):
        return f"expected the start cell as (x, y) (or start and end cells), found {len(numbers)} numbers"
    return [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2)]


def _direction_between(a: tuple[int, int], b: tuple[int, int]) -> tuple[str, int] | None:
    """Direction and cell count of the straight line from cell a to cell b, or None if not aligned."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    if (dx, dy) == (0, 0) or not (dx == 0 or dy == 0 or abs(dx) == abs(dy)):
        return None
    step = ((dx > 0) - (dx < 0), (dy > 0) - (dy < 0))
    d = next(k for k, v in STEP.items() if v == step)
    return d, max(abs(dx), abs(dy)) + 1


def parse_placement(text: str, word: str) -> tuple[int, int, str] | str:
    """(x, y, DIR) from an answer in any common notation, or the reason it cannot be read.

    Accepts `WORD DIR (x, y) @`, `WORD DIR @ (x, y)`, direction words, `x=.., y=..`, `row .. column ..`,
    and a start and an end cell instead of a direction. A different word than the hidden one is an error."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > MAX_ANSWER:
        return "the answer is too long"
    text = clean_latex(text).replace("@", " ").lower()
    text, named = re.subn(rf"(?<![a-z]){re.escape(word.lower())}(?![a-z])", " ", text, count=1)
    cells = _cells(text)
    if isinstance(cells, str):
        return cells
    without_numbers = _NUMBER.sub(" ", text)
    for p in _LABELLED.values():
        without_numbers = p.sub(" ", without_numbers)
    d, rest = _direction(without_numbers)
    if d is not None and d.startswith("?"):
        return f"several directions named ({d[1:]}); give one"
    others = [t for t in rest if len(t) >= 3 and t not in _FILLER]
    if others and not named:
        return f"the answer names the word {others[0].upper()!r}, but the word to find is {word!r}"
    x, y = cells[0]
    if len(cells) == 2:
        between = _direction_between(cells[0], cells[1])
        if between is None:
            return f"({x}, {y}) and {cells[1]} are not on one straight line in any of the 8 directions"
        d2, count = between
        if d is not None and d != d2:
            return f"the direction {d} does not lead from ({x}, {y}) to {cells[1]} (that is {d2})"
        if count != len(word):
            return f"the line from ({x}, {y}) to {cells[1]} covers {count} cells, but {word} has {len(word)} letters"
        d = d2
    if d is None:
        return "no direction found: use N, NE, E, SE, S, SW, W or NW"
    return x, y, d


def _placement_violations(rows: list[str], word: str, x: int, y: int, d: str) -> list[str]:
    n = len(rows)
    if not (1 <= x <= n and 1 <= y <= n):
        return [f"({x}, {y}) is outside the {n}x{n} grid (x and y run from 1 to {n})"]
    letters = _read(rows, x, y, d, len(word))
    if len(letters) < len(word):
        return [f"going {d} from ({x}, {y}) leaves the grid after {len(letters)} letters ({letters}); "
                f"{word} has {len(word)}"]
    if letters != word:
        return [f"going {d} from ({x}, {y}) the grid reads {letters}, not {word}"]
    return []


def _parse_grid(raw: Any) -> list[str]:
    """The official initial_state (a list of rows of single letters, or its text) as row strings."""
    if isinstance(raw, str):
        rows = [re.sub(r"[^A-Za-z]", "", part) for part in re.split(r"\]\s*,?\s*\[|\n", raw)]
        rows = [r for r in rows if r]
    elif isinstance(raw, list):
        rows = ["".join(str(c) for c in row) if isinstance(row, list) else str(row) for row in raw]
    else:
        raise RecordError(f"WordSearch: initial_state must be a grid of letters, got {type(raw).__name__}")
    rows = [r.upper() for r in rows]
    n = len(rows)
    if n < 2 or any(len(r) != n or not r.isalpha() for r in rows):
        raise RecordError("WordSearch: initial_state must be a square grid of single letters")
    return rows


@register_task
class WordSearch(Task):
    """Find the word in the letter grid; answer `WORD DIR (x, y) @`.

    Step grammar (x = column, y = row, both from 1; DIR one of N NE E SE S SW W NW):
        mark X Y DIR          mark the line of the word's length from (X, Y) going DIR
        mark X1 Y1 X2 Y2      mark the line from the start cell to the end cell
        find WORD DIR X Y     the same as mark, naming the word (any notation the answer accepts)
        read X Y DIR [N]      read N letters (default: the word's length) from (X, Y) going DIR
        clear                 remove the mark
    Marking the line where the word reads solves the puzzle; `submit` judges the marked line.
    """

    name = "WordSearch"
    key = "wordsearch"
    category = "puzzles"
    score_function = "wordsearch_evaluator"
    step_help = (
        "mark X Y DIR: mark the line of the word's length from column X, row Y (1-based, x from the left, y "
        "from the top) going DIR, one of N NE E SE S SW W NW\n"
        "mark X1 Y1 X2 Y2: mark the line from start cell (X1, Y1) to end cell (X2, Y2)\n"
        "find WORD DIR X Y: the same as mark, naming the word\n"
        "read X Y DIR [N]: read N letters (default: the word's length) from (X, Y) going DIR\n"
        "clear: remove the mark"
    )
    answer_help = "WORD DIRECTION (x, y) @, e.g. CAT SE (2, 3) @: the start of the word, x = column, y = row, from 1"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        """Uniform random filler; the word in any of the 8 directions; filler redrawn until it reads once."""
        level = self.check_level(level)
        n = SIZES[level]
        pool = _word_pool(level)
        word = pool[int(rng.integers(len(pool)))]
        d = DIRS[int(rng.integers(len(DIRS)))]
        starts = [(x, y) for y in range(1, n + 1) for x in range(1, n + 1) if _line(n, x, y, d, len(word))]
        x, y = starts[int(rng.integers(len(starts)))]
        cells = _line(n, x, y, d, len(word))
        while True:
            grid = [[LETTERS[i] for i in row] for row in rng.integers(26, size=(n, n)).tolist()]
            for (cx, cy), ch in zip(cells, word):
                grid[cy - 1][cx - 1] = ch
            rows = ["".join(r) for r in grid]
            if len(occurrences(rows, word)) == 1:
                break
        return self.puzzle(level, {"grid": rows, "word": word, "start": [x, y], "dir": d})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        data = puzzle.data
        return _answer_text(data["word"], *data["start"], data["dir"])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        """Read the line (to see the word there), then mark it."""
        (x, y), d = puzzle.data["start"], puzzle.data["dir"]
        return [f"read {x} {y} {d}", f"mark {x} {y} {d}"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        """Scan the grid in reading order for the first letter; at each, look along the 8 directions."""
        rows, word = puzzle.data["grid"], puzzle.data["word"]
        n = len(rows)
        events = [TraceEvent("read", None, f"{n}x{n} grid; the word is {word} ({len(word)} letters), starting "
                             f"with {word[0]}; scan for {word[0]} row by row")]
        found = None
        for y in range(1, n + 1):
            for x in range(1, n + 1):
                if rows[y - 1][x - 1] != word[0]:
                    continue
                tries = {d: _read(rows, x, y, d, len(word)) for d in DIRS}
                hit = next((d for d in DIRS if tries[d] == word), None)
                events.append(TraceEvent("try", None, f"{word[0]} at ({x}, {y}); the 8 directions read "
                                         + ", ".join(f"{d} {t}" for d, t in tries.items())))
                if hit:
                    found = (x, y, hit)
                    break
                best = max(DIRS, key=lambda d: _common_prefix(tries[d], word))
                events.append(TraceEvent("dead_end", None, f"no direction from ({x}, {y}) spells {word}; the "
                                         f"longest match is {tries[best][:_common_prefix(tries[best], word)]} "
                                         f"going {best}"))
                events.append(TraceEvent("backtrack", None, "continue the scan"))
            if found:
                break
        if found is None:  # cannot happen for a valid instance
            found = (*puzzle.data["start"], puzzle.data["dir"])
        x, y, d = found
        events.append(TraceEvent("deduce", f"mark {x} {y} {d}", f"going {d} from ({x}, {y}) the grid reads {word}"))
        count = len(occurrences(rows, word))
        events.append(TraceEvent("check", None, f"{word} reads {count} time{'s' if count != 1 else ''} in the grid"))
        events.append(TraceEvent("answer", _answer_text(word, x, y, d), "the word, its direction and its start"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        """Any (x, y, DIR) at which the word actually reads is correct."""
        try:
            rows, word = puzzle.data["grid"], puzzle.data["word"]
            placed = parse_placement(answer, word)
            if isinstance(placed, str):
                return Verdict.wrong(placed)
            violations = _placement_violations(rows, word, *placed)
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        parsed = list(placed)
        return Verdict.wrong(*violations, parsed=parsed) if violations else Verdict.ok(parsed)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        n = len(puzzle.data["grid"])
        x, y = (int(v) for v in rng.integers(1, n + 1, size=2))
        return _answer_text(puzzle.data["word"], x, y, DIRS[int(rng.integers(len(DIRS)))])

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        rows, word = puzzle.data["grid"], puzzle.data["word"]
        n = len(rows)
        rules = (
            "Rules: the word is hidden in the grid along a straight line of neighbouring cells. It can run in any "
            "of eight directions: N (up), S (down), E (right), W (left), NE (up and right), NW (up and left), "
            "SE (down and right) or SW (down and left), so it may read backwards, upwards or diagonally. Cells are "
            f"named (x, y): x is the column, 1 to {n} from left to right, and y is the row, 1 to {n} from top to "
            "bottom. Find where the word starts (the cell of its first letter) and the direction in which the rest "
            "of its letters follow."
        )
        fmt = ("Answer format: WORD DIRECTION (x, y) @ : the word in capitals, the direction code, the position of "
               "its first letter, then @. Example: CAT SE (2, 3) @ means C at column 2, row 3, A at (3, 4), "
               "T at (4, 5).")
        if modality == "text":
            grid = "[" + ",\n ".join(str(list(r)) for r in rows) + "]"
            state = (f"The word to find: {word}\n\nThe {n}x{n} grid as a list of rows (row y = 1 first), each row a "
                     f"list of its letters from x = 1 to x = {n}:\n{grid}")
            return f"Find the hidden word in this {n}x{n} word search.\n\n{rules}\n\n{state}\n\n{fmt}"
        state = (f"The picture shows the {n}x{n} grid of capital letters. The word to find is written above it "
                 "(after 'Find:'). Column numbers x run along the top and row numbers y down the left side.")
        return f"Find the hidden word in the word search in the picture.\n\n{rules}\n\n{state}\n\n{fmt}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        """The letter grid with 1-based coordinates, the word above it; in step mode the marked line (yellow,
        blue letters, a ring on its first cell) and the last read line (pale blue, its letters below)."""
        rows, word = puzzle.data["grid"], puzzle.data["word"]
        n = len(rows)
        canvas = draw.GridCanvas(n, n, size, margin=MARGIN, background=draw.PAPER)
        mark, read = state if state is not None else (None, None)
        marked = set()
        if read is not None:
            for cx, cy in _clipped(n, *read):
                canvas.fill(cy - 1, cx - 1, READ_TINT)
        if mark is not None:
            cells = _line(n, mark[0], mark[1], mark[2], len(word)) or []
            marked = set(cells)
            _band(canvas, cells)
        canvas.grid_lines(draw.GRID_LINE, 0.02)
        canvas.frame(draw.BLACK, 0.05)
        if marked:
            x0, y0 = mark[0], mark[1]
            canvas.circle(y0 - 1, x0 - 1, None, radius=0.42, outline=draw.ENTERED, width=max(2, canvas.cell // 14))
        for y, row in enumerate(rows):
            for x, ch in enumerate(row):
                canvas.write(y, x, ch, draw.ENTERED if (x + 1, y + 1) in marked else draw.GIVEN, scale=0.6)
        for i in range(n):
            canvas.label("top", i, str(i + 1), draw.GRID_LINE, scale=0.45, offset=0.35)
            canvas.label("left", i, str(i + 1), draw.GRID_LINE, scale=0.45, offset=0.4)
        width = canvas.image.width
        header = f"Find: {word}"
        fs = draw.fit_font_size(header, width * 0.92, canvas.cell * 0.8, int(canvas.cell * 0.7))
        draw.draw_text(canvas.draw, (width / 2, canvas.y0 - canvas.cell * 1.3), header, fs, draw.BLACK)
        if read is not None:
            x, y, d, count = read
            caption = f"read ({x}, {y}) {d}: {_read(rows, x, y, d, count)}"
            fs = draw.fit_font_size(caption, width * 0.92, canvas.cell * 0.7, int(canvas.cell * 0.5))
            draw.draw_text(canvas.draw, (width / 2, canvas.y0 + n * canvas.cell + canvas.cell * 0.5), caption, fs,
                           draw.DARK_BLUE)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple:
        return (None, None)

    def apply(self, puzzle: Puzzle, state: tuple, move: str) -> tuple:
        rows, word = puzzle.data["grid"], puzzle.data["word"]
        n = len(rows)
        text = normalize_command(move)
        verb, _, rest = text.partition(" ")
        if verb == "clear":
            if state[0] is None:
                raise InvalidMove("nothing is marked")
            return (None, state[1])
        if verb == "read":
            return (state[0], self._parse_read(n, word, rest))
        if verb in ("mark", "find", "select"):
            placed = parse_placement(rest, word)
            if isinstance(placed, str):
                raise InvalidMove(placed)
            x, y, d = placed
            if not (1 <= x <= n and 1 <= y <= n):
                raise InvalidMove(f"({x}, {y}) is outside the {n}x{n} grid")
            if _line(n, x, y, d, len(word)) is None:
                raise InvalidMove(f"a line of {len(word)} cells from ({x}, {y}) going {d} leaves the grid")
            if state[0] == (x, y, d):
                raise InvalidMove("that line is already marked")
            return ((x, y, d), state[1])
        raise InvalidMove(f"unknown command {str(move)[:40]!r}; use mark X Y DIR, read X Y DIR, or clear")

    @staticmethod
    def _parse_read(n: int, word: str, rest: str) -> tuple[int, int, str, int]:
        numbers = [int(t) for t in _NUMBER.findall(rest)]
        d, others = _direction(_NUMBER.sub(" ", rest))
        if d is None or d.startswith("?") or others or len(numbers) not in (2, 3):
            raise InvalidMove("use read X Y DIR [N], e.g. read 3 4 SE")
        x, y = numbers[0], numbers[1]
        count = numbers[2] if len(numbers) == 3 else len(word)
        if not (1 <= x <= n and 1 <= y <= n):
            raise InvalidMove(f"({x}, {y}) is outside the {n}x{n} grid")
        if not 1 <= count <= n:
            raise InvalidMove(f"read 1 to {n} letters")
        return (x, y, d, count)

    def state_text(self, puzzle: Puzzle, state: tuple) -> str:
        rows, word = puzzle.data["grid"], puzzle.data["word"]
        mark, read = state
        lines = [f"Word to find: {word}", "[" + ",\n ".join(str(list(r)) for r in rows) + "]"]
        if mark is not None:
            x, y, d = mark
            lines.append(f"Marked: from ({x}, {y}) going {d}, the line reads {_read(rows, x, y, d, len(word))}")
        else:
            lines.append("Marked: nothing")
        if read is not None:
            x, y, d, count = read
            letters = _read(rows, x, y, d, count)
            edge = f" (the grid ends after {len(letters)})" if len(letters) < count else ""
            lines.append(f"Last read: {count} letters from ({x}, {y}) going {d}: {letters}{edge}")
        return "\n".join(lines)

    def is_solved(self, puzzle: Puzzle, state: tuple) -> bool:
        mark = state[0]
        return mark is not None and not _placement_violations(puzzle.data["grid"], puzzle.data["word"], *mark)

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n, length = len(puzzle.data["grid"]), len(puzzle.data["word"])
        cells = [(x, y, d) for y in range(1, n + 1) for x in range(1, n + 1) for d in DIRS]
        marks = [f"mark {x} {y} {d}" for x, y, d in cells if _line(n, x, y, d, length)]
        return [*marks, *(f"read {x} {y} {d}" for x, y, d in cells), "clear"]

    def state_answer(self, puzzle: Puzzle, state: tuple) -> str:
        if state[0] is None:
            raise InvalidMove("nothing is marked: mark X Y DIR first")
        return _answer_text(puzzle.data["word"], *state[0])

    def conflicts(self, puzzle: Puzzle, state: tuple) -> list[str]:
        if state[0] is None:
            return []
        return _placement_violations(puzzle.data["grid"], puzzle.data["word"], *state[0])

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * len(puzzle.data["grid"]) + 20

    # ---- human play ------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        n = len(puzzle.data["grid"])
        ml, mt, mr, mb = MARGIN
        cell = max(8, int(size / max(n + ml + mr, n + mt + mb)))  # GridCanvas's geometry
        c, r = int((x - round(ml * cell)) // cell), int((y - round(mt * cell)) // cell)
        return (r, c) if 0 <= r < n and 0 <= c < n else None

    def cell_command(self, puzzle: Puzzle, state: tuple, cell: tuple[int, int], key: str) -> str | None:
        """On a selected cell, a compass key marks the word from there: arrows, or q w e / a d / z x c."""
        d = _KEY_DIRS.get(str(key).lower())
        r, c = cell
        if d is None or _line(len(puzzle.data["grid"]), c + 1, r + 1, d, len(puzzle.data["word"])) is None:
            return None
        return f"mark {c + 1} {r + 1} {d}"

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        rows = puzzle.data["grid"]
        answer = self.solve(puzzle)
        return self.base_record(puzzle, index=f"wordsearch_{len(rows)}_{puzzle.fingerprint}", answer=answer,
                                initial_state=[list(r) for r in rows], step_count=len(answer.split()))

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        if "initial_state" not in record:
            raise RecordError("WordSearch: the record has no initial_state grid")
        rows = _parse_grid(record["initial_state"])
        answer = record.get("answer")
        m = re.match(r"\s*([A-Za-z]+)", answer) if isinstance(answer, str) else None
        if m is None:
            raise RecordError("WordSearch: the record's answer does not name the word")
        word = m.group(1).upper()
        placed = parse_placement(answer, word)
        if isinstance(placed, str) or _placement_violations(rows, word, *placed):
            found = occurrences(rows, word)
            if not found:
                raise RecordError(f"WordSearch: {word} does not occur in the grid")
            placed = found[0]
        x, y, d = placed
        return self.puzzle(self.record_level(record), {"grid": rows, "word": word, "start": [x, y], "dir": d},
                           seed=self.record_seed(record))


_KEY_DIRS = {"up": "N", "down": "S", "left": "W", "right": "E", "w": "N", "x": "S", "a": "W", "d": "E",
             "q": "NW", "e": "NE", "z": "SW", "c": "SE"}


def _band(canvas: draw.GridCanvas, cells: list[tuple[int, int]]) -> None:
    """A rounded highlighter stroke over the cells (x, y) of a marked line, as one circles a found word."""
    if not cells:
        return
    (ax, ay), (bx, by) = canvas.center(cells[0][1] - 1, cells[0][0] - 1), canvas.center(cells[-1][1] - 1,
                                                                                       cells[-1][0] - 1)
    half = canvas.cell * 0.4
    canvas.draw.line((round(ax), round(ay), round(bx), round(by)), fill=draw.HIGHLIGHT, width=round(2 * half))
    for cx, cy in ((ax, ay), (bx, by)):
        canvas.draw.ellipse((round(cx - half), round(cy - half), round(cx + half), round(cy + half)),
                            fill=draw.HIGHLIGHT)


def _common_prefix(a: str, b: str) -> int:
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k


def _clipped(n: int, x: int, y: int, d: str, count: int) -> list[tuple[int, int]]:
    dx, dy = STEP[d]
    cells = [(x + k * dx, y + k * dy) for k in range(count)]
    return [(cx, cy) for cx, cy in cells if 1 <= cx <= n and 1 <= cy <= n]
