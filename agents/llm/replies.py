"""From a model's reply to an env action, and to what goes back into the history.

Answer and retry replies go to the env untouched (the env extracts the final answer as the public judge does).
A step reply is cut to one command: the last `\\boxed{}` (as the env's step text asks), else the last `Move:`
line. Reasoning in `<think>` blocks can be left out of the history sent back, as reasoning models expect.
"""

from __future__ import annotations

import re

from helix_gym.core.extract import extract_answer

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_THINK_CLOSE = re.compile(r"</think>", re.I)
_THINK_OPEN = re.compile(r"<think>.*\Z", re.S | re.I)
_MARKERS = ("\\boxed", "<|begin_of_box|>", "<answer>")
_MOVE = re.compile(r"^[ \t>*_#-]*move[*_]*\s*[:：][*_]*[ \t]*(.+?)[ \t]*$", re.I | re.M)


def strip_think(reply: str) -> str:
    """The reply without reasoning: closed `<think>` blocks, text before a lone `</think>` (the chat template
    opened the block), and an unclosed block running to the end (the reply was cut off while thinking)."""
    text = _THINK.sub("", reply)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end():]
    return _THINK_OPEN.sub("", text).strip()


def step_command(reply: str) -> str | None:
    """The one command a step-mode reply makes, or None when it names none."""
    text = strip_think(reply) or reply
    if any(marker in text for marker in _MARKERS):
        found = extract_answer(text)
        if found is not None:
            return found
    moves = _MOVE.findall(text)
    if moves:
        return moves[-1].strip().strip("`*_\"'").rstrip(".").strip()
    return None


def step_action(reply: str) -> str:
    """What the env receives in step mode: the bare command (readable in logs), boxed only where the env's own
    extraction would otherwise cut it (`answer: ...`); the reply itself when it names no command, so the env
    reports the invalid command and the step counts."""
    command = step_command(reply)
    if command is None:
        return strip_think(reply) or reply
    if extract_answer(command) is not None:
        return f"\\boxed{{{command}}}"
    return command
