"""Reading and writing MM-HELIX records: VLMEvalKit TSV, the generators' annotations.json, JSONL.

`load_items(path)` turns every row into a playable `Item` through its task's `from_record`, and lists each row
it cannot load with the reason (never dropping one silently).
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.benchmark import Item
from helix_gym import get_task

TSV_COLUMNS = ("index", "category", "image", "question", "question_text", "answer", "initial_state", "metric_info",
               "difficulty")


@dataclass(frozen=True)
class Row:
    """One source row: its record, or why it could not even be read."""

    row_id: str
    record: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A row that cannot be played, and why."""

    row_id: str
    category: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"row": self.row_id, "category": self.category, "reason": self.reason}


# ---- reading -----------------------------------------------------------------------------------------------
def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def _decode_cell(value: str) -> Any:
    """A TSV cell that held a structure: JSON, else a Python literal, else the string (as VLMEvalKit decodes)."""
    for decode in (json.loads, ast.literal_eval):
        try:
            return decode(value)
        except Exception:  # any failure means "not this encoding"
            continue
    return value


def _read_tsv(path: Path) -> list[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)  # base64 pictures are long cells
    with _open_text(path) as fh:
        rows = []
        for raw in csv.DictReader(fh, delimiter="\t"):
            record: dict[str, Any] = {k: v for k, v in raw.items() if k is not None and v not in (None, "")}
            if isinstance(record.get("initial_state"), str):
                record["initial_state"] = _decode_cell(record["initial_state"])
            rows.append(record)
        return rows


def read_rows(path: str | Path) -> list[Row]:
    """Every row of a .tsv, .json (a list of records) or .jsonl file (optionally .gz), numbered from 1."""
    path = Path(path)
    name = path.name.removesuffix(".gz")
    raw: list[Any]
    errors: dict[int, str] = {}
    if name.endswith(".tsv"):
        raw = _read_tsv(path)
    elif name.endswith(".jsonl"):
        raw = []
        with _open_text(path) as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    raw.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    errors[len(raw)] = f"not JSON: {exc}"
                    raw.append(None)
    elif name.endswith(".json"):
        with _open_text(path) as fh:
            data = json.load(fh)
        raw = data if isinstance(data, list) else data.get("data") or data.get("rows") or list(data.values())
    else:
        raise ValueError(f"{path}: expected a .tsv, .json or .jsonl file (optionally .gz)")

    rows, seen = [], set()
    for n, obj in enumerate(raw, start=1):
        if not isinstance(obj, dict):
            rows.append(Row(f"row{n}", None, errors.get(n - 1, f"not a record: {type(obj).__name__}")))
            continue
        record = normalize(obj)
        row_id = str(record.get("index", f"row{n}"))
        if row_id in seen:
            row_id = f"{row_id}#row{n}"
        seen.add(row_id)
        rows.append(Row(row_id, record))
    return rows


def normalize(record: dict[str, Any]) -> dict[str, Any]:
    """One spelling of the fields: `index` (HF `id`), and both `question_text` (VLMEvalKit) and
    `question_language` (the generators' name for the text-only question)."""
    out = dict(record)
    if "index" not in out and "id" in out:
        out["index"] = out["id"]
    if out.get("question_text") and not out.get("question_language"):
        out["question_language"] = out["question_text"]
    if out.get("question_language") and not out.get("question_text"):
        out["question_text"] = out["question_language"]
    return out


def load_items(path: str | Path) -> tuple[list[Item], list[Skipped]]:
    """Playable items of every loadable row, and the rows that cannot be loaded with the reason."""
    loaded, skipped = [], []
    for row in read_rows(path):
        if row.record is None:
            skipped.append(Skipped(row.row_id, "", row.error or "unreadable row"))
            continue
        category = str(row.record.get("category", ""))
        try:
            task = get_task(category) if category else None
        except KeyError:
            task = None
        if task is None:
            why = f"no task registered for category {category!r}" if category else "the row has no category"
            skipped.append(Skipped(row.row_id, category, why))
            continue
        try:
            puzzle = task.from_record(row.record)
        except Exception as exc:  # reported with the row, never raised mid-run
            skipped.append(Skipped(row.row_id, category, f"{task.name}.from_record failed: {type(exc).__name__}: "
                                                         f"{exc}"))
            continue
        loaded.append(Item(id=row.row_id, task=task.name, level=puzzle.level, puzzle=puzzle, seed=puzzle.seed,
                           fingerprint=puzzle.fingerprint, source=str(path)))
    return loaded, skipped


# ---- writing -----------------------------------------------------------------------------------------------
def write_tsv(rows: Iterable[dict[str, Any]], path: str | Path, columns: Sequence[str] = TSV_COLUMNS) -> int:
    """Rows as a tab-separated file that pandas.read_csv(sep="\\t") reads back (quoted where needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), delimiter="\t", lineterminator="\n",
                                extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
