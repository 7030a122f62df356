"""Universal Transformer (Dehghani, Gouws, Vinyals, Uszkoreit & Kaiser 2018) on bAbI.

One Transformer block (:class:`attnmem.models.transformer.TransformerBlock`: self-attention
then the transition function) with *tied* weights is applied recurrently in depth. Before
step t (t = 1..T) the coordinate embedding of every position i is added (sec. 2.1):

    H^t = Block(H^{t-1} + P^t),   P^t_{i,2j} = sin(i / 10000^{2j/d}) + sin(t / 10000^{2j/d}),
                                  P^t_{i,2j+1} = cos(i / 10000^{2j/d}) + cos(t / 10000^{2j/d}).

With ``act`` the depth is dynamic *per position* (sec. 2.2, Graves 2016's Adaptive
Computation Time applied to each symbol, as in the paper's tensor2tensor code): at each
step a halting unit gives every position a probability p^t_i = sigmoid(w . (H^{t-1} + P^t)
+ b); a position runs until its cumulative probability would exceed 1 - epsilon, and its
output is the mean of its states weighted by the p's and, on its last step, the
remainder R_i = 1 - sum of its earlier p's (:func:`attnmem.attention.halting.act_halting_step`). The ponder time
rho_i = N_i + R_i (steps taken + remainder) is added to the loss as ``tau * mean_i rho_i``
through the trainer's ``auxiliary_loss`` hook (see :meth:`UniversalTransformer.auxiliary_loss`).
Halted positions are still transformed (their states keep being attended to by the
others) but their outputs no longer change.

A known trap of this halting rule (seen here on bAbI): a position whose first p exceeds
1 - epsilon halts at step 1 with R = 1, where its output weight no longer depends on p,
so neither the task loss nor the ponder cost gives the halting unit a gradient there;
the ponder cost (d rho / d p = -1 for every p before halting) pushes positions towards
that dead zone, and runs can end with every position taking one step.

bAbI input as in the paper (sec. 3.1): one vector per sentence (MemN2N position encoding),
the question appended as the last position; :class:`attnmem.models.transformer.BabiEncoder`.

Shapes: ``B`` batch, ``N`` story sentences, ``T`` = N + 1 positions (the question last),
``S`` steps, ``d`` width, ``H`` heads, ``V`` vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.attention.halting import HaltingState, act_halting_step
from attnmem.memory.memn2n import StoryInputs
from attnmem.models.memn2n import check_answer_vocabulary
from attnmem.models.trace import Trace
from attnmem.models.transformer import BabiEncoder, TransformerBlock, check_sizes, sinusoid

__all__ = [
    "PonderState",
    "UniversalTransformer",
    "UniversalTransformerConfig",
    "coordinate_embedding",
]


def coordinate_embedding(length: int, steps: int, dim: int) -> Tensor:
    """P^t_i = sinusoid(i) + sinusoid(t)  (UT sec. 2.1), positions i = 0..length-1 and
    steps t = 1..steps -> (steps, length, dim)."""
    position = sinusoid(torch.arange(length), dim)  # (T, d)
    timestep = sinusoid(torch.arange(1, steps + 1), dim)  # (S, d)
    return position.unsqueeze(0) + timestep.unsqueeze(1)  # (S, T, d)


class PonderState(NamedTuple):
    """What the Universal Transformer returns as its "state" (it is not recurrent).

    ponder_time: (B, T) rho_i = N_i + R_i per position with ACT (differentiable through
                 R_i), the fixed number of steps without; 0 at absent positions
    present:     (B, T) bool, positions that hold a sentence or the question
    """

    ponder_time: Tensor
    present: Tensor


@dataclass(frozen=True)
class UniversalTransformerConfig:
    steps: int = 6  # T: recurrent steps (the maximum with act)
    dim: int = 64  # d
    heads: int = 4  # H
    ffn_dim: int = 128  # width of the transition function's hidden layer
    memory_size: int = 50  # N, must equal the task's memory_size
    dropout: float = 0.0
    init_std: float = 0.1  # word embeddings ~ N(0, init_std^2)
    act: bool = False  # per-position Adaptive Computation Time
    act_threshold: float = 0.99  # 1 - epsilon, epsilon = 0.01 (the paper's code)
    act_weight: float = 0.01  # tau: ponder cost weight in the loss
    halting_bias: float = 1.0  # initial b of the halting unit (tensor2tensor's init)

    def __post_init__(self) -> None:
        check_sizes(self)
        if not 1 <= self.steps <= 32:
            raise ValueError(f"steps ({self.steps}) must be in 1..32")
        if not 0 < self.act_threshold < 1 or self.act_weight < 0:
            raise ValueError(
                f"act_threshold ({self.act_threshold}) must be in (0, 1) and "
                f"act_weight ({self.act_weight}) >= 0"
            )


class UniversalTransformer(nn.Module):
    """Inputs: ``StoryInputs`` (story (B, N, J), query (B, J), memory_mask (B, N)), state
    (ignored). Outputs: answer logits (B, V), :class:`PonderState`.

    One block, whatever ``steps``: the parameter count does not depend on depth.
    ``trace`` returns ``steps["attention"]`` (B, S, H, T, T) (the question's row over the
    story: ``[..., -1, :N]``), ``steps["ponder_time"]`` (B, T) and, with ``act``,
    ``steps["update_weights"]`` (B, S, T).
    """

    def __init__(
        self, config: UniversalTransformerConfig, input_size: int, output_size: int
    ) -> None:
        super().__init__()
        check_answer_vocabulary("the Universal Transformer", input_size, output_size)
        c = config
        self.config, self.input_size, self.output_size = config, input_size, output_size
        self.encoder = BabiEncoder(input_size, c.dim, c.memory_size, c.init_std)
        self.block = TransformerBlock(c.dim, c.heads, c.ffn_dim, c.dropout)  # tied over steps
        self.norm = nn.LayerNorm(c.dim)  # after the last pre-norm step
        self.halt = nn.Linear(c.dim, 1) if c.act else None  # p = sigmoid(w . s + b)
        if self.halt is not None:
            nn.init.constant_(self.halt.bias, c.halting_bias)
        self.register_buffer(
            "coordinates",
            coordinate_embedding(c.memory_size + 1, c.steps, c.dim),
            persistent=False,
        )  # (S, T, d) P^t

    def _run(
        self, inputs: StoryInputs, *, reference: bool
    ) -> tuple[Tensor, PonderState, dict[str, Tensor]]:
        c = self.config
        x, present = self.encoder.encode(inputs)  # (B, T, d), (B, T)
        attention, update_weights = [], []
        if self.halt is None:
            for t in range(c.steps):
                x, w = self._step(x + self.coordinates[t], present, reference)
                attention.append(w)
            out = x
            ponder = present.to(x.dtype) * c.steps  # (B, T)
        else:
            halting = HaltingState.zeros(present.to(x.dtype))
            out = torch.zeros_like(x)  # the weighted mean of the states
            for t in range(c.steps):
                x = x + self.coordinates[t]  # (B, T, d) H^{t-1} + P^t
                p = torch.sigmoid(self.halt(x)).squeeze(-1)  # (B, T) p^t
                halting, update = act_halting_step(
                    halting, p, c.act_threshold, last=t == c.steps - 1
                )
                x, w = self._step(x, present, reference)  # H^t
                u = update.unsqueeze(-1)  # (B, T, 1)
                out = u * x + (1 - u) * out
                attention.append(w)
                update_weights.append(update)
                if not (halting.running & present).any():  # every position has halted
                    break
            ponder = (halting.updates + halting.remainders) * present  # (B, T) rho
        steps = {"ponder_time": ponder.detach()}
        if reference:
            steps["attention"] = torch.stack(attention, dim=1)  # (B, S, H, T, T)
        if update_weights:
            steps["update_weights"] = torch.stack(update_weights, dim=1).detach()  # (B, S, T)
        logits = self.encoder.answer(self.norm(out))
        return logits, PonderState(ponder, present), steps

    def _step(self, x: Tensor, present: Tensor, reference: bool) -> tuple[Tensor, Tensor | None]:
        if reference:
            return self.block.attend(x, present)
        return self.block(x, present), None

    def forward(self, inputs: StoryInputs, state: None = None) -> tuple[Tensor, PonderState]:
        logits, ponder, _ = self._run(inputs, reference=False)
        return logits, ponder

    def auxiliary_loss(self, state: PonderState) -> Tensor:
        """The ponder cost tau * mean over examples of the mean ponder time of their present
        positions (0 without ``act``); the trainer adds it to the task's loss."""
        if self.halt is None:
            return state.ponder_time.new_zeros(())
        per_example = state.ponder_time.sum(-1) / state.present.sum(-1).clamp(min=1)  # (B,)
        return self.config.act_weight * per_example.mean()

    @torch.no_grad()
    def trace(self, inputs: StoryInputs, state: None = None) -> Trace:
        """Logits (B, V) on the reference path, the :class:`PonderState`, and per-step
        tensors (class docstring)."""
        logits, ponder, steps = self._run(inputs, reference=True)
        return Trace(logits, ponder, steps)

    def extra_repr(self) -> str:
        c = self.config
        act = f", act_threshold={c.act_threshold}, act_weight={c.act_weight}" if c.act else ""
        return (
            f"vocab={self.input_size}, steps={c.steps}, dim={c.dim}, heads={c.heads}, "
            f"ffn_dim={c.ffn_dim}, memory_size={c.memory_size}, act={c.act}{act}"
        )
