"""``attnmem bench act`` / ``act-parity``: the ACT paper's tasks (Graves 2016, sec. 3)
with ACT and with the same network without it, over seeds.

Runs go through :func:`attnmem.bench.tasks.run_task_benchmark` (one single-threaded
process per run, CPU-minute budgets). On top of its median/min/max this adds, per
experiment, the mean and standard deviation over seeds of every test metric, and a
best-of-seeds figure whose seed is picked by the *training* log (the last logged
window's accuracy), never by the test set.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from attnmem.bench import write_result

ACT_PARITY = ("act-parity", "rnn-parity")
ACT_PARITY_8 = ("act-parity-8", "rnn-parity-8")  # a size our CPU budget can train
ACT_ALL = (
    *ACT_PARITY,
    *ACT_PARITY_8,
    "act-logic",
    "rnn-logic",
    "act-addition",
    "rnn-addition",
    "act-sort",
    "rnn-sort",
)


def _last_training_accuracy(run_dir: Path) -> float:
    """The accuracy of the last logged training window (the selection criterion)."""
    path = run_dir / "metrics.jsonl"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []
    return float(json.loads(lines[-1]).get("accuracy", float("nan"))) if lines else float("nan")


def add_mean_std_and_best(report: dict[str, Any], out: Path) -> dict[str, Any]:
    """Per experiment: ``mean`` and ``std`` (sample std; 0 for one seed) of each metric, and
    ``best`` = the test metrics of the seed with the best final *training* accuracy."""
    for name, exp in report["experiments"].items():
        runs = exp["runs"]
        keys = sorted(runs[0]["metrics"])
        exp["mean"] = {k: statistics.fmean(r["metrics"][k] for r in runs) for k in keys}
        exp["std"] = {
            k: statistics.stdev([r["metrics"][k] for r in runs]) if len(runs) > 1 else 0.0
            for k in keys
        }
        train_acc = {
            r["seed"]: _last_training_accuracy(out / "runs" / f"{name}-seed{r['seed']}")
            for r in runs
        }
        best = max(runs, key=lambda r: train_acc[r["seed"]])
        exp["best"] = {
            "seed": best["seed"],
            "picked_by": "last training-log accuracy",
            "training_accuracy": train_acc[best["seed"]],
            "metrics": best["metrics"],
        }
    return report


def run_act_benchmark(name: str, experiments: tuple[str, ...], args: Any) -> dict[str, Any]:
    from attnmem.bench.tasks import run_task_benchmark

    report = run_task_benchmark(name, experiments, args)
    report["note"] += "; mean +- std over seeds, best seed picked by training accuracy"
    return write_result(name, args.out, add_mean_std_and_best(report, Path(args.out)))


def _pm(exp: dict[str, Any], key: str, scale: float = 1.0) -> str:
    if key not in exp.get("mean", {}):
        return "-"
    return f"{exp['mean'][key] * scale:.3g} ± {exp['std'][key] * scale:.2g}"


def act_table(result: dict[str, Any]) -> str:
    """Markdown: sequence error (1 - accuracy) and mean ponder time per experiment."""
    lines = [
        f"**ACT tasks** (`{result['command']}`; mean ± std over seeds {result['seeds']}, "
        f"best = the seed with the best final training accuracy; {result['note']}; "
        f"{result['total_cpu_minutes']} CPU minutes in all)",
        "",
        "| experiment | budget | steps (median) | sequence error | best seed's error "
        "| mean ponder | paper |",
        "|---|---|---|---|---|---|---|",
    ]
    for e, x in result["experiments"].items():
        error = "-"
        if "accuracy" in x.get("mean", {}):
            error = f"{1 - x['mean']['accuracy']:.3g} ± {x['std']['accuracy']:.2g}"
        best = x.get("best", {}).get("metrics", {})
        best_error = f"{1 - best['accuracy']:.3g}" if "accuracy" in best else "-"
        steps = statistics.median(r["step"] for r in x["runs"])
        lines.append(
            f"| {e} | {x['budget_minutes']} {x['clock']} min | {steps:.0f} | {error} | "
            f"{best_error} | {_pm(x, 'mean_ponder')} | {x['paper'].get('result', '')} |"
        )
    return "\n".join(lines)


# --- error and ponder time against the time penalty (paper Fig. 4) -------------------

TAUS = (1e-4, 1e-3, 1e-2, 1e-1)


def _train_with_tau(name: str, tau: float, seed: int, out: Path, minutes: float | None) -> dict:
    """One single-threaded training process of ``name`` with ``model.time_penalty = tau``."""
    import os
    import subprocess
    import sys

    run_dir = out / "runs" / f"{name}-tau{tau:g}-seed{seed}"
    cmd = [sys.executable, "-m", "attnmem.cli", "train", name, "--seed", str(seed)]
    cmd += ["--out", str(run_dir), "--quiet", "--set", f"model.time_penalty={tau}"]
    if minutes is not None:
        cmd += ["--max-minutes", str(minutes)]
    log = run_dir.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return json.loads((run_dir / "eval.json").read_text())


def tau_rows(runs: dict[float, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per tau: mean and std over seeds of the sequence error and the mean ponder time."""
    rows = []
    for tau, summaries in sorted(runs.items()):
        error = [1.0 - s["metrics"]["accuracy"] for s in summaries]
        ponder = [s["metrics"]["mean_ponder"] for s in summaries]
        rows.append(
            {
                "tau": tau,
                "error_mean": statistics.fmean(error),
                "error_std": statistics.stdev(error) if len(error) > 1 else 0.0,
                "ponder_mean": statistics.fmean(ponder),
                "ponder_std": statistics.stdev(ponder) if len(ponder) > 1 else 0.0,
                "seeds": [s["seed"] for s in summaries],
                "cpu_minutes": round(sum(s.get("cpu_seconds", 0.0) for s in summaries) / 60, 2),
            }
        )
    return rows


