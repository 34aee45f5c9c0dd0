"""The machinery shared by all tasks: the Task contract, the env, answer extraction, drawing, registry."""

from helix_gym.core.errors import HelixError, InvalidMove, RecordError, UnknownTask
from helix_gym.core.extract import extract_answer
from helix_gym.core.registry import all_tasks, env_id, get_task, register_task, task_names
from helix_gym.core.task import Puzzle, Task, TraceEvent, Verdict

__all__ = [
    "HelixError", "InvalidMove", "Puzzle", "RecordError", "Task", "TraceEvent", "UnknownTask", "Verdict",
    "all_tasks", "env_id", "extract_answer", "get_task", "register_task", "task_names",
]
