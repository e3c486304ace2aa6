"""What sign-in costs, measured in one run so the numbers compare on a noisy machine.

1. AppTest: the cost of one rerun of the app (estimate page) with sign-in on and a signed-in
   owner, against the same rerun with sign-in off (embedded default). The difference is the
   door: reading st.user, the role check, the sidebar account box, the hidden refused pages.
2. The door's decisions alone (settings validation, Visitor, decide for every page), in
   microseconds, reported as a share of (1)'s rerun.
3. Real Chromium against a real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock):
   from the click on "Entrar com a conta da loja" to the estimate page's form, through the
   provider's form, against loading the estimate page with sign-in off (same server kind, same
   run).

    python bench/bench_auth.py [--repeat 30] [--browser-repeat 5] [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from laptop_pricing.access import PAGE_ROLES, Door, Visitor, decide  # noqa: E402
from laptop_pricing.settings import load_settings  # noqa: E402
from tests.app_fixtures import OWNER, SIGN_IN  # noqa: E402
from tests.browser_support import StreamlitServer, chromium_browser, free_port  # noqa: E402
from tests.oidc_support import SIGN_IN_BUTTON, oidc_provider, sign_in, write_secrets  # noqa: E402

APP = str(REPO_ROOT / "app.py")
FORM_READY = "Calcular oferta"


def started_app(signed_in: bool) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if signed_in:
        for key, value in SIGN_IN.items():
            at.secrets[key] = value
        at.user = {"is_logged_in": True, "email": OWNER, "email_verified": True}
    at.run()  # first run: imports, model warm-up
    assert not at.exception and at.button(key="submit"), "the estimate page did not open"
    return at


def apptest_rerun_ms(repeat: int) -> tuple[list[float], list[float]]:
    """Reruns of the two apps interleaved, so machine noise falls on both alike."""
    apps = {False: started_app(False), True: started_app(True)}
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(repeat):
        for signed_in, at in apps.items():
            started = time.perf_counter()
            at.run()
            times[signed_in].append((time.perf_counter() - started) * 1000)
    return times[False], times[True]


def decisions_us(repeat: int) -> float:
    secrets = {**SIGN_IN}
    claims = {"is_logged_in": True, "email": OWNER, "email_verified": True}
    started = time.perf_counter()
    for _ in range(repeat):
        settings = load_settings(secrets)
        visitor = Visitor.arriving(
            Door.SIGN_IN, claims, settings.clerk_emails, settings.owner_emails
        )
        for page in PAGE_ROLES:
            decide(visitor, page)
    return (time.perf_counter() - started) / repeat * 1e6


def browser_ms(repeat: int, folder: Path) -> tuple[list[float], list[float]]:
    env = {"PREDICTIONS_DIR": str(folder / "predictions")}
    signed, plain = [], []
    with oidc_provider() as provider, chromium_browser() as browser:
        secrets = write_secrets(folder, provider, **{"OWNER-EMAILS": OWNER})
        open_secrets = write_secrets(folder / "open", None)
        with (
            StreamlitServer(env=env, secrets_file=secrets, port=free_port()) as door,
            StreamlitServer(env=env, secrets_file=open_secrets) as open_app,
        ):
            for _ in range(repeat):
                context = browser.new_context()
                page = context.new_page()
                page.goto(door.url)
                page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=60_000)
                started = time.perf_counter()
                sign_in(page, door.url, OWNER)  # the click, the provider's form, the callback
                page.get_by_text(FORM_READY).first.wait_for(timeout=60_000)
                signed.append((time.perf_counter() - started) * 1000)
                context.close()

                context = browser.new_context()
                page = context.new_page()
                started = time.perf_counter()
                page.goto(open_app.url)
                page.get_by_text(FORM_READY).first.wait_for(timeout=60_000)
                plain.append((time.perf_counter() - started) * 1000)
                context.close()
    return signed, plain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--browser-repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    os.environ["PREDICTIONS_DIR"] = tempfile.mkdtemp(prefix="bench-auth-")

    off, on = apptest_rerun_ms(args.repeat)
    door = decisions_us(2000)
    off_ms, on_ms = statistics.median(off), statistics.median(on)
    print(f"AppTest rerun, estimate page, median of {args.repeat}:")
    print(f"  sign-in off (embedded default)   {off_ms:7.1f} ms   1.00")
    print(f"  sign-in on, owner signed in      {on_ms:7.1f} ms   {on_ms / off_ms:.2f}")
    print(f"  extra per rerun                  {on_ms - off_ms:+7.1f} ms")
    print(
        f"  settings + role + every page's verdict: {door:.0f} µs "
        f"({door / 1000 / on_ms:.1%} of a rerun)"
    )
    if args.no_browser:
        return
    with tempfile.TemporaryDirectory() as folder:
        signed, plain = browser_ms(args.browser_repeat, Path(folder))
    signed_ms, plain_ms = statistics.median(signed), statistics.median(plain)
    print(f"Chromium, median of {args.browser_repeat}:")
    print(f"  estimate page, sign-in off (goto -> form)        {plain_ms:7.0f} ms   1.00")
    print(
        f"  sign-in click -> provider -> estimate form       {signed_ms:7.0f} ms   "
        f"{signed_ms / plain_ms:.2f}"
    )


if __name__ == "__main__":
    main()
