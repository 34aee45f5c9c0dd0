"""Final-answer extraction, in the order of the public MM-HELIX judge.

Order: the last `<|begin_of_box|>...<|end_of_box|>`, else the last `<answer>...</answer>`, else the last
`\\boxed{...}` (any depth of nested braces), else the text after the last `Answer:` (ASCII or full-width
colon). Unlike the public judge we never fall back to the whole response: no marker, no answer.
"""

from __future__ import annotations

import re

_BOX_SPAN = re.compile(r"<\|begin_of_box\|>(.*?)<\|end_of_box\|>", re.S)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.S | re.I)
_ANSWER_COLON = re.compile(r"answer\s*[:：]", re.I)
_BOXED = re.compile(r"\\boxed\s*\{")


def _last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` whose braces balance; None if there is none."""
    found = None
    for match in _BOXED.finditer(text):
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    found = text[start:i]
                    break
    return found


def extract_answer(response: str) -> str | None:
    """The final answer in `response`, stripped, or None when no marker is present."""
    if not isinstance(response, str):
        return None
    for pattern in (_BOX_SPAN, _ANSWER_TAG):
        spans = pattern.findall(response)
        if spans:
            return spans[-1].strip()
    boxed = _last_boxed(response)
    if boxed is not None:
        return boxed.strip()
    colons = list(_ANSWER_COLON.finditer(response))
    if colons:
        return response[colons[-1].end():].strip()
    return None
