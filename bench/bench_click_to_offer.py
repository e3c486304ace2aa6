"""Click -> offer on screen in real Chromium, against a hello-world Streamlit app's click -> text,
both served side by side in the same run (issue 22, item 15; target: ratio <= 2).

    python bench/bench_click_to_offer.py [--repeats 7]

Each repeat opens a fresh session of the estimate page (1366 x 768), chooses the laptop and
answers the condition, then times the click on *Calcular oferta* until the offer's amount is
visible; and opens a fresh session of the hello-world app and times its button click until its
text is visible. The two alternate, so both see the same load. Medians are printed with the
ratio. The clerk's details are drawn after the offer card, folded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser_support import (  # noqa: E402
    StreamlitServer,
    answer_condition,
    chromium_browser,
    open_app,
    wait_for_app_idle,
)

HELLO = """import streamlit as st

st.title("Olá")
if st.button("Clique"):
    st.write("Texto depois do clique")
"""
SCREEN = (1366, 768)
OFFER = ".st-key-offer_card [data-testid='stMetricValue']"


def click_to_offer(browser, server) -> float:
    page = open_app(browser, server, SCREEN)
    answer_condition(page)
    button = page.get_by_role("button", name="Calcular oferta")
    button.scroll_into_view_if_needed()
    start = time.perf_counter()
    button.click()
    page.locator(OFFER).wait_for(state="visible", timeout=30_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def click_to_text(browser, server) -> float:
    page = browser.new_page(viewport={"width": SCREEN[0], "height": SCREEN[1]})
    page.goto(server.url)
    page.get_by_role("button", name="Clique").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Clique").click()
    page.get_by_text("Texto depois do clique").wait_for(state="visible", timeout=30_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        hello = Path(folder) / "hello.py"
        hello.write_text(HELLO, encoding="utf-8")
        with (
            StreamlitServer(env={"PREDICTIONS_DIR": str(Path(folder) / "log")}) as app,
            StreamlitServer(script=str(hello), cwd=Path(folder)) as floor,
            chromium_browser() as browser,
        ):
            click_to_offer(browser, app)  # warm: the model load and first imports
            click_to_text(browser, floor)
            offers, texts = [], []
            for _ in range(args.repeats):
                offers.append(click_to_offer(browser, app))
                texts.append(click_to_text(browser, floor))
    offer_ms = statistics.median(offers) * 1000
    text_ms = statistics.median(texts) * 1000
    print(f"click -> offer on screen, median of {args.repeats}: {offer_ms:.0f} ms")
    print(f"hello-world click -> text, median of {args.repeats}: {text_ms:.0f} ms")
    print(f"ratio: {offer_ms / text_ms:.2f}x (target <= 2)")
    print("each click -> offer (ms):", " ".join(f"{t * 1000:.0f}" for t in offers))
    print("each hello-world click -> text (ms):", " ".join(f"{t * 1000:.0f}" for t in texts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
