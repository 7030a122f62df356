"""One trainer for every sequence model and task.

``Trainer(model, task, config, out_dir=..., seed=...).fit()`` runs the loop:
sample a batch, forward, loss, backward, clip, step; it logs JSON lines and
TensorBoard scalars, checkpoints every K steps (atomically) and resumes from the
last checkpoint, stops with the step and tensor named when a loss or gradient
is not finite, and runs unchanged under ``torchrun`` (DDP over gloo on CPU).
It knows nothing about any particular model or task. The contract it needs:
``task.sample(batch_size, generator, difficulty=...)`` returns an object with
``.inputs`` (anything the model takes), ``task.loss(logits, batch)`` and
``task.metrics(logits, batch)``; ``model(batch.inputs)`` returns ``(logits, state)``.
A model may define ``on_train_step(step)`` for step-based schedules;
``auxiliary_loss(state) -> Tensor``, a term added to the task's loss computed from the
``state`` its forward returned (ACT's and the Universal Transformer's ponder cost; its
window mean is logged as ``auxiliary_loss``); ``state_metrics(state)`` for metrics read
from that state (ACT's ``mean_ponder``; ``evaluate`` reports those too); and
``training_loss(batch) -> (logits, loss)`` when its loss needs more of the batch than its
inputs (MemNN's margin loss on the supporting facts): the trainer then uses it instead
of ``model(batch.inputs)`` and ``task.loss`` (metrics still come from
``task.metrics(logits, batch)``).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from attnmem.tasks.base import SequenceTask
from attnmem.train.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from attnmem.train.config import TrainConfig

METRICS_NAME = "metrics.jsonl"


class NonFiniteError(FloatingPointError):
    """A loss or gradient became NaN or Inf; the message names the step and the tensor."""


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=config.lr, alpha=config.rmsprop_alpha, momentum=config.momentum
        )
    return torch.optim.Adam(params, lr=config.lr)


def data_generator(seed: int, rank: int = 0) -> torch.Generator:
    """The training data stream of one process: distinct per rank, fixed by the seed."""
    return torch.Generator().manual_seed(seed * 1_000_003 + rank)


def _distributed() -> tuple[int, int]:
    """(rank, world_size); joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ModelLoss(nn.Module):
    """``forward(batch) = model.training_loss(batch)``: a module, so that DDP (which
    synchronises gradients of what runs through its ``forward``) can wrap it."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.training_loss(batch)


class Trainer:
    def __init__(
        self,
        model: nn.Module,
        task: SequenceTask,
        config: TrainConfig,
        *,
        out_dir: str | os.PathLike,
        seed: int = 0,
        experiment: dict[str, Any] | None = None,
        progress: bool | None = None,
    ) -> None:
        self.model, self.task, self.config = model, task, config
        self.out_dir, self.seed = Path(out_dir), seed
        self.experiment = experiment or {}
        self.progress = progress
        self.rank, self.world = _distributed()
        if config.batch_size % self.world:
            raise ValueError(
                f"batch_size ({config.batch_size}) must be divisible by the number "
                f"of processes ({self.world})"
            )
        self.local_batch = config.batch_size // self.world
        self.optimizer = make_optimizer(model.parameters(), config)
        self.generator = data_generator(seed, self.rank)
        self.step = 0
        self.elapsed = 0.0  # wall seconds of training so far, across resumes
        self.cpu_elapsed = 0.0  # this process's CPU seconds, likewise

    # -- checkpoints ------------------------------------------------------------

    def _gather_rng(self) -> list[torch.Tensor]:
        state = self.generator.get_state()
        if self.world == 1:
            return [state]
        states: list[Any] = [None] * self.world
        dist.all_gather_object(states, state)
        return states

    def save(self) -> None:
        rng = self._gather_rng()  # every rank takes part in the gather
        if self.rank != 0:
            return
        save_checkpoint(
            checkpoint_path(self.out_dir),
            {
                "step": self.step,
                "elapsed": self.elapsed,
                "cpu_elapsed": self.cpu_elapsed,
                "seed": self.seed,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "data_rng": rng,
                "experiment": self.experiment,
            },
        )

    def resume(self) -> bool:
        """Load the run folder's checkpoint if there is one; True if resumed."""
        if not checkpoint_path(self.out_dir).exists():
            return False
        ckpt = load_checkpoint(self.out_dir)
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if len(ckpt["data_rng"]) != self.world:
            raise ValueError(
                f"checkpoint was written by {len(ckpt['data_rng'])} processes; "
                f"resume it with the same number (now {self.world})"
            )
        self.generator.set_state(ckpt["data_rng"][self.rank])
        self.step, self.elapsed = int(ckpt["step"]), float(ckpt["elapsed"])
        self.cpu_elapsed = float(ckpt.get("cpu_elapsed", 0.0))
        return True

    def _truncate_log(self) -> None:
        """Drop log lines written after the checkpoint we start from (all of them when
        starting afresh), so the log never holds two records of one step."""
        path = self.out_dir / METRICS_NAME
        if self.rank != 0 or not path.exists():
            return
        lines = [ln for ln in path.read_text().splitlines() if json.loads(ln)["step"] <= self.step]
        path.write_text("".join(ln + "\n" for ln in lines))

    # -- the loop ---------------------------------------------------------------

    def difficulty(self) -> float:
        c = self.config
        if c.curriculum_steps <= 0:
            return 1.0
        frac = min(1.0, self.step / c.curriculum_steps)
        return c.curriculum_start + (1.0 - c.curriculum_start) * frac

    def learning_rate(self) -> float:
        """The step-decayed learning rate: a function of the step, so resuming keeps it."""
        c = self.config
        if c.lr_decay_every <= 0:
            return c.lr
        return c.lr * c.lr_decay ** (self.step // c.lr_decay_every)

    def _check_finite(
        self, loss: torch.Tensor | None = None, grad_norm: torch.Tensor | None = None
    ) -> None:
        if loss is not None and not torch.isfinite(loss):
            raise NonFiniteError(
                f"step {self.step + 1}: the loss is {loss.item()} (the model's outputs went "
                f"non-finite); the last good checkpoint is {checkpoint_path(self.out_dir)}"
            )
        if grad_norm is not None and not torch.isfinite(grad_norm):
            for name, p in self.model.named_parameters():
                if p.grad is not None and not torch.isfinite(p.grad).all():
                    bad = "nan" if torch.isnan(p.grad).any() else "inf"
                    raise NonFiniteError(
                        f"step {self.step + 1}: the gradient of {name} contains "
                        f"{bad}; the last good checkpoint is "
                        f"{checkpoint_path(self.out_dir)}"
                    )
            raise NonFiniteError(f"step {self.step + 1}: the gradient norm is {grad_norm.item()}")

    def fit(self, *, resume: bool = True) -> dict[str, Any]:
        """Train until ``steps``, ``max_minutes`` or ``stop_metric``; returns a summary."""
        c = self.config
        if c.threads:
            torch.set_num_threads(c.threads)
        # Sharpened attention weights underflow to denormal floats, which make
        # x86 CPUs ~3x slower on every op that touches them; flush them to zero.
        torch.set_flush_denormal(True)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        resumed = self.resume() if resume else False
        self._truncate_log()
        model: nn.Module = self.model
        if c.compile and hasattr(model, "step"):
            model.step = torch.compile(model.step, dynamic=False)
        own_loss = hasattr(self.model, "training_loss")  # the model's loss, not the task's
        if own_loss:
            model = ModelLoss(model)
        if self.world > 1:
            model = nn.parallel.DistributedDataParallel(model)
        log = None
        writer = None
        if self.rank == 0:
            log = open(self.out_dir / METRICS_NAME, "a")  # noqa: SIM115 (closed in finally)
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(str(self.out_dir / "tensorboard"))
        # progress=None: a bar only on a terminal (tqdm's rule); never on other ranks.
        quiet = (
            True
            if self.rank != 0 or self.progress is False
            else (None if self.progress is None else False)
        )
        bar = tqdm(
            total=c.steps,
            initial=self.step,
            disable=quiet,
            desc=self.experiment.get("name", "train"),
            dynamic_ncols=True,
        )
        window: dict[str, float] = defaultdict(float)
        window_steps = 0
        stop_reason = "steps"
        start = time.perf_counter() - self.elapsed
        cpu_start = time.process_time() - self.cpu_elapsed
        budget = c.max_minutes * 60
        model.train()
        try:
            while self.step < c.steps:
                spent = self.cpu_elapsed if c.clock == "cpu" else self.elapsed
                if budget and spent >= budget:
                    stop_reason = "max_minutes"
                    break
                if hasattr(self.model, "on_train_step"):  # schedules inside a model (e.g.
                    self.model.on_train_step(self.step)  # MemN2N's linear start) see the step
                batch = self.task.sample(
                    self.local_batch, self.generator, difficulty=self.difficulty()
                )
                out_state = None
                if own_loss:
                    logits, loss = model(batch)
                else:
                    logits, out_state = model(batch.inputs)
                    loss = self.task.loss(logits, batch)
                    if hasattr(self.model, "auxiliary_loss"):  # a model's own loss term, e.g.
                        aux = self.model.auxiliary_loss(out_state)  # ACT's ponder cost
                        window["auxiliary_loss"] += aux.item()
                        loss = loss + aux
                self._check_finite(loss=loss.detach())
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
                self._check_finite(grad_norm=grad_norm)
                for group in self.optimizer.param_groups:
                    group["lr"] = self.learning_rate()
                self.optimizer.step()
                self.step += 1
                self.elapsed = time.perf_counter() - start
                self.cpu_elapsed = time.process_time() - cpu_start
                window["loss"] += loss.item()
                for k, v in self.task.metrics(logits.detach(), batch).items():
                    window[k] += v
                if out_state is not None and hasattr(self.model, "state_metrics"):
                    for k, v in self.model.state_metrics(out_state).items():
                        window[k] += v
                window_steps += 1
                bar.update(1)
                if self.step % c.log_every == 0:
                    record = self._log(window, window_steps, log, writer)
                    bar.set_postfix(
                        loss=f"{record['loss']:.3g}",
                        seq_s=f"{record['sequences'] / max(self.elapsed, 1e-9):.0f}",
                    )
                    window.clear()
                    window_steps = 0
                    if c.stop_metric and record.get(c.stop_metric, math.inf) <= c.stop_below:
                        stop_reason = f"{c.stop_metric}<={c.stop_below}"
                        break
                if self.step % c.checkpoint_every == 0:
                    self.save()
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        finally:
            bar.close()
            if log is not None:
                log.close()
            if writer is not None:
                writer.close()
        if "step" in vars(self.model):
            del self.model.step  # drop the compiled step: eval and trace run eagerly
        self.save()
        summary = {
            "step": self.step,
            "sequences": self.step * c.batch_size,
            "seconds": self.elapsed,
            "cpu_seconds": self.cpu_elapsed,
            "stop": stop_reason,
            "resumed": resumed,
            "world_size": self.world,
        }
        if self.world > 1:
            summary["param_checksum"] = float(
                sum(p.double().sum() for p in self.model.parameters())
            )
        if stop_reason == "interrupted":
            raise KeyboardInterrupt(
                f"interrupted at step {self.step}; checkpoint saved, "
                f"rerun the same command to resume"
            )
        return summary

    def _log(self, window: dict[str, float], n: int, log, writer) -> dict[str, Any]:
        means = {k: v / n for k, v in window.items()}
        if self.world > 1:  # average the window over processes so every rank sees the same record
            keys = sorted(means)
            t = torch.tensor([means[k] for k in keys], dtype=torch.float64)
            dist.all_reduce(t)
            means = dict(zip(keys, (t / self.world).tolist(), strict=True))
        record = {
            "step": self.step,
            "sequences": self.step * self.config.batch_size,
            "seconds": round(self.elapsed, 3),
            **means,
        }
        if log is not None:
            log.write(json.dumps(record) + "\n")
            log.flush()
        if writer is not None:
            for k, v in means.items():
                writer.add_scalar(k, v, record["sequences"])
        return record
