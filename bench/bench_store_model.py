"""The store-trained used-price model against the rule, and the advisor's coverage, on synthetic
years.

    python bench/bench_store_model.py [--quotes 1200] [--model-seeds 10] [--advisor-seeds 50]

* Store model: for each of ``--model-seeds`` synthetic years (planted rule: gamer 61 %, thin and
  light 55 %, uso geral 50 %, deductions unlike the policy's), the held-out MAPE of the store
  model and of the rule (market estimate × resale share − condition deductions) on the same
  latest three months of sales; prints the median ratio (target ≤ 0.7) and, as a control, the
  same on years where the policy's rule is the truth (the model should not beat it).
* Advisor: for ``--advisor-seeds`` years, how often each segment's 95 % interval of the realized
  share contains the planted share (target ≥ 90 %).
* Figures: the time ``resale_figures`` takes for one year (what the "Estoque e revenda" section
  adds to the monitoring page's cold load; target ≤ 0.5 s), with the time to read the year's
  items from its folder, the page's own load, as its baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from laptop_pricing.resale.advisor import advise  # noqa: E402
from laptop_pricing.resale.figures import resale_figures  # noqa: E402
from laptop_pricing.resale.resale_terms import load_resale_terms  # noqa: E402
from laptop_pricing.resale.synthetic import (  # noqa: E402
    PLANTED,
    YearPlan,
    generate_year,
    model_catalog,
    policy_rule,
)
from laptop_pricing.resale.synthetic_files import read_items, write_year  # noqa: E402
from laptop_pricing.trade_in.policy import load_policy  # noqa: E402
from laptop_pricing.training.store_model import compare_with_rule  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=1200)
    parser.add_argument("--model-seeds", type=int, default=10)
    parser.add_argument("--advisor-seeds", type=int, default=50)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    policy, terms, catalog = load_policy(), load_resale_terms(), model_catalog()
    plan = YearPlan(quotes=args.quotes)

    for name, rule in (("planted", PLANTED), ("policy is right", policy_rule(policy))):
        ratios, model_mapes, rule_mapes = [], [], []
        for seed in range(args.model_seeds):
            year = generate_year(seed, plan, rule, catalog, policy)
            _, comparison = compare_with_rule(year.sold, policy, terms)
            ratios.append(comparison.ratio)
            model_mapes.append(comparison.model_mape)
            rule_mapes.append(comparison.rule_mape)
        print(
            f"store model, {name}: held-out MAPE median {statistics.median(model_mapes):.4f} vs "
            f"rule {statistics.median(rule_mapes):.4f}; ratio median "
            f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}) "
            f"over {args.model_seeds} years"
        )

    covered: dict[str, int] = {}
    spoke: dict[str, int] = {}
    for seed in range(args.advisor_seeds):
        year = generate_year(seed, plan, PLANTED, catalog, policy)
        for evidence in advise(year.sold, policy, terms.min_sales_per_segment).shares:
            spoke[evidence.segment] = spoke.get(evidence.segment, 0) + 1
            hit = evidence.contains(PLANTED.resale_share[evidence.segment])
            covered[evidence.segment] = covered.get(evidence.segment, 0) + hit
    for segment, times in spoke.items():
        print(
            f"advisor, {segment}: interval contains the planted "
            f"{PLANTED.resale_share[segment]:.2f} in {covered[segment]}/{times} years "
            f"({covered[segment] / times:.0%}; n >= {terms.min_sales_per_segment})"
        )

    year = generate_year(0, plan, PLANTED, catalog, policy)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_year(year, Path(tmp))
        start = time.perf_counter()
        sold, stocked = read_items(folder)
        read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    resale_figures(sold, stocked, policy, terms, year.end)
    figure_seconds = time.perf_counter() - start
    print(
        f"figures: resale_figures {figure_seconds:.3f} s for {len(sold)} sales and "
        f"{len(stocked)} in stock; reading the items {read_seconds:.3f} s "
        f"(ratio {figure_seconds / read_seconds:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
