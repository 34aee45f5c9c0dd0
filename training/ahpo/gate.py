"""The adaptive gate xi of AHPO (spec §1.5, Eq. 6): the expert NLL of a prompt is on when fewer than R-hat of its
N on-policy rollouts got the full reward.

    xi_p = 1[ #{i : R(tau_i) = 1} < R-hat ]          (defaults N = 5, R-hat = 2: on at 0 or 1 successes)

Recomputed every step from that step's rollouts, before the update; no smoothing. Modes:
- `adaptive` (AHPO), per group (`scope="group"`, the paper's reading) or for the whole rollout batch
  (`scope="batch"`, an ablation: xi = 1 when the batch's mean successes per prompt is below R-hat);
- `static` (Static-AHPO): xi = 1 for every prompt that has an expert trace;
- `off` (GRPO): xi = 0.
Prompts without an expert trace always get xi = 0 (pure GRPO for them).
"""

from __future__ import annotations

import torch

from training.ahpo.advantages import success_mask

MODES = ("adaptive", "static", "off")
SCOPES = ("group", "batch")


def xi_from_counts(successes: torch.Tensor, r_hat: int = 2) -> torch.Tensor:
    """The gate from per-prompt success counts: 1.0 where successes < r_hat, else 0.0."""
    return (torch.as_tensor(successes) < r_hat).to(torch.float32)


def group_success_counts(rewards: torch.Tensor, group_ids: torch.Tensor, groups: torch.Tensor,
                         success_value: float = 1.0, tol: float = 1e-6) -> torch.Tensor:
    """Successes per entry of `groups` (ids in the caller's order): (rows,), (rows,), (P,) -> (P,)."""
    hits = success_mask(rewards, success_value, tol).to(torch.float32)
    match = (group_ids.unsqueeze(0) == groups.unsqueeze(1)).to(torch.float32)  # (P, rows)
    return match @ hits


def xi_gate(rewards: torch.Tensor, group_ids: torch.Tensor, groups: torch.Tensor,
            has_expert: torch.Tensor | None = None, *, mode: str = "adaptive", r_hat: int = 2,
            success_value: float = 1.0, scope: str = "group", tol: float = 1e-6) -> torch.Tensor:
    """xi per entry of `groups` (P,), from the on-policy `rewards` and their `group_ids` (rows,).

    `has_expert` (P,) bool: prompts that carry an expert trace (None: all do); the others get 0."""
    if mode not in MODES:
        raise ValueError(f"gate mode must be one of {MODES}, got {mode!r}")
    if scope not in SCOPES:
        raise ValueError(f"xi_scope must be one of {SCOPES}, got {scope!r}")
    groups = torch.as_tensor(groups)
    expert = torch.ones(groups.shape, dtype=torch.bool) if has_expert is None else torch.as_tensor(has_expert).bool()
    if mode == "off":
        return torch.zeros(groups.shape, dtype=torch.float32)
    if mode == "static":
        return expert.to(torch.float32)
    counts = group_success_counts(rewards, group_ids, groups, success_value, tol)
    if scope == "group":
        xi = xi_from_counts(counts, r_hat)
    else:
        pool = counts[expert] if bool(expert.any()) else counts
        mean = pool.mean() if pool.numel() else torch.tensor(0.0)
        xi = torch.full(groups.shape, float(mean < r_hat))
    return xi * expert.to(torch.float32)


def xi_per_group(rewards: torch.Tensor, group_ids: torch.Tensor, r_hat: int = 2, success_value: float = 1.0,
                 tol: float = 1e-6) -> dict[int, float]:
    """{group id: xi} for every group present (the spec's reference form, §1.9)."""
    groups = torch.unique(group_ids)
    xi = xi_gate(rewards, group_ids, groups, r_hat=r_hat, success_value=success_value, tol=tol)
    return {int(g): float(x) for g, x in zip(groups.tolist(), xi.tolist())}
