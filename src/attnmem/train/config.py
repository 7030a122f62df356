"""Trainer settings (the ``[train]`` table of an experiment)."""

from __future__ import annotations

from dataclasses import dataclass

OPTIMIZERS = ("adam", "rmsprop")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 10_000  # optimiser steps (the run also stops at max_minutes)
    batch_size: int = 32  # global batch; split across processes under torchrun
    optimizer: str = "adam"  # "adam" | "rmsprop" (the NTM paper used RMSProp, momentum 0.9)
    lr: float = 1e-3
    momentum: float = 0.9  # RMSProp only
    rmsprop_alpha: float = 0.95  # RMSProp only: decay of the squared-gradient average
    grad_clip: float = 10.0  # max global gradient norm
    lr_decay_every: int = 0  # multiply lr by lr_decay every this many steps; 0 = constant lr
    lr_decay: float = 0.5
    curriculum_steps: int = 0  # ramp task difficulty from curriculum_start to 1 over these steps
    curriculum_start: float = 0.25
    max_minutes: float = 0.0  # time budget of the whole run, resumes included; 0 = none
    # What max_minutes counts: "wall" seconds, or this process's "cpu" seconds, which
    # other programs on a busy machine do not eat into (benchmarks use "cpu").
    clock: str = "wall"
    stop_metric: str = ""  # stop early once this metric's mean over a log window ...
    stop_below: float = 0.0  # ... is at most this value
    checkpoint_every: int = 500
    log_every: int = 50
    compile: bool = False  # torch.compile the model's step (about 2x faster after ~40 s compiling)
    # torch intra-op threads; 0 = torch's default. One is fastest for step-by-step
    # memory models here: their ops are small, and only the calling thread flushes
    # denormal floats to zero (torch.set_flush_denormal), so worker threads crawl.
    threads: int = 1

    def __post_init__(self) -> None:
        if self.clock not in ("wall", "cpu"):
            raise ValueError(f"clock ({self.clock!r}) must be 'wall' or 'cpu'")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer ({self.optimizer!r}) must be one of {OPTIMIZERS}")
        for name in ("steps", "batch_size", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} ({getattr(self, name)}) must be >= 1")
        if self.lr <= 0 or self.grad_clip <= 0:
            raise ValueError(f"lr ({self.lr}) and grad_clip ({self.grad_clip}) must be > 0")
        if not 0 < self.lr_decay <= 1 or self.lr_decay_every < 0:
            raise ValueError(
                f"lr_decay ({self.lr_decay}) must be in (0, 1] and lr_decay_every "
                f"({self.lr_decay_every}) >= 0"
            )
        if not 0 < self.curriculum_start <= 1:
            raise ValueError(f"curriculum_start ({self.curriculum_start}) must be in (0, 1]")
        if self.checkpoint_every % self.log_every:
            raise ValueError(
                f"checkpoint_every ({self.checkpoint_every}) must be a multiple of log_every "
                f"({self.log_every}) so a resumed run logs the same windows"
            )
