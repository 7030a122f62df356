"""Frozen-dataclass configs built from plain dicts (TOML), with errors that name the key.

Every config in the library is a frozen dataclass of ints, floats, strings,
bools and tuples of those. ``from_dict`` checks each key and value type;
``apply_overrides`` applies ``--set section.key=value`` strings to a nested dict.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

import tomllib

C = TypeVar("C")


class ConfigError(ValueError):
    """A config key is unknown, missing or of the wrong type."""


def _check_type(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_type(value, option, where)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0])
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, got {type(value).__name__} ({value!r})")
        (item_type, *_) = typing.get_args(annotation) or (Any,)
        return tuple(_check_type(v, item_type, f"{where}[{i}]") for i, v in enumerate(value))
    if annotation is Any:
        return value
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be int, got bool ({value!r})")
    if not isinstance(value, annotation):
        raise ConfigError(
            f"{where} must be {annotation.__name__}, got {type(value).__name__} ({value!r})"
        )
    return value


def from_dict(cls: type[C], data: dict[str, Any], where: str) -> C:
    """Build dataclass ``cls`` from ``data``; errors name ``where.key``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table of keys, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}: unknown key for {cls.__name__}; known: {', '.join(fields)}"
        )
    kwargs = {k: _check_type(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field is missing
        raise ConfigError(f"{where}: {e}") from None
    except ValueError as e:  # the config's own __post_init__ validation
        raise ConfigError(f"{where}: {e}") from None


def to_dict(config: Any) -> dict[str, Any]:
    """A dataclass as a plain dict (tuples become lists, so it is JSON/TOML friendly)."""

    def plain(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(dataclasses.asdict(config))


def parse_value(text: str) -> Any:
    """A command-line value as TOML (``3``, ``1e-3``, ``true``, ``[10, 20]``), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides to a nested dict (returns a new dict)."""
    import copy

    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        path, text = item.split("=", 1)
        keys = path.strip().split(".")
        if len(keys) < 2 or not all(keys):
            raise ConfigError(
                f"--set {item!r}: expected section.key=value (e.g. model.memory_rows=256)"
            )
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {k} is not a table")
        node[keys[-1]] = parse_value(text.strip())
    return data
