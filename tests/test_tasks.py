"""Tests for the NTM benchmark tasks (copy, repeat copy, recall, N-grams, priority sort)."""

from __future__ import annotations

import math

import pytest
import torch

from attnmem.tasks import (
    TASKS,
    AssociativeRecallConfig,
    AssociativeRecallTask,
    Batch,
    CopyConfig,
    CopyTask,
    DynamicNGramsTask,
    NGramsConfig,
    PrioritySortConfig,
    PrioritySortTask,
    RepeatCopyConfig,
    RepeatCopyTask,
    bayes_optimal_cost_bits,
    bayes_optimal_probs,
    make_task,
)
from attnmem.tasks.ngrams import generate_ngram_bits, sample_arcsine


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def assert_is_bits(x: torch.Tensor) -> None:
    assert bool(((x == 0) | (x == 1)).all())


# --- all tasks --------------------------------------------------------------------------


NTM_TASKS = ["copy", "ngrams", "priority_sort", "recall", "repeat_copy"]  # bits out, BCE loss


@pytest.mark.parametrize(
    "name", sorted(n for n in TASKS if not n.startswith("babi"))
)  # bAbI: test_memn2n.py, test_babi_words.py
def test_determinism_and_shapes(name: str) -> None:
    task = make_task(name, {})
    a = task.sample(4, gen(123))
    b = task.sample(4, gen(123))
    for x, y in zip((a.inputs, a.targets, a.mask), (b.inputs, b.targets, b.mask), strict=True):
        assert torch.equal(x, y)
    B, T, _ = a.inputs.shape
    assert a.inputs.shape == (4, T, task.input_size)
    assert a.targets.shape[:2] == (4, T)  # bits, one-hot or class indices per task
    assert a.mask.shape == (4, T)
    assert a.mask.sum() > 0
    assert torch.isfinite(task.loss(torch.zeros(4, T, task.output_size), a))


@pytest.mark.parametrize("name", NTM_TASKS)
def test_bit_task_protocol(name: str) -> None:
    task = make_task(name, {})
    a = task.sample(4, gen(123))
    assert_is_bits(a.targets)
    assert_is_bits(a.mask)
    # Zero logits predict 1/2 everywhere: exactly one bit per scored target bit.
    logits = torch.zeros_like(a.targets)
    scored_bits = a.mask.sum(-1).mean().item() * task.output_size
    metrics = task.metrics(logits, a)
    assert metrics["cost_bits"] == pytest.approx(scored_bits, rel=1e-5)
    assert task.loss(logits, a).item() == pytest.approx(scored_bits, rel=1e-5)
    assert ("bits_wrong" in metrics) == (name != "ngrams")


# --- copy -------------------------------------------------------------------------------


def test_copy_targets_are_inputs() -> None:
    task = CopyTask(CopyConfig(width=5))
    b = task.sample(3, gen(), length=4)
    assert b.inputs.shape == (3, 9, 6)
    assert torch.equal(b.targets[:, 5:], b.inputs[:, :4, :5])
    assert torch.equal(b.mask[0], torch.tensor([0.0] * 5 + [1.0] * 4))
    assert b.inputs[:, 4, 5].eq(1).all() and b.inputs[:, :4, 5].eq(0).all()


# --- repeat copy ------------------------------------------------------------------------


def test_repeat_copy_layout() -> None:
    cfg = RepeatCopyConfig(width=4, max_repeats=10)
    task = RepeatCopyTask(cfg)
    assert (task.input_size, task.output_size) == (6, 5)
    L, R = 3, 4
    b = task.sample(2, gen(1), length=L, repeats=R)
    T = L + 2 + R * L + 1
    assert b.inputs.shape == (2, T, 6) and b.targets.shape == (2, T, 5)
    seq = b.inputs[:, :L, :4]
    # Delimiter at step L, normalised repeat count at step L + 1, nothing else on those channels.
    assert b.inputs[:, L, 4].eq(1).all() and b.inputs[:, :, 4].sum() == 2
    assert torch.allclose(b.inputs[:, L + 1, 5], torch.full((2,), R / 10))
    assert b.inputs[:, :, 5].ne(0).sum() == 2
    assert b.inputs[:, L + 2 :].eq(0).all()  # output phase inputs are blank
    for r in range(R):
        start = L + 2 + r * L
        assert torch.equal(b.targets[:, start : start + L, :4], seq)
    # End marker only on the last step; no bits there.
    assert torch.equal(b.targets[:, :, 4], torch.eye(T)[-1].expand(2, T))
    assert b.targets[:, -1, :4].eq(0).all()
    assert b.targets[:, : L + 2].eq(0).all()
    expected_mask = torch.tensor([0.0] * (L + 2) + [1.0] * (R * L + 1))
    assert torch.equal(b.mask, expected_mask.expand(2, T))


