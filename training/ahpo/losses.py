"""The loss terms of AHPO and its baselines as pure tensor functions (spec/training.md §1.2-1.5, §2.4).

No model, no framework: every function takes per-token log-probabilities and masks and returns tensors, so the
same code runs in our trainer, in the TRL integration (training/ahpo/trl.py) and in unit tests on hand-computed
values. Shapes: `(B, T)` per-token tensors, `(B,)` per-row tensors; masks are 0/1 floats (or bools).

Normalisation. Losses are written as token sums over a normaliser, so a mini-batch split into micro-batches
(gradient accumulation) gives the same gradient as one pass: pass the mini-batch totals as `total_*`; left out,
they are computed from the tensors at hand.

- `joint` (Eq. 5, default): one token-mean over every active token, on-policy and gated expert:
  Z = sum |tau_i| + sum over xi=1 experts |y*|.
- `separate` (Eq. 4 with Eqs. 1-2): token-mean PG over on-policy tokens, plus the mean over xi=1 experts of
  each expert's token-mean NLL.

Expert rows of prompts with xi = 0 contribute nothing: no loss, no gradient, no token count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

NORMS = ("joint", "separate")


def _f(mask: torch.Tensor) -> torch.Tensor:
    return mask.to(torch.float32) if mask.dtype == torch.bool else mask


def _total(value: float | torch.Tensor | None, default: torch.Tensor) -> torch.Tensor:
    """The normaliser: the given total (a distributed engine may pass a fraction of a global count), else the
    count at hand; never zero (an empty sum over an empty count is 0, not NaN)."""
    if value is None:
        return default.clamp(min=1.0)
    return torch.as_tensor(value, dtype=default.dtype, device=default.device).clamp(min=1e-8)


# ---- per-token pieces ---------------------------------------------------------------------------------
def token_logprobs(logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """log softmax(logits / T) at `targets`: (B, T, V), (B, T) -> (B, T), in float32."""
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    return torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def entropy_from_logits(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Per-token entropy of softmax(logits / T): (B, T, V) -> (B, T)."""
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    logp = torch.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1)


