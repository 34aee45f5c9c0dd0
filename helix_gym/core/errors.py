"""Errors shared by every task and the env."""

from __future__ import annotations


class HelixError(Exception):
    """Base class of the suite's own errors."""


class InvalidMove(HelixError):
    """A step-mode command that is malformed or that the rules forbid; `reason` is shown to the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RecordError(HelixError):
    """A record (official MM-HELIX row or our own export) that cannot be turned into a puzzle."""


class UnknownTask(HelixError, KeyError):
    """No task is registered under that name, key or env id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
