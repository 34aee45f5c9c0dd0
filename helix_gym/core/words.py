"""English words of 3-6 letters, shipped with the package (see helix_gym/data/words/SOURCE.md).

Two lists: `common` (what generators draw from: words a player can be expected to know) and `dictionary` (what
verifiers accept: all of web2, the list behind NLTK's `words` corpus that the official judges use, plus SCOWL-50).
Both are read lazily on first use and cached for the process; nothing is downloaded. Words are lower case.
"""

from __future__ import annotations

import gzip
import json
from collections import deque
from functools import cache, lru_cache
from importlib import resources

LENGTHS = (3, 4, 5, 6)
LISTS = ("common", "dictionary")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@cache
def _load(name: str) -> dict[int, tuple[str, ...]]:
    """One shipped list, by length (sorted tuples)."""
    if name not in LISTS:
        raise ValueError(f"unknown word list {name!r}; expected one of {LISTS}")
    raw = resources.files("helix_gym").joinpath("data").joinpath("words").joinpath(f"{name}.json.gz").read_bytes()
    body = json.loads(gzip.decompress(raw))
    return {int(n): tuple(text.split()) for n, text in body["words"].items()}


@cache
def _set(name: str) -> frozenset[str]:
    return frozenset(w for words in _load(name).values() for w in words)


def common_words(length: int) -> tuple[str, ...]:
    """The common words of `length` letters, sorted (empty outside 3-6)."""
    return _load("common").get(int(length), ())


def dictionary_words(length: int) -> tuple[str, ...]:
    """Every accepted word of `length` letters, sorted (empty outside 3-6)."""
    return _load("dictionary").get(int(length), ())


def is_word(word: str) -> bool:
    """Is `word` (any case) in the judging dictionary?"""
    return isinstance(word, str) and word.lower() in _set("dictionary")


def is_common(word: str) -> bool:
    return isinstance(word, str) and word.lower() in _set("common")


def one_letter_apart(a: str, b: str) -> bool:
    """Same length and exactly one position differs (case-insensitive)."""
    if len(a) != len(b):
        return False
    return sum(x != y for x, y in zip(a.lower(), b.lower())) == 1


@cache
def _buckets(name: str, length: int) -> dict[str, tuple[str, ...]]:
    """Wildcard buckets: `c_t` -> (cat, cot, cut, ...), for finding one-letter neighbours without a scan."""
    out: dict[str, list[str]] = {}
    for w in _load(name).get(length, ()):
        for i in range(length):
            out.setdefault(f"{w[:i]}_{w[i + 1:]}", []).append(w)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1 << 16)
def neighbours(word: str, common: bool = False) -> tuple[str, ...]:
    """The words one letter away from `word` in the common list (`common=True`) or the dictionary, sorted."""
    word = word.lower()
    n = len(word)
    if n not in LENGTHS:
        return ()
    buckets = _buckets("common" if common else "dictionary", n)
    found = {w for i in range(n) for w in buckets.get(f"{word[:i]}_{word[i + 1:]}", ()) if w != word}
    return tuple(sorted(found))


def distances(start: str, depth: int, common: bool = False) -> dict[str, int]:
    """Breadth-first ladder distances from `start` to every word within `depth` steps (start included, 0)."""
    start = start.lower()
    dist = {start: 0}
    frontier = [start]
    for d in range(1, depth + 1):
        nxt = []
        for w in frontier:
            for v in neighbours(w, common):
                if v not in dist:
                    dist[v] = d
                    nxt.append(v)
        if not nxt:
            break
        frontier = nxt
    return dist


def shortest_ladder(start: str, target: str, common: bool = False, max_steps: int | None = None) -> list[str] | None:
    """A shortest ladder start -> target (both ends included), or None if there is none within `max_steps`.

    Ties are broken alphabetically (neighbours come sorted), so the result is deterministic."""
    start, target = start.lower(), target.lower()
    if len(start) != len(target):
        return None
    parent: dict[str, str | None] = {start: None}
    depth = {start: 0}
    queue = deque([start])
    while queue:
        w = queue.popleft()
        if w == target:
            path = [w]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return path[::-1]
        if max_steps is not None and depth[w] >= max_steps:
            continue
        for v in neighbours(w, common):
            if v not in parent:
                parent[v] = w
                depth[v] = depth[w] + 1
                queue.append(v)
    return None
