"""``POST /outcome`` end to end: the Lambda handler in-process, and the local server over HTTP,
with the outcomes stored in a local folder or in moto's S3; each decision, each fault, auth, and
exactly one stored row per event under concurrency and repeats (before and after compaction)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from laptop_pricing.api.gateway import Gateway, UsagePlan
from laptop_pricing.api.handler import UNCONFIRMED_OUTCOME, PricingHandler, get_engine
from laptop_pricing.api.server import build_app
from laptop_pricing.api.service import observer_from_settings
from laptop_pricing.client import HttpPricingClient, LocalPricingClient
from laptop_pricing.errors import (
    AuthError,
    BadRequest,
    OutcomeNotStored,
    QuoteExpired,
    QuoteNotFound,
    RateLimited,
)
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.request_log import store_from_settings
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.request_log.writer import Fate
from laptop_pricing.safe_csv import FORMULA_TRIGGERS
from laptop_pricing.settings import load_settings
from laptop_pricing.storage.day_csv import decode_day_csv
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome_service import OutcomeLog, recorder_from_settings
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from tests.service_fixtures import MOTO_ENV, ApiServer, running

SPEC = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
SCRATCHED = Condition.from_payload({**Condition.best().as_dict(), "screen": "scratched"})
FORMULA = '=HYPERLINK("http://evil.example","clique")'
_events = iter(range(10**9))


def new_event() -> str:
    return f"evt-{next(_events):08d}-{random.getrandbits(32):08x}"


def unknown_quote_id() -> str:
    return QuoteIdGenerator().new(datetime.now(UTC))


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    for name in ("PREDICTIONS_BUCKET", "AWS_ENDPOINT_URL", "OUTCOMES_PREFIX", "API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return load_settings({})


@pytest.fixture
def handler(settings):
    issuer = QuoteIssuer(load_policy())
    return PricingHandler(
        get_engine(), observer_from_settings(settings), issuer, recorder_from_settings(settings)
    )


@pytest.fixture
def client(handler):
    return LocalPricingClient(handler)


def quoted(client) -> tuple[str, int]:
    _, trade_in = client.price_trade_in(SPEC, SCRATCHED)
    assert trade_in.offer.amount is not None
    return trade_in.quote_id, trade_in.offer.amount


def test_each_decision_is_stored_and_answered_201_then_200_for_the_same_event(client):
    quote_id, offer = quoted(client)
    cases = [
        {"decision": "accepted"},
        {"decision": "negotiated", "amount": offer + 150},
        {"decision": "declined", "reason": "offer_too_low", "note": "Achou pouco"},
        {"decision": "revised", "amount": offer - 200, "changed_answer": "battery"},
    ]
    for case in cases:
        event = new_event()
        first = client.record_outcome(quote_id, event, **case)
        assert first.created and first.outcome.decision == case["decision"]
        assert first.outcome.offer == offer and first.outcome.quote_id == quote_id
        again = client.record_outcome(quote_id, event, **case)
        assert not again.created and again.outcome == first.outcome


def test_the_stored_rows_are_one_per_event(client, settings):
    quote_id, _ = quoted(client)
    event = new_event()
    for _ in range(3):
        client.record_outcome(quote_id, event, "accepted")
    stored = read_outcomes(LogLocation.from_settings(settings, OUTCOMES)).outcomes
    assert list(stored["event_id"]) == [event]


def test_each_fault_gets_its_typed_error(client, handler):
    quote_id, offer = quoted(client)
    with pytest.raises(QuoteNotFound) as missing:
        client.record_outcome(unknown_quote_id(), new_event(), "accepted")
    assert missing.value.quote_id
    with pytest.raises(BadRequest) as too_much:
        client.record_outcome(quote_id, new_event(), "negotiated", amount=offer * 10 + 1)
    assert too_much.value.fields == ["amount"]
    with pytest.raises(BadRequest) as zero:
        client.record_outcome(quote_id, new_event(), "negotiated", amount=0)
    assert zero.value.fields == ["amount"]
    with pytest.raises(BadRequest) as several:
        client.record_outcome(quote_id, "short", "declined", note="x" * 201)
    assert several.value.fields == ["event_id", "reason", "note"]
    late = dataclasses.replace(
        handler.recorder, clock=lambda: datetime.now(UTC) + timedelta(days=30)
    )
    expired = LocalPricingClient(
        PricingHandler(handler.engine, handler.observer, handler.issuer, late)
    )
    with pytest.raises(QuoteExpired) as caught:
        expired.record_outcome(quote_id, new_event(), "accepted")
    assert caught.value.valid_until is not None


def test_the_handler_answers_events_of_every_shape_without_a_500(handler):
    def outcome_event(body, method="POST"):
        return {"resource": "/outcome", "httpMethod": method, "body": body}

    assert handler(outcome_event("{", "POST"))["statusCode"] == 400
    assert handler(outcome_event(json.dumps([1, 2])))["statusCode"] == 400
    assert handler(outcome_event("{}", "GET"))["statusCode"] == 405
    function_url = {"rawPath": "/outcome", "requestContext": {"http": {"method": "POST"}}}
    answer = handler({**function_url, "body": json.dumps({"quote_id": "x; y"})})
    assert answer["statusCode"] == 400
    fields = {e["field"] for e in json.loads(answer["body"])["errors"]}
    assert fields == {"quote_id", "event_id", "decision"}
    no_recorder = PricingHandler(handler.engine, handler.observer, handler.issuer)
    assert no_recorder(outcome_event("{}"))["statusCode"] == 404
    assert "prediction" in json.loads(handler({"data": dict(CONTRACT_EXAMPLE)})["body"])


def test_a_formula_note_is_neutralised_in_the_records_and_the_day_file(client, settings):
    quote_id, _ = quoted(client)
    answer = client.record_outcome(quote_id, new_event(), "declined", reason="other", note=FORMULA)
    assert answer.outcome.note == "'" + FORMULA
    store = store_from_settings(settings, OUTCOMES)
    today = datetime.now(UTC).date()
    assert store.read_records(today).records[0]["note"] == "'" + FORMULA
    Compactor(store).compact_day(today)
    data, _ = store.read_day_file(today)
    assert data is not None
    row = next(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert row["note"] == "'" + FORMULA and not row["note"].startswith(FORMULA_TRIGGERS)


def test_auth_and_the_usage_plan_apply_to_outcomes_as_to_pricing(handler, client):
    quote_id, _ = quoted(client)
    gateway = Gateway(("chave-certa",), UsagePlan(quota=2))
    with running(build_app(handler, gateway)) as url:
        with pytest.raises(AuthError):
            HttpPricingClient(url + "/predict").record_outcome(quote_id, new_event(), "accepted")
        wrong = HttpPricingClient(url + "/predict", "chave-errada")
        with pytest.raises(AuthError):
            wrong.record_outcome(quote_id, new_event(), "accepted")
        good = HttpPricingClient(url + "/predict", "chave-certa", retry_budget=0)
        assert good.record_outcome(quote_id, new_event(), "accepted").created
        assert good.price(SPEC).price > 0  # the same quota counts both routes
        with pytest.raises(RateLimited):
            good.record_outcome(quote_id, new_event(), "accepted")
        assert requests.get(url + "/outcome", timeout=10).status_code == 403


# ---------------------------------------------------------------------------------------------
# 300 outcomes from 50 threads through the local server, a fifth of them sent twice (the
# repeats also prove that the distinct events are stored once each)


OUTCOMES_SENT = 300


def _load(server: ApiServer) -> tuple[list[str], list[int]]:
    client = HttpPricingClient(server.url + "/predict")
    with ThreadPoolExecutor(10) as pool:
        quotes = list(pool.map(lambda _: quoted(client), range(50)))
    events = [(quotes[i % 50], new_event(), i) for i in range(OUTCOMES_SENT)]
    sent = events + events[::5]
    random.Random(7).shuffle(sent)

    def send(item) -> int:
        (quote_id, offer), event, n = item
        if n % 4 == 0:
            answer = client.record_outcome(quote_id, event, "negotiated", amount=offer + n)
        elif n % 4 == 1:
            answer = client.record_outcome(
                quote_id, event, "declined", reason="other", note=FORMULA
            )
        else:
            answer = client.record_outcome(quote_id, event, "accepted")
        return 201 if answer.created else 200

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(send, sent))
    return [event for _, event, _ in events], statuses


def _check_answers(statuses: list[int], server: ApiServer) -> None:
    """Every send was answered "recorded": 201 for the attempt that stored its event, 200 for a
    copy. On a loaded machine a write can miss its deadline (503, logged) and still land; the
    client sends the event again and gets 200 for it. So each such log line may turn one 201
    into a 200, and nothing else may."""
    unconfirmed = server.output().count(UNCONFIRMED_OUTCOME)
    assert statuses.count(201) + statuses.count(200) == len(statuses)
    assert OUTCOMES_SENT - unconfirmed <= statuses.count(201) <= OUTCOMES_SENT
    assert len(statuses) == OUTCOMES_SENT + OUTCOMES_SENT // 5


def _check_stored_once(settings, events: list[str]) -> None:
    location = LogLocation.from_settings(settings, OUTCOMES)
    stored = read_outcomes(location)
    assert not stored.failed
    assert sorted(stored.outcomes["event_id"]) == sorted(events)
    today = datetime.now(UTC).date()
    store = store_from_settings(settings, OUTCOMES)
    raw = [r["event_id"] for r in store.read_records(today).records]
    assert sorted(raw) == sorted(events)  # not only deduplicated on read: stored once
    Compactor(store).compact_day(today)
    data, _ = store.read_day_file(today)
    rows = decode_day_csv(OUTCOMES, data).rows
    assert sorted(r["event_id"] for r in rows) == sorted(events)
    assert all(r["note"] in ("", "'" + FORMULA) for r in rows)
    again = read_outcomes(location)
    assert sorted(again.outcomes["event_id"]) == sorted(events)


def test_300_outcomes_from_50_threads_a_fifth_sent_twice_into_the_local_folder(
    tmp_path, monkeypatch
):
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "POWERTOOLS_METRICS_DISABLED": "true"}
    with ApiServer(tmp_path, env) as server:
        events, statuses = _load(server)
    _check_answers(statuses, server)
    monkeypatch.setenv("PREDICTIONS_DIR", env["PREDICTIONS_DIR"])
    monkeypatch.delenv("PREDICTIONS_BUCKET", raising=False)
    _check_stored_once(load_settings({}), events)


def test_300_outcomes_from_50_threads_a_fifth_sent_twice_into_s3(
    tmp_path, monkeypatch, moto_endpoint, bucket
):
    env = {
        **MOTO_ENV,
        "PREDICTIONS_BUCKET": bucket,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "REQUEST_LOG_DEADLINE_SECONDS": "5",
    }
    with ApiServer(tmp_path, env) as server:
        events, statuses = _load(server)
    _check_answers(statuses, server)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _check_stored_once(load_settings({}), events)


class _BlindFirstLook(OutcomeLog):
    """Misses the event on its first look, as a container does when another one is writing."""

    looked = False

    def find(self, event_id, now):
        if not self.looked:
            self.looked = True
            return None
        return super().find(event_id, now)


def test_a_racing_writer_of_the_same_event_in_s3_is_refused_and_answered_200(
    tmp_path, monkeypatch, moto_endpoint, bucket
):
    """Two recorders (two Lambda containers) that both miss the first lookup: the key is the
    event id and the put is conditional, so the second learns EXISTS and answers 200."""
    for name, value in {**MOTO_ENV, "PREDICTIONS_BUCKET": bucket}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    settings = load_settings({})
    issuer = QuoteIssuer(load_policy())
    first = recorder_from_settings(settings)
    client = LocalPricingClient(
        PricingHandler(get_engine(), observer_from_settings(settings), issuer, first)
    )
    quote_id, _ = quoted(client)
    second = recorder_from_settings(settings)
    racing = dataclasses.replace(second, outcomes=_BlindFirstLook(second.outcomes.log))
    event = new_event()
    body = {"quote_id": quote_id, "event_id": event, "decision": "accepted"}
    assert first.record(body).status == 201
    answer = racing.record(body)
    assert answer.status == 200 and answer.outcome.event_id == event
    stored = read_outcomes(LogLocation.from_settings(settings, OUTCOMES)).outcomes
    assert list(stored["event_id"]) == [event]


class _UnconfirmedFirstWrite(OutcomeLog):
    """Stores the first outcome but reports it unconfirmed, as a write that lands just after
    the request log's deadline does (``Fate.PENDING``)."""

    written = False

    def write(self, made):
        fate = super().write(made)
        if not self.written:
            self.written = True
            assert fate is Fate.STORED
            return Fate.PENDING
        return fate


