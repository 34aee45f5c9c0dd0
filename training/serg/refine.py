"""Optional LLM refinement: rewrite a skeleton into a natural thought process that keeps its anchors.

Any backend with a batch-of-chats method works (`ChatBackend`): `generate(chats) -> list[str]`, or the agents'
`agents.llm.Backend.generate(chats, seeds) -> list[Reply]` (replies with a `.text`). Chats are in the agents'
neutral message form: `{"role": ..., "content": [{"type": "text", "text": ...}, {"type": "image", "image":
uint8 array}]}`. `make_backend("openai:<base_url>#<model>")` (or `hf:<model>`, `vllm:<model>`) builds one with
the agents' factory.

Each rewrite is normalised (a missing `<think>` opener is added), then filtered like every trace: it must
close its thinking and give a final answer that the task's verifier accepts (records.check_trace); a rewrite
that fails is retried, up to `attempts` tries per instance, and dropped after that. Anchor recall (the share
of the skeleton's anchor moves and state blocks found again in the rewrite) is measured and, with
`min_anchor_recall`, enforced.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from helix_gym.core.task import Puzzle, Task
from training.serg.records import check_trace

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

SYSTEM_PROMPT = (
    "You are rewriting a solver's reasoning trace into a first-person thinking process. You keep every fact, "
    "state and move of the trace, in order, and you never change the final answer."
)

USER_TEMPLATE = """Below is a puzzle question and a step-by-step reasoning trace written by a rule-based solver. \
Rewrite the trace as a natural, detailed, human-like thought process, as if you were solving the puzzle yourself.

Constraints:
1. Keep every anchor of the trace, in the same order: every state or board written out in the trace must \
appear again exactly as written, and every move, tentative try, dead end (with the rule it breaks) and backtrack \
must still be there.
2. Do not invent new facts about the puzzle that are not in the question or the trace.
3. Think aloud: add natural verification, brief hesitation and rechecking, and where it fits an occasional \
small slip that you notice and fix at once; the reasoning that remains must stay correct.
4. Start with <think>. End the thinking with </think> on its own line, followed by exactly one line: \
Final Answer: \\boxed{{{answer}}}
5. The final answer must be exactly `{answer}`, character for character, in the required format.

## Question
{question}

## Trace
{skeleton}

