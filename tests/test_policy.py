"""The store policy: the committed file loads; each malformed case is refused naming its key."""

from __future__ import annotations

import re

import pytest

from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import ANSWER_REFS, QUESTIONS, Condition
from laptop_pricing.trade_in.policy import (
    DEFAULT_POLICY_PATH,
    PolicyError,
    load_policy,
    parse_policy,
)

DEFAULT_TEXT = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def edited(old: str, new: str) -> bytes:
    """The committed policy with one line changed (the edit a store manager would make)."""
    assert DEFAULT_TEXT.count(old) == 1, old
    return DEFAULT_TEXT.replace(old, new).encode("utf-8")


def test_the_committed_policy_loads_and_is_versioned_by_name_and_content():
    policy = load_policy()
    assert policy.name == "loja-padrao-2026-11"
    assert re.fullmatch(r"loja-padrao-2026-11\+[0-9a-f]{8}", policy.version)
    assert policy.deduction_pct("screen", "broken") == 70
    assert policy.no_offer_answers == {"powers_on.no", "locks_removed.no"}
    other = parse_policy(edited("margin_pct = 20", "margin_pct = 21"))
    assert other.name == policy.name and other.version != policy.version


def test_every_question_the_policy_does_not_decide_has_its_deductions():
    policy = load_policy()
    for question in QUESTIONS:
        decided = all(
            f"{question.key}.{a.key}" in policy.no_offer_answers for a in question.answers[1:]
        )
        assert decided or set(policy.deductions[question.key]) == {a.key for a in question.answers}


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ('name = "loja-padrao-2026-11"', "", "name", "missing"),
        ("margin_pct = 20\n", "", "offer.margin_pct", "missing"),
        ("broken = 70\n", "", "deductions.screen.broken", "missing"),
        ("[deductions.battery]", "[deductions.battery_x]", "deductions.battery_x", "unknown"),
        ("margin_pct = 20", 'margin_pct = "20"', "offer.margin_pct", "must be a number"),
        ("processing_cost = 80", "processing_cost = 80.5", "offer.processing_cost", "whole"),
        ("validity_days = 7", "validity_days = true", "offer.validity_days", "whole"),
        ("resale_share_pct = 50", "resale_share_pct = 150", "offer.resale_share_pct", "0 to 100"),
        ("scratched = 10", "scratched = -5", "deductions.screen.scratched", "0 to 100"),
        ("weak = 10", "weak = 30", "deductions.battery.dead", "worse answer"),
        ("faulty = 15", "faulty = 15\nsticky = 20", "deductions.keyboard_ports.sticky", "unknown"),
        ('"powers_on.no", ', '"powers_on.maybe", ', "no_offer.answers", "unknown answer"),
        ('answers = ["powers_on.no", ', 'answers = ["powers_on.yes", ', "no_offer.answers", "best"),
        (
            'never_buy = ["locks_removed.no"]',
            'never_buy = ["charger.no"]',
            "no_offer.never_buy",
            "",
        ),
        ("parts_value = 0", "parts_value = 500", "no_offer.parts_value", "minimum_offer"),
        ("rounding_step = 10", "rounding_step = 0", "offer.rounding_step", "at least 1"),
        ("validity_days = 7", "validity_days = 7\ncolour = 1", "offer.colour", "unknown key"),
        ("\n[no_offer]\n", "\n[no_offers]\n", "no_offers", "unknown key"),
    ],
)
def test_each_malformed_policy_is_refused_naming_the_key(old, new, key, reason):
    with pytest.raises(PolicyError) as caught:
        parse_policy(edited(old, new), source="test.toml")
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert f"test.toml: {key}: " in str(caught.value)


def test_not_toml_and_a_missing_file_are_refused_too(tmp_path):
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy(b"name = \n")
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "absent.toml")
    assert caught.value.key == "POLICY_PATH" and "absent.toml" in str(caught.value)


def test_a_question_decided_by_the_no_offer_answers_needs_no_deductions():
    policy = parse_policy(DEFAULT_TEXT.encode())
    assert "powers_on" not in policy.deductions and "locks_removed" not in policy.deductions


def test_policy_path_setting_reads_env_then_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("POLICY_PATH", raising=False)
    assert load_settings({}).policy_path is None
    assert str(load_settings({"POLICY-PATH": "/a.toml"}).policy_path) == "/a.toml"
    monkeypatch.setenv("POLICY_PATH", str(tmp_path / "b.toml"))
    assert load_settings({"POLICY-PATH": "/a.toml"}).policy_path == tmp_path / "b.toml"


def test_answer_refs_name_every_answer_once():
    assert len(ANSWER_REFS) == len(set(ANSWER_REFS)) == sum(len(q.answers) for q in QUESTIONS)
    assert Condition.best().as_dict()["screen"] == "perfect"


def test_late_outcomes_are_refused_unless_the_policy_accepts_them():
    from laptop_pricing.trade_in.outcome import LatePolicy

    text = DEFAULT_POLICY_PATH.read_bytes()
    assert parse_policy(text).late_outcomes is LatePolicy.REFUSE
    accepting = text + b'\n[outcomes]\nafter_validity = "accept"\n'
    assert parse_policy(accepting).late_outcomes is LatePolicy.ACCEPT
    with pytest.raises(PolicyError, match=re.escape("outcomes.after_validity")):
        parse_policy(text + b'\n[outcomes]\nafter_validity = "sometimes"\n')
    with pytest.raises(PolicyError, match=re.escape("outcomes.later")):
        parse_policy(text + b'\n[outcomes]\nlater = "accept"\n')
