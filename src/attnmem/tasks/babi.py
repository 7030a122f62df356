"""bAbI question answering v1.2 (Weston et al. 2015): parse the files, build tensors.

File format, one line per sentence::

    1 Mary moved to the bathroom.
    2 John went to the hallway.
    3 Where is Mary? <TAB>bathroom<TAB>1
    4 Daniel went back to the hallway.
    5 Where is Daniel? <TAB>hallway<TAB>4

Every line starts with an integer id and a space. Ids go up by one within a
story and restart at 1 for the next one. A question line has three
tab-separated fields: the question, the answer (words separated by commas in
tasks 8 and 19: ``n,w``), and the space-separated ids of its supporting facts.
Each question becomes one :class:`Story` whose memory is every statement of its
story before it (earlier questions are not statements).

Tokens: lowercase, ``.`` and ``?`` removed, split on whitespace.

Shapes (:func:`vectorize`): ``B`` questions, ``N`` memory slots
(``memory_size``), ``J`` words per sentence, ``K`` supporting facts.
"""

from __future__ import annotations

import codecs
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from attnmem.datasets import (
    BABI_SPLITS,
    BABI_TASKS,
    DataNotFoundError,
    babi_dir,
    babi_file_name,
)

__all__ = [
    "BABI_SPLITS",
    "BABI_TASKS",
    "BabiFormatError",
    "BabiTask",
    "BabiTensors",
    "Story",
    "Vocab",
    "find_task_file",
    "load_babi",
    "parse_babi",
    "tokenize",
    "vectorize",
]

_LINE = re.compile(r"([0-9]+) (.*)", re.ASCII | re.DOTALL)  # "<id> <text>"
_MAX_ID_DIGITS = 9  # ids beyond this are corruption; also keeps int() clear of its digit limit
_PUNCTUATION = str.maketrans({".": " ", "?": " "})


