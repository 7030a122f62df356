"""``attnmem report``: the NTM paper's figures for a run folder, on one HTML page.

``make_report(run_dir, compare=[...])`` loads the run's model, traces it on a few
seeded test sequences and writes into ``run_dir/report/``:

1. ``targets_outputs.png``: targets above outputs (paper Fig. 4/5), with the
   Bayes-optimal prediction for N-grams;
2. ``weightings_*.png``: write and read weightings over time (paper Fig. 6, bottom),
   for models whose ``Trace`` has them (the NTM, not the LSTM);
3. ``learning_curves.png``: cost per sequence against sequences seen for this run
   and the ``compare`` runs (paper Fig. 3; Fig. 13 with the Bayes-optimal cost);
4. ``eval_metrics.png``: test metrics against the varied setting from ``eval.json``
   (e.g. wrong bits against sequence length), when the experiment varies one;

and ``index.html`` showing them with captions, the test metrics and the paper's
reference. Figures come from ``attnmem.viz.plots``; this module only picks the
data. Examples are drawn from ``torch.Generator().manual_seed(0)``, so a report
of the same checkpoint is the same report.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from attnmem.models.trace import Trace
from attnmem.runs import EVAL_NAME, load_run, read_metrics
from attnmem.tasks.base import Batch
from attnmem.train import load_checkpoint
from attnmem.viz.plots import (
    ROW_MARGIN,
    WEIGHT_THRESHOLD,
    eval_metrics_figure,
    learning_curves_figure,
    sequences_figure,
    used_rows,
    weightings_figure,
)

COPY_LENGTHS = (10, 20, 30, 50, 120)  # the lengths of the paper's Fig. 4
WEIGHTINGS_LENGTH = 20  # the length of the paper's Fig. 6
EXAMPLE_SEED = 0  # every example sequence is drawn from a fresh generator with this seed
REPORT_DIR = "report"
_DPI = 110
# The figures of Graves et al. 2014 each of ours redraws, by task (copy: the paper's
# sec. 4.1); other tasks get no figure number rather than a wrong one.
_PAPER = "Graves et al. 2014"
_PAPER_FIGURES = {
    ("copy", "sequences"): "Fig. 4 (NTM) and Fig. 5 (LSTM)",
    ("copy", "weightings"): "Fig. 6 (bottom)",
    ("copy", "curves"): "Fig. 3",
    ("copy", "eval"): "Fig. 4-5 and sec. 4.1",
    ("ngrams", "curves"): "Fig. 13",
}


@dataclass(frozen=True)
class _Example:
    """One test sequence and what the model did with it."""

    label: str  # e.g. "length 20"
    setting: dict[str, int]  # keyword arguments of task.sample, e.g. {"length": 20}
    batch: Batch  # a batch of one
    trace: Trace
    metrics: dict[str, float]


@dataclass(frozen=True)
class _Run:
    """What the report needs of a run folder besides its model."""

    path: Path
    label: str  # e.g. "ntm-copy (ntm)"
    records: list[dict[str, Any]]  # metrics.jsonl
    evaluation: dict[str, Any] | None  # eval.json, None if absent


@dataclass
class _Figure:
    file: str
    title: str
    caption: str
    alt: str = ""


def make_report(
    run_dir: str | os.PathLike,
    *,
    compare: Iterable[str | os.PathLike] = (),
    out_dir: str | os.PathLike | None = None,
) -> Path:
    """Write the figures and ``index.html`` of a run folder; returns the report folder.

    run_dir: a run folder made by ``attnmem train`` (its checkpoint may be mid-training).
    compare: other run folders drawn beside this one in the learning curves and the
        test-metric figure (e.g. the LSTM baseline of the same task).
    out_dir: where to write, default ``run_dir/report``.
    """
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir / REPORT_DIR
    experiment, model, task, ckpt = load_run(run_dir)
    if experiment.model_name in ("transformer", "universal_transformer"):  # heads, ponder
        from attnmem.viz.transformer import make_transformer_report

        return make_transformer_report(run_dir, out, experiment, model, task, ckpt, compare=compare)
    if experiment.task_name == "babi":  # story tables with hop attention, not sequences
        from attnmem.viz.babi import make_babi_report

        return make_babi_report(run_dir, out, experiment, model, task, ckpt, compare=compare)
    from attnmem.viz.act import ACT_TASKS

    if experiment.task_name in ACT_TASKS:  # ponder time and halting, not bit sequences
        from attnmem.viz.act import make_act_report

        return make_act_report(run_dir, out, experiment, model, task, ckpt, compare=compare)
    runs = _label_runs([run_dir, *[Path(c) for c in compare]])
    out.mkdir(parents=True, exist_ok=True)
    if experiment.task_name == "babi_words":  # a test story read word by word, no bit rows
        examples, answers = _story_example(model, task)
        figures, notes = [], [answers]
    else:
        examples, skipped = _examples(experiment, model, task)
        figures, notes = [_sequences(out, experiment, model, examples, skipped)], []
    figures += _weightings(out, experiment, examples)
    figures += _dnc_memory_use(out, experiment, examples)
    if not any(f.file.startswith("weightings") for f in figures):
        notes.append(
            f"No weighting figure: the {experiment.model_name} model's trace has no "
            f"read/write weightings (it has: {', '.join(examples[0].trace.steps) or 'nothing'})."
        )
    curves = _learning_curves(out, experiment.task_name, runs, notes)
    if curves is not None:
        figures.append(curves)
    tests = _eval_metrics(out, experiment, task, runs, notes)
    if tests is not None:
        figures.append(tests)
    page = _page(experiment, ckpt, runs, figures, notes)
    (out / "index.html").write_text(page, encoding="utf-8")
    return out


# --- data ---------------------------------------------------------------------------------


def _label_runs(paths: Sequence[Path]) -> list[_Run]:
    """Read each run's curve and eval.json; label it "experiment (model)", plus the folder
    name where two runs would otherwise share a label."""
    names = []
    for path in paths:
        saved = load_checkpoint(path)["experiment"]
        names.append(f"{saved.get('name', 'custom')} ({saved.get('model', {}).get('name', '?')})")
    runs = []
    for path, name in zip(paths, names, strict=True):
        label = name if names.count(name) == 1 else f"{name} [{path.name}]"
        eval_path = path / EVAL_NAME
        evaluation = json.loads(eval_path.read_text()) if eval_path.exists() else None
        runs.append(_Run(path, label, read_metrics(path), evaluation))
    return runs


def _example_settings(experiment: Any, model: Any) -> tuple[list[tuple[str, dict]], list[int]]:
    """(label, task.sample keywords) of the examples to show, and the copy lengths skipped."""
    vary, values = experiment.eval.vary, tuple(experiment.eval.values)
    if vary == "length" and experiment.task_name != "ngrams":  # copy-like: the paper's lengths
        rows = getattr(getattr(model, "config", None), "memory_rows", None)
        lengths = [n for n in COPY_LENGTHS if rows is None or n <= rows]
        skipped = [n for n in COPY_LENGTHS if n not in lengths]
        if lengths:
            return [(f"length {n}", {"length": n}) for n in lengths], skipped
        return [("training distribution", {})], skipped
    settings: list[tuple[str, dict]] = [("training distribution", {})]
    if vary and values:
        settings.append((f"{vary} = {max(values)}", {vary: max(values)}))
    return settings, []


def _examples(experiment: Any, model: Any, task: Any) -> tuple[list[_Example], list[int]]:
    settings, skipped = _example_settings(experiment, model)
    examples = []
    for label, kwargs in settings:
        # A fresh generator per example: an example does not change when others are added.
        batch = task.sample(1, torch.Generator().manual_seed(EXAMPLE_SEED), **kwargs)
        trace = model.trace(batch.inputs)
        metrics = task.metrics(trace.outputs, batch)
        examples.append(_Example(label, kwargs, batch, trace, metrics))
    return examples, skipped


def _story_example(model: Any, task: Any) -> tuple[list[_Example], str]:
    """bAbI word by word: the shortest test story with two or more answers of the first
    trained task, and a line with its questions, the answers and the model's."""
    test, first = task.data.test, task.config.tasks[0]
    ours = [i for i in range(len(test)) if test.task[i] == first]  # sorted by length
    index = next((i for i in ours if sum(t >= 0 for t in test.targets[i]) >= 2), ours[0])
    batch, _ = test.batch([index], task.output_size)
    trace = model.trace(batch.inputs)
    words = task.vocab.decode(test.words[index])
    predicted = trace.outputs[0].argmax(-1).tolist()
    asked: list[str] = []
    start = 0
    for t, target in enumerate(test.targets[index]):
        if target < 0:
            continue
        answer = f"{task.vocab.itos[target]} (model: {task.vocab.itos[predicted[t]]})"
        question = " ".join(words[start:t]).split(".")[-1].strip()
        asked.append(f"{question} {answer}" if question else f"+ {answer}")
        start = t + 1
    example = _Example(
        f"qa{first} test story", {"task": first}, batch, trace, task.metrics(trace.outputs, batch)
    )
    return [example], f"The qa{first} test story drawn below, its questions: " + "; ".join(asked)


