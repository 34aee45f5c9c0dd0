"""Accuracy reports of eval runs, aggregated as MM-HELIX does.

    python -m eval.report RUN_DIR [RUN_DIR ...] [--out DIR]

A task's accuracy is the mean over its items; a category's is the unweighted mean of its tasks' accuracies;
overall is the unweighted mean of all task accuracies (as VLMEvalKit's MMHELIX computes it); a level's is
the mean over tasks of their accuracy at that level. Runs that differ only in modality are merged into the
paper's Table 1 layout (category x Txt/Img). Writes report.md, report.json and report.png (matplotlib,
optional) into --out, or into the run folder when there is one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = ("algorithms", "graphs", "puzzles", "games")  # the column order of the paper's Table 1
TITLES = {"algorithms": "Algorithms", "graphs": "Graphs", "puzzles": "Puzzles", "games": "Games"}
COLUMN = {"text": "Txt", "image": "Img"}


@dataclass
class Run:
    """One results folder: its settings, its finished items, and the rows it could not load."""

    path: Path
    settings: dict[str, Any]
    rows: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The row name in Table 1: the agent, with the protocol unless it is the single-shot one."""
        protocol = self.settings.get("protocol", "answer")
        agent = self.settings.get("agent", self.path.name)
        return agent if protocol == "answer" else f"{agent} ({protocol})"

    @property
    def modality(self) -> str:
        return self.settings.get("modality", "image")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
    return out


def load_run(path: str | Path) -> Run:
    path = Path(path)
    settings_file = path / "settings.json"
    if not settings_file.exists() and not (path / "results.jsonl").exists():
        raise FileNotFoundError(f"{path} is not a results folder (no settings.json or results.jsonl)")
    settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.exists() else {}
    rows = {row["item"]: row for row in _read_jsonl(path / "results.jsonl")}  # a repeated item: the last wins
    return Run(path, settings, list(rows.values()), _read_jsonl(path / "skipped.jsonl"))