Now write the rewritten thinking process, starting with <think>."""


class ChatBackend(Protocol):
    """The minimal backend SERG calls: one reply per chat, in order."""

    def generate(self, chats: Sequence[list[dict[str, Any]]], *args: Any, **kwargs: Any) -> list[Any]: ...


@dataclass
class RefineItem:
    """One skeleton to rewrite."""

    uid: str
    task: Task
    puzzle: Puzzle
    question: str
    skeleton: str
    answer: str
    anchors: list[str] = field(default_factory=list)
    image: np.ndarray | None = None


@dataclass
class RefineResult:
    uid: str
    text: str | None  # the accepted rewrite, or None when every attempt failed
    attempts: int
    anchor_recall: float
    failures: list[str] = field(default_factory=list)  # one reason per failed attempt


# ---- prompts and normalisation ----------------------------------------------------------------------------
def refine_chat(item: RefineItem, with_image: bool = False) -> list[dict[str, Any]]:
    user = USER_TEMPLATE.format(question=item.question.strip(), skeleton=_strip_think(item.skeleton),
                                answer=item.answer)
    content: list[dict[str, Any]] = [{"type": "text", "text": user}]
    if with_image and item.image is not None:
        content.append({"type": "image", "image": item.image})
    return [{"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
            {"role": "user", "content": content}]


def _strip_think(text: str) -> str:
    """The skeleton as the rewriter sees it: tags stay, so the expected shape is visible."""
    return text.strip()


def normalise(text: str) -> str:
    """A rewrite in the record shape: `<think>` ... `</think>` + final answer; stray whitespace trimmed.

    Reasoning models that put their own thinking in a separate channel return only the visible part; a reply
    that lacks the `<think>` opener but has the closer gets the opener added."""
    text = (text or "").strip()
    text = re.sub(r"^```(?:\w+)?\s*\n(.*)\n```$", r"\1", text, flags=re.S).strip()  # a fenced reply
    if THINK_CLOSE in text and not text.startswith(THINK_OPEN):
        text = f"{THINK_OPEN}\n{text}"
    return text


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def anchor_recall(anchors: Sequence[str], text: str) -> float:
    """Share of anchors found in `text`: a move by its words, a state block by its lines (80% of them)."""
    if not anchors:
        return 1.0
    flat = _squash(text)
    found = 0
    for anchor in anchors:
        lines = [_squash(x) for x in anchor.splitlines() if x.strip()]
        if len(lines) <= 1:
            found += _squash(anchor) in flat
        else:
            found += sum(x in flat for x in lines) >= 0.8 * len(lines)
    return found / len(anchors)


def _seed(uid: str, attempt: int, base: int) -> int:
    digest = hashlib.sha256(f"{base}|{uid}|{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _reply_text(reply: Any) -> str:
    if isinstance(reply, str):
        return reply
    text = getattr(reply, "text", None)
    if text is None and isinstance(reply, dict):
        text = reply.get("text")
    return "" if text is None else str(text)


def _call(backend: ChatBackend, chats: list[list[dict[str, Any]]], seeds: list[int]) -> list[str]:
    """Call `backend.generate`, passing per-chat seeds where its signature takes them."""
    try:
        params = inspect.signature(backend.generate).parameters
    except (TypeError, ValueError):
        params = {}
    takes_seeds = "seeds" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    replies = backend.generate(chats, seeds=seeds) if takes_seeds else backend.generate(chats)
    replies = list(replies)
    if len(replies) != len(chats):
        raise RuntimeError(f"the backend returned {len(replies)} replies for {len(chats)} chats")
    return [_reply_text(r) for r in replies]


# ---- the loop -----------------------------------------------------------------------------------------
def refine(backend: ChatBackend, items: Sequence[RefineItem], *, attempts: int = 4, seed: int = 0,
           min_anchor_recall: float = 0.0, with_image: bool = False) -> list[RefineResult]:
    """Rewrite every item, retrying failed ones (a batch per attempt), up to `attempts` tries each."""
    results = {it.uid: RefineResult(it.uid, None, 0, 0.0) for it in items}
    pending = list(items)
    for attempt in range(max(1, int(attempts))):
        if not pending:
            break
        chats = [refine_chat(it, with_image) for it in pending]
        seeds = [_seed(it.uid, attempt, seed) for it in pending]
        error = ""
        try:
            texts = _call(backend, chats, seeds)
        except Exception as exc:  # a failed batch counts as a failed attempt for each of its items
            texts = [None] * len(pending)
            error = f"backend_error: {type(exc).__name__}: {exc}"[:300]
        still = []
        for it, raw in zip(pending, texts):
            res = results[it.uid]
            res.attempts += 1
            if raw is None:
                res.failures.append(error)
                still.append(it)
                continue
            text = normalise(raw)
            ok, why = check_trace(it.task, it.puzzle, text)
            recall = anchor_recall(it.anchors, text)
            if ok and recall < min_anchor_recall:
                ok, why = False, f"anchors_lost: recall {recall:.2f} < {min_anchor_recall:.2f}"
            if ok:
                res.text, res.anchor_recall = text, recall
            else:
                res.failures.append(why)
                still.append(it)
        pending = still
    return [results[it.uid] for it in items]


def failure_counts(results: Sequence[RefineResult]) -> Counter:
    """Failed attempts by reason (the part before the first colon)."""
    return Counter(f.split(":", 1)[0] for r in results for f in r.failures)


# ---- backends by spec ---------------------------------------------------------------------------------
def make_backend(spec: str, *, temperature: float | None = 0.7, top_p: float | None = None,
                 max_tokens: int | None = 16384, seed: int | None = 0, **options: Any) -> ChatBackend:
    """A backend from `openai:<base_url>#<model>`, `hf:<model>` or `vllm:<model>` (the agents' factory)."""
    try:
        from agents.llm.backends.base import Sampling
        from agents.llm.factory import make_backend as agents_backend
        from agents.llm.factory import parse_spec
    except ImportError as exc:  # pragma: no cover - depends on the agents package being present
        raise RuntimeError(f"refinement needs the LLM backends of agents/llm: {exc}") from exc
    kind, model, base_url = parse_spec(spec)
    if kind in ("oracle", "random") or model is None:
        raise ValueError(f"{spec!r} is not an LLM backend: expected openai:<base_url>#<model>, hf:<model> "
                         "or vllm:<model>")
    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    return agents_backend(kind, model, base_url, sampling, **options)
