"""Differentiable Neural Computer memory access (Graves et al. 2016, Nature, Methods).

The addressing math lives in ``attnmem.memory.dnc_addressing`` (usage, allocation,
temporal links) and ``attnmem.attention`` (content lookup, read, erase/add); this
module parses the controller's interface vector, keeps the state and runs one
write-then-read step in the paper's order.

Shapes: ``B`` batch, ``N`` memory rows, ``M`` row width, ``R`` read heads,
``K`` links kept per row (sparse links). One write head, as in the paper.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnmem.attention import content_weights, erase_add_write, soft_read
from attnmem.memory.dnc_addressing import (
    SparseLink,
    allocation_weights,
    link_step,
    precedence_update,
    read_weighting,
    retention,
    sparse_directional_weights,
    sparse_link_init,
    sparse_link_update,
    usage_update,
    write_weighting,
)

LINKS = ("dense", "sparse")


class DNCInterface(NamedTuple):
    """The interface vector xi_t, split and squashed to each part's range.

    read_keys:       (B, R, M)  k^{r,i}_t
    read_strengths:  (B, R)     beta^{r,i}_t >= 1 (oneplus)
    write_key:       (B, 1, M)  k^w_t
    write_strength:  (B, 1)     beta^w_t >= 1
    erase:           (B, 1, M)  e_t in [0, 1]
    write_vector:    (B, 1, M)  v_t, unbounded
    free_gates:      (B, R)     f^i_t in [0, 1]
    allocation_gate: (B,)       g^a_t in [0, 1]
    write_gate:      (B,)       g^w_t in [0, 1]
    read_modes:      (B, R, 3)  pi^i_t (backward, content, forward), softmax
    """

    read_keys: Tensor
    read_strengths: Tensor
    write_key: Tensor
    write_strength: Tensor
    erase: Tensor
    write_vector: Tensor
    free_gates: Tensor
    allocation_gate: Tensor
    write_gate: Tensor
    read_modes: Tensor


class DenseLinkage(NamedTuple):
    """link (B, N, N) L_t; precedence (B, N) p_t."""

    link: Tensor
    precedence: Tensor


class SparseLinkage(NamedTuple):
    """link: K entries per row (values, columns (B, N, K)); precedence (B, N) p_t."""

    link: SparseLink
    precedence: Tensor


class DNCAccessState(NamedTuple):
    """memory (B, N, M) M_t; usage (B, N) u_t; linkage (dense or sparse) L_t and p_t;
    read_weights (B, R, N) w^r_t; write_weights (B, N) w^w_t."""

    memory: Tensor
    usage: Tensor
    linkage: DenseLinkage | SparseLinkage
    read_weights: Tensor
    write_weights: Tensor


class DNCStep(NamedTuple):
    """What one access step computed besides the state, for ``trace``: allocation (B, N)."""

    allocation: Tensor


class DNCAccess(nn.Module):
    """R read heads and one write head on an N x M memory with dynamic allocation and
    temporal links.

    Each step: usage u_t (free gates release what was read), allocation a_t, write
    weighting from allocation and content (M_{t-1}), erase/add write to M_t, link and
    precedence update, then every read head mixes backward, content (on M_t) and forward
    weightings by its read modes and reads M_t.
    """

    def __init__(
        self,
        memory_rows: int,
        memory_width: int,
        *,
        read_heads: int = 1,
        link: str = "dense",
        sparse_k: int = 8,
    ) -> None:
        super().__init__()
        for name, value in (
            ("memory_rows", memory_rows),
            ("memory_width", memory_width),
            ("read_heads", read_heads),
        ):
            if value < 1:
                raise ValueError(f"{name} ({value}) must be >= 1")
        if link not in LINKS:
            raise ValueError(f"link ({link!r}) must be one of {LINKS}")
        if link == "sparse" and not 1 <= sparse_k <= memory_rows:
            raise ValueError(f"sparse_k ({sparse_k}) must be in 1..memory_rows ({memory_rows})")
        self.memory_rows, self.memory_width, self.read_heads = memory_rows, memory_width, read_heads
        self.link, self.sparse_k = link, sparse_k
        R, M = read_heads, memory_width
        # Sizes of the interface vector's parts, in DNCInterface's order.
        self._split = [R * M, R, M, 1, M, M, R, 1, 1, 3 * R]
        self.interface_size = sum(self._split)

    def extra_repr(self) -> str:
        sparse = f", sparse_k={self.sparse_k}" if self.link == "sparse" else ""
        return (
            f"memory={self.memory_rows}x{self.memory_width}, read_heads={self.read_heads}, "
            f"link={self.link!r}{sparse}"
        )

    def parse_interface(self, flat: Tensor) -> DNCInterface:
        """Split a (B, interface_size) controller output and squash each part to its range."""
        B, R, M = flat.shape[0], self.read_heads, self.memory_width
        keys, strengths, wkey, wstrength, erase, vector, free, g_a, g_w, modes = flat.split(
            self._split, dim=-1
        )
        return DNCInterface(
            read_keys=keys.view(B, R, M),
            read_strengths=1.0 + F.softplus(strengths),  # oneplus
            write_key=wkey.view(B, 1, M),
            write_strength=1.0 + F.softplus(wstrength),
            erase=torch.sigmoid(erase).view(B, 1, M),
            write_vector=vector.view(B, 1, M),
            free_gates=torch.sigmoid(free),
            allocation_gate=torch.sigmoid(g_a).squeeze(-1),
            write_gate=torch.sigmoid(g_w).squeeze(-1),
            read_modes=torch.softmax(modes.view(B, R, 3), dim=-1),
        )

    def initial_state(self, batch_size: int, *, device=None) -> DNCAccessState:
        """Empty memory (zeros), zero usage, no links, no reads or writes yet."""
        B, N, M, R = batch_size, self.memory_rows, self.memory_width, self.read_heads
        zeros = torch.zeros(B, N, device=device)
        if self.link == "dense":
            linkage = DenseLinkage(torch.zeros(B, N, N, device=device), zeros)
        else:
            linkage = SparseLinkage(sparse_link_init(B, N, self.sparse_k, device=device), zeros)
        return DNCAccessState(
            memory=torch.zeros(B, N, M, device=device),
            usage=zeros,
            linkage=linkage,
            read_weights=torch.zeros(B, R, N, device=device),
            write_weights=zeros,
        )

    def forward(
        self, interface: DNCInterface, state: DNCAccessState
    ) -> tuple[Tensor, DNCAccessState, DNCStep]:
        """One step. Returns reads (B, R, M), the new state and the step's allocation."""
        i = interface
        # Usage is not differentiated with respect to the write weights (DeepMind's dnc
        # does the same): the gradient through u_{t-1} -> allocation -> w^w_t would chain
        # every step's writes into every later allocation.
        psi = retention(i.free_gates, state.read_weights)  # psi_t
        usage = usage_update(state.usage, state.write_weights.detach(), psi)  # u_t
        allocation = allocation_weights(usage)  # a_t
        write_content = content_weights(i.write_key, state.memory, i.write_strength)  # c^w_t
        write_weights = write_weighting(
            allocation, write_content[:, 0], i.allocation_gate, i.write_gate
        )  # w^w_t, (B, N)
        memory = erase_add_write(
            state.memory, write_weights.unsqueeze(1), i.erase, i.write_vector
        )  # M_t
        link, precedence = state.linkage
        if self.link == "dense":
            # L_t, and from it the forward and backward weightings f_t, b_t.
            link, forward, backward = link_step(link, precedence, write_weights, state.read_weights)
            linkage = DenseLinkage(link, precedence_update(precedence, write_weights))
        else:
            link = sparse_link_update(link, precedence, write_weights)
            forward, backward = sparse_directional_weights(link, state.read_weights)
            linkage = SparseLinkage(link, precedence_update(precedence, write_weights))
        read_content = content_weights(i.read_keys, memory, i.read_strengths)  # c^r_t
        read_weights = read_weighting(i.read_modes, backward, read_content, forward)  # w^r_t
        reads = soft_read(read_weights, memory)  # r_t, (B, R, M)
        new_state = DNCAccessState(memory, usage, linkage, read_weights, write_weights)
        return reads, new_state, DNCStep(allocation)
