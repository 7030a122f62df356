"""Layer 6: named experiments = model + task + trainer + evaluation + the paper's number.

Each experiment is a TOML file in ``configs/``; ``load_experiment(name, overrides)``
validates it into frozen dataclasses (errors name the bad key) and
``build(experiment)`` returns the model and task it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import tomllib
from torch import nn

from attnmem.config import ConfigError, apply_overrides, from_dict
from attnmem.models import MODELS
from attnmem.tasks import TASKS, make_task
from attnmem.train.config import TrainConfig

SECTIONS = ("name", "description", "paper", "model", "task", "train", "eval")


@dataclass(frozen=True)
class EvalConfig:
    sequences: int = 1000  # fresh test sequences per setting
    batch_size: int = 100
    vary: str = ""  # a keyword of task.sample varied at test time, e.g. "length"
    values: tuple[int, ...] = ()  # its values, e.g. (10, 20, 30, 50, 80, 120)
    metrics: tuple[str, ...] = ("bits_wrong",)  # task metrics reported as "<metric>@<value>"
    seed: int = 12345  # test sequences come from this seed, never from training's stream


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    model_name: str
    model: Any  # the model's config dataclass
    task_name: str
    task: dict[str, Any]  # validated by the task's config class in build()
    train: TrainConfig
    eval: EvalConfig
    paper: dict[str, Any] = field(default_factory=dict)  # reference numbers to compare with

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (the TOML layout), stored in every checkpoint."""
        from attnmem.config import to_dict

        return {
            "name": self.name,
            "description": self.description,
            "paper": dict(self.paper),
            "model": {"name": self.model_name, **to_dict(self.model)},
            "task": {"name": self.task_name, **self.task},
            "train": to_dict(self.train),
            "eval": to_dict(self.eval),
        }


def experiment_names() -> list[str]:
    files = resources.files("attnmem.experiments").joinpath("configs").iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def read_experiment(name: str) -> dict[str, Any]:
    """The raw TOML of a named experiment."""
    path = resources.files("attnmem.experiments").joinpath("configs", f"{name}.toml")
    if not path.is_file():
        raise ConfigError(f"unknown experiment {name!r}; known: {', '.join(experiment_names())}")
    return tomllib.loads(path.read_text())


def experiment_from_dict(data: dict[str, Any]) -> Experiment:
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section; known: {', '.join(SECTIONS)}")
    model = dict(data.get("model", {}))
    task = dict(data.get("task", {}))
    model_name, task_name = model.pop("name", None), task.pop("name", None)
    if model_name not in MODELS:
        raise ConfigError(f"model.name: {model_name!r} is not a model; known: {', '.join(MODELS)}")
    if task_name not in TASKS:
        raise ConfigError(f"task.name: {task_name!r} is not a task; known: {', '.join(TASKS)}")
    make_task(task_name, task)  # validates task keys and values now, not at train time
    return Experiment(
        name=data.get("name", "custom"),
        description=data.get("description", ""),
        model_name=model_name,
        model=from_dict(MODELS[model_name][0], model, "model"),
        task_name=task_name,
        task=task,
        train=from_dict(TrainConfig, data.get("train", {}), "train"),
        eval=from_dict(EvalConfig, data.get("eval", {}), "eval"),
        paper=dict(data.get("paper", {})),
    )


def load_experiment(name: str, overrides: list[str] = ()) -> Experiment:
    """A named experiment with ``section.key=value`` overrides applied and validated."""
    return experiment_from_dict(apply_overrides(read_experiment(name), list(overrides)))


def build(experiment: Experiment) -> tuple[nn.Module, Any]:
    """The model and task an experiment describes (model weights from torch's current RNG)."""
    task = make_task(experiment.task_name, experiment.task)
    model_cls = MODELS[experiment.model_name][1]
    return model_cls(experiment.model, task.input_size, task.output_size), task
