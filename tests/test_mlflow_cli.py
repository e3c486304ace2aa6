"""The MLflow commands through the real entry point ``python -m laptop_pricing.training``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from laptop_pricing.settings import REPO_ROOT


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "laptop_pricing.training", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", ["train", "promote", "export"])
def test_each_command_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0
    assert "--tracking-uri" in result.stdout
    assert "MLFLOW_TRACKING_URI" in result.stdout


def test_export_without_a_champion_is_refused_and_writes_nothing(tmp_path):
    model_dir = tmp_path / "model"
    result = _run(
        "export",
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        "--model-dir",
        str(model_dir),
    )
    assert result.returncode == 2, result.stderr
    assert "models:/laptop-pricing-model@champion does not exist" in result.stderr
    assert "run `train` and `promote` first" in result.stderr
    assert not model_dir.exists()


def test_credentials_in_the_tracking_uri_are_never_printed(tmp_path):
    # An unreachable server with credentials in the URI: the error must not echo them.
    result = _run(
        "promote",
        env={
            "MLFLOW_TRACKING_URI": "http://alice:s3cret-pass@127.0.0.1:9/",
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
            "MLFLOW_TRACKING_PASSWORD": "another-s3cret",
        },
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "s3cret-pass" not in output
    assert "another-s3cret" not in output


def test_the_cli_and_its_help_load_without_mlflow():
    """`build` runs where only requirements-training.txt is installed, and no command's help
    pays MLflow's import: a command imports it only when it runs."""
    blocked = "import sys; sys.modules['mlflow'] = None; import runpy; "
    for argv in (["--help"], ["build", "--help"], ["train", "--help"], ["export-store", "--help"]):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                blocked + "runpy.run_module('laptop_pricing.training', run_name='__main__')",
                *argv,
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (argv, result.stderr[-2000:])
        assert "usage:" in result.stdout