def clipped_pg_tokens(logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, clip_low: float = 0.2,
                      clip_high: float = 0.2, clip: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token PPO loss -min(r A, clip(r, 1-eps_low, 1+eps_high) A) and the mask of tokens where the clip
    is active (the clipped branch is the minimum and differs from the unclipped one). `adv`: (B,) or (B, T)."""
    a = adv.unsqueeze(-1) if adv.dim() == logp.dim() - 1 else adv
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * a
    if not clip:
        return -unclipped, torch.zeros_like(ratio, dtype=torch.bool)
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high) * a
    return -torch.minimum(unclipped, clipped), clipped < unclipped


def kl_k3(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-token unbiased KL estimate to a reference (GRPO's k3): exp(ref - logp) - (ref - logp) - 1."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def luffy_shaped_tokens(logp_off: torch.Tensor, adv_off: torch.Tensor, gamma: float = 0.1) -> torch.Tensor:
    """LUFFY's off-policy term with policy shaping f(x) = x / (x + gamma) and pi_phi := 1, per token:
    -f(pi_theta) * A. No clip. The gradient is gamma / (pi + gamma)^2 * grad pi: large on low-probability
    expert tokens (LUFFY `off_policy_reshape="p_div_p_0.1"`)."""
    a = adv_off.unsqueeze(-1) if adv_off.dim() == logp_off.dim() - 1 else adv_off
    p = torch.exp(logp_off)
    return -(p / (p + gamma)) * a


def shaping_weight(p: torch.Tensor, gamma: float = 0.1) -> torch.Tensor:
    """f(x) = x / (x + gamma), the LUFFY shaping function itself (for tests and logging)."""
    return p / (p + gamma)


# ---- whole terms ----------------------------------------------------------------------------------------
def masked_mean(x: torch.Tensor, mask: torch.Tensor, total: float | torch.Tensor | None = None) -> torch.Tensor:
    """Token-mean of `x` over `mask` (sum / number of tokens; `total` overrides the count)."""
    mask = _f(mask)
    return (x * mask).sum() / _total(total, mask.sum())


def pg_loss(logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, mask: torch.Tensor, *,
            clip_low: float = 0.2, clip_high: float = 0.2, clip: bool = True,
            total_tokens: float | torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 2: the clipped policy-gradient loss as a token-mean over the group's response tokens (DAPO style)."""
    tokens, _ = clipped_pg_tokens(logp, old_logp, adv, clip_low, clip_high, clip)
    return masked_mean(tokens, mask, total_tokens)


def nll_loss(logp: torch.Tensor, mask: torch.Tensor, *, total_tokens: float | torch.Tensor | None = None
             ) -> torch.Tensor:
    """Eq. 1 (and the SFT loss): token-mean negative log-likelihood of the response tokens."""
    return masked_mean(-logp, mask, total_tokens)


def sequence_mean_nll(logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-row token-mean NLL, (B, T) -> (B,); rows without tokens give 0."""
    mask = _f(mask)
    return (-logp * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)


@dataclass
class LossParts:
    """The loss to back-propagate and its detached parts, for logging. Token counts are the active ones."""

    loss: torch.Tensor
    pg: torch.Tensor
    off: torch.Tensor
    on_tokens: torch.Tensor
    off_tokens: torch.Tensor
    clip_frac: torch.Tensor
    extra: dict[str, torch.Tensor] = field(default_factory=dict)


def _empty(like: torch.Tensor) -> torch.Tensor:
    return like.new_zeros(())


def ahpo_loss(logp_on: torch.Tensor, old_logp_on: torch.Tensor, adv_on: torch.Tensor, mask_on: torch.Tensor,
              logp_exp: torch.Tensor | None, mask_exp: torch.Tensor | None, xi_exp: torch.Tensor | None, *,
              clip_low: float = 0.2, clip_high: float = 0.2, clip: bool = True, norm: str = "joint",
              total_tokens: float | torch.Tensor | None = None, total_on_tokens: float | torch.Tensor | None = None,
              total_experts: float | torch.Tensor | None = None, is_weights: torch.Tensor | None = None) -> LossParts:
    """L_AHPO = xi * L_off + L_on (Eqs. 4-6).

    `logp_exp`, `mask_exp`, `xi_exp` (B_exp, T'), (B_exp, T'), (B_exp,) are the expert rows and their gate (None
    or zero rows: plain GRPO). `total_tokens` is the joint normaliser Z of the whole mini-batch (active tokens);
    `total_on_tokens` and `total_experts` (the number of xi=1 experts) are the separate ones. `off` in the result is
    the part of the loss that comes from expert rows (as weighted in the total), `extra["nll"]` the plain token-mean
    NLL of the active experts, for logging. `is_weights` (B, T) multiplies the per-token PG loss (an engine's
    sampler/trainer importance correction, e.g. TRL's vLLM truncated IS)."""
    if norm not in NORMS:
        raise ValueError(f"loss_norm must be one of {NORMS}, got {norm!r}")
    mask_on = _f(mask_on)
    pg_tok, clipped = clipped_pg_tokens(logp_on, old_logp_on, adv_on, clip_low, clip_high, clip)
    if is_weights is not None:
        pg_tok = pg_tok * is_weights
    pg_sum = (pg_tok * mask_on).sum()
    on_tokens = mask_on.sum()
    clip_frac = (clipped.float() * mask_on).sum() / on_tokens.clamp(min=1.0)
    if logp_exp is None or logp_exp.numel() == 0:
        gated = None
        nll_sum = _empty(pg_sum)
        off_tokens = _empty(pg_sum)
        n_active = _empty(pg_sum)
    else:
        gated = _f(mask_exp) * xi_exp.to(logp_exp.dtype).unsqueeze(-1)  # xi = 0 rows vanish entirely
        nll_sum = (-logp_exp * gated).sum()
        off_tokens = gated.sum()
        n_active = (xi_exp > 0).to(pg_sum.dtype).sum()
    plain_nll = (nll_sum / off_tokens.clamp(min=1.0)).detach()
    if norm == "joint":
        z = _total(total_tokens, on_tokens + off_tokens)
        pg, off = pg_sum / z, nll_sum / z
    else:
        pg = pg_sum / _total(total_on_tokens, on_tokens)
        if gated is None:
            off = _empty(pg_sum)
        else:
            per_row = (-logp_exp * gated).sum(-1) / _f(mask_exp).sum(-1).clamp(min=1.0)
            off = per_row.sum() / _total(total_experts, n_active)
    return LossParts(pg + off, pg.detach(), off.detach(), on_tokens.detach(), off_tokens.detach(),
                     clip_frac.detach(), {"nll": plain_nll, "active_experts": n_active.detach()})


def luffy_loss(logp_on: torch.Tensor, old_logp_on: torch.Tensor, adv_on: torch.Tensor, mask_on: torch.Tensor,
               logp_off: torch.Tensor | None, adv_off: torch.Tensor | None, mask_off: torch.Tensor | None, *,
               gamma: float = 0.1, clip_low: float = 0.2, clip_high: float = 0.2, clip: bool = True,
               total_tokens: float | torch.Tensor | None = None, is_weights: torch.Tensor | None = None
               ) -> LossParts:
    """LUFFY (arXiv 2504.14945, Eq. 5 with policy shaping): clipped PG on on-policy rows, the shaped unclipped
    term -f(pi) A on off-policy rows, one token-mean over both: Z = sum |tau_j| (off) + sum |tau_i| (on).
    The advantages come from the mixed group (advantages.mixed_group_advantages)."""
    mask_on = _f(mask_on)
    pg_tok, clipped = clipped_pg_tokens(logp_on, old_logp_on, adv_on, clip_low, clip_high, clip)
    if is_weights is not None:
        pg_tok = pg_tok * is_weights
    pg_sum = (pg_tok * mask_on).sum()
    on_tokens = mask_on.sum()
    clip_frac = (clipped.float() * mask_on).sum() / on_tokens.clamp(min=1.0)
    if logp_off is None or logp_off.numel() == 0:
        off_sum, off_tokens = _empty(pg_sum), _empty(pg_sum)
        nll = _empty(pg_sum)
    else:
        mask_off = _f(mask_off)
        off_sum = (luffy_shaped_tokens(logp_off, adv_off, gamma) * mask_off).sum()
        off_tokens = mask_off.sum()
        nll = ((-logp_off * mask_off).sum() / off_tokens.clamp(min=1.0)).detach()
    z = _total(total_tokens, on_tokens + off_tokens)
    pg, off = pg_sum / z, off_sum / z
    return LossParts(pg + off, pg.detach(), off.detach(), on_tokens.detach(), off_tokens.detach(),
                     clip_frac.detach(), {"nll": nll})


# ---- reward ---------------------------------------------------------------------------------------------
def combine_reward(accuracy: torch.Tensor, format_ok: torch.Tensor, format_weight: float = 0.1) -> torch.Tensor:
    """R = (1 - w) * acc + w * format (EasyR1 convention, w = 0.1; spec §1.7): correct and well formed 1.0,
    wrong but well formed 0.1, correct but malformed 0.9, neither 0. Only R = 1 is a success for the gate."""
    acc = torch.as_tensor(accuracy, dtype=torch.float32)
    fmt = torch.as_tensor(format_ok, dtype=torch.float32)
    return (1.0 - format_weight) * acc + format_weight * fmt
