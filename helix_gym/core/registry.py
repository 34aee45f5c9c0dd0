"""The task registry: one Task object per name, found by name, official key or env id."""

from __future__ import annotations

import importlib
import re

from helix_gym.core.errors import UnknownTask
from helix_gym.core.task import CATEGORIES, Task

_TASKS: dict[str, Task] = {}
_ENV_ID = re.compile(r"^(?:helix_gym:)?Helix/(?P<name>[A-Za-z0-9]+)-v\d+$")


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: instantiate the task once and file it under its name."""
    for attr in ("name", "key", "category", "score_function"):
        if not getattr(cls, attr, None):
            raise TypeError(f"{cls.__name__} must set `{attr}`")
    if cls.category not in CATEGORIES:
        raise TypeError(f"{cls.__name__}.category must be one of {CATEGORIES}")
    if cls.name in _TASKS and type(_TASKS[cls.name]) is not cls:
        raise TypeError(f"task name {cls.name!r} registered twice")
    _TASKS[cls.name] = cls()
    return cls


def _load_all() -> None:
    importlib.import_module("helix_gym.tasks")


def task_names() -> list[str]:
    _load_all()
    return sorted(_TASKS)


def all_tasks() -> list[Task]:
    return [_TASKS[name] for name in task_names()]


def get_task(name: str | Task) -> Task:
    """The task called `name`: "Sudoku", its key "sudoku", or an env id "Helix/Sudoku-v0"."""
    if isinstance(name, Task):
        return name
    _load_all()
    match = _ENV_ID.match(str(name))
    wanted = match.group("name") if match else str(name)
    if wanted in _TASKS:
        return _TASKS[wanted]
    for task in _TASKS.values():
        if task.key == wanted or task.name.lower() == wanted.lower():
            return task
    raise UnknownTask(f"no task named {name!r}; known: {', '.join(sorted(_TASKS))}")


def env_id(task: str | Task) -> str:
    return f"Helix/{get_task(task).name}-v0"
