"""The vLLM layer without vLLM: a clear error when it is missing, and request building against a fake engine."""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace
from typing import ClassVar

import pytest

from agents.llm import BackendUnavailable, LLMAgent, make_agent
from agents.rollout import run_episodes
from helix_gym.core.env import HelixEnv


def test_without_vllm_the_agent_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # an import of vllm now fails, installed or not
    with pytest.raises(ImportError, match=r"helix-gym\[vllm\].*openai:http") as caught:
        make_agent("vllm:Qwen/Qwen2.5-VL-7B-Instruct")
    assert isinstance(caught.value, BackendUnavailable)


class FakeLLM:
    """Records its construction and calls; moves up and back (undo), so every position differs from the last."""

    instances: ClassVar[list[FakeLLM]] = []

    def __init__(self, model: str, **kwargs) -> None:
        self.model, self.kwargs, self.calls = model, kwargs, []
        FakeLLM.instances.append(self)

    def chat(self, messages, sampling_params=None, use_tqdm=True, **kwargs):
        self.calls.append({"messages": messages, "params": sampling_params, "use_tqdm": use_tqdm, **kwargs})
        moves = ["Move: undo" if len(chat) // 2 % 2 else "Move: up" for chat in messages]
        return [SimpleNamespace(prompt_token_ids=[0] * 11, outputs=[SimpleNamespace(text=move, token_ids=[1, 2])])
                for move in moves]


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.ModuleType("vllm")
    module.LLM = FakeLLM
    module.SamplingParams = lambda **kwargs: SimpleNamespace(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    FakeLLM.instances.clear()
    return module


def test_requests_are_batched_chats_with_data_urls_and_per_request_params(fake_vllm):
    agent = make_agent("vllm:org/tiny", temperature=0.0, max_new_tokens=32, seed=3, tensor_parallel_size=2)
    assert isinstance(agent, LLMAgent) and agent.max_images == 4
    envs = [HelixEnv("Maze", mode="step", obs="image", image_size=56, max_steps=6) for _ in range(2)]
    seeds = [s for s in range(100) if "up" in envs[0].reset(seed=s)[1]["legal_moves"]][:2]  # up, undo: all new
    episodes = run_episodes(envs, agent, [{"seed": s} for s in seeds])
    [llm] = FakeLLM.instances
    assert llm.model == "org/tiny"
    assert llm.kwargs == {"tensor_parallel_size": 2, "limit_mm_per_prompt": {"image": 4}, "seed": 3}
    assert [e.actions for e in episodes] == [["up", "undo"] * 3] * 2
    assert agent.last_usage[0] == {"prompt_tokens": 11, "completion_tokens": 2}
    first = llm.calls[0]
    assert first["use_tqdm"] is False
    assert len(first["messages"]) == len(first["params"]) == 2
    text, image = first["messages"][0][0]["content"]
    assert text["type"] == "text" and image["image_url"]["url"].startswith("data:image/png;base64,")
    params = first["params"][0]
    assert (params.max_tokens, params.temperature) == (32, 0.0)
    assert len({p.seed for call in llm.calls for p in call["params"]}) == sum(len(c["params"]) for c in llm.calls)
    last = llm.calls[-1]["messages"][0]
    assert [m["role"] for m in last][:3] == ["user", "assistant", "user"]
    assert sum(p["type"] == "image_url" for m in last if isinstance(m["content"], list) for p in m["content"]) == 4


def test_a_text_model_that_refuses_the_picture_limit_is_built_without_it(fake_vllm):
    class TextOnly(FakeLLM):
        def __init__(self, model: str, **kwargs) -> None:
            if "limit_mm_per_prompt" in kwargs:
                raise ValueError("`limit_mm_per_prompt` is only supported for multimodal models.")
            super().__init__(model, **kwargs)

    fake_vllm.LLM = TextOnly
    agent = make_agent("vllm:org/text", seed=None)
    assert FakeLLM.instances[-1].kwargs == {}
    assert agent.backend.params(None).max_tokens == 4096


def test_a_ready_llm_object_is_used_as_is(fake_vllm):
    from agents.llm.backends.vllm import VLLMBackend

    llm = FakeLLM("ready")
    backend = VLLMBackend(llm, chat_kwargs={"chat_template_kwargs": {"enable_thinking": False}})
    [reply] = backend.generate([[{"role": "user", "content": [{"type": "text", "text": "hi"}]}]])
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("Move: up", 11, 2)
    assert backend.context_tokens() is None and backend.count_tokens("abcdef") == 3
    call = llm.calls[0]
    assert call["messages"] == [[{"role": "user", "content": "hi"}]]
    assert call["chat_template_kwargs"] == {"enable_thinking": False}
    assert call["params"][0].max_tokens == 4096 and not hasattr(call["params"][0], "temperature")
