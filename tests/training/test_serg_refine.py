"""SERG refinement: rewrites through a fake backend and through a local chat-completions server; rewrites that
change the answer (or lose the anchors, or never come) are retried, then dropped."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helix_gym.core.extract import extract_answer
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from training.serg import pipeline
from training.serg import records as R
from training.serg.__main__ import main as cli_main
from training.serg.refine import RefineItem, anchor_recall, normalise, refine, refine_chat
from training.serg.skeleton import build_skeleton

SMALL = dict(tasks=["HIndex", "Maze"], levels=[2], per_level=2, workers=1, progress=False)


def skeleton_of(chat) -> str:
    user = chat[-1]["content"][0]["text"]
    return user.split("## Trace\n", 1)[1].rsplit("\n\nNow write the rewritten", 1)[0]


def rewrite(skeleton: str, answer: str | None = None, keep_states: bool = True) -> str:
    """A 'natural' rewrite: a new opening, a recheck after each paragraph, the same anchors and answer."""
    body, tail = skeleton.removeprefix("<think>\n").split("</think>")
    if not keep_states:
        body = "\n".join(line for line in body.splitlines() if not re.match(r"^[+|#]", line))
    body = body.replace("\n\n", "\n\nHmm, let me re-check that before moving on. Yes, it holds.\n\n")
    if answer is not None:
        tail = re.sub(r"\\boxed\{.*\}", lambda m: f"\\boxed{{{answer}}}", tail)
    return f"Okay, so I'm looking at this puzzle.\n{body}</think>{tail}"  # no <think>: normalise adds it


class FakeBackend:
    """`generate(chats) -> list[str]` (the minimal protocol). `plan(attempt)` says what attempt n returns."""

    def __init__(self, plan=lambda attempt: "good") -> None:
        self.plan = plan
        self.calls: Counter = Counter()
        self.batches: list[int] = []

    def generate(self, chats):
        self.batches.append(len(chats))
        out = []
        for chat in chats:
            sk = skeleton_of(chat)
            self.calls[sk] += 1
            what = self.plan(self.calls[sk])
            if what == "error":
                raise ConnectionError("server went away")
            out.append(rewrite(sk, answer="999" if what == "wrong" else None, keep_states=what != "no_states"))
        return out


def records(out):
    return list(R.read_jsonl(out / R.RECORDS))


def test_refined_traces_are_kept_when_they_verify(tmp_path):
    backend = FakeBackend()
    report = pipeline.synthesize(tmp_path, backend=backend, refine_label="refined:fake", **SMALL)
    recs = records(tmp_path)
    assert report.written == len(recs) == 4
    for r in recs:
        assert r["expert_source"] == "refined:fake" and r["expert_verified"] is True
        assert r["expert_cot"] != r["skeleton_cot"] and r["expert_cot"].startswith("<think>\n")
        task, puzzle = get_task(r["task"]), Puzzle.from_json(r["puzzle"])
        assert task.verify(puzzle, extract_answer(r["expert_cot"])).correct
        assert r["trace_stats"]["refine_attempts"] == 1 and r["trace_stats"]["anchor_recall"] == 1.0
    assert backend.batches == [4]  # one batch for the whole (small) run


def test_rewrite_that_changes_the_answer_is_dropped(tmp_path):
    backend = FakeBackend(plan=lambda attempt: "wrong")
    report = pipeline.synthesize(tmp_path, backend=backend, refine_attempts=3, **SMALL)
    assert records(tmp_path) == [] and report.written == 0
    assert report.counts["refine_failed"] == 4 and report.refine_failures == {"wrong_answer": 12}
    assert backend.batches == [4, 4, 4]
    notes = list(R.read_jsonl(tmp_path / R.DROPPED))
    assert [n["reason"] for n in notes] == ["refine_failed"] * 4
    assert all(n["detail"].startswith("wrong_answer") for n in notes)
    assert json.loads((tmp_path / R.SUMMARY).read_text())["dropped"] == {"refine_failed": 4}
    # a rerun does not ask again (nor replace the dropped instances with new seeds) unless told to
    again = pipeline.synthesize(tmp_path, backend=backend, refine_attempts=3, **SMALL)
    assert again.written == 0 and backend.batches == [4, 4, 4]
    retry = pipeline.synthesize(tmp_path, backend=FakeBackend(), retry_dropped=True, **SMALL)
    assert retry.written == 4


def test_failed_rewrites_are_retried(tmp_path):
    backend = FakeBackend(plan=lambda attempt: "wrong" if attempt == 1 else "good")
    pipeline.synthesize(tmp_path, backend=backend, refine_attempts=2, **SMALL)
    recs = records(tmp_path)
    assert len(recs) == 4 and all(r["trace_stats"]["refine_attempts"] == 2 for r in recs)
    assert backend.batches == [4, 4]


def test_backend_errors_count_as_failed_attempts(tmp_path):
    report = pipeline.synthesize(tmp_path, backend=FakeBackend(plan=lambda a: "error"), refine_attempts=2, **SMALL)
    assert report.written == 0 and report.refine_failures == {"backend_error": 8}


def test_anchor_recall_threshold(tmp_path):
    task = get_task("Maze")
    puzzle = task.generate_seeded(pipeline.instance_seed(0, 3), 3)
    sk = build_skeleton(task, puzzle)
    item = RefineItem(puzzle.id, task, puzzle, "question", sk.text, sk.answer, sk.anchors)
    lossy = FakeBackend(plan=lambda attempt: "no_states")
    [res] = refine(lossy, [item], attempts=1)
    assert res.text is not None and res.anchor_recall < 0.5  # kept: no threshold by default
    [res] = refine(lossy, [item], attempts=2, min_anchor_recall=0.9)
    assert res.text is None and res.failures[0].startswith("anchors_lost")
    assert anchor_recall(sk.anchors, sk.text) == 1.0


def test_prompt_and_normalisation():
    task = get_task("HIndex")
    puzzle = task.generate_seeded(pipeline.instance_seed(0, 0), 1)
    sk = build_skeleton(task, puzzle)
    chat = refine_chat(RefineItem(puzzle.id, task, puzzle, "THE QUESTION", sk.text, sk.answer))
    assert [m["role"] for m in chat] == ["system", "user"]
    user = chat[1]["content"][0]["text"]
    assert "THE QUESTION" in user and sk.text in user and f"\\boxed{{{sk.answer}}}" in user
    assert normalise("thinking...\n</think>\n\nFinal Answer: \\boxed{3}").startswith("<think>\nthinking")
    assert normalise("```\n<think>x</think> \\boxed{3}\n```") == "<think>x</think> \\boxed{3}"


# ---- a local OpenAI-compatible server (standard library), through the agents' OpenAI backend -------------
class RewriteServer:
    """/v1/chat/completions on 127.0.0.1 that rewrites the skeleton it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.bodies.append(body)
                chat = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
                        for m in body["messages"]]
                text = rewrite(skeleton_of(chat))
                data = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                                   "usage": {"prompt_tokens": 10, "completion_tokens": 10}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_cli_refines_through_a_local_chat_server(tmp_path, capsys):
    pytest.importorskip("agents.llm.backends.openai")
    with RewriteServer() as server:
        code = cli_main(["--out", str(tmp_path), "--tasks", "HIndex", "Maze", "--levels", "2", "--per-level", "2",
                         "--workers", "1", "--no-progress", "--refine", f"openai:{server.url}#tiny-model",
                         "--temperature", "0.5", "--max-tokens", "2048"])
    assert code == 0
    recs = records(tmp_path)
    assert len(recs) == 4 and {r["expert_source"] for r in recs} == {"refined:tiny-model"}
    assert len(server.bodies) == 4
    body = server.bodies[0]
    assert body["model"] == "tiny-model" and body["temperature"] == 0.5 and body["max_tokens"] == 2048
    assert len({b["seed"] for b in server.bodies}) == 4  # a per-request seed, from the uid and attempt
    assert body["messages"][0]["role"] == "system" and "## Trace" in body["messages"][1]["content"]
    assert "4 records" in capsys.readouterr().err
