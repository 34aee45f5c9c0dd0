"""SERG records: the filter (extracted final answer must pass the task's verifier), the record fields of
spec/training.md §3.4, the JSONL + PNG writer, and a loader for Hugging Face `datasets`.

Layout of an output folder:

    serg.jsonl        one record per line (fields below), in plan order; a rerun appends what is missing
    images/<uid>.png  the picture the env shows (letterboxed to image_size), referenced by the relative
                      path in the record's `image` field
    dropped.jsonl     one line per skipped or dropped instance: uid, task, level, seed, reason, detail
    summary.json      counts per task and level, drop reasons, dead-end/backtrack shares (no timings, so
                      two runs with the same arguments write the same bytes)

Record fields: uid, task, key, category, level, seed, fingerprint, image, question, question_text,
initial_state, answer, skeleton_cot, expert_cot, expert_verified, expert_source, source, puzzle, trace_stats.
`question` is exactly the text the env shows in answer mode with an image observation (the prompt plus the
`\\boxed{}` instruction), `question_text` the same for the text observation. `initial_state` is the official
record's `initial_state` serialised to a string (JSON where it is structured), `puzzle` the instance as
`Puzzle.to_json()` so a trainer can rebuild it and call the task's verifier.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from helix_gym.core.env import BOXED_INSTRUCTION, MAX_TEXT, fit_charset
from helix_gym.core.extract import extract_answer
from helix_gym.core.task import Puzzle, Task, canonical_json

RECORDS = "serg.jsonl"
DROPPED = "dropped.jsonl"
SUMMARY = "summary.json"
IMAGES = "images"
SOURCE = "helix-serg"
FIELDS = ("uid", "task", "key", "category", "level", "seed", "fingerprint", "image", "question", "question_text",
          "initial_state", "answer", "skeleton_cot", "expert_cot", "expert_verified", "expert_source", "source",
          "puzzle", "trace_stats")
THINK_CLOSE = "</think>"


# ---- the filter -----------------------------------------------------------------------------------------
def check_trace(task: Task, puzzle: Puzzle, text: str) -> tuple[bool, str]:
    """(kept, reason): a trace is kept when it closes its thinking, then gives a final answer that the task's
    verifier accepts. Reasons: ok, no_think_close, no_final_answer, wrong_answer: <first violation>."""
    if not isinstance(text, str) or THINK_CLOSE not in text:
        return False, "no_think_close"
    tail = text.rsplit(THINK_CLOSE, 1)[1]
    extracted = extract_answer(text)
    if extracted is None or extract_answer(tail) is None:
        return False, "no_final_answer"
    verdict = task.verify(puzzle, extracted)
    if not verdict.correct:
        why = verdict.violations[0] if verdict.violations else "rejected"
        return False, f"wrong_answer: {why}"[:300]
    return True, "ok"


# ---- record fields ------------------------------------------------------------------------------------
def question(task: Task, puzzle: Puzzle, modality: str = "image") -> str:
    """The env's answer-mode observation text for `modality` ("image": the state is in the picture)."""
    return fit_charset("\n\n".join([task.prompt(puzzle, modality).rstrip(), BOXED_INSTRUCTION]))[:MAX_TEXT]


def initial_state_text(task: Task, puzzle: Puzzle, fallback: str | None = None) -> str:
    """The official record's `initial_state` as a string (JSON where structured); `fallback` where a task's
    record has none (one string type for every row keeps the Arrow schema the same across tasks)."""
    try:
        value = task.to_record(puzzle).get("initial_state")
    except Exception:
        value = None
    if value is None:
        return fallback or ""
    return value if isinstance(value, str) else canonical_json(value)


def image_path(uid: str) -> str:
    return f"{IMAGES}/{uid}.png"


def make_record(task: Task, puzzle: Puzzle, *, skeleton_cot: str, answer: str, stats: dict[str, Any],
                initial_state: str | None = None, expert_cot: str | None = None,
                expert_source: str = "skeleton") -> dict[str, Any]:
    record = {
        "uid": puzzle.id,
        "task": task.name,
        "key": task.key,
        "category": task.category,
        "level": puzzle.level,
        "seed": puzzle.seed,
        "fingerprint": puzzle.fingerprint,
        "image": image_path(puzzle.id),
        "question": question(task, puzzle, "image"),
        "question_text": question(task, puzzle, "text"),
        "initial_state": initial_state_text(task, puzzle, initial_state),
        "answer": answer,
        "skeleton_cot": skeleton_cot,
        "expert_cot": expert_cot if expert_cot is not None else skeleton_cot,
        "expert_verified": True,
        "expert_source": expert_source,
        "source": SOURCE,
        "puzzle": puzzle.to_json(),
        "trace_stats": dict(stats),
    }
    return {k: record[k] for k in FIELDS}


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


# ---- reading back ---------------------------------------------------------------------------------------
def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """The complete lines of a JSONL file (a torn last line, from an interrupted run, is ignored)."""
    path = Path(path)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                break


def repair_tail(path: str | Path) -> None:
    """Cut a torn last line (an interrupted write) so appending continues on a clean line."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        data = fh.read()
        good = data.rfind(b"\n") + 1
        if good != len(data):
            fh.truncate(good)


def written_uids(out_dir: str | Path) -> set[str]:
    return {r["uid"] for r in read_jsonl(Path(out_dir) / RECORDS)}


def write_png(image: Any, path: Path) -> None:
    """Write atomically (temp file + rename) so an interrupted run never leaves a half-written picture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    image.save(tmp, format="PNG")
    os.replace(tmp, path)


class Writer:
    """Appends records (and drop notes) to an output folder; resumes where a previous run stopped."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        (self.out / IMAGES).mkdir(parents=True, exist_ok=True)
        repair_tail(self.out / RECORDS)
        repair_tail(self.out / DROPPED)
        self.uids = written_uids(self.out)
        self.drop_keys = {(d["uid"], d["reason"]) for d in read_jsonl(self.out / DROPPED)}
        self._records = (self.out / RECORDS).open("a", encoding="utf-8")
        self._dropped = (self.out / DROPPED).open("a", encoding="utf-8")

    def write(self, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for r in records:
            if r["uid"] in self.uids:
                continue
            self._records.write(dumps(r))
            self.uids.add(r["uid"])
            n += 1
        self._records.flush()
        return n

    def drop(self, notes: Iterable[dict[str, Any]]) -> None:
        for d in notes:
            key = (d["uid"], d["reason"])
            if key in self.drop_keys:
                continue
            self.drop_keys.add(key)
            self._dropped.write(json.dumps(d, ensure_ascii=False) + "\n")
        self._dropped.flush()

    def close(self) -> None:
        self._records.close()
        self._dropped.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---- Hugging Face datasets ------------------------------------------------------------------------------
def load_hf(out_dir: str | Path, decode_images: bool = True) -> Any:
    """The records as a `datasets.Dataset` (train split), the `image` column decoded to PIL images.

    Plain `load_dataset("json", data_files=".../serg.jsonl")` works too; its `image` column is then the path
    relative to the folder, which this helper makes absolute and casts to `datasets.Image()`."""
    import datasets  # optional: not a dependency of helix-gym

    root = Path(out_dir).resolve()
    ds = datasets.load_dataset("json", data_files=str(root / RECORDS), split="train")
    if decode_images:
        ds = ds.map(lambda r: {"image": str(root / r["image"])})
        ds = ds.cast_column("image", datasets.Image())
    return ds
