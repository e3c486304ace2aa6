"""Roles and the door as plain functions: who may open which page, from which e-mail lists."""

from __future__ import annotations

import ast

import pytest

from laptop_pricing.access import (
    PAGE_ROLES,
    STORE_RECORD_PAGES,
    Door,
    Role,
    Verdict,
    Visitor,
    decide,
    door_for,
    parse_email_list,
    role_for,
)
from tests.browser_support import REPO_ROOT

CLERKS = parse_email_list("@loja.com.br, joao@gmail.com")
OWNERS = parse_email_list("Dona@Loja.com.br")


def test_email_lists_accept_addresses_and_domains_in_any_case_and_separator():
    assert parse_email_list(" A@x.com.br;@Loja.com\nb@y.io  a@x.com.br") == (
        "a@x.com.br",
        "@loja.com",
        "b@y.io",
    )
    assert parse_email_list(None) == ()
    assert parse_email_list("") == ()


@pytest.mark.parametrize("bad", ["ana", "ana@", "@", "loja.com.br", "ana@loja", "a b@x.com@y"])
def test_a_malformed_entry_is_refused_by_name(bad):
    with pytest.raises(ValueError) as error:
        parse_email_list(f"ok@loja.com.br, {bad}")
    assert str(error.value) in bad


def test_owner_list_wins_and_domains_match_only_the_whole_domain():
    assert role_for("dona@loja.com.br", CLERKS, OWNERS) is Role.OWNER
    assert role_for("ANA@LOJA.COM.BR", CLERKS, OWNERS) is Role.CLERK
    assert role_for("joao@gmail.com", CLERKS, OWNERS) is Role.CLERK
    assert role_for("maria@gmail.com", CLERKS, OWNERS) is Role.NONE
    assert role_for("ana@outraloja.com.br", CLERKS, OWNERS) is Role.NONE
    assert role_for("ana@sub.loja.com.br", CLERKS, OWNERS) is Role.NONE
    assert role_for("not an email @loja.com.br", CLERKS, OWNERS) is Role.NONE
    assert role_for(None, CLERKS, OWNERS) is Role.NONE


def test_the_door_depends_on_sign_in_first_then_on_a_production_setting():
    assert door_for(sign_in_configured=True, production=False) is Door.SIGN_IN
    assert door_for(sign_in_configured=True, production=True) is Door.SIGN_IN
    assert door_for(sign_in_configured=False, production=True) is Door.OPEN_PRODUCTION
    assert door_for(sign_in_configured=False, production=False) is Door.OPEN_LOCAL


def signed_in(email, **claims):
    return Visitor.arriving(
        Door.SIGN_IN,
        {"is_logged_in": True, "email": email, "email_verified": True, **claims},
        CLERKS,
        OWNERS,
    )


EXPECTED = {
    # (visitor, page) -> verdict; every page of PAGE_ROLES for every kind of visitor
    "owner": {page: Verdict.ALLOWED for page in PAGE_ROLES},
    "clerk": {
        page: Verdict.ALLOWED if role is Role.CLERK else Verdict.OWNERS_ONLY
        for page, role in PAGE_ROLES.items()
    },
    "stranger": {page: Verdict.NOT_ON_A_LIST for page in PAGE_ROLES},
    "unverified": {page: Verdict.NOT_ON_A_LIST for page in PAGE_ROLES},
    "signed_out": {page: Verdict.SIGN_IN_REQUIRED for page in PAGE_ROLES},
    "open_local": {page: Verdict.ALLOWED for page in PAGE_ROLES},
    "open_production": {
        page: Verdict.ALLOWED
        if role is Role.CLERK and page not in STORE_RECORD_PAGES
        else Verdict.NEEDS_SIGN_IN_SETUP
        for page, role in PAGE_ROLES.items()
    },
}
VISITORS = {
    "owner": signed_in("dona@loja.com.br"),
    "clerk": signed_in("ana@loja.com.br"),
    "stranger": signed_in("maria@gmail.com"),
    "unverified": signed_in("dona@loja.com.br", email_verified=False),
    "signed_out": Visitor.arriving(Door.SIGN_IN, {"is_logged_in": False}, CLERKS, OWNERS),
    "open_local": Visitor.arriving(Door.OPEN_LOCAL, {}),
    "open_production": Visitor.arriving(Door.OPEN_PRODUCTION, {}),
}
GOOGLE = "https://accounts.google.com"
MOCK_ISSUER = "http://127.0.0.1:5555"


