"""The DNC's memory-use figure (Graves et al. 2016, Nature, Fig. 1 right / Fig. 3 style).

``memory_use_figure`` draws, from one ``DNC.trace``: the write weighting and the
read weightings over time (location on y, time on x), the usage of every row,
each read head's read modes (backward / content / forward) and the write,
allocation and free gates. Arrays may be numpy or torch.

Shapes: ``T`` time steps, ``N`` memory rows, ``R`` read heads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from attnmem.viz.plots import _WEIGHT_CMAP, _WIDTH, _array, _figure

MODE_NAMES = ("backward", "content", "forward")
_MODE_COLORS = ("tab:blue", "tab:gray", "tab:orange")


def memory_use_figure(
    write_weights: Any,
    read_weights: Any,
    read_modes: Any,
    usage: Any,
    *,
    write_gate: Any = None,
    allocation_gate: Any = None,
    free_gates: Any = None,
    rows: Sequence[int] | None = None,
    phase_start: int | None = None,
    title: str = "DNC memory use",
) -> Figure:
    """Write / read weightings, usage, read modes and gates of one DNC run over time.

    write_weights (T, N); read_weights (T, R, N) (the heads are summed in the heatmap,
    clipped to 1); read_modes (T, R, 3) backward, content, forward; usage (T, N);
    write_gate, allocation_gate (T,) and free_gates (T, R), optional.
    rows: memory rows to show, in order (default all); phase_start: a step to mark.
    """
    write, read, modes, use = (_array(x) for x in (write_weights, read_weights, read_modes, usage))
    if write.ndim != 2 or use.shape != write.shape:
        raise ValueError(
            f"write_weights and usage must both be (T, N), got {write.shape} and {use.shape}"
        )
    if read.ndim != 3 or modes.ndim != 3 or modes.shape[-1] != 3:
        raise ValueError(
            f"read_weights must be (T, R, N) and read_modes (T, R, 3), got {read.shape} "
            f"and {modes.shape}"
        )
    steps, n = write.shape
    heads = read.shape[1]
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=int)
    gates = [
        (name, _array(g))
        for name, g in (
            ("write gate", write_gate),
            ("allocation gate", allocation_gate),
        )
        if g is not None
    ]
    if free_gates is not None:
        free = _array(free_gates)
        gates += [(f"free gate {h}", free[:, h]) for h in range(free.shape[1])]
    height = min(9.0, max(4.5, 0.08 * len(rows) + 2.0 + 1.2 * (heads + bool(gates))))
    fig = _figure(_WIDTH, height)
    lower = heads + bool(gates)  # one strip per head's read modes, one for the gates
    grid = fig.add_gridspec(1 + lower, 3, height_ratios=[3] + [1] * lower)
    extent = (-0.5, steps - 0.5, len(rows) - 0.5, -0.5)
    heat = [
        ("write weighting", write),
        ("read weightings" + (" (all heads)" if heads > 1 else ""), np.minimum(read.sum(1), 1)),
        ("usage", use),
    ]
    image = ax = first = None
    for col, (name, w) in enumerate(heat):
        ax = fig.add_subplot(grid[0, col], sharey=first)
        first = first or ax
        image = ax.imshow(
            w[:, rows].T,
            cmap=_WEIGHT_CMAP,
            vmin=0.0,
            vmax=1.0,
            aspect="auto",
            interpolation="nearest",
            extent=extent,
        )
        _mark(ax, phase_start)
        ax.set_title(name)
        ax.set_xlabel("time step")
        if col == 0:
            every = max(1, int(np.ceil(len(rows) / 10)))
            ticks = list(range(0, len(rows), every))
            ax.set_yticks(ticks, [str(rows[i]) for i in ticks])
            ax.set_ylabel("memory row")
        else:
            ax.tick_params(labelleft=False)
    fig.colorbar(image, ax=ax, shrink=0.8, pad=0.01, label="weight")
    t = np.arange(steps)
    for h in range(heads):
        ax = fig.add_subplot(grid[1 + h, :])
        ax.stackplot(t, modes[:, h].T, labels=MODE_NAMES, colors=_MODE_COLORS, alpha=0.85)
        _mark(ax, phase_start)
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"read modes\nhead {h}")
        if h == 0:
            ax.legend(loc="upper left", ncol=3, fontsize="small", framealpha=0.8)
    if gates:
        ax = fig.add_subplot(grid[1 + heads, :])
        for name, g in gates:
            ax.plot(t, g, label=name, linewidth=1.2)
        _mark(ax, phase_start)
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel("gates")
        ax.set_xlabel("time step")
        ax.legend(loc="upper left", ncol=len(gates), fontsize="small", framealpha=0.8)
    fig.suptitle(title)
    return fig


def _mark(ax: Any, phase_start: int | None) -> None:
    if phase_start is not None:
        ax.axvline(phase_start - 0.5, color="tab:red", linestyle="--", linewidth=1)
