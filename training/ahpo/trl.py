"""AHPO on TRL's GRPOTrainer: the engine for runs past one machine (accelerate with DeepSpeed ZeRO or FSDP,
generation in vLLM colocated or served), with the same tensor functions as our own loop.

    accelerate launch --config_file configs/accelerate/zero3.yaml -m training.ahpo --config configs/qwen25vl7b_8gpu.yaml

What TRL does: sampling (transformers or vLLM, with weight sync), reward calls, old/reference log-probs, data
sharding, micro-batching, optimizer, checkpoints, logging. What `AHPOGRPOTrainer` adds:

- `_generate_and_score_completions`: after the parent, recompute the group advantages with
  `advantages.group_advantages` (LUFFY: `mixed_group_advantages`, the expert in the group) over the gathered
  rewards, compute the gate xi per prompt with `gate.xi_gate`, and attach the tokenised expert trace to the first
  row of each gated group (`expert_ids`, `expert_mask`, `expert_xi`, `expert_adv`: per-row tensors, so TRL's
  shuffling and splitting keep them with their prompt), plus the global active-token counts for the normaliser;
- `_compute_loss`: the on-policy log-probs as TRL computes them, the expert rows' log-probs through the same
  `_get_per_token_logps_and_entropies` (vision inputs included), then `losses.ahpo_loss` / `losses.luffy_loss`
  with TRL's DAPO-style global token normaliser (so `joint` is Eq. 5 over every active token of the rollout batch,
  across processes and accumulation steps). Every rank runs the expert forward pass, with a zero-weight row when
  it holds no expert, so ZeRO-3/FSDP collectives stay in step.

Differences from our own loop: TRL samples a fixed `num_generations` per prompt, so LUFFY prompts without an expert
get `group_size - n_off` rollouts too; LUFFY's expert reward is taken as 1.0 (SERG keeps only verified, well
formed traces) instead of being re-scored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import torch
from trl import GRPOConfig, GRPOTrainer

from training.ahpo.advantages import group_advantages, mixed_group_advantages, success_mask
from training.ahpo.config import TrainConfig
from training.ahpo.data import Item, PromptBuilder, load_items
from training.ahpo.gate import xi_gate
from training.ahpo.losses import ahpo_loss, kl_k3, luffy_loss
from training.ahpo.reward import EnvReward

EXPERT = "expert"


@dataclass
class AHPOSettings:
    algo: str = "ahpo"
    r_hat: int = 2
    success_value: float = 1.0
    xi_scope: str = "group"
    loss_norm: str = "joint"
    clip: bool = True
    adv_std_norm: bool = True
    luffy_gamma: float = 0.1
    luffy_std_norm: bool = False
    luffy_clip_on: bool = True
    luffy_expert_reward: float = 1.0
    drop_expert_longer_than: int = 8192

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> AHPOSettings:
        return cls(algo=cfg.algo, r_hat=cfg.r_hat, success_value=cfg.success_value, xi_scope=cfg.xi_scope,
                   loss_norm=cfg.loss_norm, clip=cfg.clip, adv_std_norm=cfg.adv_std_norm, luffy_gamma=cfg.luffy.gamma,
                   luffy_std_norm=cfg.luffy.std_norm, luffy_clip_on=cfg.luffy.clip_on,
                   drop_expert_longer_than=cfg.data.drop_expert_longer_than)

    @property
    def uses_expert(self) -> bool:
        return self.algo in ("ahpo", "static_ahpo", "luffy")

    @property
    def gate_mode(self) -> str:
        return {"ahpo": "adaptive", "static_ahpo": "static"}.get(self.algo, "off")


def _select_vision(inputs: dict[str, Any], rows: list[int]) -> dict[str, Any]:
    """The pictures (pixel_values, image_grid_thw, num_images) of some rows of a micro-batch (Qwen-VL layout)."""
    pv, thw, num = inputs.get("pixel_values"), inputs.get("image_grid_thw"), inputs.get("num_images")
    if pv is None or thw is None or num is None:
        return {}
    per_image = thw.prod(-1).tolist()
    img_start = [0]
    for n in num:
        img_start.append(img_start[-1] + n)
    pix_start = [0]
    for n in per_image:
        pix_start.append(pix_start[-1] + n)
    pieces, grids, counts = [], [], []
    for r in rows:
        i0, i1 = img_start[r], img_start[r + 1]
        pieces.append(pv[pix_start[i0]:pix_start[i1]])
        grids.append(thw[i0:i1])
        counts.append(i1 - i0)
    return {"pixel_values": torch.cat(pieces), "image_grid_thw": torch.cat(grids), "num_images": counts}


class AHPOGRPOTrainer(GRPOTrainer):
    """GRPOTrainer whose advantages, gate and loss are the AHPO functions (algo in grpo, ahpo, static_ahpo, luffy).

    The dataset needs an `expert` column (the trace text, "" where there is none) for the hybrid algos."""

    def __init__(self, *args: Any, ahpo: AHPOSettings | None = None, **kwargs: Any) -> None:
        self.ahpo = ahpo or AHPOSettings()
        self.expert_rows_built = 0
        self.expert_forwards = 0
        self.ahpo_history: list[dict[str, float]] = []
        self._expert_cache: dict[str, list[int] | None] = {}
        self._rewards_per_func: torch.Tensor | None = None
        super().__init__(*args, **kwargs)

    # ---- rollout side ---------------------------------------------------------------------------------------
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        out = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._rewards_per_func = out  # gathered over processes, (global rows, reward funcs)
        return out

    def _expert_ids(self, text: str | None) -> list[int] | None:
        if not text:
            return None
        if text not in self._expert_cache:
            ids = [*self._tokenizer(text, add_special_tokens=False)["input_ids"], self._tokenizer.eos_token_id]
            self._expert_cache[text] = ids if len(ids) <= self.ahpo.drop_expert_longer_than else None
        return self._expert_cache[text]

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return output
        s = self.ahpo
        device = self.accelerator.device
        g = self.num_generations
        rewards = (self._rewards_per_func * self.reward_weights.to(device).unsqueeze(0)).nansum(dim=1).float().cpu()
        n_local = len(inputs)
        start = self.accelerator.process_index * n_local
        groups = torch.arange(len(rewards)) // g
        n_groups = len(rewards) // g
        index = torch.arange(n_groups)

        local = [self._expert_ids(x.get(EXPERT)) if s.uses_expert and (start + j) % g == 0 else None
                 for j, x in enumerate(inputs)]
        flags = torch.tensor([ids is not None for ids in local], dtype=torch.float32, device=device)
        has_expert = (self.accelerator.gather(flags).cpu().view(n_groups, g)[:, 0] > 0)

        expert_adv = torch.zeros(len(rewards))
        if s.algo == "luffy":
            off_groups = torch.nonzero(has_expert).flatten()
            off_rewards = torch.full((len(off_groups),), s.luffy_expert_reward)
            adv, adv_off = mixed_group_advantages(rewards, groups, off_rewards, off_groups, std_norm=s.luffy_std_norm)
            expert_adv[off_groups * g] = adv_off
            xi = has_expert.float()
        else:
            adv = group_advantages(rewards, groups, std_norm=s.adv_std_norm)
            xi = xi_gate(rewards, groups, index, has_expert, mode=s.gate_mode, r_hat=s.r_hat,
                         success_value=s.success_value, scope=s.xi_scope)
        output["advantages"] = adv[start:start + n_local].to(device)

        carriers = [ids if ids is not None and xi[(start + j) // g] > 0 else None for j, ids in enumerate(local)]
        width = max([len(ids) for ids in carriers if ids is not None] or [1])
        ids_t = torch.full((n_local, width), self._tokenizer.pad_token_id, dtype=torch.long)
        mask_t = torch.zeros((n_local, width), dtype=torch.long)
        for j, ids in enumerate(carriers):
            if ids is not None:
                ids_t[j, :len(ids)] = torch.tensor(ids)
                mask_t[j, :len(ids)] = 1
        rows_here = sum(ids is not None for ids in carriers)
        self.expert_rows_built += rows_here
        if s.uses_expert:
            output["expert_ids"] = ids_t.to(device)
            output["expert_mask"] = mask_t.to(device)
            output["expert_xi"] = torch.tensor([1.0 if c is not None else 0.0 for c in carriers], device=device)
            output["expert_adv"] = expert_adv[start:start + n_local].to(device)
            totals = torch.tensor([float(mask_t.sum()), float(rows_here)], device=device)
            totals = self.accelerator.gather(totals.unsqueeze(0)).sum(0)
            output["expert_tokens_total"], output["experts_total"] = totals[0], totals[1]

        n_exp = int(has_expert.sum())
        record = {"xi_rate": float(xi[has_expert].mean()) if n_exp and s.algo != "grpo" else 0.0,
                  "success_rate": float(success_mask(rewards, s.success_value).float().mean()),
                  "reward_mean": float(rewards.mean()), "expert_rows": float(xi.sum()) if s.uses_expert else 0.0,
                  "prompts_with_expert": float(n_exp)}
        self.ahpo_history.append(record)
        for key, value in record.items():
            self._metrics["train"][f"ahpo/{key}"].append(value)
        return output

    # ---- loss side -----------------------------------------------------------------------------------------
    def _compute_loss(self, model, inputs):
        if not model.training or ("expert_ids" not in inputs and self.ahpo.algo != "grpo"):
            return super()._compute_loss(model, inputs)
        s = self.ahpo
        prompt_ids, prompt_mask = inputs["prompt_ids"], inputs["prompt_mask"]
        completion_ids, completion_mask = inputs["completion_ids"], inputs["completion_mask"]
        mask = completion_mask if "tool_mask" not in inputs else completion_mask * inputs["tool_mask"]
        vision = {k: inputs.get(k) for k in ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask",
                                              "spatial_shapes", "num_tiles", "image_sizes", "token_type_ids",
                                              "mm_token_type_ids", "image_position_ids")}
        logp, entropies, _ = self._get_per_token_logps_and_entropies(
            model, torch.cat([prompt_ids, completion_ids], 1), torch.cat([prompt_mask, completion_mask], 1),
            completion_ids.size(1), compute_entropy=True, **vision)
        old = inputs.get("old_per_token_logps")
        old = logp.detach() if old is None else old
        is_w = inputs.get("importance_sampling_ratio") if self.use_vllm and self.vllm_importance_sampling_correction \
            else None
        factor = self.current_gradient_accumulation_steps / (self.args.steps_per_generation *
                                                             self.accelerator.num_processes)
        on_total = inputs["num_items_in_batch"].float() * factor
        adv = inputs["advantages"]

        logp_exp = exp_mask = exp_rows = None
        if s.uses_expert:
            exp_mask_all = inputs["expert_mask"]
            exp_rows = torch.nonzero(exp_mask_all.sum(-1) > 0).flatten().tolist() or [0]  # ranks stay in step
            exp_ids = inputs["expert_ids"][exp_rows]
            exp_mask = exp_mask_all[exp_rows]
            ev = _select_vision(inputs, exp_rows)
            for key in ("token_type_ids", "mm_token_type_ids"):
                if inputs.get(key) is not None:
                    head = inputs[key][exp_rows, :prompt_ids.size(1)]
                    ev[key] = torch.cat([head, head.new_zeros(exp_ids.shape)], 1)
            logp_exp, _, _ = self._get_per_token_logps_and_entropies(
                model, torch.cat([prompt_ids[exp_rows], exp_ids], 1), torch.cat([prompt_mask[exp_rows], exp_mask], 1),
                exp_ids.size(1), **ev)
            self.expert_forwards += 1
            exp_total = inputs["expert_tokens_total"].float() * factor
            z = on_total + exp_total
        else:
            z = on_total
        if s.algo == "luffy":
            parts = luffy_loss(logp, old, adv, mask, logp_exp, inputs["expert_adv"][exp_rows], exp_mask,
                               gamma=s.luffy_gamma, clip_low=self.epsilon_low, clip_high=self.epsilon_high,
                               clip=s.luffy_clip_on, total_tokens=z, is_weights=is_w)
        else:
            xi_rows = inputs["expert_xi"][exp_rows] if exp_rows is not None else None
            parts = ahpo_loss(logp, old, adv, mask, logp_exp, exp_mask, xi_rows, clip_low=self.epsilon_low,
                              clip_high=self.epsilon_high, clip=s.clip, norm=s.loss_norm, total_tokens=z,
                              total_on_tokens=on_total,
                              total_experts=inputs["experts_total"].float() * factor if s.uses_expert else None,
                              is_weights=is_w)
        loss = parts.loss
        if self.beta != 0.0:
            kl = (kl_k3(logp, inputs["ref_per_token_logps"]) * mask).sum() / on_total.clamp(min=1e-8)
            loss = loss + self.beta * kl
            self._metrics["train"]["kl"].append(float(kl.detach()))
        m = self._metrics["train"]
        m["ahpo/pg_loss"].append(float(parts.pg))
        m["ahpo/off_loss"].append(float(parts.off))
        m["ahpo/nll"].append(float(parts.extra["nll"]))
        m["clip_ratio/region_mean"].append(float(parts.clip_frac))
        m["entropy"].append(float((entropies.detach() * mask).sum() / mask.sum().clamp(min=1)))
        return loss


# ---- building a trainer from our config ------------------------------------------------------------------
def reward_function(reward: EnvReward) -> Any:
    """A TRL reward function over the dataset's `task` and `puzzle` columns: the env verifier plus format."""

    def helix_reward(prompts, completions, task, puzzle, **kwargs):
        out = []
        for c, t, p in zip(completions, task, puzzle):
            text = c[-1]["content"] if isinstance(c, list) else c
            if isinstance(text, list):  # structured content
                text = "".join(part.get("text", "") for part in text)
            out.append(reward(SimpleNamespace(task=t, puzzle=p), text).reward)
        return out

    return helix_reward


