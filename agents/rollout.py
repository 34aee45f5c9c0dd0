"""Lockstep rollouts: every live episode takes its turn in one `act_batch` call, finished ones drop out.

Each episode's infos carry `info["episode"]`, an id unique in the process: positions in the batch shift as
episodes finish, so agents that keep per-episode memory (LLM chats) key it by this id.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from agents.base import Agent

_episode_ids = itertools.count()


@dataclass
class Episode:
    """What one episode did: its actions, the summed reward, and the last info (verdict, error...)."""

    reset_info: dict[str, Any]
    actions: list[str] = field(default_factory=list)
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        verdict = self.info.get("verdict") or {}
        return bool(self.terminated and verdict.get("correct"))


def run_episodes(envs: Sequence[gym.Env], agent: Agent, resets: Sequence[dict[str, Any]],
                 max_turns: int = 10_000) -> list[Episode]:
    """Play one episode per env, `resets[i]` being the keyword arguments of env i's `reset`."""
    observations, episodes, ids = [], [], []
    for env, kwargs in zip(envs, resets):
        obs, info = env.reset(**kwargs)
        ids.append(next(_episode_ids))
        info["episode"] = ids[-1]
        observations.append(obs)
        episodes.append(Episode(reset_info=info, info=info))
    live = list(range(len(envs)))
    for _ in range(max_turns):
        if not live:
            break
        actions = agent.act_batch([observations[i] for i in live], [episodes[i].info for i in live])
        still = []
        for i, action in zip(live, actions):
            obs, reward, terminated, truncated, info = envs[i].step(action)
            info["episode"] = ids[i]
            ep = episodes[i]
            ep.actions.append(action)
            ep.reward += float(reward)
            ep.terminated, ep.truncated, ep.info = terminated, truncated, info
            observations[i] = obs
            if not (terminated or truncated):
                still.append(i)
        live = still
    return episodes
