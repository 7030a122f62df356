"""Multi-head attention (fast vs reference paths), Transformer and Universal Transformer
with per-position ACT: the test ladder, the trainer's auxiliary-loss hook, and learning
real bAbI task 1 where ``$ATTNMEM_DATA`` is set."""

from __future__ import annotations

import os
import tempfile

import pytest
import torch
from torch.testing import assert_close

from attnmem.attention import (
    attention_weights,
    key_padding_mask,
    scaled_dot_product,
    scaled_dot_product_reference,
)
from attnmem.attention.halting import HaltingState, act_halting_step
from attnmem.memory.memn2n import StoryInputs
from attnmem.models import MODELS
from attnmem.models.transformer import (
    MultiHeadAttention,
    TransformerBabi,
    TransformerBlock,
    TransformerConfig,
    sinusoid,
)
from attnmem.models.universal_transformer import (
    UniversalTransformer,
    UniversalTransformerConfig,
    coordinate_embedding,
)
from attnmem.train.config import TrainConfig
from attnmem.train.trainer import Trainer

REAL_ROOT = os.environ.get("ATTNMEM_DATA")
needs_real = pytest.mark.skipif(
    not REAL_ROOT, reason="ATTNMEM_DATA not set: real bAbI tests need ../shared/data"
)


def qkv(B=2, H=3, T=4, S=5, D=6, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(B, H, n, D, generator=g, dtype=dtype).requires_grad_() for n in (T, S, S)
    )


# -- layer 1: scaled dot-product attention ---------------------------------------------


def test_hand_computed_example():
    # One head, one query q = [1, 0], keys [1, 0] and [0, 0], D = 2: scores 1/sqrt(2), 0.
    q = torch.tensor([[[[1.0, 0.0]]]])  # (1, 1, 1, 2)
    k = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])  # (1, 1, 2, 2)
    v = torch.tensor([[[[2.0, 0.0], [0.0, 4.0]]]])
    a = torch.exp(torch.tensor(2**-0.5))
    w = torch.tensor([a / (a + 1), 1 / (a + 1)])
    out, weights = scaled_dot_product_reference(q, k, v)
    assert_close(weights[0, 0, 0], w)
    assert_close(out[0, 0, 0], torch.stack([2 * w[0], 4 * w[1]]))
    assert_close(scaled_dot_product(q, k, v), out)


def test_mask_gives_zero_weight():
    q, k, v = qkv()
    present = torch.tensor([[True, False, True, True, False], [True] * 5])
    weights = attention_weights(q, k, key_padding_mask(present))
    assert (weights[0, :, :, 1] == 0).all() and (weights[0, :, :, 4] == 0).all()
    assert_close(weights.sum(-1), torch.ones(2, 3, 4))
    # Masked keys change nothing: dropping them gives the same output.
    out, _ = scaled_dot_product_reference(q, k, v, key_padding_mask(present))
    keep = [0, 2, 3]
    out0, _ = scaled_dot_product_reference(q[:1], k[:1, :, keep], v[:1, :, keep])
    assert_close(out[:1], out0)


@pytest.mark.parametrize("masked", [False, True])
def test_fast_path_equals_reference(masked):
    q, k, v = qkv(B=3, H=2, T=7, S=9, D=8)
    mask = None
    if masked:
        present = torch.rand(3, 9, generator=torch.Generator().manual_seed(1)) > 0.4
        present[2] = False  # a batch item with no key at all
        mask = key_padding_mask(present)
    ref, _ = scaled_dot_product_reference(q, k, v, mask)
    fast = scaled_dot_product(q, k, v, mask)
    assert_close(fast, ref)
    g = torch.randn_like(ref)
    grads_ref = torch.autograd.grad(ref, (q, k, v), g)
    grads_fast = torch.autograd.grad(fast, (q, k, v), g)
    for a, b in zip(grads_fast, grads_ref, strict=True):
        assert_close(a, b)


