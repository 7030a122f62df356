"""Repeat copy task (Graves et al. 2014, sec. 4.2): read a sequence of random
bit vectors and a repeat count, then output the sequence that many times
followed by an end marker.

Channels. Input width ``width + 2``: channels ``[0, width)`` hold the bits,
channel ``width`` is the start/delimiter flag and channel ``width + 1`` holds
the normalised repeat count. Output width ``width + 1``: channels
``[0, width)`` are the bits and channel ``width`` is the end marker.

Time steps. An example of length ``L`` with ``R`` repeats has
``T = L + 2 + R * L + 1`` steps:

* ``[0, L)``: the bit vectors;
* ``L``: the delimiter (channel ``width`` = 1);
* ``L + 1``: the repeat count, channel ``width + 1`` = ``R / max_repeats``;
* ``[L + 2, L + 2 + R * L)``: blank inputs, the targets are the sequence
  repeated ``R`` times;
* ``T - 1``: blank input, the target is the end marker alone.

The whole output phase ``[L + 2, T)`` is scored (mask 1), the end-marker
channel included (it must stay 0 until the last step).

Normalisation of the repeat count: the paper normalises it to zero mean and
unit variance; here it is ``R / max_repeats`` with ``max_repeats`` taken from
the config (not scaled by ``difficulty``), so training counts lie in
``(0, 1]`` and an evaluation count above ``max_repeats`` gives a value above 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, BitSequenceTask, curriculum_randint, random_bits


@dataclass(frozen=True)
class RepeatCopyConfig:
    width: int = 8
    min_length: int = 1
    max_length: int = 10
    min_repeats: int = 1
    max_repeats: int = 10


class RepeatCopyTask(BitSequenceTask):
    def __init__(self, config: RepeatCopyConfig = RepeatCopyConfig()) -> None:
        if config.width < 1:
            raise ValueError(f"repeat_copy: width must be >= 1, got {config.width}")
        if not 1 <= config.min_length <= config.max_length:
            raise ValueError(
                f"repeat_copy: need 1 <= min_length ({config.min_length}) "
                f"<= max_length ({config.max_length})"
            )
        if not 1 <= config.min_repeats <= config.max_repeats:
            raise ValueError(
                f"repeat_copy: need 1 <= min_repeats ({config.min_repeats}) "
                f"<= max_repeats ({config.max_repeats})"
            )
        self.config = config
        self.input_size = config.width + 2
        self.output_size = config.width + 1

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        length: int | None = None,
        repeats: int | None = None,
    ) -> Batch:
        """One length and one repeat count per batch.

        ``length`` is drawn from ``[min_length, max_length * difficulty]`` and
        ``repeats`` from ``[min_repeats, max_repeats * difficulty]`` unless
        given (evaluation may go beyond the training range). Returns inputs
        (B, T, width + 2), targets and mask (B, T, width + 1), (B, T) with
        ``T = length * (repeats + 1) + 3``.
        """
        c = self.config
        if length is None:
            length = curriculum_randint(c.min_length, c.max_length, difficulty, generator)
        if repeats is None:
            repeats = curriculum_randint(c.min_repeats, c.max_repeats, difficulty, generator)
        if length < 1:
            raise ValueError(f"repeat_copy: length must be >= 1, got {length}")
        if repeats < 1:
            raise ValueError(f"repeat_copy: repeats must be >= 1, got {repeats}")
        seq = random_bits((batch_size, length, c.width), generator)  # (B, L, W)
        out_start = length + 2
        T = out_start + repeats * length + 1
        inputs = torch.zeros(batch_size, T, c.width + 2)
        inputs[:, :length, : c.width] = seq
        inputs[:, length, c.width] = 1.0  # delimiter
        inputs[:, length + 1, c.width + 1] = repeats / c.max_repeats  # repeat count
        targets = torch.zeros(batch_size, T, c.width + 1)
        targets[:, out_start : T - 1, : c.width] = seq.repeat(1, repeats, 1)  # (B, R*L, W)
        targets[:, T - 1, c.width] = 1.0  # end marker
        mask = torch.zeros(batch_size, T)
        mask[:, out_start:] = 1.0
        return Batch(inputs, targets, mask)
