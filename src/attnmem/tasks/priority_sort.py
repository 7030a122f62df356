"""Priority sort task (Graves et al. 2014, sec. 4.5): read random bit vectors,
each with a scalar priority, then output the highest-priority ones sorted from
highest to lowest priority.

Channels. Input width ``width + 2``: channels ``[0, width)`` hold the bits,
channel ``width`` the priority (uniform in ``[-1, 1]``) and channel
``width + 1`` the delimiter. Output width ``width``.

Time steps. With ``n = num_inputs`` and ``m = num_outputs`` there are
``T = n + 1 + m`` steps: ``n`` input vectors with their priorities, one
delimiter step, then ``m`` blank steps whose targets are the ``m``
highest-priority vectors in decreasing order of priority (only these are
scored). Priorities are continuous, so ties have probability zero.

Curriculum: ``difficulty`` scales both counts proportionally,
``n = max(1, round(num_inputs * difficulty))`` and
``m = min(n, max(1, round(num_outputs * difficulty)))``, so ``m <= n`` always
holds and at ``difficulty=1`` they are the configured 20 and 16.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, BitSequenceTask, random_bits


@dataclass(frozen=True)
class PrioritySortConfig:
    width: int = 8
    num_inputs: int = 20
    num_outputs: int = 16


class PrioritySortTask(BitSequenceTask):
    def __init__(self, config: PrioritySortConfig = PrioritySortConfig()) -> None:
        if config.width < 1:
            raise ValueError(f"priority_sort: width must be >= 1, got {config.width}")
        if not 1 <= config.num_outputs <= config.num_inputs:
            raise ValueError(
                f"priority_sort: need 1 <= num_outputs ({config.num_outputs}) "
                f"<= num_inputs ({config.num_inputs})"
            )
        self.config = config
        self.input_size = config.width + 2
        self.output_size = config.width

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        num_inputs: int | None = None,
        num_outputs: int | None = None,
    ) -> Batch:
        """A batch of ``num_inputs`` prioritised vectors per sequence.

        ``num_inputs`` / ``num_outputs`` override the difficulty-scaled counts
        (when only ``num_inputs`` is given, ``num_outputs`` is the configured
        value capped at ``num_inputs``). Returns inputs (B, T, width + 2),
        targets (B, T, width), mask (B, T) with ``T = num_inputs + 1 + num_outputs``.
        """
        c = self.config
        if num_inputs is None:
            n = max(1, round(c.num_inputs * difficulty))
            default_m = max(1, round(c.num_outputs * difficulty))
        else:
            n = num_inputs
            default_m = c.num_outputs
        m = min(n, default_m) if num_outputs is None else num_outputs
        if not 1 <= m <= n:
            raise ValueError(f"priority_sort: need 1 <= num_outputs ({m}) <= num_inputs ({n})")
        w = c.width
        vectors = random_bits((batch_size, n, w), generator)  # (B, n, W)
        priority = torch.rand(batch_size, n, generator=generator) * 2.0 - 1.0  # (B, n)
        order = torch.argsort(priority, dim=1, descending=True)[:, :m]  # (B, m)
        chosen = torch.gather(vectors, 1, order.unsqueeze(-1).expand(-1, -1, w))  # (B, m, W)

        T = n + 1 + m
        inputs = torch.zeros(batch_size, T, w + 2)
        inputs[:, :n, :w] = vectors
        inputs[:, :n, w] = priority
        inputs[:, n, w + 1] = 1.0  # delimiter
        targets = torch.zeros(batch_size, T, w)
        targets[:, n + 1 :] = chosen
        mask = torch.zeros(batch_size, T)
        mask[:, n + 1 :] = 1.0
        return Batch(inputs, targets, mask)
