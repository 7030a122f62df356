"""Adaptive Computation Time halting (Graves 2016, sec. 2): how many ponder steps an
input step takes, and how to weight their states.

Attention over *computation steps* instead of memory rows: the halting unit's
values ``h^n`` (n = 1..M ponder steps) become a distribution ``p^n`` over the
intermediate states, and the state and output passed on are its expectations
(the mean field), ``s = sum_n p^n s^n``, ``y = sum_n p^n y^n``.

``act_halting`` takes the halting values of all ponder steps at once (an RNN's ponder
loop computes them before mixing); ``act_halting_step`` is the same rule one step at a
time, per position (the Universal Transformer's depth).

Shapes: ``B`` batch, ``M`` ponder steps computed (at most the cap), ``T`` positions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

# The paper's epsilon: halting once the halting units sum to 1 - epsilon lets a
# single ponder step halt (h^1 >= 1 - epsilon) without a saturated sigmoid.
ACT_EPSILON = 0.01


class Halting(NamedTuple):
    """ACT's halting quantities for one input step.

    steps:     (B,) int64, N(t) in [1, M], the number of ponder steps taken
    remainder: (B,) R(t) in (0, 1], the probability left for the last step
    probs:     (B, M) p_t^n >= 0, sums to 1 over n; zero after step N(t)
    ponder:    (B,) rho_t = N(t) + R(t), the ponder cost of this input step
    """

    steps: Tensor
    remainder: Tensor
    probs: Tensor
    ponder: Tensor


def act_halting(halt: Tensor, *, epsilon: float = ACT_EPSILON) -> Halting:
    """Halting distribution of ACT (Graves 2016, eqs. 7-11).

        N(t)  = min{ n' : sum_{n=1}^{n'} h_t^n >= 1 - epsilon },  at most M (the cap)
        R(t)  = 1 - sum_{n=1}^{N(t)-1} h_t^n
        p_t^n = h_t^n for n < N(t);  R(t) for n = N(t);  0 for n > N(t)
        rho_t = N(t) + R(t)

    halt: (B, M) halting-unit values h_t^n in [0, 1] of the M ponder steps computed.
    When the values never reach 1 - epsilon, N(t) = M (the cap) and the last
    computed step takes the remainder, as in the paper's eq. 8 with the bound M.

    Gradients: N(t) is an integer and has none (the paper: rho_t is discontinuous in
    N, which is treated as constant), so d rho_t / d h_t^n = -1 for n < N(t) through
    R(t) and 0 for n >= N(t); the value of h at the halting step only decides *when*
    to halt. Vectorised: one cumulative sum and masks, no loop over batch or steps.
    """
    if halt.dim() != 2 or halt.shape[1] < 1:
        raise ValueError(f"halt must be (B, M) with M >= 1, got shape {tuple(halt.shape)}")
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon ({epsilon}) must be in (0, 1)")
    B, M = halt.shape
    cumulative = halt.cumsum(-1)  # sum_{n<=n'} h^n, (B, M)
    reached = cumulative >= 1 - epsilon  # (B, M) bool
    reached[:, -1] = True  # the cap: the last computed step halts whatever h says
    # argmax of a 0/1 tensor returns the first maximum: the first step that reached it.
    steps = reached.to(torch.uint8).argmax(-1) + 1  # N(t), (B,)
    index = torch.arange(M, device=halt.device)  # n - 1
    before = (index < (steps - 1).unsqueeze(-1)).to(halt.dtype)  # n < N(t), (B, M)
    last = (index == (steps - 1).unsqueeze(-1)).to(halt.dtype)  # n = N(t), (B, M)
    remainder = 1.0 - (halt * before).sum(-1)  # R(t), (B,)
    probs = halt * before + remainder.unsqueeze(-1) * last  # p_t^n, (B, M)
    ponder = steps.to(halt.dtype) + remainder  # rho_t
    return Halting(steps, remainder, probs, ponder)


def all_halted(cumulative_halt: Tensor, *, epsilon: float = ACT_EPSILON) -> bool:
    """Whether every sequence has halted: cumulative_halt (B,) = sum_n h^n so far.

    The ponder loop is sequential in n (s^n needs s^{n-1}); it runs until this is true
    for the whole batch or the cap is hit, so it costs max_b N_b(t) steps, and the
    steps computed past a sequence's own N(t) get p = 0 from ``act_halting``.
    """
    return bool((cumulative_halt >= 1 - epsilon).all())


class HaltingState(NamedTuple):
    """Per-position ACT bookkeeping, each (B, T) float.

    halting:    sum of the halting probabilities used so far (reaches 1 when halted)
    remainders: R_i, 1 - the sum of p's before the halting step (0 while running)
    updates:    N_i, the steps taken so far
    """

    halting: Tensor
    remainders: Tensor
    updates: Tensor

    @staticmethod
    def zeros(like: Tensor) -> HaltingState:
        z = torch.zeros_like(like)
        return HaltingState(z, z, z)

    @property
    def running(self) -> Tensor:
        """(B, T) bool: positions that have not halted."""
        return self.halting < 1.0


def act_halting_step(
    state: HaltingState, p: Tensor, threshold: float, *, last: bool = False
) -> tuple[HaltingState, Tensor]:
    """``act_halting`` one ponder step at a time, for models that must decide after each
    step whether to go on (the Universal Transformer's per-position ACT, UT sec. 2.2):
    -> the new state and the weights w (B, T) with which this step's state enters the
    output (``out = w * new_state + (1 - w) * out``):

        running:   h + p <  threshold        -> w = p,        h += p
        halting:   h + p >= threshold (once) -> w = R = 1 - h, h = 1
        halted:                               -> w = 0

    With threshold = 1 - epsilon, the weights of steps 1..M are ``act_halting``'s p^n and
    ``updates`` and ``remainders`` its N and R (a test checks this).

    ``last``: the final allowed step, where every running position halts with its
    remainder (so each position's weights sum to 1, as in Graves 2016; tensor2tensor
    leaves the mixture unnormalised instead).

    state (B, T) x 3, p (B, T) in (0, 1) -> (HaltingState, w (B, T)).
    """
    running = state.running.to(p.dtype)  # (B, T) 1 while not halted
    reached = state.halting + p * running >= threshold
    if last:
        reached = torch.ones_like(reached)
    newly_halted = reached.to(p.dtype) * running  # halts at this step
    still_running = (1 - reached.to(p.dtype)) * running
    halting = state.halting + p * still_running
    remainder = newly_halted * (1 - halting)  # R = 1 - sum of the earlier p's
    weights = p * still_running + remainder
    new = HaltingState(
        halting=halting + remainder,  # 1 at halted positions
        remainders=state.remainders + remainder,
        updates=state.updates + still_running + newly_halted,  # N += 1 for every running one
    )
    return new, weights