def test_fully_masked_rows_are_zero_not_nan():
    q, k, v = qkv()
    mask = torch.zeros(2, 1, 1, 5, dtype=torch.bool)
    for out in (scaled_dot_product(q, k, v, mask), scaled_dot_product_reference(q, k, v, mask)[0]):
        assert torch.isfinite(out).all() and (out == 0).all()
        out.sum().backward()
        assert all(torch.isfinite(t.grad).all() for t in (q, k, v))
        for t in (q, k, v):
            t.grad = None


def test_saturated_scores_are_finite():
    q, k, v = qkv()
    out, w = scaled_dot_product_reference(q * 1e4, k * 1e4, v)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()


def test_gradcheck_reference_path():
    q, k, v = qkv(B=1, H=2, T=3, S=4, D=2, dtype=torch.float64)
    mask = key_padding_mask(torch.tensor([[True, False, True, True]]))
    assert torch.autograd.gradcheck(
        lambda q, k, v: scaled_dot_product_reference(q, k, v, mask)[0], (q, k, v)
    )


def test_bad_shapes_raise():
    q, k, v = qkv()
    with pytest.raises(ValueError, match="same head width"):
        scaled_dot_product(q, k[..., :2], v)
    with pytest.raises(ValueError, match=r"\(B, S\) bool"):
        key_padding_mask(torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"dim \(30\) must be divisible by heads \(4\)"):
        MultiHeadAttention(30, 4)


# -- modules -----------------------------------------------------------------------------


def test_multihead_module_matches_a_loop_over_heads():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    present = torch.tensor([[True, True, False, True, True], [True] * 5])
    y, weights = mha.attend(x, present)
    assert_close(mha(x, present), y)
    assert weights.shape == (2, 2, 5, 5)
    q, k, v = mha.qkv(x).split(8, dim=-1)
    heads = []
    for h in range(2):  # slow path: one head at a time, masking by hand
        s = slice(4 * h, 4 * h + 4)
        scores = q[..., s] @ k[..., s].transpose(1, 2) / 2.0  # sqrt(4)
        scores = scores.masked_fill(~present[:, None, :], float("-inf"))
        heads.append(torch.softmax(scores, -1) @ v[..., s])
    assert_close(y, mha.out(torch.cat(heads, -1)))


def test_block_attend_matches_forward():
    torch.manual_seed(0)
    block = TransformerBlock(8, 2, 16)
    x = torch.randn(3, 6, 8)
    present = torch.rand(3, 6) > 0.3
    present[:, 0] = True
    y, w = block.attend(x, present)
    assert_close(block(x, present), y)
    assert_close(w.sum(-1), torch.ones(3, 2, 6))


def test_sinusoid():
    p = sinusoid(torch.tensor([0, 3]), 4)
    expected = torch.tensor([[0.0, 1.0, 0.0, 1.0], [3.0, 3.0, 0.03, 0.03]])
    expected[1] = torch.tensor([torch.sin(torch.tensor(3.0)), torch.cos(torch.tensor(3.0)), 0, 0])
    expected[1, 2:] = torch.tensor([torch.sin(torch.tensor(0.03)), torch.cos(torch.tensor(0.03))])
    assert_close(p, expected)
    c = coordinate_embedding(3, 2, 4)  # (S, T, d)
    assert_close(c[1, 2], sinusoid(torch.tensor(2), 4) + sinusoid(torch.tensor(2), 4))


# -- ACT halting -------------------------------------------------------------------------


def test_act_halting_hand_computed():
    """Three positions over three steps, threshold 0.99, p by hand:
    pos 0: p = 0.6, 0.6      -> runs at step 1 (w 0.6), halts at step 2 with R = 0.4
    pos 1: p = 0.995         -> halts at step 1 with R = 1 (N = 1)
    pos 2: p = 0.3, 0.3, 0.3 -> runs twice, halts at the last step (forced) with R = 0.4
    """
    p = torch.tensor([[0.6, 0.995, 0.3], [0.6, 0.5, 0.3], [0.9, 0.5, 0.3]])  # (S, T)
    state = HaltingState.zeros(torch.zeros(1, 3))
    weights = []
    for t in range(3):
        state, w = act_halting_step(state, p[t : t + 1], 0.99, last=t == 2)
        weights.append(w[0])
    w = torch.stack(weights)
    assert_close(w, torch.tensor([[0.6, 1.0, 0.3], [0.4, 0.0, 0.3], [0.0, 0.0, 0.4]]))
    assert_close(w.sum(0), torch.ones(3))
    assert_close(state.updates[0], torch.tensor([2.0, 1.0, 3.0]))
    assert_close(state.remainders[0], torch.tensor([0.4, 1.0, 0.4]))
    assert not state.running.any()


