"""``attnmem bench ut-babi``: the Universal Transformer (with and without ACT) and the
Transformer on bAbI joint training, beside Dehghani et al. 2018's Table 1, over seeds.

The columns are experiments (``ut-act-babi-1k``, ``ut-babi-1k``, ``ut-act-babi-10k``,
``ut-babi-10k``, ``transformer-babi-10k``), each trained over ``--seeds`` seeds in its own
single-threaded process by :func:`attnmem.bench.babi.run_babi_benchmark` (MemN2N's bAbI
benchmark): per-task test error, mean error and failed tasks (error > 5%), best of seeds
picked by validation error (never test), and mean +/- std over seeds.
"""

from __future__ import annotations

from typing import Any

from attnmem.bench.babi import memn2n_babi_table, run_babi_benchmark

NAME = "ut-babi"
COLUMNS: dict[str, tuple[str, ...]] = {
    "ut-act-1k": ("ut-act-babi-1k",),
    "ut-1k": ("ut-babi-1k",),
    "ut-act-10k": ("ut-act-babi-10k",),
    "ut-10k": ("ut-babi-10k",),
    "transformer-10k": ("transformer-babi-10k",),
}
# Dehghani et al. 2018, Table 1 (train joint): the numbers the issue quotes.
PAPER = {
    "ut-act-1k": {"mean_error": 0.0778, "failed_tasks": 5},
    "ut-act-10k": {"mean_error": 0.0029, "failed_tasks": 0},
    "transformer-10k": {"mean_error": 0.152},
}


def run_ut_babi_benchmark(args: Any) -> dict[str, Any]:
    """Train every column over ``args.seeds`` seeds; writes ``<args.out>/results/ut-babi.json``."""
    return run_babi_benchmark(args, COLUMNS, name=NAME, paper=PAPER)


def ut_babi_table(result: dict[str, Any]) -> str:
    """The README table (the MemN2N benchmark's layout)."""
    return memn2n_babi_table(
        result, title="Universal Transformer on bAbI", setting="joint training"
    )
