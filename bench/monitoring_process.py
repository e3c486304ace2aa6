"""One cold measurement per fresh process, for ``bench/bench_monitoring.py``: the child is the
script run again with ``--child KIND`` (no disk cache, no warm import survives), its answer one
JSON line; the child's peak memory is ``VmHWM``; the network latency real S3 adds. Imported
by the script and by its children (this folder and the repository are on ``sys.path``)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from monitoring_year import AWS_ENV

from laptop_pricing.settings import KEYS, env_name

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("bench_monitoring.py")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that spawned it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_network_latency(milliseconds: float) -> None:
    """Model the distance to real S3: each HTTP request waits before it is sent (the wait
    releases the GIL, as a network round trip would). Applied alike to both readers."""
    if milliseconds <= 0:
        return
    from botocore.httpsession import URLLib3Session

    send = URLLib3Session.send

    def delayed(self, request):
        time.sleep(milliseconds / 1000)
        return send(self, request)

    URLLib3Session.send = delayed


def run_child(kind: str, endpoint: str, latency_ms: float = 0.0, installed: str = "app") -> dict:
    """The script's child ``kind`` in a fresh process, with none of the app's settings in its
    environment (the bench passes the bucket itself); its JSON answer."""
    env = {**os.environ, **AWS_ENV, "BENCH_DAYS": os.environ.get("BENCH_DAYS", "365")}
    for key in KEYS:
        env.pop(env_name(key), None)
    output = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--child",
            kind,
            "--endpoint",
            endpoint,
            "--latency-ms",
            str(latency_ms),
            "--installed",
            installed,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def runs(results: list[dict]) -> str:
    """Each child's seconds, as the lines print them beside the median."""
    return ", ".join(f"{r['seconds']:.2f}" for r in results)
