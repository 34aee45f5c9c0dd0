"""Shared fixtures: the registry drives the generic tests, so every task added later is covered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import helix_gym

TASK_NAMES = helix_gym.task_names()
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "mmhelix-records.jsonl"


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
