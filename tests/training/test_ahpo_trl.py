"""AHPO inside TRL's GRPOTrainer on CPU with a tiny random model (the engine path used at scale): the gate and the
expert rows work through TRL's batching, grpo never builds an expert row, LUFFY trains, parameters change."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("trl")
pytest.importorskip("datasets")

from training.ahpo.config import load_config  # noqa: E402
from training.ahpo.data import generate_items  # noqa: E402
from training.ahpo.reward import Score, constant_reward  # noqa: E402

SMOKE = Path(__file__).resolve().parents[2] / "configs" / "smoke.yaml"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def items():
    return generate_items(["CountHillsAndValleys", "HIndex"], [1], per_task=2, seed=0, expert="answer",
                          answer_template="<think>\n</think>\n\nFinal Answer: \\boxed{{{answer}}}")


def run(items, tmp_path, algo, reward, steps=2):
    from training.ahpo.trl import build_trainer

    cfg = load_config(SMOKE, [f"algo={algo}", "engine=trl", f"out_dir={tmp_path / algo}", f"steps={steps}",
                              "trl.per_device_train_batch_size=6", "rollout.max_new_tokens=8"])
    trainer = build_trainer(cfg, items=items, reward=reward)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    moved = any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))
    logs = [h for h in trainer.state.log_history if "loss" in h]
    return trainer, logs, moved


def test_ahpo_on_trl_gates_the_expert_on_for_an_all_fail_batch(items, tmp_path):
    trainer, logs, moved = run(items, tmp_path, "ahpo", constant_reward(0.0))
    assert [h["xi_rate"] for h in trainer.ahpo_history] == [1.0, 1.0]
    assert trainer.expert_rows_built == 4 and trainer.expert_forwards == 2  # 2 prompts (6 rows / 3) per step
    assert all(math.isfinite(h["loss"]) and h["ahpo/nll"] > 0 and h["ahpo/pg_loss"] == 0 for h in logs)
    assert moved


def test_ahpo_on_trl_gates_it_off_for_an_all_success_batch(items, tmp_path):
    trainer, logs, _ = run(items, tmp_path, "ahpo", constant_reward(1.0), steps=1)
    assert trainer.ahpo_history[0]["xi_rate"] == 0.0 and trainer.expert_rows_built == 0
    assert logs[0]["ahpo/off_loss"] == 0.0 and logs[0]["grad_norm"] == 0.0


def test_grpo_on_trl_builds_no_expert_rows(items, tmp_path):
    def parity(item, text):
        value = float(len(text) % 2)
        return Score(value, value, 1.0)

    trainer, logs, moved = run(items, tmp_path, "grpo", parity)
    assert trainer.expert_rows_built == 0 and trainer.expert_forwards == 0
    assert all(math.isfinite(h["loss"]) for h in logs) and moved


def test_luffy_on_trl(items, tmp_path):
    trainer, logs, moved = run(items, tmp_path, "luffy", constant_reward(0.0), steps=1)
    # group 3 = 2 rollouts + 1 expert: 6 rows are 3 prompts, each with its expert in the group
    assert trainer.num_generations == 2 and trainer.expert_rows_built == 3
    assert math.isfinite(logs[0]["loss"]) and logs[0]["ahpo/off_loss"] < 0 and moved  # experts: positive advantage


def test_vision_language_model_through_trl(items, tmp_path):
    """Pictures go through TRL's processor path and into the expert rows' forward pass (pixel rows selected)."""
    from training.ahpo.trl import build_trainer

    cfg = load_config(SMOKE, ["algo=ahpo", "engine=trl", f"out_dir={tmp_path / 'vl'}", "steps=1",
                              "trl.per_device_train_batch_size=6", "rollout.max_new_tokens=8",
                              "model.tiny.vision=true", "data.modality=image", "data.image_size=56"])
    try:
        trainer = build_trainer(cfg, items=items, reward=constant_reward(0.0))
    except ImportError as exc:
        pytest.skip(f"no torchvision-free Qwen2-VL image processor: {exc}")
    assert "images" in trainer.train_dataset.column_names
    trainer.train()
    log = next(h for h in trainer.state.log_history if "loss" in h)
    assert trainer.expert_forwards == 1 and log["ahpo/xi_rate"] == 1.0 and math.isfinite(log["loss"])


def test_the_8_gpu_config_maps_to_the_paper_settings():
    from training.ahpo.trl import grpo_config

    path = SMOKE.parent / "qwen25vl7b_8gpu.yaml"
    cfg = load_config(path)
    t = cfg.trl
    assert cfg.engine == "trl" and cfg.model.name_or_path == "Qwen/Qwen2.5-VL-7B-Instruct" and t.use_vllm
    assert t.per_device_train_batch_size * 8 * t.gradient_accumulation_steps == 128 * 5  # 128 prompts x 5 per step
    args = grpo_config(load_config(path, ["trl.bf16=false", "trl.use_vllm=false", "model.device=cpu",
                                          "trl.report_to=[none]"]))
    assert (args.num_generations, args.max_completion_length, args.beta, args.epsilon, args.epsilon_high) == \
        (5, 8192, 0.0, 0.2, 0.2)
    assert args.learning_rate == 1e-6 and args.loss_type == "dapo" and args.num_iterations == 1
    assert args.steps_per_generation == args.gradient_accumulation_steps == 10
