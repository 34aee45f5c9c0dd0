"""Training configuration: one dataclass tree, loaded from YAML (PyYAML) or JSON, with `extends` and overrides.

    cfg = load_config("configs/ahpo.yaml", overrides=["steps=20", "rollout.max_new_tokens=64"])

A file may name `extends: other.yaml` (relative to itself); its keys are merged over the parent's, nested
mappings key by key. Unknown keys are errors (a typo must not silently train with a default). Defaults are the
spec's (spec/training.md §1.8, §5.3); where the paper is silent they are marked INFER there.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALGOS = ("grpo", "ahpo", "static_ahpo", "luffy", "sft")
ENGINES = ("own", "trl")


@dataclass
class RolloutConfig:
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 8192
    batch_size: int = 64  # sequences per generate call
    backend: str = "hf"  # our trainer samples with model.generate; vLLM is the TRL engine's job


@dataclass
class OptimConfig:
    lr: float = 1.0e-6
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    schedule: str = "constant"  # constant | cosine | linear
    warmup_ratio: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1.0e-8


@dataclass
class RewardConfig:
    format_weight: float = 0.1
    require_think: bool = True  # format = <think>...</think> then a non-empty \boxed{}; False: a \boxed{} anywhere


@dataclass
class LuffyConfig:
    n_off: int = 1  # expert traces per prompt, taking the place of on-policy rollouts (group stays group_size)
    gamma: float = 0.1  # policy shaping f(x) = x / (x + gamma)
    std_norm: bool = False  # LUFFY's released setting (Dr.GRPO advantages)
    clip_on: bool = True  # clip on the on-policy term


@dataclass
class DataConfig:
    serg: list[str] = field(default_factory=list)  # serg.jsonl files or SERG output folders
    tasks: list[str] = field(default_factory=list)  # generate instances of these tasks on the fly
    levels: list[int] = field(default_factory=lambda: [1])
    per_task: int = 0  # instances per task, spread over `levels`
    seed: int = 0
    expert: str = "skeleton"  # for generated instances: skeleton (SERG's rule-based trace) | answer | none
    answer_template: str = "<think>\n</think>\n\nFinal Answer: \\boxed{{{answer}}}"  # for expert: answer
    expert_field: str = "expert_cot"  # for SERG records: expert_cot | skeleton_cot
    drop_expert_longer_than: int = 8192  # tokens; longer traces are dropped, not truncated
    max_prompt_tokens: int = 4096  # longer prompts are skipped
    modality: str = "image"  # image | text | both (the env's obs)
    image_size: int = 512
    exclude_benchmark: bool = True  # skip generated instances whose fingerprint is a benchmark item's
    benchmark_version: str | None = None
    system_prompt: str | None = None


@dataclass
class ModelConfig:
    name_or_path: str | None = None
    tiny: dict[str, Any] | None = None  # build a random tiny model + local tokenizer (training/ahpo/tiny.py)
    dtype: str = "float32"
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    gradient_checkpointing: bool = False
    freeze_vision: bool = False
    trust_remote_code: bool = False


@dataclass
class TRLConfig:
    """Settings of the TRL engine (engine: trl) that have no counterpart in our own trainer."""

    use_vllm: bool = False
    vllm_mode: str = "colocate"  # colocate | server
    vllm_gpu_memory_utilization: float = 0.3
    vllm_tensor_parallel_size: int = 1
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    bf16: bool = False
    deepspeed: str | None = None  # a DeepSpeed JSON (or pass an accelerate config to `accelerate launch`)
    logging_steps: int = 1
    save_steps: int = 0
    report_to: list[str] = field(default_factory=lambda: ["none"])
    extra: dict[str, Any] = field(default_factory=dict)  # more GRPOConfig fields, passed through


@dataclass
class TrainConfig:
    algo: str = "ahpo"
    engine: str = "own"
    group_size: int = 5
    r_hat: int = 2
    success_value: float = 1.0
    xi_scope: str = "group"
    loss_norm: str = "joint"
    clip: bool = True
    clip_low: float = 0.2
    clip_high: float = 0.2
    kl_coef: float = 0.0
    entropy_coef: float = 0.0
    adv_std_norm: bool = True
    train_batch_prompts: int = 128
    ppo_mini_batch_prompts: int = 128
    ppo_epochs: int = 1
    micro_batch_rows: int = 8  # rows per forward/backward pass (gradient accumulation inside a mini-batch)
    steps: int = 920
    seed: int = 0
    torch_threads: int | None = None  # CPU threads for torch (1 is fastest for tiny models on a busy machine)
    out_dir: str = "runs/ahpo"
    save_every: int = 0  # steps; 0: only at the end
    tensorboard: bool = True  # if the tensorboard package is installed
    log_entropy: bool = True
    sft_monitor: bool = False  # algo=sft: also sample rollouts and log their reward (no RL loss)
    luffy: LuffyConfig = field(default_factory=LuffyConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trl: TRLConfig = field(default_factory=TRLConfig)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
        if self.loss_norm not in ("joint", "separate"):
            raise ValueError(f"loss_norm must be joint or separate, got {self.loss_norm!r}")
        if self.xi_scope not in ("group", "batch"):
            raise ValueError(f"xi_scope must be group or batch, got {self.xi_scope!r}")
        if self.group_size < 1 or self.train_batch_prompts < 1 or self.ppo_mini_batch_prompts < 1:
            raise ValueError("group_size, train_batch_prompts and ppo_mini_batch_prompts must be positive")
        if self.algo == "luffy" and not 0 < self.luffy.n_off < self.group_size:
            raise ValueError("luffy.n_off must leave at least one on-policy rollout in the group")
        if self.data.expert not in ("skeleton", "answer", "none"):
            raise ValueError(f"data.expert must be skeleton, answer or none, got {self.data.expert!r}")

    @property
    def gate_mode(self) -> str:
        return {"ahpo": "adaptive", "static_ahpo": "static"}.get(self.algo, "off")

    @property
    def uses_expert(self) -> bool:
        return self.algo in ("ahpo", "static_ahpo", "luffy", "sft")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---- building from mappings -----------------------------------------------------------------------------
def _build(cls: type, values: dict[str, Any], where: str = "") -> Any:
    if not isinstance(values, dict):
        raise TypeError(f"{where or 'config'} must be a mapping, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise KeyError(f"unknown config key(s) {', '.join(where + k for k in unknown)}; known: {sorted(fields)}")
    kwargs = {}
    for name, value in values.items():
        sub = _dataclass_of(fields[name])
        if sub is not None and isinstance(value, dict):
            kwargs[name] = _build(sub, value, f"{where}{name}.")
        elif name == "betas" and isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


_SUBS = {"luffy": LuffyConfig, "optim": OptimConfig, "rollout": RolloutConfig, "reward": RewardConfig,
         "data": DataConfig, "model": ModelConfig, "trl": TRLConfig}


def _dataclass_of(f: dataclasses.Field) -> type | None:
    return _SUBS.get(f.name) if f.name in _SUBS else None


def from_dict(values: dict[str, Any]) -> TrainConfig:
    return _build(TrainConfig, values)


# ---- files ----------------------------------------------------------------------------------------------
def read_mapping(path: str | Path) -> dict[str, Any]:
    """A YAML or JSON file as a dict: YAML through PyYAML when it is installed, else the file must be JSON."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        try:
            import yaml
        except ImportError:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ImportError(f"{path} is YAML and PyYAML is not installed: pip install pyyaml "
                                  "(or write the config as JSON)") from exc
        else:
            data = yaml.safe_load(text)
    return data or {}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_mapping(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's mapping with its `extends` chain resolved."""
    path = Path(path).resolve()
    if path in _seen:
        raise ValueError(f"config extends itself: {' -> '.join(str(p) for p in (*_seen, path))}")
    data = read_mapping(path)
    parent = data.pop("extends", None)
    if parent:
        data = merge(load_mapping(path.parent / parent, (*_seen, path)), data)
    return data


def parse_value(text: str) -> Any:
    """An override's value: YAML/JSON scalars and lists (`1e-6`, `true`, `[1, 2]`), else the string."""
    try:
        import yaml

        return yaml.safe_load(text)
    except ImportError:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    except Exception:
        return text


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """`key.sub=value` assignments over a mapping."""
    data = json.loads(json.dumps(data))  # a deep copy
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not key=value")
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = parse_value(value)
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                **values: Any) -> TrainConfig:
    data = load_mapping(path) if path else {}
    data = merge(data, values)
    return from_dict(apply_overrides(data, overrides))
