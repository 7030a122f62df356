"""bAbI as word sequences (the DNC paper's setup): grouping questions into stories, the
word / target / question layout, cutting long training stories, evaluation, and a DNC
that learns a generated task-1-like file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from attnmem.datasets import BABI_DIR, babi_file_name
from attnmem.experiments import experiment_from_dict, read_experiment
from attnmem.models.lstm import LSTMBaseline, LSTMConfig
from attnmem.runs import eval_run, train_run
from attnmem.tasks import TASKS, make_task
from attnmem.tasks.babi import parse_babi
from attnmem.tasks.babi_words import (
    BabiWordsConfig,
    BabiWordsTask,
    group_stories,
    story_words,
)
from attnmem.train import TrainConfig, Trainer
from attnmem.viz.report import make_report
from test_babi import TINY, TINY_STORIES, write
from test_memn2n import PEOPLE, PLACES, make_qa1


def test_group_stories_and_words_by_hand(tmp_path):
    # Grouped by the file's story boundaries (line ids restarting at 1), not by content:
    # two stories that happen to start alike stay two.
    stories = parse_babi(write(tmp_path / "t.txt", TINY + TINY))
    assert [q.story for q in stories] == [0, 0, 1, 2, 2, 3]
    groups = group_stories(stories)
    assert groups == [TINY_STORIES[:2], TINY_STORIES[2:]] * 2
    words, targets, question = story_words(groups[0])
    assert words == [
        *"mary moved to the bathroom .".split(),
        *"john went to the hallway .".split(),
        *"where is mary ? -".split(),
        *"daniel went back to the hallway .".split(),
        *"where is daniel ? -".split(),
    ]
    scored = {
        t: (w, q) for t, (w, q) in enumerate(zip(targets, question, strict=True)) if w is not None
    }
    assert scored == {16: ("bathroom", 0), 28: ("hallway", 1)}
    assert all(q == -1 for w, q in zip(targets, question, strict=True) if w is None)
    # A two-word answer (task 19) gets two answer steps.
    words, targets, question = story_words(groups[1])
    assert words[-3:] == ["?", "-", "-"] and targets[-2:] == ["n", "w"] and question[-2:] == [0, 0]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    folder = root / "babi" / BABI_DIR / "en"
    folder.mkdir(parents=True)
    make_qa1(folder / babi_file_name(1, "train"), 1200, seed=1)
    make_qa1(folder / babi_file_name(1, "test"), 200, seed=2)
    for split in ("train", "test"):
        (folder / babi_file_name(19, split)).write_text(TINY)
    return root


def make(root: Path, **kwargs) -> BabiWordsTask:
    return BabiWordsTask(
        BabiWordsConfig(**{"tasks": (1,), "lang": "en", "root": str(root), **kwargs})
    )


def test_encoding_batches_and_cutting(root):
    assert TASKS["babi_words"][1] is BabiWordsTask
    task = make(root, tasks=(1, 19), validation_fraction=0.0)
    test = task.data.test
    assert test.questions == 200 + 3 and test.question_task.tolist().count(19) == 3
    lengths = [len(w) for w in test.words]
    assert lengths == sorted(lengths)  # sorted, so that neighbours pad little
    batch, question = test.batch(list(range(len(test))), task.output_size)
    assert batch.inputs.shape == (len(test), max(lengths), task.input_size)
    assert torch.equal(batch.inputs.sum(-1), torch.ones(batch.mask.shape))  # one-hot
    for b in range(len(test)):
        n = lengths[b]
        ids = batch.inputs[b, :n].argmax(-1).tolist()
        assert ids == test.words[b]
        scored = batch.mask[b].nonzero().squeeze(-1).tolist()
        assert all(task.vocab.itos[ids[t]] == "-" for t in scored)  # answers at the '-' steps
        assert (question[b] >= 0).nonzero().squeeze(-1).tolist() == scored
    assert set(question[question >= 0].tolist()) == set(range(test.questions))
    # Cutting: only whole answers survive, after the last one that fits.
    cut = make(root, max_train_length=30, validation_fraction=0.0).data.train
    full = make(root, validation_fraction=0.0).data.train
    assert max(len(w) for w in cut.words) <= 30 < max(len(w) for w in full.words)
    assert all(t[-1] >= 0 for t in cut.targets) and cut.questions < full.questions


def test_sampling_is_seeded_and_length_bucketed(root):
    task = make(root)
    a = task.sample(8, torch.Generator().manual_seed(3))
    b = task.sample(8, torch.Generator().manual_seed(3))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    # A window of the length-sorted stories: padded (id 0) to the longest, which is short.
    lengths = (a.inputs.argmax(-1) != 0).sum(-1)
    assert lengths.tolist() == sorted(lengths.tolist()) and lengths.max() == a.inputs.shape[1]
    assert lengths.max() - lengths.min() <= 10


class Answer(torch.nn.Module):
    """Always answers ``word``."""

    def __init__(self, word: int, size: int) -> None:
        super().__init__()
        self.word, self.size = word, size

    def forward(self, x):
        logits = torch.zeros(*x.shape[:2], self.size)
        logits[..., self.word] = 1.0
        return logits, None


def test_evaluate_scores_questions_by_hand(root):
    task = make(root, tasks=(1, 19))
    kitchen = task.vocab.id("kitchen")
    out = task.evaluate(Answer(kitchen, task.output_size), None)
    test = task.data.test
    answers = [
        [task.vocab.itos[w] for w in t if w >= 0] for t in test.targets
    ]  # per story, in order
    qa1 = [a for story, a in zip(test.task.tolist(), answers, strict=True) if story == 1]
    expected = sum(w != "kitchen" for a in qa1 for w in a) / sum(len(a) for a in qa1)
    assert out["error@qa1"] == pytest.approx(expected)
    assert out["error@qa19"] == 1.0  # "n,w" needs two different words
    assert out["mean_error"] == pytest.approx((out["error@qa1"] + 1.0) / 2)
    assert out["failed_tasks"] == 2.0 and "valid_error" in out and "valid_error@qa1" in out
    assert "valid_error@qa19" not in out  # its 2 stories leave none for validation


def test_config_errors(root):
    with pytest.raises(ValueError, match=r"tasks: \[0\] are not bAbI task ids"):
        BabiWordsConfig(tasks=(0,))
    with pytest.raises(ValueError, match=r"max_train_length \(2\) must be >= 8"):
        BabiWordsConfig(max_train_length=2)
    with pytest.raises((FileNotFoundError, ValueError), match="attnmem data babi"):
        make_task("babi_words", {"tasks": [3], "lang": "en", "root": str(root)})


def test_experiments_load():
    for name in ("dnc-babi-10k", "lstm-babi-10k"):
        task = read_experiment(name)["task"]
        assert task["name"] == "babi_words" and task["lang"] == "en-10k"


def test_a_recurrent_model_learns_to_answer_at_the_answer_steps(tmp_path):
    """Stories of one move ("Mary went to the kitchen. Where is Mary?"): reading them word
    by word, a small LSTM learns to emit the place at the '-' step (5 places: chance is
    80% error). The task's inputs, targets and mask line up; the DNC's own learning
    tests are in test_dnc.py."""
    rng = random.Random(0)
    folder = tmp_path / "babi" / BABI_DIR / "en"
    folder.mkdir(parents=True)
    for split, n in (("train", 500), ("test", 100)):
        lines = []
        for _ in range(n):
            person, place = rng.choice(PEOPLE).title(), rng.choice(PLACES)
            lines += [f"1 {person} went to the {place}.", f"2 Where is {person}? \t{place}\t1"]
        (folder / babi_file_name(1, split)).write_text("\n".join(lines) + "\n")
    torch.manual_seed(0)
    task = make(tmp_path)
    model = LSTMBaseline(LSTMConfig(hidden_size=64, layers=1), task.input_size, task.output_size)
    config = TrainConfig(steps=600, batch_size=16, lr=3e-3, log_every=50, checkpoint_every=600)
    Trainer(model, task, config, out_dir=tmp_path / "run", seed=0, progress=False).fit()
    out = task.evaluate(model, None)
    assert out["error@qa1"] < 0.1, out


def test_dnc_run_and_report(root, tmp_path):
    """A dnc-babi-10k run (shrunk) trains, evaluates, resumes to the same metrics, and
    its report draws the DNC's memory use on a test story with the questions listed."""
    data = read_experiment("dnc-babi-10k")
    data["task"].update(lang="en", root=str(root), tasks=[1, 19])
    data["model"].update(controller_size=16, memory_rows=8, memory_width=8)
    data["train"].update(steps=6, batch_size=4, log_every=3, checkpoint_every=3, compile=False)
    data["train"].update(max_minutes=0.0)
    summary = train_run(experiment_from_dict(data), tmp_path / "run", progress=False)
    assert {"error@qa1", "error@qa19", "mean_error", "valid_error"} <= set(summary["metrics"])
    assert eval_run(tmp_path / "run")["metrics"] == summary["metrics"]
    out = make_report(tmp_path / "run")
    page = (out / "index.html").read_text()
    assert "qa1 test story drawn below, its questions: where is" in page and "(model: " in page
    assert (out / "memory_use_task1.png").stat().st_size > 0
    assert not (out / "targets_outputs.png").exists()  # no bit rows for words
