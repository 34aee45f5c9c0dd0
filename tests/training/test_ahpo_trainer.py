"""The trainer end to end on CPU with a tiny random model and a local tokenizer (configs/smoke.yaml): every algo
trains, the gate turns the expert NLL on for an all-fail group and off for an all-success one, grpo never
builds expert rows, sampled log-probs match the trainer's, and the command line writes metrics and a model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from training.ahpo.__main__ import main  # noqa: E402
from training.ahpo.config import load_config  # noqa: E402
from training.ahpo.data import generate_items  # noqa: E402
from training.ahpo.reward import Score, constant_reward  # noqa: E402
from training.ahpo.trainer import Trainer  # noqa: E402

SMOKE = Path(__file__).resolve().parents[2] / "configs" / "smoke.yaml"
TASKS = ["CountHillsAndValleys", "HIndex"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models on a shared CPU run several times faster on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def serg_items():
    """Expert traces as SERG writes them (the rule-based skeleton: 2-3k tokens with this tokenizer)."""
    return generate_items(TASKS, [1], per_task=2, seed=0, expert="skeleton")


@pytest.fixture(scope="module")
def items():
    """Short expert traces (the answer template), to keep the other tests fast."""
    return generate_items(TASKS, [1], per_task=2, seed=0, expert="answer",
                          answer_template="<think>\n</think>\n\nFinal Answer: \\boxed{{{answer}}}")


def trainer(items, tmp_path, algo="ahpo", reward_fn=None, **overrides) -> Trainer:
    sets = [f"algo={algo}", f"out_dir={tmp_path / algo}", *(f"{k}={v}" for k, v in overrides.items())]
    return Trainer(load_config(SMOKE, sets), items=items, reward_fn=reward_fn)


def params(model):
    return [p.detach().clone() for p in model.parameters()]


def changed(before, model):
    return any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_serg_expert_traces_train_and_pass_the_verifier(serg_items, items, tmp_path):
    assert len(serg_items) == 4 and {it.task for it in serg_items} == set(TASKS)
    assert [it.uid for it in serg_items] == [it.uid for it in items]
    assert all(it.expert.startswith("<think>") and "\\boxed{" in it.expert for it in serg_items)
    t = trainer(serg_items, tmp_path, "luffy")
    m = t.step()
    assert m["off_reward_mean"] == 1.0  # verified traces, well formed: full reward as LUFFY's off-policy rows
    assert m["expert_rows"] == 2 and math.isfinite(m["loss"]) and m["grad_norm"] > 0


@pytest.mark.parametrize("algo", ["grpo", "ahpo", "static_ahpo", "luffy", "sft"])
def test_every_algo_trains(items, tmp_path, algo):
    t = trainer(items, tmp_path, algo, reward_fn=constant_reward(0.0) if algo == "grpo" else None)
    if algo == "grpo":  # with constant rewards GRPO has no signal: give it one
        t.reward_fn = lambda item, text: Score(float(len(text) % 2), float(len(text) % 2), 1.0)
    before = params(t.model)
    history = [t.step(), t.step()]
    for m in history:
        assert math.isfinite(m["loss"]) and 0.0 <= m["xi_rate"] <= 1.0
        assert m["updates"] == 1 and m["grad_norm"] > 0
    assert changed(before, t.model)
    if algo not in ("sft", "luffy"):
        assert history[0]["on_rows"] == 6 and "reward_mean" in history[0] and "response_len_mean" in history[0]
    if algo == "grpo":
        assert t.expert_rows_built == 0 and t.experts_tokenised == 0
    if algo == "luffy":  # 2 on-policy rollouts + 1 expert per prompt (group 3, n_off 1)
        assert history[0]["on_rows"] == 4 and history[0]["expert_rows"] == 2


def test_all_fail_group_turns_the_expert_nll_on(items, tmp_path):
    t = trainer(items, tmp_path, "ahpo", reward_fn=constant_reward(0.0))
    m = t.step()
    assert m["xi_rate"] == 1.0 and m["expert_rows"] == 2
    assert m["pg_loss"] == 0.0 and m["nll"] > 0 and m["grad_norm"] > 0  # the gradient is the expert NLL's


def test_all_success_group_turns_it_off(items, tmp_path):
    t = trainer(items, tmp_path, "ahpo", reward_fn=constant_reward(1.0))
    m = t.step()
    assert m["xi_rate"] == 0.0 and m["expert_rows"] == 0 and m["off_loss"] == 0.0
    assert m["grad_norm"] == 0.0  # equal rewards: zero advantages, and no expert rows
    s = trainer(items, tmp_path, "static_ahpo", reward_fn=constant_reward(1.0)).step()
    assert s["xi_rate"] == 1.0 and s["expert_rows"] == 2 and s["grad_norm"] > 0


def test_grpo_never_builds_expert_rows_even_when_all_fail(items, tmp_path):
    t = trainer(items, tmp_path, "grpo", reward_fn=constant_reward(0.0))
    m = t.step()
    assert m["expert_rows"] == 0 and m["xi_rate"] == 0.0 and m["grad_norm"] == 0.0
    assert t.expert_rows_built == 0 and t.experts_tokenised == 0


def test_gate_is_per_prompt_and_sampled_logprobs_match(items, tmp_path):
    t = trainer(items, tmp_path, "ahpo", reward_fn=lambda item, text: constant_reward(
        1.0 if item.task == "HIndex" else 0.0)(item, text))
    chosen = [items[0], items[2]]
    assert [it.task for it in chosen] == TASKS
    collected = t.collect(chosen)
    experts = [r for r in collected.rows if r.kind == "expert"]
    assert [r.group for r in experts] == [0] and collected.metrics["xi_rate"] == 0.5
    assert experts[0].response[-1] == t.tokenizer.eos_token_id
    on = [r for r in collected.rows if r.kind == "on"]
    assert all(len(r.response) == len(r.sample_logp) for r in on)
    m = t.update(collected.rows, len(chosen))
    assert m["sampler_logp_diff"] < 1e-4  # the trainer's forward pass reproduces the sampler's log-probs


def test_several_updates_per_batch_and_kl(items, tmp_path):
    t = trainer(items, tmp_path, "ahpo", ppo_mini_batch_prompts=1, ppo_epochs=2, kl_coef=0.05,
                micro_batch_rows=2, loss_norm="separate", entropy_coef=0.001)
    m = t.step()
    assert m["updates"] == 4 and math.isfinite(m["loss"]) and "kl" in m and m["entropy"] > 0


def test_command_line_and_sft_then_grpo(tmp_path):
    sft_out, grpo_out = tmp_path / "sft", tmp_path / "grpo"
    assert main(["--config", str(SMOKE), "--set", "algo=sft", "--set", "tensorboard=true", "--steps", "1", "--out",
                 str(sft_out), "--quiet"]) == 0
    lines = (sft_out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["algo"] == "sft"
    assert (sft_out / "final" / "config.json").exists() and (sft_out / "config.json").exists()
    assert main(["--config", str(SMOKE), "--set", "algo=grpo", "--set", f"model.name_or_path={sft_out / 'final'}",
                 "--set", "model.tiny=null", "--steps", "1", "--out", str(grpo_out), "--quiet"]) == 0
    m = json.loads((grpo_out / "metrics.jsonl").read_text().splitlines()[0])
    assert m["algo"] == "grpo" and m["expert_rows"] == 0 and math.isfinite(m["loss"])
    # the reloaded tiny tokenizer splits text exactly as the one that trained (not as Qwen2's own would)
    from training.ahpo import tiny
    from training.ahpo.trainer import build_model

    _, reloaded = build_model(load_config(SMOKE, [f"model.name_or_path={grpo_out / 'final'}", "model.tiny=null"]))
    text = "<|im_start|>user\nCount The Hills: [4, 5]\n\\boxed{1}<|im_end|>\n"
    assert reloaded(text)["input_ids"] == tiny.tokenizer()(text)["input_ids"]


def test_config_errors_are_loud(tmp_path):
    with pytest.raises(KeyError, match=r"optim\.lrr"):
        load_config(SMOKE, ["optim.lrr=1"])
    with pytest.raises(ValueError, match="algo"):
        load_config(SMOKE, ["algo=ppo"])
    child = tmp_path / "child.json"
    child.write_text(json.dumps({"extends": str(SMOKE), "algo": "luffy", "luffy": {"gamma": 0.2}}))
    cfg = load_config(child)
    assert cfg.algo == "luffy" and cfg.luffy.gamma == 0.2 and cfg.luffy.n_off == 1 and cfg.group_size == 3


def test_vision_language_model_on_pictures(items, tmp_path):
    """A tiny Qwen2.5-VL on image observations: pictures go through the processor into generation and the loss."""
    try:
        t = trainer(items, tmp_path, "ahpo", reward_fn=constant_reward(0.0), **{
            "model.tiny.vision": "true", "data.modality": "image", "data.image_size": 56})
    except ImportError as exc:  # transformers without the torchvision-free Qwen2-VL image processor
        pytest.skip(f"no torchvision-free Qwen2-VL image processor: {exc}")
    before = params(t.model)
    m = t.step()
    prompt = next(iter(t._prompts.values()))
    assert prompt.n_images == 1 and prompt.vision["image_grid_thw"].tolist() == [[1, 4, 4]]
    assert m["xi_rate"] == 1.0 and m["expert_rows"] == 2 and math.isfinite(m["loss"]) and changed(before, t.model)
