"""Probes, docs, request ids, metrics, error format and configuration errors."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from croupier.config import ConfigError, load_settings
from croupier.kit.observability import _SAFE_REQUEST_ID


class TestProbes:
    async def test_health_ready_metrics_docs(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = await client.get("/ready")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        spec = (await client.get("/openapi.json")).json()
        for path in (
            "/api/v1/auth/login",
            "/api/v1/auth/register",
            "/api/v1/auth/me",
            "/api/v1/auth/user",
            "/api/v1/platform/operators",
        ):
            assert path in spec["paths"], path
        assert (await client.get("/docs")).status_code == 200
        metrics = await client.get("/metrics")
        assert "croupier_http_requests_total" in metrics.text

    async def test_request_id_is_echoed_or_generated(self, client: httpx.AsyncClient) -> None:
        echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        generated = [
            (await client.get("/health", headers={"X-Request-ID": "bad id\n"})).headers
            for _ in range(3)
        ]
        ids = {headers["x-request-id"] for headers in generated}
        assert len(ids) == 3 and all(_SAFE_REQUEST_ID.match(i) for i in ids), ids

    async def test_metrics_count_every_response_by_route_and_status(
        self, client: httpx.AsyncClient
    ) -> None:
        def count(text: str, status: str) -> float:
            labels = f'method="GET",route="/health",status="{status}"'
            line = f"croupier_http_requests_total{{{labels}}}"
            return next((float(x.split()[-1]) for x in text.splitlines() if x.startswith(line)), 0)

        before = (await client.get("/metrics")).text
        for _ in range(3):
            await client.get("/health")
        after = (await client.get("/metrics")).text
        assert count(after, "200") - count(before, "200") == 3

    async def test_errors_share_one_format(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/api/v1/no-such-route")
        assert missing.status_code == 404
        assert set(missing.json()) >= {"code", "message", "requestId"}
        unauthorized = await client.get("/api/v1/auth/me")
        assert unauthorized.json()["code"] == "SESSION_INVALID"
        assert unauthorized.json()["requestId"] == unauthorized.headers["x-request-id"]


def test_a_forked_child_generates_request_ids_of_its_own() -> None:
    """With the fork start method, a worker must not repeat its parent's ids."""
    from croupier.kit import observability

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write one id and leave at once
        os.write(writer, observability._REQUEST_IDS.new().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(reader, 100).decode()
    parent = observability._REQUEST_IDS.new()
    assert child.split("-")[0] != parent.split("-")[0]


class TestConfiguration:
    def test_bad_values_name_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CROUPIER_PORT", "eighty")
        with pytest.raises(ConfigError, match="CROUPIER_PORT"):
            load_settings()

    def test_bad_database_url_names_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "mysql://nope")
        with pytest.raises(ConfigError, match="DATABASE_URL"):
            load_settings()

    def test_short_secret_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CROUPIER_SECRET_KEY", "short")
        with pytest.raises(ConfigError, match="CROUPIER_SECRET_KEY"):
            load_settings()

    def test_cli_reports_bad_config_in_one_line(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "croupier", "migrate"],
            env={"CROUPIER_PORT": "70000", "PATH": ""},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "CROUPIER_PORT" in lines[0]

    def test_secrets_are_not_printed(self) -> None:
        settings = load_settings(admin_password="super-secret-value-1")
        assert "super-secret-value-1" not in repr(settings)
        assert "super-secret-value-1" not in str(settings.model_dump())


class TestSecretsStayOutOfLogs:
    async def test_failed_login_logs_no_password(
        self, client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
    ) -> None:
        await client.post(
            "/api/v1/auth/login",
            json={"email": "root@platform.test", "password": "my-secret-guess-77"},
        )
        out, err = capfd.readouterr()
        assert "login_failed" in err
        assert "my-secret-guess-77" not in out + err