def test_repeat_copy_difficulty_and_ranges() -> None:
    task = RepeatCopyTask(RepeatCopyConfig(max_length=10, max_repeats=10))
    g = gen(2)
    for _ in range(5):
        b = task.sample(1, g, difficulty=0.1)  # top length 1, top repeats 1
        assert b.inputs.shape[1] == 1 + 2 + 1 + 1
    for _ in range(10):
        b = task.sample(1, g)
        L = int(b.inputs[0, :, 8].argmax())
        R = round(b.inputs[0, L + 1, 9].item() * 10)
        assert 1 <= L <= 10 and 1 <= R <= 10
        assert b.inputs.shape[1] == L * (R + 1) + 3


# --- associative recall -----------------------------------------------------------------


def recall_reference(inputs: torch.Tensor, width: int, k: int) -> list[torch.Tensor]:
    """Parse one sequence (T, width + 2) and return the item after the query, slowly."""
    items, t = [], 0
    while inputs[t, width] == 1:  # item delimiter, then k vectors
        items.append(inputs[t + 1 : t + 1 + k, :width])
        t += k + 1
    assert inputs[t, width + 1] == 1  # query delimiter
    query = inputs[t + 1 : t + 1 + k, :width]
    assert inputs[t + 1 + k, width + 1] == 1
    answers = [items[i + 1] for i in range(len(items) - 1) if torch.equal(items[i], query)]
    assert answers, "query must be one of the items except the last one"
    return answers


def test_recall_targets_follow_query() -> None:
    cfg = AssociativeRecallConfig(width=6, item_length=3)
    task = AssociativeRecallTask(cfg)
    assert (task.input_size, task.output_size) == (8, 6)
    b = task.sample(8, gen(3), num_items=5)
    T = (5 + 2) * (3 + 1)
    assert b.inputs.shape == (8, T, 8)
    assert b.inputs[:, T - 3 :].eq(0).all()
    assert torch.equal(b.mask, torch.tensor([0.0] * (T - 3) + [1.0] * 3).expand(8, T))
    assert b.targets[:, : T - 3].eq(0).all()
    for i in range(8):
        answers = recall_reference(b.inputs[i], 6, 3)
        assert any(torch.equal(b.targets[i, T - 3 :], a) for a in answers)


def test_recall_num_items_and_difficulty() -> None:
    task = AssociativeRecallTask(AssociativeRecallConfig(item_length=2, max_items=6))
    b = task.sample(2, gen(4), num_items=12)
    assert b.inputs.shape[1] == 14 * 3
    assert b.inputs[:, :, 6].sum().item() == 2 * 12  # twelve item delimiters each
    for _ in range(5):
        assert task.sample(1, gen(_), difficulty=0.01).inputs.shape[1] == 4 * 3  # 2 items
    with pytest.raises(ValueError, match="num_items"):
        task.sample(1, gen(), num_items=1)


def test_recall_query_is_never_last_item() -> None:
    task = AssociativeRecallTask(AssociativeRecallConfig(width=8, item_length=2))
    b = task.sample(64, gen(5), num_items=2)  # the query must always be item 0
    assert torch.equal(b.inputs[:, 7:9, :8], b.inputs[:, 1:3, :8])
    assert torch.equal(b.targets[:, -2:], b.inputs[:, 4:6, :8])


# --- priority sort ----------------------------------------------------------------------


def test_priority_sort_matches_reference() -> None:
    cfg = PrioritySortConfig(width=3, num_inputs=6, num_outputs=4)
    task = PrioritySortTask(cfg)
    assert (task.input_size, task.output_size) == (5, 3)
    b = task.sample(5, gen(6))
    T = 6 + 1 + 4
    assert b.inputs.shape == (5, T, 5)
    assert torch.equal(b.mask, torch.tensor([0.0] * 7 + [1.0] * 4).expand(5, T))
    assert b.inputs[:, 6, 4].eq(1).all() and b.inputs[:, :, 4].sum() == 5
    pr = b.inputs[:, :6, 3]
    assert pr.ge(-1).all() and pr.le(1).all()
    for i in range(5):
        rows = [(b.inputs[i, t, 3].item(), b.inputs[i, t, :3].tolist()) for t in range(6)]
        expected = [v for _, v in sorted(rows, key=lambda r: r[0], reverse=True)[:4]]
        assert b.targets[i, 7:].tolist() == expected
        assert b.targets[i, :7].eq(0).all()


