"""DNC benchmarks: ``dnc-speed``, ``dnc-tasks``, ``dnc-nan`` and their README tables.

``attnmem bench dnc-speed``: DNC training milliseconds per sequence against memory size.

The NTM-copy configuration (M=20, LSTM-100 controller, one read head, length-20
copy = 41 steps, forward + backward + Adam step) at N = 128, 1,024 and 4,096
rows, with the dense link matrix (O(N^2) per step) and the K-sparse one (K = 8,
O(N K) per step). Times are medians over repeats in one process, so their ratios
are comparable on a busy machine; the CPU time of the same repeats is reported
beside the wall time.

The dense link matrix of every step is kept for the backward pass: 41 x B x N^2
floats, 2.7 GB per sequence at N = 4,096. Dense runs therefore use the largest
batch (at most 32) whose link matrices fit ``DENSE_LINK_BYTES``; the batch used
is recorded (``batch@...``) and times are per sequence.

``attnmem bench dnc-tasks``: dnc-copy, dnc-repeat-copy and dnc-recall over seeds
(the ntm-tasks machinery). ``attnmem bench dnc-nan``: train dnc-copy for 20,000
steps per seed with no time budget and record any NaN/Inf stop.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from attnmem.models import DNC, NTM, DNCConfig, NTMConfig
from attnmem.tasks import CopyConfig, CopyTask
from attnmem.train.config import TrainConfig
from attnmem.train.trainer import make_optimizer

SIZES = (128, 1024, 4096)
BATCH = 32
SEQUENCE_STEPS = 41  # copy of length 20: 20 inputs, a delimiter, 20 outputs
DENSE_LINK_BYTES = 2.0 * 2**30  # budget for the kept dense link matrices of one batch
SPARSE_K = 8


def dense_batch(rows: int, *, budget: float = DENSE_LINK_BYTES) -> int:
    """The largest power-of-two batch <= BATCH whose 41 float32 N x N link matrices fit."""
    per_sequence = SEQUENCE_STEPS * rows * rows * 4
    batch = BATCH
    while batch > 1 and batch * per_sequence > budget:
        batch //= 2
    return batch


def time_steps(model, task, batch_size: int, *, repeats: int, warmup: int = 1):
    """Median wall and CPU seconds of one forward + backward + Adam step (length 20)."""
    optimizer = make_optimizer(model.parameters(), TrainConfig())
    batch = task.sample(batch_size, torch.Generator().manual_seed(0), length=20)
    wall, cpu = [], []
    for i in range(warmup + repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        logits, _ = model(batch.inputs)
        loss = task.loss(logits, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i >= warmup:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
    return statistics.median(wall), statistics.median(cpu)


def dnc_speed(
    *,
    sizes: tuple[int, ...] = SIZES,
    compiled_sizes: tuple[int, ...] = (128,),
    repeats: int = 5,
    threads: int = 1,
) -> dict[str, Any]:
    """ms per sequence for dense and sparse links at every N: the step compiled (as
    ``train.compile = true``) at ``compiled_sizes``, eager at every size.

    At N >= 1,024 the link matrix's memory traffic dominates and compiling (minutes per
    configuration on a busy machine) changes little, so those sizes run eager only.
    """
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # as the trainer does (see TrainConfig.threads)
    task = CopyTask(CopyConfig(width=8, min_length=20, max_length=20))
    result: dict[str, Any] = {
        "config": (
            f"DNC M=20 LSTM-100 1 read head, copy length 20 ({SEQUENCE_STEPS} steps), Adam; "
            f"batch {BATCH} unless batch@ says less; sparse K={SPARSE_K}"
        ),
        "threads": threads,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "repeats": repeats,
    }
    for link in ("dense", "sparse"):
        prefix = "" if link == "dense" else "sparse_"
        for rows in sizes:
            batch = dense_batch(rows) if link == "dense" else BATCH
            result[f"{prefix}batch@N{rows}"] = batch
            for compiled in (False, True) if rows in compiled_sizes else (False,):
                torch.manual_seed(0)
                config = DNCConfig(memory_rows=rows, link=link, sparse_k=SPARSE_K)
                model = DNC(config, task.input_size, task.output_size)
                key = f"{prefix}ms_per_sequence@N{rows}"
                cpu_key = f"{prefix}cpu_ms_per_sequence@N{rows}"
                if compiled:
                    # A fresh cache per model: dynamo's recompile limit counts every model's
                    # ``step`` (one code object), and past it silently runs eager.
                    torch._dynamo.reset()
                    model.step = torch.compile(model.step, dynamic=False)
                    start = time.perf_counter()
                    time_steps(model, task, batch, repeats=1, warmup=0)
                    result[f"{prefix}compile_seconds@N{rows}"] = round(
                        time.perf_counter() - start, 1
                    )
                elif rows in compiled_sizes:
                    key, cpu_key = (
                        f"{prefix}eager_{key[len(prefix) :]}",
                        f"{prefix}eager_{cpu_key[len(prefix) :]}",
                    )
                n = repeats if rows <= 1024 else max(2, repeats // 2)
                wall, cpu = time_steps(model, task, batch, repeats=n)
                result[key] = round(1000 * wall / batch, 3)
                result[cpu_key] = round(1000 * cpu / batch, 3)
                result[f"{prefix}compiled@N{rows}"] = compiled
                del model
    # The NTM of the same size and batch, eager, timed in this run: a machine-independent
    # yardstick (the ratio) for the DNC's numbers above.
    torch.manual_seed(0)
    ntm = NTM(NTMConfig(memory_rows=128), task.input_size, task.output_size)
    wall, cpu = time_steps(ntm, task, BATCH, repeats=repeats)
    result["ntm_eager_ms_per_sequence@N128"] = round(1000 * wall / BATCH, 3)
    if "eager_ms_per_sequence@N128" in result:
        result["dnc_over_ntm_eager@N128"] = round(
            result["eager_ms_per_sequence@N128"] / result["ntm_eager_ms_per_sequence@N128"], 2
        )
    return result


DNC_TASKS = ("dnc-copy", "dnc-repeat-copy", "dnc-recall")
NAN_STEPS = 20_000


def _nan_run(seed: int, out: Path, steps: int) -> dict[str, Any]:
    """One ``attnmem train dnc-copy`` of ``steps`` steps, no time budget; NaN stops are data."""
    run_dir = out / "runs" / f"dnc-nan-seed{seed}"
    cmd = [sys.executable, "-m", "attnmem.cli", "train", "dnc-copy", "--seed", str(seed)]
    cmd += ["--out", str(run_dir), "--quiet", "--steps", str(steps), "--max-minutes", "0"]
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    log = run_dir.with_suffix(".log")
    with open(log, "w") as f:
        proc = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=f, stderr=f)
    text = log.read_text().strip()
    last = text.splitlines()[-1] if text else ""
    # The trainer stops at the first NaN/Inf loss or gradient with NonFiniteError, which
    # the CLI prints as "attnmem train: error: step N: ... nan|inf ...".
    non_finite = proc.returncode != 0 and re.search(r"\b(nan|inf)\b", last.lower()) is not None
    record: dict[str, Any] = {"seed": seed, "exit": proc.returncode, "non_finite": non_finite}
    eval_path = run_dir / "eval.json"
    if eval_path.exists():
        summary = json.loads(eval_path.read_text())
        record.update(step=summary["step"], bits_wrong=summary["metrics"].get("bits_wrong"))
    if proc.returncode != 0:
        record["error"] = last or "?"
    return record


def run_nan_benchmark(args: Any) -> dict[str, Any]:
    """``args.seeds`` seeds x 20,000 steps of dnc-copy; counts runs that hit NaN/Inf."""
    from attnmem.bench import write_result

    out = Path(args.out)
    seeds = list(range(args.seeds))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda s: _nan_run(s, out, NAN_STEPS), seeds))
    result = {
        "benchmark": "dnc-nan",
        "command": f"attnmem bench dnc-nan --seeds {args.seeds} --jobs {args.jobs}",
        "steps": NAN_STEPS,
        "seeds": seeds,
        "non_finite_runs": sum(r["non_finite"] for r in runs),
        "failed_runs": sum(r["exit"] != 0 for r in runs),
        "wall_minutes": round((time.perf_counter() - start) / 60, 1),
        "runs": runs,
    }
    return write_result("dnc-nan", out, result)


# --- README tables -------------------------------------------------------------------------


def dnc_speed_table(result: dict[str, Any]) -> str:
    rows = [int(k.split("@N")[1]) for k in result if k.startswith("ms_per_sequence@N")]
    lines = [
        f"**DNC training speed** (`{result['command']}`; {result['config']}; "
        f"{result['threads']} thread, torch {result['torch']}; ms per sequence, "
        "wall-clock median [CPU-time median])",
        "",
        "| N | step | batch (dense) | dense links | sparse links (K=8) |",
        "|---|---|---|---|---|",
    ]
    for n in sorted(rows):
        dense = f"{result[f'ms_per_sequence@N{n}']} [{result[f'cpu_ms_per_sequence@N{n}']}]"
        sparse = "-"
        if f"sparse_ms_per_sequence@N{n}" in result:
            sparse = (
                f"{result[f'sparse_ms_per_sequence@N{n}']} "
                f"[{result[f'sparse_cpu_ms_per_sequence@N{n}']}]"
            )
        step = "compiled" if result.get(f"compiled@N{n}", True) else "eager"
        lines.append(f"| {n} | {step} | {result[f'batch@N{n}']} | {dense} | {sparse} |")
    if "eager_ms_per_sequence@N128" in result:
        lines += [
            "",
            f"Eager (not compiled) at N=128, batch 32: dense "
            f"{result['eager_ms_per_sequence@N128']} ms, sparse "
            f"{result['sparse_eager_ms_per_sequence@N128']} ms per sequence"
            + (
                f"; the NTM of the same size, timed in the same run: "
                f"{result['ntm_eager_ms_per_sequence@N128']} ms "
                f"(dense DNC / NTM = {result['dnc_over_ntm_eager@N128']}x)."
                if "dnc_over_ntm_eager@N128" in result
                else "."
            ),
        ]
    return "\n".join(lines)


def dnc_tasks_table(result: dict[str, Any]) -> str:
    from attnmem.bench.table import _spread, task_header

    exps = result["experiments"]
    lines = [
        task_header("DNC tasks", result),
        "",
        "| experiment | budget | metric | ours |",
        "|---|---|---|---|",
    ]
    for e, x in exps.items():
        keys = [k for k in x["median"] if k.startswith("bits_wrong")]
        for i, k in enumerate(keys):
            head = f"{e} | {x['budget_minutes']} {x['clock']} min" if i == 0 else " | "
            lines.append(f"| {head} | {k} | {_spread(x, k)} |")
    return "\n".join(lines)


def dnc_nan_table(result: dict[str, Any]) -> str:
    return (
        f"**DNC NaN check** (`{result['command']}`): {len(result['seeds'])} seeds x "
        f"{result['steps']:,} steps of dnc-copy; runs that hit NaN/Inf: "
        f"{result['non_finite_runs']}; runs that failed: {result['failed_runs']}."
    )


# --- bAbI, word by word (Nature, Methods "bAbI"; the reduced benchmark) -----------

BABI_COLUMNS: dict[str, tuple[str, ...]] = {
    "dnc-10k": ("dnc-babi-10k",),
    "lstm-10k": ("lstm-babi-10k",),
}
BABI_PAPER = {"dnc-10k": {"mean_error": 0.167}}  # mean of 20 runs (+/- 7.6%); best run 3.8%


def run_dnc_babi_benchmark(args: Any) -> dict[str, Any]:
    """DNC and LSTM on bAbI 10k joint over ``args.seeds`` seeds (``--columns`` picks);
    writes ``<args.out>/results/dnc-babi.json`` in the MemN2N benchmark's layout."""
    from attnmem.bench.babi import run_babi_benchmark

    return run_babi_benchmark(args, BABI_COLUMNS, name="dnc-babi", paper=BABI_PAPER)


def dnc_babi_table(result: dict[str, Any]) -> str:
    from attnmem.bench.babi import memn2n_babi_table

    return memn2n_babi_table(
        result,
        title="DNC on bAbI",
        setting="10k joint, word by word, reduced model and CPU budget (see dnc-babi-10k)",
    )
