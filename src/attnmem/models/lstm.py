"""LSTM baseline with the library's recurrent contract (Graves 2014 compares with it).

Shapes: ``B`` batch, ``T`` time, ``I`` input, ``O`` output, ``C`` hidden size, ``K`` layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.models.trace import Trace


@dataclass(frozen=True)
class LSTMConfig:
    hidden_size: int = 256
    layers: int = 3

    def __post_init__(self) -> None:
        if self.hidden_size < 1 or self.layers < 1:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) and layers ({self.layers}) must be >= 1"
            )


class LSTMState(NamedTuple):
    """h, c: (K, B, C), as ``nn.LSTM``."""

    h: Tensor
    c: Tensor


class LSTMBaseline(nn.Module):
    """Inputs: x (B, T, I), state (LSTMState or None = zeros). Outputs: logits (B, T, O), state."""

    def __init__(self, config: LSTMConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        self.config, self.input_size, self.output_size = config, input_size, output_size
        self.lstm = nn.LSTM(input_size, config.hidden_size, config.layers, batch_first=True)
        self.output = nn.Linear(config.hidden_size, output_size)

    def initial_state(self, batch_size: int, *, device=None) -> LSTMState:
        device = device or self.output.weight.device
        zeros = torch.zeros(self.config.layers, batch_size, self.config.hidden_size, device=device)
        return LSTMState(zeros, zeros.clone())

    def forward(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        hidden, (h, c) = self.lstm(x, tuple(state))  # (B, T, C)
        return self.output(hidden), LSTMState(h, c)

    @torch.no_grad()
    def trace(self, x: Tensor, state: LSTMState | None = None) -> Trace:
        """The LSTM attends to nothing explicitly; its trace holds the top layer's hidden states."""
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        hidden, (h, c) = self.lstm(x, tuple(state))
        return Trace(self.output(hidden), LSTMState(h, c), {"hidden": hidden})
