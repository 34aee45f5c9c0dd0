"""The gallery and bench tools: they write what they promise, for any task (structure only, never timings)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import helix_gym
from helix_gym import bench, gallery
from helix_gym.core.draw import GridCanvas
from helix_gym.core.errors import InvalidMove
from helix_gym.core.task import Puzzle, Task, Verdict

TASK_NAMES = helix_gym.task_names()
needs_tasks = pytest.mark.skipif(not TASK_NAMES, reason="no task registered yet")
STAT_KEYS = {"generate_ms": {"median", "p95"}, "render_ms": {"median", "p95"}, "reset_ms": {"median", "p95"},
             "verify_ms": {"median", "p95", "p99"}, "apply_us": {"median", "p95"}}


class CountUp(Task):
    """A tiny unregistered task (reach a target number by `+1` moves), so the tools are tested on any registry."""

    name = "CountUp"
    key = "count_up"
    category = "puzzles"
    score_function = "exact"

    def generate(self, rng: np.random.Generator, level: int) -> Puzzle:
        return self.puzzle(self.check_level(level), {"target": int(rng.integers(1, 4)) + level})

    def solve(self, puzzle: Puzzle) -> str:
        return str(puzzle.data["target"])

    def solve_moves(self, puzzle: Puzzle) -> list[str]:
        return ["+1"] * puzzle.data["target"]

    def verify(self, puzzle: Puzzle, answer: str) -> Verdict:
        ok = answer.strip() == str(puzzle.data["target"])
        return Verdict.ok() if ok else Verdict.wrong("not the target")

    def prompt(self, puzzle: Puzzle, modality: str = "image") -> str:
        return f"Count up to {puzzle.data['target']}. Which number do you reach?"

    def render(self, puzzle: Puzzle, state=None, size: int = 512) -> Image.Image:
        canvas = GridCanvas(1, puzzle.data["target"], size)
        canvas.grid_lines()
        return canvas.image

    def initial_state(self, puzzle: Puzzle) -> int:
        return 0

    def apply(self, puzzle: Puzzle, state: int, move: str) -> int:
        if move != "+1":
            raise InvalidMove("only +1")
        return state + 1

    def is_solved(self, puzzle: Puzzle, state: int) -> bool:
        return state == puzzle.data["target"]


def _links(markdown: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def _check_gallery(folder: Path, names: list[str]) -> None:
    markdown = (folder / "GALLERY.md").read_text(encoding="utf-8")
    for name in names:
        sheet = Image.open(folder / f"{name}.png")
        assert sheet.width >= 3 * 64 and sheet.height >= 2 * 64
        assert f"### {name}" in markdown and f"(#{name.lower()})" in markdown
    links = _links(markdown)
    assert len(links) == 2 * len(names)  # a contact sheet and an example picture per task
    for link in links:
        assert not Path(link).is_absolute() and (folder / link).is_file(), link


def _check_rows(rows: list[dict], name: str, levels: list[int]) -> None:
    assert [(r["task"], r["level"]) for r in rows] == [(name, lv) for lv in levels]
    for row in rows:
        for metric, stats in STAT_KEYS.items():
            summary = row[metric]
            assert summary is not None, (metric, row["errors"])
            assert stats <= summary.keys()
            assert all(summary[s] > 0 for s in stats)
        assert isinstance(row["misses"], list) and isinstance(row["errors"], dict)


def test_gallery_on_a_toy_task_is_deterministic(tmp_path: Path) -> None:
    task = CountUp()
    assert gallery.build_gallery([task], tmp_path / "a", size=64) == []
    gallery.build_gallery([task], tmp_path / "b", size=64)
    _check_gallery(tmp_path / "a", ["CountUp"])
    for path in ["CountUp.png", "examples/CountUp.png", "GALLERY.md"]:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes(), path
    markdown = (tmp_path / "a" / "GALLERY.md").read_text(encoding="utf-8")
    assert "Count up to" in markdown and "(#puzzles)" in markdown


def test_gallery_reports_a_broken_render(tmp_path: Path) -> None:
    class Broken(CountUp):
        name = "Broken"

        def render(self, puzzle, state=None, size=512):
            raise RuntimeError("no picture")

    errors = gallery.build_gallery([Broken()], tmp_path, size=64)
    assert errors and all("no picture" in e for e in errors)
    _check_gallery(tmp_path, ["Broken"])


def test_bench_rows_on_a_toy_task() -> None:
    rows = [bench.measure(CountUp(), level, repeat=2) for level in (1, 5)]
    _check_rows(rows, "CountUp", [1, 5])
    assert rows[0]["errors"] == {}


def test_bench_reports_missing_step_mode() -> None:
    class NoSteps(CountUp):
        def initial_state(self, puzzle):
            raise NotImplementedError

    row = bench.measure(NoSteps(), 1, repeat=1)
    assert row["apply_us"] is None and "NotImplementedError" in row["errors"]["apply_us"]
    assert row["verify_ms"] is not None


def test_corrupt_changes_one_character() -> None:
    rng = np.random.default_rng(0)
    for answer in ["12 + 3 = 15", "up,down,left", "(1, 2)", "", "***"]:
        wrong = bench.corrupt(answer, rng)
        assert wrong != answer
        if answer:
            assert len(wrong) == len(answer) and sum(a != b for a, b in zip(answer, wrong)) == 1


def test_misses_only_checks_targets() -> None:
    row = {"level": 5, "reset_ms": {"median": 80.0}, "verify_ms": {"p99": 0.5}, "apply_us": {"median": 70.0}}
    assert [m.split()[0] for m in bench.misses(row)] == ["reset_ms", "apply_us"]
    assert [m.split()[0] for m in bench.misses({**row, "level": 3})] == ["apply_us"]


@needs_tasks
def test_gallery_main_on_registered_tasks(tmp_path: Path) -> None:
    names = TASK_NAMES[:2]
    gallery.main(["--out", str(tmp_path), "--tasks", *names, "--size", "256"])  # 1 if a task failed: still drawn
    _check_gallery(tmp_path, names)


@needs_tasks
def test_bench_main_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    name = TASK_NAMES[0]
    out = tmp_path / "bench.json"
    bench.main(["--quick", "--tasks", name, "--levels", "1", "5", "--json", str(out)])
    rows = json.loads(out.read_text(encoding="utf-8"))
    _check_rows(rows, name, [1, 5])
    printed = capsys.readouterr().out
    assert "Targets:" in printed and name in printed
