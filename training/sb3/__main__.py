"""`python -m training.sb3 --env Helix/Maze-v0 --level 1 --algo ppo --steps 100000` (see train.py)."""

from training.sb3.train import main

raise SystemExit(main())
