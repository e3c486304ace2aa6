"""One source for a laptop field: everything that lists fields is derived from ``fields.FIELDS``.

The ``synthetic_field`` fixture appends a field to the schema in a fresh interpreter
(``tests/synthetic_field.py``) and reports what the form, payload, validator, encoder, artifact
loader, request-log layout, readers and Glue columns made of it.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from laptop_pricing import log_columns
from laptop_pricing.monitoring import business
from laptop_pricing.request_log.kind import PREDICTIONS
from laptop_pricing.storage import rollup
from laptop_pricing.trade_in.condition import QUESTIONS
from tests.synthetic_field import Observed

REPO = Path(__file__).resolve().parents[1]
# The request log's columns as day files were written until now (issue 20): frozen.
TODAYS_LAYOUT = [
    "brand",
    "processor_brand",
    "processor_name",
    "os",
    "weight",
    "warranty",
    "touchscreen",
    "ram_gb",
    "hdd",
    "ssd",
    "graphic_card",
    "ram_type",
    "os_bit",
    "price",
    "timestamp",
    "model_version",
    "request_id",
    "clerk_email",
    "processor_gnrtn",
    "msoffice",
    "quote_id",
    "condition_powers_on",
    "condition_screen",
    "condition_body",
    "condition_keyboard_ports",
    "condition_battery",
    "condition_charger",
    "condition_locks_removed",
    "offer",
    "policy_version",
    "valid_until",
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    work = tmp_path_factory.mktemp("synthetic_field")
    done = subprocess.run(
        [sys.executable, "-m", "tests.synthetic_field", str(work)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Observed(**json.loads(done.stdout.splitlines()[-1]))


def test_a_new_field_gets_its_form_widget_by_key(synthetic: Observed) -> None:
    assert synthetic.form_exception == ""
    assert "field_screen_panel" in synthetic.form_keys


def test_a_new_field_is_in_the_payload_and_a_course_payload_still_validates(
    synthetic: Observed,
) -> None:
    assert list(synthetic.payload)[-1] == "screen_panel"
    assert synthetic.payload["screen_panel"] == "oled"
    assert synthetic.course_payload_value is None


def test_the_handler_answers_400_naming_a_new_field_with_a_bad_value(synthetic: Observed) -> None:
    assert synthetic.status_for_bad_value == 400
    assert synthetic.fields_at_fault == ["screen_panel"]


def test_the_encoder_gets_the_new_columns_and_refuses_a_model_without_them_in_one_line(
    synthetic: Observed,
) -> None:
    assert synthetic.feature_tail == ["screen_panel_ips", "screen_panel_tn", "screen_panel_oled"]
    assert synthetic.encoded_tail == [0.0, 0.0, 1.0]
    assert "\n" not in synthetic.model_refusal
    assert "the model lacks field(s) screen_panel" in synthetic.model_refusal


def test_the_request_log_appends_a_new_field_at_the_end(synthetic: Observed) -> None:
    assert synthetic.written_log_columns == TODAYS_LAYOUT
    # After the columns appended since (the store, issue 25), never before them.
    later = list(log_columns.LATER_LOG_COLUMNS)
    assert synthetic.log_columns == [*TODAYS_LAYOUT, *later, "screen_panel"]
    assert synthetic.day_csv_header == synthetic.log_columns


def test_an_old_day_file_and_a_new_one_both_read_after_a_field_is_added(
    synthetic: Observed,
) -> None:
    # (brand, screen_panel, offer): the old file in today's order lacks the new column only.
    assert synthetic.day_csv_rows == {"new": ["dell", "oled", "4200"], "old": ["dell", "", "4200"]}
    assert synthetic.monitoring_rows == synthetic.day_csv_rows


def test_the_glue_columns_append_a_new_field_after_the_rollups_own(synthetic: Observed) -> None:
    later = list(log_columns.LATER_LOG_COLUMNS)
    assert synthetic.glue_columns == [
        *TODAYS_LAYOUT,
        "day",
        "source_line",
        *later,
        "in_schema",
        "screen_panel",
    ]


def test_the_request_log_keeps_the_layout_of_the_day_files_already_written() -> None:
    assert list(log_columns.WRITTEN_LOG_COLUMNS) == TODAYS_LAYOUT
    assert list(log_columns.LOG_COLUMNS[: len(TODAYS_LAYOUT)]) == TODAYS_LAYOUT


def test_the_rollup_merges_a_month_of_todays_columns_with_a_day_that_has_one_more() -> None:
    later = dataclasses.replace(PREDICTIONS, columns=(*PREDICTIONS.columns, "screen_panel"))
    row = {"brand": "dell", "price": "6700", "timestamp": "2026-05-01T12:00:00.000000Z"}
    old_day, _ = rollup.day_table(PREDICTIONS, date(2026, 5, 1), [row])
    month = rollup.with_days(
        rollup.read_month(None), {date(2026, 5, 1): (old_day, rollup.ClosedDay(1, "a"))}
    )
    new_row = {**row, "timestamp": "2026-05-02T12:00:00.000000Z", "screen_panel": "oled"}
    new_day, _ = rollup.day_table(later, date(2026, 5, 2), [new_row])
    merged = rollup.read_month(
        rollup.with_days(
            rollup.read_month(month), {date(2026, 5, 2): (new_day, rollup.ClosedDay(1, "b"))}
        )
    )
    assert merged.table is not None
    assert merged.table.column("brand").to_pylist() == ["dell", "dell"]
    assert merged.table.column("screen_panel").to_pylist() == [None, "oled"]
    assert merged.table.column("timestamp")[1].as_py() == datetime(2026, 5, 2, 12, tzinfo=UTC)


def test_monitorings_condition_defects_are_every_answer_but_the_best_of_each_question() -> None:
    assert set(business.CONDITION_DEFECTS) == {q.log_column for q in QUESTIONS}
    screen = next(q for q in QUESTIONS if q.key == "screen")
    assert business.CONDITION_DEFECTS[screen.log_column] == {"scratched", "broken"}
    charger = next(q for q in QUESTIONS if q.key == "charger")
    assert business.CONDITION_DEFECTS[charger.log_column] == {"false"}


def test_a_model_of_another_feature_order_is_refused_in_one_line_saying_how() -> None:
    from laptop_pricing.pricing.artifact import ArtifactSchemaMismatch, check_feature_order
    from laptop_pricing.pricing.schema import FEATURE_ORDER

    without_office = [name for name in FEATURE_ORDER if not name.startswith("msoffice_")]
    swapped = [FEATURE_ORDER[1], FEATURE_ORDER[0], *FEATURE_ORDER[2:]]
    check_feature_order(list(FEATURE_ORDER), "model")
    for order, detail in (
        (without_office, "the model lacks field(s) msoffice"),
        ([*FEATURE_ORDER, "screen_inches"], "input columns the schema does not: screen_inches"),
        (swapped, "in another order"),
    ):
        with pytest.raises(ArtifactSchemaMismatch) as refused:
            check_feature_order(order, "model")
        assert detail in str(refused.value)
        assert "\n" not in str(refused.value)
