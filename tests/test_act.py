"""ACT (Graves 2016): halting math by hand, gradcheck and edge cases; the wrapper's
contract and equivalences; the four paper tasks' generators; that ACT learns and
that the ponder cost reaches the gradient."""

import itertools

import pytest
import torch
from torch.autograd import gradcheck
from torch.testing import assert_close

from attnmem.attention.halting import HaltingState, act_halting, act_halting_step, all_halted
from attnmem.config import ConfigError
from attnmem.models import ACT, MODELS, ACTConfig, RNNBaseline, RNNConfig
from attnmem.tasks import (
    AdditionTask,
    LogicConfig,
    LogicTask,
    NumberSortTask,
    ParityConfig,
    ParityTask,
    make_task,
)
from attnmem.tasks.logic import GATES
from attnmem.train import TrainConfig, Trainer
from attnmem.train.evaluate import evaluate


def t(x, dtype=torch.float32):
    return torch.tensor(x, dtype=dtype)


# --- layer 1: the halting distribution ---------------------------------------------


def test_halting_by_hand():
    # Row 0: 0.3 + 0.5 = 0.8 < 0.99, + 0.4 = 1.2 >= 0.99 -> N = 3, R = 1 - 0.8 = 0.2.
    # Row 1: 0.995 >= 0.99 at once -> N = 1, R = 1.
    # Row 2: never reaches 0.99 within the cap of 3 -> N = 3, R = 1 - 0.2 - 0.3 = 0.5.
    h = t([[0.3, 0.5, 0.4], [0.995, 0.9, 0.9], [0.2, 0.3, 0.1]])
    out = act_halting(h, epsilon=0.01)
    assert out.steps.tolist() == [3, 1, 3]
    assert_close(out.remainder, t([0.2, 1.0, 0.5]))
    assert_close(out.probs, t([[0.3, 0.5, 0.2], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))
    assert_close(out.ponder, t([3.2, 2.0, 3.5]))
    assert_close(out.probs.sum(-1), torch.ones(3))


def test_halting_saturated_first_step_and_all_zero():
    """h = 1 at once: N = 1, R = 1. h = 0 always: the cap M is reached and the last
    step takes all the probability (R = 1), so nothing is lost or NaN."""
    out = act_halting(t([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]))
    assert out.steps.tolist() == [1, 4]
    assert_close(out.remainder, t([1.0, 1.0]))
    assert_close(out.probs, t([[1.0, 0, 0, 0], [0, 0, 0, 1.0]]))
    assert_close(out.ponder, t([2.0, 5.0]))


def test_halting_single_column_and_epsilon():
    out = act_halting(t([[0.1]]))
    assert out.steps.tolist() == [1] and out.remainder.item() == pytest.approx(1.0)
    # A larger epsilon halts earlier: 0.5 + 0.45 = 0.95 >= 1 - 0.1.
    assert act_halting(t([[0.5, 0.45, 0.9]]), epsilon=0.1).steps.tolist() == [2]
    assert act_halting(t([[0.5, 0.45, 0.9]]), epsilon=0.01).steps.tolist() == [3]


def test_halting_one_step_at_a_time_agrees():
    """act_halting_step (the UT's per-position, step-by-step form) gives act_halting's
    p^n, N and R when fed the same halting values one step at a time."""
    g = torch.Generator().manual_seed(1)
    h = torch.rand(200, 5, generator=g, dtype=torch.float64) * 0.7
    h[:3] = t([[0.995, 0.1, 0.1, 0.1, 0.1], [0.0] * 5, [0.5, 0.49, 0.2, 0.2, 0.2]])
    whole = act_halting(h, epsilon=0.01)
    state = HaltingState.zeros(h[:, 0])
    weights = []
    for n in range(h.shape[1]):
        state, w = act_halting_step(state, h[:, n], 1 - 0.01, last=n == h.shape[1] - 1)
        weights.append(w)
    assert_close(torch.stack(weights, -1), whole.probs)
    assert_close(state.updates, whole.steps.to(h.dtype))
    assert_close(state.remainders, whole.remainder)


def test_halting_matches_slow_loop():
    g = torch.Generator().manual_seed(0)
    h = torch.rand(50, 6, generator=g) * 0.6
    out = act_halting(h)
    for b in range(50):
        total, n = 0.0, 0
        while n < 6:
            total += h[b, n].item()
            n += 1
            if total >= 0.99:
                break
        assert out.steps[b].item() == n
        expected_r = 1.0 - h[b, : n - 1].sum().item()
        assert out.remainder[b].item() == pytest.approx(expected_r, abs=1e-6)


def test_halting_gradcheck_and_gradient_of_n_is_zero():
    """Only R carries gradient: d rho / d h^n = -1 for n < N, 0 from n = N on."""
    h = t([[0.3, 0.5, 0.4, 0.2], [0.1, 0.2, 0.3, 0.1]], torch.float64).requires_grad_()
    assert gradcheck(lambda x: act_halting(x).probs, (h,))
    assert gradcheck(lambda x: act_halting(x).ponder, (h,))
    act_halting(h).ponder.sum().backward()
    assert_close(h.grad, t([[-1.0, -1.0, 0.0, 0.0], [-1.0, -1.0, -1.0, 0.0]], torch.float64))


def test_halting_edge_values_are_finite():
    for h in (torch.zeros(3, 5), torch.ones(3, 5), torch.full((3, 5), 0.99), torch.rand(3, 1)):
        h = h.clone().requires_grad_()
        out = act_halting(h)
        (out.ponder.sum() + out.probs.sum()).backward()
        assert torch.isfinite(out.probs).all() and torch.isfinite(h.grad).all()
        assert_close(out.probs.sum(-1), torch.ones(3))


def test_halting_rejects_bad_arguments():
    with pytest.raises(ValueError, match="halt"):
        act_halting(torch.rand(3))
    with pytest.raises(ValueError, match="epsilon"):
        act_halting(torch.rand(2, 3), epsilon=1.5)


def test_all_halted():
    assert all_halted(t([0.99, 1.2]))
    assert not all_halted(t([0.99, 0.5]))


# --- layer 3: the ACT wrapper ------------------------------------------------------


def small_act(cell="rnn", **kw) -> ACT:
    torch.manual_seed(0)
    return ACT(ACTConfig(cell=cell, hidden_size=12, **kw), input_size=5, output_size=3)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_act_shapes_trace_and_state_carry(cell):
    model = small_act(cell, max_ponder=6)
    x = torch.randn(4, 7, 5)
    y, state = model(x)
    assert y.shape == (4, 7, 3)
    trace = model.trace(x)
    assert_close(trace.outputs, y.detach())
    M = trace["halt"].shape[-1]
    assert 1 <= M <= 6 and trace["halting_probs"].shape == (4, 7, M)
    assert_close(trace["halting_probs"].sum(-1), torch.ones(4, 7))
    assert_close(trace["ponder"], trace["ponder_steps"].float() + trace["remainder"])
    assert_close(state.ponder_cost, trace["ponder"].sum(1))
    assert_close(state.input_steps, torch.full((4,), 7.0))
    first, mid = model(x[:, :3])
    second, _ = model(x[:, 3:], mid)
    assert_close(torch.cat([first, second], 1), y)


def test_act_step_by_hand_matches_mean_field():
    """One input step recomputed by hand: ponder with the flag, halt, mean-field."""
    model = small_act("rnn", max_ponder=4, halt_bias=-1.0)  # sigmoid(-1) = 0.27: ~4 steps
    x = torch.randn(2, 5)
    y, state, info = model.step(x, model.initial_state(2))
    h = torch.zeros(2, 12)
    hs, halts = [], []
    for n in range(info["halt"].shape[1]):
        flag = torch.full((2, 1), 1.0 if n == 0 else 0.0)
        h = model.cell(torch.cat([flag, x], -1), h)
        hs.append(h)
        halts.append(torch.sigmoid(model.halt(h)).squeeze(-1))
    p = act_halting(torch.stack(halts, 1)).probs
    mean_h = (p.unsqueeze(-1) * torch.stack(hs, 1)).sum(1)
    assert_close(state.h, mean_h)
    expected_y = sum(p[:, n : n + 1] * model.output(hs[n]) for n in range(len(hs)))
    assert_close(y, expected_y)  # y = sum_n p^n y^n


def test_act_batch_items_are_independent():
    """Ponder runs until the whole batch halts; a sequence's result does not depend on
    the others (its extra steps get probability 0)."""
    model = small_act("lstm", max_ponder=8, halt_bias=-0.5)
    x = torch.randn(5, 4, 5)
    batched, state = model(x)
    for b in range(5):
        alone, alone_state = model(x[b : b + 1])
        assert_close(alone, batched[b : b + 1], atol=1e-5, rtol=1e-5)
        assert_close(alone_state.ponder_cost, state.ponder_cost[b : b + 1])


def test_act_cap_and_bias():
    model = small_act(max_ponder=3, halt_bias=-20.0)  # never halts by itself
    trace = model.trace(torch.randn(2, 2, 5))
    assert (trace["ponder_steps"] == 3).all()
    assert_close(trace["halting_probs"], t([0.0, 0.0, 1.0]).expand(2, 2, 3), atol=1e-6, rtol=0)
    model = small_act(max_ponder=3, halt_bias=20.0)  # halts at once
    trace = model.trace(torch.randn(2, 2, 5))
    assert (trace["ponder_steps"] == 1).all()
    assert_close(trace["ponder"], torch.full((2, 2), 2.0))


def test_ponder_cost_reaches_the_gradient():
    """tau * P(x) is in the trainer's loss: the halting unit's weights get gradient from
    it alone (no task loss), and a larger tau gives a larger gradient."""
    x = torch.randn(3, 2, 5)
    grads = []
    for tau in (0.01, 0.1):
        model = small_act(time_penalty=tau, max_ponder=10, halt_bias=-1.0)
        _, state = model(x)
        model.auxiliary_loss(state).backward()
        grads.append(model.halt.weight.grad.norm().item())
    assert grads[0] > 0
    assert grads[1] == pytest.approx(10 * grads[0], rel=1e-4)


def test_trainer_adds_auxiliary_loss_and_logs_mean_ponder(tmp_path):
    """The trainer's logged loss is task loss + tau * mean ponder cost, and it logs
    mean_ponder; evaluate() reports mean_ponder too."""
    task = ParityTask(ParityConfig(size=4))
    torch.manual_seed(0)
    model = ACT(ACTConfig(hidden_size=8, time_penalty=0.5, max_ponder=5), 4, 1)
    cfg = TrainConfig(steps=1, batch_size=16, lr=1e-9, log_every=1, checkpoint_every=1)
    trainer = Trainer(model, task, cfg, out_dir=tmp_path, seed=3, progress=False)
    from attnmem.train.trainer import data_generator

    gen = data_generator(3)  # the trainer's data stream
    batch = task.sample(16, gen)
    with torch.no_grad():
        logits, state = model(batch.inputs)
        expected = task.loss(logits, batch) + 0.5 * state.ponder_cost.mean()
    trainer.fit()
    import json

    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert record["loss"] == pytest.approx(expected.item(), rel=1e-5)
    assert record["mean_ponder"] == pytest.approx(state.ponder_cost.mean().item(), rel=1e-5)
    from attnmem.experiments import EvalConfig

    metrics = evaluate(model, task, EvalConfig(sequences=20, batch_size=10))
    assert 1.0 < metrics["mean_ponder"] <= 6.0 and 0.0 <= metrics["accuracy"] <= 1.0


def test_configs_are_validated():
    with pytest.raises(ValueError, match="cell"):
        ACTConfig(cell="gru")
    with pytest.raises(ValueError, match="max_ponder"):
        ACTConfig(max_ponder=0)
    with pytest.raises(ValueError, match="epsilon"):
        ACTConfig(epsilon=0.0)
    with pytest.raises(ValueError, match="hidden_size"):
        RNNConfig(hidden_size=0)
    assert "act" in MODELS and "rnn" in MODELS
    assert "max_ponder=100" in repr(ACT(ACTConfig(), 3, 2))
    with pytest.raises(ConfigError, match="task.size"):
        make_task("parity", {"size": "big"})


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_rnn_baseline_contract(cell):
    torch.manual_seed(0)
    model = RNNBaseline(RNNConfig(cell=cell, hidden_size=6), 5, 3)
    x = torch.randn(2, 4, 5)
    y, state = model(x)
    assert y.shape == (2, 4, 3)
    first, mid = model(x[:, :2])
    second, _ = model(x[:, 2:], mid)
    assert_close(torch.cat([first, second], 1), y)
    assert_close(model.trace(x).outputs, y.detach())


# --- layer 4: the paper's tasks ----------------------------------------------------


def test_parity_labels_and_counts():
    task = ParityTask()
    batch = task.sample(200, torch.Generator().manual_seed(0))
    x = batch.inputs[:, 0]  # (B, 64)
    assert batch.inputs.shape == (200, 1, 64) and batch.targets.shape == (200, 1, 1)
    assert set(x.unique().tolist()) <= {-1.0, 0.0, 1.0}
    nonzero = (x != 0).sum(-1)
    assert nonzero.min() >= 1 and nonzero.max() <= 64 and nonzero.float().std() > 5
    for b in range(200):
        ones = sum(1 for v in x[b].tolist() if v == 1.0)
        assert batch.targets[b, 0, 0].item() == ones % 2
    fixed = task.sample(50, torch.Generator().manual_seed(1), nonzeros=7)
    assert ((fixed.inputs != 0).sum(-1) == 7).all()
    with pytest.raises(ValueError, match="nonzeros"):
        task.sample(2, torch.Generator(), nonzeros=65)


def test_logic_targets_follow_the_gates():
    task = LogicTask(LogicConfig())
    assert task.input_size == 102
    tables = list(GATES.values())
    batch = task.sample(40, torch.Generator().manual_seed(0), length=6)
    for b in range(40):
        previous = None
        for step in range(6):
            v = batch.inputs[b, step]
            chunks = v[2:].reshape(10, 10)
            gates = [int(c.argmax()) for c in chunks if c.sum() > 0]
            assert 1 <= len(gates) and all(c.sum() == 0 for c in chunks[len(gates) :])
            older = int(v[0]) if step == 0 else previous
            newer = int(v[1])
            if step > 0:
                assert v[0] == 0
            for g in gates:  # b_{i+1} = T_i(b_i, b_{i-1}), T indexed by 2 p + q
                older, newer = newer, tables[g][2 * newer + older]
            assert batch.targets[b, step, 0].item() == newer
            previous = newer


def test_logic_gates_are_the_ten_two_input_gates():
    tables = set(GATES.values())
    assert len(tables) == 10
    constants_and_projections = {(0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 1, 1), (1, 1, 0, 0)}
    constants_and_projections |= {(0, 1, 0, 1), (1, 0, 1, 0)}
    assert tables | constants_and_projections == set(itertools.product((0, 1), repeat=4))


def test_addition_sums():
    task = AdditionTask()
    assert task.input_size == 50 and task.output_size == 66
    batch = task.sample(30, torch.Generator().manual_seed(0), length=5)
    for b in range(30):
        total = 0
        for step in range(5):
            digits = batch.inputs[b, step].reshape(5, 10)
            present = digits.sum(-1)
            count = int(present.sum())
            assert present[:count].eq(1).all() and present[count:].eq(0).all()
            total += sum(int(digits[i].argmax()) * 10**i for i in range(count))
            target = [int(d) for d in batch.targets[b, step].tolist()]
            written = str(total)[::-1]
            assert target == [int(c) for c in written] + [10] * (6 - len(written))


def test_number_sort_indices():
    task = NumberSortTask()
    batch = task.sample(20, torch.Generator().manual_seed(0), length=9)
    assert batch.inputs.shape == (20, 18, 2)
    for b in range(20):
        values = batch.inputs[b, :9, 0].tolist()
        order = sorted(range(9), key=lambda i: values[i])
        assert [int(i) for i in batch.targets[b, 9:, 0].tolist()] == order
    assert (batch.inputs[:, 8, 1] == 1).all() and batch.inputs[:, 9:].abs().sum() == 0
    assert (batch.mask[:, :9] == 0).all() and (batch.mask[:, 9:] == 1).all()


@pytest.mark.parametrize("name", ["parity", "logic", "addition", "number_sort"])
def test_tasks_are_seeded_and_scored(name):
    task = make_task(name)
    a = task.sample(8, torch.Generator().manual_seed(5))
    b = task.sample(8, torch.Generator().manual_seed(5))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    c = task.sample(8, torch.Generator().manual_seed(6))
    assert not torch.equal(a.inputs, c.inputs)
    # A perfect prediction scores accuracy 1; a wrong one accuracy 0.
    if name in ("parity", "logic"):
        perfect = (a.targets * 2 - 1) * 10
        wrong = -perfect
    else:
        groups, classes = task.groups, task.classes
        onehot = torch.nn.functional.one_hot(a.targets.long(), classes).float() * 10
        perfect = onehot.reshape(*a.targets.shape[:2], groups * classes)
        wrong = -perfect
    assert task.metrics(perfect, a)["accuracy"] == 1.0
    assert task.metrics(wrong, a)["accuracy"] == 0.0
    assert task.loss(perfect, a) < task.loss(wrong, a)


# --- it learns ---------------------------------------------------------------------


def test_act_learns_parity_of_small_vectors(tmp_path):
    """ACT on parity of 8-element vectors reaches >= 95% whole-sequence accuracy in a
    short run (about 10 s on one thread), and ponders more than one step."""
    task = ParityTask(ParityConfig(size=8))
    torch.manual_seed(0)
    model = ACT(ACTConfig(hidden_size=64, time_penalty=1e-3, max_ponder=10), 8, 1)
    cfg = TrainConfig(
        steps=3000,
        batch_size=64,
        lr=1e-2,
        log_every=50,
        checkpoint_every=3000,
        stop_metric="bits_wrong",
        stop_below=0.01,
    )
    Trainer(model, task, cfg, out_dir=tmp_path, seed=0, progress=False).fit()
    from attnmem.experiments import EvalConfig

    metrics = evaluate(model, task, EvalConfig(sequences=1000, batch_size=500))
    assert metrics["accuracy"] >= 0.95, metrics
    assert metrics["mean_ponder"] > 1.5


# --- experiments, report, figures and the benchmark --------------------------------

ACT_EXPERIMENTS = [
    f"{m}-{t}" for t in ("parity", "parity-8", "logic", "addition", "sort") for m in ("act", "rnn")
]


@pytest.mark.parametrize("name", ACT_EXPERIMENTS)
def test_act_experiments_build_and_run(name):
    from attnmem.experiments import build, load_experiment

    experiment = load_experiment(name)
    assert experiment.train.clock == "cpu" and experiment.train.max_minutes > 0
    assert "accuracy" in experiment.eval.metrics
    model, task = build(experiment)
    batch = task.sample(2, torch.Generator().manual_seed(0))
    logits, _ = model(batch.inputs)
    assert logits.shape[:2] == batch.targets.shape[:2] and logits.shape[-1] == task.output_size
    assert (name.startswith("act")) == hasattr(model, "auxiliary_loss")


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("act-parity", ["task.size=8", "eval.values=[1, 8]"]),
        ("rnn-logic", ["eval.values=[1, 2]"]),
        ("act-addition", ["eval.values=[1, 2]", "model.hidden_size=8"]),
    ],
)
def test_report_of_act_task_runs(tmp_path, name, overrides):
    from attnmem.experiments import load_experiment
    from attnmem.runs import train_run
    from attnmem.viz.report import make_report

    common = ["train.steps=4", "train.log_every=2", "train.checkpoint_every=4"]
    common += ["eval.sequences=20", "eval.batch_size=10"]
    experiment = load_experiment(name, common + overrides)
    summary = train_run(experiment, tmp_path / "run", progress=False)
    assert "accuracy@" + str(experiment.eval.values[0]) in summary["metrics"]
    out = make_report(tmp_path / "run")
    files = {p.name for p in out.iterdir()}
    assert {"index.html", "by_setting.png", "learning_curves.png"} <= files
    assert ("ponder.png" in files) == name.startswith("act")
    page = (out / "index.html").read_text()
    assert "Graves 2016" in page and "accuracy" in page


