"""``attnmem bench ntm-speed``: training milliseconds per sequence.

The NTM paper's copy configuration: N=128, M=20, LSTM-100 controller, one read
and one write head, length-20 sequences (41 steps); forward + backward +
optimiser step, at batch 1 and batch 32. Times are medians over repeats, taken
in one process so their ratios are comparable on a noisy machine.
"""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

import torch

from attnmem.models import NTM, NTMConfig
from attnmem.tasks import CopyConfig, CopyTask
from attnmem.train.config import TrainConfig
from attnmem.train.trainer import make_optimizer


def time_training_step(
    model, task, batch_size: int, *, repeats: int, warmup: int = 3, length: int = 20
) -> float:
    """Median seconds of one forward + backward + Adam step on a length-``length`` batch."""
    optimizer = make_optimizer(model.parameters(), TrainConfig())
    batch = task.sample(batch_size, torch.Generator().manual_seed(0), length=length)
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        logits, _ = model(batch.inputs)
        loss = task.loss(logits, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def ntm_speed(*, repeats: int = 20, threads: int = 1) -> dict[str, Any]:
    """Eager and compiled (``train.compile = true``, what the NTM experiments use) timings."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # as the trainer does (see TrainConfig.threads)
    task = CopyTask(CopyConfig(width=8, min_length=20, max_length=20))
    result: dict[str, Any] = {
        "config": "NTM N=128 M=20 LSTM-100 1R+1W, copy length 20 (41 steps), Adam",
        "threads": threads,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
    }
    for compiled in (False, True):
        prefix = "" if compiled else "eager_"
        for batch_size in (1, 32):
            torch.manual_seed(0)
            model = NTM(NTMConfig(), task.input_size, task.output_size)
            if compiled:
                model.step = torch.compile(model.step, dynamic=False)
                start = time.perf_counter()
                time_training_step(model, task, batch_size, repeats=1, warmup=0)
                result[f"compile_seconds@batch{batch_size}"] = round(time.perf_counter() - start, 1)
            n = repeats if batch_size > 1 else 2 * repeats
            seconds = time_training_step(model, task, batch_size, repeats=n)
            result[f"{prefix}ms_per_sequence@batch{batch_size}"] = round(
                1000 * seconds / batch_size, 3
            )
    result["compiled_speedup@batch32"] = round(
        result["eager_ms_per_sequence@batch32"] / result["ms_per_sequence@batch32"], 2
    )
    return result
