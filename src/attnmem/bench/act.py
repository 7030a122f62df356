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
ACT_ALL = (
    *ACT_PARITY,
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
