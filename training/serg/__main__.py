"""Command line: python -m training.serg --per-task 100 --levels 1-5 --out data/serg --workers 2 [--refine SPEC]"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from training.serg.pipeline import LEVELS, synthesize
from training.serg.skeleton import DEFAULT_STATE_BUDGET


def parse_levels(text: str) -> list[int]:
    """`1-5`, `3`, `1,3,5` or `1-2,4`."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        out.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    if not out:
        raise argparse.ArgumentTypeError(f"no levels in {text!r}")
    return sorted(dict.fromkeys(out))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.serg", description=(
        "SERG: reasoning traces from every task's solve_trace, verifier-filtered, written as JSONL + PNG "
        "images that Hugging Face datasets loads. A rerun resumes."))
    p.add_argument("--out", default="data/serg", help="output folder (default data/serg)")
    p.add_argument("--tasks", nargs="*", default=None, help="task names or keys (default: every registered task)")
    p.add_argument("--levels", type=parse_levels, default=list(LEVELS), help="e.g. 1-5 or 1,3,5 (default 1-5)")
    p.add_argument("--per-task", type=int, default=100, help="instances per task, spread over the levels")
    p.add_argument("--per-level", type=int, default=None, help="instances per task and level (overrides --per-task)")
    p.add_argument("--workers", type=int, default=2, help="worker processes for the skeleton phase")
    p.add_argument("--seed", type=int, default=0, help="instance seeds are 2,000,000,000 + seed * 10,000,000 + k")
    p.add_argument("--image-size", type=int, default=512)
    p.add_argument("--state-budget", type=int, default=DEFAULT_STATE_BUDGET,
                   help="characters of intermediate states shown per trace")
    p.add_argument("--benchmark-version", default=None, help="benchmark whose items are excluded (default: current)")
    p.add_argument("--refine", default=None, metavar="SPEC",
                   help="rewrite skeletons with an LLM: openai:<base_url>#<model>, hf:<model> or vllm:<model>")
    p.add_argument("--refine-attempts", type=int, default=4, help="tries per instance before it is dropped")
    p.add_argument("--refine-batch", type=int, default=64, help="chats per backend call")
    p.add_argument("--refine-image", action="store_true", help="send the picture with the rewrite request")
    p.add_argument("--min-anchor-recall", type=float, default=0.0,
                   help="drop rewrites that keep less than this share of the skeleton's moves and states")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--max-tokens", type=int, default=16384)
    p.add_argument("--retry-dropped", action="store_true", help="retry instances an earlier refinement dropped")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    backend, label = None, "refined"
    if args.refine:
        from training.serg.refine import make_backend

        backend = make_backend(args.refine, temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed)
        label = f"refined:{getattr(backend, 'model', '') or args.refine}"
    report = synthesize(
        args.out, tasks=args.tasks, levels=args.levels, per_task=args.per_task, per_level=args.per_level,
        workers=args.workers, seed=args.seed, benchmark_version=args.benchmark_version,
        image_size=args.image_size, state_budget=args.state_budget, backend=backend,
        refine_attempts=args.refine_attempts, refine_batch=args.refine_batch,
        min_anchor_recall=args.min_anchor_recall, refine_image=args.refine_image, refine_label=label,
        retry_dropped=args.retry_dropped, progress=not args.no_progress)
    print(json.dumps(report.as_dict(), indent=1), file=sys.stderr)
    s = report.summary
    print(f"{s['records']} records in {args.out}; dropped: {s['dropped'] or 'none'}", file=sys.stderr)
    print("dead-end/backtrack shares (records with both / records), per task and level:", file=sys.stderr)
    for task, cells in s["per_task_level"].items():
        if any(c["with_try"] for c in cells.values()):
            row = "  ".join(f"L{lv}={c['dead_end_share']:.0%}" for lv, c in cells.items())
            print(f"  {task:30s} {row}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
