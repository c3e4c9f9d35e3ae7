"""Reconciliation rules of analytics.md B4.2, on hand-made inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from croupier.engagement.pipeline import PipelineConfig
from croupier.engagement.pipeline.fuzzy import greedy_one_to_one
from croupier.engagement.pipeline.io import load_inputs
from croupier.engagement.pipeline.reconcile import Reconciliation, reconcile

from .test_pipeline_support import af, pg, write_inputs

CFG = PipelineConfig()


def run(tmp_path: Path, purchases: list[dict], gateway: list[dict]) -> Reconciliation:
    inputs = load_inputs(write_inputs(tmp_path / "in", purchases, gateway), CFG)
    assert inputs.bad_rows.height == 0, inputs.bad_rows.to_dicts()
    return reconcile(inputs.purchases, inputs.payments, CFG)


def outcomes(recon: Reconciliation) -> dict[str, str]:
    """event_id (or psp_txn_id for PG_ONLY) -> outcome."""
    pairs = recon.pairs.with_columns(pl.coalesce("event_id", "psp_txn_id").alias("id"))
    return dict(pairs.select("id", "outcome").iter_rows())


def matched_pairs(recon: Reconciliation) -> set[tuple[str, str]]:
    both = recon.pairs.filter(pl.col("psp_txn_id").is_not_null() & pl.col("event_id").is_not_null())
    return set(both.select("event_id", "psp_txn_id").iter_rows())


@pytest.mark.parametrize(
    ("pg_time", "expected"),
    [
        ("2024-03-01T10:10:00Z", "MATCHED_FUZZY"),  # +10:00, inclusive
        ("2024-03-01T09:50:00Z", "MATCHED_FUZZY"),  # -10:00, inclusive
        ("2024-03-01T10:10:01Z", "AF_ONLY"),  # +10:01
        ("2024-03-01T09:49:59Z", "AF_ONLY"),  # -10:01
    ],
)
def test_window_edges_are_inclusive_at_ten_minutes(tmp_path, pg_time, expected):
    recon = run(tmp_path, [af("e1", "2024-03-01T10:00:00Z")], [pg("t1", pg_time)])
    assert outcomes(recon)["e1"] == expected
    if expected == "AF_ONLY":
        assert outcomes(recon)["t1"] == "PG_ONLY"


def test_equal_purchases_minutes_apart_pair_one_to_one_by_nearest_time(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z"), af("e2", "2024-03-01T10:03:00Z")]
    gateway = [pg("t1", "2024-03-01T10:00:40Z"), pg("t2", "2024-03-01T10:03:20Z")]
    recon = run(tmp_path, purchases, gateway)
    # e1-t2 (200 s) and e2-t1 (140 s) are also admissible; nearest first wins.
    assert matched_pairs(recon) == {("e1", "t1"), ("e2", "t2")}
    assert recon.counts["MATCHED_FUZZY"] == 2


def test_single_confirmation_goes_to_the_nearer_of_two_equal_purchases(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z"), af("e2", "2024-03-01T10:03:00Z")]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:02:30Z")])
    assert matched_pairs(recon) == {("e2", "t1")}
    assert outcomes(recon)["e1"] == "AF_ONLY"


def test_same_amount_in_another_currency_is_not_matched(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z", currency="USD")]
    gateway = [pg("t1", "2024-03-01T10:00:05Z", currency="EUR", fx_rate="1.1")]
    recon = run(tmp_path, purchases, gateway)
    assert outcomes(recon) == {"e1": "AF_ONLY", "t1": "PG_ONLY"}


def test_duplicates_keep_the_first_and_label_the_rest(tmp_path):
    purchases = [
        af("e1", "2024-03-01T10:00:00Z", order_id="o1"),
        af("e1", "2024-03-01T10:00:07Z", order_id="o1"),  # a resend of the same event
        af("e2", "2024-03-01T10:00:03Z", order_id="o1"),  # the same order as a new event
    ]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:00:09Z", order_id="o1")])
    dups = recon.pairs.filter(pl.col("outcome") == "DUPLICATE_AF")
    assert sorted(dups.select("event_id", "duplicate_of").iter_rows()) == [
        ("e1", "e1"),
        ("e2", "e1"),
    ]
    assert matched_pairs(recon) == {("e1", "t1")}
    assert recon.counts["MATCHED_KEY"] == 1


def test_exact_key_with_a_different_amount_is_amount_mismatch(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z", amount="4.99", order_id="o1")]
    gateway = [pg("t1", "2024-03-01T13:00:00Z", 599, order_id="o1")]  # key ignores time
    recon = run(tmp_path, purchases, gateway)
    assert outcomes(recon) == {"e1": "AMOUNT_MISMATCH"}
    assert matched_pairs(recon) == {("e1", "t1")}
    assert recon.match_rate == 1.0


def test_exact_key_with_equal_amount_is_matched_key(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z", revenue=None, revenue_minor="499", order_id="o1")]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:00:30Z", order_id="o1")])
    assert outcomes(recon) == {"e1": "MATCHED_KEY"}


def test_different_order_ids_never_fuzzy_match(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z", order_id="o1")]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:00:05Z", order_id="o2")])
    assert outcomes(recon) == {"e1": "AF_ONLY", "t1": "PG_ONLY"}


def test_dst_night_pair_with_different_offsets_matches_on_utc(tmp_path):
    # New York falls back at 06:00 UTC on 2024-11-03. 01:58 EDT is 05:58Z and 01:03 EST is
    # 06:03Z: five minutes apart, although the local clock reads 55 minutes *earlier*.
    purchases = [af("e1", "2024-11-03T01:58:00-04:00", install_time="2024-11-01T00:00:00Z")]
    gateway = [pg("t1", "2024-11-03T01:03:00-05:00")]
    recon = run(tmp_path, purchases, gateway)
    assert outcomes(recon) == {"e1": "MATCHED_FUZZY"}


def test_naive_local_time_with_zone_column_matches_utc_gateway_time(tmp_path):
    purchases = [
        af(
            "e1",
            "2024-07-01 11:00:00",
            event_tz="Europe/London",
            install_time="2024-07-01 09:00:00",
        )
    ]
    recon = run(tmp_path, purchases, [pg("t1", "2024-07-01T10:09:00Z")])  # BST = UTC+1
    assert outcomes(recon) == {"e1": "MATCHED_FUZZY"}


@pytest.mark.parametrize(
    ("af_amount", "expected"), [("99.50", "MATCHED_FUZZY"), ("99.49", "AF_ONLY")]
)
def test_amount_tolerance_is_half_a_percent_of_the_gateway_amount(tmp_path, af_amount, expected):
    purchases = [af("e1", "2024-03-01T10:00:00Z", amount=af_amount)]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:00:01Z", 10_000)])
    assert outcomes(recon)["e1"] == expected


def test_one_minor_unit_is_always_tolerated(tmp_path):
    purchases = [af("e1", "2024-03-01T10:00:00Z", amount="0.98")]
    recon = run(tmp_path, purchases, [pg("t1", "2024-03-01T10:00:01Z", 99)])
    assert outcomes(recon)["e1"] == "MATCHED_FUZZY"


def test_only_captured_payments_are_candidates(tmp_path):
    gateway = [
        pg("t0", "2024-03-01T10:00:01Z", status="failed"),
        pg("t1", "2024-03-01T10:00:30Z"),
    ]
    recon = run(tmp_path, [af("e1", "2024-03-01T10:00:00Z")], gateway)
    assert matched_pairs(recon) == {("e1", "t1")}
    assert recon.ignored_gateway_statuses == {"failed": 1}


def test_captured_at_can_be_the_time_of_truth(tmp_path):
    gateway = [pg("t1", "2024-03-01T09:40:00Z", captured_at="2024-03-01T10:05:00Z")]
    write_inputs(tmp_path / "in", [af("e1", "2024-03-01T10:00:00Z")], gateway)
    cfg = PipelineConfig(gateway_time_column="captured_at")
    inputs = load_inputs(tmp_path / "in", cfg)
    recon = reconcile(inputs.purchases, inputs.payments, cfg)
    assert recon.counts["MATCHED_FUZZY"] == 1


def _reference_greedy(edges: list[tuple[int, int, int, int]]) -> set[tuple[int, int]]:
    """Textbook greedy: edges (af, pg, dt, da) in ascending (dt, da, af, pg) order."""
    used_af: set[int] = set()
    used_pg: set[int] = set()
    chosen = set()
    for a, p, _dt, _da in sorted(edges, key=lambda e: (e[2], e[3], e[0], e[1])):
        if a not in used_af and p not in used_pg:
            used_af.add(a)
            used_pg.add(p)
            chosen.add((a, p))
    return chosen


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_rounds_equal_the_textbook_greedy(seed):
    rng = np.random.default_rng(seed)
    n = 200
    edges = {
        (int(a), int(p)): (int(dt), int(da))
        for a, p, dt, da in zip(
            rng.integers(0, 40, n), rng.integers(0, 40, n), rng.integers(0, 20, n),
            rng.integers(0, 3, n), strict=True)
    }  # fmt: skip
    rows = [(a, p, dt, da) for (a, p), (dt, da) in edges.items()]
    frame = pl.DataFrame(
        {
            "af_row": [r[0] for r in rows],
            "pg_row": [r[1] for r in rows],
            "abs_dt_us": [r[2] for r in rows],
            "abs_da": [r[3] for r in rows],
            "event_id": [f"e{r[0]:03d}" for r in rows],
            "psp_txn_id": [f"t{r[1]:03d}" for r in rows],
        }
    )
    got = set(greedy_one_to_one(frame).select("af_row", "pg_row").iter_rows())
    assert got == _reference_greedy(rows)
