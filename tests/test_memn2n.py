"""MemN2N ladder: PE and hop attention by hand and gradcheck, the model against a slow
reference, the bAbI QA task on generated fixtures, and "it learns" (generated data
always; real bAbI task 1 where ``$ATTNMEM_DATA`` is set)."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck
from torch.testing import assert_close

from attnmem.bench.babi import joint_column, memn2n_babi_table, per_task_column
from attnmem.datasets import BABI_DIR, babi_file_name
from attnmem.experiments import experiment_from_dict, load_experiment, read_experiment
from attnmem.memory.memn2n import (
    StoryInputs,
    bag_of_words_weights,
    embed_sentences,
    encode_sentences,
    memory_attention,
    memory_read,
    position_encoding,
)
from attnmem.models import MODELS
from attnmem.models.memn2n import MemN2N, MemN2NConfig
from attnmem.runs import eval_run, load_run, train_run
from attnmem.tasks import TASKS, make_task
from attnmem.tasks.babi_qa import (
    BabiQAConfig,
    BabiQATask,
    insert_empty_memories,
    validation_split,
)
from attnmem.train import TrainConfig, Trainer
from attnmem.viz.babi import choose_stories, story_tables, table_html, table_text
from attnmem.viz.report import make_report

REAL_ROOT = os.environ.get("ATTNMEM_DATA")
needs_real = pytest.mark.skipif(
    not REAL_ROOT, reason="ATTNMEM_DATA not set: real bAbI tests need ../shared/data"
)


def t(x) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float32)


# --- layer 2 math: hand-computed -------------------------------------------------------


def test_position_encoding_by_hand():
    # J = 3, d = 2: l_kj = (1 - j/3) - (k/2)(1 - 2j/3); a 4th slot past the sentence is 0.
    expected = t([[0.5, 1 / 3], [0.5, 2 / 3], [0.5, 1.0], [0.0, 0.0]])
    assert_close(position_encoding(torch.tensor(3), 4, 2), expected)
    assert_close(position_encoding(torch.tensor([0]), 2, 3), torch.zeros(1, 2, 3))


def test_bag_of_words_weights_by_hand():
    assert_close(bag_of_words_weights(torch.tensor(2), 3, 2), t([[1, 1], [1, 1], [0, 0]]))


@pytest.mark.parametrize("position", [True, False])
def test_embed_sentences_matches_reference(position):
    torch.manual_seed(0)
    ids = torch.tensor([[[3, 4, 5, 0], [2, 0, 0, 0]], [[0, 0, 0, 0], [5, 5, 1, 2]]])  # (2, 2, 4)
    E = torch.randn(6, 5)
    encoding = position_encoding if position else bag_of_words_weights
    reference = encode_sentences(F.embedding(ids, E), encoding((ids != 0).sum(-1), 4, 5))
    assert_close(embed_sentences(ids, E, position=position), reference)
    # Two matrices side by side: each block of dim columns is its own encoding.
    E2 = torch.randn(6, 5)
    both = embed_sentences(ids, torch.cat([E, E2], 1), position=position, dim=5)
    assert_close(both[..., 5:], embed_sentences(ids, E2, position=position))
    assert_close(embed_sentences(ids[1, 0], E, position=position), torch.zeros(5))  # padding


def test_embed_sentences_rejects_bad_block():
    with pytest.raises(ValueError, match=r"embedding width \(5\) must be a multiple of dim \(2\)"):
        embed_sentences(torch.tensor([[1]]), torch.randn(3, 5), position=True, dim=2)


def test_memory_attention_by_hand():
    u = t([[1.0, 0.0]])
    m = t([[[math.log(3.0), 5.0], [0.0, -1.0], [9.0, 9.0]]])  # scores ln 3, 0, 9
    mask = torch.tensor([[True, True, False]])
    assert_close(memory_attention(u, m, mask), t([[0.75, 0.25, 0.0]]))
    assert_close(memory_attention(u, m, mask, linear=True), t([[math.log(3.0), 0.0, 0.0]]))
    assert_close(memory_attention(u, m[:, :2]), t([[0.75, 0.25]]))


def test_memory_attention_empty_memory_is_zero_not_nan():
    u = torch.randn(1, 2, requires_grad=True)
    p = memory_attention(u, torch.randn(1, 3, 2), torch.zeros(1, 3, dtype=torch.bool))
    assert_close(p, torch.zeros(1, 3))
    p.sum().backward()
    assert torch.isfinite(u.grad).all()


def test_memory_read_by_hand():
    c = t([[[1.0, 0.0], [0.0, 2.0]]])
    assert_close(memory_read(t([[0.25, 0.75]]), c), t([[0.25, 1.5]]))


# --- gradcheck in float64 ---------------------------------------------------------------


def test_gradcheck_memory_math():
    g = torch.Generator().manual_seed(0)
    u = torch.randn(2, 3, dtype=torch.float64, generator=g, requires_grad=True)
    m = torch.randn(2, 4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    c = torch.randn(2, 4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    assert gradcheck(lambda u, m: memory_attention(u, m, mask), (u, m))
    assert gradcheck(lambda u, m: memory_attention(u, m, mask, linear=True), (u, m))
    p = torch.softmax(torch.randn(2, 4, dtype=torch.float64, generator=g), -1).requires_grad_()
    assert gradcheck(memory_read, (p, c))
    ids = torch.tensor([[2, 3, 0], [1, 1, 4]])
    E = torch.randn(5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    assert gradcheck(lambda E: embed_sentences(ids, E, position=True), (E,))


# --- the model --------------------------------------------------------------------------


def random_inputs(B=3, N=5, J=4, V=11, seed=0) -> StoryInputs:
    g = torch.Generator().manual_seed(seed)
    story = torch.randint(1, V, (B, N, J), generator=g)
    story[:, :, -1] = 0  # padding words
    story[0, :2] = 0  # an empty story start
    mask = torch.ones(B, N, dtype=torch.bool)
    mask[0, :2] = False
    return StoryInputs(story, torch.randint(1, V, (B, J), generator=g), mask)


def slow_memn2n(model: MemN2N, x: StoryInputs) -> torch.Tensor:
    """Adjacent-tied MemN2N written out from the paper, one memory at a time."""
    c = model.config
    E, T = model.memory.embeddings, model.memory.temporal
    pe = position_encoding if c.encoding == "position" else bag_of_words_weights

    def enc(ids, k):  # sum_j l_j * E_k x_j
        return encode_sentences(
            F.embedding(ids, E[k]), pe((ids != 0).sum(-1), ids.shape[-1], c.dim)
        )

    B, N, _ = x.story.shape
    logits = []
    for b in range(B):
        u = enc(x.query[b], 0)
        for k in range(c.hops):
            slots = [i for i in range(N) if x.memory_mask[b, i]]
            m = torch.stack([enc(x.story[b, i], k) + T[k, i] for i in slots])
            cc = torch.stack([enc(x.story[b, i], k + 1) + T[k + 1, i] for i in slots])
            p = torch.softmax(m @ u, 0)
            u = u + (p[:, None] * cc).sum(0)
        logits.append(E[c.hops] @ u)
    return torch.stack(logits)


@pytest.mark.parametrize("encoding", ["position", "bag_of_words"])
def test_model_matches_slow_reference(encoding):
    torch.manual_seed(0)
    model = MemN2N(MemN2NConfig(hops=3, dim=6, memory_size=5, encoding=encoding), 11, 11)
    x = random_inputs()
    logits, state = model(x)
    assert state is None and logits.shape == (3, 11)
    assert_close(logits, slow_memn2n(model, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("tying", ["adjacent", "layerwise"])
@pytest.mark.parametrize("hops", [1, 2, 3])
def test_model_shapes_trace_and_gradients(tying, hops):
    torch.manual_seed(0)
    model = MemN2N(MemN2NConfig(hops=hops, dim=6, memory_size=5, tying=tying), 11, 11)
    x = random_inputs()
    trace = model.trace(x)
    p = trace["hop_attention"]
    assert p.shape == (3, hops, 5)
    assert_close(p.sum(-1), torch.ones(3, hops))
    assert (p[0, :, :2] == 0).all()  # no attention on slots without a memory
    assert_close(trace.outputs, model(x)[0])
    model(x)[0].logsumexp(-1).sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name


def test_weight_tying_parameter_counts():
    V, d, N = 11, 6, 5
    adjacent = MemN2N(MemN2NConfig(hops=3, dim=d, memory_size=N), V, V)
    assert sum(p.numel() for p in adjacent.parameters()) == 4 * (V * d + N * d)
    layerwise = MemN2N(MemN2NConfig(hops=3, dim=d, memory_size=N, tying="layerwise"), V, V)
    # A, C (+ temporal), B, W, H
    assert sum(p.numel() for p in layerwise.parameters()) == 2 * (V * d + N * d) + 2 * V * d + d * d
    no_te = MemN2N(MemN2NConfig(hops=1, dim=d, memory_size=N, temporal=False), V, V)
    assert sum(p.numel() for p in no_te.parameters()) == 2 * V * d


def test_linear_start_schedule_and_checkpoint():
    torch.manual_seed(0)
    model = MemN2N(MemN2NConfig(hops=2, dim=6, memory_size=5, linear_start_steps=10), 11, 11)
    x = random_inputs()
    model.on_train_step(0)
    p = model.trace(x)["hop_attention"]
    assert not torch.allclose(p.sum(-1), torch.ones(3, 2))  # raw scores, no softmax
    assert (p[0, :, :2] == 0).all()
    reloaded = MemN2N(model.config, 11, 11)
    reloaded.load_state_dict(model.state_dict())
    assert bool(reloaded.linear)  # mid-linear-start checkpoints keep their mode
    model.on_train_step(10)
    assert_close(model.trace(x)["hop_attention"].sum(-1), torch.ones(3, 2))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hops": 0}, r"hops \(0\) must be in 1..10"),
        ({"dim": 0}, r"dim \(0\) must be >= 1"),
        ({"encoding": "bow"}, r"encoding \('bow'\) must be one of"),
        ({"tying": "none"}, r"tying \('none'\) must be one of"),
        ({"linear_start_steps": -1}, r"linear_start_steps \(-1\) must be >= 0"),
    ],
)
def test_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemN2NConfig(**kwargs)


def test_model_input_errors():
    with pytest.raises(ValueError, match=r"output_size \(3\) must equal input_size \(11\)"):
        MemN2N(MemN2NConfig(), 11, 3)
    model = MemN2N(MemN2NConfig(dim=4, memory_size=7), 11, 11)
    with pytest.raises(ValueError, match=r"story must be \(B, N=7, J\).*got shape \(3, 5, 4\)"):
        model(random_inputs())


# --- the task, on generated single-supporting-fact files ---------------------------------

PEOPLE = ("mary", "john", "daniel", "sandra")
PLACES = ("kitchen", "garden", "office", "hallway", "bathroom")


def make_qa1(path: Path, questions: int, seed: int) -> None:
    """A file in bAbI format like task 1: people move, "Where is X?" asks their last place."""
    rng = random.Random(seed)
    lines: list[str] = []
    while questions > 0:
        where: dict[str, tuple[str, int]] = {}
        line = 0
        for _ in range(min(rng.randint(1, 4), questions)):  # questions per story
            for _ in range(2):
                person, place = rng.choice(PEOPLE), rng.choice(PLACES)
                line += 1
                where[person] = (place, line)
                lines.append(f"{line} {person.title()} went to the {place}.")
            person = rng.choice(sorted(where))
            line += 1
            place, fact = where[person]
            lines.append(f"{line} Where is {person.title()}? \t{place}\t{fact}")
            questions -= 1
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    folder = root / "babi" / BABI_DIR / "en"
    folder.mkdir(parents=True)
    for task in (1, 2):
        make_qa1(folder / babi_file_name(task, "train"), 400, seed=task)
        make_qa1(folder / babi_file_name(task, "test"), 200, seed=100 + task)
    return root


def fake_task(root: Path, **kwargs) -> BabiQATask:
    return BabiQATask(BabiQAConfig(**{"tasks": (1,), "root": str(root), **kwargs}))


def test_task_registered_and_deterministic(fake_root):
    assert TASKS["babi"][1] is BabiQATask and MODELS["memn2n"][1] is MemN2N
    task = fake_task(fake_root, tasks=(1, 2))
    assert task.input_size == task.output_size == len(task.vocab)
    assert len(task.data.train) == 720 and len(task.data.valid) == 80
    assert len(task.data.test) == 400
    assert task.data.valid.task.tolist() == [1] * 40 + [2] * 40
    assert validation_split(10, 0.2, 1) == validation_split(10, 0.2, 1)
    train, valid = validation_split(10, 0.2, 1)
    assert sorted(train + valid) == list(range(10)) and len(valid) == 2
    # the split's stories and tensors agree
    split = task.data.test
    batch = split.batch(torch.arange(3))
    for i in range(3):
        story = split.stories[i]
        assert task.vocab.decode(batch.inputs.query[i]) == story.question
        assert task.vocab.itos[batch.answer[i]] == story.answer_token
        slot = batch.supporting[i, 0]
        assert (
            task.vocab.decode(batch.inputs.story[i, slot]) == story.sentences[story.supporting[0]]
        )


def test_sample_uses_generator_and_noise(fake_root):
    task = fake_task(fake_root)
    a = task.sample(8, torch.Generator().manual_seed(1))
    b = task.sample(8, torch.Generator().manual_seed(1))
    assert torch.equal(a.inputs.story, b.inputs.story) and torch.equal(a.answer, b.answer)
    plain = fake_task(fake_root, random_noise=0.0).sample(8, torch.Generator().manual_seed(1))
    assert torch.equal(plain.answer, a.answer)
    assert plain.inputs.memory_mask.sum() <= a.inputs.memory_mask.sum()


def test_insert_empty_memories_keeps_order_and_supporting_facts():
    N, J = 6, 2
    story = torch.zeros(2, N, J, dtype=torch.long)
    story[0, 3:, 0] = torch.tensor([7, 8, 9])  # three memories
    story[1, :, 0] = torch.arange(1, N + 1)  # a full memory
    mask = story[..., 0] != 0
    supporting = torch.tensor([[3, 5], [0, -1]])
    x = StoryInputs(story, torch.ones(2, J, dtype=torch.long), mask)
    out, sup = insert_empty_memories(x, supporting, 0.0, torch.Generator())
    assert torch.equal(out.story, story) and torch.equal(sup, supporting)
    for seed in range(20):
        out, sup = insert_empty_memories(x, supporting, 0.5, torch.Generator().manual_seed(seed))
        words = out.story[..., 0]
        assert words[0][words[0] != 0].tolist() == [7, 8, 9][-len(words[0][words[0] != 0]) :]
        kept = words[1][words[1] != 0].tolist()
        assert kept == list(range(N - len(kept) + 1, N + 1))  # the oldest are dropped
        first = int(out.memory_mask[0].float().argmax())
        assert out.memory_mask[0, first:].all() and words[0, first] == 7
        assert (words[~out.memory_mask] == 0).all()
        assert words[0, sup[0, 0]] == 7 and words[0, sup[0, 1]] == 9
        assert sup[1, 0] == -1 or words[1, sup[1, 0]] == 1


def test_evaluate_keys_and_values(fake_root):
    task = fake_task(fake_root, tasks=(1, 2))
    model = MemN2N(MemN2NConfig(dim=8), task.input_size, task.output_size)
    out = task.evaluate(model, None)
    expected = {"error@qa1", "error@qa2", "mean_error", "failed_tasks", "valid_error"}
    assert expected | {"valid_error@qa1", "valid_error@qa2"} == set(out)
    assert out["mean_error"] == pytest.approx((out["error@qa1"] + out["error@qa2"]) / 2)
    assert out["failed_tasks"] == sum(out[f"error@qa{t}"] > 0.05 for t in (1, 2))


def test_task_config_errors(fake_root):
    with pytest.raises(ValueError, match=r"tasks: \[21\] are not bAbI task ids"):
        BabiQAConfig(tasks=(21,))
    with pytest.raises(ValueError, match=r"random_noise \(1.5\) must be in \[0, 1\)"):
        BabiQAConfig(random_noise=1.5)
    with pytest.raises((FileNotFoundError, ValueError), match="attnmem data babi"):
        make_task("babi", {"tasks": [3], "root": str(fake_root)})


def learns(task: BabiQATask, steps: int, **model) -> dict[str, float]:
    torch.manual_seed(0)
    config = MemN2NConfig(**{"hops": 1, "dim": 20, "memory_size": 50, **model})
    net = MemN2N(config, task.input_size, task.output_size)
    train = TrainConfig(steps=steps, batch_size=32, lr=0.01, grad_clip=40.0, log_every=50)
    Trainer(net, task, train, out_dir=task_dir(), progress=False).fit(resume=False)
    return task.evaluate(net, None)


def task_dir() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="memn2n-"))


def test_learns_generated_single_supporting_fact(fake_root):
    out = learns(fake_task(fake_root), steps=300)
    assert out["error@qa1"] < 0.05, out


@needs_real
def test_learns_real_babi_task1():
    out = learns(BabiQATask(BabiQAConfig(tasks=(1,))), steps=400, linear_start_steps=100)
    assert out["error@qa1"] < 0.1, out


# --- experiments and runs --------------------------------------------------------------


def test_run_rebuilds_vocab_and_scores(fake_root, tmp_path):
    data = read_experiment("memn2n-babi-1k")
    data["task"].update(tasks=[1, 2], root=str(fake_root))
    data["model"].update(dim=8, linear_start_steps=20)
    data["train"].update(steps=40, log_every=20, checkpoint_every=20, max_minutes=0.0)
    exp = experiment_from_dict(data)
    summary = train_run(exp, tmp_path / "run", progress=False)
    assert {"error@qa1", "error@qa2", "mean_error", "failed_tasks"} <= set(summary["metrics"])
    again = eval_run(tmp_path / "run")
    assert again["metrics"] == summary["metrics"]
    _, _, task, _ = load_run(tmp_path / "run")
    assert task.vocab == fake_task(fake_root, tasks=(1, 2)).vocab  # rebuilt from the files
    assert json.loads((tmp_path / "run" / "eval.json").read_text())["metrics"] == summary["metrics"]


@needs_real
@pytest.mark.parametrize("name", ["memn2n-babi-1k", "memn2n-babi-1k-task1"])
def test_experiments_load(name):
    exp = load_experiment(name)
    assert exp.model_name == "memn2n" and exp.task_name == "babi"
    assert exp.model.memory_size == exp.task.get("memory_size", 50)


# --- report and benchmark bookkeeping ---------------------------------------------------


def test_story_tables_and_report(fake_root, tmp_path):
    data = read_experiment("memn2n-babi-1k-task1")
    data["task"].update(root=str(fake_root))
    data["model"].update(linear_start_steps=0)  # softmax attention, so rows sum to 1
    data["train"].update(steps=20, log_every=10, checkpoint_every=10, max_minutes=0.0)
    train_run(experiment_from_dict(data), tmp_path / "run", progress=False)
    _, model, task, _ = load_run(tmp_path / "run")
    indices = choose_stories(task, per_task=2)
    assert len(indices) == 2
    tables = story_tables(model, task, indices)
    for table in tables:
        story = task.data.test.stories[table.index]
        assert table.attention.shape == (len(table.sentences), 3)
        assert np.allclose(table.attention.sum(0), 1.0, atol=1e-5)
        starred = [s for s, sup in zip(table.sentences, table.supporting, strict=True) if sup]
        assert starred == [" ".join(story.sentences[i]) for i in story.supporting]
        assert table.answer == story.answer_token
        assert "hop 3" in table_text(table) and "<table>" in table_html(table)
    out = make_report(tmp_path / "run")
    page = (out / "index.html").read_text()
    assert "Hop attention" in page and "error@qa1" not in page and "test error" in page
    assert (out / "attention.png").stat().st_size > 0 and (out / "stories.txt").exists()


def fake_babi_run(seed: int, errors: dict[int, float], valid: dict[int, float]) -> dict:
    metrics = {f"error@qa{t}": e for t, e in errors.items()}
    metrics |= {f"valid_error@qa{t}": e for t, e in valid.items()}
    metrics["valid_error"] = sum(valid.values()) / len(valid)
    metrics["mean_error"] = sum(errors.values()) / len(errors)
    return {"seed": seed, "step": 10, "seconds": 60.0, "cpu_seconds": 60.0, "metrics": metrics}


def test_joint_column_picks_by_validation_never_test():
    runs = [
        fake_babi_run(0, {1: 0.0, 2: 0.1}, {1: 0.5, 2: 0.5}),  # best test, worst validation
        fake_babi_run(1, {1: 0.2, 2: 0.04}, {1: 0.1, 2: 0.1}),
    ]
    col = joint_column(runs)
    assert col["best"]["seed"] == 1 and col["best"]["failed_tasks"] == 1
    assert col["best"]["mean_error"] == pytest.approx(0.12)
    assert col["mean"]["per_task"]["1"] == pytest.approx(0.1)
    assert col["std"]["failed_tasks"] == 0.0
    assert col["mean"]["mean_error"] == pytest.approx((0.05 + 0.12) / 2)


def test_per_task_column_picks_each_task_by_its_validation_error():
    runs = {
        1: [fake_babi_run(0, {1: 0.0}, {1: 0.3}), fake_babi_run(1, {1: 0.5}, {1: 0.2})],
        2: [fake_babi_run(0, {2: 0.0}, {2: 0.1}), fake_babi_run(1, {2: 0.4}, {2: 0.2})],
    }
    col = per_task_column(runs)
    assert col["best"]["per_task"] == {"1": 0.5, "2": 0.0}
    assert col["best"]["seed"] == {"1": 1, "2": 0}
    assert [s["mean_error"] for s in col["seeds"]] == pytest.approx([0.0, 0.45])
    column = {
        **col,
        "paper": {"mean_error": 0.139, "failed_tasks": 11},
        "command": "attnmem bench memn2n-babi --columns 1k-per-task --seeds 2 --jobs 1",
        "budget_minutes": 2.0,
        "clock": "cpu",
        "cpu_minutes": 4.0,
    }
    result = {"note": "n", "total_cpu_minutes": 4.0, "columns": {"1k-per-task": column}}
    table = memn2n_babi_table(result)
    assert "| 1 | 50.0 | 25.0 +/- 35.4 |" in table and "13.9% / 11 failed" in table
    assert "`attnmem bench memn2n-babi --columns 1k-per-task --seeds 2 --jobs 1`" in table


def test_babi_benchmark_runs_chosen_columns_and_keeps_the_others(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from attnmem.bench import babi

    def fake_train_all(jobs, out, *, minutes, parallel):
        runs = {e: [] for e, _ in jobs}
        for e, s in jobs:
            runs[e].append(fake_babi_run(s, {1: 0.1 * s, 2: 0.0}, {1: 0.1 * s, 2: 0.0}))
        return runs

    monkeypatch.setattr(babi, "train_all", fake_train_all)
    columns = {"1k-joint": ("memn2n-babi-1k",), "10k-joint": ("memn2n-babi-10k",)}
    (tmp_path / "results").mkdir()
    kept = {"cpu_minutes": 7.0, "command": "earlier"}
    (tmp_path / "results" / "memn2n-babi.json").write_text(
        json.dumps({"columns": {"10k-joint": kept}})
    )
    args = SimpleNamespace(out=tmp_path, seeds=2, minutes=None, jobs=1, columns="1k-joint")
    result = babi.run_babi_benchmark(args, columns)
    assert list(result["columns"]) == ["1k-joint", "10k-joint"]  # paper order kept
    assert result["columns"]["10k-joint"] == kept
    joint = result["columns"]["1k-joint"]
    assert joint["best"]["seed"] == 0 and joint["command"].startswith(
        "attnmem bench memn2n-babi --columns 1k-joint --seeds 2"
    )
    assert result["total_cpu_minutes"] == pytest.approx(7.0 + 2.0)
    with pytest.raises(ValueError, match="unknown column"):
        babi.run_babi_benchmark(SimpleNamespace(**{**vars(args), "columns": "2k"}), columns)
