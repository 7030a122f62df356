"""What a (Universal) Transformer attends to on bAbI, and how long it ponders.

- :func:`heads_figure`: for one test story, the question's attention over the story
  sentences for every head (columns) at every layer or recurrent step (panels), as in the
  Universal Transformer paper's bAbI attention visualisations (Dehghani et al. 2018, app.).
- :func:`ponder_figure`: with ACT, the ponder time (steps + remainder) of every sentence
  of a story, like the lecture's "Where was the apple before the bathroom?" figure.

:func:`story_views` computes both from a model's ``trace`` (``steps["attention"]``
(B, L, H, T, T), ``steps["ponder_time"]`` (B, T)); :func:`make_transformer_report` is what
``attnmem report RUN`` writes for these models (``viz.report`` dispatches here).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from attnmem.runs import EVAL_NAME, read_metrics
from attnmem.viz.babi import _STYLE, choose_stories
from attnmem.viz.html import paper_reference
from attnmem.viz.plots import learning_curves_figure

PONDER_QUESTION = "Where was the apple before the bathroom"  # the lecture's example (task 3)
MAX_PONDER_SENTENCES = 20
_DPI = 110


@dataclass(frozen=True)
class StoryView:
    """One test question through the model.

    sentences:  the story's sentences in memory, oldest first (text)
    supporting: per sentence, whether it is a supporting fact
    attention:  (L, H, n) the question's attention over the n sentences, per layer/step
                and head
    ponder:     (n + 1,) ponder time of each sentence and (last) the question, or None
    question, answer, prediction: text
    """

    task: int
    index: int
    sentences: list[str]
    supporting: list[bool]
    attention: np.ndarray
    ponder: np.ndarray | None
    question: str
    answer: str
    prediction: str


@torch.no_grad()
def story_views(model: Any, task: Any, indices: Iterable[int]) -> list[StoryView]:
    """A :class:`StoryView` of each test question in ``indices``."""
    split, vocab = task.data.test, task.vocab
    model.eval()
    views = []
    for i in indices:
        batch = split.batch(torch.tensor([i]))
        trace = model.trace(batch.inputs)
        slots = batch.inputs.memory_mask[0].nonzero().flatten().tolist()
        story = split.stories[i]
        attention = trace["attention"][0, :, :, -1]  # (L, H, T) the question's row
        ponder = None
        if "update_weights" in trace.steps:  # ACT: ponder times vary per position
            ponder = trace["ponder_time"][0, [*slots, -1]].numpy().astype(float)
        support = set(batch.supporting[0].tolist()) - {-1}
        views.append(
            StoryView(
                task=int(split.task[i]),
                index=i,
                sentences=[
                    " ".join(s) for s in story.sentences[len(story.sentences) - len(slots) :]
                ],
                supporting=[s in support for s in slots],
                attention=attention[:, :, slots].numpy().astype(float),
                ponder=ponder,
                question=" ".join(story.question),
                answer=story.answer_token,
                prediction=vocab.itos[int(trace.outputs[0].argmax())],
            )
        )
    return views


def ponder_story(task: Any) -> int | None:
    """Index of the lecture's story ("Where was the apple before the bathroom?", task 3)
    in the test split if trained, else of the first task-3 story (or of any trained task)
    with at most ``MAX_PONDER_SENTENCES`` sentences."""
    split = task.data.test
    fallback = None
    for i, story in enumerate(split.stories):
        if int(split.memory_mask[i].sum()) > MAX_PONDER_SENTENCES:
            continue
        if " ".join(story.question) == PONDER_QUESTION:
            return i
        if fallback is None or (int(split.task[fallback]) != 3 and int(split.task[i]) == 3):
            fallback = i
    return fallback


def _labels(view: StoryView) -> list[str]:
    return [("* " if s else "") + x for x, s in zip(view.sentences, view.supporting, strict=True)]


def heads_figure(view: StoryView, *, layer_name: str = "layer") -> Figure:
    """One panel per layer (or step): sentences (rows, supporting facts starred) x heads,
    the question's attention as grey levels (black = 1)."""
    L, H, n = view.attention.shape
    fig = Figure(figsize=(3.0 + 1.1 * L * max(H, 2) * 0.5, 0.32 * n + 1.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, L, squeeze=False, sharey=True)[0]
    for layer, ax in enumerate(axes):
        ax.imshow(view.attention[layer].T, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(H))
        ax.set_xticklabels([f"h{h + 1}" for h in range(H)], fontsize=7)
        ax.set_title(f"{layer_name} {layer + 1}", fontsize=8)
        if layer == 0:
            ax.set_yticks(range(n))
            ax.set_yticklabels(_labels(view), fontsize=7)
    fig.suptitle(
        f"task {view.task}: {view.question}?  answer {view.answer}, predicted {view.prediction}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def ponder_figure(view: StoryView) -> Figure:
    """Ponder time (steps + remainder) per sentence and for the question, as bars."""
    if view.ponder is None:
        raise ValueError("view.ponder is None: the model has no ACT")
    labels = [*_labels(view), f"Q: {view.question}?"]
    fig = Figure(figsize=(8.0, 0.3 * len(labels) + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    y = np.arange(len(labels))
    colours = ["#c33" if s else "#888" for s in view.supporting] + ["#36c"]
    ax.barh(y, view.ponder, color=colours)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ponder time (steps + remainder); red: supporting facts, blue: question")
    ax.set_title(f"task {view.task}: answer {view.answer}, predicted {view.prediction}", fontsize=9)
    fig.tight_layout()
    return fig


def make_transformer_report(
    run_dir: str | os.PathLike,
    out: Path,
    experiment: Any,
    model: Any,
    task: Any,
    ckpt: dict[str, Any],
    *,
    compare: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write ``heads_*.png``, ``ponder.png`` (ACT), ``learning_curves.png`` and
    ``index.html`` for a Transformer / Universal Transformer bAbI run; returns ``out``."""
    run_dir = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    layer_name = "layer" if experiment.model_name == "transformer" else "step"
    body = [
        f"<h1>{html.escape(experiment.name)}</h1>",
        f"<p>{html.escape(experiment.description)}</p>",
        f"<p>run {html.escape(str(run_dir))}, step {int(ckpt['step'])}, seed "
        f"{ckpt.get('seed', '?')}, {float(ckpt.get('cpu_elapsed', 0.0)) / 60:.1f} CPU min</p>",
    ]
    body += paper_reference(experiment.paper)
    eval_path = run_dir / EVAL_NAME
    if eval_path.exists():
        metrics = json.loads(eval_path.read_text()).get("metrics", {})
        rows = "".join(
            f"<tr><td>{t}</td><td class='num'>{metrics.get(f'error@qa{t}', float('nan')):.3f}"
            "</td></tr>"
            for t in task.config.tasks
        )
        body.append(
            "<h2>Test error per task (eval.json)</h2><table><tr><th>task</th><th>test error"
            f"</th></tr>{rows}<tr><th>mean</th><td class='num'>"
            f"{metrics.get('mean_error', float('nan')):.3f}</td></tr><tr><th>failed</th>"
            f"<td class='num'>{metrics.get('failed_tasks', float('nan')):.0f}</td></tr></table>"
        )
    views = story_views(model, task, choose_stories(task))
    body.append(
        f"<h2>Attention heads per {layer_name}</h2><p>The question's attention over the "
        f"story sentences, every head (columns) at every {layer_name}; supporting facts "
        "starred.</p>"
    )
    for k, view in enumerate(views):
        heads_figure(view, layer_name=layer_name).savefig(out / f"heads_{k}.png", dpi=_DPI)
        body.append(f'<figure><img src="heads_{k}.png" alt="attention heads"></figure>')
    index = ponder_story(task)
    if getattr(model.config, "act", False) and index is not None:
        view = story_views(model, task, [index])[0]
        ponder_figure(view).savefig(out / "ponder.png", dpi=_DPI)
        body.append(
            "<h2>Ponder time per sentence</h2><p>ACT's steps + remainder for each position "
            f"of the story of task {view.task}: <b>{html.escape(view.question)}?</b></p>"
            '<figure><img src="ponder.png" alt="ponder time"></figure>'
        )
    curves = []
    for path in [run_dir, *map(Path, compare)]:
        records = read_metrics(path)
        if records:
            x = np.array([r["sequences"] for r in records], dtype=float)
            curves.append((path.name, x, np.array([r["loss"] for r in records], dtype=float)))
    if curves:
        fig = learning_curves_figure(curves, ylabel="training loss", title="Learning curves")
        fig.savefig(out / "learning_curves.png", dpi=_DPI)
        body.append('<h2>Learning curve</h2><figure><img src="learning_curves.png"></figure>')
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>attnmem report: {html.escape(experiment.name)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    return out
