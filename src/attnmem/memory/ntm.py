"""Neural Turing Machine memory access (Graves, Wayne & Danihelka 2014, sec. 3).

Addressing (content -> interpolation -> shift -> sharpening) lives in
``attnmem.attention``; this module turns a controller's interface vector into
addressing parameters, keeps the memory state and runs one read/write step.

Shapes: ``B`` batch, ``N`` memory rows, ``M`` row width, ``R`` read heads,
``W`` write heads, ``H = R + W`` all heads, ``S = 2s + 1`` shift kernel size.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnmem.attention import (
    circular_shift,
    content_weights,
    erase_add_write,
    interpolate,
    sharpen,
    soft_read,
)

# Collier & Beel (2018): a small constant memory (1e-6) trains about twice as
# fast as learned or random initial memories on copy-like tasks.
CONSTANT_MEMORY_INIT = 1e-6
MEMORY_INITS = ("constant", "learned", "random")


class NTMInterface(NamedTuple):
    """Addressing and write parameters for one step, all heads stacked (reads first).

    key:   (B, H, M)  lookup key k_t
    beta:  (B, H)     key strength beta_t >= 0
    gate:  (B, H)     interpolation gate g_t in [0, 1]
    shift: (B, H, S)  shift distribution s_t (softmax over -s..+s)
    gamma: (B, H)     sharpening gamma_t >= 1
    erase: (B, W, M)  erase vector e_t in [0, 1]
    add:   (B, W, M)  add vector a_t in [-1, 1]
    """

    key: Tensor
    beta: Tensor
    gate: Tensor
    shift: Tensor
    gamma: Tensor
    erase: Tensor
    add: Tensor


class NTMAccessState(NamedTuple):
    """memory (B, N, M); weights (B, H, N): last step's weighting of every head, reads first."""

    memory: Tensor
    weights: Tensor


class NTMAccess(nn.Module):
    """R read heads and W write heads on an N x M memory.

    Each step every head addresses the memory as it was at the start of the step
    (so all H heads are addressed in one batched call); the read heads read it,
    then the write heads erase and add. The reads therefore see M_{t-1}, which
    the controller's next step receives together with the new input.
    """

    def __init__(
        self,
        memory_rows: int,
        memory_width: int,
        *,
        read_heads: int = 1,
        write_heads: int = 1,
        shift_range: int = 1,
        memory_init: str = "constant",
    ) -> None:
        super().__init__()
        for name, value in (
            ("memory_rows", memory_rows),
            ("memory_width", memory_width),
            ("read_heads", read_heads),
            ("write_heads", write_heads),
        ):
            if value < 1:
                raise ValueError(f"{name} ({value}) must be >= 1")
        if shift_range < 0 or 2 * shift_range + 1 > memory_rows:
            raise ValueError(f"shift_range ({shift_range}) needs 0 <= 2s + 1 <= memory_rows")
        if memory_init not in MEMORY_INITS:
            raise ValueError(f"memory_init ({memory_init!r}) must be one of {MEMORY_INITS}")
        self.memory_rows, self.memory_width = memory_rows, memory_width
        self.read_heads, self.write_heads = read_heads, write_heads
        self.shift_size = 2 * shift_range + 1
        self.memory_init = memory_init
        H, M, W, S = read_heads + write_heads, memory_width, write_heads, self.shift_size
        # Sizes of the interface vector's parts, in the order parse_interface splits them.
        self._split = [H * M, H, H, H * S, H, W * M, W * M]
        self.interface_size = sum(self._split)
        if memory_init == "learned":
            self.initial_memory = nn.Parameter(torch.randn(memory_rows, memory_width) * 0.1)
        else:
            self.initial_memory = None

    def extra_repr(self) -> str:
        return (
            f"memory={self.memory_rows}x{self.memory_width}, read_heads={self.read_heads}, "
            f"write_heads={self.write_heads}, shift_size={self.shift_size}, "
            f"memory_init={self.memory_init!r}"
        )

    def parse_interface(self, flat: Tensor) -> NTMInterface:
        """Split a (B, interface_size) controller output and squash each part to its range."""
        B = flat.shape[0]
        H, M, W, S = (
            self.read_heads + self.write_heads,
            self.memory_width,
            self.write_heads,
            self.shift_size,
        )
        key, beta, gate, shift, gamma, erase, add = flat.split(self._split, dim=-1)
        return NTMInterface(
            key=key.view(B, H, M),
            beta=F.softplus(beta),
            gate=torch.sigmoid(gate),
            shift=torch.softmax(shift.view(B, H, S), dim=-1),
            gamma=1.0 + F.softplus(gamma),
            erase=torch.sigmoid(erase.view(B, W, M)),
            add=torch.tanh(add.view(B, W, M)),
        )

    def initial_state(self, batch_size: int, *, device=None, generator=None) -> NTMAccessState:
        """Memory per ``memory_init``; every head starts focused on row 0."""
        N, M = self.memory_rows, self.memory_width
        if self.initial_memory is not None:
            memory = self.initial_memory.unsqueeze(0).expand(batch_size, N, M)
        elif self.memory_init == "random":
            memory = torch.rand(batch_size, N, M, generator=generator, device=device) * 0.1
        else:
            memory = torch.full((batch_size, N, M), CONSTANT_MEMORY_INIT, device=device)
        weights = torch.zeros(batch_size, self.read_heads + self.write_heads, N, device=device)
        weights[:, :, 0] = 1.0
        return NTMAccessState(memory, weights)

    def address(self, interface: NTMInterface, state: NTMAccessState) -> Tensor:
        """w_t for every head: content, interpolate, shift, sharpen (NTM eqs. 5-9). (B, H, N)."""
        w = content_weights(interface.key, state.memory, interface.beta)
        w = interpolate(w, state.weights, interface.gate)
        w = circular_shift(w, interface.shift)
        return sharpen(w, interface.gamma)

    def forward(
        self, interface: NTMInterface, state: NTMAccessState
    ) -> tuple[Tensor, NTMAccessState]:
        """One step. Returns reads (B, R, M) and the new state."""
        weights = self.address(interface, state)  # (B, H, N)
        read_weights, write_weights = weights.split([self.read_heads, self.write_heads], dim=1)
        reads = soft_read(read_weights, state.memory)  # r_t, (B, R, M)
        memory = erase_add_write(state.memory, write_weights, interface.erase, interface.add)
        return reads, NTMAccessState(memory, weights)
