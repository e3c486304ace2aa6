"""The MLflow commands of ``python -m laptop_pricing.training``: ``train``, ``promote``, ``export``.

``add_commands(subparsers)`` adds them beside the core's ``build``. MLflow is imported only when
one of them runs, so ``build`` works where only requirements.txt is installed.

Typical cycle (local SQLite store in the repo unless ``MLFLOW_TRACKING_URI`` is set)::

    python -m laptop_pricing.training train     # CV every family, log runs, register the best
    python -m laptop_pricing.training promote   # champion alias -> it, if its MAPE is better
    python -m laptop_pricing.training export    # models:/laptop-pricing-model@champion -> model/
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from laptop_pricing.training.prepare import RAW_DATA_PATH

if TYPE_CHECKING:  # the registry (and MLflow) load only when a command runs
    from laptop_pricing.training.registry import TrackingStore

EXIT_REFUSED = 2
EXIT_FAILED = 1


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Print failures of the tracking store as one redacted line, never a traceback: MLflow's
    connection errors quote the tracking URI, credentials included."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from mlflow.exceptions import MlflowException

        from laptop_pricing.training.registry import RegistryError, redact

        try:
            return command(args)
        except (MlflowException, RegistryError, OSError) as error:
            print(f"{args.command} failed: {redact(str(error))}", file=sys.stderr)
            return EXIT_FAILED

    return run


def _store(args: argparse.Namespace) -> TrackingStore:
    from laptop_pricing.training.registry import resolve_store

    return resolve_store(args.tracking_uri)


def _train(args: argparse.Namespace) -> int:
    from laptop_pricing.training.tracking import stderr_progress, train_and_track

    session = train_and_track(
        _store(args),
        raw_path=args.raw,
        families=args.families or None,
        n_splits=args.n_splits,
        n_repeats=args.n_repeats,
        seed=args.seed,
        coverage=args.coverage,
        register=not args.no_register,
        progress=stderr_progress(),
    )
    print(f"{'family':<20} {'MAPE':>17} {'MAPE v1 view':>17} {'MAE (R$)':>18} {'R2':>16}  run")
    for row in session.cv_table:
        v1 = f"{row['MAPE_v1']:>8.4f} ± {row['MAPE_v1_std']:<6.4f} " if "MAPE_v1" in row else ""
        print(
            f"{row['family']:<20} {row['MAPE']:>8.4f} ± {row['MAPE_std']:<6.4f} {v1}"
            f"{row['MAE']:>8.1f} ± {row['MAE_std']:<7.1f} {row['R2']:>7.4f} ± {row['R2_std']:<6.4f}"
            f"  {session.run_ids[row['family']]}"
        )
    price_range = session.metadata["price_range"]
    print(
        f"chosen: {session.family}; price range {price_range['nominal_coverage']:.0%} nominal, "
        f"{price_range['measured_coverage']:.3f} ± {price_range['measured_coverage_std']:.3f} "
        "measured on held-out folds"
    )
    print(f"parent run: {session.parent_run_id}")
    if session.registered_version:
        print(
            f"registered: laptop-pricing-model version {session.registered_version} "
            "(next: `promote`)"
        )
    return 0


def _promote(args: argparse.Namespace) -> int:
    from laptop_pricing.training import registry

    client, _ = registry.connect(_store(args))
    decision = registry.promote(client, args.version, force=args.force)
    if decision.promoted:
        print(f"champion -> version {decision.version}: {decision.reason}")
        return 0
    print(f"champion unchanged (version {decision.champion_version}): {decision.reason}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from laptop_pricing.training.export import ExportRefused, export_champion
    from laptop_pricing.training.registry import RegistryError
    from laptop_pricing.training.tracking import stderr_progress

    try:
        result = export_champion(
            _store(args), args.model_dir, alias=args.alias, progress=stderr_progress()
        )
    except (ExportRefused, RegistryError) as error:
        print(f"export refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    metrics = result.metadata.metrics
    print(
        f"model/ <- laptop-pricing-model version {result.version} "
        f"({result.metadata.family}, CV MAPE {metrics.get('MAPE', float('nan')):.4f}, "
        f"run {result.run_id}) in {result.model_dir}"
    )
    return 0


def _tracking_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking/registry URI (default: $MLFLOW_TRACKING_URI, else "
        "sqlite:///<repo>/mlflow.db); credentials only via MLFLOW_TRACKING_USERNAME/PASSWORD",
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``train``, ``promote`` and ``export`` to the training CLI's subparsers."""
    train = commands.add_parser(
        "train",
        help="CV every family under an MLflow parent run, log each, register the best",
        description="Compare the model families by repeated k-fold CV (one nested MLflow run "
        "each, with params, MSE/MAE/R2/MAPE and their spread, and the model), and register the "
        "best by MAPE as a new version of laptop-pricing-model. Does not move `champion`.",
    )
    train.add_argument("--raw", default=str(RAW_DATA_PATH), help="raw CSV (default: %(default)s)")
    train.add_argument("--families", nargs="*", help="families to compare (default: all)")
    train.add_argument("--n-splits", type=int, default=5)
    train.add_argument("--n-repeats", type=int, default=3)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--coverage", type=float, default=0.8, help="nominal price-range coverage")
    train.add_argument("--no-register", action="store_true", help="track only; do not register")
    _tracking_option(train)
    train.set_defaults(run=_guarded(_train))

    promote = commands.add_parser(
        "promote",
        help="move the `champion` alias to a version if it beats the champion's CV MAPE",
        description="Move alias `champion` of laptop-pricing-model to VERSION (default: the "
        "latest registered) only when its CV MAPE beats the current champion's under the same "
        "validation protocol (data hash, folds, repeats, seed), or with --force.",
    )
    promote.add_argument("--version", default=None, help="version to promote (default: latest)")
    promote.add_argument(
        "--force", action="store_true", help="promote even if not better / not comparable"
    )
    _tracking_option(promote)
    promote.set_defaults(run=_guarded(_promote))

    export = commands.add_parser(
        "export",
        help="write models:/laptop-pricing-model@champion into model/ (the shipped artifact)",
        description="Resolve models:/laptop-pricing-model@champion (never 'the highest "
        "version'), check its feature order against the schema and atomically replace "
        "model/model.txt (the booster's text; model.joblib for a non-LightGBM family) and "
        "model/model_metadata.json. A mismatch is refused (exit 2) and "
        "leaves model/ untouched.",
    )
    export.add_argument("--model-dir", default=None, help="output folder (default: model/)")
    export.add_argument("--alias", default="champion", help="alias to export (default: champion)")
    _tracking_option(export)
    export.set_defaults(run=_guarded(_export))
