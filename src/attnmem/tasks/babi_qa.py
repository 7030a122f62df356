"""bAbI question answering as a trainer task (Weston et al. 2015; MemN2N's setup).

``BabiQATask(BabiQAConfig(tasks=(1,), lang="en"))`` loads the training and test
files of the chosen tasks (all 20 = joint training), holds out a deterministic
``validation_fraction`` of each task's training questions, builds the vocabulary
from the training files (sorted, so a run rebuilds it identically), and encodes
every question with its last ``memory_size`` sentences (``attnmem.tasks.babi``).

- ``sample`` draws random training questions with the trainer's generator and, at
  training time only, inserts empty memories (MemN2N's random noise, sec. 4.2).
- ``loss`` is the cross-entropy of the answer word; ``metrics`` its error rate.
- ``evaluate(model, eval_config)`` scores the fixed test set: ``error@qa<t>`` for each
  trained task t (0-1), ``mean_error``, ``failed_tasks`` (error > 0.05), and the same
  on the held-out validation questions (``valid_error``, ``valid_error@qa<t>``),
  which is what model selection may use (never the test error).

Shapes: ``B`` batch, ``N`` memory slots, ``J`` words per sentence, ``K`` supporting facts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from attnmem.datasets import BABI_TASKS, data_root
from attnmem.memory.memn2n import StoryInputs
from attnmem.tasks.babi import BabiTensors, Story, Vocab, load_babi, vectorize

ALL_TASKS = tuple(range(1, 21))
FAILED = 0.05  # a task "fails" above 5% test error (Weston et al. 2015)
SPLIT_SEED = 0  # the validation split is a fixed shuffle of each task's training questions


def check_tasks_and_split(tasks: tuple[int, ...], validation_fraction: float) -> None:
    """ValueError unless ``tasks`` are distinct bAbI task ids and the fraction is in [0, 1)."""
    if not tasks or len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks ({list(tasks)}) must be distinct bAbI task ids")
    bad = [t for t in tasks if t not in BABI_TASKS]
    if bad:
        raise ValueError(f"tasks: {bad} are not bAbI task ids (1..20)")
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction ({validation_fraction}) must be in [0, 1)")


@dataclass(frozen=True)
class BabiQAConfig:
    tasks: tuple[int, ...] = ALL_TASKS  # bAbI task ids trained (and tested) together
    lang: str = "en"  # "en" (1k training questions per task) | "en-10k" | any installed folder
    memory_size: int = 50  # N: the last N sentences before a question are its memory
    validation_fraction: float = 0.1  # of each task's training questions, held out
    random_noise: float = 0.1  # RN: expected empty memories inserted per memory in training
    root: str = ""  # data root; "" = attnmem.datasets.data_root() ($ATTNMEM_DATA, ...)

    def __post_init__(self) -> None:
        check_tasks_and_split(self.tasks, self.validation_fraction)
        if self.memory_size < 1:
            raise ValueError(f"memory_size ({self.memory_size}) must be >= 1")
        if not 0 <= self.random_noise < 1:
            raise ValueError(f"random_noise ({self.random_noise}) must be in [0, 1)")


@dataclass(frozen=True)
class BabiBatch:
    """A minibatch of questions.

    inputs:     StoryInputs (story (B, N, J), query (B, J), memory_mask (B, N))
    answer:     (B,) answer word ids
    supporting: (B, K) memory slots of the supporting facts, -1 where absent
    task:       (B,) bAbI task id of each question
    """

    inputs: StoryInputs
    answer: Tensor
    supporting: Tensor
    task: Tensor

    def to(self, device: torch.device | str) -> BabiBatch:
        return BabiBatch(
            self.inputs.to(device),
            self.answer.to(device),
            self.supporting.to(device),
            self.task.to(device),
        )


@dataclass(frozen=True)
class BabiSplit:
    """One split (train, valid or test) of every trained task, Q questions.

    Memories are stored once per distinct sentence (10k joint training would otherwise
    hold 180k x 50 x J word ids): ``story[q] = sentences[memory[q]]``.

    sentences:   (S, J) long, every distinct sentence (row 0: the empty sentence)
    memory:      (Q, N) long, the row of ``sentences`` in each memory slot
    query, answer, supporting, memory_mask: as in :class:`attnmem.tasks.babi.BabiTensors`
    task:        (Q,) long, the bAbI task id of each question
    stories:     the Q stories encoded, in the same order
    """

    sentences: Tensor
    memory: Tensor
    query: Tensor
    answer: Tensor
    supporting: Tensor
    memory_mask: Tensor
    task: Tensor
    stories: tuple[Story, ...]

    def __len__(self) -> int:
        return len(self.stories)

    @property
    def question_task(self) -> Tensor:
        """(Q,) the bAbI task id of each question (one question per row here)."""
        return self.task

    def batch(self, index: Tensor) -> BabiBatch:
        story = self.sentences[self.memory[index]]  # (B, N, J)
        inputs = StoryInputs(story, self.query[index], self.memory_mask[index])
        return BabiBatch(inputs, self.answer[index], self.supporting[index], self.task[index])


def encode_split(
    pairs: list[tuple[int, Story]], vocab: Vocab, memory_size: int, sentence_length: int
) -> BabiSplit:
    """(task id, story) pairs -> a :class:`BabiSplit`, vectorized a task at a time."""
    chunks: list[BabiTensors] = []
    tasks = sorted({t for t, _ in pairs})
    for t in tasks:
        stories = [s for task, s in pairs if task == t]
        chunks.append(
            vectorize(stories, vocab, memory_size=memory_size, sentence_length=sentence_length)
        )
    J, N = sentence_length, memory_size
    empty = torch.zeros(1, J, dtype=torch.long)
    every = torch.cat([empty, *(c.story.reshape(-1, J) for c in chunks)])  # (1 + Q*N, J)
    sentences, inverse = torch.unique(every, dim=0, return_inverse=True)  # row 0 stays empty
    K = max(c.supporting.shape[1] for c in chunks)
    return BabiSplit(
        sentences=sentences,
        memory=inverse[1:].reshape(-1, N),
        query=torch.cat([c.query for c in chunks]),
        answer=torch.cat([c.answer for c in chunks]),
        supporting=torch.cat(
            [F.pad(c.supporting, (0, K - c.supporting.shape[1]), value=-1) for c in chunks]
        ),
        memory_mask=torch.cat([c.memory_mask for c in chunks]),
        task=torch.cat(
            [torch.full((len(c.answer),), t) for t, c in zip(tasks, chunks, strict=True)]
        ),
        stories=tuple(s for t in tasks for task, s in pairs if task == t),
    )


@dataclass(frozen=True)
class BabiData:
    vocab: Vocab
    train: BabiSplit
    valid: BabiSplit
    test: BabiSplit


def validation_split(n: int, fraction: float, task: int) -> tuple[list[int], list[int]]:
    """(train, valid) question indices of one task: a fixed shuffle, the first
    ``round(fraction * n)`` of it held out; both lists sorted."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED + task))
    k = round(fraction * n)
    return sorted(order[k:].tolist()), sorted(order[:k].tolist())


