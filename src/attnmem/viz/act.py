"""Figures of Adaptive Computation Time (Graves 2016) and the report of an ACT-task run.

* :func:`ponder_figure`: ponder time rho_t = N(t) + R(t) at every input step of a few
  sequences, above the halting distribution p_t^n of the first (the lecture's plot in
  which pondering rises where the input is harder, e.g. at boundaries);
* :func:`ponder_by_setting_figure`: test accuracy and mean ponder time against a task
  setting (parity: the number of non-zero elements, paper Fig. 5);
* :func:`tau_figure`: error and mean ponder time against the time penalty tau, mean
  +- std over seeds (paper Fig. 4), with the plain RNN's error as a line;
* :func:`make_act_report`: what ``attnmem report RUN`` writes for a run of an ACT task
  (``viz.report`` dispatches here), for the ACT model and its RNN baseline alike.

Functions take arrays or a ``Trace`` and return a ``matplotlib.figure.Figure`` on the
Agg canvas (no pyplot). Shapes: ``T`` input steps, ``M`` ponder steps.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from attnmem.models.trace import Trace
from attnmem.runs import EVAL_NAME, read_metrics
from attnmem.viz.html import paper_reference
from attnmem.viz.plots import _array, _figure, learning_curves_figure

ACT_TASKS = ("parity", "logic", "addition", "number_sort")
EXAMPLES = 6  # sequences drawn in the ponder figure
EXAMPLE_SEED = 0
_DPI = 110
_WIDTH = 11.0


def ponder_figure(traces: Sequence[tuple[str, Trace]], *, title: str = "Ponder time") -> Figure:
    """Ponder time per input step for each (label, trace of one sequence), and the
    halting distribution p_t^n (ponder step n against input step t) of the first.

    When every sequence is a single input step (parity), the sequences themselves
    make the x axis: one bar of ponder time and one column of p^n per sequence."""
    single = all(trace["ponder"].shape[1] == 1 for _, trace in traces)
    fig = _figure(_WIDTH, 5.0)
    axes = fig.subplots(2, 1, height_ratios=[1.4, 1.0])
    if single:
        ponder = [float(trace["ponder"][0, 0]) for _, trace in traces]
        axes[0].bar(range(len(traces)), ponder, color="C0")
        axes[0].set_xticks(range(len(traces)), [label for label, _ in traces], fontsize="small")
        M = max(trace["halting_probs"].shape[-1] for _, trace in traces)
        probs = np.zeros((len(traces), M))
        for i, (_, trace) in enumerate(traces):
            p = _array(trace["halting_probs"][0, 0])
            probs[i, : len(p)] = p
        xlabel = "test sequence"
    else:
        for label, trace in traces:
            ponder = _array(trace["ponder"][0])  # (T,)
            axes[0].plot(np.arange(len(ponder)), ponder, marker="o", label=label)
        axes[0].legend(fontsize="small", loc="upper right")
        axes[0].set_xlabel("input step t")
        probs = _array(traces[0][1]["halting_probs"][0])  # (T, M)
        xlabel = f"input step t ({traces[0][0]})"
    axes[0].set_ylabel("ponder time N(t) + R(t)")
    axes[0].set_title(title)
    image = axes[1].imshow(
        probs.T, aspect="auto", origin="lower", cmap="gray_r", vmin=0, vmax=1, interpolation="none"
    )
    axes[1].set_xlabel(xlabel)
    axes[1].set_ylabel("ponder step n")
    axes[1].set_yticks(range(probs.shape[1]), [str(i + 1) for i in range(probs.shape[1])])
    fig.colorbar(image, ax=axes[1], label="halting probability p")
    return fig


def ponder_by_setting_figure(
    values: Sequence[float],
    accuracy: Sequence[float],
    ponder: Sequence[float] | None,
    *,
    xlabel: str,
    title: str = "Accuracy and ponder time by setting",
) -> Figure:
    """Accuracy (left axis) and, for ACT, mean ponder time (right axis) against a setting."""
    fig = _figure(_WIDTH * 0.7, 3.6)
    ax = fig.subplots()
    ax.plot(values, accuracy, marker="o", color="C0", label="accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("whole-sequence accuracy", color="C0")
    if ponder is not None:
        right = ax.twinx()
        right.plot(values, ponder, marker="s", color="C3", label="mean ponder")
        right.set_ylabel("mean ponder time", color="C3")
    ax.set_title(title)
    return fig


def tau_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    baseline_error: tuple[float, float] | None = None,
    title: str = "Error and ponder time against the time penalty",
) -> Figure:
    """rows: {tau, error_mean, error_std, ponder_mean, ponder_std} per tau (over seeds);
    baseline_error: the plain RNN's (mean, std) error, drawn as a band."""
    rows = sorted(rows, key=lambda r: r["tau"])
    tau = np.array([r["tau"] for r in rows], dtype=float)
    fig = _figure(_WIDTH, 3.6)
    left, right = fig.subplots(1, 2)
    left.errorbar(
        tau, [r["error_mean"] for r in rows], yerr=[r["error_std"] for r in rows], marker="o"
    )
    if baseline_error is not None:
        mean, std = baseline_error
        left.axhline(mean, color="C3", linestyle="--", label="without ACT")
        left.axhspan(mean - std, mean + std, color="C3", alpha=0.15)
        left.legend(fontsize="small")
    left.set_xscale("log")
    left.set_xlabel("time penalty tau")
    left.set_ylabel("sequence error rate")
    left.set_ylim(bottom=0)
    right.errorbar(
        tau, [r["ponder_mean"] for r in rows], yerr=[r["ponder_std"] for r in rows], marker="o"
    )
    right.set_xscale("log")
    right.set_xlabel("time penalty tau")
    right.set_ylabel("mean ponder time")
    fig.suptitle(title)
    return fig


