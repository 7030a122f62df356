"""MemNN ladder: write-time scores, the tournament and the margin losses by hand and
gradcheck; the model's s_O against the paper's dense 3|W| feature formula; o1, o2 and r
on a handmade story with hand-set weights; the trainer's model-loss hook; "it learns"
(generated two-fact stories always; real bAbI task 1 where ``$ATTNMEM_DATA`` is set);
config errors, the experiment and the report."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd import gradcheck
from torch.testing import assert_close

from attnmem.bench.babi import COLUMNS, PAPER, joint_column, memn2n_babi_table
from attnmem.datasets import BABI_DIR, babi_file_name
from attnmem.experiments import experiment_from_dict, load_experiment, read_experiment
from attnmem.memory.memn2n import StoryInputs
from attnmem.memory.memnn import (
    margin_ranking_loss,
    pairwise_time_scores,
    response_margin_loss,
    tournament_select,
)
from attnmem.models import MODELS
from attnmem.models.memnn import CANDIDATE, QUESTION, SUPPORT, MemNN, MemNNConfig
from attnmem.runs import load_run, train_run
from attnmem.tasks.babi_qa import BabiBatch, BabiQAConfig, BabiQATask
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


def test_pairwise_time_scores_by_hand():
    # s = (1, 3, 2); a, b, c = 10, 100, 1000; x is older than candidates 1 and 2 only;
    # candidate 0 is older than 1 and 2, 1 older than 2.
    s = t([[1.0, 3.0, 2.0]])
    time = t([[10.0, 100.0, 1000.0]])
    x_older = t([[0.0, 1.0, 1.0]])
    older = t([[0, 1, 1], [0, 0, 1], [0, 0, 0]]).unsqueeze(0)
    # S[i, j] = s_i - s_j + 10 X_i + 100 X_j + 1000 O_ij
    expected = t(
        [
            [0.0, 1 - 3 + 100 + 1000, 1 - 2 + 100 + 1000],
            [3 - 1 + 10, 0 + 10 + 100, 3 - 2 + 10 + 100 + 1000],
            [2 - 1 + 10, 2 - 3 + 10 + 100, 0 + 10 + 100],
        ]
    ).unsqueeze(0)
    assert_close(pairwise_time_scores(s, time, x_older, older), expected)


def test_tournament_select_by_hand():
    # 0 beats 1; 1 beats 2; 2 beats 0 and 1 -> wins (1, 1, 2): 2 is chosen.
    S = t([[0, 1, -1], [-1, 0, 1], [1, 1, 0]]).unsqueeze(0)
    valid = torch.ones(1, 3, dtype=torch.bool)
    choice, wins = tournament_select(S, valid)
    assert choice.tolist() == [2]
    assert_close(wins, t([[0.5, 0.5, 1.0]]))
    # 2 not valid: beating it does not count; 0 beats 1.
    choice, wins = tournament_select(S, torch.tensor([[True, True, False]]))
    assert choice.tolist() == [0]
    assert_close(wins, t([[1.0, 0.0, 0.0]]))
    # no preferences at all: a tie, which goes to the newest valid candidate
    choice, _ = tournament_select(torch.zeros(1, 3, 3), torch.tensor([[True, True, False]]))
    assert choice.tolist() == [1]
    # a lone candidate is chosen, with 0 wins and no division by zero
    choice, wins = tournament_select(S, torch.tensor([[False, True, False]]))
    assert choice.tolist() == [1] and torch.isfinite(wins).all()


def test_margin_ranking_loss_by_hand():
    S = t([[0.0, 0.5, -1.0], [0.2, 0.0, 2.0], [0.0, -0.3, 0.0]]).unsqueeze(0)
    valid = torch.ones(1, 3, dtype=torch.bool)
    # target 0, gamma 0.1: negatives 1, 2:
    # [0.1 - 0.5]_+ + [0.1 + 0.2]_+ + [0.1 + 1.0]_+ + [0.1 + 0.0]_+ = 0 + 0.3 + 1.1 + 0.1
    assert_close(margin_ranking_loss(S, torch.tensor([0]), valid, 0.1), t([1.5]))
    # candidate 2 not valid: only negative 1 counts
    valid2 = torch.tensor([[True, True, False]])
    assert_close(margin_ranking_loss(S, torch.tensor([0]), valid2, 0.1), t([0.3]))
    # no target: 0
    assert_close(margin_ranking_loss(S, torch.tensor([-1]), valid, 0.1), t([0.0]))


def test_response_margin_loss_by_hand():
    scores = t([[1.0, 0.95, 0.2, 5.0]])
    valid = torch.tensor([[True, True, True, False]])  # word 3 can never answer
    # r = 0: [0.1 - 1 + 0.95]_+ + [0.1 - 1 + 0.2]_+ = 0.05
    assert_close(response_margin_loss(scores, torch.tensor([0]), valid, 0.1), t([0.05]))


def test_gradcheck_memnn_math():
    g = torch.Generator().manual_seed(0)
    kw = {"dtype": torch.float64, "requires_grad": True}
    s = torch.randn(2, 4, generator=g, dtype=torch.float64).requires_grad_()
    time = torch.randn(2, 3, generator=g, **{"dtype": torch.float64}).requires_grad_()
    x_older = torch.tensor([[0, 0, 1, 1], [0, 0, 0, 0]], dtype=torch.float64)
    older = torch.ones(4, 4, dtype=torch.float64).triu(1)
    assert gradcheck(lambda s, tm: pairwise_time_scores(s, tm, x_older, older), (s, time))
    # hinge kinks are measure-zero; random scores stay away from them
    S = torch.randn(2, 4, 4, generator=g, **kw)
    valid = torch.tensor([[True, True, True, False], [True] * 4])
    target = torch.tensor([1, 3])
    assert gradcheck(lambda S: margin_ranking_loss(S, target, valid, 0.1), (S,))
    scores = torch.randn(2, 5, generator=g, **kw)
    assert gradcheck(
        lambda x: response_margin_loss(x, target, torch.ones(2, 5, dtype=torch.bool), 0.1),
        (scores,),
    )


# --- the model --------------------------------------------------------------------------


def dense_phi(words: list[int], role: int, V: int) -> torch.Tensor:
    """Phi of the paper's D = 3|W| + 3 + 1 feature space: counts of the words in the
    role's copy of the vocabulary (the time and "no more facts" features left 0)."""
    phi = torch.zeros(3 * V + 4)
    for w in words:
        if w != 0:
            phi[role * V + w] += 1
    return phi


