"""Chats: MM-HELIX order, follow-ups carry what changed, the budget never drops the first observation, and
episodes keep their own chats as others drop out of the lockstep batch."""

from __future__ import annotations

import numpy as np
from llm_fakes import ScriptedBackend, texts

from agents.llm import LLMAgent
from agents.llm.history import OMITTED, PICTURE_OMITTED, Conversation
from agents.rollout import run_episodes
from helix_gym.core.env import BOXED_INSTRUCTION, STEP_INSTRUCTION, HelixEnv

QUESTION = "Rules of the game.\n\nThe grid:\n1 2\n3 4\n\n" + BOXED_INSTRUCTION


def picture(value: int) -> np.ndarray:
    return np.full((56, 56, 3), value, dtype=np.uint8)


def test_first_message_is_text_then_image_and_the_boxed_instruction_is_not_repeated():
    chat = Conversation({"text": QUESTION, "image": picture(1)})
    [user] = chat.messages()
    assert [p["type"] for p in user["content"]] == ["text", "image"]
    assert user["content"][0]["text"] == QUESTION
    assert user["content"][0]["text"].count("\\boxed") == 1


def test_follow_ups_send_only_new_paragraphs_and_new_pictures():
    chat = Conversation({"text": QUESTION, "image": picture(1)})
    chat.answer("\\boxed{1}")
    chat.observe({"text": QUESTION + "\n\nAttempt 1 of 3 was wrong: row 1 repeats", "image": picture(1)})
    messages = chat.messages()
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert [p["type"] for p in messages[2]["content"]] == ["text"]  # the same picture is not sent twice
    assert texts(messages[2]) == "Attempt 1 of 3 was wrong: row 1 repeats"
    chat.answer("\\boxed{2}")
    chat.observe({"text": QUESTION, "image": picture(2)})
    assert texts(chat.messages()[-1]) == "(The observation did not change.)"
    assert [p["type"] for p in chat.messages()[-1]["content"]] == ["text", "image"]
    chat.answer("undo")
    chat.observe({"text": QUESTION, "image": picture(1)})  # back to the first picture: it is the news now
    assert [p["type"] for p in chat.messages()[-1]["content"]] == ["text", "image"]


def test_whole_observations_when_not_incremental():
    chat = Conversation({"text": QUESTION}, incremental=False, system="Be brief.")
    chat.answer("x")
    chat.observe({"text": QUESTION + "\n\nmore"})
    messages = chat.messages()
    assert messages[0] == {"role": "system", "content": [{"type": "text", "text": "Be brief."}]}
    assert texts(messages[-1]) == QUESTION + "\n\nmore"


def long_chat(turns: int, max_images: int | None = None) -> Conversation:
    chat = Conversation({"text": QUESTION, "image": picture(0)}, max_images=max_images)
    for t in range(turns):
        chat.answer(f"reply {t} " + "word " * 50)
        chat.observe({"text": QUESTION + f"\n\nStep {t + 1}: " + "status " * 50, "image": picture(t + 1)})
    return chat


