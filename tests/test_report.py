"""Tests for ``attnmem.viz``: the plotting functions and the HTML run report."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from attnmem.experiments import load_experiment
from attnmem.runs import EVAL_NAME, train_run
from attnmem.viz.plots import (
    eval_metrics_figure,
    learning_curves_figure,
    sequences_figure,
    used_rows,
    weightings_figure,
)
from attnmem.viz.report import make_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = [
    "train.steps=20",
    "train.log_every=10",
    "train.checkpoint_every=20",
    "eval.sequences=20",
    "eval.values=[10, 20]",
    "train.max_minutes=0",
    "train.threads=1",  # tiny tensors: one thread is ~10x faster than two on a busy machine
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny real runs (a few seconds): an NTM and an LSTM on copy."""
    root = tmp_path_factory.mktemp("runs")
    ntm = load_experiment("ntm-copy", [*TINY, "model.memory_rows=32", "model.controller_size=32"])
    lstm = load_experiment("lstm-copy", [*TINY, "model.hidden_size=16", "model.layers=1"])
    train_run(ntm, root / "ntm", seed=0, progress=False)
    train_run(lstm, root / "lstm", seed=0, progress=False)
    return {"ntm": root / "ntm", "lstm": root / "lstm"}


def images(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


def check_images(out: Path, page: str) -> list[str]:
    """Every image the page shows is a PNG file beside it; returns their names."""
    names = images(page)
    assert names
    for name in names:
        assert "/" not in name  # relative to the page, so the folder can be moved
        assert (out / name).read_bytes()[:8] == PNG_MAGIC, name
    return names


# --- the report ---------------------------------------------------------------------------


def test_report_of_ntm_compared_with_lstm(runs: dict[str, Path]) -> None:
    out = make_report(runs["ntm"], compare=[runs["lstm"]])
    assert out == runs["ntm"] / "report"
    page = (out / "index.html").read_text()
    names = check_images(out, page)
    assert "targets_outputs.png" in names
    assert "learning_curves.png" in names
    assert "eval_metrics.png" in names
    # Copy: the length-20 example and the longest that fits 32 memory rows (30).
    assert {"weightings_length20.png", "weightings_length30.png"} <= set(names)
    assert "Lengths 50, 120 are left out" in page  # longer than the 32 memory rows
    # The test metrics of both runs, by name, and the paper's reference, escaped.
    metrics = json.loads((runs["ntm"] / EVAL_NAME).read_text())["metrics"]
    for name in ("bits_wrong", "cost_bits", "bits_wrong@10", "bits_wrong@20", "cost_bits@20"):
        assert name in metrics
        assert f"<th>{name}</th>" in page
    assert "ntm-copy (ntm)" in page and "lstm-copy (lstm)" in page
    paper = load_experiment("ntm-copy").paper
    assert html.escape(paper["source"]) in page and "&amp;" in page
    # An untrained head spreads its weight over every row; the crop is tested below.
    assert "cropped to memory rows" in page or "All 32 memory rows are shown" in page


def test_report_of_lstm_alone_has_no_weightings(runs: dict[str, Path], tmp_path: Path) -> None:
    out = make_report(runs["lstm"], out_dir=tmp_path / "report")
    assert out == tmp_path / "report"
    page = (out / "index.html").read_text()
    names = check_images(out, page)
    assert not any(n.startswith("weightings") for n in names)
    assert "No weighting figure" in page
    # No memory to outgrow: every length of the paper's Fig. 4 is shown.
    assert "left out" not in page
    assert "<th>bits_wrong@10</th>" in page


def test_report_is_reproducible_and_survives_a_missing_eval(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    first = make_report(runs["ntm"], out_dir=tmp_path / "a")
    (tmp_path / "a" / "index.html").rename(tmp_path / "first.html")
    # A run still training has no eval.json yet.
    run = tmp_path / "run"
    run.mkdir()
    for name in ("checkpoint.pt", "metrics.jsonl"):
        (run / name).write_bytes((runs["ntm"] / name).read_bytes())
    out = make_report(run, out_dir=tmp_path / "b")
    page = (out / "index.html").read_text()
    assert "No eval.json" in page
    assert "eval_metrics.png" not in images(page)
    # Same checkpoint, same examples: the same figures.
    for name in ("targets_outputs.png", "weightings_length20.png"):
        assert (first / name).read_bytes() == (out / name).read_bytes()


# --- the plotting functions ---------------------------------------------------------------


def test_used_rows_crops_to_the_used_window_with_a_margin() -> None:
    w = torch.zeros(6, 32)  # (T, N)
    w[torch.arange(6), torch.arange(10, 16)] = 1.0  # a head moving one row per step
    np.testing.assert_array_equal(used_rows(w, margin=2), np.arange(8, 18))


def test_used_rows_wraps_around_circular_memory() -> None:
    w = np.zeros((2, 5, 10))  # (K, T, N): two heads
    w[0, :, 9] = 1.0
    w[1, :, 1] = 0.5
    np.testing.assert_array_equal(used_rows(w, margin=1), [8, 9, 0, 1, 2])
    assert len(used_rows(np.zeros((3, 10)))) == 10  # nothing used: show everything
    assert len(used_rows(np.full((3, 10), 0.1))) == 10


def test_plots_return_labelled_figures() -> None:
    seq = {"targets": torch.ones(4, 3), "outputs": torch.rand(4, 3)}
    figs = [
        sequences_figure([("length 4", seq), ("length 2", {"targets": np.zeros((2, 3))})]),
        weightings_figure(torch.eye(5), torch.eye(5), rows=[3, 4, 0], phase_start=2),
        learning_curves_figure([("run", [1, 2, 3], [3.0, 2.0, 0.0])], optimal=1.5),
        eval_metrics_figure([("bits_wrong", [("run", [10, 20], [0.0, 1.0])])], xlabel="length"),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        assert fig.get_suptitle() or fig.axes[0].get_title()
        assert any(ax.get_xlabel() for ax in fig.axes)
    weights_ax = figs[1].axes[0]
    assert [t.get_text() for t in weights_ax.get_yticklabels()] == [
        "3",
        "4",
        "0",
    ]  # true row numbers
    with pytest.raises(ValueError, match="expected a \\(T, C\\) array"):
        sequences_figure([("bad", {"targets": np.zeros(3)})])
