"""SERG (Step-Elicited Response Generation): reasoning traces for every task, from its `solve_trace`.

    python -m training.serg --per-task 100 --levels 1-5 --out data/serg --workers 2 [--refine openai:<url>#<model>]

- `skeleton.build_skeleton(task, puzzle)`: the rule-based trace (rules, the picture read into a state, the
  search with its dead ends and backtracks, a final check, `</think>` and `Final Answer: \\boxed{...}`);
- `refine.refine(backend, items)`: optional LLM rewrite, retried up to k times, verifier-filtered;
- `records`: the filter, the record fields (spec/training.md §3.4), the JSONL + PNG writer, `load_hf`;
- `pipeline.synthesize(out, ...)`: the whole run (process pool, resumable, deterministic).
"""

from training.serg.pipeline import plan, synthesize
from training.serg.records import check_trace, load_hf
from training.serg.skeleton import Skeleton, build_skeleton

__all__ = ["Skeleton", "build_skeleton", "check_trace", "load_hf", "plan", "synthesize"]
