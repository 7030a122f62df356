"""``attnmem bench memn2n-babi``: MemN2N on bAbI, the three columns of Sukhbaatar et al.
2015's Table 1 that we reproduce (PE LS RN, 3 hops), and that table's strongly
supervised MemNN baseline, over seeds.

- ``1k-joint``: ``memn2n-babi-1k``, one model for all 20 tasks;
- ``1k-per-task``: ``memn2n-babi-1k-task1`` ... ``-task20``, one model per task;
- ``10k-joint``: ``memn2n-babi-10k``;
- ``memnn-1k``: ``memnn-babi-1k``, the strongly supervised MemNN baseline of the same
  table (``attnmem.models.memnn``), one model for all 20 tasks.

Every (experiment, seed) trains in its own single-threaded process (the NTM task
benchmark's ``train_subprocess``), ``--jobs`` at a time, into ``<out>/runs/``; an interrupted
benchmark resumes its runs. For each column the result holds the per-task test
error table, mean error and failed tasks (error > 5%):

- ``best``: best of seeds, picked by *validation* error (never test), as the paper
  picks the best of its runs: for a joint column the seed with the lowest mean
  validation error, for the per-task column each task's seed with the lowest
  validation error on that task;
- ``mean`` and ``std`` over seeds (per task, of the mean error, of failed tasks).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from attnmem.bench import write_result
from attnmem.bench.tasks import train_all
from attnmem.experiments import read_experiment
from attnmem.tasks.babi_qa import ALL_TASKS, FAILED

NAME = "memn2n-babi"
COLUMNS: dict[str, tuple[str, ...]] = {
    "1k-joint": ("memn2n-babi-1k",),
    "1k-per-task": tuple(f"memn2n-babi-1k-task{t}" for t in ALL_TASKS),
    "10k-joint": ("memn2n-babi-10k",),
    "memnn-1k": ("memnn-babi-1k",),  # the strongly supervised baseline (attnmem.models.memnn)
}
# Sukhbaatar et al. 2015, Table 1, PE LS RN, 3 hops: mean test error and failed tasks.
PAPER = {
    "1k-joint": {"mean_error": 0.124, "failed_tasks": 11},
    "1k-per-task": {"mean_error": 0.139, "failed_tasks": 11},
    "10k-joint": {"mean_error": 0.066, "failed_tasks": 4},
    # Table 1's strongly supervised MemNN column (Weston et al. 2015's AM+NG+NL MemNN, per
    # task); ours is the basic MemNN of Weston et al. 2014, trained jointly.
    "memnn-1k": {"mean_error": 0.067, "failed_tasks": 4},
}


def _table(errors: dict[int, float]) -> dict[str, Any]:
    """Per-task errors -> {per_task, mean_error, failed_tasks}."""
    return {
        "per_task": {str(t): e for t, e in sorted(errors.items())},
        "mean_error": statistics.fmean(errors.values()),
        "failed_tasks": sum(e > FAILED for e in errors.values()),
    }


def _spread(tables: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mean and (sample) std over seeds of every number of the tables."""

    def std(xs: list[float]) -> float:
        return statistics.stdev(xs) if len(xs) > 1 else 0.0

    tasks = list(tables[0]["per_task"])
    out = []
    for f in (statistics.fmean, std):
        out.append(
            {
                "per_task": {t: f([x["per_task"][t] for x in tables]) for t in tasks},
                "mean_error": f([x["mean_error"] for x in tables]),
                "failed_tasks": f([float(x["failed_tasks"]) for x in tables]),
            }
        )
    return out[0], out[1]


def _errors(metrics: dict[str, float], prefix: str = "error") -> dict[int, float]:
    return {int(k.split("@qa")[1]): v for k, v in metrics.items() if k.startswith(f"{prefix}@qa")}