# ---- aggregation -------------------------------------------------------------------------------------------
def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy per task, per task and level, per category, per level, per category and level, and overall."""
    cells: dict[tuple[str, int], list[bool]] = defaultdict(list)
    category_of: dict[str, str] = {}
    for row in rows:
        cells[row["task"], int(row["level"])].append(bool(row["correct"]))
        category_of[row["task"]] = row["category"]

    tasks: dict[str, dict[str, Any]] = {}
    for name in sorted(category_of, key=lambda t: (_cat_rank(category_of[t]), t)):
        levels = {lv: cells[name, lv] for (t, lv) in sorted(cells) if t == name}
        flat = [c for marks in levels.values() for c in marks]
        tasks[name] = {"category": category_of[name], "items": len(flat), "correct": sum(flat),
                       "accuracy": sum(flat) / len(flat),
                       "levels": {lv: {"items": len(m), "correct": sum(m), "accuracy": sum(m) / len(m)}
                                  for lv, m in levels.items()}}

    all_levels = sorted({lv for (_, lv) in cells})
    categories = {c: _mean(t["accuracy"] for t in tasks.values() if t["category"] == c)
                  for c in _present_categories(tasks)}
    by_level = {lv: _mean(t["levels"][lv]["accuracy"] for t in tasks.values() if lv in t["levels"])
                for lv in all_levels}
    by_category_level = {c: {lv: _mean(t["levels"][lv]["accuracy"] for t in tasks.values()
                                       if t["category"] == c and lv in t["levels"]) for lv in all_levels}
                         for c in categories}
    return {"items": len(rows), "correct": sum(bool(r["correct"]) for r in rows), "tasks": tasks,
            "categories": categories, "levels": by_level, "category_levels": by_category_level,
            "overall": _mean(t["accuracy"] for t in tasks.values())}


def _cat_rank(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def _present_categories(tasks: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({t["category"] for t in tasks.values()}, key=lambda c: (_cat_rank(c), c))


# ---- Markdown ----------------------------------------------------------------------------------------------
def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def table1(runs: Sequence[Run], aggs: Sequence[dict[str, Any]]) -> str:
    """The paper's Table 1: one row per agent (and protocol), category x {Txt, Img}, then Overall x {Txt, Img}."""
    cats = [*CATEGORIES, *sorted({c for a in aggs for c in a["categories"]} - set(CATEGORIES))]
    merged: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # label -> modality -> aggregate
    for run, agg in zip(runs, aggs):
        merged[run.label][run.modality] = agg
    head = ["Model"] + [f"{TITLES.get(c, c)} {COLUMN[m]}" for c in [*cats, "Overall"] for m in ("text", "image")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, by_mod in merged.items():
        cells = [label]
        for c in [*cats, "Overall"]:
            for m in ("text", "image"):
                agg = by_mod.get(m)
                value = None if agg is None else (agg["overall"] if c == "Overall" else agg["categories"].get(c))
                cells.append(pct(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def level_table(agg: dict[str, Any]) -> str:
    cats = list(agg["categories"])
    head = ["Level", *[TITLES.get(c, c) for c in cats], "Overall"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lv, value in agg["levels"].items():
        lines.append("| " + " | ".join([str(lv), *[pct(agg["category_levels"][c][lv]) for c in cats], pct(value)])
                     + " |")
    lines.append("| " + " | ".join(["all", *[pct(agg["categories"][c]) for c in cats], pct(agg["overall"])]) + " |")
    return "\n".join(lines)


def task_table(agg: dict[str, Any]) -> str:
    levels = list(agg["levels"])
    head = ["Task", "Category", "Correct", "Accuracy", *[f"L{lv}" for lv in levels]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, t in agg["tasks"].items():
        per_level = [pct(t["levels"][lv]["accuracy"]) if lv in t["levels"] else "–" for lv in levels]
        lines.append("| " + " | ".join([name, t["category"], f"{t['correct']}/{t['items']}", pct(t["accuracy"]),
                                        *per_level]) + " |")
    return "\n".join(lines)


def _source_line(run: Run) -> str:
    s = run.settings
    bench = s.get("benchmark") or {}
    if "items_file" in bench:
        where = f"records file {bench['items_file']} ({bench.get('rows', '?')} rows, {bench.get('unloadable', 0)} " \
                "not loadable)"
    else:
        kind = "frozen" if bench.get("frozen") else "development version"
        where = f"benchmark {bench.get('version', '?')} ({kind}, {len(bench.get('tasks', []))} tasks, " \
                f"{bench.get('items', '?')} items)"
    sampling = {k: v for k, v in (s.get("sampling") or {}).items() if v is not None}
    if s.get("agent_kind") in ("oracle", "random"):  # no decoding: only the random agent's seed matters
        sampling = {"seed": sampling.get("seed", 0)} if s.get("agent_kind") == "random" else {}
    env = s.get("env") or {}
    extra = f", max_attempts {env.get('max_attempts')}" if s.get("protocol") == "retry" else ""
    return (f"- `{run.path}`: agent `{s.get('agent', '?')}`, modality {s.get('modality', '?')}, protocol "
            f"{s.get('protocol', '?')}{extra}; {where}; sampling {sampling or 'n/a'}; helix-gym "
            f"{(s.get('packages') or {}).get('helix_gym', '?')}")


def markdown(runs: Sequence[Run], aggs: Sequence[dict[str, Any]]) -> str:
    parts = ["# Helix-Gym evaluation report", "", *[_source_line(r) for r in runs], "",
             "Accuracy in %. Task accuracy = mean over its items; category = mean of its task accuracies; overall = "
             "mean of all task accuracies (as MM-HELIX computes it); level = mean over tasks of their accuracy at "
             "that level.", ""]
    if any(r.settings.get("protocol") == "retry" for r in runs):
        parts += ["Runs marked (retry) had several attempts with the verifier's feedback: not comparable with "
                  "single-shot numbers (for Yes/No questions a second attempt is a known coin).", ""]
    parts += ["## Accuracy by category (MM-HELIX Table 1 layout)", "", table1(runs, aggs), ""]
    for run, agg in zip(runs, aggs):
        title = f"{run.label}, {COLUMN.get(run.modality, run.modality)}"
        parts += [f"## {title}: {agg['correct']}/{agg['items']} items correct, overall {pct(agg['overall'])}", "",
                  "By level and category:", "", level_table(agg), "", "By task:", "", task_table(agg), ""]
        if run.skipped:
            parts += [f"{len(run.skipped)} record(s) could not be loaded and were not played "
                      f"(all in {run.path / 'skipped.jsonl'}):", ""]
            parts += [f"- {s['row']} ({s.get('category') or 'no category'}): {s['reason']}" for s in run.skipped[:50]]
            if len(run.skipped) > 50:
                parts.append(f"- ... and {len(run.skipped) - 50} more")
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


# ---- chart -------------------------------------------------------------------------------------------------
def chart(runs: Sequence[Run], aggs: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Bars of accuracy by level for each category (and overall), one panel per run; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no chart was drawn (pip install 'helix-gym[plot]')", file=sys.stderr)
        return None
    fig, axes = plt.subplots(len(runs), 1, figsize=(8, 3.2 * len(runs)), squeeze=False)
    for ax, run, agg in zip(axes[:, 0], runs, aggs):
        series = [(TITLES.get(c, c), agg["category_levels"][c], agg["categories"][c]) for c in agg["categories"]]
        series.append(("Overall", agg["levels"], agg["overall"]))
        groups = [*[f"L{lv}" for lv in agg["levels"]], "all"]
        width = 0.8 / max(1, len(series))
        for i, (name, by_level, total) in enumerate(series):
            values = [100 * (v or 0.0) for v in by_level.values()] + [100 * (total or 0.0)]
            ax.bar([g + i * width for g in range(len(groups))], values, width, label=name)
        ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], groups)
        ax.set_ylim(0, 105)
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"{run.label}, {COLUMN.get(run.modality, run.modality)}: overall {pct(agg['overall'])}%")
        ax.legend(fontsize=8, ncol=len(series), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ---- writing -----------------------------------------------------------------------------------------------
def write_report(run_dirs: Sequence[str | Path], out: str | Path | None = None, draw: bool = True) -> dict[str, Any]:
    """Aggregate the runs; write report.md, report.json and report.png into `out` when given."""
    runs = [load_run(d) for d in run_dirs]
    aggs = [aggregate(r.rows) for r in runs]
    text = markdown(runs, aggs)
    summary = {"markdown": text, "items": sum(a["items"] for a in aggs), "correct": sum(a["correct"] for a in aggs),
               "runs": [{"path": str(r.path), "label": r.label, "modality": r.modality, "settings": r.settings,
                         "skipped": len(r.skipped), **a} for r, a in zip(runs, aggs)], "chart": None}
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(text, encoding="utf-8")
        body = {k: v for k, v in summary.items() if k != "markdown"}
        if draw and any(a["items"] for a in aggs):
            chart_path = chart(runs, aggs, out / "report.png")
            summary["chart"] = body["chart"] = str(chart_path) if chart_path else None
        (out / "report.json").write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Merge eval runs into one accuracy report.")
    parser.add_argument("runs", nargs="+", type=Path, help="results folders written by eval.run")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write report.md/.json/.png (default: the run folder when there is one run)")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or (args.runs[0] if len(args.runs) == 1 else None)
    summary = write_report(args.runs, out, draw=not args.no_chart)
    print(summary["markdown"])
    if out is None:
        print("(pass --out DIR to write report.md, report.json and report.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
