"""Loading: exact money, UTC timestamps, and bad rows that never stop the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from croupier.engagement.pipeline import PipelineConfig, run_pipeline
from croupier.engagement.pipeline.io import InputSchemaError, load_inputs

from .test_pipeline_support import af, pg, write_inputs

CFG = PipelineConfig()


def test_amounts_become_exact_minor_units_per_currency(tmp_path):
    purchases = [
        af("usd", "2024-03-01T10:00:00Z", "4.99"),
        af("jpy", "2024-03-01T10:00:00Z", "800", currency="jpy"),
        af("kwd", "2024-03-01T10:00:00Z", "1.250", currency="KWD"),
        af("trailing", "2024-03-01T10:00:00Z", "19.9000"),
        af("minor", "2024-03-01T10:00:00Z", None, revenue_minor="12345"),
        af("big", "2024-03-01T10:00:00Z", "90071992547409.93"),  # beyond float precision
    ]
    inputs = load_inputs(write_inputs(tmp_path, purchases, []), CFG)
    got = dict(inputs.purchases.select("event_id", "amount_minor").iter_rows())
    assert got == {
        "usd": 499,
        "jpy": 800,
        "kwd": 1250,
        "trailing": 1990,
        "minor": 12345,
        "big": 9007199254740993,
    }
    assert inputs.purchases.filter(pl.col("event_id") == "jpy")["currency"].item() == "JPY"


def test_timestamps_are_normalised_to_utc(tmp_path):
    purchases = [
        af("offset", "2024-11-03T01:30:00-05:00"),
        af("zulu_ms", "2024-11-03 06:30:00.250Z"),
        af("naive_utc", "2024-11-03 06:30:00"),
        af("naive_ny", "2024-11-03 01:30:00", event_tz="America/New_York"),  # ambiguous: EDT
    ]
    inputs = load_inputs(write_inputs(tmp_path, purchases, []), CFG)
    got = dict(inputs.purchases.select("event_id", "ts").iter_rows())
    assert got["offset"] == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert got["zulu_ms"] == datetime(2024, 11, 3, 6, 30, 0, 250_000, tzinfo=UTC)
    assert got["naive_utc"] == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert got["naive_ny"] == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)


BAD_PURCHASES = [
    (af("ok", "2024-03-01T10:00:00Z"), None),
    (af("b1", "2024-02-30T10:00:00Z"), "unparseable event_time '2024-02-30T10:00:00Z'"),
    (af("b2", "2024-03-01T10:00:00Z", "4,99"), "unparseable revenue '4,99'"),
    (af("b3", "2024-03-01T10:00:00Z", "-4.99"), "negative revenue"),
    (af("b4", "2024-03-01T10:00:00Z", currency="ZZZ"), "unknown currency 'ZZZ'"),
    (af("b5", "2024-03-01T10:00:00Z", customer_user_id=None), "missing customer_user_id"),
    (af("b6", "2024-03-01T10:00:00Z", "4.995"),
     "revenue has more decimals than the currency allows"),
    (af("b7", "2024-03-10 02:30:00", event_tz="America/New_York"),
     "event_time is a nonexistent local time (DST gap)"),
    (af("b8", "2024-03-01 10:00:00", event_tz="Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
]  # fmt: skip


def test_bad_rows_are_reported_and_the_run_completes(tmp_path):
    gateway = [
        pg("t1", "2024-03-01T10:00:02Z"),
        pg("t1", "2024-03-01T10:00:03Z"),  # the same psp_txn_id again
        pg("t2", "2024-03-01T10:00:02Z", currency="GBP"),  # no fx_rate for a GBP payment
        pg("t3", "yesterday"),
        pg("r1", None, kind="refund", original_psp_txn_id="nope", status="succeeded",
           captured_at="2024-03-02T00:00:00Z"),
    ]  # fmt: skip
    folder = write_inputs(tmp_path / "in", [row for row, _ in BAD_PURCHASES], gateway,
                          costs=[{"date": "2024-03-01", "spend": "n/a"}])  # fmt: skip
    result = run_pipeline(folder, tmp_path / "out", PipelineConfig(charts=False))
    body = json.loads((tmp_path / "out" / "bad_rows.json").read_text())
    by_place = {(r["file"], r["row"]): r["reason"] for r in body["rows"]}
    for row_number, (_, reason) in enumerate(BAD_PURCHASES, start=1):
        if reason:
            assert by_place[("purchases_raw.csv", row_number)] == reason
    assert by_place[("confirmed_purchases.csv", 2)] == "duplicate psp_txn_id"
    assert by_place[("confirmed_purchases.csv", 3)] == "missing fx_rate for a GBP payment"
    assert by_place[("confirmed_purchases.csv", 4)] == "unparseable authorized_at 'yesterday'"
    assert by_place[("confirmed_purchases.csv", 5)] == "refund of unknown psp_txn_id 'nope'"
    assert by_place[("costs_daily.csv", 1)] == "unparseable spend 'n/a'"
    assert body["count"] == result.bad_rows == 8 + 4 + 1
    assert result.counts["MATCHED_FUZZY"] == 1  # the one good purchase still reconciles
    assert all(r["line"] == r["row"] + 1 for r in body["rows"])


def test_a_missing_required_column_is_a_clear_error(tmp_path):
    write_inputs(tmp_path, [af("e1", "2024-03-01T10:00:00Z")], [])
    (tmp_path / "costs_daily.csv").write_text("day,spend\n2024-03-01,1.00\n")
    with pytest.raises(InputSchemaError, match=r"costs_daily\.csv: missing required column"):
        load_inputs(tmp_path, CFG)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputSchemaError, match=r"purchases_raw\.csv: file not found"):
        load_inputs(tmp_path, CFG)
