"""Export the benchmark as MM-HELIX records, for VLMEvalKit or any other consumer.

    python -m eval.export --format vlmevalkit --out MM-HELIX-ours.tsv [--images DIR] [--version helix-1260-v1]
    python -m eval.export --format jsonl --out helix-records.jsonl

`vlmevalkit` writes the TSV columns VLMEvalKit's MMHELIX dataset reads: index, category (the official task
key), image (base64 PNG of the picture the env shows), question (image variant), question_text (text
variant), answer (one valid answer), initial_state, metric_info ({"score_function": ...} as JSON), difficulty.
VLMEvalKit's MMHELIX.build_prompt reads pictures from an `image_path` column: `--images DIR` also writes
each picture to DIR and fills that column. A task whose official rows are scored in pairs (Task.paired_rows:
GraphIsomorphism) gets each item twice, so VLMEvalKit's pair rule scores it. `jsonl` writes each task's
`to_record` row as it is.
Either file plays back through our envs: `python -m eval.run --items FILE`.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval import benchmark
from eval.benchmark import IMAGE_SIZE, Item
from eval.records_io import TSV_COLUMNS, write_tsv
from helix_gym import get_task
from helix_gym.core.draw import letterbox


def _cell(value: Any) -> str:
    """A TSV cell: strings as they are, structures as JSON, nothing as empty."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def png_bytes(item: Item, size: int = IMAGE_SIZE) -> bytes:
    task = get_task(item.task)
    buffer = io.BytesIO()
    letterbox(task.render(item.puzzle, size=size), size).save(buffer, format="PNG")
    return buffer.getvalue()


def record(item: Item) -> dict[str, Any]:
    """The task's own record of the item, keyed by the item id, with both names of the text question."""
    task = get_task(item.task)
    rec = dict(task.to_record(item.puzzle))
    rec["index"] = item.id
    text = rec.get("question_text") or rec.get("question_language") or task.prompt(item.puzzle, "text")
    rec["question_text"] = rec["question_language"] = text
    return rec


def vlmevalkit_row(item: Item, image_dir: Path | None = None) -> dict[str, Any]:
    task = get_task(item.task)
    rec = record(item)
    png = png_bytes(item)
    row = {
        "index": item.id,
        "category": rec.get("category") or task.key,
        "image": base64.b64encode(png).decode("ascii"),
        "question": rec["question"],
        "question_text": rec["question_text"],
        "answer": _cell(rec.get("answer")),
        "initial_state": _cell(rec.get("initial_state")),
        "metric_info": json.dumps({"score_function": task.score_function}),
        "difficulty": item.level,
    }
    if image_dir is not None:
        path = image_dir / f"{item.id}.png"
        path.write_bytes(png)
        row["image_path"] = str(path.resolve())
    return row


def export(items: Sequence[Item], out: Path, fmt: str = "vlmevalkit", image_dir: Path | None = None,
           progress: bool = True) -> int:
    bar: Iterator[Item] = tqdm(items, desc=f"export {fmt}", disable=not progress)
    if fmt == "jsonl":
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for item in bar:
                fh.write(json.dumps(record(item), ensure_ascii=False) + "\n")
        return len(items)
    columns = list(TSV_COLUMNS)
    if image_dir is not None:
        image_dir.mkdir(parents=True, exist_ok=True)
        columns.append("image_path")
    return write_tsv((row for item in bar for row in _paired(vlmevalkit_row(item, image_dir), item)), out, columns)


def _paired(row: dict[str, Any], item: Item) -> list[dict[str, Any]]:
    """VLMEvalKit scores a paired task's rows two by two (same question_text; both right or both 0) and forces a
    lone row to 0, so such an item is written twice: the second row is the `-pair` copy."""
    if not get_task(item.task).paired_rows:
        return [row]
    return [row, {**row, "index": f"{row['index']}-pair"}]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export the benchmark as MM-HELIX records.")
    parser.add_argument("--format", choices=["vlmevalkit", "jsonl"], default="vlmevalkit")
    parser.add_argument("--out", type=Path, required=True, help="the .tsv (vlmevalkit) or .jsonl file to write")
    parser.add_argument("--version", default=benchmark.DEFAULT_VERSION, help="benchmark version or manifest path")
    parser.add_argument("--tasks", nargs="*", default=None)
    parser.add_argument("--levels", nargs="*", type=int, default=None)
    parser.add_argument("--images", type=Path, default=None, help="also write the pictures here (image_path column)")
    args = parser.parse_args(argv)
    chosen = list(benchmark.items(args.version, args.tasks, args.levels))
    count = export(chosen, args.out, args.format, args.images)
    print(f"wrote {count} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
