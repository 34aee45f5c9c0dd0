"""The rule-based CoT skeleton: a task's `solve_trace` events written out as a natural-language reasoning trace.

Works for every registered task from the Task contract alone (no per-task code): the rules and goal come from
`task.prompt(puzzle, "image")` and `task.answer_help`, the explicit state from the `read` event (or
`state_text` of the initial position), the search from the events as they happened. Four sections, as in the
MM-HELIX sandbox generators:

1. rules and goal restated;
2. the picture read into an explicit state, with a self-check list;
3. the search (tries, dead ends with the rule they break, backtracks) or, for tasks without search, the
   computation step by step; anchor states are shown where the position changed, within a size budget;
4. a check of the final answer against the rules, then `</think>` and `Final Answer: \\boxed{<answer>}`.

Wording varies per instance: each sentence is drawn from a phrase bank (templates.py) with the instance's rng,
and so are a few layout choices (numbered steps, bullet style), so no single sentence is learned by heart.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from helix_gym.core.task import Puzzle, Task, TraceEvent
from training.serg import templates as T

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
SEARCH_KINDS = ("try", "dead_end", "backtrack", "deduce")
DEFAULT_STATE_BUDGET = 6000  # characters of intermediate state blocks (beyond the initial one) per trace
DEFAULT_MAX_STATES = 40  # intermediate state blocks per trace, at most
DEFAULT_MAX_STEPS = 400  # narrated search events; longer searches keep their head and tail and summarise the rest

_PICTURE = re.compile(r"\b(picture|image|drawing)s?\b", re.I)
_IN_PICTURE = re.compile(r",?\s+(?:shown\s+)?in the (?:picture|image)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass
class Skeleton:
    """A skeleton trace: the full text (`<think>...</think>` + final answer), its answer and counts."""

    text: str
    answer: str
    stats: dict[str, int] = field(default_factory=dict)
    anchors: list[str] = field(default_factory=list)  # moves and state blocks a rewrite must keep


def final_answer_block(answer: str) -> str:
    return f"{THINK_CLOSE}\n\nFinal Answer: \\boxed{{{answer}}}"


# ---- small text helpers -------------------------------------------------------------------------------
def _strip_note(note: str) -> str:
    return note.strip().rstrip(".").strip()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _clause(text: str) -> str:
    """`text` made to continue a sentence: a capitalised ordinary first word is lowercased ("Settle node 3" ->
    "settle node 3"); symbols, single letters and acronyms ("A=3", "E", "DEE+AEE") stay as they are."""
    m = re.match(r"([A-Z])([a-z]+)\b", text)
    if m and not re.match(r"[A-Z][a-z]+\s*[=(#]", text):
        return text[0].lower() + text[1:]
    return text


def _fill(template: str, **values: str) -> str:
    return template.format(**values)


def _usable(templates: Sequence[str], **values: Any) -> list[str]:
    """The templates whose placeholders are all available."""
    out = []
    for t in templates:
        names = set(re.findall(r"{(\w+)}", t))
        if all(values.get(n) not in (None, "") for n in names):
            out.append(t)
    return out or list(templates)


class _Writer:
    """Picks wordings with the instance's rng and tracks a few per-trace layout choices."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.numbered = rng.random() < 0.4
        self.bullet = rng.choice(("- ", "* ", "• ", None))  # None: numbered rules
        self.step = 0

    def pick(self, templates: Sequence[str], **values: Any) -> str:
        note = values.get("note")
        if note is not None:
            values = {**values, "note": _clause(note), "Note": _cap(note)}
        choices = _usable(templates, **values)
        return _fill(self.rng.choice(choices), **{k: ("" if v is None else str(v)) for k, v in values.items()})

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


# ---- section 1: rules and goal ------------------------------------------------------------------------
def split_prompt(prompt: str) -> tuple[list[str], list[str]]:
    """(rule lines, picture-legend sentences) of an image-modality prompt.

    A sentence that mentions the picture starts the legend, and the rest of its paragraph (which goes on
    describing the drawing) goes with it; "in the picture" inside a rule sentence is simply dropped."""
    rules: list[str] = []
    legend: list[str] = []
    for raw in prompt.splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = bool(_BULLET.match(line))
        body = _BULLET.sub("", line) if bullet else line
        body = _IN_PICTURE.sub("", body)
        if bullet:
            (legend if _PICTURE.search(body) else rules).append(("- " if bullet else "") + body)
            continue
        kept: list[str] = []
        in_legend = False
        for sentence in _SENTENCE.split(body):
            if in_legend or _PICTURE.search(sentence):
                in_legend = True
                legend.append(sentence)
            else:
                kept.append(sentence)
        if kept:
            rules.append(" ".join(kept))
    return rules, legend


def _goal(task: Task) -> str:
    """The answer format as a clause for the templates: no final full stop, and no trailing ellipsis (", ..."
    would read as a cut-off sentence once a template adds its own stop)."""
    text = (getattr(task, "answer_help", "") or "").strip()
    return re.sub(r"[,;]?\s*(?:\.\.\.|…)$", "", text).rstrip(".").rstrip()


