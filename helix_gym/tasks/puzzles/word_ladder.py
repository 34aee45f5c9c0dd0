"""WordLadder (MM-HELIX key `WordLadder`): turn the start word into the target word one letter at a time.

Every rung must be an English word of the same length that differs from the rung before in exactly one
position, no word may repeat, and the ladder may take at most `max_steps` steps (steps = words - 1). The judging
dictionary (helix_gym/core/words.py) holds all of web2, the list behind NLTK's `words` corpus that the official
generator and judge use, so official ladders are accepted; our generator draws start, target and its own ladder
from the common list only.

Levels follow the official ladder (word length; step range), and for our instances the range is a true one:
the shortest ladder through *common* words has between min_steps and max_steps steps, and no ladder through
*any* dictionary word is shorter than min_steps (the official generator searched a randomly thinned graph, so
shorter ladders could exist). The verifier asks only for the upper bound, the condition the prompt states.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.errors import InvalidMove, RecordError
from helix_gym.core.parse import clean_latex, normalize_command
from helix_gym.core.records import decode_value
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict
from helix_gym.core.words import ALPHABET, common_words, dictionary_words, distances, is_word, neighbours

LADDER = {1: (3, 3, 5), 2: (4, 4, 6), 3: (4, 5, 7), 4: (5, 6, 8), 5: (5, 7, 10)}  # length, min, max steps
MAX_ANSWER = 5000
TRACE_TRIES = 120  # the depth-first trace gives up (and reports the breadth-first ladder) after this many tries
MARGIN = (1.9, 1.4, 0.4, 0.3)  # left: rung labels; top: the title
START_TINT = (226, 232, 240)
GOAL_TINT = (210, 240, 215)
EMPTY_LINE = (200, 200, 200)

_WORD = re.compile(r"[A-Za-z]+")
_LABEL = re.compile(r"(?i)\b(?:step|rung|word|move|line)\s*#?\d+\b|\b[A-Za-z]+\s*:(?!:)")  # `Step 2`, `Start:`
_COMMAND = re.compile(r"^(?:(word|next|add|go|play|use)\s+)?([a-z]+)$")
_CHANGE = re.compile(r"^change\s+(\d+)\s+(?:to\s+)?([a-z])$")


def _steps_allowed(level: int) -> tuple[int, int, int]:
    return LADDER.get(level, LADDER[min(max(level, 1), 5)])


def _letters(n: int) -> str:
    return f"{n} letter" if n == 1 else f"{n} letters"


def _diff(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


@cache
def _starts(length: int) -> tuple[str, ...]:
    """Common words with at least one common neighbour (others cannot start a ladder)."""
    return tuple(w for w in common_words(length) if neighbours(w, True))


def _bfs_path(start: str, target: str, common: bool, max_steps: int) -> list[str] | None:
    """A shortest ladder (alphabetical tie-break) within max_steps, through common words or the dictionary."""
    parents = {start: ""}
    frontier = [start]
    for _ in range(max_steps):
        nxt = []
        for w in frontier:
            for v in neighbours(w, common):
                if v not in parents:
                    parents[v] = w
                    nxt.append(v)
        if target in parents:
            path = [target]
            while parents[path[-1]]:
                path.append(parents[path[-1]])
            return path[::-1]
        frontier = nxt
    return None


def _ladder_violations(data: dict[str, Any], ladder: list[str]) -> list[str]:
    """Every broken rule of a complete ladder, in words (empty when it is valid)."""
    start, target, top = data["start"], data["target"], data["max_steps"]
    if len(ladder) < 2:
        return [f"a ladder needs at least the start word {start!r} and the target word {target!r}"]
    out = []
    if ladder[0] != start:
        out.append(f"the ladder must begin with {start!r}, not {ladder[0]!r}")
    if ladder[-1] != target:
        out.append(f"the ladder must end with {target!r}, not {ladder[-1]!r}")
    seen: set[str] = set()
    for i, w in enumerate(ladder):
        if len(w) != len(start):
            out.append(f"{w!r} has {len(w)} letters; every word needs {len(start)}")
        elif 0 < i < len(ladder) - 1 and not is_word(w):
            out.append(f"{w!r} is not in the dictionary")
        if w in seen:
            out.append(f"{w!r} is used twice")
        seen.add(w)
        if i and len(w) == len(ladder[i - 1]) and _diff(w, ladder[i - 1]) != 1:
            out.append(f"{ladder[i - 1]!r} -> {w!r} changes {_diff(w, ladder[i - 1])} letters; exactly one may change")
    if len(ladder) - 1 > top:
        out.append(f"the ladder takes {len(ladder) - 1} steps; at most {top} are allowed")
    return out[:12]


def parse_ladder(text: str, start: str, target: str) -> list[str] | str:
    """The words of a ladder in any common notation (arrows, JSON list, commas, lines, numbered steps).

    Labels and prose around the ladder are dropped: the ladder runs from the first mention of the start word to
    the last mention of the target word when both are present."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > MAX_ANSWER:
        return "the answer is too long"
    words = [w.lower() for w in _WORD.findall(_LABEL.sub(" ", clean_latex(text).replace("\\", " ")))]
    if start in words and target in words:
        first = words.index(start)
        last = len(words) - 1 - words[::-1].index(target)
        if first < last:
            words = words[first:last + 1]
    if not words:
        return "no words found: write the ladder as words joined by ->"
    return words