def test_scores_match_dense_feature_formula():
    """s_O(x, y) = Phi_x(x)^T U_O^T U_O Phi_y(y), and the time term u . U_O Phi_t, with U_O
    assembled as the paper's dense n x D matrix from the model's parameters."""
    torch.manual_seed(0)
    V, N = 7, 4
    model = MemNN(MemNNConfig(dim=5, memory_size=N), V, V)
    U = torch.cat(  # (d, D): word copies, 3 time features, the "no more facts" feature
        [*model.output_words.detach(), model.output_time.detach(), model.output_stop[None]]
    ).T.detach()
    story = torch.tensor([[[0, 0], [2, 3], [3, 3], [4, 5]]])  # (1, N, 2), slot 0 empty
    mask = torch.tensor([[False, True, True, True]])
    query = torch.tensor([[2, 6]])
    found = [3, 3]  # x = [q, m_2]: the memory m_2 is in x (SUPPORT role)
    phi_x = dense_phi(query[0].tolist(), QUESTION, V) + dense_phi(found, SUPPORT, V)  # (D,)
    u = model.features(query, model.output_words[QUESTION]) + model.features(
        torch.tensor([found]), model.output_words[SUPPORT]
    )
    assert_close(u[0], U @ phi_x)
    memories = model.features(story, model.output_words[CANDIDATE])
    S, valid = model.hop_scores(u, memories, mask, torch.tensor([2]), hop=1)
    assert valid.tolist() == [[False, True, True, True, True]]

    def phi_y(i: int) -> torch.Tensor:
        if i == N:  # "no more facts"
            phi = torch.zeros(3 * V + 4)
            phi[-1] = 1
            return phi
        return dense_phi(story[0, i].tolist(), CANDIDATE, V)

    def phi_t(i: int, j: int) -> torch.Tensor:  # x (written at slot 2) older than y, y', y older
        phi = torch.zeros(3 * V + 4)
        if i < N:
            phi[3 * V] = float(2 < i)
            phi[3 * V + 2] = 0.0 if j == N else float(i < j) - float(i > j)  # signed
        if j < N:
            phi[3 * V + 1] = float(2 < j)
        return phi

    for i in range(1, N + 1):
        for j in range(1, N + 1):
            expected = phi_x @ U.T @ U @ (phi_y(i) - phi_y(j) + phi_t(i, j))
            assert_close(S[0, i, j], expected, msg=f"S[{i}, {j}]")


