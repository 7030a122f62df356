"""Location-based addressing of the NTM: interpolate, shift, sharpen.

Shapes: ``B`` batch, ``H`` heads, ``N`` locations, ``S`` shift kernel size
(``2s + 1`` for shifts ``-s..+s``).
"""

from __future__ import annotations

import torch
from torch import Tensor

# Floor for weights before raising them to the power gamma: 0 ** gamma has an
# infinite gradient for gamma < 1 and a NaN one at exactly 0, and a weight of
# exactly 0 would make sum_j w_j^gamma vanish when all weights underflow.
SHARPEN_EPSILON = 1e-12


def interpolate(content: Tensor, previous: Tensor, gate: Tensor) -> Tensor:
    """w^g = g w^c + (1 - g) w_{t-1}   (NTM eq. 7)

    content, previous (B, H, N); gate (B, H) in [0, 1] -> (B, H, N).
    """
    g = gate.unsqueeze(-1)
    return g * content + (1.0 - g) * previous


def circular_shift(weights: Tensor, shift: Tensor) -> Tensor:
    """w~_i = sum_{j} w^g_j s_{i - j}   (NTM eq. 8, indices modulo N)

    weights (B, H, N); shift (B, H, S) a distribution over shifts -s..+s
    (``S = 2s + 1``, ``shift[..., s]`` is "no shift", ``shift[..., s + 1]`` moves
    attention one row forward) -> (B, H, N).

    Vectorised as S rolls of the whole weight tensor: S is tiny (3 in the paper),
    so this beats an FFT or an N x N circulant matrix.
    """
    S = shift.shape[-1]
    if S % 2 != 1:
        raise ValueError(f"shift kernel size ({S}) must be odd: shifts -s..+s")
    if S > weights.shape[-1]:
        raise ValueError(
            f"shift kernel size ({S}) must not exceed the number of locations ({weights.shape[-1]})"
        )
    s = S // 2
    # Stack the rolled copies: rolled[..., k, i] = w[i - (k - s)].
    rolled = torch.stack([weights.roll(k - s, dims=-1) for k in range(S)], dim=-2)  # (B, H, S, N)
    return (shift.unsqueeze(-1) * rolled).sum(-2)


def sharpen(weights: Tensor, gamma: Tensor) -> Tensor:
    """w_i = w~_i^gamma / sum_j w~_j^gamma   (NTM eq. 9), gamma >= 1.

    weights (B, H, N); gamma (B, H) -> (B, H, N). Computed as a softmax of
    ``gamma * log(w)`` so large gamma cannot overflow.
    """
    log_w = weights.clamp_min(SHARPEN_EPSILON).log()
    logits = gamma.unsqueeze(-1) * log_w
    dtype = torch.promote_types(logits.dtype, torch.float32)
    return torch.softmax(logits.to(dtype), dim=-1).to(weights.dtype)