def build_dataset(items: list[Item], builder: PromptBuilder) -> Any:
    """A `datasets.Dataset` of conversational prompts built from env observations (agents' message building),
    with the columns the reward and the gate need: task, puzzle, expert (and image for pictures)."""
    import datasets
    from PIL import Image

    from agents.llm.messages import images_of, to_hf

    rows = []
    for it in items:
        messages = builder.messages(it)
        template, _ = to_hf(messages, builder.multimodal)
        row = {"prompt": template, "task": it.task, "puzzle": it.puzzle, EXPERT: it.expert or ""}
        if builder.multimodal:
            row["images"] = [Image.fromarray(a) for m in messages for a in images_of(m)]
        rows.append(row)
    return datasets.Dataset.from_list(rows)


def grpo_config(cfg: TrainConfig) -> GRPOConfig:
    t, o, r = cfg.trl, cfg.optim, cfg.rollout
    n_gen = cfg.group_size - (cfg.luffy.n_off if cfg.algo == "luffy" else 0)
    kwargs: dict[str, Any] = dict(
        output_dir=cfg.out_dir, seed=cfg.seed, max_steps=cfg.steps, learning_rate=o.lr, weight_decay=o.weight_decay,
        max_grad_norm=o.grad_clip, lr_scheduler_type=o.schedule, warmup_steps=o.warmup_ratio, adam_beta1=o.betas[0],
        adam_beta2=o.betas[1], adam_epsilon=o.eps, num_generations=n_gen,
        per_device_train_batch_size=t.per_device_train_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps, max_completion_length=r.max_new_tokens,
        temperature=r.temperature, top_p=r.top_p, top_k=0, repetition_penalty=1.0, beta=cfg.kl_coef,
        epsilon=cfg.clip_low, epsilon_high=cfg.clip_high, loss_type="dapo",
        scale_rewards="group" if cfg.adv_std_norm else "none", num_iterations=cfg.ppo_epochs,
        mask_truncated_completions=False, use_vllm=t.use_vllm, bf16=t.bf16, logging_steps=t.logging_steps,
        save_strategy="steps" if t.save_steps else "no", report_to=list(t.report_to), log_completions=False,
        use_cpu=cfg.model.device == "cpu", remove_unused_columns=False)
    if t.save_steps:
        kwargs["save_steps"] = t.save_steps
    fields = {f.name for f in dataclasses.fields(GRPOConfig)}  # renamed in transformers 5
    kwargs["activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"] = \
        cfg.model.gradient_checkpointing
    if t.use_vllm:
        kwargs.update(vllm_mode=t.vllm_mode, vllm_gpu_memory_utilization=t.vllm_gpu_memory_utilization,
                      vllm_tensor_parallel_size=t.vllm_tensor_parallel_size)
    if t.deepspeed:
        kwargs["deepspeed"] = t.deepspeed
    kwargs.update(t.extra)
    return GRPOConfig(**kwargs)


