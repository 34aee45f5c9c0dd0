"""Fixed-shape numeric encodings of step-mode positions, built only from the Task contract.

`CharGridEncoder` turns a task's `state_text` into a one-hot character grid. It is fitted once per (task,
level) on sample positions (initial positions and short random walks, `sample_state_texts`) so that its
shape never changes during training.

Which lines it keeps (`lines=`):

- `"auto"` (default) looks for the board in the text, in this order:
  1. a *fixed block*: the largest run of >= 2 consecutive line indices whose lines have one common length
     in every sample (a maze's character grid, Nibbles' H/S/A/. rows, the Minesweeper grid, the rows of the
     15-puzzle);
  2. a *rectangle run*: a line index where, in every sample, a run of >= 3 equal-length lines starts; the
     size may differ per instance (Sokoban maps), so each text's run is cut out and placed top-left;
  3. every line (Hanoi's peg lists, whose lines change length with the position).
- `"all"`: every line; a `slice`: those lines.

The grid is (rows, cols) = the largest seen in the samples, padded with all-zero cells; what a later
position writes beyond it is cut. Channels: the characters seen in the samples, plus one for any other
character. Nothing here imports a task module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helix_gym.core.task import Task

LineSpec = str | slice
MIN_RUN = 3  # lines a "rectangle run" must have in every sample


def sample_state_texts(task: Task, level: int, puzzles: int = 16, walk: int = 12, seed: int = 0) -> list[str]:
    """`state_text` of the initial positions of `puzzles` instances of `level` and of the positions along a
    random walk of up to `walk` legal commands from each (the shapes a training run will meet)."""
    rng = np.random.default_rng(seed)
    texts = []
    for i in range(puzzles):
        puzzle = task.generate_seeded(int(seed) * 1_000_003 + i, level)
        state = task.initial_state(puzzle)
        texts.append(task.state_text(puzzle, state))
        for _ in range(walk):
            legal = task.moves(puzzle, state)
            options = list(legal) if legal is not None else list(task.move_space(puzzle))
            if not options or task.is_solved(puzzle, state):
                break
            try:
                state = task.apply(puzzle, state, options[int(rng.integers(len(options)))])
            except Exception:  # an illegal pick from move_space: try another next time
                continue
            texts.append(task.state_text(puzzle, state))
    return texts


def board_block(texts: Sequence[str]) -> slice | None:
    """The largest (by characters) run of >= 2 consecutive line indices whose lines share one length in
    every text; None when there is none."""
    split = [t.split("\n") for t in texts]
    depth = min(len(lines) for lines in split)
    widths: list[int | None] = []  # a line index's length when it is the same in every text
    for i in range(depth):
        lengths = {len(lines[i]) for lines in split}
        widths.append(lengths.pop() if len(lengths) == 1 else None)
    best: tuple[int, int, int] | None = None  # (area, start, stop)
    start = 0
    while start < depth:
        stop = start + 1
        if widths[start]:
            while stop < depth and widths[stop] == widths[start]:
                stop += 1
            area = (stop - start) * widths[start]
            if stop - start >= 2 and (best is None or area > best[0]):
                best = (area, start, stop)
        start = stop
    return slice(best[1], best[2]) if best else None


def _run(lines: list[str], start: int) -> list[str]:
    """The lines from `start` on while they keep the length of the first (an empty first line: none)."""
    if start >= len(lines) or not lines[start]:
        return []
    width = len(lines[start])
    stop = start + 1
    while stop < len(lines) and len(lines[stop]) == width:
        stop += 1
    return lines[start:stop]


def rectangle_start(texts: Sequence[str]) -> int | None:
    """The first line index where every text has a run of >= MIN_RUN equal-length lines; None if none."""
    split = [t.split("\n") for t in texts]
    depth = min(len(lines) for lines in split)
    for start in range(depth):
        if all(len(_run(lines, start)) >= MIN_RUN for lines in split):
            return start
    return None


@dataclass(frozen=True)
class CharGridEncoder:
    """One-hot character grid of shape (rows, cols, len(vocab) + 1), float32 in {0, 1}.

    `lines` picks the lines of `state_text`; with `run=True`, only the equal-length run that starts at
    `lines.start` (a board whose size varies by instance)."""

    lines: slice
    rows: int
    cols: int
    vocab: str
    run: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {ch: i for i, ch in enumerate(self.vocab)})

    @classmethod
    def fit(cls, texts: Sequence[str], lines: LineSpec = "auto") -> CharGridEncoder:
        if not texts:
            raise ValueError("CharGridEncoder.fit needs at least one sample text")
        run = False
        if isinstance(lines, slice):
            chosen = lines
        elif lines == "auto":
            chosen = board_block(texts)
            if chosen is None:
                start = rectangle_start(texts)
                chosen, run = (slice(start, None), True) if start is not None else (slice(None), False)
        elif lines == "all":
            chosen = slice(None)
        else:
            raise ValueError(f"lines must be 'auto', 'all' or a slice, got {lines!r}")
        probe = cls(chosen, 1, 1, "", run)
        kept = [probe.select(t) for t in texts]
        rows = max(1, max(len(k) for k in kept))
        cols = max(1, max((len(line) for k in kept for line in k), default=1))
        vocab = "".join(sorted({ch for k in kept for line in k for ch in line}))
        return cls(chosen, rows, cols, vocab, run)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.rows, self.cols, len(self.vocab) + 1)

    def select(self, text: str) -> list[str]:
        """The lines of `text` this encoder reads (before cutting to rows x cols)."""
        lines = text.split("\n")
        if self.run:
            return _run(lines, self.lines.start or 0)
        return lines[self.lines]

    def codes(self, text: str) -> np.ndarray:
        """Channel index per cell (rows, cols); -1 where a line ends early or is missing."""
        out = np.full((self.rows, self.cols), -1, dtype=np.int64)
        other = len(self.vocab)
        for r, line in enumerate(self.select(text)[: self.rows]):
            line = line[: self.cols]
            if line:
                out[r, : len(line)] = [self._index.get(ch, other) for ch in line]
        return out

    def encode(self, text: str) -> np.ndarray:
        codes = self.codes(text)
        grid = np.zeros(self.shape, dtype=np.float32)
        r, c = np.nonzero(codes >= 0)
        grid[r, c, codes[r, c]] = 1.0
        return grid

    def describe(self) -> dict[str, Any]:
        return {"lines": [self.lines.start, self.lines.stop], "run": self.run, "shape": list(self.shape),
                "vocab": self.vocab}
