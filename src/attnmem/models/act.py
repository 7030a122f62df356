"""Adaptive Computation Time (Graves 2016) around a recurrent cell.

At every input step t the cell is applied repeatedly ("ponders"),
``s_t^n = S(s_t^{n-1}, x_t^n)`` with ``s_t^0 = s_{t-1}``, where ``x_t^n`` is the
input with a binary flag that is 1 on the first ponder step only (the input has
just arrived). After each ponder step a sigmoidal halting unit reads the state,
``h_t^n = sigmoid(W_h s_t^n + b_h)``; ``attnmem.attention.halting.act_halting``
turns these into the number of steps N(t), the remainder R(t) and the halting
distribution p_t^n. The state passed on and the output are mean fields,
``s_t = sum_n p_t^n s_t^n`` and ``y_t = sum_n p_t^n y_t^n``; the output layer is
linear and the p_t^n sum to 1, so ``y_t = W_y s_t + b_y``.

The ponder cost ``P(x) = sum_t rho_t = sum_t (N(t) + R(t))`` is added to the task
loss with weight tau (the time penalty). ``forward`` returns it in the state
(``ACTState.ponder_cost``) and the trainer adds ``model.auxiliary_loss(state)``
(= tau * mean over the batch of P(x)); so the trainer stays model-agnostic.

Shapes: ``B`` batch, ``T`` input steps, ``I`` input, ``O`` output, ``C`` hidden
size, ``M`` ponder steps (at most ``max_ponder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.attention.halting import ACT_EPSILON, act_halting, all_halted
from attnmem.models.trace import Trace

CELLS = ("rnn", "lstm")


@dataclass(frozen=True)
class ACTConfig:
    cell: str = "rnn"  # "rnn" (tanh; the paper's parity and logic) | "lstm" (addition, sort)
    hidden_size: int = 128  # C
    time_penalty: float = 1e-3  # tau, the weight of the ponder cost in the loss
    epsilon: float = ACT_EPSILON  # halt once the halting units sum to 1 - epsilon
    max_ponder: int = 100  # M, the cap on ponder steps per input step
    # The halting unit's initial bias b_h: sigmoid(1) = 0.73 halts after two steps
    # at first, so training starts from short, cheap pondering.
    halt_bias: float = 1.0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell ({self.cell!r}) must be one of {CELLS}")
        if self.hidden_size < 1:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be >= 1")
        if self.time_penalty < 0:
            raise ValueError(f"time_penalty ({self.time_penalty}) must be >= 0")
        if not 0 < self.epsilon < 1:
            raise ValueError(f"epsilon ({self.epsilon}) must be in (0, 1)")
        if self.max_ponder < 1:
            raise ValueError(f"max_ponder ({self.max_ponder}) must be >= 1")


class ACTState(NamedTuple):
    """h, c: (B, C) the mean-field cell state (c is (B, 0) for the tanh RNN);
    ponder_cost: (B,) sum_t rho_t since ``initial_state``; input_steps: (B,) the
    number of input steps t since then (so ponder_cost / input_steps is the mean
    ponder time)."""

    h: Tensor
    c: Tensor
    ponder_cost: Tensor
    input_steps: Tensor


class ACT(nn.Module):
    """Inputs: x (B, T, I), state (ACTState or None = zeros).
    Outputs: logits (B, T, O), final state (with the accumulated ponder cost)."""

    def __init__(self, config: ACTConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        self.config, self.input_size, self.output_size = config, input_size, output_size
        C = config.hidden_size
        cell_cls = nn.RNNCell if config.cell == "rnn" else nn.LSTMCell
        self.cell = cell_cls(input_size + 1, C)  # + the first-ponder-step flag
        self.halt = nn.Linear(C, 1)  # h_t^n = sigmoid(W_h s_t^n + b_h)
        nn.init.constant_(self.halt.bias, config.halt_bias)
        self.output = nn.Linear(C, output_size)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"cell={c.cell}, hidden_size={c.hidden_size}, time_penalty={c.time_penalty}, "
            f"epsilon={c.epsilon}, max_ponder={c.max_ponder}"
        )

    def initial_state(self, batch_size: int, *, device=None) -> ACTState:
        device = device or self.output.weight.device
        C = self.config.hidden_size
        h = torch.zeros(batch_size, C, device=device)
        c = torch.zeros(batch_size, C if self.config.cell == "lstm" else 0, device=device)
        zeros = torch.zeros(batch_size, device=device)
        return ACTState(h, c, zeros, zeros.clone())

    def step(self, x: Tensor, state: ACTState) -> tuple[Tensor, ACTState, dict[str, Tensor]]:
        """One input step: x (B, I) -> logits (B, O), new state, and the step's halting
        quantities: ``halt`` and ``halting_probs`` (B, M), ``ponder``, ``ponder_steps``,
        ``remainder`` (B,).

        Ponders until every sequence in the batch has halted or ``max_ponder`` steps
        (a sequential loop over n; sequences that halted earlier compute the extra
        steps with probability 0, so batching never changes a sequence's result)."""
        c = self.config
        B = x.shape[0]
        first = torch.cat([x.new_ones(B, 1), x], dim=-1)  # x_t^1: flag 1, (B, I + 1)
        rest = torch.cat([x.new_zeros(B, 1), x], dim=-1)  # x_t^n, n > 1: flag 0
        h, cell = state.h, state.c
        hs, cs, halts = [], [], []
        cumulative = x.new_zeros(B)
        for n in range(c.max_ponder):
            inputs = first if n == 0 else rest
            if c.cell == "lstm":
                h, cell = self.cell(inputs, (h, cell))  # s_t^n = S(s_t^{n-1}, x_t^n)
            else:
                h = self.cell(inputs, h)
            halt = torch.sigmoid(self.halt(h)).squeeze(-1)  # h_t^n, (B,)
            hs.append(h)
            cs.append(cell)
            halts.append(halt)
            cumulative = cumulative + halt
            if all_halted(cumulative, epsilon=c.epsilon):
                break
        halting = act_halting(torch.stack(halts, dim=1), epsilon=c.epsilon)  # p (B, M)
        p = halting.probs.unsqueeze(-1)  # (B, M, 1)
        h = (p * torch.stack(hs, dim=1)).sum(1)  # s_t = sum_n p_t^n s_t^n, (B, C)
        cell = (p * torch.stack(cs, dim=1)).sum(1)
        logits = self.output(h)  # y_t = sum_n p_t^n y_t^n (linear output)
        new_state = ACTState(h, cell, state.ponder_cost + halting.ponder, state.input_steps + 1.0)
        info = {
            "halt": torch.stack(halts, dim=1),  # h_t^n, (B, M)
            "halting_probs": halting.probs,  # p_t^n, (B, M)
            "ponder": halting.ponder,  # rho_t = N(t) + R(t), (B,)
            "ponder_steps": halting.steps,  # N(t), (B,)
            "remainder": halting.remainder,  # R(t), (B,)
        }
        return logits, new_state, info

    def forward(self, x: Tensor, state: ACTState | None = None) -> tuple[Tensor, ACTState]:
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        outputs = []
        for x_t in x.transpose(0, 1):  # (B, I) per input step
            y, state, _ = self.step(x_t, state)
            outputs.append(y)
        return torch.stack(outputs, dim=1), state

    # -- hooks the trainer and evaluate() look for (see train/trainer.py) --------------

    def auxiliary_loss(self, state: ACTState) -> Tensor:
        """tau * P(x), P(x) = sum_t rho_t, averaged over the batch (Graves 2016, eq. 12:
        the loss is L(x, y) + tau P(x)). Only R(t) carries gradient."""
        return self.config.time_penalty * state.ponder_cost.mean()

    def state_metrics(self, state: ACTState) -> dict[str, float]:
        """``mean_ponder``: rho_t = N(t) + R(t) averaged over input steps and sequences."""
        per_sequence = state.ponder_cost / state.input_steps.clamp(min=1.0)
        return {"mean_ponder": per_sequence.mean().item()}

    @torch.no_grad()
    def trace(self, x: Tensor, state: ACTState | None = None) -> Trace:
        """Run on x and keep every input step's halting: ``halt`` and ``halting_probs``
        (B, T, M) with M the most ponder steps any input step took (zero-padded),
        ``ponder`` rho_t, ``ponder_steps`` N(t) and ``remainder`` R(t), each (B, T)."""
        if state is None:
            state = self.initial_state(x.shape[0], device=x.device)
        outputs, infos = [], []
        for x_t in x.transpose(0, 1):
            y, state, info = self.step(x_t, state)
            outputs.append(y)
            infos.append(info)
        M = max(info["halt"].shape[1] for info in infos)
        steps: dict[str, Tensor] = {}
        for name in ("halt", "halting_probs"):
            padded = [nn.functional.pad(info[name], (0, M - info[name].shape[1])) for info in infos]
            steps[name] = torch.stack(padded, dim=1)  # (B, T, M)
        for name in ("ponder", "ponder_steps", "remainder"):
            steps[name] = torch.stack([info[name] for info in infos], dim=1)  # (B, T)
        return Trace(torch.stack(outputs, dim=1), state, steps)