def test_priority_sort_difficulty_and_overrides() -> None:
    task = PrioritySortTask()
    assert task.sample(1, gen(), difficulty=0.5).inputs.shape[1] == 10 + 1 + 8
    assert task.sample(1, gen()).inputs.shape[1] == 20 + 1 + 16
    assert task.sample(1, gen(), num_inputs=8).inputs.shape[1] == 8 + 1 + 8
    assert task.sample(1, gen(), num_inputs=30, num_outputs=30).inputs.shape[1] == 61
    with pytest.raises(ValueError, match="num_outputs"):
        task.sample(1, gen(), num_inputs=3, num_outputs=4)


# --- dynamic N-grams --------------------------------------------------------------------


def test_arcsine_sampler_moments() -> None:
    p = sample_arcsine((20000,), gen(7))
    assert p.min() >= 0 and p.max() <= 1
    assert p.mean().item() == pytest.approx(0.5, abs=0.01)
    assert p.var().item() == pytest.approx(1 / 8, abs=0.005)
    # Arcsine CDF at 1/4 is (2/pi) * arcsin(1/2) = 1/3.
    assert (p < 0.25).float().mean().item() == pytest.approx(1 / 3, abs=0.015)


def test_ngram_generation_follows_table() -> None:
    # order 2, table[prev] = P(next = 1 | prev): after 0 always 1, after 1 always 0.
    bits = generate_ngram_bits(torch.tensor([[1.0, 0.0]] * 3), 10, gen(8))
    assert torch.equal(bits[:, 1:], 1 - bits[:, :-1])
    # order 3, context index = 2 * older + newer; only context (0, 1) = 1 is followed
    # by a 1: (0,1)->1, (1,1)->0, (1,0)->0, (0,0)->0, so a start (0, 1) gives 0 1 1 0 0 0 ...
    tables = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    g = gen(9)
    for _ in range(20):
        bits = generate_ngram_bits(tables, 8, g)[0].tolist()
        if bits[:2] == [0.0, 1.0]:
            assert bits == [0, 1, 1, 0, 0, 0, 0, 0]
            break
    else:
        pytest.fail("never started with (0, 1)")


def test_ngrams_layout() -> None:
    task = DynamicNGramsTask(NGramsConfig(order=4, length=30))
    b = task.sample(3, gen(10))
    assert b.inputs.shape == (3, 29, 1) and b.targets.shape == (3, 29, 1)
    assert torch.equal(b.inputs[:, 1:], b.targets[:, :-1])
    assert_is_bits(b.inputs)
    # Predicting bit t + 1 needs bits t - 2 .. t: scored from t = order - 2 = 2.
    assert torch.equal(b.mask, torch.tensor([0.0] * 2 + [1.0] * 27).expand(3, 29))
    assert task.sample(2, gen(), length=12).inputs.shape == (2, 11, 1)


def test_bayes_optimal_probs_by_hand_order2() -> None:
    bits = torch.tensor([[0.0, 1, 1, 0, 1, 1]])
    # context = previous bit; counts (N0, N1) seen before each prediction:
    # t=0 predicts bit1, ctx 0: (0,0) -> 1/2; then ctx0 -> (0,1)
    # t=1 predicts bit2, ctx 1: (0,0) -> 1/2; then ctx1 -> (0,1)
    # t=2 predicts bit3, ctx 1: (0,1) -> 1.5/2 = 3/4; then ctx1 -> (1,1)
    # t=3 predicts bit4, ctx 0: (0,1) -> 3/4; then ctx0 -> (0,2)
    # t=4 predicts bit5, ctx 1: (1,1) -> 1.5/3 = 1/2
    expected = torch.tensor([[0.5, 0.5, 0.75, 0.75, 0.5]])
    assert torch.allclose(bayes_optimal_probs(bits, order=2), expected)


def test_bayes_optimal_probs_by_hand_order3() -> None:
    bits = torch.tensor([[0.0, 1, 1, 0, 1, 1, 0, 1]])
    # context = previous two bits; t=0 has no full context (unscored, 1/2).
    # t=1 bit2, ctx (0,1): (0,0) -> 1/2;   ctx(0,1) -> (0,1)
    # t=2 bit3, ctx (1,1): (0,0) -> 1/2;   ctx(1,1) -> (1,0)
    # t=3 bit4, ctx (1,0): (0,0) -> 1/2;   ctx(1,0) -> (0,1)
    # t=4 bit5, ctx (0,1): (0,1) -> 3/4;   ctx(0,1) -> (0,2)
    # t=5 bit6, ctx (1,1): (1,0) -> 0.5/2 = 1/4; ctx(1,1) -> (2,0)
    # t=6 bit7, ctx (1,0): (0,1) -> 3/4
    expected = torch.tensor([[0.5, 0.5, 0.5, 0.5, 0.75, 0.25, 0.75]])
    assert torch.allclose(bayes_optimal_probs(bits, order=3), expected)
    # Cost over scored steps t=1..6 (targets 1,0,1,1,0,1): three 1/2s and three 3/4s.
    inputs, targets = bits[:, :-1, None], bits[:, 1:, None]
    mask = torch.tensor([[0.0, 1, 1, 1, 1, 1, 1]])
    cost = bayes_optimal_cost_bits(Batch(inputs, targets, mask), order=3)
    assert cost.item() == pytest.approx(3 - 3 * math.log2(0.75), rel=1e-5)