def _scored(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(T, C) -> (S, C): the S steps whose output is scored."""
    return x[mask > 0]


def _save(fig: Figure, out: Path, name: str) -> str:
    fig.savefig(out / name, dpi=_DPI)
    fig.clear()  # our figures are not pyplot's: clearing frees them, nothing else holds them
    return name


# --- figures ------------------------------------------------------------------------------


def _sequences(
    out: Path, experiment: Any, model: Any, examples: list[_Example], skipped: list[int]
) -> _Figure:
    rows = []
    for ex in examples:
        mask = ex.batch.mask[0]
        shown = {
            "targets": _scored(ex.batch.targets[0], mask),
            "outputs": _scored(torch.sigmoid(ex.trace.outputs[0]), mask),
        }
        if experiment.task_name == "ngrams":
            from attnmem.tasks.ngrams import batch_bits, bayes_optimal_probs

            optimal = bayes_optimal_probs(batch_bits(ex.batch), _ngrams_order(experiment))
            shown["Bayes-optimal"] = _scored(optimal[0].unsqueeze(-1), mask)
        rows.append((f"{ex.label}: {_example_score(ex.metrics)}", shown))
    name = _save(
        sequences_figure(
            rows,
            title=f"{experiment.name}: targets and outputs",
            xlabel="time step of the scored (output) part of the sequence",
        ),
        out,
        "targets_outputs.png",
    )
    caption = (
        "Targets and the network's outputs (the probability sigmoid(logit) that each bit is 1) "
        "for one test sequence per setting, showing only the time steps that are scored "
        "(for copy: the output phase after the delimiter). Time runs left to right, bits top "
        "to bottom; all rows share one time scale. "
        f"Sequences drawn with seed {EXAMPLE_SEED}. "
    )
    if experiment.task_name == "ngrams":
        caption += "The last row of each example is the Bayes-optimal predictor (paper eq. 24). "
    if skipped:
        rows_n = model.config.memory_rows
        caption += (
            f"Lengths {', '.join(map(str, skipped))} are left out: longer than the "
            f"{rows_n} memory rows. "
        )
    caption += _paper_figure(experiment.task_name, "sequences")
    return _Figure(name, "Targets and outputs", caption, "targets above outputs, per example")


def _ngrams_order(experiment: Any) -> int:
    """The N-grams order of an experiment (its task config, else the task's default)."""
    from attnmem.tasks.ngrams import NGramsConfig

    return int(experiment.task.get("order", NGramsConfig().order))


def _example_score(metrics: dict[str, float]) -> str:
    parts = []
    if "bits_wrong" in metrics:
        parts.append(f"{metrics['bits_wrong']:.0f} bits wrong")
    if "cost_bits" in metrics:
        parts.append(f"cost {metrics['cost_bits']:.2f} bits")
    if "optimal_cost_bits" in metrics:
        parts.append(f"optimal {metrics['optimal_cost_bits']:.2f} bits")
    return ", ".join(parts)


def _weighting_examples(experiment: Any, examples: list[_Example]) -> list[_Example]:
    """Copy-like: the length-20 example and the longest one; otherwise the first."""
    if all("length" in ex.setting for ex in examples) and experiment.eval.vary == "length":
        chosen = [ex for ex in examples if ex.setting["length"] == WEIGHTINGS_LENGTH]
        longest = max(examples, key=lambda ex: ex.setting["length"])
        return chosen + ([longest] if longest not in chosen else [])
    return examples[:1]


def _weightings(out: Path, experiment: Any, examples: list[_Example]) -> list[_Figure]:
    if not {"read_weights", "write_weights"} <= set(examples[0].trace.steps):
        return []
    figures = []
    for ex in _weighting_examples(experiment, examples):
        write = ex.trace["write_weights"][0, :, 0]  # (T, N), head 0
        read = ex.trace["read_weights"][0, :, 0]  # (T, N), head 0
        n = write.shape[-1]
        rows = used_rows(torch.stack([write, read]))
        phase = int(torch.nonzero(ex.batch.mask[0] > 0)[0, 0])
        slug = "_".join(f"{k}{v}" for k, v in ex.setting.items()) or "train"
        name = _save(
            weightings_figure(
                write,
                read,
                rows=rows,
                phase_start=phase,
                title=f"{experiment.name}: head 0 weightings, {ex.label}",
            ),
            out,
            f"weightings_{slug}.png",
        )
        if len(rows) == n:
            crop = f"All {n} memory rows are shown."
        else:
            span = f"{rows[0]} to {rows[-1]}" + (" (wrapping around)" if rows[-1] < rows[0] else "")
            crop = (
                f"The location axis is cropped to memory rows {span}, {len(rows)} of {n}: the "
                f"rows that got more than {WEIGHT_THRESHOLD} weight at some step, plus "
                f"{ROW_MARGIN} either side; the axis labels are the true row numbers."
            )
        caption = (
            f"Write (left) and read (right) weightings of head 0 over time for the {ex.label} "
            f"example of figure 1; white is weight 1. {crop} The dashed red line marks the first "
            f"scored step (for copy: the output phase). A head that writes the input to "
            f"successive rows and reads them back in order draws two matching diagonals. "
            + _paper_figure(experiment.task_name, "weightings")
        )
        figures.append(
            _Figure(
                name,
                f"Memory weightings, {ex.label}",
                caption,
                "write and read weightings heatmaps",
            )
        )
    return figures


def _learning_curves(
    out: Path, task_name: str, runs: list[_Run], notes: list[str]
) -> _Figure | None:
    curves, keys = [], set()
    for run in runs:
        if not run.records:
            notes.append(f"{run.label}: no training log ({run.path}/metrics.jsonl).")
            continue
        key = "cost_bits" if all("cost_bits" in r for r in run.records) else "loss"
        keys.add(key)
        x = np.array([r["sequences"] for r in run.records], dtype=float)
        y = np.array([r[key] for r in run.records], dtype=float)
        curves.append((run.label, x, y))
    if not curves:
        return None
    optimal = _optimal_cost(runs)
    ylabel = "cost per sequence (bits)" if keys == {"cost_bits"} else "training loss"
    title = "Learning curves" + ("" if len(runs) > 1 else f": {runs[0].label}")
    figure = learning_curves_figure(curves, optimal=optimal, ylabel=ylabel, title=title)
    name = _save(figure, out, "learning_curves.png")
    caption = (
        "Training cost per sequence (cross-entropy in bits, the mean over the training batches "
        "of each logging window) against the number of training sequences seen, log scale. "
    )
    if keys != {"cost_bits"}:
        caption += "Runs without a cost_bits metric show their training loss instead. "
    if optimal is not None:
        caption += (
            f"The dashed line is the cost of the Bayes-optimal predictor, {optimal:.2f} "
            f"bits, its mean over the logged batches (paper Fig. 13). "
        )
    caption += _paper_figure(task_name, "curves")
    return _Figure(name, "Learning curves", caption, "cost per sequence against sequences seen")


def _optimal_cost(runs: list[_Run]) -> float | None:
    """Mean Bayes-optimal cost over this run's records (else over all runs' records)."""
    for pool in (runs[:1], runs):
        values = [
            r["optimal_cost_bits"] for run in pool for r in run.records if "optimal_cost_bits" in r
        ]
        if values:
            return float(np.mean(values))
    return None


def _eval_metrics(
    out: Path, experiment: Any, task: Any, runs: list[_Run], notes: list[str]
) -> _Figure | None:
    vary = experiment.eval.vary
    if not vary:
        return None
    panels = []
    for metric in experiment.eval.metrics:
        series = []
        for run in runs:
            found = _metric_by_value((run.evaluation or {}).get("metrics", {}), metric)
            if found:
                xs, ys = zip(*found, strict=True)
                series.append((run.label, xs, ys))
        if series:
            panels.append((metric, series))
    missing = [run.label for run in runs if run.evaluation is None]
    if missing:
        notes.append(f"No {EVAL_NAME} (written when training ends) for: {', '.join(missing)}.")
    if not panels:
        return None
    trained = _training_max(task, vary)
    figure = eval_metrics_figure(
        panels,
        xlabel=vary,
        trained_up_to=trained,
        title=f"{experiment.name}: test metrics against {vary} ({EVAL_NAME})",
    )
    name = _save(figure, out, "eval_metrics.png")
    caption = (
        f"Mean per-sequence test metrics ({', '.join(m for m, _ in panels)}) on "
        f"{experiment.eval.sequences} fresh sequences per {vary}, from each run's {EVAL_NAME}. "
    )
    if trained is not None:
        caption += (
            f"Training used {vary} up to {trained} (dashed line); larger values test "
            "generalisation. "
        )
    caption += _paper_figure(experiment.task_name, "eval")
    return _Figure(name, f"Test metrics against {vary}", caption, f"test metrics against {vary}")


def _paper_figure(task_name: str, kind: str) -> str:
    figure = _PAPER_FIGURES.get((task_name, kind))
    return f"Paper: {_PAPER}, {figure}." if figure else ""


def _metric_by_value(metrics: dict[str, Any], metric: str) -> list[tuple[float, float]]:
    """``{"bits_wrong@10": 0.1, ...}`` -> [(10, 0.1), ...] sorted by value."""
    found = []
    for key, value in metrics.items():
        head, _, tail = key.partition("@")
        if head == metric and tail:
            try:
                found.append((float(tail), float(value)))
            except ValueError:
                continue
    return sorted(found)


def _training_max(task: Any, vary: str) -> Any:
    """The largest training value of the varied keyword (``max_length`` for ``length``...)."""
    config = getattr(task, "config", None)
    for name in (f"max_{vary}", f"max_{vary.removeprefix('num_')}"):
        if hasattr(config, name):
            return getattr(config, name)
    return None


# --- the page -----------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 2em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { max-width: 60em; font-size: 0.95em; }
.note { color: #666; }
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    parts = ["<table>"]
    if header:
        parts.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i == 0:
                cells.append(f"<th>{_e(cell)}</th>")
            elif isinstance(cell, float):
                cells.append(f'<td class="num">{_e(f"{cell:.4g}")}</td>')
            else:
                cells.append(f"<td>{_e(cell)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _settings(section: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in section.items() if k != "name")


def _page(
    experiment: Any,
    ckpt: dict[str, Any],
    runs: list[_Run],
    figures: list[_Figure],
    notes: list[str],
) -> str:
    run = runs[0]
    config = experiment.to_dict()
    step = int(ckpt["step"])
    info: list[tuple[str, Any]] = [
        ("run folder", str(run.path)),
        ("model", f"{experiment.model_name}: {_settings(config['model'])}"),
        ("task", f"{experiment.task_name}: {_settings(config['task'])}"),
        ("checkpoint step", step),
        ("sequences seen", step * experiment.train.batch_size),
        ("training time", f"{float(ckpt.get('elapsed', 0.0)) / 60:.1f} min"),
        ("seed", ckpt.get("seed", "?")),
    ]
    if run.evaluation and "stop" in run.evaluation:
        info.append(("training stopped by", run.evaluation["stop"]))
    if len(runs) > 1:
        info.append(("compared with", ", ".join(f"{r.label} ({r.path})" for r in runs[1:])))

    body = [f"<h1>{_e(experiment.name)}</h1>"]
    if experiment.description:
        body.append(f"<p>{_e(experiment.description)}</p>")
    body.append(_table(info))

    body.append("<h2>Paper reference</h2>")
    if experiment.paper:
        body.append(_table(list(experiment.paper.items())))
    else:
        body.append('<p class="note">The experiment names no [paper] reference.</p>')

    body.append(f"<h2>Test metrics ({_e(EVAL_NAME)})</h2>")
    evaluated = [r for r in runs if r.evaluation is not None]
    if evaluated:
        keys: list[str] = []
        for r in evaluated:
            keys += [k for k in r.evaluation.get("metrics", {}) if k not in keys]
        rows = [
            [k, *[_number(r.evaluation.get("metrics", {}).get(k)) for r in evaluated]] for k in keys
        ]
        body.append(_table(rows, header=["metric", *[r.label for r in evaluated]]))
        body.append(
            f'<p class="note">Means per sequence over {experiment.eval.sequences} fresh '
            f"test sequences per setting (seed {experiment.eval.seed}); "
            f"<code>metric@v</code> is at {_e(experiment.eval.vary or 'setting')} v.</p>"
        )
    else:
        body.append(
            f'<p class="note">No {_e(EVAL_NAME)} in {_e(run.path)}: the run is still '
            "training or was interrupted (<code>attnmem train</code> writes it when "
            "training ends; <code>attnmem eval</code> prints the same metrics).</p>"
        )

    body.append("<h2>Figures</h2>")
    for i, fig in enumerate(figures, start=1):
        body.append(
            f'<figure id="fig{i}"><img src="{_e(fig.file)}" alt="{_e(fig.alt or fig.title)}">'
            f"<figcaption><b>Figure {i}. {_e(fig.title)}.</b> {_e(fig.caption)}</figcaption>"
            "</figure>"
        )
    if notes:
        body.append("<h2>Notes</h2><ul>")
        body += [f"<li>{_e(line)}</li>" for line in notes]
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>attnmem report: {_e(experiment.name)}</title>\n<style>{_STYLE}</style>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _number(x: Any) -> Any:
    """A metric value for the table: numbers as float (formatted there), missing as blank."""
    if x is None:
        return ""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x


# --- DNC ----------------------------------------------------------------------------------


def _dnc_memory_use(out: Path, experiment: Any, examples: list[_Example]) -> list[_Figure]:
    """The DNC's memory-use figure for models whose trace has read modes and usage."""
    needed = {"read_weights", "write_weights", "read_modes", "usage"}
    if not needed <= set(examples[0].trace.steps):
        return []
    from attnmem.viz.dnc import memory_use_figure

    figures = []
    for ex in _weighting_examples(experiment, examples):
        tr = ex.trace
        write, read = tr["write_weights"][0, :, 0], tr["read_weights"][0]  # (T, N), (T, R, N)
        rows = used_rows(torch.cat([write.unsqueeze(1), read], 1).transpose(0, 1))
        phase = int(torch.nonzero(ex.batch.mask[0] > 0)[0, 0])
        slug = "_".join(f"{k}{v}" for k, v in ex.setting.items()) or "train"
        name = _save(
            memory_use_figure(
                write,
                read,
                tr["read_modes"][0],
                tr["usage"][0],
                write_gate=_first(tr, "write_gate"),
                allocation_gate=_first(tr, "allocation_gate"),
                free_gates=_first(tr, "free_gates"),
                rows=rows,
                phase_start=phase,
                title=f"{experiment.name}: DNC memory use, {ex.label}",
            ),
            out,
            f"memory_use_{slug}.png",
        )
        n = write.shape[-1]
        crop = (
            f"All {n} memory rows are shown."
            if len(rows) == n
            else f"Memory rows cropped to the {len(rows)} of {n} that some head weighted by more "
            f"than {WEIGHT_THRESHOLD} (plus {ROW_MARGIN} either side)."
        )
        caption = (
            f"DNC memory use on the {ex.label} example: the write weighting, the read "
            "weightings (all read heads summed) and the usage of each row over time (white = "
            "1), then each read head's read modes (backward, content, forward; they sum to 1) "
            f"and the write, allocation and free gates. {crop} The dashed red line marks the "
            "first scored step. Paper: Graves et al. 2016 (Nature), Fig. 1 (right) and the "
            "memory-use panels of Fig. 3."
        )
        figures.append(
            _Figure(name, f"DNC memory use, {ex.label}", caption, "DNC memory use over time")
        )
    return figures


def _first(trace: Trace, name: str) -> torch.Tensor | None:
    """Batch item 0 of a per-step tensor of the trace, None if the trace lacks it."""
    return trace[name][0] if name in trace.steps else None
