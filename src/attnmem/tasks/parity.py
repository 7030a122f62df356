"""Parity (Graves 2016, sec. 3.1): is the number of ones in a vector odd?

Each sequence is a single input step: a vector of ``size`` (64 in the paper)
elements of which a random number k (uniform in 1..size) at random places are
set to +1 or -1 (each with probability 1/2) and the rest are 0. The target bit
is 1 if the number of +1 elements is odd ("an odd number of ones"), else 0.
Without ACT the recurrent network sees the vector once and has one update to
compute parity; with ACT it can ponder on it.

Input width ``size``, output width 1, ``T = 1``.
Curriculum: ``difficulty`` scales the largest k, ``max(1, round(size * difficulty))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch
from attnmem.tasks.categorical import BitAccuracyTask


@dataclass(frozen=True)
class ParityConfig:
    size: int = 64


class ParityTask(BitAccuracyTask):
    def __init__(self, config: ParityConfig = ParityConfig()) -> None:
        if config.size < 1:
            raise ValueError(f"parity: size must be >= 1, got {config.size}")
        self.config = config
        self.input_size = config.size
        self.output_size = 1

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        nonzeros: int | None = None,
    ) -> Batch:
        """A batch of vectors; ``nonzeros`` fixes k for every vector (for the ponder-time
        against k evaluation), else k is uniform in [1, size * difficulty] per vector."""
        n = self.config.size
        if nonzeros is None:
            top = max(1, round(n * difficulty))
            k = torch.randint(1, top + 1, (batch_size, 1), generator=generator)  # (B, 1)
        else:
            if not 1 <= nonzeros <= n:
                raise ValueError(f"parity: nonzeros ({nonzeros}) must be in [1, {n}]")
            k = torch.full((batch_size, 1), nonzeros)
        # The k places of each vector: the k smallest of n uniform keys (a random subset).
        rank = torch.rand(batch_size, n, generator=generator).argsort(-1).argsort(-1)  # (B, n)
        chosen = rank < k  # (B, n) bool
        signs = torch.randint(0, 2, (batch_size, n), generator=generator) * 2 - 1  # +-1
        vector = (chosen * signs).float()  # (B, n) in {-1, 0, +1}
        ones = (vector == 1).sum(-1)  # (B,)
        targets = (ones % 2).float().view(batch_size, 1, 1)
        return Batch(vector.unsqueeze(1), targets, torch.ones(batch_size, 1))
