"""Handler latency in-process against a bare ``model.predict`` on an already encoded row.

    python bench/bench_handler.py [--calls 5000] [--rounds 5]

Both are measured in the same run, interleaved in rounds (these machines are noisy), with the
observer left at its no-op default so only the pricing path is timed. Prints p50/p99 of each and
the ratios; targets from issue 2: handler p50 <= 2 ms and handler p50 <= 1.5x bare predict p50.
Also prints a cold start (fresh process: import, load model/, first answer).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_support import timed  # noqa: E402

from laptop_pricing.api import handler as api  # noqa: E402
from laptop_pricing.pricing.engine import PricingEngine  # noqa: E402
from laptop_pricing.pricing.features import encode  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE  # noqa: E402

COURSE_SAMPLE = dict(CONTRACT_EXAMPLE)


def stats(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def cold_start_ms() -> float:
    code = (
        "import json, time; t = time.perf_counter();"
        "from laptop_pricing.api.handler import handler;"
        f"r = handler({{'data': {COURSE_SAMPLE!r}}});"
        "assert r['statusCode'] == 200, r;"
        "print((time.perf_counter() - t) * 1000)"
    )
    with tempfile.TemporaryDirectory() as predictions:
        # The handler's default observer is on (as in Lambda), but its log goes to a temp folder.
        env = {**os.environ, "PREDICTIONS_DIR": predictions, "POWERTOOLS_METRICS_DISABLED": "true"}
        env.pop("PREDICTIONS_BUCKET", None)
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="calls per round and path")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    engine = PricingEngine.load()
    handler = api.PricingHandler(engine, api.NullObserver())  # the pricing path, not the log
    model = engine.model
    spec = LaptopSpec.from_payload(COURSE_SAMPLE)
    row = encode(spec)
    direct = {"data": COURSE_SAMPLE}
    proxy = {"httpMethod": "POST", "body": json.dumps(direct), "isBase64Encoded": False}
    assert handler(direct)["statusCode"] == 200

    paths = {
        "bare model.predict(row)": lambda: model.predict(row),
        "engine.price(spec)": lambda: engine.price(spec),
        "handler(direct invoke)": lambda: handler(direct),
        "handler(REST proxy body)": lambda: handler(proxy),
    }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for call in paths.values():  # warm-up
        timed(call, 200)
    for _ in range(args.rounds):
        for name, call in paths.items():
            samples[name] += timed(call, args.calls)

    bare_p50, bare_p99 = stats(samples["bare model.predict(row)"])
    print(f"model: {engine.metadata.family} {engine.version}")
    print(f"{args.rounds} rounds x {args.calls} calls per path, interleaved")
    print(f"{'path':<28} {'p50 ms':>8} {'p99 ms':>8} {'p50 / bare':>11} {'p99 / bare':>11}")
    for name in paths:
        p50, p99 = stats(samples[name])
        print(f"{name:<28} {p50:>8.3f} {p99:>8.3f} {p50 / bare_p50:>11.2f} {p99 / bare_p99:>11.2f}")
    handler_p50, _ = stats(samples["handler(direct invoke)"])
    proxy_p50, _ = stats(samples["handler(REST proxy body)"])
    print(
        f"targets: handler p50 <= 2 ms: {handler_p50:.3f} / {proxy_p50:.3f} ms (direct / proxy); "
        f"handler overhead <= 1.5x bare: {handler_p50 / bare_p50:.2f}x / "
        f"{proxy_p50 / bare_p50:.2f}x"
    )
    cold = sorted(cold_start_ms() for _ in range(3))
    print(
        f"cold start (new process: imports + load model/ + first answer): median {cold[1]:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
