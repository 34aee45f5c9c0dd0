"""The SERG pipeline: plan instances, build skeletons in worker processes, optionally refine, filter, write.

Instances: for each task and level, seeds `SEED_BASE + seed * SEED_STRIDE + k` for k = 0, 1, ... go through
`task.generate_seeded(seed, level)` (which mixes the level in) until the unit has its count of kept traces. An
instance is skipped when its fingerprint is a benchmark item's (eval.benchmark.fingerprints) or repeats an
earlier instance of the unit, and dropped when its skeleton's final answer fails the verifier; skipped and
dropped instances do not count, the next seed fills the slot. The benchmark uses seeds 1,000,000,000 and up
(a few thousand of them); ours start at 2,000,000,000, and exclusion is by fingerprint in any case.

Units run in a process pool (`workers`), each writing its own PNGs; the main process refines (optionally) and
appends records in plan order, so the output is the same bytes for the same arguments however many workers
ran, and a rerun after an interruption appends exactly what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helix_gym.core.draw import letterbox
from helix_gym.core.registry import get_task, task_names
from helix_gym.core.task import Puzzle
from training.serg import records as R
from training.serg.skeleton import DEFAULT_STATE_BUDGET, build_skeleton

SEED_BASE = 2_000_000_000
SEED_STRIDE = 10_000_000  # seeds of different --seed values never meet (units use far fewer)
MAX_TRIES_PER_ITEM = 50
BENCHMARK_SEEDS = range(1_000_000_000, 2_000_000_000)
LEVELS = (1, 2, 3, 4, 5)


def instance_seed(seed: int, k: int) -> int:
    value = SEED_BASE + int(seed) * SEED_STRIDE + int(k)
    if value in BENCHMARK_SEEDS or value < 0:
        raise ValueError(f"seed {seed} puts instance seeds in the benchmark's range")
    return value


@dataclass(frozen=True)
class Unit:
    task: str
    level: int
    count: int


def plan(tasks: Sequence[str] | None = None, levels: Sequence[int] = LEVELS, per_task: int | None = 100,
         per_level: int | None = None) -> list[Unit]:
    """Units (task, level, count): `per_level` each, or `per_task` spread evenly over the levels a task has
    (the first levels take the remainder). Levels a task does not offer are left out."""
    names = [get_task(t).name for t in tasks] if tasks else task_names()
    units = []
    for name in names:
        task = get_task(name)
        have = [lv for lv in levels if lv in task.levels]
        if not have:
            continue
        for i, level in enumerate(have):
            if per_level is not None:
                count = int(per_level)
            else:
                base, extra = divmod(int(per_task or 0), len(have))
                count = base + (1 if i < extra else 0)
            if count > 0:
                units.append(Unit(name, level, count))
    return units


# ---- one unit (runs in a worker) ------------------------------------------------------------------------
def _note(puzzle: Any, reason: str, detail: str = "") -> dict[str, Any]:
    return {"uid": puzzle.id, "task": puzzle.task, "level": puzzle.level, "seed": puzzle.seed,
            "fingerprint": puzzle.fingerprint, "reason": reason, "detail": detail[:300]}


def run_unit(job: dict[str, Any]) -> dict[str, Any]:
    """Build the kept traces of one unit. `job`: unit, seed, exclude (fingerprints), done (uids already
    written: they count and are not rebuilt), planned (uids that count but are not emitted, e.g. dropped by
    refinement in an earlier run), out (folder for images), image_size, state_budget, images."""
    start = time.perf_counter()
    unit: Unit = job["unit"]
    task = get_task(unit.task)
    exclude, done, planned = job["exclude"], job["done"], job.get("planned", frozenset())
    out = Path(job["out"])
    kept, seen = 0, set()
    records, notes, skeletons = [], [], []
    counts: Counter = Counter()
    k = 0
    while kept < unit.count and k < unit.count * MAX_TRIES_PER_ITEM:
        puzzle = task.generate_seeded(instance_seed(job["seed"], k), unit.level)
        k += 1
        fp = puzzle.fingerprint
        if fp in exclude:
            counts["benchmark"] += 1
            notes.append(_note(puzzle, "benchmark", "fingerprint of a benchmark item"))
            continue
        if fp in seen:
            counts["duplicate"] += 1
            continue
        seen.add(fp)
        if puzzle.id in done or puzzle.id in planned:
            kept += 1
            counts["resumed"] += 1
            continue
        try:
            events = task.solve_trace(puzzle)
            skeleton = build_skeleton(task, puzzle, events, rng=f"serg|{job['seed']}|{puzzle.id}",
                                      state_budget=job.get("state_budget", DEFAULT_STATE_BUDGET))
        except Exception as exc:
            counts["trace_error"] += 1
            notes.append(_note(puzzle, "trace_error", f"{type(exc).__name__}: {exc}"))
            continue
        ok, why = R.check_trace(task, puzzle, skeleton.text)
        if not ok:
            counts["skeleton_rejected"] += 1
            notes.append(_note(puzzle, "skeleton_rejected", why))
            continue
        if job.get("images", True):
            picture = letterbox(task.render(puzzle, size=job["image_size"]), job["image_size"])
            R.write_png(picture, out / R.image_path(puzzle.id))
        initial = next((e.state_text for e in events if e.kind == "read" and e.state_text), None)
        stats = {**skeleton.stats, "refine_attempts": 0, "anchor_recall": 1.0}
        records.append(R.make_record(task, puzzle, skeleton_cot=skeleton.text, answer=skeleton.answer,
                                     stats=stats, initial_state=initial))
        skeletons.append(skeleton.anchors)
        kept += 1
        counts["kept"] += 1
    if kept < unit.count:
        counts["shortfall"] += unit.count - kept
    return {"unit": unit, "records": records, "anchors": skeletons, "notes": notes, "counts": dict(counts),
            "seconds": time.perf_counter() - start}


# ---- the whole run ------------------------------------------------------------------------------------------
@dataclass
class RunReport:
    out: str
    units: int = 0
    planned: int = 0
    written: int = 0
    counts: Counter = field(default_factory=Counter)
    refine_failures: Counter = field(default_factory=Counter)
    seconds_skeleton: float = 0.0  # wall time of the skeleton phase (workers included)
    seconds_refine: float = 0.0
    seconds_total: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"out": self.out, "units": self.units, "planned": self.planned, "written": self.written,
                "counts": dict(self.counts), "refine_failures": dict(self.refine_failures),
                "seconds_skeleton": round(self.seconds_skeleton, 2), "seconds_refine": round(self.seconds_refine, 2),
                "seconds_total": round(self.seconds_total, 2)}


def benchmark_fingerprints(version: str | None = None) -> set[str]:
    from eval import benchmark

    return set(benchmark.fingerprints(version or benchmark.DEFAULT_VERSION))


def _imap(jobs: list[dict[str, Any]], workers: int) -> Iterable[dict[str, Any]]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield run_unit(job)
        return
    # spawn: workers start clean (no inherited threads such as tqdm's monitor), the same on every platform
    with multiprocessing.get_context("spawn").Pool(processes=min(workers, len(jobs))) as pool:
        yield from pool.imap(run_unit, jobs, chunksize=1)


def synthesize(out: str | Path, *, tasks: Sequence[str] | None = None, levels: Sequence[int] = LEVELS,
               per_task: int | None = 100, per_level: int | None = None, workers: int = 2, seed: int = 0,
               benchmark_version: str | None = None, exclude: Iterable[str] = (), image_size: int = 512,
               state_budget: int = DEFAULT_STATE_BUDGET, images: bool = True, backend: Any = None,
               refine_attempts: int = 4, refine_batch: int = 64, min_anchor_recall: float = 0.0,
               refine_image: bool = False, refine_label: str = "refined", retry_dropped: bool = False,
               progress: bool = True) -> RunReport:
    """Write (or complete) a SERG dataset in `out`; returns what this run did. See the module docstring."""
    t0 = time.perf_counter()
    out = Path(out)
    units = plan(tasks, levels, per_task, per_level)
    fps = frozenset(benchmark_fingerprints(benchmark_version) | set(exclude))
    report = RunReport(out=str(out), units=len(units), planned=sum(u.count for u in units))
    with R.Writer(out) as writer:
        refused = set() if retry_dropped else {uid for uid, reason in writer.drop_keys if reason == "refine_failed"}
        jobs = []
        for u in units:
            prefix = f"{u.task}-L{u.level}-"
            jobs.append({"unit": u, "seed": seed, "exclude": fps, "out": str(out), "image_size": image_size,
                         "state_budget": state_budget, "images": images,
                         "done": frozenset(x for x in writer.uids if x.startswith(prefix)),
                         "planned": frozenset(x for x in refused if x.startswith(prefix))})
        bar = _bar(report.planned, "skeletons", progress)
        pending: list[tuple[dict[str, Any], list[str]]] = []
        refine_bar = _bar(0, "refine", progress and backend is not None)

        def flush() -> None:
            if not pending:
                return
            t = time.perf_counter()
            recs = [r for r, _ in pending]
            if backend is not None:
                recs = _refine_batch(backend, pending, writer, report, refine_attempts, min_anchor_recall,
                                     refine_image, refine_label, out, seed)
                if refine_bar is not None:
                    refine_bar.update(len(pending))
            report.written += writer.write(recs)
            pending.clear()
            report.seconds_refine += time.perf_counter() - t if backend is not None else 0.0

        t_sk = time.perf_counter()
        for result in _imap(jobs, workers):
            report.counts.update(result["counts"])
            writer.drop(result["notes"])
            pending.extend(zip(result["records"], result["anchors"]))
            if refine_bar is not None:
                refine_bar.total = (refine_bar.total or 0) + len(result["records"])
                refine_bar.refresh()
            if bar is not None:
                bar.update(result["unit"].count)
            if backend is None or len(pending) >= refine_batch:
                flush()
        flush()
        report.seconds_skeleton = time.perf_counter() - t_sk - report.seconds_refine
        for b in (bar, refine_bar):
            if b is not None:
                b.close()
    report.summary = write_summary(out)
    report.seconds_total = time.perf_counter() - t0
    return report


def _refine_batch(backend: Any, pending: list[tuple[dict[str, Any], list[str]]], writer: R.Writer,
                  report: RunReport, attempts: int, min_anchor_recall: float, with_image: bool, label: str,
                  out: Path, seed: int) -> list[dict[str, Any]]:
    from training.serg.refine import RefineItem, refine

    items = []
    for rec, anchors in pending:
        task = get_task(rec["task"])
        puzzle = Puzzle.from_json(rec["puzzle"])
        image = None
        if with_image:
            import numpy as np
            from PIL import Image

            with Image.open(out / rec["image"]) as im:
                image = np.asarray(im.convert("RGB"), dtype=np.uint8)
        items.append(RefineItem(rec["uid"], task, puzzle, rec["question"], rec["skeleton_cot"], rec["answer"],
                                anchors, image))
    results = refine(backend, items, attempts=attempts, seed=seed, min_anchor_recall=min_anchor_recall,
                     with_image=with_image)
    kept = []
    for (rec, _), res in zip(pending, results):
        for f in res.failures:
            report.refine_failures[f.split(":", 1)[0]] += 1
        if res.text is None:
            report.counts["refine_failed"] += 1
            report.counts["kept"] -= 1
            writer.drop([{"uid": rec["uid"], "task": rec["task"], "level": rec["level"], "seed": rec["seed"],
                          "fingerprint": rec["fingerprint"], "reason": "refine_failed",
                          "detail": "; ".join(res.failures)[:300]}])
            continue
        rec = dict(rec)
        rec["expert_cot"] = res.text
        rec["expert_source"] = label
        rec["trace_stats"] = {**rec["trace_stats"], "refine_attempts": res.attempts,
                              "anchor_recall": round(res.anchor_recall, 4)}
        kept.append(rec)
    return kept


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="trace", dynamic_ncols=True)


# ---- the summary --------------------------------------------------------------------------------------------
def summarize(out: str | Path) -> dict[str, Any]:
    """Counts of the whole folder: records per task and level, drop reasons, dead-end/backtrack shares."""
    out = Path(out)
    per: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    total = 0
    sources: Counter = Counter()
    uids = set()
    for r in R.read_jsonl(out / R.RECORDS):
        total += 1
        uids.add(r["uid"])
        sources[r["expert_source"]] += 1
        s = r["trace_stats"]
        cell = per[r["task"]].setdefault(str(r["level"]), {"records": 0, "with_try": 0, "with_dead_end_backtrack": 0,
                                                            "chars": 0})
        cell["records"] += 1
        cell["with_try"] += s.get("tries", 0) > 0
        cell["with_dead_end_backtrack"] += s.get("dead_ends", 0) > 0 and s.get("backtracks", 0) > 0
        cell["chars"] += len(r["expert_cot"])
    for cells in per.values():
        for cell in cells.values():
            n = cell["records"]
            cell["mean_chars"] = round(cell.pop("chars") / n) if n else 0
            cell["dead_end_share"] = round(cell["with_dead_end_backtrack"] / n, 4) if n else 0.0
    drops: Counter = Counter()
    by_task: dict[str, Counter] = defaultdict(Counter)
    for d in R.read_jsonl(out / R.DROPPED):
        if d["uid"] in uids:  # dropped once, written by a later run (--retry-dropped)
            continue
        drops[d["reason"]] += 1
        by_task[d["task"]][d["reason"]] += 1
    return {"records": total, "expert_sources": dict(sorted(sources.items())),
            "per_task_level": {t: dict(sorted(c.items())) for t, c in sorted(per.items())},
            "dropped": dict(sorted(drops.items())),
            "dropped_per_task": {t: dict(sorted(c.items())) for t, c in sorted(by_task.items())}}


def write_summary(out: str | Path) -> dict[str, Any]:
    summary = summarize(out)
    (Path(out) / R.SUMMARY).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary
