"""One training loop; the algorithm is configuration (spec §1.9, §2).

Per step: draw `train_batch_prompts` items -> sample rollouts from the model being trained -> score them with the
env verifiers (+ format term) -> group advantages -> gate xi per prompt -> rows (on-policy, gated expert or
off-policy) -> one or more clipped updates -> log.

| algo          | rollouts per prompt         | advantages            | expert rows                    | loss          |
|---------------|-----------------------------|-----------------------|--------------------------------|---------------|
| `grpo`        | group_size                  | on-policy group       | never built                    | PG            |
| `ahpo`        | group_size                  | on-policy group       | prompts with xi = 1 (adaptive) | PG + xi NLL   |
| `static_ahpo` | group_size                  | on-policy group       | every prompt with an expert    | PG + NLL      |
| `luffy`       | group_size - n_off          | union with the expert | every prompt with an expert    | PG + shaped   |
| `sft`         | none (sft_monitor: sampled) | -                     | every prompt with an expert    | NLL           |

`sft` then `grpo` is two runs: the second names the first's `out_dir/final` as `model.name_or_path`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from training.ahpo.advantages import group_advantages, mixed_group_advantages, success_mask, zero_variance_groups
from training.ahpo.batch import Row, collate, response_logprobs
from training.ahpo.config import TrainConfig
from training.ahpo.data import Item, Prompt, PromptBuilder, load_items
from training.ahpo.gate import group_success_counts, xi_gate
from training.ahpo.losses import LossParts, ahpo_loss, kl_k3, luffy_loss
from training.ahpo.reward import EnvReward, RewardFn, Score
from training.ahpo.rollout import HFRollout, RolloutBackend, Sample


# ---- model ----------------------------------------------------------------------------------------------
def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_model(cfg: TrainConfig) -> tuple[Any, Any]:
    """(model, processor-or-tokenizer): a tiny random model (`model.tiny`) or a pretrained one."""
    from training.ahpo import tiny

    m = cfg.model
    if m.tiny is not None:
        model, processor = tiny.build(m.tiny)
        model = model.to(getattr(torch, m.dtype))
    elif tiny.is_checkpoint(m.name_or_path):  # a tiny model saved by an earlier run (sft, then grpo)
        model, processor = tiny.load(m.name_or_path)
        model = model.to(getattr(torch, m.dtype))
    elif m.name_or_path:
        from agents.llm.backends.hf import load

        model, processor = load(m.name_or_path, dtype=m.dtype, trust_remote_code=m.trust_remote_code)
    else:
        raise ValueError("set model.name_or_path or model.tiny")
    tok = getattr(processor, "tokenizer", processor)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if m.freeze_vision:
        for name, p in model.named_parameters():
            if "visual" in name.split("."):
                p.requires_grad_(False)
    if m.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    return model, processor


def lr_lambda(schedule: str, total: int, warmup: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        if schedule == "linear":
            return 1.0 - progress
        raise ValueError(f"unknown schedule {schedule!r}")

    return f


# ---- logging --------------------------------------------------------------------------------------------
class MetricsLog:
    """One JSON line per step in `out_dir/metrics.jsonl`, and TensorBoard scalars where it is installed."""

    def __init__(self, out_dir: Path, tensorboard: bool = True) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / "metrics.jsonl"
        self.fh = self.path.open("a", encoding="utf-8")
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(out_dir / "tb"))
            except Exception:  # tensorboard not installed
                self.tb = None

    def write(self, metrics: dict[str, Any]) -> None:
        self.fh.write(json.dumps(metrics) + "\n")
        self.fh.flush()
        if self.tb is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and key != "step" and not isinstance(value, bool):
                    self.tb.add_scalar(key, value, metrics["step"])
                elif isinstance(value, dict):
                    for k, v in value.items():
                        if isinstance(v, (int, float)):
                            self.tb.add_scalar(f"{key}/{k}", v, metrics["step"])

    def close(self) -> None:
        self.fh.close()
        if self.tb is not None:
            self.tb.close()


# ---- the trainer ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Collected:
    """What one step gathered before the update."""

    items: list[Item]
    prompts: list[Prompt]
    samples: list[list[Sample]]
    scores: list[list[Score]]
    rows: list[Row]
    metrics: dict[str, Any]


class Trainer:
    def __init__(self, cfg: TrainConfig, *, model: Any = None, processor: Any = None, items: list[Item] | None = None,
                 reward_fn: RewardFn | None = None, rollout: RolloutBackend | None = None) -> None:
        self.cfg = cfg
        if cfg.torch_threads:
            torch.set_num_threads(int(cfg.torch_threads))
        random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        if model is None:
            model, processor = build_model(cfg)
        self.device = resolve_device(cfg.model.device)
        self.model = model.to(self.device)
        self.model.train()
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        if items is None:  # grpo needs no expert traces: generated items skip building them
            items = load_items(cfg.data if cfg.uses_expert else dataclasses.replace(cfg.data, expert="none"))
        self.items = list(items)
        self.builder = PromptBuilder(processor, cfg.data.modality, cfg.data.image_size, cfg.data.system_prompt)
        self.reward_fn = reward_fn or EnvReward(cfg.reward.format_weight, cfg.reward.require_think)
        r = cfg.rollout
        self.rollout = rollout or HFRollout(self.model, processor, temperature=r.temperature, top_p=r.top_p,
                                            max_new_tokens=r.max_new_tokens, batch_size=r.batch_size)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        o = cfg.optim
        self.optimizer = torch.optim.AdamW(self.params, lr=o.lr, weight_decay=o.weight_decay, betas=tuple(o.betas),
                                           eps=o.eps)
        n_mb = math.ceil(cfg.train_batch_prompts / cfg.ppo_mini_batch_prompts)
        total = max(1, cfg.steps * n_mb * cfg.ppo_epochs)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(o.schedule, total, int(o.warmup_ratio * total)))
        self.ref_model = None
        if cfg.kl_coef > 0:
            import copy

            self.ref_model = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.out_dir = Path(cfg.out_dir)
        self.log: MetricsLog | None = None
        self.history: list[dict[str, Any]] = []
        self.step_index = 0
        self.expert_rows_built = 0  # every expert/off-policy row ever made (grpo: stays 0)
        self.experts_tokenised = 0
        self._rng = random.Random(cfg.seed)
        self._order: list[int] = []
        self._prompts: dict[str, Prompt | None] = {}
        self._experts: dict[str, list[int] | None] = {}

    # ---- data ---------------------------------------------------------------------------------------
    def prompt(self, item: Item) -> Prompt | None:
        """The item's prompt, or None when it is longer than data.max_prompt_tokens (cached)."""
        if item.uid not in self._prompts:
            p = self.builder.encode(item)
            self._prompts[item.uid] = p if len(p.ids) <= self.cfg.data.max_prompt_tokens else None
        return self._prompts[item.uid]

    def expert_ids(self, item: Item) -> list[int] | None:
        """The expert trace as response tokens, or None (no trace, or longer than drop_expert_longer_than)."""
        if item.uid not in self._experts:
            ids = None
            if item.expert:
                self.experts_tokenised += 1
                ids = self.builder.encode_response(item.expert)
                if len(ids) > self.cfg.data.drop_expert_longer_than:
                    ids = None
            self._experts[item.uid] = ids
        return self._experts[item.uid]

    def next_items(self, n: int) -> list[Item]:
        """`n` usable items, drawn without replacement from a reshuffled pass over the data."""
        need_expert = self.cfg.algo == "sft"
        out: list[Item] = []
        misses = 0
        while len(out) < n:
            if not self._order:
                self._order = list(range(len(self.items)))
                self._rng.shuffle(self._order)
            item = self.items[self._order.pop()]
            if self.prompt(item) is None or (need_expert and self.expert_ids(item) is None):
                misses += 1
                if misses > 10 * len(self.items) + n:
                    raise ValueError("no usable items: prompts too long or (sft) no expert trace within the limit")
                continue
            out.append(item)
        return out

    # ---- one step's data --------------------------------------------------------------------------------
    def collect(self, items: list[Item] | None = None) -> Collected:
        cfg = self.cfg
        items = items or self.next_items(cfg.train_batch_prompts)
        prompts = [self.prompt(it) for it in items]
        algo = cfg.algo
        rollouts = algo != "sft" or cfg.sft_monitor
        has_expert = torch.zeros(len(items), dtype=torch.bool)
        if cfg.uses_expert:
            has_expert = torch.tensor([self.expert_ids(it) is not None for it in items], dtype=torch.bool)
        counts = [cfg.group_size] * len(items)
        if algo == "luffy":
            counts = [cfg.group_size - cfg.luffy.n_off if h else cfg.group_size for h in has_expert.tolist()]
        samples: list[list[Sample]] = [[] for _ in items]
        if rollouts:
            samples = self.rollout.sample(prompts, counts, seed=cfg.seed * 7919 + self.step_index)
        scores = [[self.reward_fn(it, s.text) for s in group] for it, group in zip(items, samples)]

        on_rows: list[Row] = []
        rewards, group_ids = [], []
        for g, (prompt, group, group_scores) in enumerate(zip(prompts, samples, scores)):
            for s, sc in zip(group, group_scores):
                on_rows.append(Row(prompt, s.response, "on", g, sample_logp=s.logprobs))
                rewards.append(sc.reward)
                group_ids.append(g)
        rewards_t = torch.tensor(rewards, dtype=torch.float32)
        groups_t = torch.tensor(group_ids, dtype=torch.long)
        index = torch.arange(len(items))
        metrics: dict[str, Any] = {}
        extra_rows: list[Row] = []
        xi = torch.zeros(len(items))

        if algo in ("grpo", "ahpo", "static_ahpo"):
            adv = group_advantages(rewards_t, groups_t, std_norm=cfg.adv_std_norm)
            for row, a in zip(on_rows, adv.tolist()):
                row.adv = a
            if algo != "grpo":
                xi = xi_gate(rewards_t, groups_t, index, has_expert, mode=cfg.gate_mode, r_hat=cfg.r_hat,
                             success_value=cfg.success_value, scope=cfg.xi_scope)
                for g in torch.nonzero(xi > 0).flatten().tolist():
                    extra_rows.append(Row(prompts[g], self.expert_ids(items[g]), "expert", g, xi=1.0))
        elif algo == "luffy":
            off_groups = torch.nonzero(has_expert).flatten()
            off_scores = [self.reward_fn(items[g], items[g].expert) for g in off_groups.tolist()]
            off_rewards = torch.tensor([s.reward for s in off_scores], dtype=torch.float32)
            adv_on, adv_off = mixed_group_advantages(rewards_t, groups_t, off_rewards, off_groups,
                                                     std_norm=cfg.luffy.std_norm)
            for row, a in zip(on_rows, adv_on.tolist()):
                row.adv = a
            for g, a in zip(off_groups.tolist(), adv_off.tolist()):
                extra_rows.append(Row(prompts[g], self.expert_ids(items[g]), "off", g, adv=a))
            metrics["off_reward_mean"] = float(off_rewards.mean()) if off_rewards.numel() else None
            xi = has_expert.to(torch.float32)
        else:  # sft
            for g in torch.nonzero(has_expert).flatten().tolist():
                extra_rows.append(Row(prompts[g], self.expert_ids(items[g]), "expert", g, xi=1.0))
            on_rows = []  # monitored rollouts are logged, never trained on
            xi = has_expert.to(torch.float32)
        self.expert_rows_built += len(extra_rows)

        flat_scores = [sc for group in scores for sc in group]
        lengths = [len(s.response) for group in samples for s in group]
        if flat_scores:
            succ = success_mask(rewards_t, cfg.success_value)
            counts_t = group_success_counts(rewards_t, groups_t, index, cfg.success_value)
            by_task: dict[str, list[float]] = defaultdict(list)
            for it, group_scores in zip(items, scores):
                by_task[it.task].extend(float(abs(sc.reward - cfg.success_value) < 1e-6) for sc in group_scores)
            metrics.update(
                reward_mean=float(rewards_t.mean()), reward_std=float(rewards_t.std()) if len(rewards) > 1 else 0.0,
                success_rate=float(succ.float().mean()),
                accuracy=sum(sc.accuracy for sc in flat_scores) / len(flat_scores),
                format_rate=sum(sc.format for sc in flat_scores) / len(flat_scores),
                sparse_rate=float((counts_t < cfg.r_hat).float().mean()),
                zero_var_groups=zero_variance_groups(rewards_t, groups_t),
                response_len_mean=sum(lengths) / len(lengths), response_len_max=max(lengths),
                truncated_rate=sum(s.truncated for group in samples for s in group) / len(lengths),
                success_by_task={k: sum(v) / len(v) for k, v in sorted(by_task.items())})
        n_exp = int(has_expert.sum())
        metrics.update(prompts=len(items), prompts_with_expert=n_exp,
                       xi_rate=float(xi[has_expert].mean()) if n_exp and algo != "grpo" else 0.0,
                       expert_rows=len(extra_rows), on_rows=len(on_rows))
        return Collected(items, prompts, samples, scores, on_rows + extra_rows, metrics)

    # ---- the update ---------------------------------------------------------------------------------------
    def _chunks(self, rows: list[Row]) -> list[list[Row]]:
        out = []
        size = max(1, self.cfg.micro_batch_rows)
        for kind in ("on", "expert", "off"):
            same = [r for r in rows if r.kind == kind]
            out.extend(same[i:i + size] for i in range(0, len(same), size))
        return out

    @torch.no_grad()
    def _score_rows(self, model: Any, rows: list[Row]) -> list[torch.Tensor]:
        out = []
        for chunk in self._chunks(rows):
            batch = collate(chunk, self.tokenizer.pad_token_id, self.device)
            logp, _ = response_logprobs(model, batch, self.cfg.rollout.temperature)
            out.extend(logp[i, :len(r.response)].float().cpu() for i, r in enumerate(chunk))
        return out

    def _minibatches(self, rows: list[Row], n_groups: int) -> list[list[Row]]:
        size = self.cfg.ppo_mini_batch_prompts
        order = list(range(n_groups))
        if self.cfg.ppo_epochs > 1 or size < n_groups:
            self._rng.shuffle(order)
        out = []
        for start in range(0, n_groups, size):
            chosen = set(order[start:start + size])
            out.append([r for r in rows if r.group in chosen])
        return [mb for mb in out if mb]

    def update(self, rows: list[Row], n_groups: int) -> dict[str, Any]:
        cfg = self.cfg
        on_rows = [r for r in rows if r.kind == "on"]
        minibatches = self._minibatches(rows, n_groups)
        stale = cfg.ppo_epochs > 1 or len(minibatches) > 1
        if stale:  # several updates per rollout batch: the ratio needs pi_old's log-probs
            for r, lp in zip(on_rows, self._score_rows(self.model, on_rows)):
                r.old_logp = lp
        ref = {}
        if self.ref_model is not None:
            ref = {id(r): lp for r, lp in zip(on_rows, self._score_rows(self.ref_model, on_rows))}
        sums: dict[str, float] = defaultdict(float)
        updates = 0
        for _ in range(cfg.ppo_epochs):
            for mb in minibatches:
                self._update_minibatch(mb, ref, sums)
                updates += 1
        out = {k: v / max(1, updates) for k, v in sums.items() if not k.startswith("_")}
        for name in ("clip_frac", "entropy"):
            if sums.get(f"_{name}_w"):
                out[name] = sums[f"_{name}"] / sums[f"_{name}_w"]
        if sums.get("_nll_w"):
            out["nll"] = sums["_nll"] / sums["_nll_w"]
        if sums.get("_logp_diff_w"):
            out["sampler_logp_diff"] = sums["_logp_diff"] / sums["_logp_diff_w"]
        out["updates"] = updates
        return out

    def _update_minibatch(self, rows: list[Row], ref: dict[int, torch.Tensor], sums: dict[str, float]) -> None:
        cfg = self.cfg
        on_tokens = sum(len(r.response) for r in rows if r.kind == "on")
        exp_tokens = sum(len(r.response) for r in rows if r.kind == "expert" and r.xi > 0)
        off_tokens = sum(len(r.response) for r in rows if r.kind == "off")
        n_active = sum(1 for r in rows if r.kind == "expert" and r.xi > 0)
        z = on_tokens + exp_tokens + off_tokens
        self.optimizer.zero_grad(set_to_none=True)
        entropy_grad = cfg.entropy_coef != 0
        for chunk in self._chunks(rows):
            kind = chunk[0].kind
            batch = collate(chunk, self.tokenizer.pad_token_id, self.device)
            logp, entropy = response_logprobs(self.model, batch, cfg.rollout.temperature,
                                              with_entropy=kind == "on" and cfg.log_entropy,
                                              entropy_grad=kind == "on" and entropy_grad)
            mask = batch["mask"]
            empty = logp[:0]
            if kind == "on":
                old = batch.get("old_logp", logp.detach())
                args = (logp, old, batch["adv"], mask)
            else:
                args = (empty, empty, batch["adv"][:0], mask[:0])
            if cfg.algo == "luffy":
                off = (logp, batch["adv"], mask) if kind == "off" else (None, None, None)
                parts: LossParts = luffy_loss(*args, *off, gamma=cfg.luffy.gamma, clip_low=cfg.clip_low,
                                              clip_high=cfg.clip_high, clip=cfg.luffy.clip_on, total_tokens=z)
            else:
                exp = (logp, mask, batch["xi"]) if kind == "expert" else (None, None, None)
                parts = ahpo_loss(*args, *exp, clip_low=cfg.clip_low, clip_high=cfg.clip_high, clip=cfg.clip,
                                  norm=cfg.loss_norm, total_tokens=z, total_on_tokens=on_tokens,
                                  total_experts=n_active)
            loss = parts.loss
            if kind == "on" and self.ref_model is not None:
                ref_lp = torch.zeros_like(logp)
                for i, r in enumerate(chunk):
                    ref_lp[i, :len(r.response)] = ref[id(r)].to(logp.device)
                kl = (kl_k3(logp, ref_lp) * mask).sum() / max(1, on_tokens)
                loss = loss + cfg.kl_coef * kl
                sums["kl"] += float(kl.detach())
            if kind == "on" and entropy is not None:
                ent = (entropy * mask).sum()
                if entropy_grad:
                    loss = loss - cfg.entropy_coef * ent / max(1, on_tokens)
                sums["_entropy"] += float(ent.detach())
                sums["_entropy_w"] += float(mask.sum())
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite loss at step {self.step_index}: {float(loss)}")
            loss.backward()
            sums["loss"] += float(loss.detach())
            sums["pg_loss"] += float(parts.pg)
            sums["off_loss"] += float(parts.off)
            if kind == "on":
                sums["_clip_frac"] += float(parts.clip_frac) * float(parts.on_tokens)
                sums["_clip_frac_w"] += float(parts.on_tokens)
                diffs = [(logp[i, :len(r.response)].detach().float().cpu() - torch.tensor(r.sample_logp)).abs()
                         for i, r in enumerate(chunk) if r.sample_logp]
                if diffs:
                    d = torch.cat(diffs)
                    sums["_logp_diff"] += float(d.sum())
                    sums["_logp_diff_w"] += d.numel()
            else:
                sums["_nll"] += float(parts.extra["nll"]) * float(parts.off_tokens)
                sums["_nll_w"] += float(parts.off_tokens)
        norm = torch.nn.utils.clip_grad_norm_(self.params, cfg.optim.grad_clip if cfg.optim.grad_clip > 0 else 1e12)
        sums["grad_norm"] += float(norm)
        self.optimizer.step()
        self.scheduler.step()

    # ---- the loop -----------------------------------------------------------------------------------------
    def step(self, items: list[Item] | None = None) -> dict[str, Any]:
        start = time.perf_counter()
        collected = self.collect(items)
        metrics = {"step": self.step_index, "algo": self.cfg.algo, **collected.metrics}
        rows = collected.rows
        if rows:
            metrics.update(self.update(rows, len(collected.items)))
        metrics["lr"] = self.scheduler.get_last_lr()[0]
        metrics["time_s"] = round(time.perf_counter() - start, 3)
        self.step_index += 1
        self.history.append(metrics)
        if self.log is not None:
            self.log.write(metrics)
        return metrics

    def train(self, steps: int | None = None, progress: Callable[[dict[str, Any]], None] | None = None
              ) -> list[dict[str, Any]]:
        steps = self.cfg.steps if steps is None else steps
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "config.json").write_text(json.dumps(self.cfg.to_dict(), indent=1, default=str))
        self.log = MetricsLog(self.out_dir, self.cfg.tensorboard)
        try:
            for _ in range(steps):
                metrics = self.step()
                if progress is not None:
                    progress(metrics)
                every = self.cfg.save_every
                if every and self.step_index % every == 0:
                    self.save(self.out_dir / f"step-{self.step_index}")
            self.save(self.out_dir / "final")
        finally:
            self.log.close()
            self.log = None
        return self.history

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path)
        self.processor.save_pretrained(path)
        from training.ahpo import tiny

        if self.cfg.model.tiny is not None or tiny.is_checkpoint(self.cfg.model.name_or_path):
            tiny.mark(path, vision=self.builder.multimodal)
        return path
