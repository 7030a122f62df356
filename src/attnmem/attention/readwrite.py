"""Reading from and writing to a memory matrix with attention weights.

Shapes: ``B`` batch, ``R`` read heads, ``W`` write heads, ``N`` rows, ``M`` width.
"""

from __future__ import annotations

import torch
from torch import Tensor


def soft_read(weights: Tensor, memory: Tensor) -> Tensor:
    """r = sum_i w_i M_i   (NTM eq. 2): the expectation of the rows under w.

    weights (B, R, N), memory (B, N, M) -> (B, R, M).
    """
    return torch.bmm(weights, memory)


def erase_add_write(memory: Tensor, weights: Tensor, erase: Tensor, add: Tensor) -> Tensor:
    """M_t = M_{t-1} * prod_h (1 - w_h e_h^T) + sum_h w_h a_h^T   (NTM eqs. 3-4)

    memory (B, N, M); weights (B, W, N); erase (B, W, M) in [0, 1]; add (B, W, M)
    -> (B, N, M). With several write heads the erasures multiply (order-free)
    and the additions sum, as in the paper.
    """
    if weights.shape[1] == 1:
        # One head, the common case: M - M * (w e^T) + w a^T in three fused ops.
        w = weights.transpose(1, 2)  # (B, N, 1)
        return torch.addcmul(torch.baddbmm(memory, w, add), memory, torch.bmm(w, erase), value=-1.0)
    w = weights.unsqueeze(-1)  # (B, W, N, 1)
    keep = torch.prod(1.0 - w * erase.unsqueeze(2), dim=1)  # (B, N, M)
    return memory * keep + torch.bmm(weights.transpose(1, 2), add)
