"""The runner: oracle at 100%, random near 0, resuming after a kill, settings, agent specs."""

from __future__ import annotations

import json

import pytest

from agents import OracleAgent
from eval import benchmark, factory
from eval.factory import AgentSpec, Sampling, parse_agent
from eval.run import RunConfig, main, run

TASKS = benchmark.load_manifest().tasks
COMPARED = ("items", "correct", "tasks", "categories", "levels", "category_levels", "overall")


def config(tmp_path, name="run", **kw) -> RunConfig:
    kw.setdefault("progress", False)
    return RunConfig(out=tmp_path / name, **kw)


def numbers(summary: dict) -> dict:
    (only,) = summary["runs"]
    return {k: only[k] for k in COMPARED}


def test_oracle_scores_100_on_one_item_per_task(tmp_path):
    summary = run(config(tmp_path, limit=len(TASKS)))  # run order: item 0 of level 1 of every task first
    rows = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task"] for r in rows) == sorted(TASKS)
    assert summary["correct"] == summary["items"] == len(TASKS), [r for r in rows if not r["correct"]]
    assert all((tmp_path / "run" / f).exists() for f in ("settings.json", "report.md", "report.json"))


@pytest.mark.parametrize("protocol", ["retry", "step"])
def test_oracle_other_protocols(tmp_path, protocol):
    summary = run(config(tmp_path, protocol=protocol, modality="text", levels=[2], limit=len(TASKS)))
    assert summary["correct"] == summary["items"] == len(TASKS)


@pytest.mark.slow
@pytest.mark.parametrize(("protocol", "modality"), [("answer", "image"), ("answer", "text"), ("retry", "text"),
                                                    ("step", "text"), ("step", "image")])
def test_oracle_scores_100_on_every_item(tmp_path, protocol, modality):
    summary = run(config(tmp_path, protocol=protocol, modality=modality))
    assert summary["items"] == len(benchmark.load_manifest().items)
    failed = [(name, t["correct"], t["items"]) for name, t in summary["runs"][0]["tasks"].items()
              if t["correct"] < t["items"]]
    assert not failed, failed


def test_random_is_near_zero(tmp_path):
    summary = run(config(tmp_path, agent="random", modality="text", limit=3 * len(TASKS)))
    agg = summary["runs"][0]
    assert agg["items"] == 3 * len(TASKS)
    assert agg["overall"] <= 0.25, agg["tasks"]


def test_resumed_run_gives_the_same_report(tmp_path):
    common = {"agent": "random", "modality": "text", "limit": 10}
    straight = run(config(tmp_path, "straight", batch_size=4, **common))

    class Kill(Exception):
        pass

    seen = []

    def kill_after_three(row):
        seen.append(row["item"])
        if len(seen) == 3:
            raise Kill

    with pytest.raises(Kill):  # killed in the middle of a batch
        run(config(tmp_path, "resumed", batch_size=4, **common), on_result=kill_after_three)
    results = tmp_path / "resumed" / "results.jsonl"
    assert len(results.read_text().splitlines()) == 3
    with results.open("a") as fh:  # a line cut short by the kill
        fh.write('{"item": "half a li')
    resumed = run(config(tmp_path, "resumed", batch_size=3, **common))
    assert numbers(resumed) == numbers(straight)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(lines) == len({r["item"] for r in lines}) == 10

    def strip(path):
        return sorted((r["item"], r["responses"], r["correct"]) for r in map(json.loads, path.read_text().splitlines()))

    assert strip(results) == strip(tmp_path / "straight" / "results.jsonl")
    again = run(config(tmp_path, "resumed", batch_size=3, **common))  # nothing left to do
    assert numbers(again) == numbers(straight) and len(results.read_text().splitlines()) == 10


def test_resume_refuses_other_settings(tmp_path):
    run(config(tmp_path, limit=1))
    with pytest.raises(SystemExit, match="modality"):
        run(config(tmp_path, limit=1, modality="text"))


def test_settings_are_recorded(tmp_path):
    run(config(tmp_path, agent="random", limit=1, sampling=Sampling(temperature=0.6, max_tokens=128, seed=3)))
    s = json.loads((tmp_path / "run" / "settings.json").read_text())
    assert s["agent"] == "random" and s["modality"] == "image" and s["protocol"] == "answer"
    assert s["sampling"] == {"temperature": 0.6, "top_p": None, "max_tokens": 128, "seed": 3}
    assert s["benchmark"]["version"] == benchmark.DEFAULT_VERSION and len(s["benchmark"]["manifest_sha256"]) == 64
    assert s["packages"]["helix_gym"] and s["packages"]["pillow"]


def test_result_lines_carry_what_the_issue_asks(tmp_path):
    class Counting(OracleAgent):
        def act_batch(self, observations, infos):
            self.last_usage = [{"prompt_tokens": 10, "completion_tokens": 2} for _ in infos]
            return super().act_batch(observations, infos)

    run(config(tmp_path, limit=2, protocol="step", modality="text"), agent=Counting())
    row = json.loads((tmp_path / "run" / "results.jsonl").read_text().splitlines()[0])
    for key in ("item", "task", "level", "modality", "protocol", "responses", "answer", "verdict", "reward",
                "tokens", "seconds"):
        assert key in row
    turns = row["turns"]
    assert row["correct"] and row["tokens"] == {"prompt_tokens": 10 * turns, "completion_tokens": 2 * turns}
    assert row["answer"] == row["responses"][-1]


def test_default_out_folder():
    assert str(RunConfig(agent="random", modality="text", protocol="retry").out_dir()) == "results/random-text-retry"
    odd = RunConfig(agent="openai:http://localhost:8000/v1#Qwen/Qwen2.5-VL-7B").out_dir()
    assert odd.parent.name == "results" and "/" not in odd.name and odd.name.endswith("-image-answer")


def test_agent_specs():
    assert parse_agent("oracle") == AgentSpec("oracle", "oracle")
    assert parse_agent("hf:Qwen/Qwen2.5-VL-7B-Instruct").model == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert parse_agent("vllm:m").kind == "vllm"
    spec = parse_agent("openai:http://localhost:8000/v1#my-model")
    assert (spec.kind, spec.base_url, spec.model) == ("openai", "http://localhost:8000/v1", "my-model")
    for bad in ("gpt", "hf:", "openai:http://x", "claude:x"):
        with pytest.raises(ValueError):
            parse_agent(bad)


@pytest.mark.parametrize("module", ["agents.absent_llm", "agents.base"])  # missing, or without build_agent
def test_llm_agents_exit_with_a_clear_message(tmp_path, capsys, monkeypatch, module):
    monkeypatch.setattr(factory, "LLM_MODULE", module)
    for agent in ("hf:some/model", "vllm:some/model", "openai:http://localhost:8000/v1#m"):
        assert main(["--agent", agent, "--out", str(tmp_path / "x"), "--no-progress"]) == 2
        assert "LLM agents are not available yet" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_main_job_shape(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["--agent", "oracle", "--limit", str(len(TASKS)), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "| oracle |" in printed and "Overall Img" in printed
    assert (out / "report.md").read_text().startswith("# Helix-Gym evaluation report")