def test_act_remainder_gradient():
    # rho = N + R, R = 1 - sum of earlier p: d rho / d p_1 = -1 for a position halting at 2.
    p1 = torch.tensor([[0.6]], requires_grad=True)
    state, _ = act_halting_step(HaltingState.zeros(torch.zeros(1, 1)), p1, 0.99)
    state, _ = act_halting_step(state, torch.tensor([[0.6]]), 0.99)
    (state.updates + state.remainders).sum().backward()
    assert_close(p1.grad, torch.tensor([[-1.0]]))


# -- models ------------------------------------------------------------------------------

V, N, J = 11, 6, 4


def story_inputs(B=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    story = torch.randint(1, V, (B, N, J), generator=g)
    story[:, :, 3] = 0  # padding words
    mask = torch.ones(B, N, dtype=torch.bool)
    mask[0, :2] = False  # a short story
    story[~mask] = 0
    return StoryInputs(story, torch.randint(1, V, (B, J), generator=g), mask)


def models():
    torch.manual_seed(0)
    small = dict(dim=16, heads=2, ffn_dim=32, memory_size=N)
    return [
        TransformerBabi(TransformerConfig(layers=2, **small), V, V),
        UniversalTransformer(UniversalTransformerConfig(steps=3, **small), V, V),
        UniversalTransformer(UniversalTransformerConfig(steps=4, act=True, **small), V, V),
    ]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_trace_matches_forward(index):
    model = models()[index]
    x = story_inputs()
    logits, _ = model(x)
    trace = model.trace(x)
    assert logits.shape == (3, V)
    assert_close(trace.outputs, logits)
    a = trace["attention"]  # (B, L|S, H, T, T)
    assert a.shape[0] == 3 and a.shape[2:] == (2, N + 1, N + 1)
    assert (a[0, ..., :2] == 0).all()  # empty memory slots get no attention
    assert_close(a.sum(-1), torch.ones_like(a.sum(-1)))


def test_ut_weights_are_tied():
    def count(steps):
        m = UniversalTransformer(UniversalTransformerConfig(steps=steps, act=True), V, V)
        return sum(p.numel() for p in m.parameters())

    assert count(1) == count(4) == count(12)
    t = [TransformerBabi(TransformerConfig(layers=n), V, V) for n in (1, 2)]
    assert sum(p.numel() for p in t[1].parameters()) > sum(p.numel() for p in t[0].parameters())


def test_ut_act_ponder_time_and_loss():
    model = models()[2]
    x = story_inputs()
    _, state = model(x)
    trace = model.trace(x)
    present = torch.cat([x.memory_mask, torch.ones(3, 1, dtype=torch.bool)], 1)
    rho = state.ponder_time
    assert_close(trace["ponder_time"], rho.detach())
    assert (rho[~present] == 0).all() and (rho[present] >= 1).all() and (rho <= 4 + 1).all()
    w = trace["update_weights"]  # (B, S, T): each position's weights sum to 1
    assert_close(w.sum(1)[present], torch.ones(int(present.sum())))
    loss = model.auxiliary_loss(state)
    expected = 0.01 * (rho.sum(-1) / present.sum(-1)).mean()
    assert_close(loss, expected)
    loss.backward()
    assert model.halt.weight.grad is not None and model.halt.weight.grad.abs().sum() > 0
    # Without ACT the ponder cost is 0 and ponder time is the fixed depth.
    plain = models()[1]
    _, s = plain(x)
    assert plain.auxiliary_loss(s) == 0 and (s.ponder_time[present] == 3).all()


class _Batch:
    def __init__(self, inputs, target):
        self.inputs, self.target = inputs, target


class _Task:
    """Regress 0 from a constant input: the task loss does not involve ``w`` at all."""

    def sample(self, batch_size, generator, *, difficulty=1.0):
        return _Batch(torch.ones(batch_size, 1), torch.zeros(batch_size, 1))

    def loss(self, logits, batch):
        return ((logits - batch.target) ** 2).mean()

    def metrics(self, logits, batch):
        return {}


class _PenalisedModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.ones(1))
        self.w = torch.nn.Parameter(torch.ones(1))  # reaches the loss only through the hook

    def forward(self, x, state=None):
        return x * self.bias, self.w  # the "state" carries what the extra term needs

    def auxiliary_loss(self, state):
        return (state**2).sum()


