"""What a model attended to: the ``Trace`` returned by ``model.trace(x)``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class Trace:
    """Outputs, final state and named per-step tensors of one run of a model.

    outputs: (B, T, O) the same tensor ``forward`` returns
    state:   the final state, as ``forward`` returns it
    steps:   name -> (B, T, ...) per-step tensors, e.g. ``read_weights`` (B, T, R, N)
    """

    outputs: Tensor
    state: Any
    steps: Mapping[str, Tensor] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Tensor:
        return self.steps[name]


def stack_steps(per_step: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """[{name: (B, ...)}] over T steps -> {name: (B, T, ...)}, detached."""
    if not per_step:
        return {}
    return {k: torch.stack([s[k].detach() for s in per_step], dim=1) for k in per_step[0]}
