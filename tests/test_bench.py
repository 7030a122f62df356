"""Benchmark bookkeeping: summaries over seeds and the README tables made from them."""

import json

import pytest

from attnmem.bench.table import END, START, results_markdown, write_readme
from attnmem.bench.tasks import summarise


def fake_runs():
    return [
        {
            "seed": s,
            "step": 100,
            "sequences": 3200,
            "seconds": 60.0,
            "cpu_seconds": 59.0,
            "metrics": {
                "bits_wrong@10": w,
                "bits_wrong@120": 10 * w,
                "bits_wrong": w,
                "cost_bits": w,
            },
        }
        for s, w in enumerate([0.0, 0.5, 0.1])
    ]


def test_summarise_median_min_max_and_cpu():
    s = summarise(fake_runs())
    assert s["median"]["bits_wrong@10"] == 0.1
    assert s["min"]["bits_wrong@120"] == 0.0 and s["max"]["bits_wrong@120"] == 5.0
    assert s["cpu_minutes"] == pytest.approx(2.95)


def test_readme_section_is_generated_from_result_files(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    exp = {
        "description": "d",
        "paper": {"result": "near 0"},
        "budget_minutes": 5.0,
        "clock": "cpu",
        **summarise(fake_runs()),
        "runs": fake_runs(),
    }
    report = {
        "command": "attnmem bench ntm-tasks --seeds 3",
        "seeds": [0, 1, 2],
        "note": "n",
        "total_cpu_minutes": 5.9,
        "experiments": {"ntm-copy": exp, "ntm-recall": exp},
    }
    (results / "ntm-tasks.json").write_text(json.dumps(report))
    md = results_markdown(results)
    assert "| ntm-copy | 5.0 cpu min | 0.1 [0, 0.5] | 1 [0, 5] |" in md
    assert "ntm-speed: not run yet" in md
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nold\n{END}\nrest\n")
    write_readme(readme, results)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old" not in text
    assert "0.1 [0, 0.5]" in text


def test_every_benchmark_has_a_renderer_that_imports():
    import importlib

    from attnmem.bench import BENCHMARKS
    from attnmem.bench.table import RENDERERS

    assert set(RENDERERS) == set(BENCHMARKS)
    for target in RENDERERS.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))


def test_task_benchmark_reruns_chosen_experiments_and_keeps_the_others(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from attnmem.bench import tasks
    from attnmem.bench.table import ntm_tasks_table

    def fake_train_all(jobs, out, *, minutes, parallel):
        return {e: fake_runs() for e, _ in jobs}

    monkeypatch.setattr(tasks, "train_all", fake_train_all)
    args = SimpleNamespace(out=str(tmp_path), seeds=3, minutes=None, jobs=2, experiments=None)
    first = tasks.run_task_benchmark("ntm-tasks", tasks.NTM_TASKS, args)
    assert list(first["experiments"]) == list(tasks.NTM_TASKS)
    assert (
        first["experiments"]["ntm-copy"]["command"] == "attnmem bench ntm-tasks --seeds 3 --jobs 2"
    )

    args.experiments, args.seeds, args.minutes = "ntm-recall", 2, 12.0
    second = tasks.run_task_benchmark("ntm-tasks", tasks.NTM_TASKS, args)
    exps = second["experiments"]
    assert list(exps) == list(tasks.NTM_TASKS)  # the paper's order, whatever was rerun
    assert exps["ntm-copy"] == first["experiments"]["ntm-copy"]
    assert exps["ntm-recall"]["command"].endswith(
        "--minutes 12.0 --jobs 2 --experiments ntm-recall"
    )
    assert exps["ntm-recall"]["seeds"] == [0, 1] and exps["ntm-recall"]["budget_minutes"] == 12.0
    assert second["total_cpu_minutes"] == pytest.approx(6 * 2.95, abs=0.1)
    table = ntm_tasks_table(second)
    assert "--experiments ntm-recall` (seeds [0, 1]: ntm-recall)" in table

    args.experiments = "ntm-nope"
    with pytest.raises(ValueError, match="ntm-nope"):
        tasks.run_task_benchmark("ntm-tasks", tasks.NTM_TASKS, args)