@register_task
class WordLadder(Task):
    """Change the start word into the target word one letter at a time, every rung a word; answer `a -> b -> c`.

    Step grammar (one rung per step; `undo` takes the last rung back):
        word WORD        add WORD as the next rung (also `next WORD` or the bare word)
        change I L       change letter I (1 = leftmost) of the last rung to L
    A rung must be a dictionary word, differ from the last rung in exactly one letter, and not be used yet; a
    ladder may take at most max_steps steps. Reaching the target word solves the puzzle.
    """

    name = "WordLadder"
    key = "WordLadder"
    category = "puzzles"
    score_function = "wordladder_evaluator"
    step_help = (
        "word WORD: add WORD as the next rung (it must be a dictionary word differing from the last rung in "
        "exactly one letter, not used before); `next WORD` or the bare word also work\n"
        "change I L: change letter I (1 = leftmost) of the last rung to the letter L"
    )
    answer_help = "the whole ladder from the start word to the target word, words joined by ->, e.g. cat -> cot -> dot"

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        """A random common start; a target whose common-word distance is in the level's range and whose
        dictionary distance is at least its minimum; the stored ladder is a shortest common-word one."""
        level = self.check_level(level)
        length, low, high = LADDER[level]
        pool = _starts(length)
        while True:
            start = pool[int(rng.integers(len(pool)))]
            reach = distances(start, high, common=True)
            near = distances(start, low - 1, common=False)  # every word a shorter ladder could reach
            by_steps: dict[int, list[str]] = {}
            for w, d in reach.items():
                if d >= low and w not in near:
                    by_steps.setdefault(d, []).append(w)
            if by_steps:
                break
        steps = sorted(by_steps)[int(rng.integers(len(by_steps)))]
        options = sorted(by_steps[steps])
        target = options[int(rng.integers(len(options)))]
        solution = _bfs_path(start, target, True, high)
        return self.puzzle(level, {"start": start, "target": target, "min_steps": low, "max_steps": high,
                                   "solution": solution})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return " -> ".join(puzzle.data["solution"])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return [f"word {w}" for w in puzzle.data["solution"][1:]]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        """Depth-first search over common words, closest-to-target rungs first, never beyond max_steps; rungs
        from which the target cannot be reached in the steps left are pruned (a dead end when none is left)."""
        data = puzzle.data
        start, target, top = data["start"], data["target"], data["max_steps"]
        events = [TraceEvent("read", None, f"ladder from {start!r} to {target!r} in at most {top} steps; "
                             f"{_letters(_diff(start, target))} differ", self._ladder_text([start]))]
        ladder = self._trace_search(data, events)
        if ladder is None:  # the search gave up: take the breadth-first ladder
            ladder = list(data["solution"])
            events.append(TraceEvent("deduce", None, "too many branches; a breadth-first search over the word graph "
                                     f"finds {' -> '.join(ladder)}", self._ladder_text(ladder)))
        answer = " -> ".join(ladder)
        problems = _ladder_violations(data, ladder)
        events.append(TraceEvent("check", None, "; ".join(problems) if problems else
                                 f"{len(ladder) - 1} steps, each a word one letter from the one before, no repeats"))
        events.append(TraceEvent("answer", answer, "the whole ladder"))
        return events

    def _trace_search(self, data: dict[str, Any], events: list[TraceEvent]) -> list[str] | None:
        start, target, top = data["start"], data["target"], data["max_steps"]
        common = _bfs_path(start, target, True, top) is not None  # else search the whole dictionary
        ladder = [start]
        best_depth = {start: 0}
        options = [self._children(ladder, target, top, common, best_depth)]
        tries = 0
        while ladder[-1] != target:
            if tries > TRACE_TRIES:
                return None
            if not options[-1]:
                if len(ladder) == 1:
                    return None
                events.append(TraceEvent("dead_end", None, f"no unused word one letter from {ladder[-1]!r} can still "
                                         f"reach {target!r} within {top} steps"))
                ladder.pop()
                options.pop()
                events.append(TraceEvent("backtrack", "undo", f"back to {ladder[-1]!r}", self._ladder_text(ladder)))
                continue
            w = options[-1].pop(0)
            tries += 1
            ladder.append(w)
            best_depth[w] = len(ladder) - 1
            events.append(TraceEvent("try", f"word {w}", f"{ladder[-2]!r} -> {w!r}: {_letters(_diff(w, target))} from "
                                     f"{target!r}", self._ladder_text(ladder)))
            options.append(self._children(ladder, target, top, common, best_depth))
        return ladder

    @staticmethod
    def _children(ladder: list[str], target: str, top: int, common: bool, best_depth: dict[str, int]) -> list[str]:
        """Next rungs worth trying: unused, reachable in time, not already reached in as few steps."""
        g = len(ladder)
        found = [v for v in neighbours(ladder[-1], common) if v not in ladder and g + _diff(v, target) <= top
                 and best_depth.get(v, top + 1) > g]
        if target in found:
            return [target]
        return sorted(found, key=lambda v: (_diff(v, target), v))

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        """Any ladder that keeps the rules and the step limit is correct, not only the stored one."""
        try:
            data = puzzle.data
            ladder = parse_ladder(answer, data["start"], data["target"])
            if isinstance(ladder, str):
                return Verdict.wrong(ladder)
            violations = _ladder_violations(data, ladder)
        except Exception as exc:  # the verifier never raises on model text
            return Verdict.wrong(f"unreadable answer ({type(exc).__name__})")
        return Verdict.wrong(*violations, parsed=ladder) if violations else Verdict.ok(ladder)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        """A random walk of dictionary words from the start, then the target."""
        data = puzzle.data
        ladder = [data["start"]]
        for _ in range(int(rng.integers(1, data["max_steps"]))):
            options = [w for w in neighbours(ladder[-1]) if w not in ladder]
            if not options:
                break
            ladder.append(options[int(rng.integers(len(options)))])
        return " -> ".join([*ladder, data["target"]])

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        data = puzzle.data
        n, top = len(data["start"]), data["max_steps"]
        rules = (
            f"Rules: build a word ladder from the start word to the target word. Each step changes exactly one "
            f"letter of the previous word, keeping the other letters in place, and every word on the ladder must be "
            f"an English word of {n} letters. No word may appear twice. The ladder may take at most {top} steps "
            f"(a ladder of k steps has k + 1 words, the start and the target included)."
        )
        fmt = ("Answer format: the whole ladder in lower case, from the start word to the target word, words joined "
               "by ->, for example: cold -> cord -> card -> ward -> warm")
        if modality == "text":
            fields = json.dumps({"start_word": data["start"], "target_word": data["target"]})
            state = (f"Start word: {data['start']}\nTarget word: {data['target']}\n"
                     f"Word length: {n} letters. Steps allowed: at most {top}.\n"
                     f"The same as data (the official fields): {fields}")
            return f"Solve this word ladder puzzle.\n\n{rules}\n\n{state}\n\n{fmt}"
        state = ("The picture shows the start word (top row), the target word (bottom row, goal) and a numbered "
                 "empty row per word you may add.")
        return f"Solve the word ladder in the picture.\n\n{rules}\n\n{state}\n\n{fmt}"

    def render(self, puzzle: Puzzle, state: tuple | None = None, size: int = 512) -> Image.Image:
        """One row of letter boxes per rung: start on top, the goal at the bottom, the player's rungs between
        (blue letters, the changed letter highlighted), empty rows for the steps still free."""
        data = puzzle.data
        start, target, top = data["start"], data["target"], data["max_steps"]
        n = len(start)
        ladder = list(state) if state is not None else [start]
        canvas = draw.GridCanvas(top + 1, n, size, margin=MARGIN, background=draw.PAPER, board=draw.PAPER)
        for c in range(n):
            canvas.fill(0, c, START_TINT)
            canvas.fill(top, c, GOAL_TINT)
        for r, w in enumerate(ladder[1:], 1):
            for c in range(n):
                canvas.fill(r, c, draw.HIGHLIGHT if w[c] != ladder[r - 1][c] else draw.WHITE)
        for r in range(top + 1):
            filled = r == 0 or r == top or r < len(ladder)
            for c in range(n):
                x0, y0, x1, y1 = canvas.cell_box(r, c, inset=max(1, canvas.cell // 14))
                canvas.draw.rectangle((x0, y0, x1, y1), outline=draw.GRID_LINE if filled else EMPTY_LINE,
                                      width=max(1, canvas.cell // 20))
        for c, ch in enumerate(start.upper()):
            canvas.write(0, c, ch, draw.GIVEN)
        for c, ch in enumerate(target.upper()):
            canvas.write(top, c, ch, draw.GIVEN)
        for r, w in enumerate(ladder[1:], 1):
            for c, ch in enumerate(w.upper()):
                canvas.write(r, c, ch, draw.ENTERED)
        for r in range(top + 1):
            text = "start" if r == 0 else "goal" if r == top else str(r)
            canvas.label("left", r, text, draw.GRID_LINE, scale=0.42, offset=0.85)
        title = f"Word ladder: at most {top} steps"
        width = canvas.image.width
        fs = draw.fit_font_size(title, width * 0.94, canvas.cell * 0.7, int(canvas.cell * 0.55))
        draw.draw_text(canvas.draw, (width / 2, canvas.y0 - canvas.cell * 0.75), title, fs, draw.BLACK)
        return canvas.image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[str, ...]:
        return (puzzle.data["start"],)

    def apply(self, puzzle: Puzzle, state: tuple[str, ...], move: str) -> tuple[str, ...]:
        data = puzzle.data
        target, top = data["target"], data["max_steps"]
        word = self._parse_move(state[-1], move)
        if state[-1] == target:
            raise InvalidMove(f"the ladder already reaches {target!r}")
        if len(word) != len(target):
            raise InvalidMove(f"{word!r} has {len(word)} letters; every word needs {len(target)}")
        if _diff(word, state[-1]) != 1:
            raise InvalidMove(f"{word!r} differs from {state[-1]!r} in {_diff(word, state[-1])} letters, not one")
        if word in state:
            raise InvalidMove(f"{word!r} is already on the ladder")
        if word != target and not is_word(word):
            raise InvalidMove(f"{word!r} is not in the dictionary")
        if len(state) > top:
            raise InvalidMove(f"the ladder already takes {top} steps, the most allowed; undo a rung")
        if len(state) == top and word != target:
            raise InvalidMove(f"step {top} is the last one allowed and must reach {target!r}")
        return (*state, word)

    @staticmethod
    def _parse_move(last: str, move: str) -> str:
        text = normalize_command(move)
        m = _CHANGE.match(text)
        if m:
            i = int(m.group(1))
            if not 1 <= i <= len(last):
                raise InvalidMove(f"letter positions run from 1 to {len(last)}")
            return last[:i - 1] + m.group(2) + last[i:]
        m = _COMMAND.match(text)
        if not m or m.group(2) == "change":
            raise InvalidMove("use `word WORD` (the next rung) or `change I L` (letter I of the last rung to L)")
        return m.group(2)

    def state_text(self, puzzle: Puzzle, state: tuple[str, ...]) -> str:
        data = puzzle.data
        head = json.dumps({"start_word": data["start"], "target_word": data["target"], "ladder": list(state)})
        return f"{head}\n{self._ladder_text(list(state))}\nSteps used: {len(state) - 1} of at most {data['max_steps']}"

    @staticmethod
    def _ladder_text(ladder: list[str]) -> str:
        return "Ladder so far: " + " -> ".join(ladder)

    def is_solved(self, puzzle: Puzzle, state: tuple[str, ...]) -> bool:
        return state[-1] == puzzle.data["target"]

    def moves(self, puzzle: Puzzle, state: tuple[str, ...]) -> list[str]:
        data = puzzle.data
        target, top, last = data["target"], data["max_steps"], state[-1]
        if last == target or len(state) > top:
            return []
        options = set(neighbours(last))
        if _diff(last, target) == 1:
            options.add(target)
        if len(state) == top:
            options &= {target}
        return [f"word {w}" for w in sorted(options - set(state))]

    def move_space(self, puzzle: Puzzle) -> list[str]:
        data = puzzle.data
        n = len(data["start"])
        words = dict.fromkeys([*dictionary_words(n), *data["solution"], data["target"]])
        return [*(f"word {w}" for w in words), *(f"change {i} {ch}" for i in range(1, n + 1) for ch in ALPHABET)]

    def state_answer(self, puzzle: Puzzle, state: tuple[str, ...]) -> str:
        if state[-1] != puzzle.data["target"]:
            raise InvalidMove(f"the ladder does not reach {puzzle.data['target']!r} yet")
        return " -> ".join(state)

    def conflicts(self, puzzle: Puzzle, state: tuple[str, ...]) -> list[str]:
        """What the position already rules out: the target is further away (in letters) than steps are left."""
        data = puzzle.data
        left = data["max_steps"] - (len(state) - 1)
        gap = _diff(state[-1], data["target"])
        if gap > left:
            return [f"{data['target']!r} is {gap} letters away but only {left} steps are left"]
        return []

    def potential(self, puzzle: Puzzle, state: tuple[str, ...]) -> float:
        """-(letters still to change) / word length: 0 once the target is reached."""
        return -_diff(state[-1], puzzle.data["target"]) / len(puzzle.data["target"])

    def step_budget(self, puzzle: Puzzle) -> int:
        return 3 * puzzle.data["max_steps"] + 20

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        data = puzzle.data
        initial = {"solution": list(data["solution"]), "start_word": data["start"], "target_word": data["target"]}
        return self.base_record(puzzle, index=f"WordLadder_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level, initial_state=initial)

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        initial = decode_value(record.get("initial_state"))
        if not isinstance(initial, dict) or not {"start_word", "target_word"} <= set(initial):
            raise RecordError("WordLadder: initial_state needs start_word and target_word")
        start, target = str(initial["start_word"]).lower(), str(initial["target_word"]).lower()
        if len(start) != len(target) or not (start.isalpha() and target.isalpha()):
            raise RecordError(f"WordLadder: {start!r} and {target!r} are not two words of one length")
        level = self.record_level(record)
        _, low, high = _steps_allowed(level)
        solution = initial.get("solution")
        if not isinstance(solution, list):
            solution = parse_ladder(str(record.get("answer", "")), start, target)
        solution = [str(w).lower() for w in solution] if isinstance(solution, list) else []
        data = {"start": start, "target": target, "min_steps": low, "max_steps": high, "solution": solution}
        if _ladder_violations(data, solution):
            found = _bfs_path(start, target, False, high)
            if found is None:
                raise RecordError(f"WordLadder: no ladder from {start!r} to {target!r} within {high} steps")
            data["solution"] = found
        return self.puzzle(level, data, seed=self.record_seed(record))
