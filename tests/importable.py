"""Run code as if only a requirements file were installed: the Lambda image's, or the app's.

The test environment has everything (scikit-learn, MLflow, pytest...), so a module the app
imports without declaring it would pass every test and fail on Streamlit Cloud. ``allow_only``
makes any other installed distribution raise ``ModuleNotFoundError``, as a fresh install of that
file would. Standard library only: probes import it first, in a fresh interpreter.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

# A probe's first lines: ``python -c PRELUDE + code '<json list of allowed distributions>'``.
PRELUDE = """
import json, sys
from tests.importable import allow_only
allow_only(json.loads(sys.argv[1]))
"""


def requirement_pins(path: Path) -> dict[str, str]:
    """``name -> version`` of a requirements file's ``name==version`` lines (not its ``-r``)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            name, version = line.split("==")
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


def closure(names: set[str]) -> set[str]:
    """The declared distributions plus everything they require (markers for extras excluded)."""
    from importlib.metadata import PackageNotFoundError, requires

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        for need in needs:
            if "extra ==" in need or "extra==" in need:
                continue
            todo.append(re.split(r"[\s;<>=!~\[(]", need, maxsplit=1)[0].lower().replace("_", "-"))
    return seen


def installable_from(path: Path) -> set[str]:
    """Every distribution a fresh ``pip install -r path`` would bring."""
    return closure(set(requirement_pins(path)))


class _OnlyThese:
    def __init__(self, allowed: set[str]):
        from importlib.metadata import packages_distributions

        self.allowed = allowed
        self.owners = packages_distributions()

    def find_spec(self, name, path=None, target=None):
        dists = self.owners.get(name.split(".")[0])
        if dists and not any(d.lower().replace("_", "-") in self.allowed for d in dists):
            raise ModuleNotFoundError(f"No module named {name!r} in this install")
        return None


def allow_only(allowed) -> None:
    """From now on in this process, import only from ``allowed`` distributions (and the
    standard library and this repository, which belong to none)."""
    sys.meta_path.insert(0, _OnlyThese({name.lower().replace("_", "-") for name in allowed}))


def run_probe(
    code: str,
    requirements: Path,
    *args: str,
    env: dict[str, str],
    cwd: Path,
    timeout: float = 120,
) -> dict:
    """Run ``PRELUDE + code`` in a fresh interpreter that can import only what ``requirements``
    installs; return the JSON object it prints last (a failure shows the probe's stderr)."""
    allowed = installable_from(requirements)
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, json.dumps(sorted(allowed)), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(cwd),
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
