"""The CPU toy run where learning is visible (configs/toy.yaml): minutes, so marked slow (pytest -m slow).

A tiny random model on two level-1 text tasks with one-number answers; AHPO's mean reward must climb well above
where it starts (about 0.3 after 60 steps in our runs, from 0) and above the format-only level GRPO reaches."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from training.ahpo.config import load_config  # noqa: E402
from training.ahpo.trainer import Trainer  # noqa: E402

TOY = Path(__file__).resolve().parents[2] / "configs" / "toy.yaml"


@pytest.mark.slow
def test_ahpo_reward_rises_on_the_toy_run(tmp_path):
    trainer = Trainer(load_config(TOY, ["algo=ahpo", "steps=60", f"out_dir={tmp_path}"]))
    history = trainer.train()
    first = sum(m["reward_mean"] for m in history[:10]) / 10
    last = sum(m["reward_mean"] for m in history[-10:]) / 10
    assert first < 0.05 and last > 0.15, (first, last)
    assert sum(m["xi_rate"] for m in history[-10:]) / 10 < 1.0  # the gate starts to let go
