"""``attnmem list / train / eval / report / bench / results / data / demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from attnmem.config import ConfigError


def _cmd_list(args: argparse.Namespace) -> int:
    from attnmem.bench import BENCHMARKS
    from attnmem.experiments import experiment_names, read_experiment

    print("experiments (attnmem train NAME):")
    for name in experiment_names():
        print(f"  {name:24s} {read_experiment(name).get('description', '')}")
    print("benchmarks (attnmem bench NAME):")
    for name, bench in BENCHMARKS.items():
        print(f"  {name:24s} {bench.description}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from attnmem.experiments import load_experiment
    from attnmem.runs import train_run

    overrides = list(args.set)
    if args.max_minutes is not None:
        overrides.append(f"train.max_minutes={args.max_minutes}")
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    experiment = load_experiment(args.experiment, overrides)
    out = Path(args.out or f"runs/{experiment.name}-seed{args.seed}")
    summary = train_run(
        experiment,
        out,
        seed=args.seed,
        resume=not args.no_resume,
        progress=False if args.quiet else None,
    )
    if summary.get("metrics") is not None:
        print(json.dumps(summary, indent=2))
        print(f"run folder: {out}", file=sys.stderr)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from attnmem.runs import eval_run

    result = eval_run(args.run_dir, sequences=args.sequences)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['experiment']} at step {result['step']} "
            f"({result['sequences_seen']} sequences, {result['train_seconds']} s):"
        )
        for k, v in result["metrics"].items():
            print(f"  {k:28s} {v:.4f}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from attnmem.viz.report import make_report

    out = make_report(args.run_dir, compare=args.compare, out_dir=args.out)
    print(f"report: {out / 'index.html'}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from attnmem.bench import BENCHMARKS

    if args.name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {args.name!r}; known: {', '.join(BENCHMARKS)}")
    result = BENCHMARKS[args.name].run(args)
    if args.json:
        print(json.dumps(result))
    return 0


def _cmd_results(args: argparse.Namespace) -> int:
    from attnmem.bench.table import results_markdown, write_readme

    if args.write:
        write_readme(args.write, args.results)
        print(f"updated the results section of {args.write}")
    else:
        print(results_markdown(args.results))
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from attnmem.datasets import install_babi

    if args.name != "babi":
        raise ConfigError(f"unknown dataset {args.name!r}; known: babi")
    dest = install_babi(Path(args.source), Path(args.root) if args.root else None)
    print(f"installed bAbI into {dest}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from attnmem.demo import run_demo

    run_demo(
        Path(args.out), ntm_minutes=args.ntm_minutes, lstm_minutes=args.lstm_minutes, seed=args.seed
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="attnmem", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list experiments and benchmarks")
    s.set_defaults(func=_cmd_list)

    s = sub.add_parser("train", help="train an experiment (resumes an interrupted run)")
    s.add_argument("experiment")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", help="run folder (default runs/EXPERIMENT-seedN)")
    s.add_argument(
        "--max-minutes",
        type=float,
        help="time budget in minutes (overrides train.max_minutes; counted on train.clock, wall or cpu)",
    )
    s.add_argument("--steps", type=int, help="optimiser steps (overrides train.steps)")
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.memory_rows=256",
    )
    s.add_argument(
        "--no-resume", action="store_true", help="start afresh even if a checkpoint exists"
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("eval", help="evaluate a trained run on fresh sequences")
    s.add_argument("run_dir")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument(
        "--sequences", type=int, help="test sequences per setting (default: experiment's)"
    )
    s.set_defaults(func=_cmd_eval)

    s = sub.add_parser("report", help="figures and an HTML page for a run")
    s.add_argument("run_dir")
    s.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="RUN_DIR",
        help="other runs for the learning-curve figure (e.g. the LSTM baseline)",
    )
    s.add_argument("--out", help="report folder (default RUN_DIR/report)")
    s.set_defaults(func=_cmd_report)

    s = sub.add_parser("bench", help="run a benchmark; writes benchmarks/results/NAME.json")
    s.add_argument("name")
    s.add_argument("--json", action="store_true", help="print the result as one JSON object")
    s.add_argument("--seeds", type=int, default=3, help="seeds per experiment (task benchmarks)")
    s.add_argument("--minutes", type=float, help="training budget per run (task benchmarks)")
    s.add_argument("--jobs", type=int, default=1, help="runs in parallel (task benchmarks)")
    s.add_argument("--out", default="benchmarks", help="folder for results/ and runs/")
    s.add_argument(
        "--columns",
        help="memn2n-babi, ut-babi, dnc-babi: comma-separated columns to (re)run, e.g. 1k-joint; the others "
        "are kept from the existing result file",
    )
    s.add_argument(
        "--experiments",
        help="ntm-tasks, dnc-tasks: comma-separated experiments to (re)run, e.g. ntm-recall; the "
        "others are kept from the existing result file",
    )
    s.set_defaults(func=_cmd_bench)

    s = sub.add_parser("results", help="README tables from benchmarks/results/*.json")
    s.add_argument("--results", default="benchmarks/results", help="folder of result files")
    s.add_argument("--write", metavar="README", help="replace the README's results section")
    s.set_defaults(func=_cmd_results)

    s = sub.add_parser("data", help="install a dataset from an official archive or folder")
    s.add_argument("name", choices=["babi"])
    s.add_argument("--from", dest="source", required=True, help="archive (.tar.gz) or folder")
    s.add_argument("--root", help="data root (default $ATTNMEM_DATA or ~/.cache/attnmem)")
    s.set_defaults(func=_cmd_data)

    s = sub.add_parser("demo", help="NTM vs LSTM on copy, then a report (under 5 minutes)")
    s.add_argument("--out", default="runs/demo")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--ntm-minutes", type=float, default=3.0)
    s.add_argument("--lstm-minutes", type=float, default=1.0)
    s.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from attnmem.runs import RunError
    from attnmem.train import CheckpointError, NonFiniteError

    try:
        return args.func(args)
    except (ConfigError, CheckpointError, RunError, NonFiniteError, FileNotFoundError) as e:
        print(f"attnmem {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"attnmem {args.command}: {e or 'interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
