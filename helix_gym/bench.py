"""Speed benchmark of every task: generation, rendering, env reset, verification and step-mode moves.

    python -m helix_gym.bench [--tasks Sudoku Maze] [--levels 1 2 3 4 5] [--repeat 20] [--json out.json]

For each task and level, seeds 0..repeat-1 are timed with time.perf_counter (after one untimed warm-up):
- generate: `task.generate(default_rng(seed), level)`;
- render: `task.render(puzzle, size=512)` letterboxed to 512 x 512 (what the env shows);
- reset: `HelixEnv(task, level=level).reset(seed=...)` on other seeds (generate + render + prompt: an episode's
  start);
- verify: `task.verify` on the solver's answer and on 9 copies of it with one character changed (each input's
  time is the fastest of 3 calls, so p99 measures the inputs, not the machine's other work);
- apply: each `task.apply` along `solve_moves` from `initial_state` (per move, in microseconds).
Calls are timed with the garbage collector paused (as timeit does). The targets (level-5 reset median,
verify p99, apply median) are printed, and rows that miss one are marked.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from helix_gym.core.draw import letterbox
from helix_gym.core.env import HelixEnv
from helix_gym.core.parse import normalize_command
from helix_gym.core.registry import all_tasks, get_task
from helix_gym.core.task import Task

SIZE = 512
DEFAULT_REPEAT = 20
QUICK_REPEAT = 3
CORRUPTIONS = 9  # wrong answers timed per seed besides the right one (verify is cheap; p99 needs samples)
VERIFY_TRIES = 3  # verify is pure: the fastest of 3 calls is its cost on that input, without scheduler noise
RESET_SEED_OFFSET = 500_000  # reset plays other seeds than generate, so no cache warmed by generate helps it
WARMUP_SEED = 1_000_003
ENV_COMMANDS = ("undo", "restart", "submit")  # the env handles these (and `answer <...>`); apply never sees them
# metric -> (statistic, limit, only at this level or None): the speed targets of the spec
TARGETS: dict[str, tuple[str, float, int | None]] = {
    "reset_ms": ("median", 50.0, 5),
    "verify_ms": ("p99", 1.0, None),
    "apply_us": ("median", 50.0, None),
}
METRICS = ("generate_ms", "render_ms", "reset_ms", "verify_ms", "apply_us")


def corrupt(answer: str, rng: np.random.Generator) -> str:
    """`answer` with one character changed: a digit to another digit, a letter to another letter."""
    if not answer:
        return "x"
    spots = [i for i, ch in enumerate(answer) if ch.isascii() and ch.isalnum()] or list(range(len(answer)))
    i = spots[int(rng.integers(len(spots)))]
    ch = answer[i]
    if ch.isdigit():
        new = str((int(ch) + 1 + int(rng.integers(9))) % 10)
    elif ch.isalpha():
        base = ord("a") if ch.islower() else ord("A")
        new = chr(base + (ord(ch) - base + 1 + int(rng.integers(25))) % 26)
    else:
        new = "#" if ch != "#" else "@"
    return answer[:i] + new + answer[i + 1:]


def summarize(values: Sequence[float], p99: bool = False) -> dict[str, float | int] | None:
    """Median and p95 (and p99) of the samples, and their count; None when nothing was measured."""
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    out: dict[str, float | int] = {"median": float(np.median(arr)), "p95": float(np.percentile(arr, 95))}
    if p99:
        out["p99"] = float(np.percentile(arr, 99))
    out = {k: float(f"{v:.4g}") for k, v in out.items()}  # 4 significant digits: a 50 ns call is not 0
    out["n"] = len(values)
    return out


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Seconds one call takes, with the garbage collector paused as timeit does, so a collection of other
    code's garbage does not land in the tail of a cheap call (verify's p99); the work runs after the call."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        return time.perf_counter() - start, result
    finally:
        if enabled:
            gc.enable()


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:300]


def step_moves(task: Task, moves: Sequence[str]) -> list[str]:
    """The solver's moves that reach `apply` (the env handles undo, restart, submit and answer itself)."""
    env_words = set(ENV_COMMANDS) | set(task.undo_words)
    kept = []
    for move in moves:
        word = normalize_command(move)
        if word not in env_words and not word.startswith("answer "):
            kept.append(move)
    return kept


class _Run:
    """One (task, level) measurement: the samples of each metric and the first error each one met."""

    def __init__(self, task: Task, level: int) -> None:
        self.task, self.level = task, level
        self.env = HelixEnv(task, level=level)
        self.samples: dict[str, list[float]] = {m: [] for m in METRICS}
        self.errors: dict[str, str] = {}

    def section(self, metric: str, body: Callable[[], None]) -> None:
        """Run `body`, unless the metric already failed; a failure stops that metric, not the others."""
        if metric in self.errors:
            return
        try:
            body()
        except Exception as exc:
            self.errors[metric] = _error_text(exc)

    def seed(self, seed: int, record: bool = True) -> None:
        """Time every metric on one seed (`record=False`: the warm-up, whose times are dropped)."""
        task, level = self.task, self.level
        samples = self.samples if record else {m: [] for m in METRICS}
        try:
            dt, puzzle = _timed(task.generate, np.random.default_rng(seed), level)
        except Exception as exc:
            self.errors.setdefault("generate_ms", _error_text(exc))
            return
        samples["generate_ms"].append(dt * 1e3)

        def render() -> None:
            samples["render_ms"].append(_timed(lambda: letterbox(task.render(puzzle, size=SIZE), SIZE))[0] * 1e3)

        def reset() -> None:
            samples["reset_ms"].append(_timed(self.env.reset, seed=seed + RESET_SEED_OFFSET)[0] * 1e3)

        def verify() -> None:
            answer = task.solve(puzzle)
            rng = np.random.default_rng(seed)
            for i, text in enumerate([answer, *(corrupt(answer, rng) for _ in range(CORRUPTIONS))]):
                times, verdicts = zip(*(_timed(task.verify, puzzle, text) for _ in range(VERIFY_TRIES)))
                samples["verify_ms"].append(min(times) * 1e3)
                if i == 0 and not verdicts[0].correct:
                    self.errors.setdefault("solve", f"verify rejects solve's answer (seed {seed})")

        def apply() -> None:
            state = task.initial_state(puzzle)
            for move in step_moves(task, task.solve_moves(puzzle)):
                dt, state = _timed(task.apply, puzzle, state, move)
                samples["apply_us"].append(dt * 1e6)

        for metric, body in (("render_ms", render), ("reset_ms", reset), ("verify_ms", verify), ("apply_us", apply)):
            self.section(metric, body)

    def row(self, repeat: int) -> dict[str, Any]:
        row: dict[str, Any] = {"task": self.task.name, "level": self.level, "repeat": repeat}
        for metric in METRICS:
            row[metric] = summarize(self.samples[metric], p99=metric == "verify_ms")
        row["misses"] = misses(row)
        row["errors"] = dict(self.errors)
        return row


