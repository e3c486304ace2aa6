"""Which alert rules fire, and the scheduled check that pages someone when one does.

``evaluate`` is pure: the rules (``alert_rules``), the request rows (with ``in_schema``), the
stored outcomes and the training reference in, the alerts that fire out (pt-BR messages, as
the monitoring page shows them at the top). ``python -m laptop_pricing.monitoring.alerts``
reads the configured request log and outcomes (environment settings, as the API does), prints
each alert and exits 1 when any fires, 0 when none does, 2 when it cannot check (a bad rules
file, a log it cannot read, no training reference, no request at all in the window read: a
wrong prefix or a broken log must not look like calm). A store of a chain silent for its last
N business hours fires ``silence`` (``monitoring.silence``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.monitoring import drift, quality
from laptop_pricing.monitoring.alert_rules import (
    AcceptanceRule,
    AlertRules,
    AlertRulesError,
    DriftBandRule,
    OutOfSchemaRule,
    load_rules,
)
from laptop_pricing.monitoring.outcome_reader import current_outcomes
from laptop_pricing.monitoring.silence import SILENCE, silence_messages, silent_stores
from laptop_pricing.pricing import schema
from laptop_pricing.trade_in import outcome

ACCEPTANCE = "acceptance"
DRIFT_BAND = "drift_band"
OUT_OF_SCHEMA = "out_of_schema"
EXIT_CALM = 0
EXIT_FIRED = 1
EXIT_CANNOT_CHECK = 2


@dataclass(frozen=True)
class Alert:
    rule: str
    message: str  # pt-BR, for the page and the command's output
    value: float
    threshold: float
    detail: tuple[str, ...] = ()  # e.g. the fields outside their band


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",").replace(",0%", "%")


def _window(days: int, today: date) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def _requests_in(rows: pd.DataFrame, days: int, today: date) -> pd.DataFrame:
    if rows.empty:
        return rows
    start, end = _window(days, today)
    day = rows[log_columns.TIMESTAMP_COLUMN].dt.tz_convert(None).to_numpy(dtype="datetime64[D]")
    return rows[(day >= np.datetime64(start, "D")) & (day <= np.datetime64(end, "D"))]


def acceptance_alert(rule: AcceptanceRule, outcomes: pd.DataFrame, today: date) -> Alert | None:
    """Deals among the quotes whose latest outcome was recorded in the window."""
    if not rule.enabled or outcomes.empty:
        return None
    current = current_outcomes(outcomes)
    start, end = _window(rule.window_days, today)
    day = current[outcome.RECORDED_AT].dt.tz_convert(None).to_numpy(dtype="datetime64[D]")
    current = current[(day >= np.datetime64(start, "D")) & (day <= np.datetime64(end, "D"))]
    decided = len(current)
    if decided < rule.min_quotes:
        return None
    deals = int(current[outcome.DECISION].isin(list(outcome.DEAL_DECISIONS)).sum())
    rate = deals / decided
    if rate >= rule.below:
        return None
    return Alert(
        ACCEPTANCE,
        f"Aceitação baixa: {_pct(rate)} das {decided} ofertas com resultado nos últimos "
        f"{rule.window_days} dias foram aceitas (alerta abaixo de {_pct(rule.below)}).",
        rate,
        rule.below,
    )


def drift_band_alert(
    rule: DriftBandRule, requests: pd.DataFrame, reference: drift.Reference, today: date
) -> Alert | None:
    """Fields (and the price) whose PSI is above their bootstrap band for this window's size."""
    if not rule.enabled:
        return None
    rows = _requests_in(requests, rule.window_days, today)
    if len(rows) < rule.min_requests:
        return None
    # "Any field outside its band" tests 14 bands at once: each gets the Bonferroni share of
    # the error, so a calm week stays quiet with the rule's confidence, not 0.95 ** 14 = 49 %.
    tested = len(drift.comparisons(rows.iloc[0:0], reference))
    per_field = 1 - (1 - rule.confidence) / max(1, tested)
    settings = drift.BandSettings(confidence=per_field, resamples=rule.resamples)
    table = drift.drift_table(rows, reference, band=settings)
    outside = table[table["outside_band"]]
    if outside.empty:
        return None
    names = tuple(
        schema.FIELDS_BY_NAME[f].label if f in schema.FIELDS_BY_NAME else "Preço estimado"
        for f in outside["field"]
    )
    worst = outside.iloc[0]
    return Alert(
        DRIFT_BAND,
        f"Mudança nos notebooks avaliados nos últimos {rule.window_days} dias "
        f"({len(rows)} pedidos): {', '.join(names)} fora da faixa esperada pelo treino.",
        float(worst["psi"]),
        float(worst["band"]),
        names,
    )


