"""Export to the VLMEvalKit TSV and back, the official sample records, rows that cannot be loaded."""

from __future__ import annotations

import base64
import csv
import io
import json
import sys
from pathlib import Path

import pytest
from PIL import Image

import helix_gym
from eval import benchmark, export
from eval.records_io import TSV_COLUMNS, load_items, read_rows, write_tsv
from eval.run import RunConfig, run
from tests.conftest import KNOWN_BAD_OFFICIAL

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "mmhelix-records.jsonl"
MANIFEST = benchmark.load_manifest()


def subset() -> list[benchmark.Item]:
    """One item per task, at varied levels."""
    return [next(benchmark.items(tasks=[t], levels=[1 + i % 5])) for i, t in enumerate(MANIFEST.tasks)]


def read_tsv(path: Path) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_vlmevalkit_export_layout(tmp_path):
    items = subset()
    out = tmp_path / "MM-HELIX-ours.tsv"
    paired = sum(helix_gym.get_task(item.task).paired_rows for item in items)
    assert export.export(items, out, progress=False) == len(items) + paired
    rows = [row for row in read_tsv(out) if not row["index"].endswith("-pair")]
    assert list(rows[0]) == list(TSV_COLUMNS)
    for item, row in zip(items, rows):
        task = helix_gym.get_task(item.task)
        assert row["index"] == item.id and row["category"] == task.key and int(row["difficulty"]) == item.level
        assert json.loads(row["metric_info"]) == {"score_function": task.score_function}
        assert row["question"] and row["question_text"] and row["answer"]
        picture = Image.open(io.BytesIO(base64.b64decode(row["image"])))
        assert picture.format == "PNG" and picture.size == (512, 512)


def test_export_then_import_round_trips(tmp_path):
    items = subset()
    for fmt, name in (("vlmevalkit", "ours.tsv"), ("jsonl", "ours.jsonl")):
        export.export(items, tmp_path / name, fmt, progress=False)
        loaded, skipped = load_items(tmp_path / name)
        assert not skipped, [s.to_dict() for s in skipped]
        loaded = [it for it in loaded if not it.id.endswith("-pair")]  # paired tasks go out twice
        assert [(it.id, it.task, it.level, it.fingerprint) for it in loaded] == \
               [(it.id, it.task, it.level, it.fingerprint) for it in items], fmt


@pytest.mark.slow
def test_every_item_round_trips(tmp_path):
    items = list(benchmark.items())
    export.export(items, tmp_path / "all.tsv", progress=False)
    loaded, skipped = load_items(tmp_path / "all.tsv")
    assert not skipped
    loaded = [item for item in loaded if not item.id.endswith("-pair")]  # paired tasks go out twice
    changed = [a.id for a, b in zip(items, loaded) if a.fingerprint != b.fingerprint]
    assert len(loaded) == len(items) and not changed, changed


def test_image_path_column(tmp_path):
    items = subset()[:1]
    export.export(items, tmp_path / "x.tsv", image_dir=tmp_path / "img", progress=False)
    row = read_tsv(tmp_path / "x.tsv")[0]
    assert Path(row["image_path"]).read_bytes() == base64.b64decode(row["image"])


def test_unloadable_rows_are_reported_with_a_reason(tmp_path):
    good = export.record(subset()[0])
    rows = [
        {**good, "index": "good"},
        {"index": "alien", "category": "no_such_task", "question": "?"},
        {"index": "nameless", "question": "?"},
        {"index": "broken", "category": good["category"], "initial_state": "not a puzzle", "question": "?",
         "question_text": "garbage", "difficulty": 1},
    ]
    path = tmp_path / "rows.tsv"
    write_tsv([{k: (v if isinstance(v, str) else json.dumps(v)) for k, v in r.items()} for r in rows], path,
              ["index", "category", "question", "question_text", "answer", "initial_state", "difficulty"])
    loaded, skipped = load_items(path)
    assert [it.id for it in loaded] == ["good"]
    reasons = {s.row_id: s.reason for s in skipped}
    assert "no task registered for category 'no_such_task'" in reasons["alien"]
    assert "no category" in reasons["nameless"]
    assert "from_record failed" in reasons["broken"]

    summary = run(RunConfig(items_path=str(path), modality="text", out=tmp_path / "run", progress=False))
    assert summary["items"] == summary["correct"] == 1
    listed = [json.loads(line)["row"] for line in (tmp_path / "run" / "skipped.jsonl").read_text().splitlines()]
    assert sorted(listed) == ["alien", "broken", "nameless"]
    assert "3 record(s) could not be loaded" in summary["markdown"]


def test_read_rows_of_json_and_jsonl(tmp_path):
    records = [{"index": "a", "category": "x"}, {"id": "b", "category": "y", "question_text": "t"}]
    (tmp_path / "annotations.json").write_text(json.dumps(records))
    (tmp_path / "r.jsonl").write_text(json.dumps(records[0]) + "\nnot json\n" + json.dumps(records[1]) + "\n")
    rows = read_rows(tmp_path / "annotations.json")
    assert [r.row_id for r in rows] == ["a", "b"] and rows[1].record["question_language"] == "t"
    rows = read_rows(tmp_path / "r.jsonl")
    assert [r.record is None for r in rows] == [False, True, False] and "not JSON" in rows[1].error


@pytest.fixture(scope="module")
def sample_rows() -> list[dict]:
    if not SAMPLES.exists():
        pytest.skip(f"official samples not found at {SAMPLES}")
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_samples_load_for_every_registered_task(sample_rows):
    keys = {t.key for t in helix_gym.all_tasks()}
    loaded, skipped = load_items(SAMPLES)
    assert len(loaded) + len(skipped) == len(sample_rows)
    for s in skipped:
        assert s.category not in keys, f"official row {s.row_id} of a registered task did not load: {s.reason}"
        assert s.reason == f"no task registered for category {s.category!r}"
    assert len(loaded) == sum(r["category"] in keys for r in sample_rows)


def test_oracle_plays_the_sample_rows_of_benchmark_tasks(tmp_path, sample_rows):
    summary = run(RunConfig(items_path=str(SAMPLES), tasks=MANIFEST.tasks, modality="text", out=tmp_path / "s",
                            progress=False))
    keys = {helix_gym.get_task(t).key for t in MANIFEST.tasks}
    assert summary["items"] == sum(r["category"] in keys for r in sample_rows)
    known_bad = sum((r["category"], str(r["index"])) in KNOWN_BAD_OFFICIAL
                    for r in sample_rows if r["category"] in keys)
    assert summary["correct"] == summary["items"] - known_bad


def test_paired_task_items_are_exported_twice_with_one_question(tmp_path):
    """VLMEvalKit forces a lone GraphIsomorphism row to 0: each item goes out as a pair with one question_text."""
    from eval.benchmark import Item

    task = next(t for t in helix_gym.all_tasks() if t.paired_rows)
    puzzle = task.generate_seeded(3, 2)
    item = Item(id="pair-test", task=task.name, level=2, puzzle=puzzle, seed=3)
    out = tmp_path / "pairs.tsv"
    assert export.export([item], out, "vlmevalkit", progress=False) == 2
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [r["index"] for r in rows] == ["pair-test", "pair-test-pair"]
    assert rows[0]["question_text"] == rows[1]["question_text"] and rows[0]["answer"] == rows[1]["answer"]
    items, skipped = load_items(out)
    assert not skipped and [i.puzzle for i in items] == [puzzle, puzzle]