def measure(task: Task, level: int, repeat: int) -> dict[str, Any]:
    """One result row: every metric's statistics over seeds 0..repeat-1, after a warm-up seed."""
    run = _Run(task, level)
    run.seed(WARMUP_SEED, record=False)
    for seed in range(repeat):
        run.seed(seed)
    return run.row(repeat)


def misses(row: dict[str, Any]) -> list[str]:
    """The targets this row misses, as 'reset_ms median 61.2 > 50' strings."""
    out = []
    for metric, (stat, limit, level) in TARGETS.items():
        value = (row.get(metric) or {}).get(stat)
        if value is not None and (level is None or row["level"] == level) and value > limit:
            out.append(f"{metric} {stat} {value:.3g} > {limit:g}")
    return out


COLUMNS = (  # header, metric, statistic, format
    ("gen_med", "generate_ms", "median", ".2f"), ("gen_p95", "generate_ms", "p95", ".2f"),
    ("rend_med", "render_ms", "median", ".2f"), ("rend_p95", "render_ms", "p95", ".2f"),
    ("reset_med", "reset_ms", "median", ".2f"), ("reset_p95", "reset_ms", "p95", ".2f"),
    ("ver_med", "verify_ms", "median", ".3f"), ("ver_p95", "verify_ms", "p95", ".3f"),
    ("ver_p99", "verify_ms", "p99", ".3f"),
    ("apply_med", "apply_us", "median", ".1f"), ("apply_p95", "apply_us", "p95", ".1f"),
)


def table_header(name_width: int) -> str:
    return " ".join([f"{'task':<{name_width}}", "lvl", *(f"{h:>9}" for h, *_ in COLUMNS), "targets"])


def table_row(row: dict[str, Any], name_width: int) -> str:
    cells = [f"{row['task']:<{name_width}}", f"{row['level']:>3}"]
    for _, metric, stat, fmt in COLUMNS:
        value = (row.get(metric) or {}).get(stat)
        cells.append(f"{'err' if metric in row['errors'] else '-':>9}" if value is None else f"{value:>9{fmt}}")
    mark = "MISS " + "; ".join(row["misses"]) if row["misses"] else "ok"
    if row["errors"]:
        mark += " | errors: " + "; ".join(f"{k}: {v}" for k, v in row["errors"].items())
    return " ".join(cells) + " " + mark


def targets_line() -> str:
    parts = []
    for metric, (stat, limit, level) in TARGETS.items():
        where = f"level-{level} " if level else ""
        unit = metric.rsplit("_", 1)[1]
        parts.append(f"{where}{metric.split('_')[0]} {stat} <= {limit:g} {unit}")
    return "Targets: " + ", ".join(parts) + " (rows that miss one say MISS)."


def run_bench(tasks: Sequence[Task], levels: Sequence[int], repeat: int, out: TextIO | None = None,
              ) -> list[dict[str, Any]]:
    """Measure every task x level, printing the table row by row (to stdout by default); returns the rows."""
    out = out or sys.stdout
    width = max(4, *(len(t.name) for t in tasks))
    print(targets_line(), file=out)
    print(f"{repeat} seeds per row. Times in ms, apply in us per move. reset = generate + render + prompt; "
          f"verify over the right answer and {CORRUPTIONS} one-character corruptions.", file=out)
    print(table_header(width), file=out, flush=True)
    rows = []
    for task in tasks:
        for level in levels:
            if level not in task.levels:
                continue
            row = measure(task, level, repeat)
            rows.append(row)
            print(table_row(row, width), file=out, flush=True)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helix_gym.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="*", default=None, help="task names or keys (default: all)")
    parser.add_argument("--levels", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--repeat", type=int, default=None, help=f"seeds per row (default {DEFAULT_REPEAT})")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_REPEAT} seeds per row")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as a JSON list here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    tasks = [get_task(name) for name in args.tasks] if args.tasks else all_tasks()
    if not tasks:
        print("no tasks registered", file=sys.stderr)
        return 1
    start = time.perf_counter()
    rows = run_bench(tasks, args.levels, repeat)
    missed = [r for r in rows if r["misses"]]
    failed = [r for r in rows if r["errors"]]
    print(f"{len(rows)} rows in {time.perf_counter() - start:.1f} s; {len(missed)} miss a target; "
          f"{len(failed)} with errors.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
