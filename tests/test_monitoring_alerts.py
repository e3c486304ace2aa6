"""Bands from the reference, the alert rules file, and the alerts command as a scheduled job
runs it (a subprocess reading a local log and outcome folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from laptop_pricing.monitoring import alert_rules, alerts, drift, quality
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.pricing import schema
from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.settings import KEYS, REPO_ROOT, env_name
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.trade_in import outcome
from tests import synthetic_business as synthetic
from tests.monitoring_fixtures import AWS_TEST_ENV, put_objects

TODAY = date(2026, 3, 31)


@pytest.fixture(scope="module")
def reference() -> drift.Reference:
    return drift.Reference.from_metadata(read_metadata())


def _training_rows(reference: drift.Reference, field_name: str) -> tuple[list[float], np.ndarray]:
    """The field's training rows as bin indices (the reference counts expanded), and the
    expected counts over the drift bins (allowed values, then 'outside the schema')."""
    values = [str(v) for v in schema.FIELDS_BY_NAME[field_name].values]
    counts = [reference.fields[field_name].get(v, 0) for v in values]
    return [*map(float, counts), 0.0], np.repeat(np.arange(len(values)), counts)


# ---------------------------------------------------------------------------------------------
# Bands


@pytest.mark.parametrize("field_name", ["brand", "processor_name", "ssd"])
@pytest.mark.parametrize("rows", [30, 200])
def test_the_band_holds_the_training_data_own_resamples_about_95_percent_of_the_time(
    reference, field_name, rows
):
    expected, training = _training_rows(reference, field_name)
    band = drift.psi_band(expected, rows)
    rng = np.random.default_rng(2026)  # not the band's seed: fresh resamples of the rows
    inside = 0
    for _ in range(1000):
        sample = rng.choice(training, size=rows, replace=True)
        actual = np.bincount(sample, minlength=len(expected))
        inside += drift.psi(expected, actual) <= band
    assert 0.92 <= inside / 1000 <= 0.98


def test_a_small_window_is_not_flagged_for_noise_and_a_large_move_is(reference):
    expected, training = _training_rows(reference, "processor_name")
    rng = np.random.default_rng(5)
    noise = np.bincount(rng.choice(training, size=30), minlength=len(expected))
    small_band = drift.psi_band(expected, 30)
    assert drift.psi(expected, noise) <= small_band
    # A real move on a big window: a tenth more Ryzen 7 than training, over 3 000 requests.
    shifted = np.array(expected) / sum(expected)
    names = [str(v) for v in schema.FIELDS_BY_NAME["processor_name"].values]
    shifted[names.index("ryzen 7")] += 0.10  # by name: the v2 schema lists more processors
    moved = rng.multinomial(3000, shifted / shifted.sum())
    psi_moved = drift.psi(expected, moved)
    assert psi_moved < drift.WARNING_PSI  # the fixed cut-off calls it fine
    assert psi_moved > drift.psi_band(expected, 3000)  # the band does not


def test_the_drift_table_gains_band_columns_only_when_asked(reference):
    rows = read_log(
        LocalRecordStore(
            _calm_log(Path(os.environ["PREDICTIONS_DIR"]) / "band"), LogLayout("", PREDICTIONS)
        )
    )
    plain = drift.drift_table(rows.rows, reference)
    assert list(plain.columns) == list(drift.DRIFT_COLUMNS)
    banded = drift.drift_table(rows.rows, reference, band=drift.BandSettings())
    assert list(banded.columns) == [*drift.DRIFT_COLUMNS, "band", "outside_band"]
    assert (banded["band"] > 0).all()


# ---------------------------------------------------------------------------------------------
# Rules file


def test_the_rules_in_the_repo_load():
    rules = alert_rules.load_rules()
    assert rules.acceptance.below == pytest.approx(0.40)
    assert (rules.acceptance.window_days, rules.acceptance.min_quotes) == (7, 30)
    assert rules.out_of_schema.above == pytest.approx(0.05)
    assert rules.drift_band.confidence == pytest.approx(0.95)


def _document() -> dict:
    import tomllib

    return tomllib.loads(alert_rules.DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.pop("acceptance"), "acceptance"),
        (lambda d: d["acceptance"].pop("below_percent"), "acceptance.below_percent"),
        (lambda d: d["acceptance"].update(below_percent=140), "acceptance.below_percent"),
        (lambda d: d["acceptance"].update(below_percent="40"), "acceptance.below_percent"),
        (lambda d: d["acceptance"].update(window_days=7.5), "acceptance.window_days"),
        (lambda d: d["drift_band"].update(enabled="yes"), "drift_band.enabled"),
        (lambda d: d["drift_band"].update(resamples=10), "drift_band.resamples"),
        (lambda d: d["out_of_schema"].update(abov_percent=5), "out_of_schema.abov_percent"),
        (lambda d: d.update(latency={}), "latency"),
    ],
)
def test_a_wrong_rules_file_is_refused_naming_the_key(change, key):
    document = _document()
    change(document)
    with pytest.raises(alert_rules.AlertRulesError) as caught:
        alert_rules.parse_rules(document, "alerts.toml")
    assert caught.value.key == key
    assert str(caught.value).startswith(f"alerts.toml: {key}: ")


def test_a_rules_file_that_is_not_toml_is_refused(tmp_path):
    bad = tmp_path / "alerts.toml"
    bad.write_text("[acceptance\nbelow_percent = 40\n", encoding="utf-8")
    with pytest.raises(alert_rules.AlertRulesError, match="not valid TOML"):
        alert_rules.load_rules(bad)


# ---------------------------------------------------------------------------------------------
# Evaluating the rules


def _outcomes_with_acceptance(rate: float, quotes_per_day: int = 10) -> pd.DataFrame:
    acceptance = dict.fromkeys(synthetic.ACCEPTANCE_BY_PROCESSOR, rate)
    data = synthetic.quotes_and_outcomes(TODAY, days=7, quotes_per_day=quotes_per_day,
                                         acceptance=acceptance, open_share=0.0)  # fmt: skip
    return data.outcomes_frame()


def _requests(reference: drift.Reference, per_day: int, seed: int = 1) -> pd.DataFrame:
    folder = _calm_log(Path(os.environ["PREDICTIONS_DIR"]) / f"calm-{per_day}-{seed}", per_day)
    return quality.with_in_schema(
        read_log(LocalRecordStore(folder, LogLayout("", PREDICTIONS))).rows
    )


def test_low_acceptance_fires_only_with_enough_decided_quotes():
    rules = alert_rules.load_rules()
    low = _outcomes_with_acceptance(0.2)
    fired = alerts.acceptance_alert(rules.acceptance, low, TODAY)
    assert fired is not None and fired.value == pytest.approx(0.2, abs=0.05)
    assert "Aceitação baixa" in fired.message and "abaixo de 40%" in fired.message
    assert alerts.acceptance_alert(rules.acceptance, _outcomes_with_acceptance(0.7), TODAY) is None
    few = _outcomes_with_acceptance(0.2, quotes_per_day=3)  # 21 decided: below min_quotes
    assert alerts.acceptance_alert(rules.acceptance, few, TODAY) is None
    # Outside the window: the same week seen from a month later fires nothing.
    assert alerts.acceptance_alert(rules.acceptance, low, TODAY + timedelta(days=30)) is None


def test_out_of_schema_share_above_the_threshold_fires(reference):
    rules = alert_rules.load_rules()
    rows = _requests(reference, per_day=20)
    assert alerts.out_of_schema_alert(rules.out_of_schema, rows, TODAY) is None
    bad = rows.copy()
    bad["ram_gb"] = bad["ram_gb"].cat.add_categories(["252"])
    bad.iloc[: len(bad) // 10, bad.columns.get_loc("ram_gb")] = "252"
    bad = quality.with_in_schema(bad)
    fired = alerts.out_of_schema_alert(rules.out_of_schema, bad, TODAY)
    assert fired is not None and fired.value == pytest.approx(0.1, abs=0.01)


def test_a_calm_week_fires_nothing_and_a_drifted_one_names_the_field(reference):
    rules = alert_rules.load_rules()
    calm = _requests(reference, per_day=40)
    assert alerts.evaluate(rules, calm, _outcomes_with_acceptance(0.7), reference, TODAY) == []
    drifted = calm.copy()
    ryzen = drifted["processor_name"] == "ryzen 7"
    drifted.loc[drifted.index[: len(drifted) // 3], "processor_name"] = "ryzen 7"
    drifted.loc[drifted.index[: len(drifted) // 3], "processor_brand"] = "amd"
    assert ryzen.sum() < (drifted["processor_name"] == "ryzen 7").sum()
    fired = alerts.drift_band_alert(rules.drift_band, drifted, reference, TODAY)
    assert fired is not None and "Processador" in fired.detail


# ---------------------------------------------------------------------------------------------
# The command


def _calm_log(folder: Path, per_day: int = 40, seed: int = 1, prefix: str = "") -> Path:
    reference = drift.Reference.from_metadata(read_metadata())
    for offset in range(7):
        day = TODAY - timedelta(days=offset)
        path = folder / LogLayout(prefix, PREDICTIONS).day_key(day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(synthetic.reference_day_csv(reference, day, per_day, seed + offset))
    return folder


def _write_outcomes(folder: Path, frame_source: synthetic.SyntheticBusiness) -> None:
    for key, data in frame_source.day_files("resultados"):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _run(folder: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {env_name(key) for key in KEYS}}
    env.update(
        PREDICTIONS_DIR=str(folder), PREDICTIONS_PREFIX="pedidos", OUTCOMES_PREFIX="resultados"
    )
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "laptop_pricing.monitoring.alerts", "--today", str(TODAY), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _week(folder: Path, acceptance: float) -> Path:
    _calm_log(folder, prefix="pedidos")
    rates = dict.fromkeys(synthetic.ACCEPTANCE_BY_PROCESSOR, acceptance)
    _write_outcomes(
        folder, synthetic.quotes_and_outcomes(TODAY, days=7, quotes_per_day=10, acceptance=rates)
    )
    return folder


def test_the_command_exits_1_and_prints_the_alert_on_a_week_built_to_fire(tmp_path):
    result = _run(_week(tmp_path, acceptance=0.2))
    assert result.returncode == 1, result.stderr
    assert "ALERTA [acceptance] Aceitação baixa" in result.stdout
    assert "drift_band" not in result.stdout and "out_of_schema" not in result.stdout


def test_the_command_exits_0_on_a_calm_week(tmp_path):
    result = _run(_week(tmp_path, acceptance=0.7))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Nenhum alerta em 31/03/2026 (280 pedidos lidos)")


def test_an_empty_window_cannot_be_checked_and_says_where_it_looked(tmp_path):
    # No data at all where data was expected (a typo here; a dead log alike): exit 2, not calm.
    result = _run(_week(tmp_path, acceptance=0.7), PREDICTIONS_PREFIX="pedido")
    assert result.returncode == 2
    assert "Nenhum alerta" not in result.stdout
    assert "Não foi possível verificar" in result.stderr
    assert "nenhum pedido" in result.stderr and str(tmp_path / "pedido") in result.stderr


def test_the_command_exits_2_naming_the_key_of_a_bad_rules_file(tmp_path):
    rules = tmp_path / "alerts.toml"
    text = alert_rules.DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    rules.write_text(text.replace("below_percent = 40", "below_percent = 400"), encoding="utf-8")
    result = _run(_week(tmp_path / "log", acceptance=0.2), "--rules", str(rules))
    assert result.returncode == 2
    assert "acceptance.below_percent" in result.stderr and "Traceback" not in result.stderr


def test_the_outcome_reader_reads_a_range_of_day_files(tmp_path):
    data = synthetic.quotes_and_outcomes(TODAY, days=7, quotes_per_day=5)
    _write_outcomes(tmp_path, data)
    location = LogLocation(None, "resultados", str(tmp_path), kind=OUTCOMES.name)
    everything = read_outcomes(location)
    assert len(everything.outcomes) == _events(data) and not everything.failed
    month_ago = LogLayout("", OUTCOMES).day_file_name(TODAY - timedelta(days=30))
    broken = tmp_path / "resultados" / month_ago
    broken.write_bytes(b"quote_id,event_id\nQ1,e-1,extra,cells\n")
    with_broken = read_outcomes(location)
    assert with_broken.failed == [(broken.name, "unreadable_csv")]
    assert len(with_broken.outcomes) == _events(data)  # the other files still read
    last_two = read_outcomes(location, TODAY - timedelta(days=1), TODAY)
    days = {f.day for f in last_two.files}
    assert days <= {TODAY - timedelta(days=1), TODAY} and days
    recorded = last_two.outcomes[outcome.RECORDED_AT].dt.tz_convert(None).dt.date
    assert recorded.min() >= TODAY - timedelta(days=1)


def _events(data) -> int:
    """Outcomes as stored: one per event id (the synthetic history repeats some)."""
    return len({item.event_id for item in data.outcomes})


def _objects(folder: Path) -> list[tuple[str, bytes]]:
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*.csv")]


def test_the_command_reads_the_log_and_the_outcomes_from_s3(s3_endpoint, tmp_path):
    put_objects(s3_endpoint, "loja-alertas", _objects(_week(tmp_path, acceptance=0.2)))
    result = _run(
        tmp_path / "empty",
        PREDICTIONS_BUCKET="loja-alertas",
        AWS_ENDPOINT_URL=s3_endpoint,
        **AWS_TEST_ENV,
    )
    assert result.returncode == 1, result.stderr
    assert "ALERTA [acceptance]" in result.stdout


def test_the_command_exits_2_when_the_bucket_cannot_be_read(s3_endpoint, tmp_path):
    result = _run(
        tmp_path, PREDICTIONS_BUCKET="nao-existe", AWS_ENDPOINT_URL=s3_endpoint, **AWS_TEST_ENV
    )
    assert result.returncode == 2
    assert "s3://nao-existe/" in result.stderr and "Traceback" not in result.stderr


def test_the_outcome_reader_reads_a_range_from_s3_beside_the_request_log(s3_endpoint, tmp_path):
    data = synthetic.quotes_and_outcomes(TODAY, days=7, quotes_per_day=5)
    _write_outcomes(tmp_path, data)
    _calm_log(tmp_path, per_day=5, prefix="resultados")  # another kind of day file, same prefix
    put_objects(s3_endpoint, "loja-resultados", _objects(tmp_path))
    location = LogLocation("loja-resultados", "resultados", None, s3_endpoint, OUTCOMES.name)
    everything = read_outcomes(location)
    assert len(everything.outcomes) == _events(data) and not everything.failed
    last_two = read_outcomes(location, TODAY - timedelta(days=1), TODAY)
    assert {f.day for f in last_two.files} == {TODAY - timedelta(days=1), TODAY}
    local_at = LogLocation(None, "resultados", str(tmp_path), kind=OUTCOMES.name)
    local = read_outcomes(local_at, TODAY, TODAY)
    assert local.outcomes.equals(read_outcomes(location, TODAY, TODAY).outcomes)


def _compacted_outcomes(folder: Path) -> tuple[LogLocation, list[date]]:
    """A week of outcome day files, its closed days folded into the outcomes' rollup."""
    data = synthetic.quotes_and_outcomes(TODAY, days=7, quotes_per_day=5)
    _write_outcomes(folder, data)
    location = LogLocation(None, "resultados", str(folder), kind=OUTCOMES.name)
    closed = sorted({f.day for f in read_outcomes(location).files if f.day < TODAY})
    store = LocalRecordStore(folder, LogLayout("resultados", OUTCOMES))
    assert all(result.rolled_up for result in Compactor(store).compact_days(closed))
    return location, closed


