"""bAbI as word sequences, the way the DNC paper fed it (Graves et al. 2016, Methods).

Each story becomes one sequence of one-hot words: its sentences, each ended by ``.``;
where a question was asked, the question's words, ``?``, then one ``-`` per answer
word. The network reads the whole story word by word and is scored only at the
``-`` steps, where it must emit the answer word (as the paper's "answers emitted at
question marks"). All the story's questions are in its one sequence, so the memory
is written once per story rather than once per question.

``BabiWordsTask(BabiWordsConfig(tasks=(1,), lang="en-10k"))`` loads the chosen tasks
(all 20 = joint training), holds out a deterministic ``validation_fraction`` of each
task's training stories, and builds the vocabulary from the training files (sorted,
plus the three markers). ``evaluate`` scores every test question (all its answer
words right = correct): ``error@qa<t>``, ``mean_error``, ``failed_tasks`` (error >
5%), and ``valid_error`` on the held-out stories, as ``BabiQATask`` does.

Training stories longer than ``max_train_length`` words are cut after the last answer
that fits (their later questions are not trained on); test stories are never cut.

Shapes: ``B`` batch, ``T`` words, ``V`` vocabulary (words + markers).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from attnmem.datasets import data_root
from attnmem.tasks.babi import Story, Vocab, load_babi
from attnmem.tasks.babi_qa import (
    ALL_TASKS,
    check_tasks_and_split,
    evaluate_splits,
    validation_split,
)
from attnmem.tasks.base import Batch

END_SENTENCE, END_QUESTION, ANSWER = ".", "?", "-"


@dataclass(frozen=True)
class BabiWordsConfig:
    tasks: tuple[int, ...] = ALL_TASKS  # bAbI task ids trained (and tested) together
    lang: str = "en-10k"  # the DNC paper trained on 10k
    validation_fraction: float = 0.1  # of each task's training stories, held out
    max_train_length: int = 800  # words; longer training stories are cut (test: never)
    root: str = ""  # data root; "" = attnmem.datasets.data_root() ($ATTNMEM_DATA, ...)

    def __post_init__(self) -> None:
        check_tasks_and_split(self.tasks, self.validation_fraction)
        if self.max_train_length < 8:
            raise ValueError(f"max_train_length ({self.max_train_length}) must be >= 8")


def group_stories(questions: list[Story]) -> list[list[Story]]:
    """A file's questions (in file order) grouped by the story they were asked in."""
    groups: list[list[Story]] = []
    for q in questions:
        if groups and q.story == groups[-1][-1].story:
            groups[-1].append(q)
        else:
            groups.append([q])
    return groups


def story_words(story: list[Story]) -> tuple[list[str], list[str | None], list[int]]:
    """One story's input words, the target word at each step (None = not scored) and the
    question (index into ``story``) each step answers (-1 = none)."""
    words: list[str] = []
    targets: list[str | None] = []
    question: list[int] = []
    sentences_read = 0
    for k, q in enumerate(story):
        for sentence in q.sentences[sentences_read:]:
            words += [*sentence, END_SENTENCE]
        sentences_read = len(q.sentences)
        words += [*q.question, END_QUESTION]
        targets += [None] * (len(words) - len(targets))
        question += [-1] * (len(words) - len(question))
        words += [ANSWER] * len(q.answer)
        targets += q.answer
        question += [k] * len(q.answer)
    return words, targets, question


@dataclass(frozen=True)
class EncodedStories:
    """A split's stories as id lists, sorted by length (so that a batch of neighbours is
    padded little). ``question[i][t]`` numbers the split's questions (-1: no answer)."""

    words: list[list[int]]
    targets: list[list[int]]  # -1 where not scored
    question: list[list[int]]
    task: Tensor  # (stories,) bAbI task id
    questions: int  # questions in the split
    question_task: Tensor  # (questions,) bAbI task id

    def __len__(self) -> int:
        return len(self.words)

    def batch(self, index: list[int], vocab_size: int) -> tuple[Batch, Tensor]:
        """One-hot inputs (B, T, V), targets (B, T, 1), mask (B, T); and the question id at
        each step (B, T), -1 where none."""
        T = max(len(self.words[i]) for i in index)
        ids = torch.zeros(len(index), T, dtype=torch.long)
        targets = torch.full((len(index), T), -1, dtype=torch.long)
        question = torch.full((len(index), T), -1, dtype=torch.long)
        for b, i in enumerate(index):
            n = len(self.words[i])
            ids[b, :n] = torch.tensor(self.words[i])
            targets[b, :n] = torch.tensor(self.targets[i])
            question[b, :n] = torch.tensor(self.question[i])
        mask = (targets >= 0).float()
        # Padding (id 0) comes after a story's last word: a recurrent model's outputs
        # there are unscored and cannot reach the story's own steps.
        inputs = F.one_hot(ids, vocab_size).float()
        batch = Batch(inputs, targets.clamp(min=0).unsqueeze(-1).float(), mask)
        return batch, question


