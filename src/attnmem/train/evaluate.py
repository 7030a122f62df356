"""Evaluation on fresh sequences drawn from a seed of their own."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch
from torch import nn


@torch.no_grad()
def evaluate(model: nn.Module, task: Any, eval_config: Any) -> dict[str, float]:
    """Mean task metrics over ``eval_config.sequences`` fresh sequences.

    Returns the task's metrics at its training distribution (``bits_wrong``, ...)
    and, for each value v of ``eval_config.vary``, ``<metric>@<v>`` (e.g.
    ``bits_wrong@120``: mean wrong bits per sequence of length 120). A task with
    its own ``evaluate(model, eval_config)`` (a fixed test set) is scored by it.
    """
    model.eval()
    if hasattr(task, "evaluate"):  # dataset tasks (e.g. bAbI) score their fixed test set
        return task.evaluate(model, eval_config)
    settings: list[tuple[str, dict[str, int]]] = [("", {})]
    settings += [(f"@{v}", {eval_config.vary: v}) for v in eval_config.values]
    out: dict[str, float] = {}
    for suffix, kwargs in settings:
        generator = torch.Generator().manual_seed(eval_config.seed)
        sums: dict[str, float] = defaultdict(float)
        done = 0
        while done < eval_config.sequences:
            n = min(eval_config.batch_size, eval_config.sequences - done)
            batch = task.sample(n, generator, **kwargs)
            logits, state = model(batch.inputs)
            metrics = task.metrics(logits, batch)
            if hasattr(model, "state_metrics"):  # metrics of the model itself (ACT's ponder)
                metrics.update(model.state_metrics(state))
            for k, v in metrics.items():
                sums[k] += v * n
            done += n
        means = {k: v / done for k, v in sums.items()}
        if "cost_bits" in means and "optimal_cost_bits" in means:  # ratio of the means
            means["excess_cost_ratio"] = means["cost_bits"] / means["optimal_cost_bits"] - 1.0
        if suffix:
            means = {k + suffix: v for k, v in means.items() if k in eval_config.metrics}
        out.update(means)
    return out