def test_trainer_adds_auxiliary_loss(tmp_path):
    import json

    model = _PenalisedModel()
    train = TrainConfig(steps=50, batch_size=4, lr=0.05, log_every=10, checkpoint_every=50)
    Trainer(model, _Task(), train, out_dir=tmp_path, progress=False).fit(resume=False)
    assert model.w.abs().item() < 0.5  # Adam, lr 0.05, 50 steps from 1 on the gradient 2w
    first = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert 0 < first["auxiliary_loss"] < first["loss"]


def test_config_errors():
    with pytest.raises(ValueError, match=r"dim \(30\) must be even and divisible by heads"):
        UniversalTransformerConfig(dim=30, heads=4)
    with pytest.raises(ValueError, match=r"steps \(0\)"):
        UniversalTransformerConfig(steps=0)
    with pytest.raises(ValueError, match=r"act_threshold \(1.5\)"):
        UniversalTransformerConfig(act_threshold=1.5)
    with pytest.raises(ValueError, match=r"layers \(0\)"):
        TransformerConfig(layers=0)
    with pytest.raises(ValueError, match="output_size"):
        TransformerBabi(TransformerConfig(), V, V + 1)
    with pytest.raises(ValueError, match=r"story must be \(B, N=50"):
        TransformerBabi(TransformerConfig(), V, V)(story_inputs())
    assert "universal_transformer" in MODELS and "transformer" in MODELS


# -- it learns ---------------------------------------------------------------------------


@needs_real
@pytest.mark.parametrize("name", ["ut-act", "ut", "transformer"])
def test_learns_real_babi_task1(name):
    from attnmem.tasks.babi_qa import BabiQAConfig, BabiQATask

    task = BabiQATask(BabiQAConfig(tasks=(1,), random_noise=0.0))
    torch.manual_seed(0)
    small = dict(dim=32, heads=2, ffn_dim=64)
    if name == "transformer":
        vocab = task.input_size
        model = TransformerBabi(TransformerConfig(layers=2, **small), vocab, vocab)
    else:
        config = UniversalTransformerConfig(steps=4, act=name == "ut-act", **small)
        model = UniversalTransformer(config, task.input_size, task.output_size)
    train = TrainConfig(steps=1000, batch_size=32, lr=5e-3, log_every=50)
    out_dir = tempfile.mkdtemp(prefix="ut-")
    Trainer(model, task, train, out_dir=out_dir, progress=False).fit(resume=False)
    out = task.evaluate(model, None)
    assert out["error@qa1"] < 0.05, out  # seed 0: 0.1% (ut-act, ut); ~25-35 CPU s each


# -- figures and report ------------------------------------------------------------------


