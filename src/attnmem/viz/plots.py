"""Figures of the NTM paper (Graves, Wayne & Danihelka 2014) from plain arrays.

Each function takes arrays (numpy or torch, on any device) and returns a
``matplotlib.figure.Figure`` drawn on the Agg canvas. Figures are built without
``pyplot``, so nothing here opens a window or keeps figures alive in a global
registry: save one with ``fig.savefig(path)`` and drop it (or ``fig.clear()``).
In a notebook a returned figure still displays inline.

Shapes: ``T`` time steps, ``C`` channels (bits), ``N`` memory rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter, MaxNLocator

WEIGHT_THRESHOLD = 0.01  # a memory row counts as used once some step puts this much weight on it
ROW_MARGIN = 2  # unused rows kept either side of the used ones when cropping
_WIDTH = 11.0  # inches: every figure fits a page column of the HTML report
_SEQUENCE_CMAP = "magma"  # 0 black, 1 bright, as the paper's Fig. 4
_WEIGHT_CMAP = "gray"  # the paper's Fig. 6: white = weight 1


def _array(x: Any) -> np.ndarray:
    """A float numpy copy of a tensor (any device, with or without grad) or array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=float)


class _PlainLogFormatter(LogFormatter):
    """Log-axis labels as plain numbers (0.1, 1, 10, 80), not 1e-01 or 8x10^1; matplotlib's
    rules still decide which ticks get a label."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:g}" if super().__call__(x, pos) else ""


def _log_y(ax: Any) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_PlainLogFormatter())
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # render with Agg (PNG), never a GUI backend
    return fig


def sequences_figure(
    examples: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    title: str = "Targets and outputs",
    xlabel: str = "time step",
) -> Figure:
    """Bit sequences as images, one row per named array, examples stacked (paper Fig. 4).

    examples: ``(label, rows)`` pairs; ``rows`` maps a row name (``"targets"``,
        ``"outputs"``, ...) to a (T, C) array with values in [0, 1]. The rows of
        one example share its T; examples may differ in T and C.

    Time runs along x and channels (bits) along y, every example on the same
    time scale (the longest sets it), so longer sequences are visibly longer.
    """
    if not examples:
        raise ValueError("sequences_figure needs at least one example")
    panels = [(label, name, _array(a)) for label, rows in examples for name, a in rows.items()]
    for label, name, a in panels:
        if a.ndim != 2:
            raise ValueError(f"{label} {name}: expected a (T, C) array, got shape {a.shape}")
    max_t = max(a.shape[0] for _, _, a in panels)
    frame = 2.5  # inches around the images: row names, colour bar
    step_inches = min(0.3, (_WIDTH - frame) / max_t)  # about square cells
    heights = [max(0.45, min(2.0, a.shape[1] * step_inches)) for _, _, a in panels]
    width = min(_WIDTH, max(4.5, max_t * step_inches + frame))  # short sequences: a narrow figure
    fig = _figure(width, sum(heights) + 0.35 * len(examples) + 1.0)
    axes = fig.subplots(len(panels), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    image = None
    previous = None
    for ax, (label, name, a) in zip(axes, panels, strict=True):
        steps, channels = a.shape
        image = ax.imshow(
            a.T,
            cmap=_SEQUENCE_CMAP,
            vmin=0.0,
            vmax=1.0,
            aspect="auto",
            interpolation="nearest",
            extent=(-0.5, steps - 0.5, channels - 0.5, -0.5),
        )
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_yticks([])
        if label != previous:  # the example's label above its first row
            ax.set_title(label, loc="left", fontsize=9)
            previous = label
    axes[0].set_xlim(-0.5, max_t - 0.5)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel(xlabel)
    fig.colorbar(image, ax=list(axes), shrink=0.8, pad=0.01, label="bit value / P(bit = 1)")
    fig.suptitle(title)
    return fig


def used_rows(
    weights: Any, *, threshold: float = WEIGHT_THRESHOLD, margin: int = ROW_MARGIN
) -> np.ndarray:
    """Indices of the memory rows worth showing, in circular order.

    weights: (T, N) or (K, T, N) weightings (e.g. read and write stacked).
    A row is used when some step gives it more than ``threshold`` weight. Memory
    is circular (the shift wraps around), so the window is the shortest circular
    run of rows holding every used row, widened by ``margin`` rows each side;
    e.g. rows [126, 127, 0, 1, ...] for a head that starts at row 126. Returns
    all N rows in order when every row is used or none is.
    """
    w = _array(weights)
    n = w.shape[-1]
    used = w.reshape(-1, n).max(axis=0) > threshold  # (N,)
    if used.all() or not used.any():
        return np.arange(n)
    # The longest circular gap of unused rows is what we leave out.
    idx = np.flatnonzero(used)
    gaps = np.diff(np.append(idx, idx[0] + n)) - 1  # unused rows after each used row
    k = int(np.argmax(gaps))
    start, stop = idx[(k + 1) % len(idx)], idx[k]  # first and last used row of the window
    length = (stop - start) % n + 1
    keep_margin = min(margin, (n - length) // 2)
    length = min(n, length + 2 * keep_margin)
    return (start - keep_margin + np.arange(length)) % n


def weightings_figure(
    write_weights: Any,
    read_weights: Any,
    *,
    rows: Sequence[int] | None = None,
    phase_start: int | None = None,
    title: str = "Memory weightings",
) -> Figure:
    """Write and read weightings of one head over time, side by side (paper Fig. 6, bottom).

    write_weights, read_weights: (T, N) weightings ``w_t(i)`` of one write and
        one read head over T steps and N memory rows.
    rows: the memory rows to show, in display order (e.g. from :func:`used_rows`);
        default all N. The y axis is labelled with the true row indices.
    phase_start: a time step to mark with a dashed line (e.g. where the output
        phase begins).

    Location is on y and time on x, white = weight 1, so a head moving one row
    per step draws a diagonal.
    """
    panels = [
        ("write weightings", _array(write_weights)),
        ("read weightings", _array(read_weights)),
    ]
    for name, w in panels:
        if w.ndim != 2:
            raise ValueError(f"{name}: expected a (T, N) array, got shape {w.shape}")
    n = panels[0][1].shape[1]
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=int)
    steps = panels[0][1].shape[0]
    height = min(8.0, max(3.0, 0.12 * len(rows) + 1.5))
    fig = _figure(_WIDTH, height)
    axes = fig.subplots(1, 2, sharey=True)
    image = None
    for ax, (name, w) in zip(axes, panels, strict=True):
        image = ax.imshow(
            w[:, rows].T,
            cmap=_WEIGHT_CMAP,
            vmin=0.0,
            vmax=1.0,
            aspect="auto",
            interpolation="nearest",
            extent=(-0.5, w.shape[0] - 0.5, len(rows) - 0.5, -0.5),
        )
        if phase_start is not None:
            ax.axvline(phase_start - 0.5, color="tab:red", linestyle="--", linewidth=1)
        ax.set_title(name)
        ax.set_xlabel("time step")
        ax.set_xlim(-0.5, steps - 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # Ticks sit at display positions, labelled with the memory row they show: every
    # multiple of a round step, so a window that wraps around shows "..., 125, 0, 5".
    every = _round_step(len(rows) / 10)
    ticks = [i for i, row in enumerate(rows) if row % every == 0]
    axes[0].set_yticks(ticks, [str(rows[i]) for i in ticks])
    axes[0].set_ylabel("memory row (location)")
    fig.colorbar(image, ax=list(axes), shrink=0.9, pad=0.01, label="weight")
    fig.suptitle(title)
    return fig


def _round_step(x: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, 100, ... that is at least x."""
    decade = 1
    while True:
        for multiple in (1, 2, 5):
            if decade * multiple >= x:
                return decade * multiple
        decade *= 10


