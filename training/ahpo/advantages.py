"""Group-relative advantages (GRPO, spec §1.2) and LUFFY's mixed-group variant (§2.4), as tensor functions.

Groups are given by a 1-D tensor of group ids, one per row, so groups may differ in size (LUFFY prompts with an
expert have one on-policy rollout fewer). Conventions, as verl's `compute_grpo_outcome_advantage`:
A = (R - mean_group) / (std_group + eps), std with Bessel's correction, eps = 1e-6; a group of equal rewards
gives A = 0; a group of one row gives A = 0 (no baseline to compare with).
"""

from __future__ import annotations

import torch

EPS = 1e-6


def group_stats(rewards: torch.Tensor, group_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-row (mean, std, size) of the row's group. std is Bessel-corrected (0 for a group of one)."""
    rewards = rewards.to(torch.float32)
    _, inverse = torch.unique(group_ids, return_inverse=True)
    n_groups = int(inverse.max().item()) + 1 if inverse.numel() else 0
    size = torch.zeros(n_groups, dtype=torch.float32).index_add_(0, inverse, torch.ones_like(rewards))
    total = torch.zeros(n_groups, dtype=torch.float32).index_add_(0, inverse, rewards)
    mean = total / size.clamp(min=1.0)
    sq = torch.zeros(n_groups, dtype=torch.float32).index_add_(0, inverse, (rewards - mean[inverse]) ** 2)
    std = torch.where(size > 1, (sq / (size - 1).clamp(min=1.0)).sqrt(), torch.zeros_like(sq))
    return mean[inverse], std[inverse], size[inverse]


def group_advantages(rewards: torch.Tensor, group_ids: torch.Tensor, std_norm: bool = True,
                     eps: float = EPS) -> torch.Tensor:
    """A_i = (R_i - mean_g) / (std_g + eps) over the rows of each group (`std_norm=False`: R_i - mean_g, the
    Dr.GRPO form). Singleton groups get 0."""
    mean, std, size = group_stats(rewards, group_ids)
    adv = rewards.to(torch.float32) - mean
    if std_norm:
        adv = adv / (std + eps)
    return torch.where(size > 1, adv, torch.zeros_like(adv))


def zero_variance_groups(rewards: torch.Tensor, group_ids: torch.Tensor, tol: float = 1e-9) -> int:
    """How many groups have all rewards equal (they carry no policy-gradient signal)."""
    _, std, _ = group_stats(rewards, group_ids)
    flat = {}
    for g, s in zip(group_ids.tolist(), std.tolist()):
        flat[g] = s
    return sum(1 for s in flat.values() if s <= tol)


def mixed_group_advantages(on_rewards: torch.Tensor, on_groups: torch.Tensor, off_rewards: torch.Tensor,
                           off_groups: torch.Tensor, std_norm: bool = False,
                           eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """LUFFY: advantages normalised over the union of a prompt's on-policy rollouts and its off-policy (expert)
    traces. Returns (on-policy advantages, off-policy advantages). `std_norm=False` is LUFFY's released setting
    (`grpo_use_std=False`); prompts without an expert get plain on-policy group advantages."""
    rewards = torch.cat([on_rewards.to(torch.float32), off_rewards.to(torch.float32)])
    groups = torch.cat([on_groups, off_groups])
    adv = group_advantages(rewards, groups, std_norm=std_norm, eps=eps)
    n = on_rewards.numel()
    return adv[:n], adv[n:]


def success_mask(rewards: torch.Tensor, success_value: float = 1.0, tol: float = 1e-6) -> torch.Tensor:
    """Rows that received the full reward (|R - success_value| < tol)."""
    return (rewards.to(torch.float32) - success_value).abs() < tol


def success_counts(rewards: torch.Tensor, group_ids: torch.Tensor, success_value: float = 1.0,
                   tol: float = 1e-6) -> dict[int, int]:
    """{group id: number of rows with full reward}, in order of first appearance."""
    hits = success_mask(rewards, success_value, tol)
    out: dict[int, int] = {}
    for g, h in zip(group_ids.tolist(), hits.tolist()):
        out[g] = out.get(g, 0) + int(h)
    return out
