"""H-Index (MM-HELIX `HIndex`): the largest h such that at least h papers have at least h citations each.

The record holds `initial_state = {"citations": [...]}` (one count per paper, zero allowed) and h as a string.

Step mode (spec A6.8): the player builds a witness set S of papers.
- `select I` / `deselect I` (I a paper number, 0-based; also `unselect I`);
- `submit`: legal only when every selected paper has at least |S| citations (otherwise it is refused and the
  papers that fall short are named); it answers |S|, which is right iff |S| is the h-index;
- `answer H` judges a number alone.
Feedback "conflicts" names the selected papers with fewer than |S| citations. The spec's `check` query is
left out: the env has no channel for a command that reports without changing the position, and `submit` plus
feedback "conflicts" already say whether the witness is valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart
from helix_gym.core.errors import InvalidMove
from helix_gym.core.parse import normalize_command, parse_number, shown_number
from helix_gym.core.records import int_list_from_record
from helix_gym.core.registry import register_task
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

# level -> (fewest papers, most papers, most citations) (spec A3/A6 ladder)
LADDER: dict[int, tuple[int, int, int]] = {1: (5, 10, 20), 2: (10, 20, 40), 3: (20, 30, 60), 4: (30, 40, 80),
                                           5: (40, 70, 100)}
MAX_ANSWER_CHARS = 20_000
BAR: draw.Color = (102, 102, 102)
BAR_EDGE: draw.Color = (60, 60, 60)
SELECTED_FILL: draw.Color = (120, 165, 235)

_SELECT = re.compile(r"^(select|pick|choose|deselect|unselect|drop) (?:paper |bar |#)?(\d+)$")
_ADDS = ("select", "pick", "choose")


@lru_cache(maxsize=256)
def ranking(citations: tuple[int, ...]) -> tuple[int, ...]:
    """Paper numbers from most to least cited (ties by paper number)."""
    return tuple(sorted(range(len(citations)), key=lambda i: (-citations[i], i)))


def h_index(citations: Sequence[int]) -> int:
    """The largest h with at least h papers cited at least h times: the last rank r whose paper has >= r."""
    cites = tuple(citations)
    h = 0
    for rank, paper in enumerate(ranking(cites), start=1):
        if cites[paper] < rank:
            break
        h = rank
    return h


def selection_text(selected: Sequence[int]) -> str:
    if not selected:
        return "selected papers: none"
    return f"selected papers: {', '.join(map(str, selected))} ({len(selected)} in all)"


def short_of(citations: Sequence[int], selected: Sequence[int]) -> list[str]:
    """The selected papers with fewer citations than the number of papers selected."""
    k = len(selected)
    return [f"paper {i} has {citations[i]} citations, fewer than the {k} papers selected" for i in selected
            if citations[i] < k]


def layout(citations: Sequence[int], size: int) -> SeriesChart:
    """Bars apart, two caption lines (the title and the step-mode selection count)."""
    return SeriesChart(citations, size, gap=0.18, captions=2)


@register_task
class HIndex(Task):
    """The h-index of a researcher from a bar chart of citations per paper.

    Step grammar (plus the env's undo / restart / submit / answer H):
      select I     add paper I (0-based) to the witness set S
      deselect I   remove paper I from S
      submit       legal when every paper in S has at least |S| citations; answers |S|
    """

    name = "HIndex"
    key = "HIndex"
    category = "algorithms"
    score_function = "simple_str_match"
    step_help = (
        "select I: add paper I (0-based) to the selected set\n"
        "deselect I: remove paper I from the selected set\n"
        "submit: answer the size of the selected set as the h-index; allowed only when every selected paper has "
        "at least as many citations as there are selected papers"
    )
    answer_help = "one whole number: the h-index"
    key_commands: ClassVar[dict[str, str]] = {}

    # ---- instances -------------------------------------------------------------------------------------
    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        level = self.check_level(level)
        fewest, most, top = LADDER[level]
        n = int(rng.integers(fewest, most + 1))
        if level <= 2:  # built around a chosen h: h papers at h or more, the rest below h (zeros included)
            h = int(rng.integers(3, min(7, n) + 1))
            cites = ([int(x) for x in rng.integers(h, top + 1, size=h)]
                     + [int(x) for x in rng.integers(0, h, size=n - h)])
            cites = [cites[i] for i in rng.permutation(n)]
        else:  # uniform counts, a few papers raised to the top 30 percent
            cites = [int(x) for x in rng.integers(1, top + 1, size=n)]
            raised = rng.choice(n, size=int(rng.integers(2, n // 3 + 1)), replace=False)
            for i in raised:
                cites[int(i)] = int(rng.integers(int(0.7 * top), top + 1))
        return self.puzzle(level, {"citations": cites})

    # ---- solving ---------------------------------------------------------------------------------------
    def solve(self, puzzle: Puzzle) -> str:
        return str(h_index(puzzle.data["citations"]))

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        cites = tuple(puzzle.data["citations"])
        return [f"select {i}" for i in ranking(cites)[:h_index(cites)]] + ["submit"]

    def solve_trace(self, puzzle: Puzzle) -> list[TraceEvent]:
        cites = tuple(puzzle.data["citations"])
        order = ranking(cites)
        events = [TraceEvent("read", note=(
            f"{len(cites)} papers with citation counts {list(cites)}. The h-index is the largest h such that h "
            "papers have at least h citations each: rank the papers by citations and walk down the ranking."),
            state_text=self.state_text(puzzle, ()))]
        events.append(TraceEvent("deduce", note=(
            "Ranked from most to least cited: " + ", ".join(f"{cites[i]} (paper {i})" for i in order)
            + ". The paper at rank r is the least cited of the top r, so h >= r exactly when it has at least r.")))
        chosen: list[int] = []
        for rank, paper in enumerate(order, start=1):
            if cites[paper] < rank:
                events.append(TraceEvent("deduce", note=(
                    f"Rank {rank}: paper {paper} has {cites[paper]} < {rank} citations, and every later paper has "
                    f"no more, so fewer than {rank} papers have {rank} or more citations. Stop.")))
                break
            chosen.append(paper)
            events.append(TraceEvent("deduce", move=f"select {paper}", note=(
                f"Rank {rank}: paper {paper} has {cites[paper]} >= {rank} citations, so the top {rank} papers all "
                f"have at least {rank}: h >= {rank}."), state_text=self.state_text(puzzle, tuple(sorted(chosen)))))
        else:
            events.append(TraceEvent("deduce", note=f"All {len(cites)} papers pass; h cannot exceed the number of "
                                                     "papers."))
        h = len(chosen)
        bound = (f"there are only {h} papers" if h == len(cites) else
                 f"at most {h} papers have {h + 1} or more citations")
        events.append(TraceEvent("check", note=(
            f"The {h} selected papers each have at least {h} citations, and {bound}, so h cannot be larger.")))
        events.append(TraceEvent("answer", move=str(h), note="the h-index"))
        return events

    # ---- judging ---------------------------------------------------------------------------------------
    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        try:
            text = str(answer)
            if len(text) > MAX_ANSWER_CHARS:
                return Verdict.wrong("the answer is too long; expected one whole number")
            return self._judge(tuple(puzzle.data["citations"]), parse_number(text))
        except Exception:  # never raise on model text
            return Verdict.wrong("expected exactly one whole number, the h-index")

    @staticmethod
    def _judge(cites: tuple[int, ...], value: Fraction | None) -> Verdict:
        """One number against the definition; the message names the broken condition, never h itself."""
        if value is None:
            return Verdict.wrong("expected exactly one number: the h-index")
        if value.denominator != 1:
            shown = shown_number(value)
            return Verdict.wrong(f"{shown} is not a whole number, but the h-index counts papers", parsed=shown)
        v, n = int(value), len(cites)
        if v < 0:
            return Verdict.wrong(f"{v} is negative, but the h-index counts papers", parsed=v)
        if v > n:
            return Verdict.wrong(f"{v} is too large: there are only {n} papers", parsed=v)
        h = h_index(cites)
        if v == h:
            return Verdict.ok(parsed=v)
        if v > h:
            return Verdict.wrong(f"fewer than {v} papers have at least {v} citations each, so h = {v} fails the "
                                 "definition", parsed=v)
        return Verdict.wrong(f"{v} is not the largest such value: at least {v + 1} papers have at least {v + 1} "
                             "citations each", parsed=v)

    def random_answer(self, puzzle: Puzzle, rng: np.random.Generator) -> str:
        return str(int(rng.integers(0, len(puzzle.data["citations"]) + 1)))

    # ---- presentation ----------------------------------------------------------------------------------
    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        cites = puzzle.data["citations"]
        rules = (
            "A researcher's h-index is the largest whole number h such that at least h of their papers have been "
            "cited at least h times each (it is 0 when no paper has been cited)."
        )
        if modality == "image":
            state = (
                f"The picture charts the researcher's {len(cites)} papers, one bar each (long charts wrap onto more "
                "rows): the citation count is written above each bar, the paper's number (from 0) below it."
            )
        else:
            state = (f"The researcher has {len(cites)} papers. Their citation counts, listed in paper order (paper 0 "
                     f"first, paper {len(cites) - 1} last), are: {json.dumps({'citations': cites})}")
        ask = "What is the researcher's h-index? Answer with a single whole number."
        return f"{rules}\n{state}\n{ask}"

    def render(self, puzzle: Puzzle, state: tuple[int, ...] | None = None, size: int = 512) -> Image.Image:
        chart = layout(puzzle.data["citations"], size)
        image, pen = chart.canvas()
        chosen = state or ()
        width = max(1, round(size / 256))
        chart.caption(pen, 0, "citations per paper (paper number below each bar)")
        chart.axes(pen, width=width)
        chart.bars(pen, BAR, BAR_EDGE, fills=dict.fromkeys(chosen, SELECTED_FILL), width=width)
        chart.value_labels(pen, colors=dict.fromkeys(chosen, draw.ENTERED))
        chart.index_labels(pen)
        if state is not None:
            chart.caption(pen, 1, f"selected: {len(chosen)} paper{'' if len(chosen) == 1 else 's'}", draw.ENTERED)
        return image

    # ---- step mode -------------------------------------------------------------------------------------
    def initial_state(self, puzzle: Puzzle) -> tuple[int, ...]:
        return ()

    def apply(self, puzzle: Puzzle, state: tuple[int, ...], move: str) -> tuple[int, ...]:
        command = normalize_command(move)
        n = len(puzzle.data["citations"])
        match = _SELECT.match(command)
        if match is None:
            raise InvalidMove(f"unknown command {str(move)[:60]!r}; use `select I`, `deselect I` (I a paper 0 to "
                              f"{n - 1}) or `submit`")
        i = int(match.group(2))
        if i >= n:
            raise InvalidMove(f"there is no paper {i}; the papers are numbered 0 to {n - 1}")
        if match.group(1) in _ADDS:
            if i in state:
                raise InvalidMove(f"paper {i} is already selected")
            return tuple(sorted((*state, i)))
        if i not in state:
            raise InvalidMove(f"paper {i} is not selected")
        return tuple(j for j in state if j != i)

    def state_text(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        return f"{json.dumps({'citations': puzzle.data['citations']})}\n{selection_text(state)}"

    def is_solved(self, puzzle: Puzzle, state: tuple[int, ...]) -> bool:
        return False  # only `submit` ends: ending by itself would tell that the set is large enough

    def moves(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        chosen = set(state)
        out = [f"deselect {i}" if i in chosen else f"select {i}" for i in range(len(puzzle.data["citations"]))]
        return out + ([] if short_of(puzzle.data["citations"], state) else ["submit"])

    def move_space(self, puzzle: Puzzle) -> list[str]:
        n = len(puzzle.data["citations"])
        return [f"select {i}" for i in range(n)] + [f"deselect {i}" for i in range(n)] + ["submit"]

    def state_answer(self, puzzle: Puzzle, state: tuple[int, ...]) -> str:
        short = short_of(puzzle.data["citations"], state)
        if short:
            raise InvalidMove("the selected papers do not witness an h of " + str(len(state)) + ": " + "; ".join(short))
        return str(len(state))

    def conflicts(self, puzzle: Puzzle, state: tuple[int, ...]) -> list[str]:
        return short_of(puzzle.data["citations"], state)

    def step_budget(self, puzzle: Puzzle) -> int:
        return 2 * len(puzzle.data["citations"]) + 20  # from the size only: a budget from h would tell it

    # ---- human play --------------------------------------------------------------------------------------
    def cell_at(self, puzzle: Puzzle, x: float, y: float, size: int = 512) -> tuple[int, int] | None:
        i = layout(puzzle.data["citations"], size).index_at(x, y)
        return None if i is None else (0, i)

    def cell_command(self, puzzle: Puzzle, state: tuple[int, ...], cell: tuple[int, int], key: str) -> str | None:
        """On a selected bar: s or space toggles the paper in and out of the set."""
        if key.lower() in ("s", "space", " "):
            return f"{'deselect' if cell[1] in state else 'select'} {cell[1]}"
        return None

    # ---- records ---------------------------------------------------------------------------------------
    def to_record(self, puzzle: Puzzle) -> dict[str, Any]:
        return self.base_record(puzzle, index=f"{self.key}_difficulty{puzzle.level}_{puzzle.fingerprint}",
                                answer=self.solve(puzzle), difficulty=puzzle.level,
                                initial_state={"citations": list(puzzle.data["citations"])})

    def from_record(self, record: dict[str, Any]) -> Puzzle:
        cites = int_list_from_record(record, "citations", self.name)
        return self.puzzle(self.record_level(record), {"citations": cites}, seed=self.record_seed(record))