def test_an_outcome_not_confirmed_in_time_is_a_logged_503_and_its_resend_a_200(settings, caplog):
    """The clerk is told to send again (503, ``OutcomeNotStored``), the operator sees one log
    line, and the resend of the same event finds it stored: 200, stored once."""
    issuer = QuoteIssuer(load_policy())
    recorder = recorder_from_settings(settings)
    slow = dataclasses.replace(recorder, outcomes=_UnconfirmedFirstWrite(recorder.outcomes.log))
    client = LocalPricingClient(
        PricingHandler(get_engine(), observer_from_settings(settings), issuer, slow)
    )
    quote_id, _ = quoted(client)
    event = new_event()
    with (
        caplog.at_level("WARNING", logger="laptop_pricing.api.handler"),
        pytest.raises(OutcomeNotStored),
    ):
        client.record_outcome(quote_id, event, "accepted")
    assert [r.getMessage() for r in caplog.records].count(
        f"{UNCONFIRMED_OUTCOME}: outcome {event} not confirmed stored (pending); send it again"
    ) == 1
    again = client.record_outcome(quote_id, event, "accepted")
    assert again.created is False and again.outcome.event_id == event
    stored = read_outcomes(LogLocation.from_settings(settings, OUTCOMES)).outcomes
    assert list(stored["event_id"]) == [event]


