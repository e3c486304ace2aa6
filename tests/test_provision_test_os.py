"""`make test`'s first step, scripts/provision-test-os.sh, run with Chromium's path pointed at
nothing: it names the install it would run, or stops at once with one clear line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.browser_support import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "provision-test-os.sh"


def provision(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "PROVISION_DRY_RUN"}
    # Wherever playwright would put a browser, never the developer's own cache.
    base["PLAYWRIGHT_BROWSERS_PATH"] = str(tmp_path / "ms-playwright")
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=REPO_ROOT,
        env={**base, "CHROMIUM_PATH": str(tmp_path / "no-chromium-here"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_apt_rights_it_would_install_chromium_from_debian(tmp_path):
    # A stand-in apt-get and a user id of 0 are what make the script choose apt; the stand-in
    # is never run in a dry run, it only has to exist.
    fake_apt = tmp_path / "apt-get"
    fake_apt.write_text("#!/bin/sh\nexit 0\n")
    fake_apt.chmod(0o755)
    if os.geteuid() != 0:
        pytest.skip("apt is chosen as root (or with sudo); this machine runs the tests as a user")
    result = provision(tmp_path, "--dry-run", APT_GET=str(fake_apt))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "would run: env DEBIAN_FRONTEND=noninteractive "
        f"{fake_apt} install -y -qq --no-install-recommends chromium"
    )


def test_without_apt_it_would_fetch_playwrights_chromium(tmp_path):
    result = provision(tmp_path, "--dry-run", APT_GET=str(tmp_path / "no-apt-get"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "would run: .venv/bin/python -m playwright install chromium"


def test_when_nothing_can_install_it_stops_with_one_line(tmp_path):
    # Playwright's download host is a closed loopback port: the download fails in seconds.
    result = provision(
        tmp_path,
        APT_GET=str(tmp_path / "no-apt-get"),
        PLAYWRIGHT_DOWNLOAD_HOST="http://127.0.0.1:9",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("provision: cannot install chromium:")
    assert "sudo apt-get install -y chromium" in lines[0]
    assert not (tmp_path / "ms-playwright").exists() or not any(
        (tmp_path / "ms-playwright").rglob("chrome")
    )


def test_with_everything_present_it_does_nothing(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    result = provision(tmp_path, "--dry-run", CHROMIUM_PATH=str(chromium))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_the_package_list_is_one_variable_readme_names():
    script = SCRIPT.read_text()
    (line,) = [x for x in script.splitlines() if x.startswith("TEST_OS_PACKAGES=")]
    packages = [entry.split(":")[0] for entry in line.split("=", 1)[1].strip('"').split()]
    assert packages[:2] == ["chromium", "poppler-utils"]
    readme = (REPO_ROOT / "README.md").read_text()
    for package in packages:
        assert f"`{package}`" in readme, f"README does not name the OS package {package}"
