"""Run folders: train an experiment into one, and rebuild a model from one.

A run folder holds ``checkpoint.pt`` (model, optimiser, RNG, experiment config),
``metrics.jsonl`` (learning curve), ``tensorboard/``, ``eval.json`` and, after
``attnmem report``, ``report/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from attnmem.experiments import Experiment, build, experiment_from_dict
from attnmem.train import METRICS_NAME, Trainer, load_checkpoint
from attnmem.train.checkpoint import checkpoint_path
from attnmem.train.evaluate import evaluate

EVAL_NAME = "eval.json"


class RunError(RuntimeError):
    """A run folder cannot be used as asked."""


def train_run(
    experiment: Experiment,
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    resume: bool = True,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train (or resume) ``experiment`` in ``out_dir``, then evaluate; returns the summary."""
    out_dir = Path(out_dir)
    if checkpoint_path(out_dir).exists() and resume:
        saved = load_checkpoint(out_dir)
        mine = experiment.to_dict()
        for section in ("model", "task"):
            if saved["experiment"].get(section) != mine[section]:
                raise RunError(
                    f"{out_dir} holds a run with a different [{section}] "
                    f"({saved['experiment'].get(section)}); resume it with the same settings "
                    f"or choose another --out"
                )
        if int(saved.get("seed", seed)) != seed:
            raise RunError(f"{out_dir} was trained with seed {saved['seed']}, not {seed}")
    torch.manual_seed(seed)
    model, task = build(experiment)
    trainer = Trainer(
        model,
        task,
        experiment.train,
        out_dir=out_dir,
        seed=seed,
        experiment=experiment.to_dict(),
        progress=progress,
    )
    summary = trainer.fit(resume=resume)
    if trainer.rank == 0:
        summary["metrics"] = evaluate(model, task, experiment.eval)
        summary["experiment"] = experiment.name
        summary["seed"] = seed
        (out_dir / EVAL_NAME).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def load_run(run_dir: str | os.PathLike) -> tuple[Experiment, nn.Module, Any, dict[str, Any]]:
    """Experiment, trained model (eval mode), task and checkpoint of a run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} is not a folder")
    ckpt = load_checkpoint(run_dir)
    experiment = experiment_from_dict(ckpt["experiment"])
    model, task = build(experiment)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return experiment, model, task, ckpt


def eval_run(run_dir: str | os.PathLike, *, sequences: int | None = None) -> dict[str, Any]:
    experiment, model, task, ckpt = load_run(run_dir)
    cfg = experiment.eval if sequences is None else replace(experiment.eval, sequences=sequences)
    torch.set_num_threads(experiment.train.threads or torch.get_num_threads())
    torch.set_flush_denormal(True)  # see TrainConfig.threads
    return {
        "experiment": experiment.name,
        "run": str(run_dir),
        "step": int(ckpt["step"]),
        "sequences_seen": int(ckpt["step"]) * experiment.train.batch_size,
        "train_seconds": round(float(ckpt["elapsed"]), 1),
        "metrics": evaluate(model, task, cfg),
    }


def read_metrics(run_dir: str | os.PathLike) -> list[dict[str, Any]]:
    path = Path(run_dir) / METRICS_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