def test_tau_figure_draws():
    from attnmem.viz.act import tau_figure

    rows = [
        {"tau": tau, "error_mean": e, "error_std": 0.01, "ponder_mean": p, "ponder_std": 0.1}
        for tau, e, p in [(1e-3, 0.1, 4.0), (1e-2, 0.2, 2.0), (1e-1, 0.4, 1.2)]
    ]
    fig = tau_figure(rows, baseline_error=(0.45, 0.02))
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"


def test_bench_mean_std_and_best_seed_by_training_accuracy(tmp_path):
    """The best seed is the one with the best *training* accuracy, even when another
    seed has the better test accuracy; mean and std are over all seeds."""
    import json

    from attnmem.bench.act import act_table, add_mean_std_and_best

    runs = []
    for seed, (train_acc, test_acc) in enumerate([(0.9, 0.5), (0.95, 0.7), (0.6, 0.9)]):
        folder = tmp_path / "runs" / f"act-parity-seed{seed}"
        folder.mkdir(parents=True)
        lines = [{"step": 50, "accuracy": 0.1}, {"step": 100, "accuracy": train_acc}]
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
        runs.append(
            {"seed": seed, "step": 100, "metrics": {"accuracy": test_acc, "mean_ponder": 3.0}}
        )
    report = {
        "command": "attnmem bench act-parity --seeds 3 --jobs 1",
        "seeds": [0, 1, 2],
        "note": "n",
        "total_cpu_minutes": 1.0,
        "experiments": {
            "act-parity": {
                "runs": runs,
                "budget_minutes": 2.0,
                "clock": "cpu",
                "paper": {"result": "near 0"},
            }
        },
    }
    out = add_mean_std_and_best(report, tmp_path)["experiments"]["act-parity"]
    assert out["mean"]["accuracy"] == pytest.approx(0.7)
    assert out["std"]["accuracy"] == pytest.approx(0.2)
    assert out["best"]["seed"] == 1 and out["best"]["metrics"]["accuracy"] == 0.7
    table = act_table(report)
    assert "| act-parity | 2.0 cpu min | 100 | 0.3 ± 0.2 | 0.3 | 3 ± 0 | near 0 |" in table


