"""A picture gallery of every task: one contact sheet of levels 1-5 per task, and a GALLERY.md of examples.

    python -m helix_gym.gallery --out gallery [--tasks Sudoku Maze] [--seed 0] [--size 512]

writes `<out>/<Name>.png` (one instance per level, as the env shows it), `<out>/examples/<Name>.png` (the
example instance's picture) and `<out>/GALLERY.md` (per task: key, category, the text-modality question, the
picture and the solver's answer). The output depends only on the tasks, the seed and the size, so a rerun
rewrites the same bytes and a diff of the folder shows what a change to a task did to its pictures.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from helix_gym.core.draw import BLACK, CONFLICT, GRID_LINE, WHITE, draw_text, fit_font_size, letterbox
from helix_gym.core.registry import all_tasks, get_task
from helix_gym.core.task import CATEGORIES, Puzzle, Task

SHEET_COLUMNS = 3
GAP = 16
SHEET_BACKGROUND = (236, 238, 242)
EXAMPLE_LEVEL = 2
SHEET_LEVELS = (1, 2, 3, 4, 5)  # the MM-HELIX ladder; tasks with extra levels show them with --levels


@dataclass
class Example:
    """What GALLERY.md shows for one task (the fields a failing method leaves are described in `errors`)."""

    task: Task
    level: int
    question: str = ""
    answer: str = ""
    picture: str = ""  # path relative to the gallery folder
    errors: list[str] = field(default_factory=list)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _error_tile(message: str, size: int) -> Image.Image:
    """A tile that says why the picture is missing, so a broken level is seen rather than skipped."""
    image = Image.new("RGB", (size, size), WHITE)
    draw = ImageDraw.Draw(image)
    lines = ["render failed"] + [message[i:i + 40] for i in range(0, min(len(message), 400), 40)]
    fs = max(10, size // 32)
    for i, line in enumerate(lines):
        draw_text(draw, (size / 2, size * 0.2 + i * fs * 1.5), line, fs, CONFLICT)
    return image


def level_picture(task: Task, seed: int, level: int, size: int) -> tuple[Image.Image, str | None]:
    """The env's view of `generate_seeded(seed, level)`: render letterboxed to size x size (or an error tile)."""
    try:
        puzzle = task.generate_seeded(seed, level)
        return letterbox(task.render(puzzle, size=size), size), None
    except Exception as exc:
        message = _error_text(exc)
        return _error_tile(message, size), f"{task.name} level {level}: {message}"


