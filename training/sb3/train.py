"""Train a stable-baselines3 agent on a step-mode Helix game and report its success-rate learning curve.

    python -m training.sb3 --env Helix/Maze-v0 --level 1 --algo ppo --steps 100000

One file, top to bottom (CleanRL style): build vectorised envs from the wrappers (Discrete moves, Box
observation), evaluate a random-action baseline, train with an evaluation every `steps / points` steps,
then print the learning curve and write it to `<out>/curve.csv` (and `curve.png` when matplotlib is
installed) with a `summary.json`.

Evaluation plays the same fixed, held-out puzzle seeds at every point (success = solved before the env's
`max_steps`), with the greedy policy (`success`) and the sampled one (`success_sampled`); a greedy policy
that walks into a wall sees the same position again and repeats itself, so the sampled column is the fairer
one for unmasked agents. `train_success` is the solved share of the last 100 training episodes.

Needs stable-baselines3 and torch (`pip install torch==2.13.0` first: a CPU build, then
`pip install stable-baselines3`); `--algo maskable_ppo` needs sb3-contrib.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from helix_gym.core.registry import get_task
from training.sb3.wrappers import make_env

ALGOS = ("ppo", "maskable_ppo", "a2c", "dqn")
EVAL_SEED_BASE = 1_000_000_000  # held-out puzzle seeds: EVAL_SEED_BASE + i (training draws its own)
CURVE_FIELDS = ("steps", "success", "success_sampled", "train_success", "eval_len", "elapsed_s")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.sb3", description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="Helix/Maze-v0", help="env id or task name (a step-mode game)")
    p.add_argument("--level", type=int, default=1)
    p.add_argument("--algo", choices=ALGOS, default="ppo")
    p.add_argument("--steps", type=int, default=200_000, help="training env steps (all envs together)")
    p.add_argument("--obs", choices=("symbolic", "image"), default="symbolic")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--points", type=int, default=10, help="evaluations along training (plus one at step 0)")
    p.add_argument("--n-envs", type=int, default=8)
    p.add_argument("--vec", choices=("dummy", "subproc"), default="dummy")
    p.add_argument("--shaping", action=argparse.BooleanOptionalAction, default=True,
                   help="add the task's potential difference to the reward (default on)")
    p.add_argument("--extra", default="", help="extra commands as actions, comma-separated: undo,restart")
    p.add_argument("--layout", choices=("index", "union"), default="index")
    p.add_argument("--invalid-penalty", type=float, default=0.0,
                   help="subtracted from the reward of a move the env rejects (a wall)")
    p.add_argument("--n-epochs", type=int, default=10)
    p.add_argument("--train-seeds", type=int, default=0,
                   help="train on puzzle seeds 0..K-1 only (0 = a fresh random puzzle every episode)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--gamma", type=float, default=0.9)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--out", default=None, help="output folder (default results/sb3/<run name>)")
    p.add_argument("--save-model", action="store_true")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


# ---- evaluation ----------------------------------------------------------------------------------------
Policy = Callable[[Any, gym.Env], Any]


def evaluate(env: gym.Env, policy: Policy, seeds: Sequence[int]) -> tuple[float, float]:
    """Success rate and mean episode length of `policy(obs, env) -> action` on one episode per seed."""
    solved, lengths = [], []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        done, steps, info = False, 0, {}
        while not done:
            obs, _, terminated, truncated, info = env.step(policy(obs, env))
            done, steps = terminated or truncated, steps + 1
        solved.append(bool(info.get("is_success")))
        lengths.append(steps)
    return float(np.mean(solved)), float(np.mean(lengths))


def random_policy(rng: np.random.Generator, legal_only: bool = False) -> Policy:
    def act(obs: Any, env: gym.Env) -> int:
        if legal_only:
            return int(rng.choice(np.flatnonzero(env.get_wrapper_attr("action_masks")())))
        return int(rng.integers(env.action_space.n))
    return act


def model_policy(model: Any, deterministic: bool, masked: bool) -> Policy:
    def act(obs: Any, env: gym.Env) -> int:
        kwargs = {"action_masks": env.get_wrapper_attr("action_masks")()} if masked else {}
        action, _ = model.predict(obs, deterministic=deterministic, **kwargs)
        return int(action)
    return act


# ---- the run -------------------------------------------------------------------------------------------
def build_model(args: argparse.Namespace, venv: Any) -> Any:
    from stable_baselines3 import A2C, DQN, PPO

    policy = "CnnPolicy" if args.obs == "image" else "MlpPolicy"
    net = dict(net_arch=[128, 128]) if args.obs == "symbolic" else {}
    common = dict(learning_rate=args.lr, gamma=args.gamma, seed=args.seed, verbose=0, device="cpu",
                  policy_kwargs=net)
    if args.algo in ("ppo", "maskable_ppo"):
        algo: Any = PPO
        if args.algo == "maskable_ppo":
            from sb3_contrib import MaskablePPO

            algo = MaskablePPO
        n_steps = 128  # per env: 8 envs make a 1024-step rollout, used for 10 epochs of 256-step batches
        return algo(policy, venv, n_steps=n_steps, batch_size=min(256, n_steps * args.n_envs),
                    n_epochs=args.n_epochs, gae_lambda=0.95, ent_coef=args.ent_coef, **common)
    if args.algo == "a2c":
        return A2C(policy, venv, n_steps=16, ent_coef=args.ent_coef, **common)
    return DQN(policy, venv, buffer_size=50_000, learning_starts=1_000, exploration_fraction=0.3,
               train_freq=4, target_update_interval=1_000, **common)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    torch.set_num_threads(args.threads)
    task = get_task(args.env)
    name = f"{task.name}-L{args.level}-{args.algo}-{args.obs}-s{args.seed}"
    out = Path(args.out or Path("results") / "sb3" / name)
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if args.quiet else print

    # 1. envs: training envs draw a fresh puzzle per episode (or one of --train-seeds); eval on held-out seeds
    env_kwargs = dict(env_id=task.name, level=args.level, obs=args.obs, image_size=args.image_size,
                      shaping=args.shaping, extra=tuple(e for e in args.extra.split(",") if e), layout=args.layout,
                      invalid_penalty=args.invalid_penalty)
    train_seeds = list(range(args.train_seeds)) if args.train_seeds > 0 else None
    venv = make_vec_env(make_env, n_envs=args.n_envs, seed=args.seed,
                        env_kwargs={**env_kwargs, "seeds": train_seeds},
                        vec_env_cls=SubprocVecEnv if args.vec == "subproc" else DummyVecEnv)
    eval_env = make_env(**env_kwargs)
    eval_seeds = [EVAL_SEED_BASE + i for i in range(args.eval_episodes)]
    pool_seeds = train_seeds[: args.eval_episodes] if train_seeds else None
    eval_env.reset(seed=eval_seeds[0] if eval_seeds else 0)
    say(f"{name}: obs {eval_env.observation_space.shape}, actions {eval_env.get_wrapper_attr('commands')}")

    # 2. baselines on the same held-out puzzles
    rng = np.random.default_rng(args.seed)
    baseline = {
        "random_action": evaluate(eval_env, random_policy(rng), eval_seeds)[0],
        "random_legal": evaluate(eval_env, random_policy(rng, legal_only=True), eval_seeds)[0],
    }
    say(f"baselines on {len(eval_seeds)} held-out puzzles: random action {baseline['random_action']:.2f}, "
        f"random legal move {baseline['random_legal']:.2f}")

    # 3. train, evaluating every steps/points env steps
    model = build_model(args, venv)
    masked = args.algo == "maskable_ppo"
    curve: list[dict[str, float]] = []
    start = time.time()

    def record(steps: int) -> None:
        success, length = evaluate(eval_env, model_policy(model, True, masked), eval_seeds)
        sampled, _ = evaluate(eval_env, model_policy(model, False, masked), eval_seeds)
        buffer = list(getattr(model, "ep_success_buffer", []) or [])
        row = {"steps": steps, "success": round(success, 4), "success_sampled": round(sampled, 4),
               "train_success": round(float(np.mean(buffer)), 4) if buffer else float("nan"),
               "eval_len": round(length, 2),
               "elapsed_s": round(time.time() - start, 1)}
        if pool_seeds:
            row["success_train_seeds"] = evaluate(eval_env, model_policy(model, False, masked), pool_seeds)[0]
        curve.append(row)
        say(_row_text(row))

    class Curve(BaseCallback):
        def __init__(self, every: int):
            super().__init__()
            self.every, self.next = every, every

        def _on_step(self) -> bool:
            if self.num_timesteps >= self.next:
                self.next += self.every
                record(self.num_timesteps)
            return True

    every = max(1, args.steps // max(1, args.points))
    say(_header(bool(pool_seeds)))
    record(0)
    model.learn(total_timesteps=args.steps, callback=Curve(every))
    if curve[-1]["steps"] < model.num_timesteps:
        record(model.num_timesteps)
    venv.close()

    # 4. report
    final = curve[-1]
    summary = {"run": name, "env": f"Helix/{task.name}-v0", "args": vars(args), "baseline": baseline,
               "final": final, "train_seconds": round(time.time() - start, 1),
               "observation_shape": list(eval_env.observation_space.shape),
               "actions": eval_env.get_wrapper_attr("commands")}
    _write_csv(out / "curve.csv", curve)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    png = _plot(out / "curve.png", curve, baseline, name)
    if args.save_model:
        model.save(out / "model")
    say(f"final success {final['success']:.2f} greedy / {final['success_sampled']:.2f} sampled vs random "
        f"action {baseline['random_action']:.2f} (random legal {baseline['random_legal']:.2f}); "
        f"wrote {out / 'curve.csv'}" + (f" and {png.name}" if png else ""))
    eval_env.close()
    return {"curve": curve, "baseline": baseline, "out": out, "summary": summary}


def _header(pool: bool) -> str:
    cols = ["steps", "success", "sampled", "train", "eval_len", "time_s"] + (["train_seeds"] if pool else [])
    return " ".join(f"{c:>11}" for c in cols)


def _row_text(row: dict[str, float]) -> str:
    cells = [f"{row['steps']:>11d}", f"{row['success']:>11.2f}", f"{row['success_sampled']:>11.2f}",
             f"{row['train_success']:>11.2f}", f"{row['eval_len']:>11.1f}", f"{row['elapsed_s']:>11.1f}"]
    if "success_train_seeds" in row:
        cells.append(f"{row['success_train_seeds']:>11.2f}")
    return " ".join(cells)


def _write_csv(path: Path, curve: list[dict[str, float]]) -> None:
    fields = list(CURVE_FIELDS) + [k for k in curve[0] if k not in CURVE_FIELDS]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(curve)


def _plot(path: Path, curve: list[dict[str, float]], baseline: dict[str, float], title: str) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    steps = [r["steps"] for r in curve]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(steps, [r["success"] for r in curve], marker="o", label="greedy policy")
    ax.plot(steps, [r["success_sampled"] for r in curve], marker="s", label="sampled policy")
    ax.axhline(baseline["random_action"], color="grey", linestyle="--", label="random action")
    ax.axhline(baseline["random_legal"], color="grey", linestyle=":", label="random legal move")
    ax.set(xlabel="training steps", ylabel="success rate (held-out puzzles)", ylim=(-0.02, 1.02), title=title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