def encode(
    stories: list[tuple[int, list[Story]]], vocab: Vocab, max_length: int | None
) -> EncodedStories:
    rows = []
    question_task: list[int] = []
    for task, story in stories:
        words, targets, question = story_words(story)
        if max_length is not None and len(words) > max_length:
            # Cut after the last answer that fits; a story whose first answer does not fit
            # is dropped from training.
            scored = [t for t in range(max_length) if targets[t] is not None]
            if not scored:
                continue
            end = scored[-1] + 1
            words, targets, question = words[:end], targets[:end], question[:end]
        first = len(question_task)
        asked = max(question) + 1
        question_task += [task] * asked
        rows.append(
            (
                vocab.encode(words),
                [-1 if w is None else vocab.id(w) for w in targets],
                [-1 if k < 0 else first + k for k in question],
                task,
            )
        )
    rows.sort(key=lambda r: len(r[0]))
    return EncodedStories(
        words=[r[0] for r in rows],
        targets=[r[1] for r in rows],
        question=[r[2] for r in rows],
        task=torch.tensor([r[3] for r in rows], dtype=torch.long),
        questions=len(question_task),
        question_task=torch.tensor(question_task, dtype=torch.long),
    )


@dataclass(frozen=True)
class BabiWords:
    vocab: Vocab
    train: EncodedStories
    valid: EncodedStories
    test: EncodedStories


@functools.lru_cache(maxsize=4)
def load_babi_words(
    tasks: tuple[int, ...], lang: str, validation_fraction: float, max_length: int, root: str
) -> BabiWords:
    """Load, group, split and encode (cached: an experiment is built more than once)."""
    root_arg = root or None
    splits: dict[str, list[tuple[int, list[Story]]]] = {"train": [], "valid": [], "test": []}
    for t in tasks:
        train = group_stories(load_babi(t, "train", lang=lang, root=root_arg).stories)
        train_ids, valid_ids = validation_split(len(train), validation_fraction, t)
        splits["train"] += [(t, train[i]) for i in train_ids]
        splits["valid"] += [(t, train[i]) for i in valid_ids]
        test = group_stories(load_babi(t, "test", lang=lang, root=root_arg).stories)
        splits["test"] += [(t, s) for s in test]
    markers = (END_SENTENCE, END_QUESTION, ANSWER)
    words: set[str] = set()
    for name in ("train", "valid"):
        for _, story in splits[name]:
            inputs, targets, _ = story_words(story)
            words.update(inputs, (w for w in targets if w is not None))
    vocab = Vocab([*markers, *sorted(words - set(markers) - set(Vocab.SPECIALS))])
    return BabiWords(
        vocab,
        encode(splits["train"], vocab, max_length),
        encode(splits["valid"], vocab, None),
        encode(splits["test"], vocab, None),
    )


class BabiWordsTask:
    """bAbI for recurrent memory models: ``input_size`` = ``output_size`` = V."""

    def __init__(self, config: BabiWordsConfig) -> None:
        self.config = c = config
        root = str(data_root(c.root or None))  # resolved now: the cache must not outlive it
        self.data = load_babi_words(
            c.tasks, c.lang, c.validation_fraction, c.max_train_length, root
        )
        self.vocab = self.data.vocab
        self.input_size = self.output_size = len(self.vocab)

    def sample(
        self, batch_size: int, generator: torch.Generator, *, difficulty: float = 1.0
    ) -> Batch:
        """``batch_size`` training stories of similar length: a random window of the
        length-sorted stories (every story is as likely as any other but the few at the
        ends), so a batch of short stories is not padded to the longest one."""
        n = len(self.data.train)
        size = min(batch_size, n)
        start = int(torch.randint(n - size + 1, (1,), generator=generator))
        return self.data.train.batch(list(range(start, start + size)), self.output_size)[0]

    def loss(self, logits: Tensor, batch: Batch) -> Tensor:
        """Cross-entropy (nats) per answer word, averaged over the batch's answer words."""
        nll = F.cross_entropy(
            logits.float().transpose(1, 2), batch.targets[..., 0].long(), reduction="none"
        )  # (B, T)
        return (nll * batch.mask).sum() / batch.mask.sum().clamp(min=1.0)

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        wrong = (logits.argmax(-1) != batch.targets[..., 0].long()).float()  # (B, T)
        return {"word_error": ((wrong * batch.mask).sum() / batch.mask.sum()).item()}

    @torch.no_grad()
    def errors(self, model: Any, split: EncodedStories, batch_size: int = 100) -> Tensor:
        """(questions,) bool: where any answer word of a question is wrong."""
        wrong = torch.zeros(split.questions, dtype=torch.bool)
        for start in range(0, len(split), batch_size):
            index = list(range(start, min(start + batch_size, len(split))))
            batch, question = split.batch(index, self.output_size)
            logits, _ = model(batch.inputs)
            bad = (logits.argmax(-1) != batch.targets[..., 0].long()) & (question >= 0)
            wrong[question[bad]] = True
        return wrong

    @torch.no_grad()
    def evaluate(self, model: Any, eval_config: Any) -> dict[str, float]:
        """Test error per task (``error@qa<t>``), ``mean_error``, ``failed_tasks``, and the
        validation error (``valid_error``, ``valid_error@qa<t>``) for model selection.
        Only ``eval_config.batch_size`` is used: the test set is fixed."""
        return evaluate_splits(self, model, eval_config, default_batch_size=100)