def _rules_section(w: _Writer, task: Task, puzzle: Puzzle, rules: list[str]) -> list[str]:
    out = [w.pick(T.RULES_OPENERS)]
    n = 0
    for line in rules:
        if line.startswith("- "):
            n += 1
            body = line[2:]
            out.append(f"{n}. {body}" if w.bullet is None else w.bullet + body)
        else:
            out.append(line)
    goal = _goal(task)
    if goal:
        out.append(w.pick(T.GOAL_LINES, goal=goal))
    return out


# ---- section 2: reading the picture -------------------------------------------------------------------
def _check_items(note: str) -> list[str]:
    """The facts of a `read` note as a checklist (split on `;`), at most 6."""
    items = [_strip_note(p) for p in re.split(r";\s+", note) if _strip_note(p)]
    items = [i for i in items if len(i) <= 100]
    return items[:6] if len(items) > 1 else []


def _read_section(w: _Writer, read: TraceEvent | None, legend: list[str], initial_state: str | None) -> list[str]:
    out = [w.pick(T.READ_OPENERS)]
    if legend:
        out.append(w.pick(T.LEGEND_LEADS, text=" ".join(legend)))
    note = _strip_note(read.note) if read is not None and read.note else ""
    if note:
        out.append(w.pick(T.READ_LEADS, note=note))
    if initial_state:
        out.append("")
        out.append(w.pick(T.STATE_LEADS_INITIAL))
        out.append(initial_state.rstrip())
        out.append("")
    items = _check_items(note)
    if items:
        out.append(w.pick(T.SELF_CHECK_LEADS))
        template = w.rng.choice(T.SELF_CHECK_ITEMS)
        out.extend(template.format(item=item) for item in items)
    return out


