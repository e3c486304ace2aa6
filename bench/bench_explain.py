"""Model v2: the CV table, what ``"explain": true`` costs, and the artifact's size.

    python bench/bench_explain.py [--calls 3000] [--rounds 5]

Same run, interleaved in rounds (these machines are noisy), observer at its no-op default: bare
predict (the raw booster on an encoded row, its ``pred_leaf`` variant, and the shipped model
object's own ``predict``: ``exp`` around the booster), the plain handler, the handler with
``"explain": true`` (path-decomposition contributions in R$), with ``"comparables": true`` (the
closest real laptops), and with both (what the app asks for); for reference, the TreeSHAP the engine
used before (``pred_contrib``) on the same row. Targets (issue 12): ``explain`` adds <= 2 ms to the
handler's p50 and stays <= 1.5x the handler without it; each ratio below is against the plain
handler of the same run.
The CV table is the shipped model's (5-fold x 3, MAPE on v2 payloads and on the v1 view of the
same folds, every family tried); the training CLI prints the same table when it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_support import timed  # noqa: E402

from laptop_pricing.api import handler as api  # noqa: E402
from laptop_pricing.pricing.artifact import default_model_dir  # noqa: E402
from laptop_pricing.pricing.engine import PricingEngine  # noqa: E402
from laptop_pricing.pricing.features import FIELD_COLUMNS, encode  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE, FIELD_NAMES  # noqa: E402
from laptop_pricing.pricing.tree_paths import leaf_table  # noqa: E402

V2_EXAMPLE = {**CONTRACT_EXAMPLE, "processor_gnrtn": "11th", "msoffice": "1"}


def p50(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, 50))


def print_cv_table(engine: PricingEngine) -> None:
    cv = engine.metadata.cv
    if cv is None:
        print("no CV table in the metadata")
        return
    print(f"CV: {cv.n_splits}-fold x {cv.n_repeats} repeats, seed {cv.seed}, chosen by MAPE (v2)")
    print(f"{'family':<20} {'MAPE v2':>16} {'MAPE v1 view':>16} {'MAE v2 (R$)':>12}")
    for row in cv.table:
        v1 = f"{row['MAPE_v1']:.4f} ± {row['MAPE_v1_std']:.4f}" if "MAPE_v1" in row else "-"
        mark = "  <- shipped" if row["family"] == engine.metadata.family else ""
        print(
            f"{row['family']:<20} {row['MAPE']:.4f} ± {row['MAPE_std']:.4f} {v1:>16} "
            f"{row['MAE']:>12.0f}{mark}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per round and path")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    engine = PricingEngine.load()
    # No observer: time the pricing path, not the request log.
    handler = api.PricingHandler(engine)
    print(f"model: {engine.metadata.family} {engine.version}")
    print_cv_table(engine)
    price_range = engine.metadata.price_range
    if price_range is not None:
        print(
            f"price range: {price_range.nominal_coverage:.0%} nominal, measured "
            f"{price_range.measured_coverage:.3f} on v2 payloads, "
            f"{engine.metadata.raw['price_range'].get('measured_coverage_v1', float('nan')):.3f}"
            " on the v1 view (held-out folds)"
        )
    folder = default_model_dir()
    sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    print(
        "artifact: "
        + ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items())
        + f"; total {sum(sizes.values()) / 1024:.0f} KiB"
    )

    if engine.explains:
        start = time.perf_counter()
        table = leaf_table(
            engine.booster.model_to_string(), [FIELD_COLUMNS[n] for n in FIELD_NAMES]
        )
        print(
            f"leaf table: {len(table.offsets)} trees, {table.table.nbytes / 1024:.0f} KiB, "
            f"built at load in {(time.perf_counter() - start) * 1000:.0f} ms"
        )

    spec = LaptopSpec.from_payload(V2_EXAMPLE)
    row = encode(spec)
    plain = {"data": V2_EXAMPLE}
    explained = {"data": V2_EXAMPLE, "explain": True}
    compared = {"data": V2_EXAMPLE, "comparables": True}
    both = {"data": V2_EXAMPLE, "explain": True, "comparables": True}
    assert all(handler(r)["statusCode"] == 200 for r in (plain, explained, compared, both))
    booster = engine.booster
    paths = {
        "bare model.predict(row)": lambda: engine.model.predict(row),
        "handler plain": lambda: handler(plain),
        "handler explain": lambda: handler(explained),
        "handler comparables": lambda: handler(compared),
        "handler explain+comparables": lambda: handler(both),
        "engine.price": lambda: engine.price(spec),
        "engine.price_with_explanation": lambda: engine.price_with_explanation(spec),
        "engine.comparables only": lambda: engine.comparables(spec),
    }
    if booster is not None:
        paths = {
            "bare booster.predict(row)": lambda: booster.predict(row, num_threads=1),
            "booster pred_leaf (row)": lambda: booster.predict(row, pred_leaf=True, num_threads=1),
            **paths,
            "TreeSHAP pred_contrib (ref.)": lambda: booster.predict(
                row, pred_contrib=True, num_threads=1
            ),
        }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for call in paths.values():
        timed(call, 200)
    for _ in range(args.rounds):
        for name, call in paths.items():
            samples[name] += timed(call, args.calls)

    without = p50(samples["handler plain"])
    print(f"{args.rounds} rounds x {args.calls} calls per path, interleaved")
    print(f"{'path':<30} {'p50 ms':>8} {'p50 / handler plain':>20}")
    for name in paths:
        print(f"{name:<30} {p50(samples[name]):>8.3f} {p50(samples[name]) / without:>20.2f}")
    with_explain = p50(samples["handler explain"])
    print(
        f"targets: explain adds <= 2 ms: {with_explain - without:.3f} ms; "
        f"<= 1.5x without: {with_explain / without:.2f}x"
    )
    for name in ("handler comparables", "handler explain+comparables"):
        with_it = p50(samples[name])
        print(f"{name} vs plain: adds {with_it - without:.3f} ms, {with_it / without:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
