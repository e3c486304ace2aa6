"""Fixtures every area's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _request_log_outside_the_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The Lambda entry point's request log goes to PREDICTIONS_DIR: keep test requests out of
    var/. Tests that need the rows in a folder of their own build a ``PricingHandler`` with
    their own observer instead of relying on this default.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("PREDICTIONS_DIR", str(tmp_path_factory.mktemp("predictions")))
    patch.delenv("PREDICTIONS_BUCKET", raising=False)
    yield
    patch.undo()
