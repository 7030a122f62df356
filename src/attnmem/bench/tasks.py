"""``attnmem bench ntm-tasks``: every NTM-paper task (and the LSTM on copy) over seeds.

Each (experiment, seed) trains in its own single-threaded process, ``--jobs`` at
a time, into ``<out>/runs/``; an interrupted benchmark resumes its runs. The
result file holds every run's eval metrics and per experiment the median, min
and max over seeds, and the CPU minutes spent.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from attnmem.bench import write_result
from attnmem.experiments import load_experiment

NTM_TASKS = ("ntm-copy", "lstm-copy", "ntm-repeat-copy", "ntm-recall", "ntm-ngrams", "ntm-sort")


def train_subprocess(name: str, seed: int, out: Path, minutes: float | None) -> dict[str, Any]:
    run_dir = out / "runs" / f"{name}-seed{seed}"
    cmd = [
        sys.executable,
        "-m",
        "attnmem.cli",
        "train",
        name,
        "--seed",
        str(seed),
        "--out",
        str(run_dir),
        "--quiet",
    ]
    if minutes is not None:
        cmd += ["--max-minutes", str(minutes)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    log = run_dir.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        proc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    summary = json.loads((run_dir / "eval.json").read_text())
    summary["run"] = str(run_dir)
    return summary


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max over seeds of every metric, and the CPU minutes spent."""
    keys = sorted(runs[0]["metrics"])
    values = {k: [r["metrics"][k] for r in runs] for k in keys}
    return {
        "median": {k: statistics.median(v) for k, v in values.items()},
        "min": {k: min(v) for k, v in values.items()},
        "max": {k: max(v) for k, v in values.items()},
        "cpu_minutes": round(sum(r.get("cpu_seconds", r["seconds"]) for r in runs) / 60, 2),
        "sequences_median": statistics.median(r["sequences"] for r in runs),
    }


def train_all(
    jobs: list[tuple[str, int]],
    out: Path,
    *,
    minutes: float | None,
    parallel: int,
) -> dict[str, list[dict[str, Any]]]:
    """Train every (experiment, seed) in ``jobs``, ``parallel`` at a time, in order of
    submission; returns each experiment's run summaries and prints progress."""
    results: dict[str, list[dict[str, Any]]] = {e: [] for e, _ in jobs}
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {pool.submit(train_subprocess, e, s, out, minutes): (e, s) for e, s in jobs}
        for i, future in enumerate(futures, 1):
            e, s = futures[future]
            summary = future.result()
            results[e].append(summary)
            extra = ""
            if "mean_error" in summary["metrics"]:
                extra = f", mean test error {summary['metrics']['mean_error']:.3f}"
            print(
                f"[{i}/{len(jobs)}] {e} seed {s}: {summary['step']} steps, "
                f"{summary.get('cpu_seconds', 0) / 60:.1f} CPU min{extra}",
                file=sys.stderr,
                flush=True,
            )
    return results


def _chosen(experiments: tuple[str, ...], names: str | None) -> tuple[str, ...]:
    if not names:
        return experiments
    wanted = tuple(e.strip() for e in names.split(",") if e.strip())
    unknown = [e for e in wanted if e not in experiments]
    if unknown:
        raise ValueError(f"unknown experiment(s) {unknown}; known: {', '.join(experiments)}")
    return wanted


def run_task_benchmark(name: str, experiments: tuple[str, ...], args: Any) -> dict[str, Any]:
    """Train the chosen experiments (``args.experiments``, comma-separated, default all)
    over ``args.seeds`` seeds and write ``<args.out>/results/<name>.json``.

    Experiments not chosen are kept from the existing result file, so one experiment
    can be rerun (a longer budget, a new config) without the others; each experiment
    records the command that produced it."""
    out = Path(args.out)
    chosen = _chosen(experiments, getattr(args, "experiments", None))
    seeds = list(range(args.seeds))
    jobs = [(e, s) for e in chosen for s in seeds]
    start = time.perf_counter()
    results = train_all(jobs, out, minutes=args.minutes, parallel=args.jobs)
    path = out / "results" / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {"experiments": {}}
    command = (
        f"attnmem bench {name} --seeds {args.seeds}"
        + (f" --minutes {args.minutes}" if args.minutes else "")
        + f" --jobs {args.jobs}"
    )
    report = {
        "benchmark": name,
        "note": "each run single-threaded (one core); budgets are CPU minutes per run",
        "experiments": {},
    }
    wall_minutes = round((time.perf_counter() - start) / 60, 1)
    for e in experiments:
        if e not in chosen:
            if e in previous["experiments"]:
                old = previous["experiments"][e]
                # Result files from before --experiments hold one command for all.
                old.setdefault("command", previous.get("command", ""))
                old.setdefault("seeds", previous.get("seeds", []))
                report["experiments"][e] = old
            continue
        exp = load_experiment(e)
        report["experiments"][e] = {
            "description": exp.description,
            "paper": exp.paper,
            "command": command + (f" --experiments {e}" if len(chosen) < len(experiments) else ""),
            "seeds": seeds,
            "wall_minutes": wall_minutes,
            "budget_minutes": args.minutes or exp.train.max_minutes,
            "clock": exp.train.clock,
            **summarise(results[e]),
            "runs": [
                {
                    k: r[k]
                    for k in (
                        "seed",
                        "step",
                        "sequences",
                        "seconds",
                        "cpu_seconds",
                        "stop",
                        "metrics",
                    )
                    if k in r
                }
                for r in results[e]
            ],
        }
    report["total_cpu_minutes"] = round(
        sum(v["cpu_minutes"] for v in report["experiments"].values()), 1
    )
    return write_result(name, out, report)
