"""LLM agents: chats built from observations, run over a backend (transformers, offline vLLM, or any
OpenAI-compatible server). Importing this package pulls no torch, transformers or vllm: backends import
their engine when built."""

from agents.llm.agent import LLMAgent
from agents.llm.backends.base import Backend, BackendUnavailable, Reply, Sampling
from agents.llm.factory import build_agent, make_agent, parse_spec

__all__ = ["Backend", "BackendUnavailable", "LLMAgent", "Reply", "Sampling", "build_agent", "make_agent",
           "parse_spec"]