WORDS = ["<pad>", "<unk>", "where", "is", "football", "john", "mary", "picked", "up", "went"]
WORDS += ["to", "kitchen", "garden", "office"]
ID = {w: i for i, w in enumerate(WORDS)}


def ids(sentence: str, width: int = 4) -> list[int]:
    out = [ID[w] for w in sentence.split()]
    return out + [0] * (width - len(out))


def handmade_model(margin: float = 0.1) -> tuple[MemNN, StoryInputs]:
    """A story and hand-set weights under which O must retrieve both supporting facts.

    U_O: every word is its own dimension (candidate and question roles: identity, so
    s_O counts shared words); as a supporting memory only "john" counts; "where" also
    sets a bias dimension that carries the time features: a = 1.5, b = -1.5 (prefer
    memories newer than x), c = -0.5 (prefer newer memories).
    U_R: a supporting memory's place word votes for that place.
    """
    V, N = len(WORDS), 5
    d = V + 1  # + the bias dimension
    model = MemNN(MemNNConfig(dim=d, memory_size=N, margin=margin), V, V)
    eye = torch.eye(V, d)
    with torch.no_grad():
        model.output_words.zero_()
        model.output_words[CANDIDATE] = eye
        model.output_words[QUESTION] = eye
        model.output_words[QUESTION, ID["where"], V] = 1.0  # bias
        model.output_words[SUPPORT, ID["john"]] = eye[ID["john"]]
        model.output_time.zero_()
        model.output_time[:, V] = t([1.5, -1.5, -0.5])
        model.output_stop.zero_()
        model.response_words.zero_()
        model.response_words[CANDIDATE] = eye
        for place in ("kitchen", "garden", "office"):
            model.response_words[SUPPORT, ID[place]] = eye[ID[place]]
    story = [
        ids(""),  # slot 0: empty
        ids("john picked up football"),  # slot 1: supporting fact 1
        ids("john went to kitchen"),
        ids("mary went to garden"),
        ids("john went to office"),  # slot 4: supporting fact 2
    ]
    inputs = StoryInputs(
        torch.tensor([story]),
        torch.tensor([ids("where is football")]),
        torch.tensor([[False, True, True, True, True]]),
    )
    return model, inputs


