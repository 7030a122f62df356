"""What a memory network attends to on bAbI: the hop-attention tables of the MemN2N
paper (Sukhbaatar et al. 2015, Fig. 2) and of the lecture slides.

For chosen test stories, each table row is a sentence of the memory, marked when it
is a supporting fact, with its attention at hop 1..K, under the question, the
answer and the model's prediction. :func:`story_tables` computes them from a model
and a :class:`~attnmem.tasks.babi_qa.BabiQATask`; :func:`table_text`,
:func:`table_html` and :func:`attention_figure` draw them; :func:`make_babi_report`
is what ``attnmem report RUN`` writes for a bAbI run (``viz.report`` dispatches here).
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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from attnmem.runs import EVAL_NAME, read_metrics
from attnmem.viz.html import paper_reference
from attnmem.viz.plots import learning_curves_figure

# Tasks whose stories the report shows first (those of the paper's Fig. 2 and the slides).
SHOWN_TASKS = (1, 2, 3, 15, 16, 19)
MAX_SENTENCES = 12  # stories shown have at most this many memories, so tables stay readable
STORIES_PER_TASK_ALONE = 3  # a per-task run shows this many stories of its task
_DPI = 110


@dataclass(frozen=True)
class StoryTable:
    """One test question and what the model attended to.

    task:       bAbI task id
    index:      the question's index in the task's test split
    sentences:  the memory's sentences, oldest first (as text)
    supporting: per sentence, whether it is a supporting fact
    attention:  (len(sentences), K) attention at each hop
    question, answer, prediction: text; confidence: the predicted word's probability
    scores:     (len(sentences), K) each sentence's score at each hop, for models whose
                attention is hard (MemNN's ``hop_scores``: the fraction of the other
                memories it is preferred to); None when the trace has none
    """

    task: int
    index: int
    sentences: list[str]
    supporting: list[bool]
    attention: np.ndarray
    question: str
    answer: str
    prediction: str
    confidence: float
    scores: np.ndarray | None = None

    @property
    def correct(self) -> bool:
        return self.prediction == self.answer


def choose_stories(task: Any, tasks: Sequence[int] | None = None, per_task: int = 1) -> list[int]:
    """Indices into ``task.data.test``: the first ``per_task`` questions (with at most
    ``MAX_SENTENCES`` memories) of each of ``tasks`` (default: ``SHOWN_TASKS`` that were
    trained, else the first trained tasks)."""
    trained = list(task.config.tasks)
    if tasks is None:
        tasks = [t for t in SHOWN_TASKS if t in trained] or trained[:4]
    split = task.data.test
    chosen = []
    for t in tasks:
        found = 0
        for i in (split.task == t).nonzero().flatten().tolist():
            if int(split.memory_mask[i].sum()) <= MAX_SENTENCES:
                chosen.append(i)
                found += 1
                if found == per_task:
                    break
    return chosen


@torch.no_grad()
def story_tables(model: Any, task: Any, indices: Iterable[int]) -> list[StoryTable]:
    """The attention table of each test question ``indices`` (see :class:`StoryTable`)."""
    split, vocab = task.data.test, task.vocab
    tables = []
    for i in indices:
        batch = split.batch(torch.tensor([i]))
        trace = model.trace(batch.inputs)
        probs = torch.softmax(trace.outputs[0].float(), -1)  # (V,)
        attention = trace["hop_attention"][0]  # (K, N)
        mask = batch.inputs.memory_mask[0]  # (N,)
        slots = mask.nonzero().flatten().tolist()
        story = split.stories[i]
        kept = story.sentences[len(story.sentences) - len(slots) :]
        support = set(batch.supporting[0].tolist()) - {-1}
        prediction = int(probs.argmax())
        scores = trace.steps.get("hop_scores")  # (1, K, N) where attention is hard
        tables.append(
            StoryTable(
                task=int(split.task[i]),
                index=i,
                sentences=[" ".join(s) for s in kept],
                supporting=[slot in support for slot in slots],
                attention=attention[:, slots].T.numpy().astype(float),
                question=" ".join(story.question),
                answer=story.answer_token,
                prediction=vocab.itos[prediction],
                confidence=float(probs[prediction]),
                scores=None if scores is None else scores[0][:, slots].T.numpy().astype(float),
            )
        )
    return tables


def table_text(table: StoryTable) -> str:
    """The table as plain text (``*`` marks supporting facts)."""
    K = table.attention.shape[1]
    width = max(len(s) for s in [*table.sentences, "sentence"])
    scores = table.scores if table.scores is not None else np.zeros((len(table.sentences), 0))
    header = [f"hop {k + 1}" for k in range(K)] + [f"score {k + 1}" for k in range(scores.shape[1])]
    lines = [
        f"task {table.task}, test question {table.index}",
        f"  {'sentence':<{width}}  sup  " + "  ".join(f"{h:>5}" for h in header),
    ]
    rows = zip(table.sentences, table.supporting, table.attention, scores, strict=True)
    for s, sup, row, score in rows:
        cells = [f"{p:5.2f}" for p in row] + [f"{x:7.2f}" for x in score]
        lines.append(f"  {s:<{width}}  {'*' if sup else ' ':^3}  " + "  ".join(cells))
    mark = "right" if table.correct else "WRONG"
    lines.append(
        f"  question: {table.question}?  answer: {table.answer}  "
        f"prediction: {table.prediction} ({table.confidence:.2f}, {mark})"
    )
    return "\n".join(lines)


def table_html(table: StoryTable) -> str:
    """The table as HTML: attention shaded (darker = more), supporting facts in bold."""
    K = table.attention.shape[1]
    scores = table.scores if table.scores is not None else np.zeros((len(table.sentences), 0))
    rows = [
        "<table>",
        "<tr><th>sentence</th><th>support</th>"
        + "".join(f"<th>hop {k + 1}</th>" for k in range(K))
        + "".join(f"<th>score {k + 1}</th>" for k in range(scores.shape[1]))
        + "</tr>",
    ]
    lines = zip(table.sentences, table.supporting, table.attention, scores, strict=True)
    for s, sup, row, score in lines:
        text = f"<b>{html.escape(s)}</b>" if sup else html.escape(s)
        cells = "".join(
            f'<td class="num" style="background: rgba(200, 40, 40, {min(max(p, 0.0), 1.0):.2f})">'
            f"{p:.2f}</td>"
            for p in row
        )
        cells += "".join(f'<td class="num">{x:.2f}</td>' for x in score)
        rows.append(f"<tr><td>{text}</td><td>{'yes' if sup else ''}</td>{cells}</tr>")
    mark = "right" if table.correct else "wrong"
    rows.append(
        f'<tr><td colspan="{K + 2 + scores.shape[1]}">question: <b>{html.escape(table.question)}?</b> '
        f"answer: <b>{html.escape(table.answer)}</b> prediction: "
        f"<b>{html.escape(table.prediction)}</b> ({table.confidence:.2f}, {mark})</td></tr>"
    )
    rows.append("</table>")
    return "\n".join(rows)


def attention_figure(tables: Sequence[StoryTable]) -> Figure:
    """One panel per story: sentences (rows, supporting facts starred) x hops (columns),
    the attention as grey levels (black = 1), the question and prediction as title."""
    heights = [max(len(t.sentences), 1) * 0.32 + 1.0 for t in tables]
    fig = Figure(figsize=(9.0, sum(heights)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(tables), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, t in zip(axes, tables, strict=True):
        ax.imshow(t.attention, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_yticks(range(len(t.sentences)))
        starred = zip(t.sentences, t.supporting, strict=True)
        ax.set_yticklabels([("* " if s else "") + x for x, s in starred])
        K = t.attention.shape[1]
        ax.set_xticks(range(K))
        ax.set_xticklabels([f"hop {k + 1}" for k in range(K)])
        ax.xaxis.tick_top()
        for (r, k), p in np.ndenumerate(t.attention):
            ax.text(k, r, f"{p:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if p > 0.5 else "black")  # fmt: skip
        ax.set_xlabel(
            f"task {t.task}: {t.question}?  answer {t.answer}, predicted {t.prediction} "
            f"({t.confidence:.2f})",
            fontsize=9,
        )
    fig.tight_layout()
    return fig


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure img { max-width: 100%; }
"""