def run_tau_benchmark(args: Any, *, experiment: str = "act-parity", train=_train_with_tau):
    """``attnmem bench act-tau``: ``experiment`` at every tau in ``TAUS`` over seeds; writes
    ``results/act-tau.json`` and ``results/act-tau.png`` (error and ponder against tau,
    with the RNN without ACT from ``results/act-parity.json`` when it exists)."""
    from concurrent.futures import ThreadPoolExecutor

    from attnmem.viz.act import tau_figure

    out = Path(args.out)
    jobs = [(tau, seed) for tau in TAUS for seed in range(args.seeds)]
    runs: dict[float, list[dict[str, Any]]] = {tau: [] for tau in TAUS}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            pool.submit(train, experiment, tau, seed, out, args.minutes): tau for tau, seed in jobs
        }
        for future, tau in futures.items():
            runs[tau].append(future.result())
    rows = tau_rows(runs)
    baseline = None
    parity = out / "results" / "act-parity.json"
    if parity.exists():
        rnn = json.loads(parity.read_text())["experiments"].get("rnn-parity")
        if rnn and "mean" in rnn:
            baseline = (1.0 - rnn["mean"]["accuracy"], rnn["std"]["accuracy"])
    result = {
        "benchmark": "act-tau",
        "experiment": experiment,
        "command": f"attnmem bench act-tau --seeds {args.seeds}"
        + (f" --minutes {args.minutes}" if args.minutes else "")
        + f" --jobs {args.jobs}",
        "rows": rows,
        "baseline_error": baseline,
    }
    path = write_result("act-tau", out, result)
    fig = tau_figure(rows, baseline_error=baseline, title=f"{experiment}: error and ponder vs tau")
    fig.savefig(out / "results" / "act-tau.png", dpi=110)
    return path


def act_tau_table(result: dict[str, Any]) -> str:
    """Markdown: sequence error and mean ponder time per time penalty (mean ± std)."""
    lines = [
        f"**ACT time penalty** ({result['experiment']}; `{result['command']}`; mean ± std over "
        "seeds; figure `benchmarks/results/act-tau.png`)",
        "",
        "| tau | sequence error | mean ponder | CPU min |",
        "|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['tau']:g} | {r['error_mean']:.3g} ± {r['error_std']:.2g} | "
            f"{r['ponder_mean']:.3g} ± {r['ponder_std']:.2g} | {r['cpu_minutes']} |"
        )
    if result.get("baseline_error"):
        mean, std = result["baseline_error"]
        lines.append(f"| without ACT | {mean:.3g} ± {std:.2g} | 1 | |")
    return "\n".join(lines)
