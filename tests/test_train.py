"""Trainer and CLI: determinism, kill-and-resume, NaN stops, bad input, DDP."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from attnmem.cli import main
from attnmem.config import ConfigError
from attnmem.experiments import load_experiment
from attnmem.runs import load_run, train_run
from attnmem.train import CheckpointError, NonFiniteError, TrainConfig, Trainer, load_checkpoint
from attnmem.train.checkpoint import checkpoint_path, save_checkpoint

TINY = [
    "model.controller_size=16",
    "model.memory_rows=16",
    "model.memory_width=6",
    "task.max_length=5",
    "train.batch_size=8",
    "train.log_every=10",
    "train.checkpoint_every=20",
    "train.max_minutes=0",
    "eval.sequences=20",
    "eval.batch_size=20",
    "eval.values=[5, 10]",
]


def tiny(steps=40, *extra):
    return load_experiment("ntm-copy", [*TINY, f"train.steps={steps}", *extra])


def params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_same_seed_same_run(tmp_path):
    a = train_run(tiny(), tmp_path / "a", seed=3, progress=False)
    b = train_run(tiny(), tmp_path / "b", seed=3, progress=False)
    c = train_run(tiny(), tmp_path / "c", seed=4, progress=False)
    assert a["metrics"] == b["metrics"]
    assert a["metrics"] != c["metrics"]
    assert torch.equal(params(load_run(tmp_path / "a")[1]), params(load_run(tmp_path / "b")[1]))
    lines = (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["step"] for ln in lines] == [10, 20, 30, 40]
    assert (tmp_path / "a" / "tensorboard").is_dir()


def _train_cmd(out, steps):
    sets = [a for s in [*TINY, f"train.steps={steps}"] for a in ("--set", s)]
    return [
        sys.executable,
        "-m",
        "attnmem.cli",
        "train",
        "ntm-copy",
        "--seed",
        "1",
        "--out",
        str(out),
        "--quiet",
        *sets,
    ]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(tmp_path, cli_env):
    steps = 400
    # Uninterrupted reference, run the same way (a subprocess) as the interrupted one.
    subprocess.run(
        _train_cmd(tmp_path / "ref", steps), check=True, env=cli_env, capture_output=True
    )
    # Start, wait for the first checkpoint, then SIGKILL mid-run: no chance to clean up.
    proc = subprocess.Popen(
        _train_cmd(tmp_path / "run", steps),
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ckpt = checkpoint_path(tmp_path / "run")
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(ckpt)["step"]
    assert 0 < killed_at < steps, "the run must be killed mid-way"
    # Resume with the same command.
    subprocess.run(
        _train_cmd(tmp_path / "run", steps), check=True, env=cli_env, capture_output=True
    )
    ref = json.loads((tmp_path / "ref" / "eval.json").read_text())
    got = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert got["resumed"] and got["step"] == ref["step"] == steps
    assert got["metrics"] == ref["metrics"]
    assert torch.equal(params(load_run(tmp_path / "run")[1]), params(load_run(tmp_path / "ref")[1]))
    ref_log = [json.loads(x) for x in (tmp_path / "ref" / "metrics.jsonl").read_text().splitlines()]
    got_log = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    drop_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_time(got_log) == drop_time(ref_log)


def test_nan_in_outputs_stops_with_step_and_tensor(tmp_path):
    exp = tiny()
    from attnmem.experiments import build

    model, task = build(exp)
    with torch.no_grad():
        model.output.bias.fill_(float("nan"))
    trainer = Trainer(model, task, exp.train, out_dir=tmp_path, progress=False)
    with pytest.raises(NonFiniteError, match=r"step 1: the loss is nan"):
        trainer.fit()


def test_inf_gradient_names_the_parameter(tmp_path):
    exp = tiny()
    from attnmem.experiments import build

    model, task = build(exp)
    model.interface.weight.register_hook(lambda g: g * float("inf"))
    trainer = Trainer(model, task, exp.train, out_dir=tmp_path, progress=False)
    with pytest.raises(NonFiniteError, match=r"step 1: the gradient of interface.weight contains"):
        trainer.fit()


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.memory_rowz=3", r"model.memory_rowz: unknown key for NTMConfig"),
        ("train.lr=fast", r"train.lr must be float, got str"),
        ("task.max_lenght=3", r"task.max_lenght: unknown key"),
        ("model.controller=gru", r"model: controller \('gru'\)"),
        ("evaluation.x=1", r"evaluation: unknown section"),
        ("train.checkpoint_every=7", r"multiple of log_every"),
    ],
)
def test_bad_config_names_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_experiment("ntm-copy", [override])


def test_cli_reports_bad_key_and_unknown_experiment(capsys):
    assert main(["train", "ntm-copy", "--set", "model.memory_rowz=3"]) == 2
    assert "model.memory_rowz" in capsys.readouterr().err
    assert main(["train", "no-such-thing"]) == 2
    assert "unknown experiment 'no-such-thing'" in capsys.readouterr().err


def test_eval_without_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    assert f"no checkpoint at {tmp_path / 'checkpoint.pt'}" in capsys.readouterr().err


def test_corrupt_checkpoint_is_a_clear_error_and_is_not_overwritten(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    ckpt = checkpoint_path(run)
    ckpt.write_bytes(b"this is not a checkpoint")
    assert main(["eval", str(run)]) == 2
    assert "corrupt or not an attnmem checkpoint" in capsys.readouterr().err
    sets = [a for s in tiny_overrides() for a in ("--set", s)]
    assert main(["train", "ntm-copy", "--out", str(run), "--quiet", *sets]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert ckpt.read_bytes() == b"this is not a checkpoint"


def tiny_overrides():
    return [*TINY, "train.steps=20"]


def test_checkpoint_loads_weights_only_and_refuses_pickled_code(tmp_path):
    train_run(tiny(20), tmp_path / "run", seed=0, progress=False)
    assert load_checkpoint(tmp_path / "run")["step"] == 20  # loaded with weights_only=True

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    bad = tmp_path / "evil.pt"
    torch.save({"format": 1, "step": 0, "model": {}, "optimizer": {}, "experiment": Evil()}, bad)
    with pytest.raises(CheckpointError, match="corrupt or not an attnmem checkpoint"):
        load_checkpoint(bad)


def test_atomic_save_keeps_old_checkpoint_on_failure(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"step": 1, "model": {}, "optimizer": {}, "experiment": {}})
    before = path.read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        save_checkpoint(
            path, {"step": 2, "model": {}, "optimizer": {}, "experiment": Unpicklable()}
        )
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_resume_refuses_a_different_experiment(tmp_path, capsys):
    train_run(tiny(20), tmp_path / "run", seed=0, progress=False)
    sets = [a for s in [*tiny_overrides(), "model.memory_width=7"] for a in ("--set", s)]
    assert main(["train", "ntm-copy", "--out", str(tmp_path / "run"), "--quiet", *sets]) == 2
    assert "different [model]" in capsys.readouterr().err


def test_eval_json_has_copy_metrics(tmp_path, capsys):
    train_run(tiny(20), tmp_path / "run", seed=0, progress=False)
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "run"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"bits_wrong", "bits_wrong@5", "bits_wrong@10"} <= set(out["metrics"])


def test_full_copy_eval_lengths_are_configured():
    assert load_experiment("ntm-copy").eval.values == (10, 20, 30, 50, 80, 120)


def test_curriculum_ramps_difficulty(tmp_path):
    exp = tiny()
    from attnmem.experiments import build

    model, task = build(exp)
    cfg = TrainConfig(steps=10, curriculum_steps=100, curriculum_start=0.2)
    trainer = Trainer(model, task, cfg, out_dir=tmp_path, progress=False)
    assert trainer.difficulty() == pytest.approx(0.2)
    trainer.step = 50
    assert trainer.difficulty() == pytest.approx(0.6)
    trainer.step = 500
    assert trainer.difficulty() == 1.0


@pytest.mark.slow
def test_ddp_two_processes_stay_in_sync(tmp_path, cli_env):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun, "torchrun ships with torch"
    worker = Path(__file__).with_name("ddp_worker.py")
    result = subprocess.run(
        [torchrun, "--nproc_per_node=2", "--master_port=29517", str(worker), str(tmp_path)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["world_size"] == ranks[1]["world_size"] == 2
    assert ranks[0]["param_checksum"] == ranks[1]["param_checksum"]
    assert ranks[0]["first_param_checksum"] != ranks[0]["param_checksum"]  # it did train
    assert load_checkpoint(tmp_path / "run")["step"] == 20


@pytest.mark.slow
def test_compiled_step_trains_like_eager(tmp_path):
    eager = train_run(tiny(10), tmp_path / "eager", seed=0, progress=False)
    compiled = train_run(
        tiny(10, "train.compile=true"), tmp_path / "compiled", seed=0, progress=False
    )
    a, b = params(load_run(tmp_path / "eager")[1]), params(load_run(tmp_path / "compiled")[1])
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert compiled["metrics"].keys() == eager["metrics"].keys()


def test_no_resume_starts_a_fresh_log(tmp_path, capsys):
    train_run(tiny(20), tmp_path / "run", seed=0, progress=False)
    train_run(tiny(20), tmp_path / "run", seed=0, progress=False, resume=False)
    steps = [
        json.loads(x)["step"] for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [10, 20]


def test_learning_rate_decays_by_step(tmp_path):
    from attnmem.experiments import build

    model, task = build(tiny())
    cfg = TrainConfig(steps=10, lr=1e-3, lr_decay_every=100, lr_decay=0.5)
    trainer = Trainer(model, task, cfg, out_dir=tmp_path, progress=False)
    assert trainer.learning_rate() == 1e-3
    trainer.step = 250
    assert trainer.learning_rate() == pytest.approx(2.5e-4)