def contact_sheet(task: Task, seed: int = 0, size: int = 512, levels: Sequence[int] | None = None,
                  ) -> tuple[Image.Image, list[str]]:
    """Levels side by side, each tile framed and captioned "Level k", under a title line; returns the errors."""
    levels = [lv for lv in (levels or SHEET_LEVELS) if lv in task.levels] or list(task.levels)
    columns = min(SHEET_COLUMNS, len(levels))
    rows = -(-len(levels) // columns)
    caption = max(16, size // 18)
    title = max(18, size // 14)
    cell_w, cell_h = size + GAP, size + caption + GAP
    sheet = Image.new("RGB", (GAP + columns * cell_w, title + GAP + rows * cell_h), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    heading = f"{task.name}  ({task.key}, {task.category}, seed {seed})"
    draw_text(draw, (sheet.width / 2, GAP / 2 + title / 2), heading,
              fit_font_size(heading, sheet.width - 2 * GAP, title, int(title * 0.8)), BLACK)
    errors = []
    for i, level in enumerate(levels):
        tile, error = level_picture(task, seed, level, size)
        if error:
            errors.append(error)
        r, c = divmod(i, columns)
        x, y = GAP + c * cell_w, title + GAP + r * cell_h
        draw_text(draw, (x + size / 2, y + caption / 2), f"Level {level}", int(caption * 0.75), BLACK)
        sheet.paste(tile, (x, y + caption))
        draw.rectangle((x - 1, y + caption - 1, x + size, y + caption + size), outline=GRID_LINE, width=1)
    return sheet, errors


def make_example(task: Task, seed: int, level: int, size: int, folder: Path) -> Example:
    """Generate the example, save its picture under `folder/examples/` and collect question and answer."""
    level = level if level in task.levels else task.levels[0]
    example = Example(task, level)
    try:
        puzzle: Puzzle = task.generate_seeded(seed, level)
    except Exception as exc:
        example.errors.append(f"generate: {_error_text(exc)}")
        return example
    for attr, call in (("question", lambda: task.prompt(puzzle, "text")), ("answer", lambda: task.solve(puzzle))):
        try:
            setattr(example, attr, call())
        except Exception as exc:
            example.errors.append(f"{attr}: {_error_text(exc)}")
    picture, error = level_picture(task, seed, level, size)
    if error:
        example.errors.append(f"render: {error}")
    relative = Path("examples") / f"{task.name}.png"
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    picture.save(folder / relative)
    example.picture = relative.as_posix()
    return example


def _fence(text: str) -> str:
    """A code fence longer than any backtick run inside `text`, so prompts with code blocks stay intact."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _summary(task: Task) -> str:
    doc = (type(task).__doc__ or "").strip()
    return doc.split("\n\n")[0].replace("\n", " ") if doc else ""


def _by_category(tasks: Sequence[Task]) -> list[tuple[str, list[Task]]]:
    order = [*CATEGORIES, *sorted({t.category for t in tasks} - set(CATEGORIES))]
    groups = [(cat, sorted((t for t in tasks if t.category == cat), key=lambda t: t.name)) for cat in order]
    return [(cat, members) for cat, members in groups if members]


def gallery_markdown(examples: Sequence[Example], seed: int, size: int) -> str:
    """GALLERY.md: a table of contents by category, then one section per task (sheet, question, answer)."""
    by_name = {ex.task.name: ex for ex in examples}
    groups = _by_category([ex.task for ex in examples])
    lines = ["# Helix-Gym task gallery", "",
             f"One instance per level of every task (seed {seed}, pictures at {size} px, as the env shows them),",
             "and one worked example per task: the text-modality question, its picture and the solver's answer.",
             "Regenerate with `python -m helix_gym.gallery --out <folder>`.", "", "## Contents", ""]
    for category, members in groups:
        lines.append(f"- [{category.capitalize()}](#{category}): "
                     + ", ".join(f"[{t.name}](#{t.name.lower()})" for t in members))
    for category, members in groups:
        lines += ["", f"## {category.capitalize()}"]
        for task in members:
            lines += ["", *_task_section(by_name[task.name])]
    return "\n".join(lines).rstrip() + "\n"


def _task_section(ex: Example) -> list[str]:
    task = ex.task
    lines = [f"### {task.name}", ""]
    if _summary(task):
        lines += [_summary(task), ""]
    lines += [f"Key `{task.key}` · category {task.category} · levels {', '.join(map(str, task.levels))} · "
              f"env id `Helix/{task.name}-v0`", "",
              f"![{task.name}, one instance per level]({task.name}.png)", "",
              f"**Example** (level {ex.level})", ""]
    if ex.picture:
        lines += [f"![{task.name} example, level {ex.level}]({ex.picture})", ""]
    lines += ["Question:", "", _fence(ex.question or "(no question)"), "",
              "Answer:", "", _fence(ex.answer or "(no answer)")]
    for error in ex.errors:
        lines += ["", f"> **Error** {error}"]
    return lines


def build_gallery(tasks: Sequence[Task], out: Path, seed: int = 0, size: int = 512,
                  example_level: int = EXAMPLE_LEVEL, levels: Sequence[int] = SHEET_LEVELS) -> list[str]:
    """Write every sheet, example picture and GALLERY.md into `out`; returns the errors met on the way."""
    out.mkdir(parents=True, exist_ok=True)
    errors, examples = [], []
    for task in tasks:
        sheet, sheet_errors = contact_sheet(task, seed, size, levels)
        sheet.save(out / f"{task.name}.png")
        example = make_example(task, seed, example_level, size, out)
        errors += sheet_errors + [f"{task.name} example: {e}" for e in example.errors]
        examples.append(example)
    (out / "GALLERY.md").write_text(gallery_markdown(examples, seed, size), encoding="utf-8")
    return errors


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helix_gym.gallery", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs and GALLERY.md")
    parser.add_argument("--tasks", nargs="*", default=None, help="task names or keys (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=512, help="tile size in pixels (the env's image_size)")
    parser.add_argument("--levels", nargs="*", type=int, default=list(SHEET_LEVELS), help="levels on the sheets")
    parser.add_argument("--example-level", type=int, default=EXAMPLE_LEVEL, help="level of GALLERY.md examples")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tasks = [get_task(name) for name in args.tasks] if args.tasks else all_tasks()
    if not tasks:
        print("no tasks registered", file=sys.stderr)
        return 1
    errors = build_gallery(tasks, args.out, args.seed, args.size, args.example_level, args.levels)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"wrote {len(tasks)} contact sheets and GALLERY.md to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
