"""Command line: python -m training.ahpo --config configs/<name>.yaml [--set key=value ...] [--steps N] [--out DIR]

`engine: own` runs our loop (training/ahpo/trainer.py); `engine: trl` runs TRL's GRPOTrainer with the AHPO loss
(training/ahpo/trl.py), e.g. under `accelerate launch --config_file configs/accelerate/zero3.yaml`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from training.ahpo.config import load_config

SHOWN = ("reward_mean", "success_rate", "format_rate", "xi_rate", "loss", "pg_loss", "off_loss", "nll",
         "response_len_mean", "time_s")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.ahpo", description=(
        "Train with AHPO or a baseline (grpo, static_ahpo, luffy, sft): algo and everything else from the config."))
    p.add_argument("--config", required=True, help="a YAML (or JSON) config, e.g. configs/smoke.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key (dotted for nested ones: optim.lr=1e-5); repeatable")
    p.add_argument("--steps", type=int, default=None, help="shorthand for --set steps=N")
    p.add_argument("--out", default=None, help="shorthand for --set out_dir=DIR")
    p.add_argument("--quiet", action="store_true", help="no per-step line on stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    if args.out is not None:
        overrides.append(f"out_dir={args.out}")
    cfg = load_config(args.config, overrides)
    if cfg.engine == "trl":
        from training.ahpo.trl import train as trl_train

        trl_train(cfg)
        return 0
    from training.ahpo.trainer import Trainer

    def show(m: dict) -> None:
        if not args.quiet:
            line = {k: (round(m[k], 4) if isinstance(m.get(k), float) else m.get(k)) for k in SHOWN if k in m}
            print(f"step {m['step']}: {json.dumps(line)}", file=sys.stderr, flush=True)

    trainer = Trainer(cfg)
    trainer.train(progress=show)
    print(f"metrics: {trainer.out_dir / 'metrics.jsonl'}; model: {trainer.out_dir / 'final'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
