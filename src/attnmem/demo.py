"""``attnmem demo``: the NTM and an LSTM baseline on copy, then the report.

Reproduces, in a few minutes on a CPU, the NTM paper's headline result: both
learn to copy sequences of lengths 1-20; only the NTM copies longer ones.
"""

from __future__ import annotations

from pathlib import Path

from attnmem.experiments import load_experiment
from attnmem.runs import train_run
from attnmem.viz.report import make_report


def run_demo(
    out: Path, *, ntm_minutes: float = 3.0, lstm_minutes: float = 1.0, seed: int = 0
) -> Path:
    runs = {}
    for name, minutes in (("ntm-copy", ntm_minutes), ("lstm-copy", lstm_minutes)):
        print(f"== training {name} for at most {minutes} minutes (seed {seed})", flush=True)
        experiment = load_experiment(name, [f"train.max_minutes={minutes}", "train.clock=wall"])
        runs[name] = train_run(experiment, out / name, seed=seed)
    report = make_report(out / "ntm-copy", compare=[out / "lstm-copy"], out_dir=out / "report")
    lengths = load_experiment("ntm-copy").eval.values
    print("\nwrong bits per sequence on 1,000 fresh sequences (8 bits x length per sequence):")
    print(f"{'length':>10s}" + "".join(f"{L:>8d}" for L in lengths))
    for name, summary in runs.items():
        m = summary["metrics"]
        print(f"{name:>10s}" + "".join(f"{m[f'bits_wrong@{L}']:8.2f}" for L in lengths))
        print(
            f"{'':>10s}  ({summary['step']} steps, {summary['sequences']} sequences, "
            f"{summary['seconds']:.0f} s)"
        )
    print(f"\nreport: {report / 'index.html'}")
    return report
