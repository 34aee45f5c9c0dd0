"""Shared fixtures: the registry drives the generic tests, so every task added later is covered."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import helix_gym
from helix_gym.core.errors import InvalidMove

TASK_NAMES = helix_gym.task_names()
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "mmhelix-records.jsonl"


# Official answers that break the rules: (key, index) -> reason.
KNOWN_BAD_OFFICIAL: dict[tuple[str, str], str] = {
    ("eulero", "eulero_6_1795586332_7b1054c9"): "6x6 Graeco-Latin squares do not exist: the answer leaves 10 cells "
    "blank and repeats the pairs B1, B2, C3, D5, D6 and F4",
    ("tapa", "tapa_5_1795586368"): "the reference shading's black cells are disconnected (2 groups); the puzzle "
    "has no valid shading at all",
}


def official_rows() -> list[dict]:
    """The official MM-HELIX sample records (read at test time; never copied into the project)."""
    if not SAMPLES.exists():
        return []
    with SAMPLES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def samples() -> list[dict]:
    rows = official_rows()
    if not rows:
        pytest.skip(f"official samples not found at {SAMPLES}")
    return rows


def assert_refused(task: Any, puzzle: Any, move: str, state: Any = None) -> InvalidMove:
    """`task.apply` refuses `move` with InvalidMove and leaves the state (the initial one unless given) as it
    was; returns the error so a test can look at its reason."""
    state = task.initial_state(puzzle) if state is None else state
    before = copy.deepcopy(state)
    with pytest.raises(InvalidMove) as info:
        task.apply(puzzle, state, move)
    assert state == before
    return info.value
