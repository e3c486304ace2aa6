"""The policy advisor: the resale share and deductions the store's own sales support.

A suggestion, never a change: the owner edits the policy file. Per segment (uso geral, gamer,
fino e leve), the **realized share** is sale ÷ market estimate over the sales of laptops with no
defect (the policy's ``resale_share_pct`` prices exactly those), summarised by its median with a
distribution-free 95 % interval (the order statistics whose binomial coverage is at least 95 %:
exact for any distribution of shares, no resampling, the same answer every time). A segment
speaks once it has ``[resale] min_sales_per_segment`` such sales.

Deductions: every sale, divided by its segment's realized share, says what fraction of a
perfect laptop's price its answers cost (``1 − sale ÷ (market × share)``); a least-squares fit of
that on the answers (one column per answer that is not a question's best) gives each answer's
deduction with a t interval, shown for answers seen in enough sales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special  # not scipy.stats: its import costs the page ~0.5 s

from laptop_pricing.formatting import format_int, format_percent
from laptop_pricing.resale.sales import SEGMENT_PHRASES, SEGMENTS, SoldItem
from laptop_pricing.trade_in.condition import QUESTIONS, answer_ref
from laptop_pricing.trade_in.policy import StorePolicy

CONFIDENCE = 0.95


@dataclass(frozen=True)
class ShareEvidence:
    """One segment's realized share (0–1) of the market estimate, against the policy's."""

    segment: str
    n: int  # sales without defects
    median: float
    low: float
    high: float
    policy_share: float

    @property
    def agrees(self) -> bool:
        """The policy's share lies inside the interval: the sales do not contradict it."""
        return self.low <= self.policy_share <= self.high

    def contains(self, share: float) -> bool:
        return self.low <= share <= self.high


@dataclass(frozen=True)
class DeductionEvidence:
    """One answer's deduction (0–1 of a perfect laptop's sale price) the sales show."""

    answer_ref: str  # "screen.scratched"
    label: str  # "Tela: Riscos leves"
    n: int  # sales with this answer
    estimate: float
    low: float
    high: float
    policy_deduction: float

    @property
    def agrees(self) -> bool:
        return self.low <= self.policy_deduction <= self.high


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The distribution-free interval for a median: order statistics ``x(j)``, ``x(n−j+1)``
    with the largest ``j`` whose coverage ``1 − 2·P(Binom(n, ½) ≤ j − 1)`` is at least
    ``confidence``. Needs at least 6 values at 95 %."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    tail = (1 - confidence) / 2
    cdf = special.bdtr(np.arange(n + 1), n, 0.5)  # P(B <= k) for k = 0..n
    j = int(np.argmax(cdf >= tail))  # smallest j with P(B <= j) >= tail
    while j >= 1 and cdf[j - 1] > tail:
        j -= 1
    if j < 1:
        raise ValueError(f"{n} values are too few for a {confidence:.0%} interval of a median")
    return float(ordered[j - 1]), float(ordered[n - j])


def share_evidence(
    sold: Sequence[SoldItem], policy: StorePolicy, min_sales: int
) -> tuple[ShareEvidence, ...]:
    """Each segment with at least ``min_sales`` sales without defects, in schema order."""
    found = []
    for segment in SEGMENTS:
        shares = [s.realized_share for s in sold if s.segment == segment and s.perfect]
        if len(shares) < max(min_sales, 6):
            continue
        low, high = median_interval(shares)
        found.append(
            ShareEvidence(
                segment,
                len(shares),
                float(np.median(shares)),
                low,
                high,
                policy.resale_share_pct / 100,
            )
        )
    return tuple(found)


def _answer_labels() -> Mapping[str, str]:
    return {
        answer_ref(q, a): f"{q.short_label}: {a.label}" for q in QUESTIONS for a in q.answers[1:]
    }


def deduction_evidence(
    sold: Sequence[SoldItem],
    shares: Sequence[ShareEvidence],
    policy: StorePolicy,
    min_sales: int,
) -> tuple[DeductionEvidence, ...]:
    """Each defect's deduction, fitted on the sales of the segments that have a share."""
    share_of = {e.segment: e.median for e in shares}
    usable = [s for s in sold if s.segment in share_of]
    answered = [_refs(s) for s in usable]
    labels = _answer_labels()
    refs = [r for r in labels if sum(r in given for given in answered) >= min_sales]
    if not refs or len(usable) <= len(refs) + 1:
        return ()
    x = np.array([[r in given for r in refs] for given in answered], dtype=float)
    y = np.array([1 - s.realized_share / share_of[s.segment] for s in usable])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    dof = len(usable) - len(refs)
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * np.linalg.pinv(x.T @ x)
    half = special.stdtrit(dof, 0.5 + CONFIDENCE / 2) * np.sqrt(np.diag(covariance))
    found = []
    for i, ref in enumerate(refs):
        question, answer = ref.split(".", 1)
        found.append(
            DeductionEvidence(
                ref,
                labels[ref],
                int(x[:, i].sum()),
                float(coef[i]),
                float(coef[i] - half[i]),
                float(coef[i] + half[i]),
                policy.deduction_pct(question, answer) / 100,
            )
        )
    return tuple(found)


def _refs(sale: SoldItem) -> frozenset[str]:
    return frozenset(ref for _, _, ref in sale.condition.answer_refs)


def _pct(share: float) -> str:
    return format_percent(share, 0)


def share_suggestion(evidence: ShareEvidence) -> str:
    """The owner's sentence, e.g. "notebooks gamer: vendemos a 61% do valor de mercado; a
    política usa 50%", with its evidence."""
    phrase = SEGMENT_PHRASES[evidence.segment]
    basis = (
        f"mediana de {format_int(evidence.n)} vendas sem defeitos; intervalo de 95%: "
        f"{_pct(evidence.low)} a {_pct(evidence.high)}"
    )
    if evidence.agrees:
        return (
            f"{phrase}: vendemos a {_pct(evidence.median)} do valor de mercado; a política usa "
            f"{_pct(evidence.policy_share)}, dentro do que as vendas mostram ({basis})."
        )
    return (
        f"{phrase}: vendemos a {_pct(evidence.median)} do valor de mercado; a política usa "
        f"{_pct(evidence.policy_share)} ({basis}). Sugestão: rever a participação de revenda "
        "(resale_share_pct) na política."
    )


def deduction_suggestion(evidence: DeductionEvidence) -> str:
    basis = (
        f"{format_int(evidence.n)} vendas; intervalo de 95%: {_pct(max(0.0, evidence.low))} a "
        f"{_pct(evidence.high)}"
    )
    verdict = "dentro do que as vendas mostram" if evidence.agrees else "sugestão: rever"
    return (
        f"{evidence.label}: as vendas mostram {_pct(max(0.0, evidence.estimate))} a menos; a "
        f"política desconta {_pct(evidence.policy_deduction)} ({basis}; {verdict})."
    )


@dataclass(frozen=True)
class Advice:
    """What the sales support, segment by segment and defect by defect, with the sentences."""

    shares: tuple[ShareEvidence, ...]
    deductions: tuple[DeductionEvidence, ...]
    min_sales: int

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(share_suggestion(e) for e in self.shares) + tuple(
            deduction_suggestion(d) for d in self.deductions if not d.agrees
        )


def advise(sold: Sequence[SoldItem], policy: StorePolicy, min_sales: int) -> Advice:
    shares = share_evidence(sold, policy, min_sales)
    return Advice(shares, deduction_evidence(sold, shares, policy, min_sales), min_sales)
