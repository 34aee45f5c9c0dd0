"""stable-baselines3 support: Discrete-action / Box-observation wrappers over step-mode HelixEnv, and a PPO
recipe (`python -m training.sb3 --env Helix/Maze-v0 --level 1 --algo ppo --steps 100000`).

The wrappers need only gymnasium; the recipe (`training.sb3.train`) needs stable-baselines3 and torch
(`pip install 'helix-gym[rl]'`), and sb3-contrib for `--algo maskable_ppo`."""

from training.sb3.encoders import CharGridEncoder, board_block, sample_state_texts
from training.sb3.wrappers import (
    DiscreteMoves,
    ImageObservation,
    SeedPool,
    SymbolicObservation,
    make_env,
    move_space_size,
    move_space_union,
    probe_move_spaces,
)

__all__ = [
    "CharGridEncoder", "DiscreteMoves", "ImageObservation", "SeedPool", "SymbolicObservation", "board_block",
    "make_env", "move_space_size", "move_space_union", "probe_move_spaces", "sample_state_texts",
]
