"""The package never imports Streamlit: the Lambda image, the local API server and the training
CLI load ``laptop_pricing`` without it. Checked in a fresh interpreter, module by module."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.browser_support import REPO_ROOT

CHECK = """
import importlib, json, pkgutil, sys
import laptop_pricing
loaded = {}
for info in pkgutil.walk_packages(laptop_pricing.__path__, "laptop_pricing."):
    if info.name.endswith("__main__"):
        continue  # running a CLI is not importing the package
    importlib.import_module(info.name)
    loaded[info.name] = "streamlit" in sys.modules
print(json.dumps(loaded))
"""


def test_no_module_of_the_package_loads_streamlit():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(loaded) > 20, loaded  # every module was walked
    assert [name for name, seen in loaded.items() if seen] == []
