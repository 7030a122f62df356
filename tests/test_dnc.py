"""DNC ladder: hand-computed addressing, link invariants, sparse = dense at K = N, gradcheck
in float64, no NaN at the edges, model contract and equivalences, and that it learns."""

import pytest
import torch
from torch.autograd import gradcheck
from torch.testing import assert_close

from attnmem.memory.dnc import DenseLinkage, DNCAccess, SparseLinkage
from attnmem.memory.dnc_addressing import (
    allocation_weights,
    directional_weights,
    link_step,
    link_update,
    precedence_update,
    read_weighting,
    retention,
    sparse_directional_weights,
    sparse_link_init,
    sparse_link_to_dense,
    sparse_link_update,
    usage_update,
    write_weighting,
)
from attnmem.models import DNC, MODELS, DNCConfig
from attnmem.tasks import CopyConfig, CopyTask
from attnmem.train import TrainConfig, Trainer
from attnmem.train.evaluate import evaluate


def t(x, dtype=torch.float32):
    return torch.tensor(x, dtype=dtype)


# --- hand-computed examples ---------------------------------------------------


def test_allocation_by_hand():
    # usage 0.4, 0.1, 0.9: order phi = (1, 0, 2);
    # a[1] = 0.9, a[0] = 0.6 * 0.1 = 0.06, a[2] = 0.1 * 0.1 * 0.4 = 0.004.
    a = allocation_weights(t([[0.4, 0.1, 0.9]]), eps=0.0)
    assert_close(a, t([[0.06, 0.9, 0.004]]))
    # The default epsilon moves these by about 1e-6 only.
    assert_close(allocation_weights(t([[0.4, 0.1, 0.9]])), a, atol=1e-5, rtol=0)


def test_allocation_order_is_least_used_first():
    usage = t([[0.5, 0.2, 0.99, 0.0, 0.7]])
    a = allocation_weights(usage, eps=0.0)
    # The least used row (3, usage 0) takes everything; with it half used the next one, ...
    assert_close(a, t([[0.0, 0.0, 0.0, 1.0, 0.0]]))
    # Now rows 1 (0.2), 0 (0.5), 3 (0.5: a tie, broken by index), 4 (0.7), 2 (0.99).
    usage[0, 3] = 0.5
    a = allocation_weights(usage, eps=0.0)
    expected = [0.5 * 0.2, 0.8, 0.01 * 0.2 * 0.5 * 0.5 * 0.7, 0.5 * 0.2 * 0.5, 0.3 * 0.2 * 0.25]
    assert_close(a, t([expected]))
    assert int(a.argmax()) == 1


def test_allocation_of_empty_memory_starts_at_row_0():
    a = allocation_weights(torch.zeros(2, 4))
    assert_close(a[:, 0], torch.full((2,), 1.0 - 1e-6))
    assert (a[:, 1:] < 2e-6).all()


def test_allocation_of_full_memory_is_zero_and_finite():
    usage = torch.ones(2, 5, dtype=torch.float64, requires_grad=True)
    a = allocation_weights(usage)
    assert (a.abs() < 1e-5).all()
    a.sum().backward()
    assert torch.isfinite(usage.grad).all()


def test_usage_and_retention_by_hand():
    # Read head 0 read row 0 and frees it (gate 1); head 1 read row 1 but keeps it (gate 0).
    psi = retention(t([[1.0, 0.0]]), t([[[1.0, 0.0], [0.0, 1.0]]]))
    assert_close(psi, t([[0.0, 1.0]]))
    # u = (u + w - u w) psi: row 0 (0.5 + 0.5 - 0.25) * 0, row 1 (0 + 1 - 0) * 1.
    assert_close(usage_update(t([[0.5, 0.0]]), t([[0.5, 1.0]]), psi), t([[0.0, 1.0]]))
    # A half-strength free of a half read: psi = 1 - 0.5 * 0.5.
    assert_close(retention(t([[0.5]]), t([[[0.5, 0.0]]])), t([[0.75, 1.0]]))


