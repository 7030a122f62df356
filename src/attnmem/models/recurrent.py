"""What the memory-augmented recurrent models (NTM, DNC) share: the controller and
the unrolling of one ``step`` over time into ``forward`` and ``trace``.

Shapes: ``B`` batch, ``T`` time, ``I`` input width, ``O`` output width, ``C`` controller
size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from attnmem.models.trace import Trace, stack_steps

CONTROLLERS = ("lstm", "feedforward")


def make_controller(kind: str, input_size: int, size: int) -> nn.Module:
    """An LSTM cell, or a linear layer (followed by a ReLU in ``controller_step``)."""
    if kind not in CONTROLLERS:
        raise ValueError(f"controller ({kind!r}) must be one of {CONTROLLERS}")
    return nn.LSTMCell(input_size, size) if kind == "lstm" else nn.Linear(input_size, size)


def controller_step(
    cell: nn.Module, x: Tensor, state: tuple[Tensor, Tensor]
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """x (B, I), state (h, c) -> output h (B, C) and the new state. A feed-forward
    controller keeps no state: its (h, c) stay the zero-width tensors it started with."""
    if isinstance(cell, nn.LSTMCell):
        h, c = cell(x, state)
        return h, (h, c)
    return torch.relu(cell(x)), state


def controller_initial_state(
    kind: str, batch_size: int, size: int, device: Any
) -> tuple[Tensor, Tensor]:
    """Zeros (B, C) for an LSTM controller, (B, 0) for a feed-forward one."""
    zeros = torch.zeros(batch_size, size if kind == "lstm" else 0, device=device)
    return zeros, zeros


class Unrolled(nn.Module):
    """``forward`` and ``trace`` for a model that defines ``initial_state(batch_size,
    device=...)`` and ``step(x_t, state) -> (logits (B, O), state, info)``, where ``info``
    names the per-step tensors ``trace`` keeps."""

    def initial_state(self, batch_size: int, *, device: Any = None) -> Any:
        raise NotImplementedError

    def step(self, x: Tensor, state: Any) -> tuple[Tensor, Any, dict[str, Tensor]]:
        raise NotImplementedError

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """x (B, T, I), state (None = ``initial_state``) -> logits (B, T, O), final state."""
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        outputs = []
        for x_t in self._steps(x):
            y, state, _ = self.step(x_t, state)
            outputs.append(y)
        return torch.stack(outputs, dim=1), state

    @staticmethod
    def _steps(x: Tensor) -> Tensor:
        """(B, T, I) -> (T, B, I) contiguous, so every step's input has the same strides
        whatever T is (a compiled ``step`` would otherwise recompile for each length)."""
        return x.transpose(0, 1).contiguous()

    @torch.no_grad()
    def trace(self, x: Tensor, state: Any = None) -> Trace:
        """Run on x and keep every step's ``info`` tensors, stacked to (B, T, ...)."""
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        outputs, infos = [], []
        for x_t in self._steps(x):
            y, state, info = self.step(x_t, state)
            outputs.append(y)
            infos.append(info)
        return Trace(torch.stack(outputs, dim=1), state, stack_steps(infos))