# --- the run report -----------------------------------------------------------------


def _by_setting(metrics: Mapping[str, float], name: str) -> list[tuple[float, float]]:
    """[(value, metric@value)] sorted by value."""
    pairs = [
        (float(k.split("@", 1)[1]), float(v))
        for k, v in metrics.items()
        if k.startswith(f"{name}@")
    ]
    return sorted(pairs)


def make_act_report(
    run_dir: str | os.PathLike,
    out: Path,
    experiment: Any,
    model: Any,
    task: Any,
    ckpt: dict[str, Any],
    *,
    compare: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write ``ponder.png`` (ACT only), ``by_setting.png``, ``learning_curves.png`` and
    ``index.html`` for a run of an ACT task into ``out``; returns ``out``."""
    run_dir = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    body = [
        f"<h1>{html.escape(experiment.name)}</h1>",
        f"<p>{html.escape(experiment.description)}</p>",
        f"<p>run {html.escape(str(run_dir))}, step {int(ckpt['step'])}, seed "
        f"{ckpt.get('seed', '?')}, {float(ckpt.get('cpu_elapsed', ckpt.get('elapsed', 0.0))) / 60:.1f}"
        " CPU min training</p>",
    ]
    body += paper_reference(experiment.paper)
    evaluation = None
    if (run_dir / EVAL_NAME).exists():
        evaluation = json.loads((run_dir / EVAL_NAME).read_text()).get("metrics", {})
        plain = {k: v for k, v in evaluation.items() if "@" not in k}
        body.append("<h2>Test metrics (eval.json)</h2><table>")
        body += [f"<tr><th>{html.escape(k)}</th><td>{v:.4f}</td></tr>" for k, v in plain.items()]
        body.append("</table>")

    has_ponder = hasattr(model, "state_metrics")
    if has_ponder:
        traces = []
        for i in range(EXAMPLES):
            # One fresh generator per example, so an example never changes with the others.
            batch = task.sample(1, torch.Generator().manual_seed(EXAMPLE_SEED + i))
            trace = model.trace(batch.inputs)
            right = task.metrics(trace.outputs, batch)["accuracy"] == 1
            label = f"{i + 1} ({'right' if right else 'wrong'})"
            if experiment.task_name == "parity":
                label = (
                    f"{int((batch.inputs != 0).sum())} non-zero, {'right' if right else 'wrong'}"
                )
            traces.append((label, trace))
        fig = ponder_figure(traces, title=f"{experiment.name}: ponder time per input step")
        fig.savefig(out / "ponder.png", dpi=_DPI)
        body.append(
            '<h2>Ponder time</h2><figure><img src="ponder.png" alt="ponder time"><figcaption>'
            "Top: ponder time rho_t = N(t) + R(t) at each input step of test sequences. "
            "Bottom: the halting distribution p_t^n of the first sequence over ponder "
            "steps n (Graves 2016, sec. 2).</figcaption></figure>"
        )
    else:
        body.append(f"<p>No ponder figure: the {experiment.model_name} model does not ponder.</p>")

    if evaluation and experiment.eval.vary:
        vary = experiment.eval.vary
        accuracy = _by_setting(evaluation, "accuracy")
        ponder = _by_setting(evaluation, "mean_ponder")
        if accuracy:
            fig = ponder_by_setting_figure(
                [v for v, _ in accuracy],
                [a for _, a in accuracy],
                [p for _, p in ponder] if ponder else None,
                xlabel=vary,
                title=f"{experiment.name}: test accuracy and ponder time by {vary}",
            )
            fig.savefig(out / "by_setting.png", dpi=_DPI)
            body.append(
                '<h2>By setting</h2><figure><img src="by_setting.png" alt="by setting">'
                f"<figcaption>Whole-sequence accuracy and mean ponder time against {vary} "
                f"({experiment.eval.sequences} test sequences each; for parity, Graves 2016 "
                "Fig. 5: ponder time grows with the number of non-zero elements).</figcaption>"
                "</figure>"
            )

    curves = []
    for path in [run_dir, *map(Path, compare)]:
        records = [r for r in read_metrics(path) if "accuracy" in r]
        if records:
            x = np.array([r["sequences"] for r in records], dtype=float)
            error = np.array([1.0 - r["accuracy"] for r in records], dtype=float)
            curves.append((path.name, x, np.clip(error, 1e-4, None)))
    if curves:
        fig = learning_curves_figure(curves, ylabel="training sequence error", title="Learning")
        fig.savefig(out / "learning_curves.png", dpi=_DPI)
        body.append(
            '<h2>Learning curves</h2><figure><img src="learning_curves.png" alt="learning">'
            "<figcaption>Sequence error on training batches (1 - accuracy) against sequences "
            "seen.</figcaption></figure>"
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>attnmem report: {html.escape(experiment.name)}</title>\n"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "img{max-width:100%}td,th{padding:2px 8px;text-align:left}</style>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    return out