def test_tau_benchmark_writes_rows_and_figure(tmp_path):
    """act-tau with a stand-in for training: rows hold mean/std over seeds per tau."""
    from types import SimpleNamespace

    from attnmem.bench.act import TAUS, run_tau_benchmark

    def fake_train(name, tau, seed, out, minutes):
        return {
            "seed": seed,
            "cpu_seconds": 60.0,
            "metrics": {"accuracy": 1 - tau - seed * 0.01, "mean_ponder": 1 + 1 / (tau * 100)},
        }

    args = SimpleNamespace(out=str(tmp_path), seeds=2, jobs=1, minutes=None)
    result = run_tau_benchmark(args, train=fake_train)
    assert [r["tau"] for r in result["rows"]] == list(TAUS)
    row = result["rows"][1]
    assert row["error_mean"] == pytest.approx(TAUS[1] + 0.005)
    assert row["error_std"] == pytest.approx(0.01 / 2**0.5)
    assert row["seeds"] == [0, 1]
    assert (tmp_path / "results" / "act-tau.json").exists()
    assert (tmp_path / "results" / "act-tau.png").exists()
    from attnmem.bench.table import results_markdown

    markdown = results_markdown(tmp_path / "results")
    assert "| 0.001 | 0.006 ± 0.0071 |" in markdown
