"""Agents by name, and the light import: `import agents` and `agents.llm` pull no torch/transformers/vllm."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agents import OracleAgent, RandomAgent
from agents.llm import LLMAgent, build_agent, make_agent, parse_spec


def test_specs_parse_into_kind_model_and_url():
    assert parse_spec("oracle") == ("oracle", None, None)
    assert parse_spec("hf:Qwen/Qwen2.5-VL-7B-Instruct") == ("hf", "Qwen/Qwen2.5-VL-7B-Instruct", None)
    assert parse_spec("vllm:/models/x") == ("vllm", "/models/x", None)
    assert parse_spec("openai:http://h:8000/v1#org/m") == ("openai", "org/m", "http://h:8000/v1")
    for bad in ("gpt", "hf:", "openai:http://h:8000/v1", "openai:#m", "tgi:x"):
        with pytest.raises(ValueError):
            parse_spec(bad)


def test_oracle_and_random_need_no_backend():
    assert isinstance(make_agent("oracle"), OracleAgent)
    assert isinstance(make_agent("random", seed=3), RandomAgent)


def test_build_agent_takes_the_eval_runners_arguments_and_routes_options():
    agent = build_agent("openai", model="m", base_url="http://127.0.0.1:9/v1", temperature=0.7, top_p=None,
                        max_tokens=128, seed=0, strip_think=False, max_history_tokens=1000, concurrency=3)
    assert isinstance(agent, LLMAgent) and agent.name == "openai:m"
    assert (agent.strip_think, agent.max_history_tokens) == (False, 1000)
    assert agent.backend.concurrency == 3
    assert (agent.backend.sampling.temperature, agent.backend.sampling.max_tokens) == (0.7, 128)


def test_importing_agents_and_the_llm_package_stays_light():
    code = ("import sys, agents, agents.llm, agents.llm.backends.openai; from agents import make_agent, LLMAgent; "
            "print(sorted({'torch', 'transformers', 'vllm', 'tokenizers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
