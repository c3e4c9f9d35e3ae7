"""End to end: ``sample`` then ``run`` through the Typer sub-app, every report written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from croupier.engagement.cli import pipeline_app
from croupier.engagement.pipeline.sample import generate_sample

REPORTS = (
    "purchases_curated.csv",
    "reconciliation.json",
    "roas_d1.json",
    "roas_anomaly.json",
    "arpdau_d1.json",
    "revenue_chargeback_adjusted.json",
    "bad_rows.json",
)
CHARTS = ("roas_by_campaign.png", "arpdau_trend.png", "match_rate.png")
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("e2e")
    data, out = root / "data", root / "reports"
    sampled = runner.invoke(
        pipeline_app, ["sample", "--rows", "20000", "--data-dir", str(data), "--seed", "11"]
    )
    assert sampled.exit_code == 0, sampled.output
    ran = runner.invoke(pipeline_app, ["run", "--data-dir", str(data), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "MATCHED_FUZZY" in ran.output
    return data, out


def test_run_writes_every_report_and_non_empty_charts(run_dirs):
    _, out = run_dirs
    for name in REPORTS:
        assert (out / name).stat().st_size > 0, name
    for name in CHARTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (out / name).stat().st_size > 1000, name


def test_sample_scenarios_show_up_in_the_reports(run_dirs):
    _, out = run_dirs
    recon = json.loads((out / "reconciliation.json").read_text())
    assert all(count > 0 for count in recon["counts"].values()), recon["counts"]
    assert 0.9 < recon["match_rate"] < 1.0
    bad = json.loads((out / "bad_rows.json").read_text())
    assert set(bad["by_file"]) == {
        "purchases_raw.csv",
        "confirmed_purchases.csv",
        "costs_daily.csv",
        "sessions.csv",
    }
    adjusted = json.loads((out / "revenue_chargeback_adjusted.json").read_text())
    assert adjusted["rates"]["charged_back_purchases"] > 0


def test_injected_roas_anomaly_is_flagged(run_dirs):
    _, out = run_dirs
    body = json.loads((out / "roas_anomaly.json").read_text())
    assert body["as_of"] == "2024-11-10"
    assert body["cohort_day"] == "2024-11-09"
    flagged = {(a["media_source"], a["campaign"], a["adset"]) for a in body["anomalies"]}
    assert ("googleadwords_int", "uac_install_us", "ag_broad") in flagged


def test_sample_is_deterministic_for_a_seed(tmp_path):
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    generate_sample(tmp_path / "a", 3000, seed=5)
    generate_sample(tmp_path / "b", 3000, seed=5)
    generate_sample(tmp_path / "c", 3000, seed=6)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_run_reports_a_missing_input_folder_with_exit_code_2(tmp_path):
    args = ["run", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "out")]
    result = runner.invoke(pipeline_app, args)
    assert result.exit_code == 2
    assert "file not found" in result.output
    assert not (tmp_path / "out").exists()