@functools.lru_cache(maxsize=4)
def load_babi_qa(
    tasks: tuple[int, ...], lang: str, memory_size: int, validation_fraction: float, root: str
) -> BabiData:
    """Load, split and encode bAbI (cached: an experiment is built more than once)."""
    root_arg = root or None
    splits: dict[str, list[tuple[int, Story]]] = {"train": [], "valid": [], "test": []}
    for t in tasks:
        train = load_babi(t, "train", lang=lang, root=root_arg).stories
        train_ids, valid_ids = validation_split(len(train), validation_fraction, t)
        splits["train"] += [(t, train[i]) for i in train_ids]
        splits["valid"] += [(t, train[i]) for i in valid_ids]
        splits["test"] += [(t, s) for s in load_babi(t, "test", lang=lang, root=root_arg).stories]
    vocab = Vocab.from_stories(s for name in ("train", "valid") for _, s in splits[name])
    longest = max(
        len(sentence)
        for pairs in splits.values()
        for _, s in pairs
        for sentence in (*s.sentences[-memory_size:], s.question)
    )

    return BabiData(vocab, *(encode_split(splits[k], vocab, memory_size, longest) for k in splits))


def insert_empty_memories(
    inputs: StoryInputs, supporting: Tensor, rate: float, generator: torch.Generator
) -> tuple[StoryInputs, Tensor]:
    """MemN2N's random noise (sec. 4.2): after each memory, with probability ``rate``, an
    empty memory is inserted (before the next memory or the question), pushing the older
    memories one slot back; memories pushed past slot 0 are dropped. Empty memories are
    attended to (``memory_mask`` True) like sentences, which regularises the temporal
    encoding. ``supporting`` (B, K) follows its facts (-1 if dropped).
    """
    story, mask = inputs.story, inputs.memory_mask
    B, N, _ = story.shape
    gaps = torch.bernoulli(torch.full((B, N), rate), generator=generator).bool() & mask
    # Memory n moves back by the number of empty memories inserted after it or after newer ones.
    shift = gaps.long().flip(-1).cumsum(-1).flip(-1)  # (B, N)
    new_slot = torch.arange(N) - shift  # (B, N)
    keep = mask & (new_slot >= 0)
    b, n = keep.nonzero(as_tuple=True)
    new_story = torch.zeros_like(story)
    new_story[b, new_slot[b, n]] = story[b, n]
    oldest = torch.where(mask, torch.arange(N), N).min(-1).values  # (B,) first used slot
    first = (oldest - shift.gather(-1, oldest.clamp(max=N - 1).unsqueeze(-1)).squeeze(-1)).clamp(
        min=0
    )
    first = torch.where(mask.any(-1), first, N)
    new_mask = torch.arange(N) >= first.unsqueeze(-1)  # (B, N)
    moved = new_slot.gather(-1, supporting.clamp(min=0))  # (B, K)
    new_supporting = torch.where((supporting >= 0) & (moved >= 0), moved, -1)
    return StoryInputs(new_story, inputs.query, new_mask), new_supporting


