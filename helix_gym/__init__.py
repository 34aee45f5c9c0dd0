"""Helix-Gym: the MM-HELIX reflective-reasoning tasks as multimodal Gymnasium environments.

`import helix_gym` registers `Helix/<Name>-v0` for every task; heavy libraries are never imported here.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from helix_gym.core import (
    InvalidMove,
    Puzzle,
    Task,
    TraceEvent,
    Verdict,
    all_tasks,
    env_id,
    extract_answer,
    get_task,
    task_names,
)
from helix_gym.core.env import HelixEnv

__version__ = "0.1.0"
__all__ = [
    "HelixEnv", "InvalidMove", "Puzzle", "Task", "TraceEvent", "Verdict", "all_tasks", "env_id",
    "extract_answer", "get_task", "make", "make_vec", "register_envs", "task_names",
]


def register_envs() -> list[str]:
    """Register Helix/<Name>-v0 for every task (idempotent); returns the ids."""
    ids = []
    for name in task_names():
        eid = f"Helix/{name}-v0"
        if eid not in gym.registry:
            gym.register(id=eid, entry_point="helix_gym.core.env:HelixEnv", kwargs={"task": name})
        ids.append(eid)
    return ids


def make(task: str, **kwargs: Any) -> gym.Env:
    """`gym.make` by task name, key or env id: `helix_gym.make("Sudoku", mode="step")`."""
    return gym.make(env_id(task), **kwargs)


def make_vec(task: str, num_envs: int = 4, vectorization_mode: str = "async", **kwargs: Any) -> gym.vector.VectorEnv:
    """A vector env whose Text observations arrive intact.

    AsyncVectorEnv's default shared memory turns Text observations into strings of '0' (gymnasium 1.x), so
    the async variant is built without shared memory."""
    vector_kwargs = {"shared_memory": False} if vectorization_mode == "async" else {}
    return gym.make_vec(env_id(task), num_envs=num_envs, vectorization_mode=vectorization_mode,
                        vector_kwargs=vector_kwargs, **kwargs)


register_envs()
