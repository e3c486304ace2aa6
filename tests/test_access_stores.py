"""Who reads which store: OWNER-EMAILS entries limited to some stores (``=centro+sul``), the
chain owner, the open door, and ``readable_stores`` never handing a limited owner another
store's id; bad entries and stores without a policy refused naming OWNER-EMAILS."""

from __future__ import annotations

from pathlib import Path

import pytest

from laptop_pricing.access import (
    BadStoreEntry,
    Door,
    Role,
    Visitor,
    parse_entries,
    readable_stores,
)
from laptop_pricing.settings import InvalidSettings, load_settings
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH, PolicyError
from laptop_pricing.trade_in.store_policies import (
    check_listed_stores,
    store_policies_from_settings,
)
from tests.app_fixtures import CLERK, OWNER, app

GOOGLE = "https://accounts.google.com"
OWNERS = "dona@loja.com.br, gerente@loja.com.br=centro, sul@loja.com.br=sul+sul-2, @rede.com.br=sul"


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    return tmp_path


def policy_folder(path: Path) -> Path:
    """A folder with only default.toml: every store has a policy."""
    path.mkdir(parents=True)
    (path / "default.toml").write_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    return path


def arriving(email: str, hosted: str | None = None, **lists: str) -> Visitor:
    settings = load_settings()
    claims: dict[str, object] = {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "iss": GOOGLE,
    }
    if hosted:
        claims["hd"] = hosted
    return Visitor.arriving(
        Door.SIGN_IN,
        claims,
        settings.clerk_emails,
        settings.owner_emails,
        (),
        settings.clerk_stores,
        settings.owner_stores,
    )


def test_owner_entries_name_one_or_several_stores_and_an_entry_without_is_the_chain(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", OWNERS)
    settings = load_settings()
    assert settings.owner_emails == (
        "dona@loja.com.br",
        "gerente@loja.com.br",
        "sul@loja.com.br",
        "@rede.com.br",
    )
    assert settings.owner_stores == {
        "gerente@loja.com.br": frozenset({"centro"}),
        "sul@loja.com.br": frozenset({"sul", "sul-2"}),
        "@rede.com.br": frozenset({"sul"}),
    }


def test_a_visitor_carries_the_stores_of_their_owner_entry(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", OWNERS)
    monkeypatch.setenv("CLERK_EMAILS", "ana@loja.com.br=centro")
    assert arriving("Gerente@Loja.com.br").stores == frozenset({"centro"})
    assert arriving("sul@loja.com.br").stores == frozenset({"sul", "sul-2"})
    chain = arriving("dona@loja.com.br")
    assert chain.role is Role.OWNER and chain.stores is None
    by_domain = arriving("bia@rede.com.br", hosted="rede.com.br")
    assert by_domain.role is Role.OWNER and by_domain.stores == frozenset({"sul"})
    clerk = arriving("ana@loja.com.br")
    assert clerk.role is Role.CLERK and clerk.stores is None  # clerks open no owner's page


def test_without_sign_in_the_visitor_reads_every_store(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", OWNERS)
    visitor = Visitor.arriving(Door.OPEN_LOCAL, {}, (), load_settings().owner_emails)
    assert visitor.role is Role.OWNER and visitor.stores is None
    assert readable_stores(visitor) is None


def test_a_limited_owner_never_receives_another_stores_id() -> None:
    owner = Visitor(Door.SIGN_IN, True, "g@loja.com.br", Role.OWNER, stores=frozenset({"centro"}))
    assert readable_stores(owner) == ("centro",)
    assert readable_stores(owner, ["centro", "sul"]) == ("centro",)
    assert readable_stores(owner, ["sul"]) == ("centro",)  # wholly foreign: theirs only
    assert readable_stores(owner, []) == ("centro",)
    assert readable_stores(owner, ["../centro", "Centro"]) == ("centro",)
    two = Visitor(Door.SIGN_IN, True, "s@loja.com.br", Role.OWNER, stores=frozenset({"sul", "b"}))
    assert readable_stores(two) == ("b", "sul")
    assert readable_stores(two, ["sul", "centro"]) == ("sul",)


def test_a_chain_owner_reads_the_whole_chain_or_the_stores_chosen() -> None:
    chain = Visitor(Door.SIGN_IN, True, "dona@loja.com.br", Role.OWNER)
    assert readable_stores(chain) is None
    assert readable_stores(chain, []) is None
    assert readable_stores(chain, ["sul", "centro"]) == ("centro", "sul")
    assert readable_stores(chain, ["Sul"]) is None  # not a store id: nothing narrowed to it


@pytest.mark.parametrize(
    "bad",
    [
        "gerente@loja.com.br=Centro",
        "gerente@loja.com.br=",
        "gerente@loja.com.br=centro+",
        "gerente@loja.com.br=centro++sul",
        "gerente@loja.com.br=centro,sul@x.com.br=+sul",
    ],
)
def test_an_owner_entry_whose_store_is_not_a_slug_is_refused_naming_owner_emails(
    folder: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", bad)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    assert [(p.key, p.code) for p in refused.value.problems] == [("OWNER-EMAILS", "store_entry")]


def test_several_stores_are_only_an_owners_form() -> None:
    with pytest.raises(BadStoreEntry):
        parse_entries("ana@loja.com.br=centro+sul")  # a clerk prices for one store
    assert parse_entries("g@loja.com.br=centro+sul", several=True) == {
        "g@loja.com.br": "centro+sul"
    }


def test_an_owners_store_with_no_policy_stops_the_start_naming_owner_emails(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", "gerente@loja.com.br=loja+centro")
    settings = load_settings()  # one policy file: only STORE-ID (loja) has a policy
    problems = check_listed_stores(settings)
    assert [(p.key, p.code, p.value) for p in problems] == [
        ("OWNER-EMAILS", "store_policy", "centro")
    ]
    with pytest.raises(PolicyError) as refused:
        store_policies_from_settings(settings)
    assert refused.value.key == "OWNER_EMAILS" and "'centro'" in str(refused.value)


def test_a_policy_folder_with_a_default_prices_every_owners_store(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_EMAILS", "gerente@loja.com.br=centro+sul")
    monkeypatch.setenv("POLICY_PATH", str(policy_folder(folder / "policies")))
    settings = load_settings()
    assert check_listed_stores(settings) == []
    policies = store_policies_from_settings(settings)
    assert policies.has_policy("centro") and policies.has_policy("sul")


def test_the_app_does_not_open_with_an_owners_store_it_cannot_price(clean_env: Path) -> None:
    at = app({"OWNER-EMAILS": "gerente@loja.com.br=centro"})
    assert not at.exception
    assert [t.value for t in at.title] == ["Configuração com erro"]
    assert "**OWNER-EMAILS** nomeia uma loja que não tem política" in at.error[0].value
    assert "(valor atual: `centro`)" in at.error[0].value


def test_the_sidebar_says_the_clerks_store_and_the_limited_owners_stores(clean_env: Path) -> None:
    lists = {"CLERK-EMAILS": f"{CLERK}=loja", "OWNER-EMAILS": f"{OWNER}=loja"}
    clerk = " ".join(c.value for c in app(lists, user=CLERK).sidebar.caption)
    assert "Perfil: balconista" in clerk and "Loja: Loja" in clerk
    owner = " ".join(c.value for c in app(lists, user=OWNER).sidebar.caption)
    assert "Perfil: dono da loja" in owner and "Lojas: Loja" in owner
    chain = " ".join(c.value for c in app(user=OWNER).sidebar.caption)
    assert "Loja" not in chain.replace("dono da loja", "")  # a chain owner: no store named