def claims_of(**claims):
    return Visitor.arriving(
        Door.SIGN_IN, {"is_logged_in": True, **claims}, CLERKS, OWNERS, (MOCK_ISSUER,)
    )


@pytest.mark.parametrize("verified", [None, "false", "true", "False", 1, 0, False, [True]])
def test_only_email_verified_true_proves_the_address(verified):
    """Item 1: a missing claim, a string or a number never gives the role."""
    claims = {"email": "dona@loja.com.br", "iss": "https://idp.example.com"}
    if verified is not None:
        claims["email_verified"] = verified
    visitor = claims_of(**claims)
    assert visitor.role is Role.NONE
    assert decide(visitor, "estimate") is Verdict.NOT_ON_A_LIST


def test_a_provider_named_as_never_sending_email_verified_is_trusted_without_it():
    assert claims_of(email="dona@loja.com.br", iss=MOCK_ISSUER).role is Role.OWNER
    assert claims_of(email="dona@loja.com.br", iss=MOCK_ISSUER + "/").role is Role.OWNER
    # ...but a value it does send still has to be True
    refused = claims_of(email="dona@loja.com.br", iss=MOCK_ISSUER, email_verified="false")
    assert refused.role is Role.NONE


@pytest.mark.parametrize(
    "email", ["\u212aarl@loja.com.br", "dona@loja.com.b\u0280", "D\u00f6na@loja.com.br"]
)
def test_a_non_ascii_address_is_refused_before_any_case_folding(email):
    """Item 2: the KELVIN SIGN lower-cases to "k"; no folded address may match a list."""
    lists = parse_email_list("karl@loja.com.br, @loja.com.br")
    visitor = Visitor.arriving(
        Door.SIGN_IN, {"is_logged_in": True, "email": email, "email_verified": True}, lists, lists
    )
    assert visitor.role is Role.NONE
    assert role_for(email, lists, lists) is Role.NONE


def test_google_domain_entries_need_the_hosted_domain_claim():
    """Item 3: a personal Google account registered with a store address has no ``hd``."""
    base = {"email": "ana@loja.com.br", "email_verified": True, "iss": GOOGLE}
    assert claims_of(**base).role is Role.NONE
    assert claims_of(**base, hd="outraloja.com.br").role is Role.NONE
    assert claims_of(**base, hd="loja.com.br").role is Role.CLERK
    assert claims_of(**{**base, "iss": "accounts.google.com"}, hd="LOJA.com.br").role is Role.CLERK
    # a whole address on a list needs no hosted domain (joao@gmail.com is listed by name)
    joao = {**base, "email": "joao@gmail.com"}
    assert claims_of(**joao).role is Role.CLERK
    # other providers: the domain entry grants as before
    assert claims_of(**{**base, "iss": "https://login.microsoftonline.com/x"}).role is Role.CLERK


def test_production_without_sign_in_keeps_lookup_and_outcomes_closed():
    """Item 4: anyone with the address would act with the store's key."""
    assert not VISITORS["open_production"].sees_store_records
    assert VISITORS["open_local"].sees_store_records
    assert VISITORS["clerk"].sees_store_records
    assert not VISITORS["stranger"].sees_store_records


@pytest.mark.parametrize("who", sorted(VISITORS))
@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_every_visitor_on_every_page(who, page):
    assert decide(VISITORS[who], page) is EXPECTED[who][page]


def test_an_unknown_page_is_an_owners_page():
    assert decide(VISITORS["clerk"], "something-new") is Verdict.OWNERS_ONLY
    assert decide(VISITORS["owner"], "something-new") is Verdict.ALLOWED


def test_only_a_signed_in_email_with_a_role_goes_into_the_log():
    assert VISITORS["clerk"].clerk_email == "ana@loja.com.br"
    assert VISITORS["owner"].clerk_email == "dona@loja.com.br"
    assert VISITORS["stranger"].clerk_email is None
    assert VISITORS["open_local"].clerk_email is None
    assert VISITORS["open_production"].clerk_email is None


def test_the_claims_kept_are_the_email_only_never_the_name_or_a_token():
    visitor = signed_in("ana@loja.com.br", name="Ana Souza", tokens={"id": "eyJ-secret"})
    assert "Ana" not in repr(visitor) and "eyJ" not in repr(visitor)


def test_access_does_not_import_streamlit():
    tree = ast.parse((REPO_ROOT / "laptop_pricing" / "access.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "streamlit" not in imported