def test_retrieves_supporting_facts_on_handmade_story():
    model, inputs = handmade_model()
    trace = model.trace(inputs)
    # S[i, j] = g_i - g_j + 0.5 sign(i - j) (c = -0.5 times O_ij = -sign(i - j)), with
    # g = s_O + 1.5 [x older than m_i]. Hop 1: g = (1, 0, 0, 0) on slots 1..4: slot 1
    # beats all 3 others; slot 4 beats 2 and 3, slot 3 beats 2.
    # Hop 2 (x = [q, m_1], "no more facts" offered with g = 0): s_O = (2, 1, 0, 1) for
    # shared words (football, john), slots 2..4 are newer than x: g = (2, 2.5, 1.5, 2.5);
    # slot 4 beats all 4 others, slot 2 beats 1, 3 and "no more facts", slots 1 and 3
    # only "no more facts".
    assert_close(trace["hop_scores"][0], t([[0, 1, 0, 1 / 3, 2 / 3], [0, 0.25, 0.75, 0.25, 1.0]]))
    assert_close(trace["hop_attention"][0], t([[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]))
    assert WORDS[int(trace.outputs.argmax(-1))] == "office"
    logits, _ = model(inputs)
    assert_close(logits, trace.outputs)
    assert (logits[0, :2] < -1e30).all()  # <pad> and <unk> never answer


def test_training_loss_uses_supporting_facts():
    model, inputs = handmade_model(margin=0.6)
    batch = BabiBatch(
        inputs, torch.tensor([ID["office"]]), torch.tensor([[1, 4]]), torch.tensor([2])
    )
    logits, loss = model.training_loss(batch)
    # hop 1, target slot 1: S[1, j] = 0.5 and S[j, 1] = -0.5 for j = 2..4:
    #   3 * ([0.6 - 0.5]_+ + [0.6 - 0.5]_+) = 0.6
    # hop 2 (teacher forced, x = [q, m_1]), target slot 4, g as in the test above:
    #   S[4, j] for j = 1, 2, 3, stop: 1, 0.5, 1.5, 2.5 -> [0.6 - S]_+ = 0, 0.1, 0, 0
    #   S[j, 4]: -1, -0.5, -1.5, -2.5 -> [0.6 + S]_+ = 0, 0.1, 0, 0
    # R: s_R(office) = 1, every other word 0: [0.6 - 1]_+ = 0.  Total 0.8.
    assert_close(loss, t(0.8))
    assert WORDS[int(logits.argmax(-1))] == "office"
    # no second supporting fact: "no more facts" (g = 0) is hop 2's target, a worse fit
    one_fact = BabiBatch(inputs, batch.answer, torch.tensor([[1, -1]]), batch.task)
    _, loss1 = model.training_loss(one_fact)
    assert loss1 > loss
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("time", [True, False])
def test_model_shapes_and_no_nan_on_empty_rows(time):
    torch.manual_seed(0)
    V, N, J = 11, 6, 4
    model = MemNN(MemNNConfig(dim=8, memory_size=N, time=time), V, V)
    story = torch.randint(2, V, (3, N, J))
    mask = torch.ones(3, N, dtype=torch.bool)
    mask[0, :5] = False  # a single memory
    story[~mask] = 0
    inputs = StoryInputs(story, torch.randint(2, V, (3, J)), mask)
    logits, state = model(inputs)
    assert logits.shape == (3, V) and state is None
    trace = model.trace(inputs)
    assert trace["hop_attention"].shape == trace["hop_scores"].shape == (3, 2, N)
    assert (trace["hop_attention"][0, 0, :5] == 0).all() and trace["hop_attention"][0, 0, 5] == 1
    assert ((trace["hop_attention"].sum(-1) == 1) | (trace["hop_attention"].sum(-1) == 0)).all()
    batch = BabiBatch(inputs, torch.tensor([3, 4, 5]), torch.tensor([[5, -1], [0, 2], [1, 1]]),
                      torch.ones(3, dtype=torch.long))  # fmt: skip
    _, loss = model.training_loss(batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(grads) == 4 if time else 3  # output_time gets none without time features
    assert torch.isfinite(loss) and all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hops": 0}, r"hops \(0\) must be in 1..10"),
        ({"dim": 0}, r"dim \(0\) must be >= 1"),
        ({"memory_size": 0}, r"memory_size \(0\) must be >= 1"),
        ({"margin": 0.0}, r"margin \(0.0\) must be > 0"),
        ({"init_std": -1.0}, r"init_std \(-1.0\) must be > 0"),
    ],
)
def test_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemNNConfig(**kwargs)


def test_config_errors_from_experiment_name_the_key(fake_root):
    data = read_experiment("memnn-babi-1k")
    data["task"].update(tasks=[2], root=str(fake_root))
    data["model"]["hopz"] = 2
    with pytest.raises(ValueError, match="model.hopz"):
        experiment_from_dict(data)


def test_model_input_errors():
    with pytest.raises(ValueError, match=r"output_size \(3\) must equal input_size \(11\)"):
        MemNN(MemNNConfig(), 11, 3)
    model = MemNN(MemNNConfig(dim=4, memory_size=7), 11, 11)
    x = StoryInputs(torch.ones(2, 5, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.long),
                    torch.ones(2, 5, dtype=torch.bool))  # fmt: skip
    with pytest.raises(ValueError, match=r"story must be \(B, N=7, J\).*got shape \(2, 5, 3\)"):
        model(x)


