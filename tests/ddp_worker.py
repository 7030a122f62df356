"""Run by test_ddp_two_processes_stay_in_sync under torchrun: trains a tiny NTM with DDP
and writes this rank's parameter checksum to OUT/rank<r>.json."""

import json
import sys
from pathlib import Path

import torch

from attnmem.experiments import build, load_experiment
from attnmem.train import Trainer


def main(out: Path) -> None:
    exp = load_experiment(
        "ntm-copy",
        [
            "model.controller_size=16",
            "model.memory_rows=16",
            "model.memory_width=6",
            "task.max_length=5",
            "train.batch_size=8",
            "train.steps=20",
            "train.log_every=10",
            "train.checkpoint_every=10",
            "train.max_minutes=0",
        ],
    )
    torch.manual_seed(0)  # the same initial weights on every rank (DDP also broadcasts them)
    model, task = build(exp)
    first = float(sum(p.double().sum() for p in model.parameters()))
    trainer = Trainer(
        model,
        task,
        exp.train,
        out_dir=out / "run",
        seed=0,
        experiment=exp.to_dict(),
        progress=False,
    )
    summary = trainer.fit()
    summary["first_param_checksum"] = first
    (out / f"rank{trainer.rank}.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