def out_of_schema_alert(rule: OutOfSchemaRule, requests: pd.DataFrame, today: date) -> Alert | None:
    if not rule.enabled:
        return None
    rows = _requests_in(requests, rule.window_days, today)
    if len(rows) < rule.min_requests:
        return None
    if quality.IN_SCHEMA_COLUMN not in rows:
        rows = quality.with_in_schema(rows)
    share = 1 - float(rows[quality.IN_SCHEMA_COLUMN].mean())
    if share <= rule.above:
        return None
    return Alert(
        OUT_OF_SCHEMA,
        f"Pedidos fora do esquema: {_pct(share)} dos {len(rows)} pedidos dos últimos "
        f"{rule.window_days} dias têm valores que nenhum notebook do cadastro tem "
        f"(alerta acima de {_pct(rule.above)}).",
        share,
        rule.above,
    )


def evaluate(
    rules: AlertRules,
    requests: pd.DataFrame,
    outcomes: pd.DataFrame,
    reference: drift.Reference | None,
    today: date,
    now: datetime | None = None,
) -> list[Alert]:
    """The alerts that fire, in the rules' order (silence only with ``now``). Raises
    ``drift.ReferenceMissing`` when the drift rule is on and there is no training reference."""
    fired = [acceptance_alert(rules.acceptance, outcomes, today)]
    if rules.drift_band.enabled:
        if reference is None:
            raise drift.ReferenceMissing("the drift_band rule needs the model's training reference")
        fired.append(drift_band_alert(rules.drift_band, requests, reference, today))
    fired.append(out_of_schema_alert(rules.out_of_schema, requests, today))
    if now is not None:
        silent = silent_stores(rules.silence, requests, now)
        messages = silence_messages(rules.silence, silent)
        threshold = rules.silence.hours
        for store, message in zip(sorted(silent), messages, strict=True):
            fired.append(Alert(SILENCE, message, 0.0, threshold, (store,)))
    return [alert for alert in fired if alert is not None]


# ---------------------------------------------------------------------------------------------
# The command


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.monitoring.alerts",
        description="Print the alert rules that fire; exit 1 when any fires, 0 when none, "
        "2 when it cannot check (bad rules, unreadable log, no request at all).",
    )
    parser.add_argument("--rules", type=Path, default=None, help="rules file (TOML)")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (UTC)")
    parser.add_argument("--model-dir", default=None, help="model folder with the metadata")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from laptop_pricing.monitoring.outcome_reader import read_outcomes
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation, LogUnavailable
    from laptop_pricing.pricing.artifact import ArtifactError, read_metadata
    from laptop_pricing.record_kinds import OUTCOMES
    from laptop_pricing.settings import load_settings

    args = _arguments(argv)
    today = args.today or datetime.now(UTC).date()
    now = min(datetime.now(UTC), datetime.combine(today + timedelta(days=1), time(), UTC))
    try:
        rules = load_rules(args.rules)
        settings = load_settings()
        start = today - timedelta(days=rules.longest_window_days - 1)
        source = LogLocation.from_settings(settings).open()
        log = read_log(source, start, today)
        requests = quality.with_in_schema(log.rows)
        outcomes = read_outcomes(LogLocation.from_settings(settings, OUTCOMES), start, today)
        reference = None
        if rules.drift_band.enabled:
            reference = drift.Reference.from_metadata(read_metadata(args.model_dir))
        fired = evaluate(rules, requests, outcomes.outcomes, reference, today, now)
    except (AlertRulesError, LogUnavailable, ArtifactError, drift.ReferenceMissing) as error:
        print(f"Não foi possível verificar os alertas: {error}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    if not len(requests):  # a wrong prefix or a dead log is not a quiet week: cannot check
        print(
            f"Não foi possível verificar os alertas: nenhum pedido de {start:%d/%m/%Y} a "
            f"{today:%d/%m/%Y} em {source.describe()} (confira PREDICTIONS-PREFIX e "
            "PREDICTIONS-DIR/BUCKET, e se as lojas estão conseguindo calcular).",
            file=sys.stderr,
        )
        return EXIT_CANNOT_CHECK
    unread = len(log.set_aside) + len(outcomes.failed)
    if unread:
        print(f"Aviso: {unread} linhas ou arquivos não puderam ser lidos.", file=sys.stderr)
    for alert in fired:
        print(f"ALERTA [{alert.rule}] {alert.message}")
    if not fired:
        print(f"Nenhum alerta em {today:%d/%m/%Y} ({len(requests)} pedidos lidos).")
    return EXIT_FIRED if fired else EXIT_CALM


if __name__ == "__main__":
    sys.exit(main())
