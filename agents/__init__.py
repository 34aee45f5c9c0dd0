"""Who acts on the env: the oracle, the random floor, and LLM agents over pluggable backends."""

from typing import Any

from agents.base import Agent
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent

__all__ = ["Agent", "LLMAgent", "OracleAgent", "RandomAgent", "build_agent", "make_agent"]
_LAZY = {"LLMAgent": "agents.llm", "build_agent": "agents.llm", "make_agent": "agents.llm"}


def __getattr__(name: str) -> Any:
    """LLM names on first use only, so `import agents` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
