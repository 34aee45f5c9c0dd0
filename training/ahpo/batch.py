"""Rows of a training batch, their padding into tensors, and the forward pass that scores response tokens.

Layout (as TRL's): prompts left-padded to a common width, responses right-padded after them, so every response
starts at the same column and `logits_to_keep` cuts the logits to the response part. Text models get explicit
position ids from the attention mask (what `generate` uses with left padding, so recomputed log-probs match the
sampler's); Qwen2-VL-family models compute their own (multimodal RoPE) from the ids, mask and image grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from training.ahpo.data import Prompt
from training.ahpo.losses import entropy_from_logits, token_logprobs

KINDS = ("on", "expert", "off")


@dataclass
class Row:
    """One sequence: an on-policy rollout, a gated expert trace (AHPO, SFT) or an off-policy trace (LUFFY)."""

    prompt: Prompt
    response: list[int]
    kind: str = "on"
    group: int = 0  # the prompt's index in the step's batch
    adv: float = 0.0
    xi: float = 1.0
    old_logp: torch.Tensor | None = None  # (len(response),) under the policy before the update
    sample_logp: list[float] | None = None  # what the sampler reported

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"row kind must be one of {KINDS}, got {self.kind!r}")


def collate(rows: list[Row], pad_id: int, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Pad rows: input_ids/attention_mask (B, P+R), response ids and mask (B, R), per-row advantages and xi,
    and the vision inputs of the rows' prompts, concatenated in row order."""
    wp = max(len(r.prompt.ids) for r in rows)
    wr = max(max(len(r.response) for r in rows), 1)
    b = len(rows)
    ids = torch.full((b, wp + wr), pad_id, dtype=torch.long)
    attn = torch.zeros((b, wp + wr), dtype=torch.long)
    resp_mask = torch.zeros((b, wr), dtype=torch.float32)
    for i, r in enumerate(rows):
        p = r.prompt.ids
        ids[i, wp - len(p):wp] = torch.tensor(p, dtype=torch.long)
        attn[i, wp - len(p):wp] = 1
        if r.response:
            ids[i, wp:wp + len(r.response)] = torch.tensor(r.response, dtype=torch.long)
            attn[i, wp:wp + len(r.response)] = 1
            resp_mask[i, :len(r.response)] = 1.0
    out: dict[str, Any] = {
        "input_ids": ids.to(device), "attention_mask": attn.to(device), "targets": ids[:, wp:].to(device),
        "mask": resp_mask.to(device), "adv": torch.tensor([r.adv for r in rows], dtype=torch.float32, device=device),
        "xi": torch.tensor([r.xi for r in rows], dtype=torch.float32, device=device), "width": wr,
    }
    if any(r.old_logp is not None for r in rows):
        old = torch.zeros((b, wr), dtype=torch.float32)
        for i, r in enumerate(rows):
            if r.old_logp is not None:
                old[i, :len(r.response)] = r.old_logp
        out["old_logp"] = old.to(device)
    kwargs = vision_inputs([r.prompt for r in rows], device, width=wp, extra=wr)
    if kwargs:
        out["model_kwargs"] = kwargs
    return out


def vision_inputs(prompts: list[Prompt], device: torch.device | str = "cpu", width: int | None = None,
                  extra: int = 0) -> dict[str, torch.Tensor]:
    """The prompts' picture tensors concatenated in order, and their per-token fields (mm_token_type_ids)
    left-padded to `width` (default: the longest prompt) plus `extra` zero columns for the responses."""
    out: dict[str, torch.Tensor] = {}
    vision = [p.vision for p in prompts if p.vision]
    if vision:
        out = {key: torch.cat([v[key] for v in vision], dim=0).to(device) for key in vision[0]}
    keys = {k for p in prompts for k in p.token_fields}
    if keys:
        width = width or max(len(p.ids) for p in prompts)
        for key in keys:
            t = torch.zeros((len(prompts), width + extra), dtype=torch.long)
            for i, p in enumerate(prompts):
                values = p.token_fields.get(key)
                if values:
                    t[i, width - len(values):width] = torch.tensor(values, dtype=torch.long)
            out[key] = t.to(device)
    return out


def uses_mrope(model: Any) -> bool:
    """Qwen2-VL-family models build (multimodal) positions themselves."""
    return hasattr(model, "get_rope_index") or hasattr(getattr(model, "model", None), "get_rope_index")


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions counted over real tokens only (left padding), as `generate` computes them; pads get 1."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


def response_logprobs(model: Any, batch: dict[str, Any], temperature: float = 1.0, with_entropy: bool = False,
                      entropy_grad: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs (B, R) of the response tokens under `model` at `temperature`, and their entropy
    (detached unless `entropy_grad`, for an entropy bonus)."""
    width = batch["width"]
    kwargs = dict(batch.get("model_kwargs") or {})
    if not uses_mrope(model):
        kwargs["position_ids"] = position_ids(batch["attention_mask"])
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=width + 1,
                use_cache=False, **kwargs)
    logits = out.logits[:, :-1, :]
    logp = token_logprobs(logits, batch["targets"], temperature)
    entropy = None
    if entropy_grad:
        entropy = entropy_from_logits(logits, temperature)
    elif with_entropy:
        with torch.no_grad():
            entropy = entropy_from_logits(logits.detach(), temperature)
    return logp, entropy
