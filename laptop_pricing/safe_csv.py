"""Formula-safe CSV: the one place a cell is neutralised before a spreadsheet can run it.

OWASP's rule for CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with ``'``, so Excel, LibreOffice and Sheets show it as text. A cell
already starting with ``'`` is left alone, so neutralising twice changes nothing. Apply it last:
after any trimming or lower-casing, so that no normalisation can turn ``'\\t=1+1`` or
``\\t=1+1`` back into a live ``=1+1``. Numbers stay numbers (only text cells are touched).

Used by every CSV the project writes or offers for download (day files, the monitoring download,
the estimate history, trade-in outcomes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the compactor (Lambda image, no pandas) imports this module too
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _neutralise_any(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (object, string and categorical columns) are neutralised."""
    import pandas as pd

    safe = frame.copy()
    for name in safe.columns:
        column = safe[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = [_neutralise_any(c) for c in column.cat.categories]
            if len(set(categories)) == len(categories):
                safe[name] = column.cat.rename_categories(categories)
            else:  # 'x and x both present: fall back to plain values
                safe[name] = column.astype(object).map(_neutralise_any)
        elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            safe[name] = column.map(_neutralise_any, na_action="ignore")
    return safe


def frame_to_csv(frame: pd.DataFrame, **to_csv: Any) -> bytes:
    """``DataFrame.to_csv`` of the neutralised frame, as UTF-8 bytes (``encoding`` to change)."""
    encoding = to_csv.pop("encoding", "utf-8")
    to_csv.setdefault("index", False)
    text: str = neutralise_frame(frame).to_csv(**to_csv)  # pandas is untyped here
    return text.encode(encoding)


CHUNK_ROWS = 100_000
# Instants as the day files write them (ISO 8601 in UTC, microseconds; Arrow's %S carries them).
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NAIVE_FORMAT = INSTANT_FORMAT.removesuffix("Z")  # an instant with no zone: none named


def write_frame_csv(frame: pd.DataFrame, stream: IO[bytes], chunk_rows: int = CHUNK_ROWS) -> None:
    """The neutralised frame as UTF-8 CSV into ``stream``, ``chunk_rows`` at a time through
    Arrow's writer: a year of requests goes out without its whole text, or a neutralised copy
    of the whole frame, ever in memory, and 6x faster than ``DataFrame.to_csv``
    (docs/performance.md). Text is always quoted; an instant with a zone is written in UTC,
    as the day files write it."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    for start in range(0, max(len(frame), 1), chunk_rows):
        chunk = neutralise_frame(frame.iloc[start : start + chunk_rows])
        in_utc: set[str] = set()
        for name in chunk.columns:
            if isinstance(chunk[name].dtype, pd.DatetimeTZDtype):  # Arrow takes them naive
                chunk[name] = chunk[name].dt.tz_convert(None)
                in_utc.add(name)
            elif chunk[name].dtype == object:  # a mixed column: Arrow wants one type
                chunk[name] = chunk[name].astype("string")
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        for index, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                form = INSTANT_FORMAT if field.name in in_utc else NAIVE_FORMAT
                text = pc.strftime(table.column(index), format=form)
                table = table.set_column(index, field.name, text)
        options = pa_csv.WriteOptions(include_header=start == 0, quoting_style="needed")
        pa_csv.write_csv(table, stream, write_options=options)


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Header and rows through the ``csv`` module (quoted when needed), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow([neutralise(name) for name in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")
