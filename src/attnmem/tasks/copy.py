"""Copy task (Graves et al. 2014, sec. 4.1): read a sequence of random bit
vectors, then a delimiter, then reproduce the sequence.

Input width ``width + 1`` (the last channel is the delimiter); output width
``width``. A length-L example has ``2L + 1`` steps: L inputs, the delimiter,
L blank steps during which the targets are scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, BitSequenceTask, curriculum_randint, random_bits


@dataclass(frozen=True)
class CopyConfig:
    width: int = 8
    min_length: int = 1
    max_length: int = 20


class CopyTask(BitSequenceTask):
    def __init__(self, config: CopyConfig = CopyConfig()) -> None:
        if not 1 <= config.min_length <= config.max_length:
            raise ValueError(
                f"copy: need 1 <= min_length ({config.min_length}) "
                f"<= max_length ({config.max_length})"
            )
        self.config = config
        self.input_size = config.width + 1
        self.output_size = config.width

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        length: int | None = None,
    ) -> Batch:
        """One length per batch (drawn from [min_length, max_length * difficulty])."""
        c = self.config
        if length is None:
            length = curriculum_randint(c.min_length, c.max_length, difficulty, generator)
        seq = random_bits((batch_size, length, c.width), generator)  # (B, L, W)
        T = 2 * length + 1
        inputs = torch.zeros(batch_size, T, c.width + 1)
        inputs[:, :length, : c.width] = seq
        inputs[:, length, c.width] = 1.0  # delimiter
        targets = torch.zeros(batch_size, T, c.width)
        targets[:, length + 1 :] = seq
        mask = torch.zeros(batch_size, T)
        mask[:, length + 1 :] = 1.0
        return Batch(inputs, targets, mask)
