"""Benchmarks as commands: ``attnmem bench NAME`` writes ``<out>/results/NAME.json``
(``benchmarks/results/`` by default), from which ``attnmem results`` makes the
README's tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Benchmark:
    description: str
    run: Callable[[Any], dict[str, Any]]


def write_result(name: str, out: str | Path, result: dict[str, Any]) -> dict[str, Any]:
    """Write ``result`` to ``<out>/results/<name>.json`` (the README tables read it)."""
    path = Path(out) / "results" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}", file=sys.stderr)
    return result


def _ntm_speed(args: Any) -> dict[str, Any]:
    from attnmem.bench.speed import ntm_speed

    result = ntm_speed()
    result["command"] = "attnmem bench ntm-speed"
    return write_result("ntm-speed", args.out, result)


def _ntm_tasks(args: Any) -> dict[str, Any]:
    from attnmem.bench.tasks import NTM_TASKS, run_task_benchmark

    return run_task_benchmark("ntm-tasks", NTM_TASKS, args)


def _memn2n_babi(args: Any) -> dict[str, Any]:
    from attnmem.bench.babi import run_babi_benchmark

    return run_babi_benchmark(args)


def _dnc_speed(args: Any) -> dict[str, Any]:
    from attnmem.bench.dnc import dnc_speed

    result = dnc_speed()
    result["command"] = "attnmem bench dnc-speed"
    return write_result("dnc-speed", args.out, result)


def _dnc_tasks(args: Any) -> dict[str, Any]:
    from attnmem.bench.dnc import DNC_TASKS
    from attnmem.bench.tasks import run_task_benchmark

    return run_task_benchmark("dnc-tasks", DNC_TASKS, args)


def _dnc_nan(args: Any) -> dict[str, Any]:
    from attnmem.bench.dnc import run_nan_benchmark

    return run_nan_benchmark(args)


def _dnc_babi(args: Any) -> dict[str, Any]:
    from attnmem.bench.dnc import run_dnc_babi_benchmark

    return run_dnc_babi_benchmark(args)


def _attention_speed(args: Any) -> dict[str, Any]:
    from attnmem.bench.attention_speed import attention_speed

    result = attention_speed()
    result["command"] = "attnmem bench attention-speed"
    return write_result("attention-speed", args.out, result)


def _ut_babi(args: Any) -> dict[str, Any]:
    from attnmem.bench.ut_babi import run_ut_babi_benchmark

    return run_ut_babi_benchmark(args)


def _act(args: Any) -> dict[str, Any]:
    from attnmem.bench.act import ACT_ALL, run_act_benchmark

    return run_act_benchmark("act", ACT_ALL, args)


def _act_parity(args: Any) -> dict[str, Any]:
    from attnmem.bench.act import ACT_PARITY, run_act_benchmark

    return run_act_benchmark("act-parity", ACT_PARITY, args)


def _act_tau(args: Any) -> dict[str, Any]:
    from attnmem.bench.act import run_tau_benchmark

    return run_tau_benchmark(args)


def _act_parity_8(args: Any) -> dict[str, Any]:
    from attnmem.bench.act import ACT_PARITY_8, run_act_benchmark

    return run_act_benchmark("act-parity-8", ACT_PARITY_8, args)


BENCHMARKS: dict[str, Benchmark] = {
    "ntm-speed": Benchmark("NTM training ms per sequence, copy config, batch 1 and 32", _ntm_speed),
    "ntm-tasks": Benchmark("NTM on its five paper tasks (+ LSTM on copy) over seeds", _ntm_tasks),
    "memn2n-babi": Benchmark(
        "MemN2N on bAbI: 1k joint, 1k per task, 10k joint over seeds", _memn2n_babi
    ),
    "dnc-speed": Benchmark(
        "DNC training ms per sequence, dense and sparse links, N = 128, 1024, 4096", _dnc_speed
    ),
    "dnc-tasks": Benchmark("DNC on copy, repeat copy and recall over seeds", _dnc_tasks),
    "dnc-nan": Benchmark(
        "DNC copy, 20,000 steps per seed (--seeds, default 3; the issue asks 10): NaN/Inf check",
        _dnc_nan,
    ),
    "dnc-babi": Benchmark(
        "DNC and LSTM on bAbI 10k joint, word by word (reduced model and budget), over seeds",
        _dnc_babi,
    ),
    "attention-speed": Benchmark(
        "multi-head attention (SDPA fast path) vs naive matmul-softmax, forward + backward",
        _attention_speed,
    ),
    "ut-babi": Benchmark(
        "Universal Transformer (+ACT) and Transformer on bAbI 1k/10k joint over seeds", _ut_babi
    ),
    "act": Benchmark("ACT and the same RNN without it on parity, logic, addition, sort", _act),
    "act-parity": Benchmark("ACT and the same RNN without it on 64-element parity", _act_parity),
    "act-parity-8": Benchmark("ACT and the same RNN without it on 8-element parity", _act_parity_8),
    "act-tau": Benchmark("ACT on parity at time penalties 1e-4 to 1e-1 over seeds", _act_tau),
}
