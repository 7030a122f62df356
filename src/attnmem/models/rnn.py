"""The plain recurrent network ACT is compared with (Graves 2016: "without ACT"): one
cell update per input step, no halting unit, no flag input.

``cell = "rnn"`` is a tanh RNN (the paper's parity and logic networks), ``"lstm"``
an LSTM (addition and sort); one layer, as the ACT model.

Shapes: ``B`` batch, ``T`` time, ``I`` input, ``O`` output, ``C`` hidden size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.models.trace import Trace

CELLS = ("rnn", "lstm")


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "rnn"  # "rnn" (tanh) | "lstm"
    hidden_size: int = 128

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell ({self.cell!r}) must be one of {CELLS}")
        if self.hidden_size < 1:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be >= 1")


class RNNState(NamedTuple):
    """h, c: (1, B, C) as ``nn.RNN`` / ``nn.LSTM``; c is (1, B, 0) for the tanh RNN."""

    h: Tensor
    c: Tensor


class RNNBaseline(nn.Module):
    """Inputs: x (B, T, I), state (RNNState or None = zeros). Outputs: logits (B, T, O), state."""

    def __init__(self, config: RNNConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        self.config, self.input_size, self.output_size = config, input_size, output_size
        rnn_cls = nn.RNN if config.cell == "rnn" else nn.LSTM
        self.rnn = rnn_cls(input_size, config.hidden_size, batch_first=True)
        self.output = nn.Linear(config.hidden_size, output_size)

    def extra_repr(self) -> str:
        return f"cell={self.config.cell}, hidden_size={self.config.hidden_size}"

    def initial_state(self, batch_size: int, *, device=None) -> RNNState:
        device = device or self.output.weight.device
        C = self.config.hidden_size
        h = torch.zeros(1, batch_size, C, device=device)
        c = torch.zeros(1, batch_size, C if self.config.cell == "lstm" else 0, device=device)
        return RNNState(h, c)

    def _run(self, x: Tensor, state: RNNState | None) -> tuple[Tensor, RNNState]:
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        if self.config.cell == "lstm":
            hidden, (h, c) = self.rnn(x, (state.h, state.c))  # (B, T, C)
        else:
            hidden, h = self.rnn(x, state.h)
            c = state.c
        return hidden, RNNState(h, c)

    def forward(self, x: Tensor, state: RNNState | None = None) -> tuple[Tensor, RNNState]:
        hidden, state = self._run(x, state)
        return self.output(hidden), state

    @torch.no_grad()
    def trace(self, x: Tensor, state: RNNState | None = None) -> Trace:
        """No halting: the trace holds the hidden states (B, T, C)."""
        hidden, state = self._run(x, state)
        return Trace(self.output(hidden), state, {"hidden": hidden})
