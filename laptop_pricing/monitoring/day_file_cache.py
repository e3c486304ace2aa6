"""A local disk copy of the S3 day files, validated by the ETag the listing already returns.

Past day files never change (only today's file grows), yet every cold load and every "Atualizar"
used to download the whole period again. An entry is stored under its (bucket, key, ETag); a file
whose listed ETag is in the cache is read from disk, any other is downloaded and stored. So after
the first load only the files that changed — in practice today's — cross the network.

Next to the bytes, the parsed form of the same version can be kept as an Arrow IPC file (the
reader's table and what it set aside): reading it back costs a fraction of parsing the CSV again,
which is what a warm cold start (a new process, or "Atualizar") spends its time on. Its name
carries a ``variant`` (the reader passes a digest of its own code), so a changed parser never
trusts a table an older one wrote.

Layout: ``<directory>/<sha256(bucket/key)[:32]>/<sha256(etag)[:32]>[.<variant>.arrow]`` — one
folder per key, so a new ETag replaces the old entries in place (the folder is tiny to list).
Writes go to a temporary file and ``os.replace`` it, so a reader never sees half a file, even
with several app processes. The total size is bounded: past ``max_bytes`` the least recently used
entries go first (a hit touches its file's mtime). A folder that cannot be written turns the
cache off for that process; reads still work, straight from S3.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa

DEFAULT_MAX_BYTES = 2 * 1024**3
_TRIM_TO = 0.8  # after a trim the cache holds at most this share of max_bytes
_TEMP_SUFFIX = ".part"
_TABLE_SUFFIX = ".arrow"
_NOTES_METADATA = b"laptop_pricing.notes"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class DayFileCache:
    """Downloaded day files on local disk, keyed by (bucket, key, ETag)."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.writable = True
        self.hits = 0
        self.misses = 0
        self.table_hits = 0
        self._lock = threading.Lock()
        self._size: int | None = None  # bytes on disk, counted on the first write

    def _folder(self, bucket: str, key: str) -> Path:
        return self.directory / _digest(f"{bucket}/{key}")

    def _entry(self, bucket: str, key: str, etag: str) -> Path:
        return self._folder(bucket, key) / _digest(etag)

    def _table_entry(self, bucket: str, key: str, etag: str, variant: str) -> Path:
        return self._folder(bucket, key) / f"{_digest(etag)}.{variant}{_TABLE_SUFFIX}"

    def get(self, bucket: str, key: str, etag: str | None, size: int | None = None) -> bytes | None:
        """The stored bytes of this exact version, or None (unknown ETag, missing, or damaged)."""
        if not etag:
            return None
        path = self._entry(bucket, key, etag)
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        if data is None or (size is not None and len(data) != size):
            with self._lock:
                self.misses += 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: the last to be trimmed
        with self._lock:
            self.hits += 1
        return data

    def put(self, bucket: str, key: str, etag: str | None, data: bytes) -> bool:
        """Store this version (replacing any other version of the key); False when not stored."""
        if not etag:
            return False
        return self._store(self._entry(bucket, key, etag), data)

    def get_table(
        self, bucket: str, key: str, etag: str | None, variant: str
    ) -> tuple[pa.Table, list[dict[str, Any]]] | None:
        """The parsed form of this exact version (table, notes), or None."""
        if not etag:
            return None
        path = self._table_entry(bucket, key, etag, variant)
        try:
            with pa.ipc.open_file(pa.BufferReader(path.read_bytes())) as stream:
                table = stream.read_all()
            notes = json.loads((table.schema.metadata or {}).get(_NOTES_METADATA, b"[]"))
        except (OSError, pa.ArrowException, ValueError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        with self._lock:
            self.table_hits += 1
        return table.replace_schema_metadata(None), notes

    def put_table(
        self,
        bucket: str,
        key: str,
        etag: str | None,
        variant: str,
        table: pa.Table,
        notes: list[dict[str, Any]],
    ) -> bool:
        """Store the parsed form of this version; ``notes`` must be JSON-serialisable."""
        if not etag:
            return False
        metadata = {_NOTES_METADATA: json.dumps(notes).encode("utf-8")}
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, table.schema.with_metadata(metadata)) as writer:
            writer.write_table(table.replace_schema_metadata(metadata))
        return self._store(self._table_entry(bucket, key, etag, variant), sink.getvalue())

    def _store(self, target: Path, data: bytes | pa.Buffer) -> bool:
        if not self.writable:
            return False
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, suffix=_TEMP_SUFFIX)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            freed = self._drop_other_versions(folder, keep=target.name)
        except OSError:
            self.writable = False  # read-only or full disk: read from S3 without caching
            return False
        with self._lock:
            if self._size is None:
                self._size = self._measure()
            else:
                self._size += len(data) - freed
            over = self._size > self.max_bytes
        if over:
            self.trim()
        return True

    @staticmethod
    def _drop_other_versions(folder: Path, keep: str) -> int:
        """Remove what ``keep`` makes stale: entries of other ETags of this key, and parsed
        tables of other variants of this ETag. The bytes they held."""
        version = keep.split(".", 1)[0]
        freed = 0
        for entry in os.scandir(folder):
            name = entry.name
            if name == keep or name.endswith(_TEMP_SUFFIX):
                continue
            same_version = name.split(".", 1)[0] == version
            if same_version and (name == version or not keep.endswith(_TABLE_SUFFIX)):
                continue  # the bytes of this version, or its table when storing the bytes
            try:
                size = entry.stat().st_size
                os.unlink(entry.path)
                freed += size
            except FileNotFoundError:
                pass  # another thread or process removed it first
        return freed

    def _entries(self) -> list[tuple[float, int, str]]:
        """(mtime, size, path) of every stored entry."""
        found = []
        try:
            folders = list(os.scandir(self.directory))
        except OSError:
            return []
        for folder in folders:
            if not folder.is_dir():
                continue
            try:
                for entry in os.scandir(folder.path):
                    if entry.name.endswith(_TEMP_SUFFIX):
                        continue
                    stat = entry.stat()
                    found.append((stat.st_mtime, stat.st_size, entry.path))
            except OSError:
                continue
        return found

    def _measure(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def size(self) -> int:
        """Bytes stored now (a scan of the folder)."""
        return self._measure()

    def trim(self) -> None:
        """Remove the least recently used entries until the cache is well under ``max_bytes``."""
        with self._lock:
            entries = sorted(self._entries())
            total = sum(size for _, size, _ in entries)
            for _, size, path in entries:
                if total <= self.max_bytes * _TRIM_TO:
                    break
                try:
                    os.unlink(path)
                    total -= size
                except FileNotFoundError:
                    total -= size
                except OSError:
                    continue
            self._size = total