# ---- section 3: the search ----------------------------------------------------------------------------
def _spread(indices: list[int]) -> list[int]:
    """`indices` reordered so that any prefix is spread evenly over the whole list (midpoints first)."""
    if len(indices) <= 2:
        return list(indices)
    out = [indices[0], indices[-1]]
    seen = {0, len(indices) - 1}
    step = len(indices) - 1
    while len(out) < len(indices):
        step = max(1, step // 2)
        for i in range(0, len(indices), step):
            if i not in seen:
                seen.add(i)
                out.append(indices[i])
        if step == 1:
            break
    return out


def choose_states(events: Sequence[TraceEvent], budget: int, max_states: int = DEFAULT_MAX_STATES) -> set[int]:
    """Indices of the search events whose `state_text` is shown, within `budget` characters and `max_states`.

    The last position always shows; then backtracks (where the search returns to), tries, and deductions, each
    class spread evenly over the trace. A state equal to the one shown just before it is never repeated."""
    cands = [i for i, e in enumerate(events) if e.state_text]
    if not cands:
        return set()
    chosen = {cands[-1]}
    used = len(events[cands[-1]].state_text or "")
    for kinds in (("backtrack",), ("try",), ("deduce", "dead_end")):
        pool = [i for i in cands if events[i].kind in kinds and i not in chosen]
        for i in _spread(pool):
            size = len(events[i].state_text or "")
            if used + size <= budget and len(chosen) < max_states:
                chosen.add(i)
                used += size
    return chosen


def _event_line(w: _Writer, e: TraceEvent) -> str:
    note = _strip_note(e.note or "")
    move = (e.move or "").strip()
    if move and note and move.lower() in note.lower():
        move = ""  # the note already names the move
    if e.kind == "try":
        text = w.pick(T.TRY_MOVE if move else T.TRY, note=note or f"`{move}`", move=move)
    elif e.kind == "dead_end":
        text = w.pick(T.DEAD_END, note=note or "no option is left here")
    elif e.kind == "backtrack":
        text = w.pick(T.BACKTRACK, note=note or (f"undo `{move}`" if move else "undo the last choice"))
    elif move:
        text = w.pick(T.DEDUCE_MOVE_PLAIN if w.numbered else T.DEDUCE_MOVE, note=note or "the next move", move=move)
    else:
        text = w.pick(T.DEDUCE_PLAIN if w.numbered else T.DEDUCE, note=note or "nothing new")
    if w.numbered and e.kind in ("try", "deduce"):
        w.step += 1
        text = f"Step {w.step}: {text}"
    return text


def _counts_text(events: Sequence[TraceEvent]) -> str:
    c = Counter(e.kind for e in events)
    names = {"try": "tries", "dead_end": "dead ends", "backtrack": "backtracks", "deduce": "deductions"}
    return ", ".join(f"{c[k]} {names[k]}" for k in ("try", "dead_end", "backtrack", "deduce") if c[k])


def _search_section(w: _Writer, events: list[TraceEvent], initial_state: str | None, state_budget: int,
                    max_steps: int) -> tuple[list[str], list[str], int]:
    """(lines, anchor state blocks, shown state count) of the search events."""
    searching = any(e.kind in ("try", "dead_end", "backtrack") for e in events)
    out = ["", w.pick(T.SEARCH_OPENERS if searching else T.COMPUTE_OPENERS)]
    skipped: list[TraceEvent] = []
    if len(events) > max_steps:
        head, tail = max_steps // 2, max_steps - max_steps // 2
        skipped = events[head:len(events) - tail]
        events = [*events[:head], TraceEvent("deduce", note="\0skip"), *events[len(events) - tail:]]
    shown = choose_states(events, state_budget)
    last_state = initial_state.rstrip() if initial_state else None
    anchors: list[str] = []
    line: list[str] = []  # sentences of the current paragraph (a try and its dead end/backtrack share one)
    last_kind = ""

    def flush() -> None:
        if line:
            out.append(" ".join(line))
            line.clear()

    for i, e in enumerate(events):
        if e.note == "\0skip":
            flush()
            out.append(w.pick(T.SKIPPED, n=str(len(skipped)), counts=_counts_text(skipped)))
            continue
        if e.kind in ("try", "deduce") or (e.kind == "dead_end" and last_kind in ("dead_end", "backtrack")):
            flush()
        line.append(_event_line(w, e))
        last_kind = e.kind
        state = e.state_text.rstrip() if e.state_text else None
        if i in shown and state and state != last_state:
            flush()
            final = i == max(shown)
            leads = T.STATE_LEADS_FINAL if final and not searching_after(events, i) else (
                T.STATE_LEADS_BACK if e.kind == "backtrack" else T.STATE_LEADS)
            out.append(w.pick(leads))
            out.append(state)
            out.append("")
            anchors.append(state)
            last_state = state
    flush()
    return out, anchors, len(anchors)


def searching_after(events: Sequence[TraceEvent], i: int) -> bool:
    return any(e.kind in ("try", "dead_end", "backtrack") for e in events[i + 1:])


# ---- section 4: the check -----------------------------------------------------------------------------
def _check_section(w: _Writer, task: Task, checks: list[TraceEvent], answer: str) -> list[str]:
    out = ["", w.pick(T.CHECK_OPENERS)]
    for e in checks:
        note = _strip_note(e.note or "")
        if note:
            out.append(w.pick(T.CHECK_LINES, note=note))
    goal = _goal(task)
    if goal and len(answer) <= 200:
        out.append(w.pick(T.FORMAT_LINES, goal=goal, answer=answer))
    out.append(w.pick(T.CONCLUSIONS, answer=answer))
    return out


# ---- the whole trace ----------------------------------------------------------------------------------
def trace_answer(task: Task, puzzle: Puzzle, events: Sequence[TraceEvent]) -> str:
    """The answer the trace ends in (its last `answer` event), else the task's solver's answer."""
    for e in reversed(events):
        if e.kind == "answer" and e.move:
            return e.move.strip()
    return task.solve(puzzle).strip()


def build_skeleton(task: Task, puzzle: Puzzle, events: Sequence[TraceEvent] | None = None,
                   rng: random.Random | int | str | None = None, *, state_budget: int = DEFAULT_STATE_BUDGET,
                   max_steps: int = DEFAULT_MAX_STEPS) -> Skeleton:
    """The skeleton trace of one instance (events default to `task.solve_trace(puzzle)`)."""
    events = list(task.solve_trace(puzzle) if events is None else events)
    if not isinstance(rng, random.Random):
        rng = random.Random(f"serg|{puzzle.id}" if rng is None else str(rng))
    w = _Writer(rng)
    answer = trace_answer(task, puzzle, events)

    reads = [e for e in events if e.kind == "read"]
    read = reads[0] if reads else None
    initial_state = read.state_text if read is not None and read.state_text else None
    if initial_state is None:
        try:
            initial_state = task.state_text(puzzle, task.initial_state(puzzle))
        except Exception:  # tasks without a step-mode text: the read note carries the facts
            initial_state = None
    body = [e for e in events if e.kind in SEARCH_KINDS]
    extra_reads = [e for e in reads[1:]]
    checks = [e for e in events if e.kind == "check"]

    rules, legend = split_prompt(task.prompt(puzzle, "image"))
    lines = [THINK_OPEN]
    lines += _rules_section(w, task, puzzle, rules)
    lines.append("")
    lines += _read_section(w, read, legend, initial_state)
    for e in extra_reads:
        if e.note:
            lines.append(w.pick(T.READ_LEADS, note=_strip_note(e.note)))
    search, anchors, shown = _search_section(w, body, initial_state, state_budget, max_steps)
    lines += search
    lines += _check_section(w, task, checks, answer)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n" + final_answer_block(answer)

    kinds = Counter(e.kind for e in events)
    moves = [e.move.strip() for e in body if e.move and any(ch.isdigit() for ch in e.move)]
    stats = {"events": len(events), "tries": kinds["try"], "dead_ends": kinds["dead_end"],
             "backtracks": kinds["backtrack"], "deductions": kinds["deduce"], "states_shown": shown,
             "chars": len(text)}
    return Skeleton(text=text, answer=answer, stats=stats, anchors=[*dict.fromkeys(moves), *anchors])
