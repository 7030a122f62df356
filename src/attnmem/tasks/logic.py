"""Logic (Graves 2016, sec. 3.2): apply a chain of binary logic gates to two bits.

Each input vector has 2 + 10 * 10 = 102 elements: two bit slots, then ``max_gates``
(10) chunks of 10. The first G chunks (G uniform in 1..max_gates per vector) hold
one-hot indices of gates drawn uniformly from the 10 binary gates that depend on
both inputs (``GATES``: the paper's Table 1); the other chunks are zero. From bits
b_0, b_1 the gates give b_{i+1} = T_i(b_i, b_{i-1}) for i = 1..G, and the target is
b_{G+1}. The first vector of a sequence carries both b_0 and b_1; every later one
carries only b_1 (slot 1; slot 0 is zero) and takes b_0 to be the previous
vector's target, so the network must remember its last answer. Every step is
scored; ``accuracy`` is the fraction of sequences with every step right.

Sequences have L vectors, one L per batch, uniform in
[min_length, max_length * difficulty] (1..10 in the paper). Input width
``2 + 10 * max_gates``, output width 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, curriculum_randint
from attnmem.tasks.categorical import BitAccuracyTask

# The 10 binary gates of the paper's Table 1, as truth tables T(p, q) indexed by
# 2 p + q, i.e. the outputs for (p, q) = (0,0), (0,1), (1,0), (1,1); here p = b_i
# (the newer bit) and q = b_{i-1}.
GATES = {
    "NOR": (1, 0, 0, 0),
    "Xq": (0, 1, 0, 0),  # not p and q
    "ABJ": (0, 0, 1, 0),  # p and not q
    "XOR": (0, 1, 1, 0),
    "NAND": (1, 1, 1, 0),
    "AND": (0, 0, 0, 1),
    "XNOR": (1, 0, 0, 1),
    "if/then": (1, 1, 0, 1),  # not p or q
    "then/if": (1, 0, 1, 1),  # p or not q
    "OR": (0, 1, 1, 1),
}
TRUTH_TABLES = torch.tensor(list(GATES.values()))  # (10 gates, 4)


@dataclass(frozen=True)
class LogicConfig:
    max_gates: int = 10
    min_length: int = 1
    max_length: int = 10


class LogicTask(BitAccuracyTask):
    def __init__(self, config: LogicConfig = LogicConfig()) -> None:
        if config.max_gates < 1:
            raise ValueError(f"logic: max_gates must be >= 1, got {config.max_gates}")
        if not 1 <= config.min_length <= config.max_length:
            raise ValueError(
                f"logic: need 1 <= min_length ({config.min_length}) "
                f"<= max_length ({config.max_length})"
            )
        self.config = config
        self.num_gates = len(GATES)
        self.input_size = 2 + self.num_gates * config.max_gates
        self.output_size = 1

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        length: int | None = None,
    ) -> Batch:
        c = self.config
        B, K = batch_size, self.num_gates
        if length is None:
            length = curriculum_randint(c.min_length, c.max_length, difficulty, generator)
        L, G = length, c.max_gates
        count = torch.randint(1, G + 1, (B, L), generator=generator)  # gates per vector
        gate = torch.randint(0, K, (B, L, G), generator=generator)  # gate indices
        used = torch.arange(G) < count.unsqueeze(-1)  # (B, L, G) the first `count` chunks
        bits = torch.randint(0, 2, (B, L + 1), generator=generator)  # b_0, then b_1 per step

        inputs = torch.zeros(B, L, 2 + K * G)
        onehot = torch.nn.functional.one_hot(gate, K) * used.unsqueeze(-1)  # (B, L, G, K)
        inputs[:, :, 2:] = onehot.reshape(B, L, G * K).float()
        inputs[:, 0, 0] = bits[:, 0].float()  # b_0, first vector only
        inputs[:, :, 1] = bits[:, 1:].float()  # b_1 of every vector
        targets = torch.zeros(B, L, 1)
        b_prev = bits[:, 0]  # b_0 of step 0; afterwards the previous target
        for t in range(L):
            older, newer = b_prev, bits[:, t + 1]  # b_{i-1}, b_i
            for i in range(G):
                result = TRUTH_TABLES[gate[:, t, i], 2 * newer + older]  # T_i(b_i, b_{i-1})
                active = used[:, t, i]
                older, newer = torch.where(active, newer, older), torch.where(active, result, newer)
            targets[:, t, 0] = newer.float()  # b_{G+1}
            b_prev = newer
        return Batch(inputs, targets, torch.ones(B, L))