def joint_column(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one joint experiment over seeds -> best (by mean validation error), mean, std."""
    tables = [_table(_errors(r["metrics"])) for r in runs]
    best = min(range(len(runs)), key=lambda i: runs[i]["metrics"]["valid_error"])
    mean, std = _spread(tables)
    return {
        "best": {**tables[best], "seed": runs[best]["seed"], "picked_by": "valid_error"},
        "mean": mean,
        "std": std,
        "seeds": [dict(seed=r["seed"], **tables[i]) for i, r in enumerate(runs)],
    }


def per_task_column(runs: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per-task runs {task: [run per seed]} -> best (each task's seed by its validation
    error), mean and std over seeds of the per-seed tables."""
    best_errors, best_seeds = {}, {}
    for t, task_runs in sorted(runs.items()):
        pick = min(task_runs, key=lambda r: r["metrics"][f"valid_error@qa{t}"])
        best_errors[t], best_seeds[str(t)] = pick["metrics"][f"error@qa{t}"], pick["seed"]
    seeds = sorted({r["seed"] for task_runs in runs.values() for r in task_runs})
    tables = []
    for s in seeds:
        errors = {
            t: r["metrics"][f"error@qa{t}"] for t, rs in runs.items() for r in rs if r["seed"] == s
        }
        tables.append(_table(errors))
    mean, std = _spread(tables)
    return {
        "best": {**_table(best_errors), "seed": best_seeds, "picked_by": "valid_error@qa<task>"},
        "mean": mean,
        "std": std,
        "seeds": [dict(seed=s, **x) for s, x in zip(seeds, tables, strict=True)],
    }


def _selected(columns: dict[str, tuple[str, ...]], names: str | None) -> dict[str, tuple[str, ...]]:
    if not names:
        return columns
    wanted = [c.strip() for c in names.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in columns]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; known: {', '.join(columns)}")
    return {c: columns[c] for c in wanted}


def run_babi_benchmark(
    args: Any,
    columns: dict[str, tuple[str, ...]] = COLUMNS,
    *,
    name: str = NAME,
    paper: dict[str, dict[str, float]] = PAPER,
) -> dict[str, Any]:
    """Train every experiment of the chosen columns (``args.columns``, default all) over
    ``args.seeds`` seeds (``args.minutes``: budget per run, default each experiment's
    ``max_minutes``; ``args.jobs`` in parallel) and write ``<args.out>/results/<name>.json``
    (``paper``: the reference per column).

    Columns not chosen are kept from the existing result file, so the columns can be run
    one at a time; each column records the command that produced it."""
    out = Path(args.out)
    chosen = _selected(columns, getattr(args, "columns", None))
    seeds = list(range(args.seeds))
    jobs = [(e, s) for exps in chosen.values() for e in exps for s in seeds]
    start = time.perf_counter()
    results = train_all(jobs, out, minutes=args.minutes, parallel=args.jobs)
    path = out / "results" / f"{name}.json"
    previous = json.loads(path.read_text())["columns"] if path.exists() else {}
    report: dict[str, Any] = {
        "benchmark": name,
        "note": (
            "test error 0-1; failed = error > 5%; best = best of seeds picked by validation "
            "error (never test); each run single-threaded, budgets are CPU minutes per run"
        ),
        "columns": {c: previous[c] for c in columns if c in previous and c not in chosen},
    }
    wall_minutes = round((time.perf_counter() - start) / 60, 1)
    for column, exps in chosen.items():
        runs = {e: sorted(results[e], key=lambda r: r["seed"]) for e in exps}
        if len(exps) == 1:
            body = joint_column(runs[exps[0]])
        else:
            by_task = {}
            for e in exps:
                tasks = read_experiment(e)["task"]["tasks"]
                by_task[tasks[0]] = runs[e]
            body = per_task_column(by_task)
        every = [r for e in exps for r in runs[e]]
        train = read_experiment(exps[0])["train"]
        report["columns"][column] = {
            "command": f"attnmem bench {name} --columns {column} --seeds {args.seeds}"
            + (f" --minutes {args.minutes}" if args.minutes else "")
            + f" --jobs {args.jobs}",
            "seeds": seeds,
            "wall_minutes": wall_minutes,
            "experiments": list(exps),
            "paper": paper.get(column, {}),
            "budget_minutes": args.minutes or train.get("max_minutes", 0.0),
            "clock": train.get("clock", "wall"),
            "cpu_minutes": round(sum(r.get("cpu_seconds", r["seconds"]) for r in every) / 60, 2),
            **body,
            "runs": [
                {
                    k: r[k]
                    for k in ("experiment", "seed", "step", "seconds", "cpu_seconds", "stop")
                    if k in r
                }
                | {"valid_error": r["metrics"].get("valid_error")}
                for r in every
            ],
        }
    # Keep the paper's column order whatever order the columns were run in.
    report["columns"] = {c: report["columns"][c] for c in columns if c in report["columns"]}
    report["total_cpu_minutes"] = round(
        sum(c["cpu_minutes"] for c in report["columns"].values()), 1
    )
    return write_result(name, out, report)


def memn2n_babi_table(
    result: dict[str, Any], title: str = "MemN2N on bAbI", setting: str = "PE LS RN, 3 hops"
) -> str:
    """The README table: test error % per task, ours (best of seeds | mean +/- std) beside
    the paper's, for each column."""
    cols = result["columns"]
    head = "| task | " + " | ".join(f"{c} best | {c} mean +/- std" for c in cols) + " |"
    lines = [
        f"**{title}** (test error %, {setting}; "
        f"{result['note']}; {result['total_cpu_minutes']} CPU minutes in all)",
        "",
        *[  # result files from before --columns hold one command for all columns
            f"- {c}: `{x.get('command', result.get('command', '?'))}`, "
            f"{x.get('budget_minutes', '?')} {x.get('clock', '')} min per run, "
            f"{x.get('cpu_minutes', '?')} CPU min"
            for c, x in cols.items()
        ],
        "",
        head,
        "|---|" + "---|---|" * len(cols),
    ]
    if "memnn-1k" in cols:
        lines[0] = lines[0].replace(
            "PE LS RN, 3 hops;",
            "MemN2N: PE LS RN, 3 hops; memnn-1k: strongly supervised MemNN, k=2;",
        )
    tasks = list(next(iter(cols.values()))["best"]["per_task"])
    for t in tasks:
        cells = [
            f"{100 * c['best']['per_task'][t]:.1f} | "
            f"{100 * c['mean']['per_task'][t]:.1f} +/- {100 * c['std']['per_task'][t]:.1f}"
            for c in cols.values()
        ]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    for key, scale, fmt in (("mean_error", 100, ".1f"), ("failed_tasks", 1, ".0f")):
        cells = [
            f"**{scale * c['best'][key]:{fmt}}** | "
            f"{scale * c['mean'][key]:.1f} +/- {scale * c['std'][key]:.1f}"
            for c in cols.values()
        ]
        lines.append(f"| {key.replace('_', ' ')} | " + " | ".join(cells) + " |")
    paper = [
        f"{100 * c['paper'].get('mean_error', float('nan')):.1f}% / "
        f"{c['paper'].get('failed_tasks', '?')} failed | "
        for c in cols.values()
    ]
    lines.append("| paper (mean / failed) | " + " | ".join(paper) + " |")
    return "\n".join(lines)
