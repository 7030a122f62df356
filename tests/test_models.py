"""Layer 2-3 ladder: NTM access and model contract, equivalences, and that they learn."""

import pytest
import torch
from torch.testing import assert_close

from attnmem.memory import NTMAccess
from attnmem.models import NTM, LSTMBaseline, LSTMConfig, NTMConfig
from attnmem.tasks import CopyConfig, CopyTask
from attnmem.train import TrainConfig, Trainer
from attnmem.train.evaluate import evaluate

SMALL = NTMConfig(controller_size=16, memory_rows=12, memory_width=6)


def small_ntm(**kw) -> NTM:
    torch.manual_seed(0)
    return NTM(NTMConfig(**{**SMALL.__dict__, **kw}), input_size=5, output_size=4)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"controller": "feedforward"},
        {"read_heads": 2, "write_heads": 3},
        {"memory_init": "learned"},
        {"memory_init": "random"},
    ],
)
def test_ntm_shapes_and_trace(kw):
    model = small_ntm(**kw)
    x = torch.randn(3, 7, 5)
    start = model.initial_state(3)  # explicit: memory_init="random" draws a new memory per call
    y, state = model(x, start)
    assert y.shape == (3, 7, 4)
    assert state.access.memory.shape == (3, 12, 6)
    trace = model.trace(x, start)
    assert_close(trace.outputs, y.detach())  # trace never changes what forward computes
    R, W = model.config.read_heads, model.config.write_heads
    assert trace["read_weights"].shape == (3, 7, R, 12)
    assert trace["write_weights"].shape == (3, 7, W, 12)
    assert trace["shifts"].shape == (3, 7, R + W, 3)
    assert_close(trace["read_weights"].sum(-1), torch.ones(3, 7, R))


def test_ntm_state_carries_over_between_calls():
    model = small_ntm()
    x = torch.randn(2, 8, 5)
    whole, _ = model(x)
    first, state = model(x[:, :5])
    second, _ = model(x[:, 5:], state)
    assert_close(torch.cat([first, second], 1), whole)


def test_ntm_batch_items_are_independent():
    """The batched computation equals running each sequence alone."""
    model = small_ntm(read_heads=2, write_heads=2)
    x = torch.randn(4, 6, 5)
    batched, _ = model(x)
    alone = torch.cat([model(x[i : i + 1])[0] for i in range(4)])
    assert_close(batched, alone, atol=1e-5, rtol=1e-5)


def test_ntm_gradients_finite_and_reach_every_parameter():
    model = small_ntm(memory_init="learned")
    y, _ = model(torch.randn(2, 6, 5))
    y.pow(2).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_ntm_rejects_bad_config():
    with pytest.raises(ValueError, match="controller"):
        NTMConfig(controller="gru")
    with pytest.raises(ValueError, match="memory_init"):
        NTMAccess(8, 4, memory_init="zeros")
    with pytest.raises(ValueError, match="shift_range"):
        NTMAccess(2, 4, shift_range=1)


def test_ntm_extra_repr_shows_settings():
    assert "memory=12x6" in repr(small_ntm())


def test_lstm_baseline_contract():
    torch.manual_seed(0)
    model = LSTMBaseline(LSTMConfig(hidden_size=8, layers=2), 5, 4)
    x = torch.randn(3, 7, 5)
    y, state = model(x)
    assert y.shape == (3, 7, 4) and state.h.shape == (2, 3, 8)
    first, s = model(x[:, :3])
    second, _ = model(x[:, 3:], s)
    assert_close(torch.cat([first, second], 1), y)
    assert_close(model.trace(x).outputs, y.detach())


def _fit(model, task, steps, tmp_path, lr=3e-3):
    cfg = TrainConfig(steps=steps, batch_size=16, lr=lr, log_every=steps, checkpoint_every=steps)
    Trainer(model, task, cfg, out_dir=tmp_path, seed=0, progress=False).fit()
    from attnmem.experiments import EvalConfig

    return evaluate(model, task, EvalConfig(sequences=200, vary="length", values=(6,)))


@pytest.mark.slow
def test_ntm_learns_short_copy(tmp_path):
    """A small NTM learns copy of lengths 1-4 in 1,000 steps and generalises to length 6
    (an untrained one gets about half the bits wrong: ~5 per sequence, 12 at length 6)."""
    task = CopyTask(CopyConfig(width=4, min_length=1, max_length=4))
    model = small_ntm()
    metrics = _fit(model, task, 1000, tmp_path, lr=1e-2)
    assert metrics["bits_wrong"] < 0.1, metrics
    assert metrics["bits_wrong@6"] < 1.0, metrics


@pytest.mark.slow
def test_lstm_learns_short_copy(tmp_path):
    task = CopyTask(CopyConfig(width=4, min_length=1, max_length=3))
    torch.manual_seed(0)
    model = LSTMBaseline(LSTMConfig(hidden_size=64, layers=1), task.input_size, task.output_size)
    metrics = _fit(model, task, 400, tmp_path, lr=1e-2)
    assert metrics["bits_wrong"] < 0.5, metrics