class BabiQATask:
    """bAbI QA for memory networks: ``input_size`` = ``output_size`` = vocabulary size."""

    def __init__(self, config: BabiQAConfig) -> None:
        self.config = config
        c = config
        root = str(
            data_root(c.root or None)
        )  # resolved now: the cache must not outlive $ATTNMEM_DATA
        self.data = load_babi_qa(c.tasks, c.lang, c.memory_size, c.validation_fraction, root)
        self.vocab = self.data.vocab
        self.input_size = self.output_size = len(self.vocab)

    def sample(
        self, batch_size: int, generator: torch.Generator, *, difficulty: float = 1.0
    ) -> BabiBatch:
        """Random training questions (with replacement), with random noise if configured."""
        index = torch.randint(len(self.data.train), (batch_size,), generator=generator)
        batch = self.data.train.batch(index)
        if self.config.random_noise > 0:
            inputs, supporting = insert_empty_memories(
                batch.inputs, batch.supporting, self.config.random_noise, generator
            )
            batch = BabiBatch(inputs, batch.answer, supporting, batch.task)
        return batch

    def loss(self, logits: Tensor, batch: BabiBatch) -> Tensor:
        return F.cross_entropy(logits.float(), batch.answer)

    def metrics(self, logits: Tensor, batch: BabiBatch) -> dict[str, float]:
        return {"error": (logits.argmax(-1) != batch.answer).float().mean().item()}

    @torch.no_grad()
    def errors(self, model: Any, split: BabiSplit, batch_size: int = 500) -> Tensor:
        """(questions,) bool: where the model's answer is wrong, in split order."""
        wrong = []
        for start in range(0, len(split), batch_size):
            batch = split.batch(torch.arange(start, min(start + batch_size, len(split))))
            logits, _ = model(batch.inputs)
            wrong.append(logits.argmax(-1) != batch.answer)
        return torch.cat(wrong)

    @torch.no_grad()
    def evaluate(self, model: Any, eval_config: Any) -> dict[str, float]:
        """Test error per task (``error@qa<t>``), ``mean_error``, ``failed_tasks`` (test
        error > 5%), and the validation error likewise (``valid_error``, ...).

        Only ``eval_config.batch_size`` is used: the test set is fixed.
        """
        return evaluate_splits(self, model, eval_config, default_batch_size=500)


def evaluate_splits(task: Any, model: Any, eval_config: Any, *, default_batch_size: int):
    """``error_metrics`` of ``task.errors(model, split, batch_size)`` on the test and the
    validation split of a bAbI task (``task.data.test``, ``.valid``; each split's
    ``question_task`` gives the bAbI task of every question)."""
    model.eval()
    batch_size = max(1, int(getattr(eval_config, "batch_size", default_batch_size)))
    return error_metrics(
        {
            prefix: (task.errors(model, split, batch_size), split.question_task)
            for prefix, split in (("error", task.data.test), ("valid_error", task.data.valid))
            if len(split)
        },
        task.config.tasks,
    )


def error_metrics(
    wrong: dict[str, tuple[Tensor, Tensor]], tasks: tuple[int, ...]
) -> dict[str, float]:
    """The bAbI error table from per-question results.

    wrong: {"error": (wrong (Q,) bool, task id (Q,)), "valid_error": (...)} for the test
    and validation questions -> ``error@qa<t>`` (0-1) for each task t, ``mean_error``,
    ``failed_tasks`` (test error > 5%), ``valid_error@qa<t>`` and ``valid_error`` (their
    mean over tasks: what model selection may use, never the test error).
    """
    out: dict[str, float] = {}
    for prefix, (bad, task) in wrong.items():
        bad = bad.float()
        # A task with no questions in a split (a tiny file's validation share) has no error.
        per_task = {t: bad[task == t].mean().item() for t in tasks if (task == t).any()}
        if not per_task:
            continue
        out.update({f"{prefix}@qa{t}": e for t, e in per_task.items()})
        out[f"mean_{prefix}"] = sum(per_task.values()) / len(per_task)
        if prefix == "error":
            out["failed_tasks"] = float(sum(e > FAILED for e in per_task.values()))
    if "mean_valid_error" in out:
        out["valid_error"] = out.pop("mean_valid_error")
    return out
