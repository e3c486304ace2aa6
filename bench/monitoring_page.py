"""The monitoring page itself in ``bench/bench_monitoring.py``: the children that open it through
AppTest in a fresh process (directly, or after the clerk's estimate page), and the lines the
parent prints from them (cold seconds, warm reruns, figure bytes, peak RSS against a target)."""

from __future__ import annotations

import statistics
import time

from monitoring_process import REPO, peak_rss_mb, run_child
from monitoring_year import BUCKET, END, PREFIX

RSS_TARGET_MB = 400  # the single store's target (issue 25 asks 300 MB of a chain's page)


def verdict(rss_mb: float, target_mb: float = RSS_TARGET_MB) -> str:
    return "met" if rss_mb <= target_mb else "NOT met"


def _page(endpoint: str, estimate_first: bool) -> dict:
    """The page through AppTest in this fresh process: one day first (the process's peak with
    the page open: the same-run baseline of the memory target), then the whole year cold, warm
    ``st.cache_data`` reruns and "Atualizar" (Streamlit caches cleared: the rollup is read
    again). With ``estimate_first`` the clerk's estimate page (and its model) runs first."""
    from streamlit.testing.v1 import AppTest

    from components.monitoring_panels import RANGE_KEY
    from tests.app_fixtures import OWNER, SIGN_IN

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.secrets["PREDICTIONS-BUCKET"] = BUCKET
    at.secrets["PREDICTIONS-PREFIX"] = PREFIX
    at.secrets["AWS-ENDPOINT-URL"] = endpoint
    # A bucket is a production setting: the monitoring page opens for a signed-in owner only.
    for key, value in SIGN_IN.items():
        at.secrets[key] = value
    at.user = {"is_logged_in": True, "email": OWNER, "email_verified": True}
    rss = {"imports": peak_rss_mb()}
    if estimate_first:
        at.run()
        rss["estimate_page"] = peak_rss_mb()
    at.switch_page("views/monitoring.py")
    at.session_state[RANGE_KEY] = (END, END)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    rss["one_day"] = peak_rss_mb()
    at.segmented_control(key="monitoring_preset").set_value("Tudo")
    t0 = time.perf_counter()
    at.run()  # the whole year: one cold load of every file
    year_cold = time.perf_counter() - t0
    rss["year"] = peak_rss_mb()
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    figure_bytes = [len(chart.proto.spec.encode("utf-8")) for chart in at.get("plotly_chart")]
    refreshes = []
    for _ in range(2):
        at.button(key="monitoring_refresh").click()
        t0 = time.perf_counter()
        at.run()  # the click's run: caches cleared, every file read again
        refreshes.append(time.perf_counter() - t0)
    rss["after_refreshes"] = peak_rss_mb()
    assert not at.exception, [e.value for e in at.exception]
    return {
        "first_run_one_day": first,
        "year_cold_run": year_cold,
        "warm_reruns": warm,
        "refreshes": refreshes,
        "requests_shown": next(m.value for m in at.metric if m.label == "Pedidos no período"),
        "figure_bytes": figure_bytes,
        "rss": rss,
    }


def child_page(endpoint: str) -> dict:
    return _page(endpoint, estimate_first=False)


def child_page_after_estimate(endpoint: str) -> dict:
    return _page(endpoint, estimate_first=True)


def versus(baseline: float | None, seconds: float) -> str:
    return "" if baseline is None else f" -> {baseline / seconds:.2f}x"


def pages(
    endpoint: str,
    b: float | None = None,
    dev: bool = True,
    target_mb: float = RSS_TARGET_MB,
    cold_target_s: float | None = None,
) -> None:
    """The page processes: monitoring opened directly, then after the estimate page. With
    ``cold_target_s`` the year's cold run is judged against it too."""
    page = run_child("page", endpoint)
    mem = page["rss"]
    w = statistics.median(page["warm_reruns"])
    cold = page["year_cold_run"]
    judged = ""
    if cold_target_s is not None:
        met = "met" if cold <= cold_target_s else "NOT met"
        judged = f" (target <= {cold_target_s:g} s: {met})"
    print(
        f"page (AppTest, fresh process, monitoring page opened directly): first run, one "
        f"day {page['first_run_one_day']:.2f} s; whole year cold "
        f"{cold:.2f} s{versus(b, cold)}{judged}; warm reruns "
        f"{', '.join(f'{x:.2f}' for x in page['warm_reruns'])} s{versus(b, w)}; "
        f"'Atualizar' {', '.join(f'{x:.2f}' for x in page['refreshes'])} s; "
        f"shows {page['requests_shown']} requests"
    )
    print(
        f"figure JSON for the year: {sum(page['figure_bytes']):,} bytes in "
        f"{len(page['figure_bytes'])} figures"
    )
    print(
        f"page process peak RSS (VmHWM): one day {mem['one_day']:.0f} MB (same-run "
        f"baseline), whole year {mem['year']:.0f} MB (+{mem['year'] - mem['one_day']:.0f}), "
        f"after two 'Atualizar' {mem['after_refreshes']:.0f} MB  (target <= {target_mb:g} "
        f"MB: {verdict(max(mem['year'], mem['after_refreshes']), target_mb)})"
    )
    after = run_child("page_after_estimate", endpoint)
    first = after["rss"]
    print(
        f"the same, after the clerk's estimate page ran in the process (model loaded): "
        f"estimate page {first['estimate_page']:.0f} MB, then monitoring one day "
        f"{first['one_day']:.0f} MB, whole year {first['year']:.0f} MB "
        f"(+{first['year'] - first['one_day']:.0f}; target <= {target_mb:g} MB: "
        f"{verdict(first['year'], target_mb)}); whole year cold {after['year_cold_run']:.2f} s"
    )
    if not dev:
        return
    dev_rss = run_child("page_after_estimate", endpoint, installed="dev")["rss"]
    print(
        f"the same with scikit-learn importable (LightGBM then imports it): estimate page "
        f"{dev_rss['estimate_page']:.0f} MB, whole year {dev_rss['year']:.0f} MB -> "
        f"requirements.txt alone saves {dev_rss['year'] - first['year']:.0f} MB "
        f"({first['year'] / dev_rss['year']:.2f}x)"
    )
