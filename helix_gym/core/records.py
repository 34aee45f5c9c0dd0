"""Reading official MM-HELIX records: `initial_state` values and the int lists most algorithm tasks hold."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from helix_gym.core.errors import RecordError

_INT_LIST = re.compile(r"\[\s*-?\d+(?:\s*,\s*-?\d+)*\s*\]")


def decode_value(raw: Any) -> Any:
    """A record field as the public judge reads it: JSON, else a Python literal (`ast.literal_eval`, never
    code), else the raw value unchanged (also when it is not a string)."""
    if not isinstance(raw, str):
        return raw
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return raw


def int_list_from_record(record: dict[str, Any], field: str, task: str, *, min_len: int = 1,
                         max_len: int | None = None, low: int | None = 0) -> list[int]:
    """The whole numbers under `field` of `initial_state` (or `initial_state` itself when it is a bare list),
    else the first `[a, b, ...]` of the text question (official rows sometimes lack `initial_state`).

    Raises RecordError unless it is a list of min_len..max_len ints (bools are not ints here), each >= `low`
    (`low=None`: any sign)."""
    state = decode_value(record.get("initial_state"))
    values = state.get(field) if isinstance(state, dict) else state
    if not isinstance(values, list):
        match = _INT_LIST.search(str(record.get("question_language") or ""))
        values = json.loads(match.group(0)) if match else None
    if (not isinstance(values, list) or len(values) < min_len or (max_len is not None and len(values) > max_len)
            or not all(isinstance(v, int) and not isinstance(v, bool) and (low is None or v >= low)
                       for v in values)):
        count = f"{min_len}" if min_len == max_len else f"{min_len} to {max_len}" if max_len else f"{min_len}+"
        floor = "" if low is None else f" >= {low}"
        raise RecordError(f"{task}: expected a list of {count} whole numbers{floor} under {field!r}, "
                          f"got {str(values)[:80]}")
    return list(values)
