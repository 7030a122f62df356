"""The Neural Turing Machine (Graves, Wayne & Danihelka 2014).

A controller (LSTM or feed-forward) reads the input and last step's reads, and
emits an interface vector (addressing parameters for every head) and, with the
new reads, the output. Memory access is ``attnmem.memory.NTMAccess``.

Shapes: ``B`` batch, ``T`` time, ``I`` input width, ``O`` output width,
``C`` controller size, ``R`` read heads, ``M`` memory width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.memory import NTMAccess, NTMAccessState
from attnmem.models.recurrent import (
    CONTROLLERS,
    Unrolled,
    controller_initial_state,
    controller_step,
    make_controller,
)


@dataclass(frozen=True)
class NTMConfig:
    controller: str = "lstm"  # "lstm" or "feedforward"
    controller_size: int = 100
    memory_rows: int = 128  # N
    memory_width: int = 20  # M
    read_heads: int = 1
    write_heads: int = 1
    shift_range: int = 1  # shifts -1, 0, +1 as in the paper
    memory_init: str = "constant"  # "constant" | "learned" | "random"
    clip: float = 20.0  # controller outputs are clipped to [-clip, clip] (Collier & Beel 2018)

    def __post_init__(self) -> None:
        if self.controller not in CONTROLLERS:
            raise ValueError(f"controller ({self.controller!r}) must be one of {CONTROLLERS}")
        if self.controller_size < 1:
            raise ValueError(f"controller_size ({self.controller_size}) must be >= 1")
        if self.clip <= 0:
            raise ValueError(f"clip ({self.clip}) must be > 0")


class NTMState(NamedTuple):
    """controller: (h, c) each (B, C) (zeros-sized for feed-forward); reads (B, R, M)."""

    controller: tuple[Tensor, Tensor]
    access: NTMAccessState
    reads: Tensor


class NTM(Unrolled):
    """Inputs: x (B, T, I), state (NTMState or None = ``initial_state``).
    Outputs: logits (B, T, O), final state."""

    def __init__(self, config: NTMConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        self.config, self.input_size, self.output_size = config, input_size, output_size
        c = config
        self.access = NTMAccess(
            c.memory_rows,
            c.memory_width,
            read_heads=c.read_heads,
            write_heads=c.write_heads,
            shift_range=c.shift_range,
            memory_init=c.memory_init,
        )
        read_size = c.read_heads * c.memory_width
        C = c.controller_size
        self.cell = make_controller(c.controller, input_size + read_size, C)
        # One matmul emits the whole interface; the output layer also sees the reads.
        self.interface = nn.Linear(C, self.access.interface_size)
        self.output = nn.Linear(C + read_size, output_size)

    def initial_state(self, batch_size: int, *, device=None) -> NTMState:
        device = device or self.output.weight.device
        c = self.config
        controller = controller_initial_state(c.controller, batch_size, c.controller_size, device)
        access = self.access.initial_state(batch_size, device=device)
        reads = torch.bmm(access.weights[:, : self.config.read_heads], access.memory)
        return NTMState(controller, access, reads)

    def step(self, x: Tensor, state: NTMState) -> tuple[Tensor, NTMState, dict[str, Tensor]]:
        """One time step: x (B, I) -> logits (B, O), new state, per-step attention tensors."""
        B = x.shape[0]
        clip = self.config.clip
        controller_in = torch.cat([x, state.reads.reshape(B, -1)], dim=-1)  # (B, I + R*M)
        h, controller = controller_step(self.cell, controller_in, state.controller)
        interface = self.access.parse_interface(self.interface(h).clamp(-clip, clip))
        reads, access = self.access(interface, state.access)
        logits = self.output(torch.cat([h, reads.reshape(B, -1)], dim=-1)).clamp(-clip, clip)
        R = self.config.read_heads
        info = {
            "read_weights": access.weights[:, :R],  # (B, R, N)
            "write_weights": access.weights[:, R:],  # (B, W, N)
            "keys": interface.key,  # (B, H, M)
            "betas": interface.beta,
            "gates": interface.gate,
            "shifts": interface.shift,  # (B, H, S)
            "gammas": interface.gamma,
            "erase": interface.erase,
            "add": interface.add,
        }
        return logits, NTMState(controller, access, reads), info
