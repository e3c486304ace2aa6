"""Add one laptop field to the schema and report what every consumer derives from it.

Run in a fresh interpreter (``python -m tests.synthetic_field <work dir>``) by the
``synthetic_field`` fixture of ``tests/test_field_source.py``: the field is appended to
``fields.FIELDS`` before anything else is imported, so the schema, ``LaptopSpec``, the feature
encoder, the request-log layout, the Glue columns, the handler and the app's form are all built
by their own import-time code from the longer tuple, as they would be after a real edit. Prints
one JSON object (``Observed``) on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from laptop_pricing.pricing import fields

SYNTHETIC = fields.Field(
    name="screen_panel",
    kind=fields.CATEGORY,
    options=(
        fields.Option("ips", "IPS"),
        fields.Option("tn", "TN"),
        fields.Option("oled", "OLED"),
    ),
    label="Tipo de tela",
    help="Veja na ficha técnica do notebook.",
    widget="radio",
    default=None,
    required=False,
    missing=None,
)


@dataclass
class Observed:
    """What the consumers made of the longer schema."""

    form_keys: list[str]
    form_exception: str
    payload: dict[str, Any]
    course_payload_value: Any
    status_for_bad_value: int
    fields_at_fault: list[str]
    feature_tail: list[str]
    encoded_tail: list[float]
    model_refusal: str
    log_columns: list[str]
    written_log_columns: list[str]
    day_csv_header: list[str]
    # Each reader's (brand, screen_panel, offer) of the one row of a new and an old day file.
    day_csv_rows: dict[str, list[str]]
    monitoring_rows: dict[str, list[Any]]
    glue_columns: list[str]


class NotReached:
    """The handler's engine: a request answered 400 never reaches pricing."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was asked for {name} on an invalid request")


def observe(work: Path) -> Observed:
    fields.FIELDS = (*fields.FIELDS, SYNTHETIC)
    os.environ["PREDICTIONS_DIR"] = str(work / "predictions")

    from streamlit.testing.v1 import AppTest

    from laptop_pricing import log_columns
    from laptop_pricing.api.handler import PricingHandler
    from laptop_pricing.api.service import prediction_values
    from laptop_pricing.monitoring.parsing import parse_day_bytes
    from laptop_pricing.pricing.artifact import ArtifactSchemaMismatch, load_artifact
    from laptop_pricing.pricing.features import encode
    from laptop_pricing.pricing.laptop_spec import LaptopSpec
    from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE, FEATURE_ORDER
    from laptop_pricing.request_log.glue import rollup_table_columns
    from laptop_pricing.request_log.kind import PREDICTIONS
    from laptop_pricing.safe_csv import rows_to_csv
    from laptop_pricing.storage.day_csv import decode_day_csv, encode_day_csv

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    widgets = (*at.selectbox, *at.radio, *at.number_input)
    form_keys = [str(widget.key) for widget in widgets]

    spec = LaptopSpec.from_payload({**CONTRACT_EXAMPLE, "screen_panel": " OLED "})
    course = LaptopSpec.from_payload(dict(CONTRACT_EXAMPLE))
    answer = PricingHandler(NotReached())(  # type: ignore[arg-type]
        {"body": json.dumps({"data": {**CONTRACT_EXAMPLE, "screen_panel": "crt"}})}
    )
    body = json.loads(answer["body"])

    try:
        load_artifact()
        refusal = ""
    except ArtifactSchemaMismatch as error:
        refusal = str(error)

    at_time = datetime(2026, 5, 1, 12, tzinfo=UTC)
    row = prediction_values(spec.as_dict(), 6700, "v-test", "req-1", at_time)
    cells = {k: str(v) for k, v in row.items()} | {log_columns.OFFER_COLUMN: "4200"}
    new_file = encode_day_csv(PREDICTIONS, [cells])
    written = log_columns.WRITTEN_LOG_COLUMNS
    old_file = rows_to_csv(written, [[cells.get(name, "") for name in written]])
    files = {"new": new_file, "old": old_file}
    read_columns = ("brand", "screen_panel", log_columns.OFFER_COLUMN)
    day_csv_rows = {
        age: [decode_day_csv(PREDICTIONS, data).rows[0][c] for c in read_columns]
        for age, data in files.items()
    }
    name = "2026-05-01_laptop_prediction_data.csv"
    tables = {age: parse_day_bytes(name, data).table for age, data in files.items()}
    monitoring_rows = {
        age: [table.column(c)[0].as_py() if table is not None else None for c in read_columns]
        for age, table in tables.items()
    }
    return Observed(
        form_keys=form_keys,
        form_exception="; ".join(str(e.value) for e in at.exception),
        payload=spec.to_payload()["data"],
        course_payload_value=course.screen_panel,
        status_for_bad_value=answer["statusCode"],
        fields_at_fault=[error["field"] for error in body.get("errors", [])],
        feature_tail=list(FEATURE_ORDER[-3:]),
        encoded_tail=encode(spec)[0, -3:].tolist(),
        model_refusal=refusal,
        log_columns=list(log_columns.LOG_COLUMNS),
        written_log_columns=list(written),
        day_csv_header=new_file.decode("utf-8").splitlines()[0].split(","),
        day_csv_rows=day_csv_rows,
        monitoring_rows=monitoring_rows,
        glue_columns=[column.name for column in rollup_table_columns()],
    )


if __name__ == "__main__":
    print(json.dumps(asdict(observe(Path(sys.argv[1])))))
