"""ROAS, ARPDAU and chargeback restatement against numbers computed by hand.

The fixture (all amounts in cents, reporting currency USD):

===  ======  ========  ===================  =========================  ==================
id   player  campaign  purchase (UTC)       gateway                     reversal
===  ======  ========  ===================  =========================  ==================
e1   p1      fb/c1/s1  03-01 10:00  4.99    t1 key o1, 499              refund 100, 03-20
e2   p1      fb/c1/s1  03-02 12:00  9.99    t2 fuzzy +60 s, 999
e3   p1      fb/c1/s1  03-03 09:00  1.99    t3 key o3, 199 (day 2)
e4   p2      fb/c1/s1  03-01 20:00  10 EUR  t4 key o4, 1000 EUR @1.10   chargeback, 04-01
e5   p2      fb/c1/s1  03-02 21:00  2.00    none -> AF_ONLY
e6   p3      g/c2/s2   03-02 10:00  5.00    t6 key o6, 500              refund *failed*
t7   p9      -         03-02 15:00          3.00 -> PG_ONLY (organic)
===  ======  ========  ===================  =========================  ==================

p1, p2 installed 03-01 (fb/c1/s1); p3 installed 03-02 (g/c2/s2).
ROAS_D1 of fb/c1/s1, cohort 03-01 = (499 - 100 + 999 + 1100 - 1100) / 2000 = 1398 / 2000.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from croupier.engagement.pipeline import PipelineConfig, run_pipeline

from .test_pipeline_support import af, pg, write_inputs

FB = {"media_source": "fb", "campaign": "c1", "adset": "s1"}
G = {"media_source": "g", "campaign": "c2", "adset": "s2"}
INSTALL_1 = "2024-03-01T08:00:00Z"


def _inputs(folder: Path) -> Path:
    purchases = [
        af("e1", "2024-03-01T10:00:00Z", "4.99", order_id="o1"),
        af("e2", "2024-03-02T12:00:00Z", "9.99"),
        af("e3", "2024-03-03T09:00:00Z", "1.99", order_id="o3"),
        af("e4", "2024-03-01T20:00:00Z", "10.00", currency="EUR", order_id="o4",
           customer_user_id="p2"),
        af("e5", "2024-03-02T21:00:00Z", "2.00", customer_user_id="p2"),
        af("e6", "2024-03-02T10:00:00Z", "5.00", order_id="o6", customer_user_id="p3",
           install_time="2024-03-02T07:00:00Z", **G),
    ]  # fmt: skip
    gateway = [
        pg("t1", "2024-03-01T10:00:20Z", 499, order_id="o1"),
        pg("t2", "2024-03-02T12:01:00Z", 999),
        pg("t3", "2024-03-03T09:00:10Z", 199, order_id="o3"),
        pg("t4", "2024-03-01T20:00:05Z", 1000, order_id="o4", player_id="p2", currency="EUR",
           fx_rate="1.10"),
        pg("t6", "2024-03-02T10:00:03Z", 500, order_id="o6", player_id="p3"),
        pg("t7", "2024-03-02T15:00:00Z", 300, player_id="p9"),
        pg("r1", None, 100, kind="refund", original_psp_txn_id="t1", status="succeeded",
           captured_at="2024-03-20T09:00:00Z"),
        pg("c4", None, 1000, kind="chargeback", original_psp_txn_id="t4", currency="EUR",
           player_id="p2", status="lost", captured_at="2024-04-01T00:00:00Z"),
        pg("r6", None, 500, kind="refund", original_psp_txn_id="t6", player_id="p3",
           status="failed", captured_at="2024-03-04T00:00:00Z"),
    ]  # fmt: skip
    costs = [
        {"date": "2024-03-01", **FB, "spend": "20.00"},
        {"date": "2024-03-02", **FB, "spend": "5.00"},
        {"date": "2024-03-02", **G, "spend_minor": "1000"},
    ]
    sessions = [
        {"player_id": "p1", "session_start": "2024-03-02T11:50:00Z"},
        {"player_id": "p1", "session_start": "2024-03-02T18:00:00Z"},
        {"player_id": "p2", "session_start": "2024-03-02T20:55:00Z"},
        {"player_id": "p3", "session_start": "2024-03-02T09:55:00Z"},
        {"player_id": "p9", "date": "2024-03-02"},
        {"player_id": "p4", "session_start": "2024-03-02T08:00:00Z", **FB},
        {"player_id": "p1", "session_start": "2024-03-01T09:59:00Z"},
    ]
    return write_inputs(folder, purchases, gateway, costs, sessions)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("metrics")
    result = run_pipeline(_inputs(root / "in"), root / "out", PipelineConfig(charts=False))
    assert result.as_of == date(2024, 3, 2)  # newest purchase is on 03-03, a partial day
    assert result.bad_rows == 0
    return root / "out"


def _load(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text())


def _row(rows: list[dict], **key: str) -> dict:
    (match,) = [r for r in rows if all(r[k] == v for k, v in key.items())]
    return match


def test_roas_d1_of_the_newest_complete_cohort(reports):
    body = _load(reports, "roas_d1.json")
    assert body["cohort_day"] == "2024-03-01"
    fb = _row(body["campaigns"], **FB)
    assert fb["spend_minor"] == 2000
    assert fb["gross_revenue_minor"] == 499 + 999 + 1100
    assert fb["reversed_minor"] == 100 + 1100
    assert fb["net_revenue_minor"] == 1398
    assert fb["roas"] == pytest.approx(1398 / 2000)
    assert body["total"] == {"spend_minor": 2000, "net_revenue_minor": 1398, "roas": 0.699}


def test_roas_for_another_as_of_day(tmp_path):
    out = tmp_path / "out"
    cfg = PipelineConfig(as_of=date(2024, 3, 3), charts=False)
    run_pipeline(_inputs(tmp_path / "in"), out, cfg)
    body = _load(out, "roas_d1.json")
    assert body["cohort_day"] == "2024-03-02"
    assert _row(body["campaigns"], **G)["roas"] == pytest.approx(0.5)
    assert _row(body["campaigns"], **FB)["roas"] == 0.0


def test_refund_and_chargeback_are_restated_to_the_original_cohort(reports):
    body = _load(reports, "revenue_chargeback_adjusted.json")
    fb = _row(body["cohorts"], install_day="2024-03-01", **FB)
    assert fb["gross_minor"] == 499 + 999 + 199 + 1100
    assert fb["refund_minor"] == 100
    assert fb["chargeback_minor"] == 1100
    assert fb["net_minor"] == 499 - 100 + 999 + 199 + 1100 - 1100
    g = _row(body["cohorts"], install_day="2024-03-02", **G)
    assert g["net_minor"] == 500  # the failed refund moved no money
    assert body["ignored_reversals"] == 1
    cash = {(r["reversal_day"], r["kind"]): r["amount_minor"] for r in body["cash_view"]}
    assert cash == {("2024-03-20", "refund"): 100, ("2024-04-01", "chargeback"): 1100}
    assert body["rates"]["chargeback_count_rate"] == pytest.approx(1 / 6, abs=1e-6)


def test_arpdau_for_yesterday_per_campaign(reports):
    body = _load(reports, "arpdau_d1.json")
    assert body["day"] == "2024-03-02"
    fb = _row(body["campaigns"], **FB)
    assert (fb["dau"], fb["net_revenue_minor"]) == (3, 999)  # p1, p2, p4; e5 was AF_ONLY
    assert fb["arpdau_minor"] == pytest.approx(333.0)
    assert _row(body["campaigns"], **G)["arpdau_minor"] == pytest.approx(500.0)
    organic = _row(body["campaigns"], media_source="organic")
    assert (organic["dau"], organic["net_revenue_minor"]) == (1, 300)  # PG_ONLY is organic
    assert body["total"] == {"dau": 5, "net_revenue_minor": 1799, "arpdau_minor": 359.8}


def test_reconciliation_report_counts_and_pairs(reports):
    body = _load(reports, "reconciliation.json")
    assert body["counts"] == {
        "MATCHED_KEY": 4,
        "MATCHED_FUZZY": 1,
        "AMOUNT_MISMATCH": 0,
        "AF_ONLY": 1,
        "PG_ONLY": 1,
        "DUPLICATE_AF": 0,
    }
    assert body["match_rate"] == pytest.approx(5 / 6)
    pair = _row(body["pairs"], event_id="e2")
    assert (pair["psp_txn_id"], pair["delta_seconds"]) == ("t2", 60.0)


def test_curated_csv_has_one_row_per_purchase_with_net_revenue(reports):
    lines = (reports / "purchases_curated.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert len(rows) == 7  # six AppsFlyer purchases + one PG_ONLY
    e4 = _row(rows, purchase_id="e4")
    assert (e4["revenue_minor"], e4["chargeback_minor"], e4["net_revenue_minor"]) == (
        "1100",
        "1100",
        "0",
    )
    assert _row(rows, purchase_id="e1")["purchase_ts"] == "2024-03-01T10:00:00.000000Z"
