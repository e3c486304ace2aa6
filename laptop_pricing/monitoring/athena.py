"""Run one SQL string on Athena over the rollup's Glue table and get its rows as an Arrow table.

The monitoring aggregates' SQL (``warehouse_sql``, the text DuckDB runs) against the Glue table
``predictions`` of a database, in a workgroup (the template's ``MonitoringWorkGroup``). The
page does not read through it yet (issue 25: neither engine is faster than its pandas rows on
a chain's year), so no setting turns it on. Athena has no synchronous call, so a query is
started, polled and paged; every step runs under one wall-clock deadline (nothing waits without
one), and a query still running at the deadline is stopped so it stops scanning (and billing).

Every way it can go wrong ends in one ``AthenaQueryError`` that names the target's field (the
workgroup, the database) to look at, never a traceback: a failed or cancelled query, the
workgroup's bytes-scanned limit (``BytesScannedCutoffPerQuery`` in ``infra/template.yaml``), the
deadline, or Athena refusing the call (an unknown workgroup, no permission, no network).
Hand-written over boto3 rather than pyathena: the three calls are few, and pyathena's cursor
polls without an overall deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WORKGROUP_KEY = "workgroup"  # the field of ``AthenaTarget`` an error names
DATABASE_KEY = "database"
DEFAULT_DEADLINE = 60.0  # seconds for start, wait and every page together
FIRST_POLL = 0.1
LONGEST_POLL = 2.0
PAGE_SIZE = 1000  # get_query_results' largest page
BYTES_LIMIT_WORDS = "bytes scanned limit"  # in the reason Athena gives for the cutoff
RUNNING_STATES = frozenset({"QUEUED", "RUNNING"})

# Athena's ColumnInfo types -> Arrow; anything else (arrays, maps, rows, json) stays text.
_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms"),
    "varchar": pa.string(),
    "char": pa.string(),
    "string": pa.string(),
}


class AthenaQueryError(RuntimeError):
    """The query gave no rows; ``key`` is the setting to look at, ``workgroup`` where it ran."""

    def __init__(self, message: str, key: str, workgroup: str, execution_id: str | None = None):
        super().__init__(message)
        self.key = key
        self.workgroup = workgroup
        self.execution_id = execution_id


class AthenaBytesLimit(AthenaQueryError):
    """Athena cancelled the query at the workgroup's bytes-scanned limit."""


class AthenaDeadline(AthenaQueryError):
    """The query did not finish within the deadline (it was stopped)."""


@dataclass(frozen=True)
class AthenaTarget:
    """Where queries run: the workgroup (its result bucket and limits are enforced there), the
    Glue database, and an endpoint for an S3 and Athena look-alike (moto) when one is set."""

    workgroup: str
    database: str
    endpoint_url: str | None = None


def athena_client(target: AthenaTarget) -> Any:
    """A client whose every call is bounded: connect and read limits, few retries."""
    config = Config(
        connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 3}
    )
    return boto3.client("athena", endpoint_url=target.endpoint_url, config=config)


