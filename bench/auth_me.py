"""Benchmark: GET /api/v1/auth/me with 64 concurrent clients against `croupier serve`.

.venv/bin/python bench/auth_me.py [--seconds 20] [--clients 64] [--workers 2]
"""

from __future__ import annotations

import argparse

import httpx

from bench.loadgen import encode_request, load
from bench.server import ADMIN_EMAIL, ADMIN_PASSWORD, croupier_stack


def _player_tokens(base: str, count: int) -> list[str]:
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = http.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {admin.json()['token']}"}
        http.post(
            "/api/v1/platform/operators",
            headers=headers,
            json={"slug": "bench", "name": "Bench", "currency": "USD", "timezone": "UTC"},
        )
        tokens = []
        for i in range(count):
            body = {
                "email": f"p{i}@example.com",
                "username": f"player{i}",
                "password": "bench-password-123",
                "operatorSlug": "bench",
            }
            http.post("/api/v1/auth/register", json=body)
            login = http.post("/api/v1/auth/login", json={**body, "username": None})
            tokens.append(login.json()["token"])
        return tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with croupier_stack(workers=args.workers) as stack:
        tokens = _player_tokens(stack.base, args.clients)
        requests = [
            encode_request("GET", "/api/v1/auth/me", {"Authorization": f"Bearer {t}"})
            for t in tokens
        ]
        result = load("127.0.0.1", stack.port, args.clients, args.seconds, lambda i, _: requests[i])
    print(f"GET /auth/me, {args.clients} clients, {args.workers} workers: {result.summary()}")


if __name__ == "__main__":
    main()
