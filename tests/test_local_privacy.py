"""Issue 21 item 17 on the local folder: files only their owner reads, and the retention of the
store policy applied by ``python -m laptop_pricing.request_log.purge``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.request_log import RequestLog
from laptop_pricing.request_log.purge import purge
from laptop_pricing.settings import load_settings
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.trade_in.policy import PolicyError, load_policy, parse_policy
from tests.browser_support import REPO_ROOT
from tests.request_log_support import compact_closed

pytestmark = pytest.mark.usefixtures("clean_env")
TODAY = date(2026, 12, 7)
RETENTION = load_policy().retention_days


def test_every_local_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Item 17: records, day files, rollups and the lock were created 0644 (world-readable)."""
    store = LocalRecordStore(tmp_path, LogLayout("logs", PREDICTIONS))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    log = RequestLog(store, deadline=5.0)
    at = datetime.combine(yesterday, datetime.min.time(), UTC) + timedelta(hours=12)
    assert log.write({"request_id": "r-1", "clerk_email": "ana@loja.com.br"}, at=at).fate.value
    assert log.drain(10)
    compact_closed(store, yesterday)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".jsonl", ".csv", ".parquet"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_purge_deletes_what_is_older_than_the_retention_of_both_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    settings = load_settings()
    cutoff = TODAY - timedelta(days=RETENTION)
    old, kept = cutoff - timedelta(days=1), cutoff
    expected_gone, expected_kept = [], []
    for kind, prefix in (
        (PREDICTIONS, settings.predictions_prefix),
        (OUTCOMES, settings.outcomes_prefix),
    ):
        layout = LogLayout(prefix, kind)
        expected_gone += [
            touch(tmp_path / layout.day_key(old)),
            touch(tmp_path / layout.local_records_file(old)),
            touch(tmp_path / layout.rollup_key(old.year - 1, 12)),
        ]
        expected_kept += [
            touch(tmp_path / layout.day_key(kept)),
            touch(tmp_path / layout.local_records_file(TODAY)),
            touch(tmp_path / layout.rollup_key(kept.year, kept.month)),  # month not over yet
            touch(tmp_path / layout.root / "notes.txt"),  # not ours: left alone
        ]
    listed = purge(settings, RETENTION, TODAY, dry_run=True)
    assert sorted(listed) == sorted(expected_gone) and all(p.exists() for p in listed)
    assert sorted(purge(settings, RETENTION, TODAY)) == sorted(expected_gone)
    assert not any(p.exists() for p in expected_gone)
    assert all(p.exists() for p in expected_kept)
    assert purge(settings, RETENTION, TODAY) == []  # safe to repeat


def test_the_purge_command_reads_the_policy_and_says_what_it_did(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTIONS_", "AWS_"))}
    env["PREDICTIONS_DIR"] = str(tmp_path)
    layout = LogLayout(load_settings().predictions_prefix, PREDICTIONS)
    ancient = touch(tmp_path / layout.day_key(date(2001, 1, 1)))
    command = [sys.executable, "-m", "laptop_pricing.request_log.purge"]
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("deleted 1 files from before ")
    assert f"(retention {RETENTION} days)" in done.stdout
    assert not ancient.exists()
    env["POLICY_PATH"] = str(tmp_path / "missing.toml")
    refused = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "POLICY_PATH" in refused.stderr


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("retention_days = 30", "privacy.retention_days"),
        ("retention_days = 9999", "privacy.retention_days"),
        ('retention_days = "730"', "privacy.retention_days"),
        ('purpose = ""', "privacy.purpose"),
    ],
)
def test_the_policy_states_purpose_and_retention_or_names_the_key(line, key):
    """Item 17: the policy file carries the purpose and the retention, validated."""
    committed = (REPO_ROOT / "policy" / "store_policy.toml").read_text(encoding="utf-8")
    policy = load_policy()
    assert policy.retention_days == 730 and "retreinar o modelo" in policy.privacy_purpose
    name = line.split(" =")[0]
    changed = "\n".join(
        line if row.startswith(f"{name} =") else row for row in committed.splitlines()
    )
    with pytest.raises(PolicyError) as error:
        parse_policy(changed.encode())
    assert error.value.key == key


def test_purge_also_deletes_quotes_kept_by_id_and_old_request_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copies kept for lookup and retries hold the same data as the log: same retention."""
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    settings = load_settings()
    root = tmp_path / LogLayout(settings.predictions_prefix, PREDICTIONS).root
    cutoff = TODAY - timedelta(days=RETENTION)
    old_quote = touch(root / "_quotes" / f"{cutoff - timedelta(days=1):%Y-%m-%d}" / "Q1.json")
    new_quote = touch(root / "_quotes" / f"{cutoff:%Y-%m-%d}" / "Q2.json")
    old_answer = touch(root / "_requests" / "old-id.json")
    new_answer = touch(root / "_requests" / "new-id.json")
    stamp = datetime.combine(cutoff - timedelta(days=1), datetime.min.time(), UTC).timestamp()
    os.utime(old_answer, (stamp, stamp))
    assert sorted(purge(settings, RETENTION, TODAY)) == sorted([old_quote, old_answer])
    assert new_quote.exists() and new_answer.exists()
