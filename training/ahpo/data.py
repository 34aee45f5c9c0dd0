"""Training items and their prompts.

Items come from SERG output (`python -m training.serg` records: task, puzzle JSON, expert trace) and/or are
generated on the fly from the task registry (seeds in SERG's training range, benchmark fingerprints excluded),
with an expert trace built by SERG's skeleton writer, a one-line answer template, or none.

Prompts are built the way the agents build them: the item's puzzle goes into a HelixEnv (answer mode, the
configured observation), the reset observation becomes a chat through `agents.llm.history.Conversation`, and
`agents.llm.messages.to_hf` + the processor's chat template turn it into token ids (plus `pixel_values` and
`image_grid_thw` for a vision-language processor).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.llm.history import Conversation
from agents.llm.messages import Message, to_hf
from helix_gym.core.env import HelixEnv
from helix_gym.core.registry import get_task
from helix_gym.core.task import Puzzle
from training.ahpo.config import DataConfig


@dataclass
class Item:
    """One training prompt: a puzzle of a task, and the expert trace for it where there is one."""

    uid: str
    task: str
    puzzle: str  # Puzzle.to_json()
    level: int
    expert: str | None = None
    source: str = "generated"

    @property
    def fingerprint(self) -> str:
        return Puzzle.from_json(self.puzzle).fingerprint


# ---- loading ---------------------------------------------------------------------------------------------
def load_serg(paths: list[str], field_name: str = "expert_cot") -> list[Item]:
    """Items from SERG records (a serg.jsonl file, or the folder that holds one); only verified experts."""
    from training.serg.records import RECORDS, read_jsonl

    items = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            p = p / RECORDS
        if not p.exists():
            raise FileNotFoundError(f"no SERG records at {p} (write them with `python -m training.serg`)")
        for r in read_jsonl(p):
            puzzle = r["puzzle"] if isinstance(r["puzzle"], str) else json.dumps(r["puzzle"])
            expert = r.get(field_name) if r.get("expert_verified", True) else None
            items.append(Item(uid=r["uid"], task=r["task"], puzzle=puzzle, level=int(r["level"]), expert=expert,
                              source=r.get("source", "serg")))
    return items


def generate_items(tasks: list[str], levels: list[int], per_task: int, seed: int = 0, expert: str = "skeleton",
                   answer_template: str = "\\boxed{{{answer}}}", exclude: set[str] | None = None) -> list[Item]:
    """`per_task` instances of each task spread over `levels`, with seeds in SERG's training range; instances
    whose fingerprint is in `exclude` (the benchmark's) or repeats an earlier one are skipped."""
    from training.serg.pipeline import MAX_TRIES_PER_ITEM, instance_seed, plan
    from training.serg.records import check_trace
    from training.serg.skeleton import build_skeleton

    exclude = exclude or set()
    items: list[Item] = []
    for unit in plan(tasks, levels, per_task=per_task):
        task = get_task(unit.task)
        seen: set[str] = set()
        kept = k = 0
        while kept < unit.count and k < unit.count * MAX_TRIES_PER_ITEM:
            puzzle = task.generate_seeded(instance_seed(seed, k), unit.level)
            k += 1
            if puzzle.fingerprint in exclude or puzzle.fingerprint in seen:
                continue
            seen.add(puzzle.fingerprint)
            text = None
            if expert == "skeleton":
                skeleton = build_skeleton(task, puzzle, task.solve_trace(puzzle), rng=f"ahpo|{seed}|{puzzle.id}")
                if not check_trace(task, puzzle, skeleton.text)[0]:
                    continue
                text = skeleton.text
            elif expert == "answer":
                text = answer_template.format(answer=task.solve(puzzle))
            items.append(Item(uid=puzzle.id, task=task.name, puzzle=puzzle.to_json(), level=puzzle.level,
                              expert=text, source="generated"))
            kept += 1
    return items


def benchmark_fingerprints(version: str | None = None) -> set[str]:
    from eval.benchmark import DEFAULT_VERSION, fingerprints

    try:
        return fingerprints(version or DEFAULT_VERSION)
    except FileNotFoundError:
        return set()


def load_items(cfg: DataConfig) -> list[Item]:
    """Every item the data config names, benchmark instances left out."""
    exclude = benchmark_fingerprints(cfg.benchmark_version) if cfg.exclude_benchmark else set()
    items = load_serg(list(cfg.serg), cfg.expert_field) if cfg.serg else []
    items = [it for it in items if it.fingerprint not in exclude]
    if cfg.tasks and cfg.per_task > 0:
        items += generate_items(list(cfg.tasks), list(cfg.levels), cfg.per_task, cfg.seed, cfg.expert,
                                cfg.answer_template, exclude)
    if not items:
        raise ValueError("the data config names no training items (set data.serg, or data.tasks with per_task)")
    return items


# ---- prompts ---------------------------------------------------------------------------------------------
@dataclass
class Prompt:
    """A tokenised prompt: token ids, the templated text, and the vision inputs of its pictures (or None)."""

    ids: list[int]
    text: str
    vision: dict[str, Any] | None = None  # per-picture tensors (pixel_values, image_grid_thw), concatenated by row
    n_images: int = 0
    messages: list[Message] = field(default_factory=list, repr=False)
    token_fields: dict[str, list[int]] = field(default_factory=dict)  # per-token ids (mm_token_type_ids), padded 0


class PromptBuilder:
    """Chats from env observations (agents' message building), tokenised with the model's processor."""

    def __init__(self, processor: Any, modality: str = "image", image_size: int = 512,
                 system_prompt: str | None = None) -> None:
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.multimodal = self.tokenizer is not processor
        self.modality = modality
        self.image_size = int(image_size)
        self.system_prompt = system_prompt
        self._envs: dict[str, HelixEnv] = {}
        if not self.multimodal and modality != "text":
            raise ValueError("a text-only model needs data.modality: text")

    def messages(self, item: Item) -> list[Message]:
        env = self._envs.get(item.task)
        if env is None:
            env = self._envs[item.task] = HelixEnv(item.task, mode="answer", obs=self.modality,
                                                   image_size=self.image_size)
        observation, _ = env.reset(options={"puzzle": item.puzzle})
        return Conversation(observation, system=self.system_prompt).messages()

    def encode(self, item: Item) -> Prompt:
        messages = self.messages(item)
        template, images = to_hf(messages, self.multimodal)
        text = self.processor.apply_chat_template(template, tokenize=False, add_generation_prompt=True)
        if self.multimodal:
            enc = self.processor(text=[text], images=images or None, return_tensors="pt")
            ids = enc["input_ids"][0].tolist()
            vision, token_fields = {}, {}
            for key, value in enc.items():
                if key in ("input_ids", "attention_mask"):
                    continue
                if value.dim() == 2 and value.shape == enc["input_ids"].shape:
                    token_fields[key] = value[0].tolist()
                elif images:
                    vision[key] = value
            return Prompt(ids, text, vision or None, len(images), messages, token_fields)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return Prompt(list(ids), text, None, 0, messages)

    def encode_response(self, text: str) -> list[int]:
        """An assistant reply as response tokens, ended by the end-of-turn token (as sampled replies are)."""
        ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return [*ids, self.tokenizer.eos_token_id]
