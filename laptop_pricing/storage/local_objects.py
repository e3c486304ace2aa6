"""Objects by key in a local folder (quotes by id, answers by request id, purchases): the part
of ``LocalRecordStore`` that is not the request log's records, kept apart so each file stays
readable.

``put_new`` is put-if-absent across processes (a hard link fails when the name exists), so the
folder, not a process's memory, decides between racing writers, as ``IfNoneMatch='*'`` does on
S3. Files are created 0600 in folders 0700: the folder may hold personal data (sealed).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from laptop_pricing.storage.errors import RecordNotStored, StoreError

FILE_MODE = 0o600
FOLDER_MODE = 0o700


class LocalObjects:
    """Needs ``directory``: the folder the keys are relative to."""

    directory: Path

    def path(self, key: str) -> Path:
        return self.directory / key

    def put_new(self, key: str, data: bytes, deadline: float) -> bool:
        """Written whole beside the target, then hard-linked to it: ``link`` fails when the
        name exists, so exactly one of several processes wins and no reader sees half."""
        target = self.path(key)
        try:
            target.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            # mkstemp creates the file 0600, as FILE_MODE says
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.link(temporary, target)
            except FileExistsError:
                return False
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
        except OSError as error:
            raise RecordNotStored(error.strerror or type(error).__name__) from error
        return True

    def replace_object(self, key: str, data: bytes) -> bool:
        """Written whole beside the target, then renamed over it (``RecordStore``)."""
        target = self.path(key)
        if not target.is_file():
            return False
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
        except OSError as error:
            raise StoreError(f"cannot write {target}: {error.strerror}") from error
        return True

    def has_object(self, key: str) -> bool:
        return self.path(key).is_file()

    def read_object(self, key: str) -> bytes | None:
        """The object under ``key``, None when absent. Raises ``StoreError``."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read {self.path(key)}: {error.strerror}") from error

    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted; temporary ``.part`` files are not keys.
        Raises ``StoreError``."""
        folder_key, _, _ = prefix.rpartition("/")
        folder = self.path(folder_key) if folder_key else self.directory
        if not folder.is_dir():
            return []
        keys: list[str] = []
        base = len(os.path.join(str(self.directory), ""))
        try:
            for root, _, files in os.walk(folder):
                # Plain strings, not a Path per file: a stock of 10,000 items is 20,000 files.
                here = root[base:].replace(os.sep, "/")
                start = f"{here}/" if here else ""
                keys += [
                    start + name
                    for name in files
                    if not name.startswith(".") and (start + name).startswith(prefix)
                ]
        except OSError as error:
            raise StoreError(f"cannot list {folder}: {error.strerror}") from error
        return sorted(keys)

    def list_modified(self, prefix: str) -> dict[str, datetime]:
        """Every key starting with ``prefix`` and its file's modification time (UTC); a file
        deleted meanwhile is left out. Raises ``StoreError``."""
        found: dict[str, datetime] = {}
        for key in self.list_keys(prefix):
            try:
                seconds = self.path(key).stat().st_mtime
            except FileNotFoundError:
                continue
            except OSError as error:
                raise StoreError(f"cannot read {self.path(key)}: {error.strerror}") from error
            found[key] = datetime.fromtimestamp(seconds, UTC)
        return found

    def delete_object(self, key: str) -> bool:
        """Remove the object: True when it was there. Raises ``StoreError``."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StoreError(f"cannot delete {self.path(key)}: {error.strerror}") from error
        return True