def learning_curves_figure(
    curves: Sequence[tuple[str, Any, Any]],
    *,
    optimal: float | None = None,
    ylabel: str = "cost per sequence (bits)",
    title: str = "Learning curves",
) -> Figure:
    """Training cost against sequences seen, log-scale y (paper Fig. 3; Fig. 13 with ``optimal``).

    curves: ``(label, sequences, cost)`` triples, two equal-length 1-d arrays each.
    optimal: a reference cost (e.g. the Bayes-optimal cost of the N-grams task),
        drawn as a dashed horizontal line.
    """
    fig = _figure(8.0, 4.5)
    ax = fig.subplots()
    for label, x, y in curves:
        x, y = _array(x), _array(y)
        keep = y > 0  # a log axis cannot show zero cost
        ax.plot(x[keep], y[keep], label=label, linewidth=1.5)
    if optimal is not None:
        ax.axhline(
            optimal,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"Bayes-optimal ({optimal:.1f} bits)",
        )
    _log_y(ax)
    ax.set_xlabel("sequences seen")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.grid(True, which="both", alpha=0.3)
    if curves or optimal is not None:
        ax.legend()
    ax.set_title(title)
    return fig


def _thousands(x: float, _: Any) -> str:
    return f"{x / 1000:g}k" if abs(x) >= 1000 else f"{x:g}"


def eval_metrics_figure(
    panels: Sequence[tuple[str, Sequence[tuple[str, Any, Any]]]],
    *,
    xlabel: str,
    trained_up_to: float | None = None,
    title: str = "Generalisation",
) -> Figure:
    """Test metrics against the varied setting (e.g. ``bits_wrong`` against sequence length).

    panels: ``(metric, series)`` pairs, one subplot each; ``series`` holds
        ``(label, values, metric_values)`` triples (e.g. one run each).
    xlabel: the varied setting, e.g. ``"length"``.
    trained_up_to: the largest value seen in training, marked with a dashed line.
    Metrics named ``cost*`` get a log-scale y; others (wrong bits) a linear one.
    """
    if not panels:
        raise ValueError("eval_metrics_figure needs at least one panel")
    fig = _figure(min(_WIDTH, 5.0 * len(panels)), 4.0)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (metric, series) in zip(axes, panels, strict=True):
        for label, x, y in series:
            ax.plot(_array(x), _array(y), marker="o", label=label)
        if trained_up_to is not None:
            ax.axvline(
                trained_up_to,
                color="gray",
                linestyle="--",
                linewidth=1,
                label=f"longest in training ({trained_up_to:g})",
            )
        if metric.startswith("cost"):
            _log_y(ax)
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{metric} per sequence")
        ax.set_title(metric)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig
