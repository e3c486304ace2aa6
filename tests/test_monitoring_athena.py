"""The Athena path of the monitoring aggregates, against moto's server on loopback.

moto's Athena executes no SQL: a query's state goes QUEUED -> RUNNING -> SUCCEEDED as it is
polled, and its rows are whatever was seeded through moto's own API
(``/moto-api/static/athena/query-results``). These tests therefore check the CALL SEQUENCE
(workgroup, database, the SQL sent as written, polling, paging, the header row, typing by
ColumnInfo, stopping at the deadline) and the one error each failure becomes; whether the SQL
answers right on Athena's engine is not tested here (no Athena on this machine). The
bytes-scanned cutoff is a reason only real Athena gives, so its mapping is checked on the
execution Athena documents.

One more gap, at the wire: botocore (1.44) speaks rest-json to Athena, moto 5.2 serves only
Athena's JSON 1.1 form (``POST /`` with ``X-Amz-Target``). The runner under test is handed a
boto3 client built from the same service model with the JSON 1.1 wire form
(``athena_json_models``); operations, parameters and answers are the same.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
import requests
from moto.athena.models import athena_backends
from moto.moto_api import state_manager

from laptop_pricing.monitoring.athena import (
    DATABASE_KEY,
    WORKGROUP_KEY,
    AthenaBytesLimit,
    AthenaDeadline,
    AthenaQueryError,
    AthenaRunner,
    AthenaTarget,
    settled_error,
)
from laptop_pricing.settings import KEYS
from tests.browser_support import free_port
from tests.service_fixtures import MOTO_ENV

SQL = "SELECT store_id, count(*) AS quotes FROM predictions WHERE year = 2024 GROUP BY store_id"
ACCOUNT = "123456789012"  # moto's default account
_workgroups = itertools.count()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def athena_json_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """botocore's own Athena model with the JSON 1.1 wire form moto serves (see the module's
    docstring): same operations and shapes, every call a ``POST /``."""
    model = botocore.loaders.Loader().load_service_model("athena", "service-2")
    model["metadata"].update(
        protocol="json", protocols=["json"], jsonVersion="1.1", targetPrefix="AmazonAthena"
    )
    for operation in model["operations"].values():
        operation["http"] = {"method": "POST", "requestUri": "/"}
    root = tmp_path_factory.mktemp("botocore-data")
    folder = root / "athena" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return root


def moto_athena(endpoint: str, models: Path) -> Any:
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(models))
    return boto3.Session(botocore_session=session).client("athena", endpoint_url=endpoint)


@pytest.fixture
def target(moto_endpoint: str, aws_env: None, athena_json_models: Path) -> AthenaTarget:
    """A workgroup of its own, with a result location, as the template makes it."""
    name = f"monitoring-{next(_workgroups)}"
    client = moto_athena(moto_endpoint, athena_json_models)
    client.create_work_group(
        Name=name,
        Configuration={
            "ResultConfiguration": {"OutputLocation": "s3://athena-results/monitoring/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10 * 1024**3,
        },
    )
    return AthenaTarget(name, "laptop_pricing_request_log", moto_endpoint)


@pytest.fixture
def calls(
    target: AthenaTarget, athena_json_models: Path
) -> Iterator[tuple[AthenaRunner, list[str]]]:
    """A runner on a real boto3 client, and the Athena operations it sent, in order."""
    runner = AthenaRunner(target, client=moto_athena(target.endpoint_url or "", athena_json_models))
    sent: list[str] = []
    runner.client.meta.events.register(
        "before-call.athena.*", lambda model, **_: sent.append(model.name)
    )
    yield runner, sent


def seed_result(endpoint: str, rows: list[list[str | None]], columns: list[tuple[str, str]]):
    """The next query's rows, through moto's API, shaped as Athena answers a SELECT: the
    column names first."""
    header = [{"VarCharValue": name} for name, _ in columns]
    body = {
        "results": [
            {
                "rows": [{"Data": header}]
                + [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in rows
                ],
                "column_info": [
                    {"Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN"}
                    for name, kind in columns
                ],
            }
        ]
    }
    response = requests.post(f"{endpoint}/moto-api/static/athena/query-results", json=body)
    assert response.status_code == 201


def execution(execution_id: str) -> Any:
    return athena_backends[ACCOUNT][MOTO_ENV["AWS_DEFAULT_REGION"]].executions[execution_id]


def test_a_query_is_started_in_the_workgroup_and_database_polled_then_paged_into_typed_rows(
    target: AthenaTarget, calls: tuple[AthenaRunner, list[str]]
) -> None:
    runner, sent = calls
    columns = [
        ("store_id", "varchar"),
        ("quotes", "bigint"),
        ("median_price", "double"),
        ("first_day", "date"),
        ("last_at", "timestamp"),
    ]
    seed_result(
        target.endpoint_url or "",
        [
            ["centro", "120", "3499.5", "2024-01-02", "2024-12-30 18:04:05.123"],
            ["sul", "7", None, "2024-03-01", "2024-03-01 09:00:00.000"],
        ],
        columns,
    )
    table = runner.run(SQL)

    assert sent[0] == "StartQueryExecution"
    assert set(sent[1:-1]) == {"GetQueryExecution"} and len(sent) >= 3  # polled until settled
    assert sent[-1] == "GetQueryResults"
    (execution_id,) = [
        e
        for e in runner.client.list_query_executions(WorkGroup=target.workgroup)[
            "QueryExecutionIds"
        ]
    ]
    started = runner.client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert started["Query"] == SQL  # sent as written: the text DuckDB runs
    assert started["WorkGroup"] == target.workgroup
    assert started["QueryExecutionContext"] == {"Database": "laptop_pricing_request_log"}
    assert table.column_names == [name for name, _ in columns]  # the header row is not a row
    assert [str(t) for t in table.schema.types] == [
        "string",
        "int64",
        "double",
        "date32[day]",
        "timestamp[ms]",
    ]
    assert table.to_pylist() == [
        {
            "store_id": "centro",
            "quotes": 120,
            "median_price": 3499.5,
            "first_day": date(2024, 1, 2),
            "last_at": datetime(2024, 12, 30, 18, 4, 5, 123000),
        },
        {
            "store_id": "sul",
            "quotes": 7,
            "median_price": None,
            "first_day": date(2024, 3, 1),
            "last_at": datetime(2024, 3, 1, 9),
        },
    ]


def test_a_query_with_no_rows_gives_an_empty_table_not_an_error(
    calls: tuple[AthenaRunner, list[str]],
) -> None:
    runner, _ = calls
    assert runner.run(SQL).num_rows == 0  # nothing seeded: moto answers no rows


def test_a_failed_query_is_one_error_naming_the_workgroup_setting(
    calls: tuple[AthenaRunner, list[str]], target: AthenaTarget
) -> None:
    runner, sent = calls
    execution_id = runner.start(SQL)
    execution(execution_id).status = "FAILED"  # what Athena reports for a query it rejects
    with pytest.raises(AthenaQueryError) as raised:
        runner.wait(execution_id, ends_at=runner.clock() + 5)
    assert raised.value.key == WORKGROUP_KEY
    assert raised.value.execution_id == execution_id
    assert f"ended FAILED in workgroup {target.workgroup!r}" in str(raised.value)
    assert "GetQueryResults" not in sent  # no rows are read from a failed query


@pytest.fixture
def athena_never_finishes() -> Iterator[None]:
    """moto's executions stay QUEUED however often they are polled (its state manager)."""
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 10**9}
    )
    yield
    state_manager.unset_transition("athena::execution")


def test_a_query_still_running_at_the_deadline_is_stopped_and_named(
    target: AthenaTarget, athena_json_models: Path, athena_never_finishes: None
) -> None:
    client = moto_athena(target.endpoint_url or "", athena_json_models)
    runner = AthenaRunner(target, deadline=0.3, client=client)
    with pytest.raises(AthenaDeadline) as raised:
        runner.run(SQL)
    assert raised.value.key == WORKGROUP_KEY
    assert "did not finish within 0.3 s" in str(raised.value)
    stopped = raised.value.execution_id
    assert stopped is not None and execution(stopped).status == "CANCELLED"  # stops scanning


def test_the_bytes_scanned_cutoff_is_its_own_error_naming_the_workgroup_limit() -> None:
    cancelled = {
        "QueryExecutionId": "q-1",
        "Status": {
            "State": "CANCELLED",
            "StateChangeReason": "Query cancelled! : Bytes scanned limit was exceeded",
        },
    }
    error = settled_error(cancelled, "laptop-pricing-monitoring")
    assert isinstance(error, AthenaBytesLimit)
    assert error.key == WORKGROUP_KEY
    assert "'laptop-pricing-monitoring'" in str(error)
    assert "BytesScannedCutoffPerQuery" in str(error)
    other = settled_error({"Status": {"State": "CANCELLED"}}, "wg")
    assert type(other) is AthenaQueryError and "ended CANCELLED" in str(other)
    assert settled_error({"Status": {"State": "SUCCEEDED"}}, "wg") is None


def test_athena_out_of_reach_is_one_error_naming_the_target(aws_env: None) -> None:
    nowhere = AthenaTarget("monitoring", "db", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AthenaQueryError) as raised:
        AthenaRunner(nowhere).run(SQL)
    assert raised.value.key == WORKGROUP_KEY
    assert WORKGROUP_KEY in str(raised.value) and DATABASE_KEY in str(raised.value)
    assert "Traceback" not in str(raised.value)


# --- No setting turns it on ---------------------------------------------------------------


def test_no_setting_claims_the_page_reads_through_athena() -> None:
    """The page reads the rollup's rows (issue 25): a key that named a workgroup would change
    nothing, a silent no-op. The runner is built from an explicit target until the page uses it."""
    assert not [key for key in KEYS if "ATHENA" in key]