def bayes_reference(bits: list[int], order: int) -> list[float]:
    """Slow eq. 24: entry t predicts bit t + 1 from the counts of its context so far."""
    counts: dict[tuple[int, ...], list[int]] = {}
    out = [0.5] * (len(bits) - 1)
    for i in range(order - 1, len(bits)):  # bits with a full context (bit 0 too if order 1)
        ctx = tuple(bits[i - order + 1 : i])
        n0, n1 = counts.setdefault(ctx, [0, 0])
        if i >= 1:
            out[i - 1] = (n1 + 0.5) / (n0 + n1 + 1)
        counts[ctx][bits[i]] += 1
    return out


@pytest.mark.parametrize("order", [1, 2, 4, 6])
def test_bayes_optimal_probs_matches_slow_reference(order: int) -> None:
    bits = torch.randint(0, 2, (3, 60), generator=gen(11)).float()
    fast = bayes_optimal_probs(bits, order)
    for i in range(3):
        slow = bayes_reference([int(x) for x in bits[i].tolist()], order)
        assert fast[i].tolist() == pytest.approx(slow)


def test_bayes_cost_beats_coin_flip() -> None:
    task = DynamicNGramsTask(NGramsConfig(order=6, length=200))
    b = task.sample(8, gen(12))
    optimal = bayes_optimal_cost_bits(b, 6)
    scored = b.mask.sum(-1)
    assert optimal.shape == (8,)
    assert optimal.mean() < 0.9 * scored.mean()
    m = task.metrics(torch.zeros_like(b.targets), b)
    assert m["optimal_cost_bits"] == pytest.approx(optimal.mean().item())
    assert m["excess_cost_ratio"] == pytest.approx(m["cost_bits"] / m["optimal_cost_bits"] - 1)
    assert m["excess_cost_ratio"] > 0


# --- registry and config errors ---------------------------------------------------------


def test_make_task_builds_configured_tasks() -> None:
    ntm = {"copy", "repeat_copy", "recall", "ngrams", "priority_sort"}
    babi = {"babi", "babi_words"}  # question per row (memory networks), story per row (DNC)
    graphs = {"graph_traversal", "graph_shortest", "graph_inference"}  # DNC graph tasks
    act = {"parity", "logic", "addition", "number_sort"}
    assert set(TASKS) == ntm | babi | graphs | act
    task = make_task("copy", {"width": 3, "max_length": 5})
    assert isinstance(task, CopyTask) and task.config == CopyConfig(width=3, max_length=5)
    assert isinstance(make_task("ngrams", {"order": 3}), DynamicNGramsTask)


def test_make_task_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'cpy'; known: copy, repeat_copy"):
        make_task("cpy", {})
    with pytest.raises(
        ValueError,
        match=r"task\.max_lenght: unknown key for CopyConfig; known: width, min_length, max_length",
    ):
        make_task("copy", {"max_lenght": 5})
    with pytest.raises(ValueError, match=r"task\.width must be int, got str"):
        make_task("copy", {"width": "8"})
    with pytest.raises(ValueError, match=r"task\.order must be int, got bool"):
        make_task("ngrams", {"order": True})
    with pytest.raises(ValueError, match=r"task\.num_outputs must be int, got float"):
        make_task("priority_sort", {"num_outputs": 4.0})


@pytest.mark.parametrize(
    ("name", "config", "field"),
    [
        ("copy", {"min_length": 5, "max_length": 2}, "min_length"),
        ("repeat_copy", {"min_repeats": 0}, "min_repeats"),
        ("repeat_copy", {"width": 0}, "width"),
        ("recall", {"min_items": 1}, "min_items"),
        ("recall", {"item_length": 0}, "item_length"),
        ("ngrams", {"order": 0}, "order"),
        ("ngrams", {"order": 6, "length": 5}, "length"),
        ("priority_sort", {"num_inputs": 4, "num_outputs": 5}, "num_outputs"),
    ],
)
def test_invalid_configs_name_the_field(name: str, config: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make_task(name, config)