class AthenaRunner:
    """Runs SQL on ``target``: ``run`` does it all; ``start``, ``wait`` and ``rows`` are its
    steps (a test drives them one by one, since moto's Athena executes no SQL)."""

    def __init__(
        self,
        target: AthenaTarget,
        deadline: float = DEFAULT_DEADLINE,
        client: Any = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.target = target
        self.deadline = deadline
        self.client = client if client is not None else athena_client(target)
        self.clock = clock
        self.sleep = sleep

    def run(self, sql: str) -> pa.Table:
        """The query's result, typed by its columns' Athena types."""
        ends_at = self.clock() + self.deadline
        execution_id = self.start(sql)
        self.wait(execution_id, ends_at)
        return self.rows(execution_id, ends_at)

    def start(self, sql: str) -> str:
        response = self._call(
            "start_query_execution",
            QueryString=sql,
            WorkGroup=self.target.workgroup,
            QueryExecutionContext={"Database": self.target.database},
        )
        return str(response["QueryExecutionId"])

    def wait(self, execution_id: str, ends_at: float) -> Mapping[str, Any]:
        """Poll until the query settles; its execution once it SUCCEEDED, else the error."""
        pause = FIRST_POLL
        while True:
            response = self._call("get_query_execution", QueryExecutionId=execution_id)
            execution = response["QueryExecution"]
            state = execution["Status"]["State"]
            if state not in RUNNING_STATES:
                error = settled_error(execution, self.target.workgroup)
                if error is not None:
                    raise error
                return execution  # type: ignore[no-any-return]
            left = ends_at - self.clock()
            if left <= 0:
                self._stop(execution_id)
                raise AthenaDeadline(
                    f"the Athena query did not finish within {self.deadline:g} s in workgroup "
                    f"{self.target.workgroup!r}; it was stopped",
                    WORKGROUP_KEY,
                    self.target.workgroup,
                    execution_id,
                )
            self.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_POLL)

    def rows(self, execution_id: str, ends_at: float) -> pa.Table:
        """Every page of the result, the header row dropped, as an Arrow table."""
        columns: list[Mapping[str, Any]] | None = None
        values: list[list[str | None]] = []
        first_page = True
        for page in self._pages(execution_id, ends_at):
            result = page["ResultSet"]
            if columns is None:
                columns = list(result.get("ResultSetMetadata", {}).get("ColumnInfo", []))
            page_rows = [
                [cell.get("VarCharValue") for cell in row["Data"]] for row in result["Rows"]
            ]
            if first_page and page_rows and columns and _is_header(page_rows[0], columns):
                page_rows = page_rows[1:]
            first_page = False
            values += page_rows
        return typed_table(columns or [], values)

    def _pages(self, execution_id: str, ends_at: float) -> Iterator[Mapping[str, Any]]:
        token: str | None = None
        while True:
            if self.clock() > ends_at:
                raise AthenaDeadline(
                    f"the Athena result of workgroup {self.target.workgroup!r} was not read "
                    f"within {self.deadline:g} s",
                    WORKGROUP_KEY,
                    self.target.workgroup,
                    execution_id,
                )
            more = {"NextToken": token} if token else {}
            page = self._call(
                "get_query_results",
                QueryExecutionId=execution_id,
                MaxResults=PAGE_SIZE,
                **more,
            )
            yield page
            token = page.get("NextToken")
            if not token:
                return

    def _stop(self, execution_id: str) -> None:
        """Best effort: the deadline's error is what the caller needs, whatever this answers."""
        try:
            self.client.stop_query_execution(QueryExecutionId=execution_id)
        except (ClientError, BotoCoreError):
            return

    def _call(self, operation: str, **params: Any) -> Any:
        """One Athena call; a refusal (unknown workgroup, no permission, no network) as the one
        error naming the workgroup setting."""
        try:
            return getattr(self.client, operation)(**params)
        except ClientError as error:
            details = error.response.get("Error", {})
            reason = f"{details.get('Code', '')}: {details.get('Message', '')}"[:200]
        except BotoCoreError as error:
            reason = type(error).__name__
        raise AthenaQueryError(
            f"Athena refused {operation} in workgroup {self.target.workgroup!r} ({reason}); "
            f"check {WORKGROUP_KEY}, {DATABASE_KEY} and the reader's permissions",
            WORKGROUP_KEY,
            self.target.workgroup,
            params.get("QueryExecutionId"),
        )


def settled_error(execution: Mapping[str, Any], workgroup: str) -> AthenaQueryError | None:
    """None for a query that SUCCEEDED; else the error its final state and reason mean."""
    status = execution.get("Status", {})
    state = status.get("State")
    if state == "SUCCEEDED":
        return None
    execution_id = execution.get("QueryExecutionId")
    reason = " ".join(
        str(text)
        for text in (
            status.get("StateChangeReason"),
            status.get("AthenaError", {}).get("ErrorMessage"),
        )
        if text
    )[:200]
    if BYTES_LIMIT_WORDS in reason.lower():
        return AthenaBytesLimit(
            f"the Athena query scanned more than workgroup {workgroup!r} allows per query "
            "(BytesScannedCutoffPerQuery): narrow the period or the stores, or raise the limit",
            WORKGROUP_KEY,
            workgroup,
            execution_id,
        )
    return AthenaQueryError(
        f"the Athena query ended {state} in workgroup {workgroup!r}"
        + (f" ({reason})" if reason else ""),
        WORKGROUP_KEY,
        workgroup,
        execution_id,
    )


def _is_header(row: Sequence[str | None], columns: Sequence[Mapping[str, Any]]) -> bool:
    """A SELECT's first row repeats the column names (Athena's quirk); an INSERT's does not."""
    return list(row) == [column.get("Label") or column.get("Name") for column in columns]


def typed_table(
    columns: Sequence[Mapping[str, Any]], values: Sequence[Sequence[str | None]]
) -> pa.Table:
    """The text cells Athena answers with, cast to each column's type (unknown types stay
    text; a missing ``VarCharValue`` is NULL)."""
    arrays: dict[str, pa.Array] = {}
    for index, column in enumerate(columns):
        text = pa.array([row[index] if index < len(row) else None for row in values], pa.string())
        kind = str(column.get("Type", "varchar")).lower()
        if kind == "decimal":
            target: pa.DataType = pa.decimal128(
                int(column.get("Precision") or 38), int(column.get("Scale") or 0)
            )
        else:
            target = _ARROW_TYPES.get(kind, pa.string())
        arrays[str(column.get("Name") or f"_col{index}")] = (
            text if target == pa.string() else pc.cast(text, target)
        )
    return pa.table(arrays)