def test_write_weighting_by_hand():
    w = write_weighting(t([[1.0, 0.0]]), t([[0.2, 0.8]]), t([0.25]), t([0.5]))
    # 0.5 * (0.25 * [1, 0] + 0.75 * [0.2, 0.8])
    assert_close(w, t([[0.5 * (0.25 + 0.15), 0.5 * 0.6]]))


def test_precedence_by_hand():
    p = precedence_update(t([[0.0, 1.0, 0.0]]), t([[0.0, 0.0, 0.75]]))
    assert_close(p, t([[0.0, 0.25, 0.75]]))


def test_links_record_write_order_by_hand():
    """Write rows 0, 1, 2 in turn: L[1, 0] = L[2, 1] = 1; forward from 0 goes to 1,
    backward from 1 goes to 0."""
    N = 3
    link, p = torch.zeros(1, N, N), torch.zeros(1, N)
    for row in range(N):
        w = torch.zeros(1, N)
        w[0, row] = 1.0
        link = link_update(link, p, w)
        p = precedence_update(p, w)
    expected = torch.zeros(1, N, N)
    expected[0, 1, 0] = expected[0, 2, 1] = 1.0
    assert_close(link, expected)
    reads = t([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # head 0 at row 0, head 1 at row 1
    forward, backward = directional_weights(link, reads)
    assert_close(forward, t([[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]))
    assert_close(backward, t([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]]))


def test_link_update_by_hand_soft():
    link = t([[[0.0, 0.5], [0.25, 0.0]]])
    p = t([[0.6, 0.4]])
    w = t([[0.5, 0.25]])
    # L[0,1] = (1 - 0.5 - 0.25) 0.5 + 0.5 * 0.4; L[1,0] = (1 - 0.25 - 0.5) 0.25 + 0.25 * 0.6
    assert_close(link_update(link, p, w), t([[[0.0, 0.325], [0.2125, 0.0]]]))


def test_read_weighting_by_hand():
    modes = t([[[0.2, 0.5, 0.3]]])
    b, c, f = t([[[1.0, 0.0]]]), t([[[0.0, 1.0]]]), t([[[0.5, 0.5]]])
    assert_close(read_weighting(modes, b, c, f), t([[[0.2 + 0.15, 0.5 + 0.15]]]))


# --- link matrix invariants, sparse vs dense -------------------------------------


def _random_writes(steps, B, N, generator, dtype=torch.float32):
    """Write weightings summing to <= 1 (a gate times a sharp softmax)."""
    for _ in range(steps):
        logits = 4 * torch.randn(B, N, generator=generator, dtype=dtype)
        gate = torch.rand(B, 1, generator=generator, dtype=dtype)
        yield gate * torch.softmax(logits, -1)


def test_link_invariants_over_random_writes():
    g = torch.Generator().manual_seed(0)
    B, N = 4, 7
    link, p = torch.zeros(B, N, N), torch.zeros(B, N)
    for w in _random_writes(30, B, N, g):
        link = link_update(link, p, w)
        p = precedence_update(p, w)
        assert (link.diagonal(dim1=1, dim2=2) == 0).all()
        assert link.min() >= 0 and link.max() <= 1
        assert (link.sum(-1) <= 1 + 1e-5).all() and (link.sum(-2) <= 1 + 1e-5).all()
        assert p.min() >= 0 and (p.sum(-1) <= 1 + 1e-5).all()


def _run_links(B, N, K, steps, seed=0):
    g = torch.Generator().manual_seed(seed)
    dense, sparse = torch.zeros(B, N, N), sparse_link_init(B, N, K)
    p = torch.zeros(B, N)
    for w in _random_writes(steps, B, N, g):
        dense = link_update(dense, p, w)
        sparse = sparse_link_update(sparse, p, w)
        p = precedence_update(p, w)
        yield dense, sparse, g


def test_sparse_link_equals_dense_when_k_is_n():
    B, N = 3, 6
    for dense, sparse, g in _run_links(B, N, N, 25):
        assert_close(sparse_link_to_dense(sparse), dense, atol=1e-6, rtol=0)
        reads = torch.softmax(torch.randn(B, 2, N, generator=g), -1)
        for a, b in zip(
            sparse_directional_weights(sparse, reads),
            directional_weights(dense, reads),
            strict=True,
        ):
            assert_close(a, b, atol=1e-6, rtol=0)


def test_sparse_link_keeps_k_per_row_and_its_invariants():
    B, N, K = 3, 12, 3
    for dense, sparse, g in _run_links(B, N, K, 40, seed=1):
        L, gap = sparse_link_to_dense(sparse), (sparse_link_to_dense(sparse) - dense).abs()
        assert ((L > 0).sum(-1) <= K).all()
        assert (L.diagonal(dim1=1, dim2=2) == 0).all()
        assert L.min() >= 0 and (L.sum(-1) <= 1 + 1e-5).all() and (L.sum(-2) <= 1 + 1e-5).all()
        # Columns stay distinct within a row (a duplicate would double-count a link).
        cols = sparse.columns.sort(-1).values
        assert (cols[..., 1:] != cols[..., :-1]).all()
        reads = torch.softmax(torch.randn(B, 2, N, generator=g), -1)
        for a, b in zip(
            sparse_directional_weights(sparse, reads), directional_weights(L, reads), strict=True
        ):
            assert_close(a, b, atol=1e-6, rtol=0)
    # With sharp writes the K strongest links survive: close to the dense matrix.
    assert gap.max() < 0.5


# --- gradcheck (float64) -----------------------------------------------------------


def _d(*shape, generator, low=0.0, high=1.0):
    x = low + (high - low) * torch.rand(*shape, generator=generator, dtype=torch.float64)
    return x.requires_grad_()


def test_gradcheck_usage_functions():
    g = torch.Generator().manual_seed(0)
    assert gradcheck(retention, (_d(2, 3, generator=g), _d(2, 3, 5, generator=g)))
    assert gradcheck(
        usage_update, (_d(2, 5, generator=g), _d(2, 5, generator=g), _d(2, 5, generator=g))
    )


def test_gradcheck_allocation():
    g = torch.Generator().manual_seed(0)
    # Distinct usages, so a finite difference never swaps the sort order.
    usage = (torch.randperm(6, generator=g).double() / 7 + 0.05).view(1, 6).repeat(2, 1)
    usage = (usage + 0.01 * torch.rand(2, 6, generator=g, dtype=torch.float64)).requires_grad_()
    assert gradcheck(allocation_weights, (usage,))


def test_gradcheck_write_weighting_precedence_read_weighting():
    g = torch.Generator().manual_seed(0)
    assert gradcheck(
        write_weighting,
        (_d(2, 5, generator=g), _d(2, 5, generator=g), _d(2, generator=g), _d(2, generator=g)),
    )
    assert gradcheck(precedence_update, (_d(2, 5, generator=g), _d(2, 5, generator=g) / 5))
    modes = torch.softmax(_d(2, 3, 3, generator=g), -1).detach().requires_grad_()
    assert gradcheck(
        read_weighting,
        (modes, _d(2, 3, 5, generator=g), _d(2, 3, 5, generator=g), _d(2, 3, 5, generator=g)),
    )


def test_gradcheck_dense_links():
    g = torch.Generator().manual_seed(0)
    N = 5
    link = (_d(2, N, N, generator=g) / N).detach().requires_grad_()
    p, w = _d(2, N, generator=g) / N, _d(2, N, generator=g) / N
    assert gradcheck(link_update, (link, p.detach().requires_grad_(), w.detach().requires_grad_()))
    assert gradcheck(directional_weights, (link, _d(2, 3, N, generator=g)))


def test_link_step_matches_the_functions_and_gradcheck():
    g = torch.Generator().manual_seed(0)
    N = 5
    link = (_d(2, N, N, generator=g) / N).detach().requires_grad_()
    p = (_d(2, N, generator=g) / N).detach().requires_grad_()
    w = (_d(2, N, generator=g) / N).detach().requires_grad_()
    reads = _d(2, 3, N, generator=g)
    new = link_update(link, p, w)
    expected = (new, *directional_weights(new, reads))
    for a, b in zip(link_step(link, p, w, reads), expected, strict=True):
        assert_close(a, b)
    assert gradcheck(link_step, (link, p, w, reads))
    # An output left out of the loss (no gradient flowing in) is handled too.
    assert gradcheck(lambda *a: link_step(*a)[1], (link, p, w, reads))


@pytest.mark.parametrize("K", [5, 3])
def test_gradcheck_sparse_links(K):
    g = torch.Generator().manual_seed(0)
    B, N = 2, 5
    # A state reached by real updates (so rows have distinct kept columns), in float64.
    sparse, p = sparse_link_init(B, N, K, dtype=torch.float64), torch.zeros(B, N).double()
    for w in _random_writes(6, B, N, g, dtype=torch.float64):
        sparse = sparse_link_update(sparse, p, w)
        p = precedence_update(p, w)
    values, columns = sparse.values.detach().requires_grad_(), sparse.columns
    # Distinct write weights and precedences (no ties in the top-K), summing to < 1.
    w = (torch.randperm(N, generator=g).double() + 1) / (N * (N + 1))
    w = w.expand(B, N).clone().requires_grad_()
    p = p.detach().requires_grad_()

    def update(values, p, w):
        return sparse_link_update(type(sparse)(values, columns), p, w).values

    assert gradcheck(update, (values, p, w))

    def directional(values, reads):
        return sparse_directional_weights(type(sparse)(values, columns), reads)

    assert gradcheck(directional, (values, _d(B, 2, N, generator=g)))


# --- numerics at the edges -------------------------------------------------------


@pytest.mark.parametrize("link", ["dense", "sparse"])
@pytest.mark.parametrize("logit", [0.0, 20.0, -20.0])
def test_access_is_finite_at_edges(link, logit):
    """Empty memory, zero usage, and every gate saturated open or shut (interface logits at
    the clip): reads, state and gradients stay finite over several steps."""
    access = DNCAccess(6, 4, read_heads=2, link=link, sparse_k=3)
    state = access.initial_state(2)
    flat = torch.full((2, access.interface_size), logit, requires_grad=True)
    total = 0.0
    for _ in range(8):
        reads, state, step = access(access.parse_interface(flat), state)
        total = total + reads.sum() + state.usage.sum() + state.read_weights.sum()
        for x in (reads, state.memory, state.usage, step.allocation, state.read_weights):
            assert torch.isfinite(x).all()
    total.backward()
    assert torch.isfinite(flat.grad).all()


def test_access_usage_fills_and_frees():
    """Write gate and allocation gate open: each step writes to a fresh row, whose usage goes
    to 1; a read with the free gate open lowers the usage of what it read."""
    access = DNCAccess(4, 3, read_heads=1)
    state = access.initial_state(1)
    flat = torch.zeros(1, access.interface_size)
    i = access.parse_interface(flat)
    ones, zeros = torch.ones(1), torch.zeros(1, 1)
    i = i._replace(allocation_gate=ones, write_gate=ones, free_gates=zeros)
    written = []
    for _ in range(3):
        _, state, _ = access(i, state)
        written.append(int(state.write_weights.argmax()))
    # Allocation never reuses a written row while free ones are left (which free row comes
    # next depends on the epsilon-sized usages the soft writes leave behind).
    assert written[0] == 0 and len(set(written)) == 3
    _, state, _ = access(i._replace(write_gate=torch.zeros(1)), state)
    used = torch.zeros(1, 4)
    used[0, written] = 1.0
    assert_close(state.usage, used, atol=1e-4, rtol=0)
    # Half-read two written rows with the free gate open: their usage halves next step.
    reads = torch.zeros(1, 1, 4)
    reads[0, 0, written[:2]] = 0.5
    state = state._replace(read_weights=reads)
    _, state, _ = access(i._replace(write_gate=torch.zeros(1), free_gates=torch.ones(1, 1)), state)
    used[0, written[:2]] = 0.5
    assert_close(state.usage, used, atol=1e-4, rtol=0)


# --- the model ------------------------------------------------------------------------


SMALL = DNCConfig(controller_size=16, memory_rows=10, memory_width=6, read_heads=2)


def small_dnc(**kw) -> DNC:
    torch.manual_seed(0)
    return DNC(DNCConfig(**{**SMALL.__dict__, **kw}), input_size=5, output_size=4)


@pytest.mark.parametrize(
    "kw", [{}, {"controller": "feedforward"}, {"link": "sparse", "sparse_k": 3}, {"read_heads": 1}]
)
def test_dnc_shapes_and_trace(kw):
    model = small_dnc(**kw)
    x = torch.randn(3, 7, 5)
    y, state = model(x)
    assert y.shape == (3, 7, 4)
    trace = model.trace(x)
    assert_close(trace.outputs, y.detach())
    R, N = model.config.read_heads, model.config.memory_rows
    expected = {
        "read_weights": (3, 7, R, N),
        "write_weights": (3, 7, 1, N),
        "read_modes": (3, 7, R, 3),
        "allocation": (3, 7, N),
        "usage": (3, 7, N),
        "allocation_gate": (3, 7),
        "write_gate": (3, 7),
        "free_gates": (3, 7, R),
    }
    for name, shape in expected.items():
        assert trace[name].shape == shape, name
    assert_close(trace["read_modes"].sum(-1), torch.ones(3, 7, R))
    assert (trace["usage"] >= 0).all() and (trace["usage"] <= 1).all()


@pytest.mark.parametrize("link", ["dense", "sparse"])
def test_dnc_state_carries_over_between_calls(link):
    model = small_dnc(link=link, sparse_k=4)
    x = torch.randn(2, 9, 5)
    y, _ = model(x)
    first, state = model(x[:, :4])
    second, _ = model(x[:, 4:], state)
    assert_close(torch.cat([first, second], 1), y)
    # Step by step through ``step`` gives the same outputs as ``forward``.
    state = model.initial_state(2)
    steps = []
    for t_ in range(9):
        out, state, _ = model.step(x[:, t_], state)
        steps.append(out)
    assert_close(torch.stack(steps, 1), y)


def test_dnc_batch_items_are_independent():
    model = small_dnc()
    x = torch.randn(4, 6, 5)
    y, _ = model(x)
    assert_close(model(x[2:3])[0], y[2:3])


def test_dnc_sparse_with_k_equal_n_matches_dense():
    dense = small_dnc()
    sparse = small_dnc(link="sparse", sparse_k=SMALL.memory_rows)
    sparse.load_state_dict(dense.state_dict())
    x = torch.randn(3, 12, 5)
    assert_close(sparse(x)[0], dense(x)[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("link", ["dense", "sparse"])
def test_dnc_gradients_finite_and_reach_every_parameter(link):
    model = small_dnc(link=link, sparse_k=4)
    y, _ = model(torch.randn(2, 8, 5))
    y.sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_dnc_rejects_bad_config():
    with pytest.raises(ValueError, match="link"):
        DNCConfig(link="csr")
    with pytest.raises(ValueError, match="controller"):
        DNCConfig(controller="gru")
    with pytest.raises(ValueError, match="sparse_k"):
        DNC(DNCConfig(memory_rows=4, link="sparse", sparse_k=8), 3, 3)
    with pytest.raises(ValueError, match="memory_rows"):
        DNCAccess(0, 4)


def test_dnc_registered_and_extra_repr():
    assert MODELS["dnc"] == (DNCConfig, DNC)
    assert "memory=10x6" in repr(small_dnc()) and "link='dense'" in repr(small_dnc())
    assert "sparse_k=3" in repr(small_dnc(link="sparse", sparse_k=3))
    assert isinstance(small_dnc().initial_state(1).access.linkage, DenseLinkage)
    assert isinstance(small_dnc(link="sparse").initial_state(1).access.linkage, SparseLinkage)


@pytest.mark.slow
def test_dnc_learns_short_copy(tmp_path):
    """A small DNC learns copy of lengths 1-4 and generalises to length 6 (an untrained one
    gets about half the bits wrong: ~5 per sequence, 12 at length 6)."""
    task = CopyTask(CopyConfig(width=4, min_length=1, max_length=4))
    torch.manual_seed(0)
    config = DNCConfig(controller_size=32, memory_rows=12, memory_width=8, read_heads=1)
    model = DNC(config, task.input_size, task.output_size)
    steps = 600
    cfg = TrainConfig(steps=steps, batch_size=16, lr=1e-2, log_every=steps, checkpoint_every=steps)
    Trainer(model, task, cfg, out_dir=tmp_path, seed=0, progress=False).fit()
    from attnmem.experiments import EvalConfig

    metrics = evaluate(model, task, EvalConfig(sequences=200, vary="length", values=(6,)))
    assert metrics["bits_wrong"] < 0.1, metrics
    assert metrics["bits_wrong@6"] < 1.0, metrics


# --- experiments and the report ---------------------------------------------------------


@pytest.mark.parametrize("name", ["dnc-copy", "dnc-repeat-copy", "dnc-recall"])
def test_dnc_experiments_load(name):
    from attnmem.experiments import build, load_experiment

    experiment = load_experiment(name)
    assert experiment.model_name == "dnc" and experiment.train.clock == "cpu"
    model, task = build(experiment)
    assert isinstance(model, DNC)


def test_report_draws_dnc_memory_use(tmp_path):
    from attnmem.experiments import load_experiment
    from attnmem.runs import train_run
    from attnmem.viz.report import make_report

    tiny = [
        "train.steps=20",
        "train.batch_size=4",
        "train.log_every=10",
        "train.checkpoint_every=20",
        "train.compile=false",
        "train.max_minutes=0",
        "eval.sequences=10",
        "eval.values=[10, 20]",
        "model.memory_rows=24",
        "model.controller_size=16",
    ]
    experiment = load_experiment("dnc-copy", tiny)
    train_run(experiment, tmp_path / "run", seed=0, progress=False)
    out = make_report(tmp_path / "run")
    page = (out / "index.html").read_text()
    assert "memory_use_length20.png" in page and "DNC memory use" in page
    assert (out / "memory_use_length20.png").read_bytes()[:4] == b"\x89PNG"
    # The NTM-style weightings figure is drawn too (head 0 of the trace).
    assert "weightings_length20.png" in page


def test_dnc_benchmark_tables_and_dense_batch():
    from attnmem.bench.dnc import dense_batch, dnc_nan_table, dnc_speed_table, dnc_tasks_table
    from attnmem.bench.table import RENDERERS

    assert {"dnc-speed", "dnc-tasks", "dnc-nan"} <= set(RENDERERS)
    # 41 float32 N x N matrices per sequence within 2 GiB: 32 at N=128, 8 at 1024, 1 at 4096.
    assert [dense_batch(n) for n in (128, 1024, 4096)] == [32, 8, 1]
    speed = {"command": "attnmem bench dnc-speed", "config": "c", "threads": 1, "torch": "x"}
    for n, batch in ((128, 32), (4096, 1)):
        speed |= {f"ms_per_sequence@N{n}": 2.0, f"cpu_ms_per_sequence@N{n}": 1.5}
        speed |= {f"sparse_ms_per_sequence@N{n}": 1.0, f"sparse_cpu_ms_per_sequence@N{n}": 0.5}
        speed[f"batch@N{n}"] = batch
    md = dnc_speed_table(speed)
    assert (
        "| 128 | compiled | 32 | 2.0 [1.5] | 1.0 [0.5] |" in md and "| 4096 | compiled | 1 |" in md
    )
    exp = {
        "budget_minutes": 8.0,
        "clock": "cpu",
        "median": {"bits_wrong": 0.1, "cost_bits": 1.0},
        "min": {"bits_wrong": 0.0, "cost_bits": 0.5},
        "max": {"bits_wrong": 0.5, "cost_bits": 2.0},
    }
    tasks = {"command": "c", "seeds": [0], "note": "n", "total_cpu_minutes": 8.0}
    md = dnc_tasks_table(tasks | {"experiments": {"dnc-copy": exp}})
    assert "| dnc-copy | 8.0 cpu min | bits_wrong | 0.1 [0, 0.5] |" in md
    nan = {"command": "c", "seeds": [0, 1], "steps": 20000, "non_finite_runs": 0, "failed_runs": 0}
    assert "2 seeds x 20,000 steps" in dnc_nan_table(nan)
