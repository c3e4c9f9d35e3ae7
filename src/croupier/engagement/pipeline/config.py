"""Run-time knobs of the marketing pipeline and the fixed vocabularies it relies on.

Every threshold that the reference (analytics.md B4) calls "configurable" lives in
:class:`PipelineConfig`, so tests and the CLI can change it without touching the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# ISO 4217 minor-unit exponents for the currencies we accept. Anything else is a bad row:
# guessing an exponent would silently turn 499 JPY into 4.99 JPY.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "TRY": 2, "BRL": 2,
    "MXN": 2, "ARS": 2, "CLP": 0, "COP": 2, "PEN": 2, "INR": 2, "IDR": 2, "PHP": 2,
    "THB": 2, "MYR": 2, "SGD": 2, "HKD": 2, "TWD": 2, "CNY": 2, "ZAR": 2, "NGN": 2,
    "EGP": 2, "AED": 2, "SAR": 2, "ILS": 2, "JPY": 0, "KRW": 0, "VND": 0, "ISK": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}  # fmt: skip

# Reconciliation outcomes (analytics.md B4.2 step 4).
MATCHED_KEY = "MATCHED_KEY"
MATCHED_FUZZY = "MATCHED_FUZZY"
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
AF_ONLY = "AF_ONLY"
PG_ONLY = "PG_ONLY"
DUPLICATE_AF = "DUPLICATE_AF"
OUTCOMES = (MATCHED_KEY, MATCHED_FUZZY, AMOUNT_MISMATCH, AF_ONLY, PG_ONLY, DUPLICATE_AF)
# A key match with a wrong amount is still the same order: the gateway amount is the truth,
# so it counts as matched for the match rate and as revenue for ROAS.
MATCHED_OUTCOMES = (MATCHED_KEY, MATCHED_FUZZY, AMOUNT_MISMATCH)

ORGANIC = "organic"
NO_VALUE = "(none)"


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Thresholds for one run. Defaults follow analytics.md B4."""

    # --- reconciliation -------------------------------------------------------------
    match_window_seconds: int = 600  # |t_af - t_pg| <= 10 min, inclusive
    amount_tolerance_ratio_denominator: int = 200  # 0.5 % = 1/200 of the gateway amount
    amount_tolerance_min_minor: int = 1  # ... but never less than one minor unit
    gateway_time_column: str = "authorized_at"  # or "captured_at"
    candidate_statuses: tuple[str, ...] = ("captured",)
    # Reversal rows (refund / chargeback) count only when the money actually moved.
    reversal_statuses: tuple[str, ...] = ("succeeded", "captured", "completed", "lost")

    # --- money ----------------------------------------------------------------------
    reporting_currency: str = "USD"

    # --- ROAS / ARPDAU / anomaly ----------------------------------------------------
    as_of: date | None = None  # None: the last complete UTC day in the data
    roas_window_days: int = 1  # ROAS_D1: revenue over install day d0 .. d0+1
    anomaly_min_spend_minor: int = 10_000  # 100.00 in the reporting currency
    anomaly_weeks: int = 8  # same weekday over the previous 8 weeks
    anomaly_min_history: int = 4  # fewer usable baseline points: not evaluated
    anomaly_threshold: float = 3.5  # Iglewicz-Hoaglin
    arpdau_trend_days: int = 28
    charts: bool = True
    currency_exponents: dict[str, int] = field(default_factory=lambda: dict(CURRENCY_EXPONENTS))

    @property
    def window_us(self) -> int:
        """The match window in microseconds, the unit our UTC timestamps are stored in."""
        return self.match_window_seconds * 1_000_000