def build_trainer(cfg: TrainConfig, *, model: Any = None, processor: Any = None, items: list[Item] | None = None,
                  reward: EnvReward | Any = None) -> AHPOGRPOTrainer:
    if cfg.algo == "sft":
        raise ValueError("the TRL engine runs the RL algos; run sft with engine: own (or TRL's SFTTrainer)")
    if model is None:
        from training.ahpo.trainer import build_model

        model, processor = build_model(cfg)
    builder = PromptBuilder(processor, cfg.data.modality, cfg.data.image_size, cfg.data.system_prompt)
    if items is None:
        settings = AHPOSettings.from_config(cfg)
        items = load_items(cfg.data if settings.uses_expert else dataclasses.replace(cfg.data, expert="none"))
    dataset = build_dataset(items, builder)
    reward = reward or EnvReward(cfg.reward.format_weight, cfg.reward.require_think)
    return AHPOGRPOTrainer(model=model, reward_funcs=[reward_function(reward)], args=grpo_config(cfg),
                           train_dataset=dataset, processing_class=processor, ahpo=AHPOSettings.from_config(cfg))


def train(cfg: TrainConfig) -> AHPOGRPOTrainer:
    trainer = build_trainer(cfg)
    trainer.train()
    trainer.save_model(f"{cfg.out_dir}/final")
    if cfg.model.tiny is not None and trainer.accelerator.is_main_process:
        from training.ahpo import tiny

        trainer.processing_class.save_pretrained(f"{cfg.out_dir}/final")
        tiny.mark(f"{cfg.out_dir}/final", vision=bool(cfg.model.tiny.get("vision")))
    return trainer