def make_babi_report(
    run_dir: str | os.PathLike,
    out: Path,
    experiment: Any,
    model: Any,
    task: Any,
    ckpt: dict[str, Any],
    *,
    compare: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write ``stories.txt``, ``attention.png``, ``learning_curves.png`` and ``index.html``
    for a bAbI run into ``out``; returns ``out``."""
    run_dir = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    alone = len(task.config.tasks) == 1
    indices = choose_stories(task, per_task=STORIES_PER_TASK_ALONE if alone else 1)
    tables = story_tables(model, task, indices)
    (out / "stories.txt").write_text("\n\n".join(table_text(t) for t in tables) + "\n")
    fig = attention_figure(tables)
    fig.savefig(out / "attention.png", dpi=_DPI)
    curves = []
    for path in [run_dir, *map(Path, compare)]:
        records = read_metrics(path)
        if records:
            x = np.array([r["sequences"] for r in records], dtype=float)
            curves.append((path.name, x, np.array([r["loss"] for r in records], dtype=float)))
    body = [
        f"<h1>{html.escape(experiment.name)}</h1>",
        f"<p>{html.escape(experiment.description)}</p>",
    ]
    body.append(
        f"<p>run {html.escape(str(run_dir))}, step {int(ckpt['step'])}, seed "
        f"{ckpt.get('seed', '?')}, {float(ckpt.get('elapsed', 0.0)) / 60:.1f} min training</p>"
    )
    body += paper_reference(experiment.paper)
    eval_path = run_dir / EVAL_NAME
    if eval_path.exists():
        metrics = json.loads(eval_path.read_text()).get("metrics", {})
        body.append("<h2>Test error per task (eval.json)</h2><table>")
        body.append("<tr><th>task</th><th>test error</th><th>validation error</th></tr>")
        for t in task.config.tasks:
            body.append(
                f"<tr><td>{t}</td><td class='num'>{metrics.get(f'error@qa{t}', float('nan')):.3f}"
                f"</td><td class='num'>{metrics.get(f'valid_error@qa{t}', float('nan')):.3f}"
                "</td></tr>"
            )
        body.append(
            f"<tr><th>mean</th><td class='num'>{metrics.get('mean_error', float('nan')):.3f}</td>"
            f"<td class='num'>{metrics.get('valid_error', float('nan')):.3f}</td></tr>"
            f"<tr><th>failed (&gt; 5%)</th><td class='num'>"
            f"{metrics.get('failed_tasks', float('nan')):.0f}</td><td></td></tr></table>"
        )
    body.append(
        "<h2>Hop attention on test stories</h2><p>Each sentence of the memory (supporting "
        "facts in bold), its attention at every hop, the question, the answer and the "
        "prediction (Sukhbaatar et al. 2015, Fig. 2).</p>"
    )
    if any(t.scores is not None for t in tables):
        body.append(
            "<p>The attention is hard here: a hop's column is 1 at the memory it retrieved; "
            "the score columns show how each memory fared at that hop (for MemNN, the "
            "fraction of the other memories its write-time score s<sub>Ot</sub> prefers "
            "it to).</p>"
        )
    body += [table_html(t) for t in tables]
    body.append('<figure><img src="attention.png" alt="hop attention"></figure>')
    if curves:
        fig = learning_curves_figure(curves, ylabel="training loss", title="Learning curves")
        fig.savefig(out / "learning_curves.png", dpi=_DPI)
        body.append(
            '<h2>Learning curve</h2><figure><img src="learning_curves.png" '
            'alt="learning curves"><figcaption>Training cross-entropy against questions '
            "seen.</figcaption></figure>"
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>attnmem report: {html.escape(experiment.name)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    return out
