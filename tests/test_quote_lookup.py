"""Buscar cotação: a quote found again in its day of the request log, local folder and S3."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from laptop_pricing.condition import Condition
from laptop_pricing.policy import load_policy
from laptop_pricing.quote_id import InvalidQuoteId, QuoteIdGenerator
from laptop_pricing.quote_lookup import QuoteLookup
from laptop_pricing.request_log import LocalRequestLog, S3RequestLog
from laptop_pricing.schema import LaptopSpec
from laptop_pricing.trade_in import QuoteIssuer
from tests.service_fixtures import *  # noqa: F403  (the moto fixtures)

NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WORN = dataclasses.replace(Condition.best(), body="worn", charger=False)


def issue_and_log(log, moment: datetime, market: int = 5000):
    issuer = QuoteIssuer(load_policy(), QuoteIdGenerator(), clock=lambda: moment)
    quote = issuer.issue(market, WORN)
    spec = LaptopSpec.default()
    log.append(spec.as_dict(), market, "v1", at=quote.quoted_at, extra=quote.log_values())
    return quote


def check_found_expired_and_unknown(log) -> None:
    for i in range(20):  # other quotes and plain requests around it in the same day
        issue_and_log(log, NOON - timedelta(minutes=i + 1), market=3000 + i)
        log.append(LaptopSpec.default().as_dict(), 1234, "v1", at=NOON - timedelta(seconds=i))
    quote = issue_and_log(log, NOON)
    on_the_day = QuoteLookup(log.read_day, today=lambda: date(2026, 3, 10))
    found = on_the_day.find(quote.quote_id)
    assert found.status == "valid"
    assert found.quote.offer == quote.offer.amount and found.quote.market_estimate == 5000
    assert found.quote.condition == WORN and found.quote.spec == LaptopSpec.default()
    assert found.quote.valid_until == quote.valid_until == date(2026, 3, 17)
    assert found.quote.quoted_at == NOON
    last_day = QuoteLookup(log.read_day, today=lambda: date(2026, 3, 17))
    assert last_day.find(quote.quote_id).status == "valid"
    later = QuoteLookup(log.read_day, today=lambda: date(2026, 3, 18))
    expired = later.find(quote.quote_id)
    assert expired.status == "expired" and expired.quote.offer == quote.offer.amount
    unknown_same_day = QuoteIdGenerator().new(NOON + timedelta(hours=1))
    assert on_the_day.find(unknown_same_day).status == "unknown"
    unknown_no_file = QuoteIdGenerator().new(NOON - timedelta(days=40))
    assert on_the_day.find(unknown_no_file).status == "unknown"
    with pytest.raises(InvalidQuoteId):
        on_the_day.find("ABCD")


def test_lookup_in_the_local_folder(tmp_path):
    check_found_expired_and_unknown(LocalRequestLog(tmp_path, "laptop-prediction-real-data"))


def test_lookup_in_s3(s3, bucket):
    check_found_expired_and_unknown(S3RequestLog(bucket, "laptop-prediction-real-data", s3))


def test_a_quote_in_a_day_file_started_before_the_trade_in_columns(tmp_path):
    """The first quote of the deploy day widens the old day file; both rows stay readable."""
    log = LocalRequestLog(tmp_path, "p")
    path = log.path_for(NOON.date())
    path.parent.mkdir(parents=True)
    old_header = "brand,processor_brand,processor_name,os,weight,warranty,touchscreen,ram_gb,"
    old_header += "hdd,ssd,graphic_card,ram_type,os_bit,price,timestamp,model_version\n"
    old_row = (
        "dell,intel,core i5,windows,casual,0,0,8,0,256,0,ddr4,64,4000,2026-03-10T01:00:00Z,v0\n"
    )
    path.write_text(old_header + old_row)
    quote = issue_and_log(log, NOON)
    found = QuoteLookup(log.read_day, today=lambda: date(2026, 3, 10)).find(quote.quote_id)
    assert found.status == "valid" and found.quote.offer == quote.offer.amount
    lines = path.read_text().splitlines()
    assert lines[0].startswith(old_header.strip() + ",quote_id,")
    assert lines[1].startswith(old_row.strip() + ",,")
