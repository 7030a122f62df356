"""The Differentiable Neural Computer (Graves et al. 2016, Nature).

A controller (LSTM or feed-forward) reads the input and last step's reads and
emits the interface vector xi_t; the output is y_t = W_y [h_t; r_t], the
controller's output and this step's reads (the paper's v_t + W_r [r_t^1..r_t^R]
in one matmul). Memory access is ``attnmem.memory.DNCAccess``.

Shapes: ``B`` batch, ``T`` time, ``I`` input width, ``O`` output width,
``C`` controller size, ``R`` read heads, ``N`` memory rows, ``M`` memory width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.memory.dnc import LINKS, DNCAccess, DNCAccessState
from attnmem.models.recurrent import (
    CONTROLLERS,
    Unrolled,
    controller_initial_state,
    controller_step,
    make_controller,
)


@dataclass(frozen=True)
class DNCConfig:
    controller: str = "lstm"  # "lstm" or "feedforward"
    controller_size: int = 100
    memory_rows: int = 128  # N
    memory_width: int = 20  # M
    read_heads: int = 1  # R
    link: str = "dense"  # "dense" (O(N^2) per step) or "sparse" (K entries per row)
    sparse_k: int = 8  # K, links kept per row with link = "sparse" (the paper's K = 8)
    clip: float = 20.0  # controller outputs are clipped to [-clip, clip], as DeepMind's dnc

    def __post_init__(self) -> None:
        if self.controller not in CONTROLLERS:
            raise ValueError(f"controller ({self.controller!r}) must be one of {CONTROLLERS}")
        if self.controller_size < 1:
            raise ValueError(f"controller_size ({self.controller_size}) must be >= 1")
        if self.link not in LINKS:
            raise ValueError(f"link ({self.link!r}) must be one of {LINKS}")
        if self.clip <= 0:
            raise ValueError(f"clip ({self.clip}) must be > 0")


class DNCState(NamedTuple):
    """controller: (h, c) each (B, C) (zero-width for feed-forward); reads (B, R, M)."""

    controller: tuple[Tensor, Tensor]
    access: DNCAccessState
    reads: Tensor


class DNC(Unrolled):
    """Inputs: x (B, T, I), state (DNCState or None = ``initial_state``).
    Outputs: logits (B, T, O), final state."""

    def __init__(self, config: DNCConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        self.config, self.input_size, self.output_size = config, input_size, output_size
        c = config
        self.access = DNCAccess(
            c.memory_rows,
            c.memory_width,
            read_heads=c.read_heads,
            link=c.link,
            sparse_k=c.sparse_k,
        )
        read_size = c.read_heads * c.memory_width
        C = c.controller_size
        self.cell = make_controller(c.controller, input_size + read_size, C)
        self.interface = nn.Linear(C, self.access.interface_size)
        self.output = nn.Linear(C + read_size, output_size)

    def initial_state(self, batch_size: int, *, device=None) -> DNCState:
        device = device or self.output.weight.device
        c = self.config
        controller = controller_initial_state(c.controller, batch_size, c.controller_size, device)
        access = self.access.initial_state(batch_size, device=device)
        reads = torch.zeros(batch_size, self.config.read_heads, self.config.memory_width)
        return DNCState(controller, access, reads.to(device))

    def step(self, x: Tensor, state: DNCState) -> tuple[Tensor, DNCState, dict[str, Tensor]]:
        """One time step: x (B, I) -> logits (B, O), new state, per-step memory tensors."""
        B = x.shape[0]
        clip = self.config.clip
        controller_in = torch.cat([x, state.reads.reshape(B, -1)], dim=-1)  # (B, I + R*M)
        h, controller = controller_step(self.cell, controller_in, state.controller)
        interface = self.access.parse_interface(self.interface(h).clamp(-clip, clip))
        reads, access, extra = self.access(interface, state.access)
        logits = self.output(torch.cat([h, reads.reshape(B, -1)], dim=-1)).clamp(-clip, clip)
        info = {
            "read_weights": access.read_weights,  # (B, R, N) w^r_t
            "write_weights": access.write_weights.unsqueeze(1),  # (B, 1, N) w^w_t, one head
            "read_modes": interface.read_modes,  # (B, R, 3) backward, content, forward
            "allocation": extra.allocation,  # (B, N) a_t
            "usage": access.usage,  # (B, N) u_t
            "allocation_gate": interface.allocation_gate,  # (B,)
            "write_gate": interface.write_gate,  # (B,)
            "free_gates": interface.free_gates,  # (B, R)
            "read_keys": interface.read_keys,  # (B, R, M)
            "write_key": interface.write_key[:, 0],  # (B, M)
            "erase": interface.erase[:, 0],  # (B, M)
            "write_vector": interface.write_vector[:, 0],  # (B, M)
        }
        return logits, DNCState(controller, access, reads), info
