"""The AHPO tensor functions against hand-computed values: advantages, the gate xi, the clipped PG loss, the
expert NLL with its joint and separate normalisations, LUFFY's shaped term, the reward's format term."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from training.ahpo.advantages import (  # noqa: E402
    group_advantages,
    mixed_group_advantages,
    success_counts,
    zero_variance_groups,
)
from training.ahpo.gate import xi_from_counts, xi_gate, xi_per_group  # noqa: E402
from training.ahpo.losses import (  # noqa: E402
    ahpo_loss,
    clipped_pg_tokens,
    combine_reward,
    entropy_from_logits,
    kl_k3,
    luffy_loss,
    luffy_shaped_tokens,
    nll_loss,
    pg_loss,
    shaping_weight,
    token_logprobs,
)
from training.ahpo.reward import constant_reward, format_ok  # noqa: E402

T = torch.tensor


def close(a, b, tol=1e-5):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32), atol=tol)


# ---- advantages -----------------------------------------------------------------------------------------
def test_group_advantages_by_hand():
    adv = group_advantages(T([1.0, 0.0, 0.0, 1.0, 0.1, 0.1]), T([0, 0, 0, 0, 1, 1]))
    # group 0: mean 0.5, Bessel std sqrt(1/3); group 1 is constant -> 0
    s = 0.5 / math.sqrt(1 / 3)
    assert close(adv, [s, -s, -s, s, 0.0, 0.0], 1e-4)
    assert close(group_advantages(T([1.0, 0.0]), T([3, 3]), std_norm=False), [0.5, -0.5])


def test_constant_and_singleton_groups_give_zero_advantage():
    assert close(group_advantages(T([0.1] * 5), T([0] * 5)), [0.0] * 5)
    assert close(group_advantages(T([1.0, 0.0, 1.0]), T([0, 1, 1])), [0.0, -0.70710, 0.70710], 1e-4)
    assert zero_variance_groups(T([0.1, 0.1, 1.0, 0.0]), T([0, 0, 1, 1])) == 1


def test_luffy_mixed_group_includes_the_expert():
    on, off = mixed_group_advantages(T([0.0, 0.0, 0.0, 0.0]), T([0, 0, 0, 0]), T([1.0]), T([0]), std_norm=False)
    assert close(on, [-0.2] * 4) and close(off, [0.8])
    on, off = mixed_group_advantages(T([0.0] * 4), T([0] * 4), T([1.0]), T([0]), std_norm=True)
    std = math.sqrt(0.2)  # Bessel std of [0, 0, 0, 0, 1]
    assert close(on, [-0.2 / std] * 4, 1e-4) and close(off, [0.8 / std], 1e-4)
    # a prompt without an expert keeps plain on-policy advantages
    on, off = mixed_group_advantages(T([1.0, 0.0, 0.0, 0.0]), T([0, 0, 1, 1]), T([1.0]), T([1]))
    assert close(on, [0.5, -0.5, -1 / 3, -1 / 3]) and close(off, [2 / 3])


# ---- the gate ---------------------------------------------------------------------------------------------
def test_xi_truth_table_r_hat_2_of_5():
    assert xi_from_counts(T([0, 1, 2, 3, 4, 5]), r_hat=2).tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert xi_from_counts(T([0, 1, 2]), r_hat=1).tolist() == [1.0, 0.0, 0.0]


def test_xi_counts_only_full_rewards():
    # the paper's figure: a dense group [1.0, 0.1, 1.0, ...] -> 0; a sparse one [0.0, 0.0, 0.1, ...] -> 1;
    # 0.9 (correct but malformed) is not a success
    rewards = T([1.0, 0.1, 1.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.9, 0.9, 0.9, 1.0, 0.1])
    groups = T([0] * 5 + [1] * 5 + [2] * 5)
    assert success_counts(rewards, groups) == {0: 2, 1: 0, 2: 1}
    assert xi_per_group(rewards, groups) == {0: 0.0, 1: 1.0, 2: 1.0}
    idx = T([0, 1, 2])
    assert xi_gate(rewards, groups, idx, T([True, True, False])).tolist() == [0.0, 1.0, 0.0]
    assert xi_gate(rewards, groups, idx, mode="static").tolist() == [1.0, 1.0, 1.0]
    assert xi_gate(rewards, groups, idx, T([True, False, True]), mode="static").tolist() == [1.0, 0.0, 1.0]
    assert xi_gate(rewards, groups, idx, mode="off").tolist() == [0.0, 0.0, 0.0]
    # batch scope: mean successes per prompt (3 / 3 = 1) < 2 -> on for every prompt with an expert
    assert xi_gate(rewards, groups, idx, scope="batch").tolist() == [1.0, 1.0, 1.0]
    assert xi_gate(rewards, groups, idx, scope="batch", r_hat=1).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        xi_gate(rewards, groups, idx, mode="sometimes")


# ---- the clipped policy gradient ----------------------------------------------------------------------------
def test_clipped_pg_by_hand_and_its_gradient():
    ratios = T([1.5, 0.5, 0.5, 1.5])
    adv = T([1.0, 1.0, -1.0, -1.0])
    logp = ratios.log().clone().requires_grad_(True)
    tokens, clipped = clipped_pg_tokens(logp.view(4, 1), torch.zeros(4, 1), adv)
    # -min(rA, clip(r)A): r=1.5,A=1 -> -1.2 (clipped); r=.5,A=1 -> -.5; r=.5,A=-1 -> .8 (clipped); r=1.5,A=-1 -> 1.5
    assert close(tokens.flatten(), [-1.2, -0.5, 0.8, 1.5])
    assert clipped.flatten().tolist() == [True, False, True, False]
    tokens.sum().backward()
    assert close(logp.grad, [0.0, -0.5, 0.0, 1.5])  # clipped tokens get no gradient; else d(-rA)/dlogp = -rA
    unclipped, none = clipped_pg_tokens(ratios.log().view(4, 1), torch.zeros(4, 1), adv, clip=False)
    assert close(unclipped.flatten(), [-1.5, -0.5, 0.5, 1.5]) and not none.any()


def test_pg_loss_is_a_token_mean_and_clip_high_is_asymmetric():
    logp, old = torch.zeros(2, 3), torch.zeros(2, 3)
    mask = T([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert close(pg_loss(logp, old, T([1.0, -1.0]), mask), (-1 - 1 + 1) / 3)
    tokens, _ = clipped_pg_tokens(T([[math.log(1.3)]]), T([[0.0]]), T([1.0]), clip_low=0.2, clip_high=0.28)
    assert close(tokens, [[-1.28]])


# ---- the expert NLL and the AHPO combination ----------------------------------------------------------------
def test_nll_equals_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 7)
    targets = torch.randint(0, 7, (2, 4))
    mask = T([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    logp = token_logprobs(logits, targets)
    keep = mask.bool()
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    assert close(nll_loss(logp, mask), expected)


def _ahpo_inputs():
    logp_on = torch.zeros(2, 3, requires_grad=True)
    mask_on = T([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    logp_exp = T([[-1.0, -2.0, -3.0], [-4.0, -4.0, 0.0]]).requires_grad_(True)
    mask_exp = T([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    return logp_on, mask_on, logp_exp, mask_exp


def test_joint_and_separate_normalisation_by_hand():
    logp_on, mask_on, logp_exp, mask_exp = _ahpo_inputs()
    adv = T([1.0, -1.0])
    # on-policy: ratio 1, token losses -1, -1 | +1 -> sum -1 over 3 tokens; expert 0 (xi=1): NLL sum 6 over 3 tokens
    joint = ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, logp_exp, mask_exp, T([1.0, 0.0]), norm="joint")
    assert close(joint.loss, 5 / 6) and close(joint.pg, -1 / 6) and close(joint.off, 1.0)
    assert joint.on_tokens == 3 and joint.off_tokens == 3 and close(joint.extra["nll"], 2.0)
    sep = ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, logp_exp, mask_exp, T([1.0, 0.0]), norm="separate")
    assert close(sep.loss, -1 / 3 + 2.0)
    both = T([1.0, 1.0])
    assert close(ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, logp_exp, mask_exp, both).loss, (-1 + 14) / 8)
    # separate: mean over experts of each expert's token-mean: (6/3 + 8/2) / 2 = 3
    assert close(ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, logp_exp, mask_exp, both,
                           norm="separate").loss, -1 / 3 + 3.0)
    with pytest.raises(ValueError):
        ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, None, None, None, norm="mean")


def test_gated_off_expert_rows_get_exactly_zero_gradient():
    logp_on, mask_on, logp_exp, mask_exp = _ahpo_inputs()
    for norm in ("joint", "separate"):
        logp_exp.grad = None
        parts = ahpo_loss(logp_on, logp_on.detach(), T([1.0, -1.0]), mask_on, logp_exp, mask_exp, T([1.0, 0.0]),
                          norm=norm)
        parts.loss.backward()
        assert torch.count_nonzero(logp_exp.grad[1]) == 0
        assert torch.count_nonzero(logp_exp.grad[0]) == 3


def test_no_active_expert_reduces_to_grpo():
    logp_on, mask_on, logp_exp, mask_exp = _ahpo_inputs()
    adv = T([0.7, -0.3])
    grpo = pg_loss(logp_on, logp_on.detach(), adv, mask_on)
    for norm in ("joint", "separate"):
        off = ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, logp_exp, mask_exp, T([0.0, 0.0]), norm=norm)
        assert close(off.loss, grpo) and off.off_tokens == 0
        assert close(ahpo_loss(logp_on, logp_on.detach(), adv, mask_on, None, None, None, norm=norm).loss, grpo)


@pytest.mark.parametrize("norm", ["joint", "separate"])
def test_micro_batches_with_mini_batch_totals_sum_to_the_whole(norm):
    torch.manual_seed(1)
    logp_on, old = torch.randn(4, 5) * 0.1 - 1, torch.randn(4, 5) * 0.1 - 1
    mask_on = (torch.rand(4, 5) > 0.3).float()
    adv = torch.randn(4)
    logp_exp, mask_exp = -torch.rand(3, 6), (torch.rand(3, 6) > 0.2).float()
    xi = T([1.0, 0.0, 1.0])
    whole = ahpo_loss(logp_on, old, adv, mask_on, logp_exp, mask_exp, xi, norm=norm).loss
    z = mask_on.sum() + (mask_exp * xi[:, None]).sum()
    totals = {"total_tokens": z, "total_on_tokens": mask_on.sum(), "total_experts": 2}
    e0, e1 = logp_on[:0], adv[:0]
    parts = [ahpo_loss(logp_on[:2], old[:2], adv[:2], mask_on[:2], None, None, None, norm=norm, **totals),
             ahpo_loss(logp_on[2:], old[2:], adv[2:], mask_on[2:], logp_exp[:1], mask_exp[:1], xi[:1], norm=norm,
                       **totals),
             ahpo_loss(e0, e0, e1, e0, logp_exp[1:], mask_exp[1:], xi[1:], norm=norm, **totals)]
    assert close(sum(p.loss for p in parts), whole)


# ---- LUFFY ------------------------------------------------------------------------------------------------
def test_luffy_shaping_weight_and_gradient():
    assert close(shaping_weight(T([0.1, 0.9, 0.0])), [0.5, 0.9, 0.0])
    logp = T([[math.log(0.1), math.log(0.9)]]).requires_grad_(True)
    tokens = luffy_shaped_tokens(logp, T([1.0]), gamma=0.1)
    assert close(tokens, [[-0.5, -0.9]])
    tokens.sum().backward()
    # d/dlogp of -p/(p+g) = -g p / (p+g)^2: 0.25 at p=0.1, 0.09 at p=0.9
    assert close(logp.grad, [[-0.25, -0.09]])


def test_luffy_loss_is_one_token_mean_over_on_and_off_rows():
    logp_on = torch.zeros(1, 2)
    logp_off = T([[math.log(0.1), math.log(0.1), 0.0]])
    parts = luffy_loss(logp_on, logp_on, T([-1.0]), torch.ones(1, 2), logp_off, T([2.0]), T([[1.0, 1.0, 0.0]]))
    # on: 2 tokens of +1; off: 2 tokens of -0.5 * 2 = -1; Z = 4
    assert close(parts.loss, (2 - 2) / 4) and close(parts.pg, 0.5) and close(parts.off, -0.5)
    assert parts.off_tokens == 2


# ---- other pieces -------------------------------------------------------------------------------------------
def test_kl_entropy_and_logprobs():
    assert close(kl_k3(T([-1.0, -2.0]), T([-1.0, -2.0])), [0.0, 0.0])
    assert close(kl_k3(T([0.0]), T([math.log(2.0)])), [2 - math.log(2.0) - 1])
    assert close(entropy_from_logits(torch.zeros(1, 1, 8)), [[math.log(8)]])
    logits = T([[[0.0, math.log(3.0)]]])
    assert close(token_logprobs(logits, T([[1]])), [[math.log(0.75)]])
    assert close(token_logprobs(logits, T([[1]]), temperature=2.0), [[math.log(3 ** 0.5 / (1 + 3 ** 0.5))]])


def test_reward_is_accuracy_plus_format():
    assert close(combine_reward(T([1.0, 0.0, 1.0, 0.0]), T([1.0, 1.0, 0.0, 0.0])), [1.0, 0.1, 0.9, 0.0])
    assert close(combine_reward(1.0, 1.0, format_weight=0.0), 1.0)
    assert constant_reward(0.0)(None, "x").reward == 0.0 and constant_reward(1.0)(None, "x").accuracy == 1.0


@pytest.mark.parametrize(("text", "think", "expected"), [
    ("<think>sum it</think>\n\nFinal Answer: \\boxed{1}", True, True),
    ("<think>a</think> \\boxed{ {1, 2} }", True, True),
    ("Final Answer: \\boxed{1}", True, False),  # no thinking block
    ("<think>\\boxed{1}</think> so 1", True, False),  # the box is inside the thinking
    ("<think>a</think> \\boxed{ }", True, False),  # empty box
    ("</think><think> \\boxed{1}", True, False),  # closed before opened
    ("\\boxed{7}", False, True),
    ("\\boxed{7", False, False),
])
def test_format_term(text, think, expected):
    assert format_ok(text, require_think=think) is expected
