"""AHPO (Adaptive Hybrid Policy Optimization, MM-HELIX) and its baselines: GRPO, Static-AHPO, LUFFY, SFT.

    python -m training.ahpo --config configs/ahpo.yaml [--set steps=20 --set rollout.max_new_tokens=512]

- `losses`, `advantages`, `gate`: the algorithm as pure tensor functions (no model, no framework);
- `reward`: verifier accuracy from the env plus the format term;
- `data`, `batch`, `rollout`: items (SERG records or generated), prompts built by the agents' message building,
  sampling from the trained model with token ids and log-probs;
- `trainer`: one loop, the algorithm is `algo` in the config;
- `trl`: the same losses inside TRL's GRPOTrainer (accelerate + DeepSpeed/FSDP, vLLM), for scale.

Importing this package imports only the config; the modules import torch, transformers and TRL where they need them.
"""

from training.ahpo.config import TrainConfig, load_config

__all__ = ["TrainConfig", "load_config"]
