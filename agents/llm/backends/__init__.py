"""Backends: `hf` (transformers), `vllm` (offline LLM.chat), `openai` (HTTP). Each module imports its engine
lazily; `base` holds the shared interface."""
