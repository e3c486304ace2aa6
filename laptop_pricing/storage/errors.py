"""The store layer's failures, shared by the local folder and S3 stores."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A compactor-side read or write failed; the message names the location and the cause,
    ``code`` the cause alone (S3's error code, or the OS error's name)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code or message


class RecordNotStored(RuntimeError):
    """The record was not stored. ``ambiguous``: no answer came, so it may have been."""

    def __init__(self, reason: str, ambiguous: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.ambiguous = ambiguous


class RecordExists(RecordNotStored):
    """A kind keyed by id: a record with this id is already stored (by another writer)."""

    def __init__(self) -> None:
        super().__init__("already stored")