def test_a_closed_day_of_outcomes_is_folded_into_its_day_file_and_rolled_up(settings):
    """The compactor treats outcomes like the request log: day CSV, then the month's rollup
    (time typed, no price column), one row per event even when a record was written twice."""
    from laptop_pricing.request_log import request_log_from_settings
    from laptop_pricing.storage.rollup import read_month

    log = request_log_from_settings(settings, OUTCOMES)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    row = {"quote_id": "Q1", "event_id": "evt-closed-0001", "decision": "accepted"}
    for _ in range(2):  # the local folder appends; readers and the compactor keep one
        assert log.write(row, at=yesterday).fate.value == "stored"
    store = log.store
    (result,) = Compactor(store).compact_days([yesterday.date()])
    assert result.closed and result.rows_after == 1 and result.rolled_up
    data, _ = store.read_rollup(yesterday.year, yesterday.month)
    month = read_month(data)
    assert month.table.num_rows == 1 and "price" not in month.table.column_names
    assert month.table.column("recorded_at").type.tz == "UTC"


def test_a_policy_that_accepts_late_outcomes_stores_them_marked_late(tmp_path, monkeypatch, client):
    from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH

    quote_id, _ = quoted(client)
    accepting = tmp_path / "policy.toml"
    accepting.write_bytes(
        DEFAULT_POLICY_PATH.read_bytes() + b'\n[outcomes]\nafter_validity = "accept"\n'
    )
    monkeypatch.setenv("POLICY_PATH", str(accepting))
    recorder = recorder_from_settings(load_settings({}))
    later = dataclasses.replace(recorder, clock=lambda: datetime.now(UTC) + timedelta(days=30))
    body = {"quote_id": quote_id, "event_id": new_event(), "decision": "accepted"}
    decision = later.record(body)
    assert decision.status == 201 and decision.outcome.late is True
