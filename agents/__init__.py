"""Who acts on the env: the oracle, the random floor, and LLM agents over pluggable backends."""

from agents.base import Agent
from agents.oracle import OracleAgent
from agents.random_agent import RandomAgent

__all__ = ["Agent", "OracleAgent", "RandomAgent"]
