"""What every sequence task provides: a seeded batch generator, a loss, metrics.

Shapes: ``B`` batch, ``T`` time steps, ``I`` input width, ``O`` output width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Batch:
    """One batch of sequences.

    inputs:  (B, T, I) float
    targets: (B, T, O) float in {0, 1} (bits)
    mask:    (B, T) float, 1 at the time steps whose output is scored
    """

    inputs: Tensor
    targets: Tensor
    mask: Tensor

    def to(self, device: torch.device | str) -> Batch:
        return Batch(self.inputs.to(device), self.targets.to(device), self.mask.to(device))


class SequenceTask(Protocol):
    """A task the trainer can fit. Tasks are stateless apart from their config."""

    input_size: int
    output_size: int

    def sample(
        self, batch_size: int, generator: torch.Generator, *, difficulty: float = 1.0
    ) -> Batch:
        """A fresh batch. ``difficulty`` in (0, 1] scales sequence length for curricula."""
        ...

    def loss(self, logits: Tensor, batch: Batch) -> Tensor:
        """Scalar training loss (mean over the batch)."""
        ...

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        """Per-sequence metrics averaged over the batch (e.g. ``bits_wrong``, ``cost_bits``)."""
        ...


def masked_bce_bits(logits: Tensor, batch: Batch) -> Tensor:
    """Binary cross-entropy in bits per sequence, summed over scored steps and channels.

    This is the NTM paper's "cost per sequence (bits)". Returns (B,).
    """
    bce = F.binary_cross_entropy_with_logits(logits, batch.targets, reduction="none")  # (B, T, O)
    return (bce.sum(-1) * batch.mask).sum(-1) / LN2


def bits_wrong(logits: Tensor, batch: Batch) -> Tensor:
    """Number of output bits whose thresholded prediction differs from the target. Returns (B,)."""
    wrong = ((logits > 0).float() != batch.targets).float().sum(-1)  # (B, T)
    return (wrong * batch.mask).sum(-1)


class BitSequenceTask:
    """Shared loss and metrics for tasks whose targets are bit vectors (copy, recall, sort...)."""

    def loss(self, logits: Tensor, batch: Batch) -> Tensor:
        return masked_bce_bits(logits, batch).mean()

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        return {
            "cost_bits": masked_bce_bits(logits, batch).mean().item(),
            "bits_wrong": bits_wrong(logits, batch).mean().item(),
        }


def random_bits(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """Uniform random bits as float32."""
    return torch.randint(0, 2, shape, generator=generator).float()


def randint(low: int, high: int, generator: torch.Generator) -> int:
    """A Python int uniform in [low, high] (inclusive), drawn from ``generator``."""
    return int(torch.randint(low, high + 1, (1,), generator=generator).item())


def curriculum_randint(low: int, high: int, difficulty: float, generator: torch.Generator) -> int:
    """A size uniform in [low, max(low, round(high * difficulty))]: a curriculum's
    ``difficulty`` in (0, 1] scales the largest size drawn, never below ``low``."""
    return randint(low, max(low, round(high * difficulty)), generator)
