"""Aggregation against hand-computed numbers, the Table 1 merge, the chart and its absence."""

from __future__ import annotations

import builtins
import json

import pytest

from eval import report

# task: category, {level: marks}
SYNTHETIC = {
    "A": ("algorithms", {1: [1, 0], 2: [1, 1]}),  # 3/4 = 0.75; L1 0.5, L2 1.0
    "B": ("algorithms", {1: [1], 2: [0]}),  # 1/2 = 0.5; L1 1.0, L2 0.0
    "C": ("graphs", {1: [0, 0, 0, 0], 2: [1, 0]}),  # 1/6; L1 0.0, L2 0.5
}


def write_run(path, modality="image", protocol="answer", agent="model-x", synthetic=SYNTHETIC):
    path.mkdir(parents=True)
    (path / "settings.json").write_text(json.dumps({"agent": agent, "modality": modality, "protocol": protocol}))
    lines = []
    for task, (category, levels) in synthetic.items():
        for level, marks in levels.items():
            for i, mark in enumerate(marks):
                lines.append(json.dumps({"item": f"{task}-{level}-{i}", "task": task, "category": category,
                                         "level": level, "correct": bool(mark)}))
    (path / "results.jsonl").write_text("\n".join(lines) + "\n")
    return path


def test_aggregation_matches_hand_computed_numbers(tmp_path):
    agg = report.aggregate(report.load_run(write_run(tmp_path / "r")).rows)
    assert agg["items"] == 12 and agg["correct"] == 5
    assert {t: v["accuracy"] for t, v in agg["tasks"].items()} == pytest.approx({"A": 0.75, "B": 0.5, "C": 1 / 6})
    assert agg["categories"] == pytest.approx({"algorithms": 0.625, "graphs": 1 / 6})
    assert agg["overall"] == pytest.approx((0.75 + 0.5 + 1 / 6) / 3)  # mean of tasks, not 5/12 (the item mean)
    assert agg["levels"] == pytest.approx({1: 0.5, 2: 0.5})
    assert agg["category_levels"]["algorithms"] == pytest.approx({1: 0.75, 2: 0.5})
    assert agg["category_levels"]["graphs"] == pytest.approx({1: 0.0, 2: 0.5})
    assert agg["tasks"]["C"]["levels"][1] == {"items": 4, "correct": 0, "accuracy": 0.0}


def test_table1_merges_text_and_image_runs(tmp_path):
    text_only = {"A": ("algorithms", {1: [1, 1]}), "C": ("graphs", {1: [1, 0]})}
    img = write_run(tmp_path / "img")
    txt = write_run(tmp_path / "txt", modality="text", synthetic=text_only)
    retry = write_run(tmp_path / "retry", protocol="retry")
    summary = report.write_report([img, txt, retry], tmp_path / "merged", draw=False)
    text = summary["markdown"]
    assert ("| model-x | 100.0 | 62.5 | 50.0 | 16.7 | – | – | – | – | 75.0 | 47.2 |" in text), text
    assert "| model-x (retry) | – | 62.5 | – | 16.7 | – | – | – | – | – | 47.2 |" in text
    assert "not comparable with single-shot" in text
    assert (tmp_path / "merged" / "report.md").read_text() == text
    assert json.loads((tmp_path / "merged" / "report.json").read_text())["items"] == 12 + 4 + 12


def test_level_and_task_tables(tmp_path):
    text = report.write_report([write_run(tmp_path / "r")], draw=False)["markdown"]
    assert "| 1 | 75.0 | 0.0 | 50.0 |" in text and "| all | 62.5 | 16.7 | 47.2 |" in text
    assert "| C | graphs | 1/6 | 16.7 | 0.0 | 50.0 |" in text


def test_load_run_skips_cut_lines_and_keeps_the_last_of_a_repeated_item(tmp_path):
    path = write_run(tmp_path / "r")
    with (path / "results.jsonl").open("a") as fh:
        fh.write(json.dumps({"item": "C-1-0", "task": "C", "category": "graphs", "level": 1, "correct": True}) + "\n")
        fh.write('{"item": "cut sh')
    agg = report.aggregate(report.load_run(path).rows)
    assert agg["items"] == 12 and agg["tasks"]["C"]["correct"] == 2


def test_chart_is_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    summary = report.write_report([write_run(tmp_path / "r")], tmp_path / "r")
    assert summary["chart"] and (tmp_path / "r" / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_matplotlib_no_chart(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    summary = report.write_report([write_run(tmp_path / "r")], tmp_path / "r")
    assert summary["chart"] is None and not (tmp_path / "r" / "report.png").exists()
    assert "matplotlib is not installed" in capsys.readouterr().err
    assert (tmp_path / "r" / "report.md").exists()


def test_cli(tmp_path, capsys):
    run_dir = write_run(tmp_path / "r")
    assert report.main([str(run_dir), "--no-chart"]) == 0
    assert "| model-x |" in capsys.readouterr().out and (run_dir / "report.md").exists()