class BabiFormatError(ValueError):
    """A bAbI file is malformed. ``str(e)`` is ``"<path>:<line>: <what is wrong>"``.

    ``path`` is the file, ``line`` the 1-based line number.
    """

    def __init__(self, path: str | os.PathLike[str], line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = Path(path)
        self.line = line
        self.message = message

    def __reduce__(self):  # keep pickling (e.g. across DataLoader workers) working
        return (type(self), (self.path, self.line, self.message))


@dataclass(frozen=True)
class Story:
    """One question with its memory.

    sentences:  the statements of the story before the question, oldest first, as tokens
    question:   tokens of the question
    answer:     answer words (several for tasks 8 and 19: ``"n,w"`` -> ``["n", "w"]``)
    supporting: 0-based indices into ``sentences`` of the supporting facts, in file order
    story:      which story of its file it belongs to (0, 1, ...: line ids restart at 1 for
                each); not compared, so a Story equals another with the same question
    """

    sentences: list[list[str]]
    question: list[str]
    answer: list[str]
    supporting: list[int]
    story: int = field(default=0, compare=False)

    @property
    def answer_token(self) -> str:
        """The answer as one vocabulary token: words joined by commas (``"n,w"``), as in MemN2N."""
        return ",".join(self.answer)


@dataclass(frozen=True)
class BabiTask:
    """The questions of one bAbI file."""

    task: int
    split: str
    lang: str
    path: Path
    stories: list[Story]

    @property
    def name(self) -> str:
        """The task's name, e.g. ``"single-supporting-fact"``."""
        return BABI_TASKS[self.task]

    def __len__(self) -> int:
        return len(self.stories)

    def __iter__(self) -> Iterator[Story]:
        return iter(self.stories)


def tokenize(text: str) -> list[str]:
    """Lowercase, drop ``.`` and ``?``, split on whitespace."""
    return text.lower().translate(_PUNCTUATION).split()


def find_task_file(
    task: int, split: str, *, lang: str = "en", root: str | os.PathLike[str] | None = None
) -> Path:
    """Path of ``<root>/babi/tasks_1-20_v1-2/<lang>/qa<task>_<name>_<split>.txt``.

    ``root`` defaults to :func:`attnmem.datasets.data_root`. Raises
    ``ValueError`` for a task outside 1..20 or a split other than train/test, and
    :class:`attnmem.datasets.DataNotFoundError` (a ``FileNotFoundError``) saying
    how to install the data when the file is absent.
    """
    path = babi_dir(root) / lang / babi_file_name(task, split)
    if not path.is_file():
        raise DataNotFoundError(
            f"bAbI task {task} ({split}, {lang}) is not installed: no file {path}. "
            "Install bAbI with `attnmem data babi --from PATH` (PATH: the official "
            "tasks_1-20_v1-2.tar.gz or the folder it unpacks to), or point $ATTNMEM_DATA "
            "(or root=) at a folder holding babi/tasks_1-20_v1-2/"
        )
    return path


def load_babi(
    task: int, split: str, *, lang: str = "en", root: str | os.PathLike[str] | None = None
) -> BabiTask:
    """Parse one installed bAbI file (see :func:`find_task_file` and :func:`parse_babi`)."""
    path = find_task_file(task, split, lang=lang, root=root)
    return BabiTask(task=task, split=split, lang=lang, path=path, stories=parse_babi(path))


def parse_babi(path: str | os.PathLike[str]) -> list[Story]:
    """Parse a bAbI file into one :class:`Story` per question, in file order.

    Blank lines are skipped; a UTF-8 byte-order mark and ``\\r\\n`` line ends are
    accepted. Raises :class:`BabiFormatError` naming the file and line for: bytes
    that are not UTF-8, an empty file or one without questions, a line without an
    integer id, ids that neither go up by one nor restart at 1, a statement
    holding ``?`` (a question missing its tab-separated fields), a question line
    without exactly 3 tab-separated fields, an empty question, statement or
    answer, and a supporting-fact id that is not an integer, points forward or
    to a question line.
    """
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        raise BabiFormatError(
            path,
            data.count(b"\n", 0, e.start) + 1,
            f"not valid UTF-8 (byte {data[e.start]:#04x} at column {e.start - line_start + 1})",
        ) from None
    if not text.strip():
        raise BabiFormatError(path, 1, "empty file")
    return _parse_lines(text.split("\n"), path)


def _parse_lines(lines: list[str], path: Path) -> list[Story]:
    stories: list[Story] = []
    sentences: list[list[str]] = []  # statements of the current story so far
    slot_of: dict[int, int] = {}  # line id of a statement -> its index in sentences
    prev_id = 0
    story = -1  # index of the current story in the file
    lineno = last = 0  # current line, last non-blank line

    def error(message: str) -> BabiFormatError:
        return BabiFormatError(path, lineno, message)

    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        last = lineno
        match = _LINE.fullmatch(line)
        if match is None:
            raise error(f"expected '<integer id> <text>', got {_clip(line)!r}")
        if len(match[1]) > _MAX_ID_DIGITS:
            raise error(f"line id {_clip(match[1])} is too large")
        line_id, body = int(match[1]), match[2]
        if line_id == 1:  # a new story
            sentences, slot_of, story = [], {}, story + 1
        elif prev_id == 0:
            raise error(f"the first line id must be 1, got {line_id}")
        elif line_id != prev_id + 1:
            raise error(
                f"line id {line_id} after {prev_id}: ids go up by one within a story "
                "and restart at 1 for a new one"
            )
        prev_id = line_id

        if "\t" not in body:  # a statement
            if "?" in body:
                raise error(
                    "question without its answer and supporting facts "
                    "(expected 'question?<TAB>answer<TAB>supporting ids')"
                )
            tokens = tokenize(body)
            if not tokens:
                raise error("empty sentence")
            slot_of[line_id] = len(sentences)
            sentences.append(tokens)
            continue

        fields = body.split("\t")
        if len(fields) != 3:
            raise error(
                f"a question line needs 3 tab-separated fields (question, answer, "
                f"supporting fact ids), found {len(fields)}"
            )
        question_text, answer_text, support_text = fields
        question = tokenize(question_text)
        if not question:
            raise error("empty question")
        if not answer_text.strip():
            raise error("empty answer")
        answer = [word.strip().lower() for word in answer_text.split(",")]
        if any(len(word.split()) != 1 for word in answer):
            raise error(f"answer {answer_text!r} is not words separated by commas")
        supporting = []
        for token in support_text.split():
            if not (token.isascii() and token.isdigit()):
                raise error(f"supporting fact id {_clip(token)!r} is not an integer")
            fact_id = int(token) if len(token) <= _MAX_ID_DIGITS else line_id
            if fact_id >= line_id:
                raise error(
                    f"supporting fact id {_clip(token)} points forward (the question's id is "
                    f"{line_id})"
                )
            if fact_id not in slot_of:
                what = "no such line" if fact_id < 1 else "a question, not a statement"
                raise error(f"supporting fact id {fact_id} is {what}")
            supporting.append(slot_of[fact_id])
        stories.append(Story(list(sentences), question, answer, supporting, story))

    if not stories:
        raise BabiFormatError(path, last, "no questions in file")
    return stories


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class Vocab:
    """Words <-> integer ids, built from training stories.

    Id 0 (``<pad>``) pads sentences and empty memory slots; id 1 (``<unk>``)
    stands for every word not in the vocabulary, so test stories with words
    unseen in training still encode (an unknown answer then can never be
    predicted right, which is the honest score). The other words follow in the
    order given (sorted by :meth:`from_stories`). ``Vocab(vocab.words)`` rebuilds
    the same vocabulary, e.g. from a checkpoint.
    """

    PAD = 0
    UNK = 1
    SPECIALS = ("<pad>", "<unk>")

    def __init__(self, words: Iterable[str]) -> None:
        itos = (*self.SPECIALS, *words)
        stoi = {word: i for i, word in enumerate(itos)}
        if len(stoi) != len(itos):
            dupes = sorted(word for word, count in Counter(itos).items() if count > 1)
            raise ValueError(f"Vocab: words must be unique and not {self.SPECIALS}, got {dupes}")
        self.itos: tuple[str, ...] = itos
        self.stoi: dict[str, int] = stoi

    @classmethod
    def from_stories(cls, stories: Iterable[Story]) -> Vocab:
        """All words of the sentences and questions, plus each answer token, sorted."""
        words: set[str] = set()
        for story in stories:
            for sentence in story.sentences:
                words.update(sentence)
            words.update(story.question)
            words.add(story.answer_token)
        return cls(sorted(words - set(cls.SPECIALS)))

    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary without ``<pad>`` and ``<unk>``, in id order (ids 2, 3, ...)."""
        return self.itos[len(self.SPECIALS) :]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        more = ", ..." if len(self) > 6 else ""
        return f"Vocab({len(self)} ids: {', '.join(self.itos[:6])}{more})"

    def id(self, word: str) -> int:
        """The word's id, ``Vocab.UNK`` if it is not in the vocabulary."""
        return self.stoi.get(word, self.UNK)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi.get(token, self.UNK) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of the ids, padding dropped."""
        return [self.itos[int(i)] for i in ids if int(i) != self.PAD]


class BabiTensors(NamedTuple):
    """Stories as word-id tensors for memory networks (all ``torch.long`` but the mask).

    story:       (B, N, J) word ids of the last N statements before each question,
                 right-aligned in time order: slot N-1 holds the statement just
                 before the question, slot N-1-k the one k statements earlier;
                 slots before the first kept statement are all ``Vocab.PAD``.
                 Each sentence is left-aligned, padded with ``Vocab.PAD`` to J words.
    query:       (B, J) word ids of the question, padded like a sentence
    answer:      (B,) id of the answer token (``"n,w"`` is one token)
    supporting:  (B, K) memory slot of each supporting fact, in file order; -1 where
                 a fact was dropped (older than the last N statements) and as padding
    memory_mask: (B, N) bool, True at slots holding a statement
    """

    story: Tensor
    query: Tensor
    answer: Tensor
    supporting: Tensor
    memory_mask: Tensor

    def to(self, device: torch.device | str) -> BabiTensors:
        return BabiTensors(*(t.to(device) for t in self))


def vectorize(
    stories: Sequence[Story],
    vocab: Vocab,
    *,
    memory_size: int = 50,
    sentence_length: int | None = None,
) -> BabiTensors:
    """Encode stories for a memory network, keeping the last ``memory_size`` statements.

    Memory is right-aligned in time order (see :class:`BabiTensors`): the slot
    index says how recent a statement is (slot N-1: just before the question),
    whatever the story's length, which is what MemN2N's temporal encoding needs.
    ``sentence_length`` (J) defaults to the longest kept sentence or question in
    ``stories``; pass the maximum over train and test so both get the same J.
    Words outside ``vocab`` become ``Vocab.UNK``. Raises ``ValueError`` for
    ``memory_size < 1`` or a sentence or question longer than ``sentence_length``.
    """
    if memory_size < 1:
        raise ValueError(f"memory_size ({memory_size}) must be >= 1")
    longest = max(
        (len(s) for story in stories for s in (*story.sentences[-memory_size:], story.question)),
        default=1,
    )
    if sentence_length is None:
        sentence_length = longest
    elif sentence_length < longest:
        raise ValueError(
            f"sentence_length ({sentence_length}) is shorter than the longest kept sentence "
            f"or question ({longest} words)"
        )
    B, N, J = len(stories), memory_size, sentence_length
    K = max((len(story.supporting) for story in stories), default=0)
    story_ids = np.zeros((B, N, J), dtype=np.int64)
    query_ids = np.zeros((B, J), dtype=np.int64)
    answer_ids = np.zeros(B, dtype=np.int64)
    supporting = np.full((B, K), -1, dtype=np.int64)
    memory_mask = np.zeros((B, N), dtype=np.bool_)
    for b, story in enumerate(stories):
        n = len(story.sentences)
        kept = min(n, N)
        first = N - kept  # slot of the oldest kept statement
        for slot, sentence in enumerate(story.sentences[n - kept :], start=first):
            story_ids[b, slot, : len(sentence)] = vocab.encode(sentence)
        memory_mask[b, first:] = True
        query_ids[b, : len(story.question)] = vocab.encode(story.question)
        answer_ids[b] = vocab.id(story.answer_token)
        for k, index in enumerate(story.supporting):
            slot = index - n + N  # statement n-1 -> slot N-1
            supporting[b, k] = slot if slot >= 0 else -1
    return BabiTensors(
        story=torch.from_numpy(story_ids),
        query=torch.from_numpy(query_ids),
        answer=torch.from_numpy(answer_ids),
        supporting=torch.from_numpy(supporting),
        memory_mask=torch.from_numpy(memory_mask),
    )
