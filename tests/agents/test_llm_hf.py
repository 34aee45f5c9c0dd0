"""The transformers backend end to end on tiny local models (see llm_tiny): every protocol through the lockstep
runner, the text model on text observations and a Qwen2.5-VL-style model on pictures."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

import llm_tiny  # noqa: E402
from llm_fakes import texts  # noqa: E402

from agents.llm import LLMAgent, make_agent  # noqa: E402
from agents.llm.backends.base import Sampling  # noqa: E402
from agents.llm.backends.hf import HFBackend  # noqa: E402
from agents.rollout import run_episodes  # noqa: E402
from helix_gym.core.env import STEP_INSTRUCTION, HelixEnv  # noqa: E402

GREEDY = Sampling(temperature=0.0, max_tokens=8, seed=0)


class Recording(HFBackend):
    """Keeps every batch of chats and replies, to check what the model was sent."""

    def generate(self, chats, seeds=None):
        replies = super().generate(chats, seeds)
        self.log.append((list(chats), replies))
        return replies


@pytest.fixture(scope="module")
def text_lm():
    return llm_tiny.text_model()


@pytest.fixture(scope="module")
def vision_lm():
    try:
        return llm_tiny.vision_model()
    except ImportError as exc:  # the PIL image processor of transformers 5 (4.x and torchvision-free 5.x differ)
        pytest.skip(f"no torchvision-free Qwen2-VL image processor in this transformers: {exc}")


def agent_on(model_and_processor, **options) -> LLMAgent:
    backend = Recording(*model_and_processor, GREEDY, max_batch_size=2)
    backend.log = []
    return LLMAgent(backend, **options)


def play(agent, mode: str, obs: str, seeds=(1, 2, 3), **env_kwargs):
    envs = [HelixEnv("Maze", mode=mode, obs=obs, image_size=56, **env_kwargs) for _ in seeds]
    return run_episodes(envs, agent, [{"seed": s} for s in seeds])


def test_answer_mode_replies_go_to_the_env_whole(text_lm):
    agent = agent_on(text_lm)
    episodes = play(agent, "answer", "text")
    assert [e.actions for e in episodes] == [["\\boxed{up}"]] * 3
    assert all(e.terminated and e.info["verdict"]["parsed"] == ["up"] for e in episodes)
    [(chats, replies)] = agent.backend.log  # one turn, three chats, in chunks of two
    assert len(chats) == 3 and [r.completion_tokens for r in replies] == [4, 4, 4]
    assert agent.last_usage[0]["prompt_tokens"] > 100


def test_retry_mode_carries_the_feedback_in_a_growing_chat(text_lm):
    agent = agent_on(text_lm)
    episodes = play(agent, "retry", "text", max_attempts=3)
    assert [len(e.actions) for e in episodes] == [3, 3, 3]
    log = agent.backend.log
    assert [len(chats) for chats, _ in log] == [3, 3, 3]
    last = log[-1][0][0]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant", "user"]
    assert texts(last[2]).startswith("Attempt 1 of 3 was wrong") and texts(last[1]) == "\\boxed{up}"
    prompts = [replies[0].prompt_tokens for _, replies in log]
    assert prompts[0] < prompts[1] < prompts[2]


def test_step_mode_extracts_commands_and_finished_episodes_leave_the_batch(text_lm):
    agent = agent_on(text_lm)
    envs = [HelixEnv("Maze", mode="step", obs="text", max_steps=n) for n in (1, 3, 2)]
    episodes = run_episodes(envs, agent, [{"seed": 1}, {"seed": 2}, {"seed": 3}])
    assert [e.actions for e in episodes] == [["up"], ["up"] * 3, ["up"] * 2]
    assert all(e.truncated for e in episodes)
    assert [len(chats) for chats, _ in agent.backend.log] == [3, 2, 1]
    [last] = agent.backend.log[-1][0]
    assert len(last) == 5 and STEP_INSTRUCTION in texts(last[0]) and "Step 0 of 3." in texts(last[0])
    assert "Step 2 of 3." in texts(last[-1])


def test_a_saved_text_model_loads_through_make_agent(text_lm, tmp_path):
    model, tok = text_lm
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    agent = make_agent(f"hf:{tmp_path}", temperature=0.0, max_new_tokens=8, dtype="float32")
    assert isinstance(agent.backend, HFBackend) and not agent.backend.multimodal
    [episode] = play(agent, "answer", "text", seeds=(4,))
    assert episode.actions == ["\\boxed{up}"]
    assert agent.backend.context_tokens() == 16384 - 8


def test_a_text_model_refuses_pictures_clearly(text_lm):
    with pytest.raises(ValueError, match="obs='text'"):
        play(agent_on(text_lm), "answer", "image", seeds=(1,))


def test_vision_model_plays_pictures_in_step_and_retry_mode(vision_lm):
    agent = agent_on(vision_lm, max_images=2)
    episodes = play(agent, "step", "image", seeds=(1, 2), max_steps=3)
    assert [e.actions for e in episodes] == [["up"] * 3] * 2
    last = agent.backend.log[-1][0][0]
    pictures = [sum(p["type"] == "image" for p in m["content"]) for m in last]
    assert pictures[0] == 1 and sum(pictures) <= 2
    retry = agent_on(vision_lm)
    episodes = play(retry, "retry", "image", seeds=(1,), max_attempts=2)
    [chat] = retry.backend.log[-1][0]
    assert [sum(p["type"] == "image" for p in m["content"]) for m in chat] == [1, 0, 0]  # not re-sent
    prompts = [replies[0].prompt_tokens for _, replies in retry.backend.log]
    assert prompts[1] > prompts[0]
