"""The docs keep up with the code: README's architecture map names every module."""

from __future__ import annotations

import re

from tests.browser_support import REPO_ROOT


def architecture_map() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def test_readme_architecture_map_names_every_module():
    text = architecture_map()
    missing = []
    for folder in ("components", "laptop_pricing", "views"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if path.name in ("__init__.py", "__main__.py"):
                continue
            if not re.search(rf"\b{re.escape(path.stem)}\b", text):
                missing.append(str(path.relative_to(REPO_ROOT)))
    assert missing == [], f"README's architecture map does not name: {missing}"
