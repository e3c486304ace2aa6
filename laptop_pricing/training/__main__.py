"""Training command line: ``python -m laptop_pricing.training <command>``.

- ``build``: prepare the raw data, compare the model families by repeated k-fold CV, fit the best
  one by MAPE, calibrate its price range and (re)write ``model/``. Prints the CV table.
- ``prepare``: print the preparation report (what was dropped and why) and the table's shape.

- ``store``: train the used-price model on the store's sales, compare it with the rule on the
  latest months, log and register it (``store_tracking``).

Subcommands are argparse subparsers so the MLflow commands (train, promote, export) can be added
beside these with ``add_parser``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from laptop_pricing.training.prepare import RAW_DATA_PATH


def _print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'family':<20} {'MAPE (v2)':>16} {'MAPE (v1 view)':>16} {'MAE':>18} {'MSE':>24} "
        f"{'R2':>16} {'predict ms':>10}"
    )
    for r in rows:
        v1 = f"{r['MAPE_v1']:>7.4f} ± {r['MAPE_v1_std']:<6.4f} " if "MAPE_v1" in r else " " * 17
        print(
            f"{r['family']:<20} "
            f"{r['MAPE']:>7.4f} ± {r['MAPE_std']:<6.4f} {v1}"
            f"{r['MAE']:>8.1f} ± {r['MAE_std']:<7.1f} "
            f"{r['MSE']:>11.0f} ± {r['MSE_std']:<10.0f} "
            f"{r['R2']:>7.4f} ± {r['R2_std']:<6.4f} "
            f"{r['predict_ms']:>10.3f}"
        )


def _build(args: argparse.Namespace) -> int:
    from laptop_pricing.training.train import build_artifact

    metadata, _ = build_artifact(
        raw_path=args.raw,
        model_dir=args.model_dir,
        families=args.families or None,
        n_splits=args.n_splits,
        n_repeats=args.n_repeats,
        seed=args.seed,
        coverage=args.coverage,
        version=args.version,
    )
    print(f"CV: {args.n_splits}-fold x {args.n_repeats} repeats, seed {args.seed} (BRL)")
    _print_table(metadata["cv"]["table"])
    price_range = metadata["price_range"]
    print(
        f"chosen: {metadata['family']} (version {metadata['version']}); "
        f"range {price_range['nominal_coverage']:.0%} nominal, "
        f"{price_range['measured_coverage']:.3f} ± {price_range['measured_coverage_std']:.3f} "
        f"measured on held-out folds (v1 view {price_range.get('measured_coverage_v1', 0):.3f}); "
        "factors "
        f"{price_range['low_factor']:.3f}..{price_range['high_factor']:.3f}"
    )
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from laptop_pricing.training.prepare import data_hash, prepare_table

    table = prepare_table(args.raw)
    print(json.dumps(table.attrs["preparation"], indent=2))
    print(f"{len(table)} rows x {table.shape[1]} columns; data {data_hash(args.raw)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m laptop_pricing.training")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="rebuild model/ from data/ (no MLflow)")
    build.add_argument("--raw", default=str(RAW_DATA_PATH), help="raw CSV (default: %(default)s)")
    build.add_argument("--model-dir", default=None, help="output folder (default: model/)")
    build.add_argument("--families", nargs="*", help="families to compare (default: all)")
    build.add_argument("--n-splits", type=int, default=5)
    build.add_argument("--n-repeats", type=int, default=3)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--coverage", type=float, default=0.8, help="nominal range coverage")
    build.add_argument("--version", default=None, help="model version (default: date-family)")
    build.set_defaults(run=_build)

    prepare = commands.add_parser("prepare", help="show what the preparation drops and why")
    prepare.add_argument("--raw", default=str(RAW_DATA_PATH))
    prepare.set_defaults(run=_prepare)

    from laptop_pricing.training.mlflow_cli import add_commands  # train, promote, export

    add_commands(commands)
    from laptop_pricing.training.store_tracking import add_store_command  # the store's sales

    add_store_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
