"""A rollup month read by byte ranges: its footer, then only the row groups a read wants.

A store-limited read of a chain's month decodes a few of its row groups (``monitoring.
store_scope``); fetched whole, the month would still be held whole while they are decoded, so
the read's memory would grow with the chain. Here the month is fetched as its footer (one
ranged read from the end) and the byte spans of the wanted row groups (one read per run of
adjacent groups: a store's rows are adjacent in a month sorted by store).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from laptop_pricing.storage.errors import StoreError
from laptop_pricing.storage.listing import MAX_FILE_BYTES, FileTooLarge

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from laptop_pricing.storage.stores import RecordStore


@dataclass(frozen=True)
class ObjectTail:
    """The last bytes of an object, its size, and which version of it they are (an S3 ETag,
    a file's inode, size and modification time): its ranges are read of that version only."""

    data: bytes
    size: int
    version: str


def changed_under_read(location: str) -> StoreError:
    """An object replaced between two ranged reads of it (the compactor rewrote the month)."""
    return StoreError(f"{location} changed while it was read: read it again", "ObjectChanged")


FOOTER_READ = 64 * 1024  # pyarrow's own first footer read: most months' metadata fits
MERGE_GAP = 64 * 1024  # spans closer than this are fetched as one read


class ObjectRanges(io.RawIOBase):
    """One stored object as a seekable, read-only file that holds only the ranges fetched so
    far (its tail from the start, then ``fetch``); a read outside them fetches its range. What
    pyarrow reads a Parquet month through."""

    def __init__(self, store: RecordStore, key: str):
        super().__init__()
        self.store = store
        self.key = key
        tail = store.fetch_tail(key, FOOTER_READ)
        if tail.size > MAX_FILE_BYTES:
            raise FileTooLarge(key)
        self.size, self.version = tail.size, tail.version  # every range of this version
        self.pieces: list[tuple[int, bytes]] = [(self.size - len(tail.data), tail.data)]
        self.fetched_bytes = len(tail.data)
        self.reads = 1
        self.position = 0

    def fetch(self, spans: Sequence[tuple[int, int]]) -> None:
        """Fetch the byte spans ``[start, end)`` not held yet, adjacent ones as one read."""
        for start, end in merged_spans(spans):
            if self._held(start, end) is None:
                self._add(start, end)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def read(self, size: int | None = -1) -> bytes:
        """The next ``size`` bytes (the rest when negative) as one copy of what is held."""
        end = self.size if size is None or size < 0 else min(self.size, self.position + size)
        if end <= self.position:
            return b""
        held = self._held(self.position, end)
        data = bytes(held) if held is not None else self._add(self.position, end)
        self.position = end
        return data

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def _held(self, start: int, end: int) -> bytes | memoryview | None:
        for offset, data in self.pieces:
            if offset <= start and end <= offset + len(data):
                return memoryview(data)[start - offset : end - offset]
        return None

    def _add(self, start: int, end: int) -> bytes:
        data = self.store.fetch_range(self.key, start, end, self.version)
        if len(data) != end - start:
            raise OSError(f"{self.key}: asked for {end - start} bytes at {start}, got {len(data)}")
        self.pieces.append((start, data))
        self.fetched_bytes += len(data)
        self.reads += 1
        return data


def merged_spans(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans sorted, those less than ``MERGE_GAP`` apart joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < MERGE_GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def row_group_spans(metadata: pq.FileMetaData, groups: Sequence[int]) -> list[tuple[int, int]]:
    """The byte span of each of ``groups``: from its first column chunk's first page (the
    dictionary's, when it has one) to its last chunk's end."""
    spans = []
    for index in groups:
        group = metadata.row_group(index)
        starts, ends = [], []
        for c in range(group.num_columns):
            chunk = group.column(c)
            start = chunk.data_page_offset
            if chunk.has_dictionary_page and chunk.dictionary_page_offset:
                start = min(start, chunk.dictionary_page_offset)
            starts.append(start)
            ends.append(start + chunk.total_compressed_size)
        if starts:
            spans.append((min(starts), max(ends)))
    return spans


def open_row_groups(
    store: RecordStore, key: str, wanted: Callable[[pq.FileMetaData], Sequence[int]]
) -> ObjectRanges:
    """A month with its footer and the row groups ``wanted`` picks from its metadata fetched:
    decoding those groups reads nothing more."""
    ranged = ObjectRanges(store, key)
    try:
        metadata = pq.read_metadata(ranged)
    except (ValueError, pa.ArrowException):
        return ranged  # not Parquet: decoding it says so, as for a month fetched whole
    ranged.fetch(row_group_spans(metadata, wanted(metadata)))
    return ranged


MonthSource = bytes | ObjectRanges  # a month fetched whole, or by its wanted row groups