def test_the_outcome_reader_takes_closed_days_from_the_rollup(tmp_path):
    """The same outcomes as the day files give, with the closed days' files unreadable: the
    rollup is what was read for them (a dozen downloads a year instead of 365)."""
    location, closed = _compacted_outcomes(tmp_path)
    from_day_files = read_outcomes(location)
    layout = LogLayout("resultados", OUTCOMES)
    for day in closed:
        (tmp_path / "resultados" / layout.day_file_name(day)).write_bytes(b"\x00garbage")
    from_rollup = read_outcomes(location)
    assert not from_rollup.failed
    assert len(from_rollup.outcomes) == len(from_day_files.outcomes) > 0
    pd.testing.assert_frame_equal(from_rollup.outcomes, from_day_files.outcomes)


def test_an_unreadable_outcome_rollup_falls_back_to_the_day_files(tmp_path):
    location, _ = _compacted_outcomes(tmp_path)
    expected = read_outcomes(location).outcomes
    month_files = sorted((tmp_path / "resultados").rglob("data.parquet"))
    for month_file in month_files:
        month_file.write_bytes(b"not parquet")
    result = read_outcomes(location)
    assert month_files and [reason for _, reason in result.failed] == ["unreadable_rollup"] * len(
        month_files
    )
    pd.testing.assert_frame_equal(result.outcomes, expected)
