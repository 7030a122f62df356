"""Side layer: figures of what networks attend to, and the HTML run report.

``attnmem.viz.plots`` draws the NTM paper's figures from plain arrays (each
function returns a ``matplotlib.figure.Figure`` on the Agg canvas, no display
needed); ``attnmem.viz.report.make_report(run_dir)`` picks the data of a run
folder and writes ``report/index.html`` with them. Neither module touches model
attributes: per-step attention comes from ``model.trace(x) -> Trace``.
"""

from attnmem.viz.plots import (
    eval_metrics_figure,
    learning_curves_figure,
    sequences_figure,
    used_rows,
    weightings_figure,
)
from attnmem.viz.report import make_report

__all__ = [
    "eval_metrics_figure",
    "learning_curves_figure",
    "make_report",
    "sequences_figure",
    "used_rows",
    "weightings_figure",
]