def test_story_views_and_report(tmp_path):
    from attnmem.datasets import BABI_DIR, babi_file_name
    from attnmem.experiments import experiment_from_dict, read_experiment
    from attnmem.runs import load_run, train_run
    from attnmem.viz.babi import choose_stories
    from attnmem.viz.report import make_report
    from attnmem.viz.transformer import ponder_story, story_views
    from test_memn2n import make_qa1

    folder = tmp_path / "data" / "babi" / BABI_DIR / "en"
    folder.mkdir(parents=True)
    make_qa1(folder / babi_file_name(1, "train"), 200, seed=1)
    make_qa1(folder / babi_file_name(1, "test"), 50, seed=2)
    data = read_experiment("ut-act-babi-1k")
    data["task"].update(root=str(tmp_path / "data"), tasks=[1])
    data["train"].update(steps=20, log_every=10, checkpoint_every=10, max_minutes=0.0)
    train_run(experiment_from_dict(data), tmp_path / "run", progress=False)
    _, model, task, _ = load_run(tmp_path / "run")
    views = story_views(model, task, choose_stories(task, per_task=2))
    assert len(views) == 2
    for v in views:
        story = task.data.test.stories[v.index]
        n = len(v.sentences)
        assert v.attention.shape[1:] == (4, n) and 1 <= v.attention.shape[0] <= 6
        assert (v.attention.sum(-1) <= 1 + 1e-5).all()  # the rest goes to the question itself
        assert v.ponder.shape == (n + 1,) and (v.ponder >= 1).all()
        starred = [s for s, sup in zip(v.sentences, v.supporting, strict=True) if sup]
        assert starred == [" ".join(story.sentences[i]) for i in story.supporting]
    assert ponder_story(task) is not None
    out = make_report(tmp_path / "run")
    page = (out / "index.html").read_text()
    assert "Attention heads per step" in page and "Ponder time" in page
    assert (out / "heads_0.png").stat().st_size > 0 and (out / "ponder.png").stat().st_size > 0


def test_attention_speed_bench_is_wired():
    from attnmem.bench import BENCHMARKS
    from attnmem.bench.attention_speed import (
        attention_speed,
        attention_speed_table,
        naive_attention,
    )
    from attnmem.bench.table import RENDERERS

    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    assert_close(naive_attention(mha, x), mha(x))  # the two timed paths compute the same
    result = attention_speed(lengths=(4, 8), dim=8, heads=2, budget_seconds=0.01)
    assert set(result["lengths"]) == {"4", "8"}
    r = result["lengths"]["8"]
    assert r["speedup"] == pytest.approx(r["naive_ms"] / r["ours_ms"], rel=0.02)
    result["command"] = "attnmem bench attention-speed"
    assert "| 8 |" in attention_speed_table(result)
    assert "attention-speed" in BENCHMARKS and "attention-speed" in RENDERERS


def test_ut_babi_bench_is_wired():
    from attnmem.bench import BENCHMARKS
    from attnmem.bench.babi import joint_column
    from attnmem.bench.table import RENDERERS
    from attnmem.bench.ut_babi import COLUMNS, PAPER, ut_babi_table
    from attnmem.config import from_dict
    from attnmem.experiments import read_experiment

    assert "ut-babi" in BENCHMARKS and "ut-babi" in RENDERERS
    for column, (experiment,) in COLUMNS.items():
        e = read_experiment(experiment)
        model = dict(e["model"])
        from_dict(MODELS[model.pop("name")][0], model, "model")  # a valid model config
        assert e["task"]["tasks"] == list(range(1, 21)) and e["train"]["clock"] == "cpu"
        if column in PAPER:  # the benchmark quotes the experiment's own reference
            assert e["paper"]["mean_error"] == PAPER[column]["mean_error"]
    errors = {t: 0.01 * t for t in range(1, 21)}  # tasks 6..20 fail
    run = {
        "seed": 0,
        "metrics": {f"error@qa{t}": e for t, e in errors.items()} | {"valid_error": 0.1},
    }
    column = {**joint_column([run]), "paper": PAPER["ut-act-1k"]}
    result = {"command": "c", "note": "n", "total_cpu_minutes": 1.0, "columns": {"a": column}}
    table = ut_babi_table(result)
    assert "Universal Transformer on bAbI" in table and "| failed tasks | **15** |" in table
    assert "7.8% / 5 failed" in table
