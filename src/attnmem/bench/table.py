"""README tables generated from ``benchmarks/results/*.json`` (``attnmem results``)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _spread(exp: dict[str, Any], key: str) -> str:
    if key not in exp["median"]:
        return "-"
    return f"{_fmt(exp['median'][key])} [{_fmt(exp['min'][key])}, {_fmt(exp['max'][key])}]"


def task_header(title: str, result: dict[str, Any]) -> str:
    """The heading of a task benchmark's table: each command with the experiments it ran
    (``--experiments`` reruns some of them), and the CPU time in all."""
    by_command: dict[str, list[str]] = {}
    for e, x in result["experiments"].items():
        command = x.get("command", result.get("command", ""))
        seeds = x.get("seeds", result.get("seeds", []))
        by_command.setdefault(f"`{command}` (seeds {seeds}", []).append(e)
    commands = "; ".join(f"{c}: {', '.join(es)})" for c, es in by_command.items())
    return (
        f"**{title}** (median [min, max] over seeds; {result['note']}; "
        f"{result['total_cpu_minutes']} CPU minutes in all). {commands}."
    )


def ntm_tasks_table(result: dict[str, Any]) -> str:
    exps = result["experiments"]
    lines = [task_header("NTM tasks", result), ""]
    copy = [e for e in ("ntm-copy", "lstm-copy") if e in exps]
    if copy:
        lengths = sorted(
            {int(k.split("@")[1]) for k in exps[copy[0]]["median"] if k.startswith("bits_wrong@")}
        )
        lines += [
            "Copy, wrong bits per sequence on 1,000 fresh sequences (trained on lengths 1-20):",
            "",
            "| experiment | budget | " + " | ".join(f"L={L}" for L in lengths) + " |",
            "|---|---|" + "---|" * len(lengths),
        ]
        for e in copy:
            x = exps[e]
            lines.append(
                f"| {e} | {x['budget_minutes']} {x['clock']} min | "
                + " | ".join(_spread(x, f"bits_wrong@{L}") for L in lengths)
                + " |"
            )
        lines.append("")
    lines += ["| experiment | budget | metric | ours | paper |", "|---|---|---|---|---|"]
    for e, x in exps.items():
        if e in copy:
            continue
        keys = [
            k
            for k in x["median"]
            if k in ("bits_wrong", "excess_cost_ratio", "cost_bits") or k.startswith("bits_wrong@")
        ]
        if "excess_cost_ratio" in x["median"]:
            keys = ["cost_bits", "optimal_cost_bits", "excess_cost_ratio"]
        for i, k in enumerate(keys):
            head = f"{e} | {x['budget_minutes']} {x['clock']} min" if i == 0 else " | "
            paper = x["paper"].get("result", "") if i == 0 else ""
            lines.append(f"| {head} | {k} | {_spread(x, k)} | {paper} |")
    return "\n".join(lines)


def speed_table(result: dict[str, Any]) -> str:
    keys = [k for k in result if "ms_per_sequence" in k]
    return "\n".join(
        [
            f"**NTM training speed** (`{result['command']}`; {result['config']}; "
            f"{result['threads']} thread, torch {result['torch']}; compiled = `train.compile = true`, "
            f"first compile {result.get('compile_seconds@batch1', '?')} s, not included)",
            "",
            "| measure | ms per sequence |",
            "|---|---|",
            *[f"| {k} | {result[k]} |" for k in keys],
        ]
    )


# name -> "module:function" rendering that benchmark's result as markdown. Imported only
# when the result exists, so a renderer lives beside the benchmark it belongs to.
RENDERERS: dict[str, str] = {
    "ntm-speed": "attnmem.bench.table:speed_table",
    "ntm-tasks": "attnmem.bench.table:ntm_tasks_table",
    "memn2n-babi": "attnmem.bench.babi:memn2n_babi_table",
    "dnc-speed": "attnmem.bench.dnc:dnc_speed_table",
    "dnc-tasks": "attnmem.bench.dnc:dnc_tasks_table",
    "dnc-nan": "attnmem.bench.dnc:dnc_nan_table",
    "attention-speed": "attnmem.bench.attention_speed:attention_speed_table",
    "ut-babi": "attnmem.bench.ut_babi:ut_babi_table",
    "dnc-babi": "attnmem.bench.dnc:dnc_babi_table",
    "act": "attnmem.bench.act:act_table",
    "act-parity": "attnmem.bench.act:act_table",
    "act-parity-8": "attnmem.bench.act:act_table",
    "act-tau": "attnmem.bench.act:act_tau_table",
}


def render(name: str, result: dict[str, Any]) -> str:
    module, function = RENDERERS[name].split(":")
    return getattr(importlib.import_module(module), function)(result)


def results_markdown(results_dir: str | Path = "benchmarks/results") -> str:
    parts = []
    for name in RENDERERS:
        path = Path(results_dir) / f"{name}.json"
        if path.exists():
            parts.append(render(name, json.loads(path.read_text())))
        else:
            parts.append(f"_{name}: not run yet (`attnmem bench {name}`)_")
    return "\n\n".join(parts)


def write_readme(readme: str | Path, results_dir: str | Path = "benchmarks/results") -> None:
    """Replace the text between the results markers of ``readme``."""
    readme = Path(readme)
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{results_markdown(results_dir)}\n{END}{tail}")