# --- the trainer's model-loss hook -------------------------------------------------------


class _OwnLoss(nn.Module):
    """Trains w toward the batch's target through ``training_loss``; ``forward`` alone
    cannot (it never sees the target), and the task's loss would fail."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.calls = 0

    def forward(self, inputs, state=None):
        return self.w.expand(inputs.shape[0], 1), None

    def training_loss(self, batch):
        self.calls += 1
        logits, _ = self(batch.inputs)
        return logits, ((logits.squeeze(-1) - batch.target) ** 2).mean()


class _TargetTask:
    input_size = output_size = 1

    def sample(self, batch_size, generator, *, difficulty=1.0):
        from types import SimpleNamespace

        return SimpleNamespace(
            inputs=torch.zeros(batch_size, 1), target=torch.full((batch_size,), 3.0)
        )

    def loss(self, logits, batch):
        raise AssertionError("the model's training_loss must be used")

    def metrics(self, logits, batch):
        return {"w": float(logits.mean())}


def test_trainer_prefers_model_training_loss(tmp_path):
    model = _OwnLoss()
    config = TrainConfig(steps=200, batch_size=4, lr=0.1, log_every=50)
    Trainer(model, _TargetTask(), config, out_dir=tmp_path, progress=False).fit(resume=False)
    assert model.calls == 200
    assert abs(model.w.item() - 3.0) < 0.05


# --- "it learns" --------------------------------------------------------------------------

PEOPLE = ("mary", "john", "daniel", "sandra")
PLACES = ("kitchen", "garden", "office", "hallway", "bathroom")
OBJECTS = ("football", "apple", "milk")


def make_qa2(path: Path, questions: int, seed: int) -> None:
    """Files like bAbI task 2: someone picks up an object and moves; "Where is the X?"
    asks where its holder went last; supporting facts: the pick-up, then the move."""
    rng = random.Random(seed)
    lines = []
    for _ in range(questions):
        line, where, holder = 0, {}, {}
        for _ in range(rng.randint(3, 7)):
            line += 1
            person = rng.choice(PEOPLE)
            free = [o for o in OBJECTS if o not in holder]
            if free and (person in where) and rng.random() < 0.4:
                obj = rng.choice(free)
                holder[obj] = (person, line)
                lines.append(f"{line} {person.title()} picked up the {obj}.")
            else:
                where[person] = (rng.choice(PLACES), line)
                lines.append(f"{line} {person.title()} went to the {where[person][0]}.")
        held = [o for o, (p, _) in holder.items() if p in where]
        if not held:
            person, obj = rng.choice(sorted(where)), rng.choice(OBJECTS)
            line += 1
            holder[obj] = (person, line)
            lines.append(f"{line} {person.title()} picked up the {obj}.")
            held = [obj]
        obj = rng.choice(held)
        person, pick = holder[obj]
        place, move = where[person]
        line += 1
        lines.append(f"{line} Where is the {obj}? \t{place}\t{pick} {move}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    folder = root / "babi" / BABI_DIR / "en"
    folder.mkdir(parents=True)
    make_qa2(folder / babi_file_name(2, "train"), 600, seed=1)
    make_qa2(folder / babi_file_name(2, "test"), 300, seed=2)
    return root


def fake_task(root: Path) -> BabiQATask:
    return BabiQATask(BabiQAConfig(tasks=(2,), root=str(root), random_noise=0.0))


def learn(task: BabiQATask, steps: int, **model) -> MemNN:
    torch.manual_seed(0)
    net = MemNN(MemNNConfig(**{"dim": 30, "memory_size": 50, **model}), task.input_size,
                task.output_size)  # fmt: skip
    train = TrainConfig(steps=steps, batch_size=32, lr=0.01, grad_clip=40.0, log_every=50)
    Trainer(net, task, train, out_dir=Path(_tmp()), progress=False).fit(resume=False)
    return net


def _tmp() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="memnn-")


def test_learns_to_retrieve_both_supporting_facts(fake_root):
    task = fake_task(fake_root)
    net = learn(task, steps=500)
    out = task.evaluate(net, None)
    assert out["error@qa2"] < 0.05, out
    batch = task.data.test.batch(torch.arange(len(task.data.test)))
    chosen = net.trace(batch.inputs)["hop_attention"].argmax(-1)  # (Q, 2)
    right = (chosen == batch.supporting).all(-1).float().mean().item()
    assert right > 0.9, right


@needs_real
def test_learns_real_babi_task1():
    task = BabiQATask(BabiQAConfig(tasks=(1,), random_noise=0.0))
    net = learn(task, steps=1500)
    out = task.evaluate(net, None)
    assert out["error@qa1"] < 0.05, out


# --- experiment, runs and report ------------------------------------------------------


@needs_real
def test_experiment_loads():
    exp = load_experiment("memnn-babi-1k")
    assert exp.model_name == "memnn" and MODELS["memnn"][1] is MemNN
    assert exp.model.memory_size == exp.task["memory_size"]
    assert exp.task["random_noise"] == 0.0 and exp.paper["mean_error"] == 0.067


def test_run_and_report_show_hard_attention(fake_root, tmp_path):
    data = read_experiment("memnn-babi-1k")
    data["task"].update(tasks=[2], root=str(fake_root))
    data["model"].update(dim=8)
    data["train"].update(steps=20, log_every=10, checkpoint_every=10, max_minutes=0.0)
    summary = train_run(experiment_from_dict(data), tmp_path / "run", progress=False)
    assert {"error@qa2", "mean_error", "failed_tasks"} <= set(summary["metrics"])
    _, model, task, _ = load_run(tmp_path / "run")
    indices = choose_stories(task, per_task=2)
    for table in story_tables(model, task, indices):
        assert table.attention.shape == (len(table.sentences), 2)
        assert np.isin(table.attention, (0.0, 1.0)).all()
        assert table.scores.shape == table.attention.shape
        # the retrieved memory has the top score of its hop
        picked = table.attention.sum(0) == 1
        top = table.scores[table.attention.argmax(0), np.arange(2)]  # (K,) score of the pick
        assert (top[picked] == table.scores.max(0)[picked]).all()
        assert "hop 2" in table_text(table) and "score 2" in table_text(table)
        assert "<th>score 1</th>" in table_html(table)
    page = (make_report(tmp_path / "run") / "index.html").read_text()
    assert "Hop attention" in page and "test error" in page and "attention is hard" in page


def test_bench_table_has_a_memnn_column():
    def run(seed, errors, valid):
        metrics = {f"error@qa{t}": e for t, e in errors.items()}
        metrics |= {f"valid_error@qa{t}": e for t, e in valid.items()}
        metrics["valid_error"] = sum(valid.values()) / len(valid)
        return {"seed": seed, "metrics": metrics}

    assert COLUMNS["memnn-1k"] == ("memnn-babi-1k",)
    assert PAPER["memnn-1k"] == {"mean_error": 0.067, "failed_tasks": 4}
    memn2n = joint_column([run(0, {1: 0.0, 2: 0.5}, {1: 0.0, 2: 0.5})])
    memnn = joint_column([run(0, {1: 0.1, 2: 0.02}, {1: 0.1, 2: 0.0})])
    result = {
        "command": "attnmem bench memn2n-babi --seeds 1",
        "note": "n",
        "total_cpu_minutes": 20.0,
        "columns": {
            "1k-joint": {**memn2n, "paper": PAPER["1k-joint"]},
            "memnn-1k": {**memnn, "paper": PAPER["memnn-1k"]},
        },
    }
    table = memn2n_babi_table(result)
    assert "memnn-1k best | memnn-1k mean +/- std" in table
    assert "| 1 | 0.0 | 0.0 +/- 0.0 | 10.0 | 10.0 +/- 0.0 |" in table
    assert "6.7% / 4 failed" in table and "strongly supervised MemNN, k=2" in table
