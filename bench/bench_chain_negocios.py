"""The "Negócios" section over a chain's year (issue 25): ``compute_business_view`` of every
quote of the period with its current outcome, cold in a fresh process, on this code and on an
earlier checkout's (``--baseline DIR``, made with ``git worktree add DIR <commit>``), the two
interleaved in one run.

    python bench/bench_chain_negocios.py --folder /tmp/yearq --baseline /tmp/base --repeats 3

``--folder`` is a local log with quotes, compacted (``bench_monitoring.py --quotes 1`` writes
one). ``--decided`` gives that share of its quotes an outcome (accepted, declined as too low or
negotiated, drawn with a fixed seed), built in memory before the clock starts. The year is read
once per process; the time and the peak memory above the read are the section's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from bench_support import child_result, code_under_test  # beside this script

CODE = code_under_test()  # before the helper below imports the package

from monitoring_process import peak_rss_mb  # noqa: E402  (beside this script)

PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)


def outcomes_of(quote_ids: pd.Series, decided: float) -> pd.DataFrame:
    """Outcomes for ``decided`` of the quotes (rows with a quote id), as the outcome reader
    types them."""
    from laptop_pricing.monitoring.outcome_reader import outcomes_frame

    ids = quote_ids[quote_ids.notna() & (quote_ids.astype(str) != "")].to_numpy(dtype=object)
    rng = np.random.default_rng(1)
    picked = ids[rng.choice(len(ids), int(len(ids) * decided), replace=False)]
    decisions = rng.choice(["accepted", "declined", "negotiated"], len(picked))
    return outcomes_frame(
        [
            {
                "quote_id": quote, "event_id": f"e{n}", "decision": decision,
                "amount": "1000" if decision == "negotiated" else "",
                "reason": "offer_too_low" if decision == "declined" else "",
                "recorded_at": "2025-01-01T00:00:00Z", "offer": "1200",
            }
            for n, (quote, decision) in enumerate(zip(picked, decisions, strict=True))
        ]
    )  # fmt: skip


def child(folder: str, days: int, decided: float) -> dict[str, float]:
    from laptop_pricing.monitoring import memory, quality
    from laptop_pricing.monitoring.business_view import compute_business_view
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation

    assert Path(compute_business_view.__code__.co_filename).is_relative_to(CODE.resolve())
    memory.map_large_blocks()  # as the page does
    start = END - timedelta(days=days - 1)
    quotes = read_log(LogLocation(None, PREFIX, folder).open(), start, END).rows
    quotes = quality.with_in_schema(quotes)
    outcomes = outcomes_of(quotes["quote_id"], decided)
    before = peak_rss_mb()
    began = time.perf_counter()
    view = compute_business_view(quotes, outcomes, start, END)
    return {
        "seconds": time.perf_counter() - began,
        "quotes": view.quotes,
        "peak_mb": peak_rss_mb(),
        "above_read_mb": peak_rss_mb() - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--folder", required=True, help="a compacted local log with quotes")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decided", type=float, default=0.25, help="share of quotes decided")
    parser.add_argument("--baseline", help="a checkout of earlier code (required)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.folder, args.days, args.decided)))
        return
    if not args.baseline:
        parser.error("--baseline DIR is required: the ratio is against that checkout")
    arguments = ["--child", "--folder", args.folder, "--days", str(args.days)]
    arguments += ["--decided", str(args.decided)]
    ways = {"this code": None, f"the code in {args.baseline}": args.baseline}
    results: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
    for _ in range(args.repeats):
        for way, code in ways.items():
            results[way].append(child_result(__file__, arguments, code))
    assert len({r["quotes"] for runs in results.values() for r in runs}) == 1
    median = {way: statistics.median(r["seconds"] for r in runs) for way, runs in results.items()}
    for way, runs in results.items():
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"{way}: {median[way]:.2f} s (runs {each}), peak {max(r['peak_mb'] for r in runs):.0f}"
            f" MB ({max(r['above_read_mb'] for r in runs):+.0f} MB above the read), "
            f"{runs[0]['quotes']:,.0f} quotes"
        )
    this, baseline = median.values()
    print(f"this code / baseline: {this / baseline:.2f}x the time")


if __name__ == "__main__":
    main()
