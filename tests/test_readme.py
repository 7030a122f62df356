"""The README's code is run, so the front door never shows an API that does not exist."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README has no python examples"
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)  # one session, in order


def test_readme_commands_name_real_experiments_and_benchmarks():
    from attnmem.bench import BENCHMARKS
    from attnmem.experiments import read_experiment

    text = README.read_text()
    for name in set(re.findall(r"attnmem (?:train|bench) ([a-z][a-z0-9-]+)", text)):
        if name in BENCHMARKS:
            continue
        read_experiment(name)  # raises for an unknown experiment
