"""Small wording helpers shared by traces, verdicts and captions."""

from __future__ import annotations


def counted(k: int, word: str) -> str:
    """`1 box`, `2 boxes`, `3 tries`: the count with the noun in the number it needs (regular English plurals)."""
    if k == 1:
        return f"{k} {word}"
    if word.endswith(("s", "x", "sh", "ch")):
        return f"{k} {word}es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{k} {word[:-1]}ies"
    return f"{k} {word}s"
