"""All task modules, grouped by category. Importing this package registers every task."""

from helix_gym.tasks import algorithms, games, graphs, puzzles  # noqa: F401
