"""Tasks of the games category: every module here is imported, so each registers its task."""

from helix_gym.tasks._discover import import_submodules

import_submodules(__name__, __path__)
