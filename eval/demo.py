"""The main job until the frozen benchmark lands: every task, every mode, played by an agent, as a table.

    python -m eval.demo [--agent oracle|random] [--seeds 2] [--levels 1 2 3 4 5] [--tasks ...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import helix_gym
from agents import OracleAgent, RandomAgent
from agents.rollout import run_episodes
from helix_gym.core.env import HelixEnv

MODES = ("answer", "retry", "step")


def run(agent_name: str, tasks: Sequence[str], levels: Sequence[int], seeds: int, obs: str) -> list[dict]:
    rows = []
    for name in tasks:
        for mode in MODES:
            agent = OracleAgent() if agent_name == "oracle" else RandomAgent(seed=0)
            resets = [{"seed": s, "options": {"level": lv}} for lv in levels for s in range(seeds)]
            envs = [HelixEnv(name, mode=mode, obs=obs, image_size=256) for _ in resets]
            start = time.perf_counter()
            episodes = run_episodes(envs, agent, resets)
            seconds = time.perf_counter() - start
            solved = sum(ep.solved for ep in episodes)
            rows.append({"task": name, "mode": mode, "episodes": len(episodes), "solved": solved,
                         "steps": sum(len(ep.actions) for ep in episodes), "seconds": seconds})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| task | mode | solved | accuracy | actions | seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        acc = r["solved"] / max(1, r["episodes"])
        lines.append(f"| {r['task']} | {r['mode']} | {r['solved']}/{r['episodes']} | {acc:.0%} | {r['steps']} | "
                     f"{r['seconds']:.2f} |")
    total = sum(r["solved"] for r in rows), sum(r["episodes"] for r in rows)
    lines.append(f"| **all** | | {total[0]}/{total[1]} | {total[0] / max(1, total[1]):.0%} | | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", choices=["oracle", "random"], default="oracle")
    parser.add_argument("--tasks", nargs="*", default=None, help="task names (default: all registered)")
    parser.add_argument("--levels", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--seeds", type=int, default=2, help="instances per task and level")
    parser.add_argument("--obs", choices=["image", "text", "both"], default="image")
    args = parser.parse_args(argv)
    tasks = [helix_gym.get_task(t).name for t in args.tasks] if args.tasks else helix_gym.task_names()
    rows = run(args.agent, tasks, args.levels, args.seeds, args.obs)
    print(table(rows))
    failed = args.agent == "oracle" and any(r["solved"] < r["episodes"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
