"""The owner's week: figures of a hand-counted week, Brasília days, and the period sentence."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from datetime import date

import pandas as pd
import pytest

from laptop_pricing.monitoring import aggregate, business, business_summary, owner_week
from tests.synthetic_owner_week import EXPECTED_PREVIOUS, EXPECTED_WEEK, NOTES, known_weeks

END = date(2026, 11, 30)  # a Monday


def test_the_owner_week_matches_the_hand_counted_week_and_the_one_before():
    weeks = known_weeks(END)
    result = owner_week.owner_week(weeks.quotes, weeks.outcomes_frame(), END)
    assert (result.week.start, result.week.end) == (date(2026, 11, 24), END)
    assert {k: v for k, v in asdict(result.week).items() if k in EXPECTED_WEEK} == EXPECTED_WEEK
    previous = asdict(result.previous)
    assert {k: previous[k] for k in EXPECTED_PREVIOUS} == EXPECTED_PREVIOUS
    assert (result.previous.start, result.previous.end) == (date(2026, 11, 17), date(2026, 11, 23))


def test_the_price_notes_are_the_weeks_own_newest_first_without_blanks():
    weeks = known_weeks(END)
    result = owner_week.owner_week(weeks.quotes, weeks.outcomes_frame(), END)
    assert result.price_notes == (NOTES[1], NOTES[0])  # "Vai pensar" is the week before's


def test_market_only_requests_are_not_offers():
    weeks = known_weeks(END)
    market_only = weeks.quotes[weeks.quotes[business.OFFER].isna()]
    assert len(market_only) == 2
    result = owner_week.owner_week(market_only, weeks.outcomes_frame().iloc[0:0], END)
    assert result.week.offers == 0 and result.week.median_estimate is None


@pytest.mark.parametrize(
    ("utc", "brasilia_day"),
    [
        ("2026-11-24T02:30:00Z", date(2026, 11, 23)),  # 23:30 on Monday in Brasília
        ("2026-11-24T00:00:00Z", date(2026, 11, 23)),  # 21:00
        ("2026-11-24T02:59:59Z", date(2026, 11, 23)),  # 23:59:59
        ("2026-11-24T03:00:00Z", date(2026, 11, 24)),  # midnight in Brasília
        ("2026-11-23T23:59:00Z", date(2026, 11, 23)),
    ],
)
def test_days_are_brasilia_days_across_21_to_24_hours(utc, brasilia_day):
    rows = pd.DataFrame({aggregate.TIMESTAMP: pd.to_datetime([utc], utc=True)})
    assert aggregate.row_days(rows)[0] == pd.Timestamp(brasilia_day).to_datetime64()


def test_a_request_at_2330_brasilia_on_monday_is_counted_on_monday():
    rows = pd.DataFrame(
        {
            aggregate.TIMESTAMP: pd.to_datetime(["2026-11-24T02:30:00Z"], utc=True),
            aggregate.PRICE: [4000.0],
            aggregate.VERSION: ["1.2.0"],
        }
    )
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    assert aggregate.kpis(rows, rows.iloc[0:0], monday).requests_today == 1
    assert aggregate.kpis(rows, rows.iloc[0:0], tuesday).requests_today == 0
    assert len(aggregate.filter_rows(rows, monday, monday)) == 1
    assert aggregate.daily_volume(rows)["day"].tolist() == [pd.Timestamp(monday)]


def test_the_weekly_count_keeps_the_2330_quote_in_its_brasilia_week():
    weeks = known_weeks(END)
    joined = business.join_outcomes(weeks.quotes, weeks.outcomes_frame())
    per_day = business.quotes_per_day(joined)
    last = per_day[per_day["day"] == pd.Timestamp(END)]
    assert int(last["quotes"].sum()) == 1  # made on the 30th, Brasília, though UTC says 1 Dec


@pytest.mark.parametrize(
    ("days", "opening"),
    [
        (1, "No último dia"),
        (7, "Na última semana"),
        (14, "Nas últimas 2 semanas"),
        (30, "Nos últimos 30 dias"),
    ],
)
def test_the_sentence_follows_the_period_in_singular_or_plural(days, opening):
    assert business_summary.period_words(days) == opening
    weeks = known_weeks(END)
    joined = business.join_outcomes(weeks.quotes, weeks.outcomes_frame())
    summary = business_summary.business_summary(joined, END, days=days)
    assert business_summary.summary_sentence(summary).startswith(opening + ",")


def test_one_open_offer_is_written_in_the_singular():
    weeks = known_weeks(END)
    joined = business.join_outcomes(weeks.quotes, weeks.outcomes_frame())
    summary = business_summary.business_summary(joined, date(2026, 11, 17), days=1)
    assert summary.quotes == 1 and summary.open == 1
    assert business_summary.summary_sentence(summary) == (
        "No último dia, 1 oferta foi feita e não tem resultado registrado."
    )


def test_the_week_sentence_reads_the_money_first():
    weeks = known_weeks(END)
    result = owner_week.owner_week(weeks.quotes, weeks.outcomes_frame(), END)
    assert owner_week.week_sentence(result.week) == (
        "De 24/11 a 30/11, a loja comprou 7 notebooks por R$\xa08.250, de 13 ofertas feitas; "
        "3 clientes recusaram pelo preço; 2 ofertas seguem em aberto."
    )
    one = dataclasses.replace(result.week, bought=1, spent=900, declined_for_price=1, open=1)
    assert owner_week.week_sentence(one) == (
        "De 24/11 a 30/11, a loja comprou 1 notebook por R$\xa0900, de 13 ofertas feitas; "
        "1 cliente recusou pelo preço; 1 oferta segue em aberto."
    )