def test_truncation_drops_the_oldest_middle_turns_and_keeps_the_first_observation():
    chat = long_chat(10)
    full = chat.messages()
    assert len(full) == 21
    short = chat.messages(budget=400, count=lambda text: len(text.split()), image_tokens=10)
    assert short[0] is full[0]  # the first observation, picture included
    assert short[1]["content"][0]["text"] == "reply 0 " + "word " * 50
    assert short[-1] is full[-1]
    dropped = 9 - (len(short) - 3) // 2  # of the 9 middle turns
    assert 1 < dropped < 9
    assert texts(short[2]).startswith(OMITTED.format(n=dropped, s="s"))  # a note on the first kept follow-up
    assert short[2]["content"][1:] == full[2 * (1 + dropped)]["content"]
    assert [m["role"] for m in short] == ["user", "assistant"] * (len(short) // 2) + ["user"]
    words = sum(len(texts(m).split()) + 10 * sum(p["type"] == "image" for p in m["content"]) + 4 for m in short)
    assert words <= 400


def test_truncation_last_resort_merges_the_first_and_latest_observation():
    chat = long_chat(3)
    [only] = chat.messages(budget=1, count=lambda text: len(text.split()), image_tokens=10)
    assert only["role"] == "user"
    assert only["content"][0]["text"] == QUESTION
    assert "Step 3" in texts(only)


def test_max_images_keeps_the_first_picture_and_the_latest():
    chat = long_chat(2, max_images=3)
    before = chat.messages()
    chat.answer("next")
    chat.observe({"text": QUESTION + "\n\nStep 3", "image": picture(3)})
    chat.answer("next")
    chat.observe({"text": QUESTION + "\n\nStep 4", "image": picture(4)})
    messages = chat.messages()
    pictures = [int(p["image"][0, 0, 0]) for m in messages for p in m["content"] if p["type"] == "image"]
    assert pictures == [0, 3, 4]
    assert sum(PICTURE_OMITTED in texts(m) for m in messages) == 2
    assert sum(p["type"] == "image" for m in before for p in m["content"]) == 3  # handed-out chats unchanged


def test_each_episode_keeps_its_own_chat_as_others_finish():
    """Three step-mode Maze episodes, one ending early: the batch shrinks, chats stay with their episodes."""
    def reply(chat):
        first = texts(chat[0])
        return "\\boxed{submit}" if "seed-marker" in first and len(chat) >= 3 else "\\boxed{up}"

    backend = ScriptedBackend(reply)
    agent = LLMAgent(backend)
    envs = [HelixEnv("Maze", mode="step", obs="text", max_steps=4) for _ in range(3)]
    original = envs[1]._prompt
    envs[1]._prompt = lambda: original() + "\n\nseed-marker"  # tell episode 1 apart in the chats
    episodes = run_episodes(envs, agent, [{"seed": 3}, {"seed": 3}, {"seed": 3}])
    assert [len(b) for b in backend.batches] == [3, 3, 2, 2]  # episode 1 submits on turn 2; the others run 4
    assert episodes[1].actions == ["up", "submit"]
    assert all(len(chat) == 7 for chat in backend.batches[3])
    for batch in backend.batches:  # every chat starts with its own first observation, once
        for chat in batch:
            assert sum(STEP_INSTRUCTION in texts(m) for m in chat) == 1
    assert len({agent._seeds[key] for key in agent._seeds}) == len(agent._seeds)
    assert len(agent._chats) == 2  # the finished episode's chat was freed


def test_a_reset_starts_a_new_chat_under_the_same_key_and_seeds_do_not_depend_on_batching():
    backend = ScriptedBackend(lambda chat: "\\boxed{up}")
    agent = LLMAgent(backend)
    env = HelixEnv("Maze", mode="answer", obs="text")
    obs, info = env.reset(seed=5)
    agent.act(obs, info)
    obs, info = env.reset(seed=5)
    agent.act(obs, info)
    assert [len(chat) for batch in backend.batches for chat in batch] == [1, 1]
    assert backend.seeds[0] != backend.seeds[1]  # a second episode of the same puzzle samples anew
    alone = ScriptedBackend()
    LLMAgent(alone).act(*env.reset(seed=5))
    assert alone.seeds[0] == backend.seeds[0]
    usage = agent.last_usage
    assert usage == [{"prompt_tokens": 10, "completion_tokens": 3}]


def test_answer_and_retry_replies_pass_through_with_their_history():
    replies = iter(["<think>hmm</think>\\boxed{up}", "<think>again</think>\\boxed{left}", "\\boxed{down}"])
    backend = ScriptedBackend(lambda chat: next(replies))
    agent = LLMAgent(backend, strip_think=True)
    [episode] = run_episodes([HelixEnv("Maze", mode="retry", obs="text", max_attempts=3)], agent, [{"seed": 1}])
    assert episode.actions[0] == "<think>hmm</think>\\boxed{up}"
    last = backend.batches[-1][0]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant", "user"]
    assert texts(last[1]) == "\\boxed{up}"
    assert texts(last[2]).startswith("Attempt 1 of 3 was wrong")
