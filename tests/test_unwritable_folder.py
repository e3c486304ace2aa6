"""Issue 21 item 14: an unwritable ``PREDICTIONS-DIR`` stops the local server and the compactor
with one line naming the key and exit 1, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = {
    "server": ["-m", "laptop_pricing.api.server", "--port", "0"],
    "compactor": ["-m", "laptop_pricing.request_log.compact"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unwritable_predictions_dir_is_one_line_and_exit_1(tmp_path: Path, command: str) -> None:
    (tmp_path / "file").write_text("a file, not a folder")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREDICTIONS_BUCKET")}
    env["PREDICTIONS_DIR"] = str(tmp_path / "file" / "sub")  # unwritable, even as root
    done = subprocess.run(
        [sys.executable, *COMMANDS[command]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PREDICTIONS-DIR" in lines[0]
