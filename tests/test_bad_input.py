"""Bad input never raises out of step(), never changes the state, and says what was wrong."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helix_gym
from helix_gym.core.env import HelixEnv
from tests.conftest import TASK_NAMES

ADVERSARIAL = [
    "", " ", "\n\t", "\x00\x01", "undo", "🙂🙂🙂", "a" * 100_000, "answer", "answer ", "\\boxed{",
    "\\boxed{}", "\\boxed{\\boxed{}}", "<answer></answer>", "<|begin_of_box|><|end_of_box|>", "Answer:",
    "__import__('os').system('echo pwned')", "exec('1')", "eval(\"2+2\")", "lambda: 0", "None", "[]", "{}",
    "-1", "1e999", "nan", "place 0 0 0", "place 10 10 10", "go -1", "combine #9 + #1", "up up up" * 1000,
    "submit now please", "restart please", "\\x00", "%s%s%s", "{0}", "' OR 1=1 --", "\u202e", "ｕｐ",
]


def _snapshot(env: HelixEnv):
    return env.state, env.puzzle, len(env._history)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_adversarial_commands_in_step_mode(name):
    env = HelixEnv(name, mode="step", obs="text", max_steps=10_000)
    env.reset(seed=0)
    for action in ADVERSARIAL:
        before = _snapshot(env)
        obs, reward, terminated, truncated, info = env.step(action)
        if info["invalid"]:
            assert _snapshot(env) == before, action[:40]
            assert (info["error"] and "invalid command" in obs["text"]) or "could not" in obs["text"], action[:40]
            assert reward == 0.0 and not terminated
        if terminated or truncated:
            env.reset(seed=0)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_adversarial_answers_are_rejected_without_crashing(name):
    task = helix_gym.get_task(name)
    puzzle = task.generate_seeded(0, 2)
    for text in ADVERSARIAL:
        verdict = task.verify(puzzle, text)
        assert not verdict.correct and verdict.violations, text[:40]
    for mode in ("answer", "retry"):
        env = HelixEnv(name, mode=mode, obs="text")
        for text in ADVERSARIAL:
            env.reset(seed=0)
            _obs, reward, _, _, info = env.step(text)
            assert reward == 0.0
            assert info["error"] or info["verdict"]["violations"]


@pytest.mark.parametrize("name", TASK_NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.text(max_size=60))
def test_random_text_in_step_mode(name, action):
    env = _step_env(name)
    before = _snapshot(env)
    obs, _reward, _terminated, _truncated, info = env.step(action)
    if info["invalid"]:
        assert _snapshot(env) == before and info["error"] in obs["text"]
    else:
        assert not info["error"]
    env.reset(seed=0)


@pytest.mark.parametrize("name", TASK_NAMES)
@settings(max_examples=60, deadline=None)
@given(payload=st.text(max_size=80))
def test_random_boxed_answers(name, payload):
    task = helix_gym.get_task(name)
    puzzle = _puzzle(name)
    verdict = task.verify(puzzle, payload)
    assert isinstance(verdict.correct, bool) and 0.0 <= verdict.score <= 1.0
    assert verdict.correct or verdict.violations


_ENVS: dict[str, HelixEnv] = {}
_PUZZLES: dict[str, helix_gym.Puzzle] = {}


def _step_env(name: str) -> HelixEnv:
    if name not in _ENVS:
        _ENVS[name] = HelixEnv(name, mode="step", obs="text", max_steps=10**9)
        _ENVS[name].reset(seed=0)
    return _ENVS[name]


def _puzzle(name: str) -> helix_gym.Puzzle:
    if name not in _PUZZLES:
        _PUZZLES[name] = helix_gym.get_task(name).generate_seeded(0, 3)
    return _PUZZLES[name]


def test_actions_of_other_types_are_read_as_text():
    env = HelixEnv(TASK_NAMES[0], mode="step", obs="text")
    env.reset(seed=0)
    for action in (b"undo", np.str_("undo"), np.array("undo"), 12345, None):
        _, _, _, _, info = env.step(action)
        assert info["invalid"]
