"""Run an agent on the benchmark (or on MM-HELIX records) and report accuracy.

    python -m eval.run --agent oracle|random|hf:<model>|vllm:<model>|openai:<base_url>#<model>
                       [--modality image|text] [--protocol answer|retry|step] [--tasks ...] [--levels ...]
                       [--limit N] [--out results/<name>] [--items MM-HELIX.tsv|annotations.json|records.jsonl]

Writes, in the --out folder (default results/<agent>-<modality>-<protocol>):
  settings.json   the exact settings (agent, sampling, benchmark version and manifest hash, package versions)
  results.jsonl   one line per finished item, appended as each item ends; a rerun skips what is done
  skipped.jsonl   rows of an --items file that could not be loaded, with the reason
  report.md/.json/.png   accuracy per task, level, category and overall (see eval.report)

Items run in lockstep batches (--batch-size), so LLM backends receive a batch of prompts per turn. Run order
cycles over tasks and levels (item k of every task and level before item k+1), so --limit N is a spread.
A result's `seconds` is its env time plus its share of each batched agent call; `tokens` sums what the agent
reports in `last_usage` (one dict or int per episode of its last act_batch), else null. The random agent is
seeded per item, so its results depend neither on batching nor on resuming.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym
from tqdm import tqdm

import helix_gym
from agents import Agent
from agents.rollout import run_episodes
from eval import benchmark, report
from eval.benchmark import Item
from eval.factory import AgentSpec, AgentUnavailable, Sampling, make_agent, parse_agent
from eval.records_io import Skipped, load_items
from helix_gym.core.env import HelixEnv
from helix_gym.core.errors import UnknownTask
from helix_gym.core.extract import extract_answer

PROTOCOLS = ("answer", "retry", "step")  # the env's modes
MODALITIES = ("image", "text")  # the env's obs kinds (the paper's Img and Txt settings)
IDENTITY = ("agent", "sampling", "modality", "protocol", "env", "source")  # settings a resumed run must share


@dataclass
class RunConfig:
    agent: str = "oracle"
    modality: str = "image"
    protocol: str = "answer"
    version: str = benchmark.DEFAULT_VERSION
    items_path: str | None = None
    tasks: Sequence[str] | None = None
    levels: Sequence[int] | None = None
    limit: int | None = None
    out: Path | None = None
    batch_size: int = 32
    image_size: int = 512
    max_attempts: int = 3
    max_steps: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    progress: bool = True
    command: list[str] | None = None  # the command line, recorded in settings.json

    def out_dir(self) -> Path:
        if self.out is not None:
            return Path(self.out)
        return Path("results") / re.sub(r"[^A-Za-z0-9._-]+", "_", f"{self.agent}-{self.modality}-{self.protocol}")


# ---- the results file --------------------------------------------------------------------------------------
class ResultsFile:
    """results.jsonl: appended and flushed per finished item; a line cut short by a kill is dropped on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        if path.exists():
            data = path.read_bytes()
            cut = data.rfind(b"\n") + 1
            if cut < len(data):  # a partial last line: the item was not finished
                path.write_bytes(data[:cut])
            for line in data[:cut].decode("utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                self.done[row["item"]] = row
        self._fh = path.open("a", encoding="utf-8")

    def append(self, row: dict[str, Any]) -> None:
        self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._fh.flush()
        self.done[row["item"]] = row

    def close(self) -> None:
        self._fh.close()


# ---- bookkeeping around the agent and the envs ------------------------------------------------------------
class Bookkeeper(Agent):
    """Wraps the agent: time spent per item (a batch's time split among its live items) and tokens, where
    the agent reports them as `last_usage` (one dict or int per episode of the last `act_batch`)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.name = getattr(agent, "name", "agent")
        self.seconds: dict[str, float] = {}
        self.tokens: dict[str, dict[str, int]] = {}

    def reset(self) -> None:
        self.agent.reset()

    def act_batch(self, observations: list[dict[str, Any]], infos: list[dict[str, Any]]) -> list[str]:
        start = time.perf_counter()
        actions = self.agent.act_batch(observations, infos)
        share = (time.perf_counter() - start) / max(1, len(infos))
        usage = getattr(self.agent, "last_usage", None)
        for i, info in enumerate(infos):
            item_id = info["item_id"]
            self.seconds[item_id] = self.seconds.get(item_id, 0.0) + share
            if usage is not None and i < len(usage) and usage[i] is not None:
                counts = usage[i] if isinstance(usage[i], dict) else {"completion_tokens": int(usage[i])}
                total = self.tokens.setdefault(item_id, {})
                for key, value in counts.items():
                    total[key] = total.get(key, 0) + int(value)
        return actions


class ItemEnv(gym.Wrapper):
    """Plays one item and hands its result line to `on_done` the moment the episode ends."""

    def __init__(self, env: HelixEnv, item: Item, keeper: Bookkeeper, settings: dict[str, Any],
                 on_done: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(env)
        self.item, self.keeper, self.settings, self.on_done = item, keeper, settings, on_done
        self.actions: list[str] = []
        self.reward = 0.0
        self.seconds = 0.0
        self.finished = False
        self.last_info: dict[str, Any] = {}

    def reset(self, **kwargs: Any):
        start = time.perf_counter()
        obs, info = self.env.reset(**self.item.reset_kwargs())
        self.seconds += time.perf_counter() - start
        info["item_id"] = self.item.id
        self.last_info = info
        return obs, info

    def step(self, action: Any):
        start = time.perf_counter()
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.seconds += time.perf_counter() - start
        info["item_id"] = self.item.id
        self.actions.append(str(action))
        self.reward += float(reward)
        self.last_info = info
        if terminated or truncated:
            self.finish(terminated, truncated)
        return obs, reward, terminated, truncated, info

    def finish(self, terminated: bool, truncated: bool, error: str | None = None) -> None:
        if self.finished:
            return
        self.finished = True
        info, item = self.last_info, self.item
        verdict = info.get("verdict") or None
        last = self.actions[-1] if self.actions else ""
        self.on_done({
            "item": item.id, "task": item.task, "category": item.category, "level": item.level,
            "seed": item.seed, "fingerprint": item.fingerprint, "source": item.source,
            "modality": self.settings["modality"], "protocol": self.settings["protocol"],
            "responses": self.actions,
            "answer": (extract_answer(last) or last.strip()) if self.settings["protocol"] == "step"
            else extract_answer(last),
            "verdict": verdict, "correct": bool(terminated and verdict and verdict.get("correct")),
            "reward": self.reward, "turns": len(self.actions), "terminated": bool(terminated),
            "truncated": bool(truncated), "error": error or info.get("error"),
            "tokens": self.keeper.tokens.get(item.id),
            "seconds": round(self.seconds + self.keeper.seconds.get(item.id, 0.0), 6),
        })


# ---- selecting items ---------------------------------------------------------------------------------------
def select_items(config: RunConfig) -> tuple[list[Item], list[Skipped], dict[str, Any]]:
    """The items to play in run order, the rows that cannot be loaded, and where they came from."""
    if config.items_path:
        path = Path(config.items_path)
        loaded, skipped = load_items(path)
        wanted = {helix_gym.get_task(t).name for t in config.tasks} if config.tasks else None
        chosen = [it for it in loaded if (wanted is None or it.task in wanted)
                  and (not config.levels or it.level in set(config.levels))]
        source = {"items_file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                  "rows": len(loaded) + len(skipped), "unloadable": len(skipped)}
    else:
        manifest = benchmark.load_manifest(config.version)
        chosen = list(benchmark.items(config.version, config.tasks, config.levels))
        absent = [t for t in config.tasks or () if helix_gym.get_task(t).name not in manifest.tasks]
        if absent:
            print(f"not in benchmark {manifest.version}: {', '.join(absent)}", file=sys.stderr)
        skipped = []
        path = benchmark.manifest_path(config.version)
        source = {"version": manifest.version, "frozen": manifest.frozen, "items": len(manifest.items),
                  "tasks": manifest.tasks, "manifest_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    order = {name: i for i, name in enumerate(dict.fromkeys(it.task for it in chosen))}
    chosen.sort(key=lambda it: (it.k, it.level, order[it.task]))
    if config.limit is not None:
        chosen = chosen[: max(0, config.limit)]
    return chosen, skipped, source


def settings_of(config: RunConfig, spec: AgentSpec, source: dict[str, Any]) -> dict[str, Any]:
    import gymnasium
    import PIL

    return {
        "agent": spec.text, "agent_kind": spec.kind, "model": spec.model, "base_url": spec.base_url,
        "sampling": config.sampling.as_dict(),
        "modality": config.modality, "protocol": config.protocol,
        "env": {"mode": config.protocol, "obs": config.modality, "image_size": config.image_size,
                "max_attempts": config.max_attempts, "max_steps": config.max_steps},
        "source": {k: v for k, v in source.items() if k in ("version", "items_file")},
        "benchmark": source,
        "packages": {"helix_gym": helix_gym.__version__, "python": sys.version.split()[0],
                     "gymnasium": gymnasium.__version__, "pillow": PIL.__version__},
        "batch_size": config.batch_size,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": config.command,
    }


def load_or_write_settings(out: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The run's settings file; a resumed run must share the identity settings of the one it resumes."""
    path = out / "settings.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        diff = [k for k in IDENTITY if old.get(k) != settings.get(k)]
        if diff:
            raise SystemExit(f"{out} holds a run with other settings ({', '.join(diff)}: "
                             f"{ {k: old.get(k) for k in diff} }); choose another --out or remove it")
        return old
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return settings


# ---- the run -----------------------------------------------------------------------------------------------
def run(config: RunConfig, agent: Agent | None = None,
        on_result: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Play every selected item not yet in the results, then write and return the report."""
    spec = parse_agent(config.agent)
    chosen, skipped, source = select_items(config)
    out = config.out_dir()
    out.mkdir(parents=True, exist_ok=True)
    settings = load_or_write_settings(out, settings_of(config, spec, source))
    if skipped or config.items_path:
        with (out / "skipped.jsonl").open("w", encoding="utf-8") as fh:
            for row in skipped:
                fh.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
        for row in skipped:
            print(f"cannot load row {row.row_id} ({row.category or 'no category'}): {row.reason}", file=sys.stderr)

    results = ResultsFile(out / "results.jsonl")
    todo = [it for it in chosen if it.id not in results.done]
    keeper = Bookkeeper(agent if agent is not None else make_agent(spec, config.sampling))
    finished = [results.done[it.id] for it in chosen if it.id in results.done]
    bar = tqdm(total=len(chosen), initial=len(finished), desc=f"{spec.text} {config.modality}/{config.protocol}",
               disable=not config.progress, dynamic_ncols=True)

    def done(row: dict[str, Any]) -> None:
        results.append(row)
        finished.append(row)
        bar.update(1)
        bar.set_postfix_str(f"acc {sum(r['correct'] for r in finished) / len(finished):.1%}")
        if on_result is not None:
            on_result(row)

    try:
        for start in range(0, len(todo), max(1, config.batch_size)):
            batch = todo[start:start + config.batch_size]
            envs = [ItemEnv(HelixEnv(it.task, mode=config.protocol, obs=config.modality, image_size=config.image_size,
                                     max_attempts=config.max_attempts, max_steps=config.max_steps), it, keeper,
                            settings, done) for it in batch]
            keeper.reset()
            run_episodes(envs, keeper, [{} for _ in envs])
            for env in envs:  # only an episode still running after run_episodes' turn limit gets here
                env.finish(False, True, error="the turn limit of the rollout was reached")
    finally:
        bar.close()
        results.close()
    return report.write_report([out], out)


# ---- command line ------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> tuple[RunConfig, argparse.ArgumentParser]:
    p = argparse.ArgumentParser(description="Run an agent on the Helix benchmark and report accuracy.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--agent", default="oracle", help="oracle | random | hf:<model> | vllm:<model> | "
                                                     "openai:<base_url>#<model>")
    p.add_argument("--modality", choices=MODALITIES, default="image", help="image: Img setting; text: Txt setting")
    p.add_argument("--protocol", choices=PROTOCOLS, default="answer",
                   help="answer: single shot; retry: attempts with verifier feedback; step: one move per turn")
    p.add_argument("--tasks", nargs="*", default=None, help="task names (default: all in the benchmark)")
    p.add_argument("--levels", nargs="*", type=int, default=None, help="levels (default: all)")
    p.add_argument("--limit", type=int, default=None, help="play only the first N items of the run order")
    p.add_argument("--out", type=Path, default=None, help="results folder (default: results/<agent>-<modality>-"
                                                          "<protocol>)")
    p.add_argument("--version", default=benchmark.DEFAULT_VERSION, help="benchmark version or manifest path")
    p.add_argument("--items", default=None, help="play MM-HELIX records instead (.tsv, annotations .json, .jsonl)")
    p.add_argument("--batch-size", type=int, default=32, help="episodes stepped in lockstep")
    p.add_argument("--image-size", type=int, default=512)
    p.add_argument("--max-attempts", type=int, default=3, help="retry protocol: answers per item")
    p.add_argument("--max-steps", type=int, default=None, help="step protocol: command budget (default: per task)")
    p.add_argument("--temperature", type=float, default=None, help="LLM sampling temperature")
    p.add_argument("--top-p", type=float, default=None, help="LLM nucleus sampling")
    p.add_argument("--max-tokens", type=int, default=None, help="LLM max new tokens per turn")
    p.add_argument("--seed", type=int, default=0, help="seed of the random agent and of LLM sampling")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    a = p.parse_args(argv)
    config = RunConfig(agent=a.agent, modality=a.modality, protocol=a.protocol, version=a.version,
                       items_path=a.items, tasks=a.tasks or None, levels=a.levels or None, limit=a.limit, out=a.out,
                       batch_size=a.batch_size, image_size=a.image_size, max_attempts=a.max_attempts,
                       max_steps=a.max_steps, progress=not a.no_progress,
                       sampling=Sampling(a.temperature, a.top_p, a.max_tokens, a.seed),
                       command=["python", "-m", "eval.run", *(sys.argv[1:] if argv is None else argv)])
    return config, p


def main(argv: Sequence[str] | None = None) -> int:
    config, parser = parse_args(argv)
    try:
        spec = parse_agent(config.agent)
        agent = make_agent(spec, config.sampling)
    except ValueError as exc:
        parser.error(str(exc))
    except AgentUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = run(config, agent)
    except (UnknownTask, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary["markdown"])
    print(f"\nresults, report and settings in {config.out_dir()}/")
    if spec.kind == "oracle" and summary["items"] and summary["correct"] < summary["items"]:
        print(f"the oracle missed {summary['items'] - summary['correct']} item(s): a generator, solver or "
              "verifier bug", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
