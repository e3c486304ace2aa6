"""What the bench scripts share: a free loopback port, ``moto_server`` in its own process (S3 is
another machine; in-process it would share our GIL and flatter us), and a timing loop.

The scripts are run as ``python bench/<script>.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_process(start_timeout: float = 30.0) -> Iterator[str]:
    """``moto_server`` on a free loopback port in a child process; yields its endpoint URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def timed(call: Callable[[], object], n: int) -> list[float]:
    """``n`` wall-clock samples of ``call()``, in seconds."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def code_under_test() -> Path:
    """The package a child process measures: ``--code DIR`` (an earlier checkout, made with
    ``git worktree add DIR <commit>``) or this repository. Put first on ``sys.path`` before
    anything imports the package, so a baseline never mixes with this code."""
    code = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else REPO
    sys.path.insert(0, str(code))
    return code


def child_result(
    script: str, arguments: Sequence[str], code: str | None = None
) -> dict[str, float]:
    """Run ``script --child ...`` in a fresh process (on ``code``'s package when given) and
    return the JSON object its last line prints."""
    command = [sys.executable, script, *arguments]
    if code:
        command += ["--code", str(Path(code).resolve())]
    output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    result: dict[str, float] = json.loads(output.stdout.strip().splitlines()[-1])
    return result
