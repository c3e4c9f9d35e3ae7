"""Deeplink tracking: the click is stored, the cookie set, the redirect never open, and the
next login links the click to the player."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from croupier.config import Settings
from croupier.engagement.api.attribution import link_click
from tests import factories
from tests.engagement.test_api_world import engagement_app, guest_login, new_guest, open_casino

LANDING = "https://play.alpha.example/welcome"
REDIRECT_SETTINGS = {
    "trackRedirectUrl": LANDING,
    "trackRedirectAllowlist": ["https://promo.alpha.example", "https://play.alpha.example"],
}


@pytest.fixture(scope="module")
async def app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async for application in engagement_app(settings, tmp_path_factory.mktemp("track")):
        yield application


async def _track(client: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await client.get("/api/v1/track", params={"operator": "alpha", **params})


async def _click(pool: asyncpg.Pool, click_id: str) -> asyncpg.Record:
    return await pool.fetchrow("SELECT * FROM engagement_clicks WHERE click_id = $1", click_id)


async def test_track_stores_the_click_sets_the_cookie_and_redirects(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    await open_casino(client, **REDIRECT_SETTINGS)
    response = await _track(
        client,
        media_source="googleadwords_int",
        campaign="uac_install_us",
        adset="ag_broad",
        click_id="clk-001",
        redirect="https://promo.alpha.example/spring?x=1",
    )
    assert response.status_code == 302
    assert response.headers["location"] == "https://promo.alpha.example/spring?x=1"
    cookie = response.headers["set-cookie"].lower()
    assert "croupier_click=clk-001" in cookie
    for attribute in ("httponly", "samesite=lax", "secure", "max-age=604800", "path=/"):
        assert attribute in cookie, cookie
    row = await _click(pool, "clk-001")
    assert (row["media_source"], row["campaign"], row["adset"]) == (
        "googleadwords_int",
        "uac_install_us",
        "ag_broad",
    )
    assert row["player_id"] is None


async def test_redirects_outside_the_allow_list_go_to_the_default(client: httpx.AsyncClient):
    await open_casino(client, **REDIRECT_SETTINGS)
    for redirect in (
        "https://evil.example/phish",
        "https://promo.alpha.example.evil.example/",
        "https://promo.alpha.example@evil.example/",
        "//evil.example/",
        "https:\\\\evil.example",
        "https://promo.alpha.example\\@evil.example/",
        "javascript:alert(1)",
        "http://promo.alpha.example/",  # the allow-list names https only
        "https://promo.alpha.example:8443/",
        "/relative/path",
    ):
        response = await _track(client, media_source="fb", redirect=redirect)
        assert response.status_code == 302
        assert response.headers["location"] == LANDING, redirect


async def test_without_configuration_the_target_is_the_site_root(client: httpx.AsyncClient):
    await open_casino(client)
    response = await _track(client, media_source="fb", redirect="https://evil.example/")
    assert response.status_code == 302
    assert response.headers["location"] == "/"


async def test_camel_case_and_appsflyer_names_and_a_generated_click_id(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    await open_casino(client)
    camel = await client.get(
        "/api/v1/track",
        params={"mediaSource": "tiktok", "campaign": "c1", "adset": "a1", "clickId": "camel-1"},
        headers={"X-Operator": "alpha"},
    )
    assert camel.status_code == 302
    assert (await _click(pool, "camel-1"))["media_source"] == "tiktok"
    appsflyer = await _track(client, pid="unity_int", c="summer", af_adset="s1", utm_x="ignored")
    assert appsflyer.status_code == 302
    generated = appsflyer.cookies["croupier_click"]
    row = await _click(pool, generated)
    assert (row["media_source"], row["campaign"], row["adset"]) == ("unity_int", "summer", "s1")


async def test_bad_track_input(client: httpx.AsyncClient):
    await open_casino(client)
    assert (await _track(client, click_id="has space")).status_code == 422
    assert (await _track(client, media_source="m" * 101)).status_code == 422
    unknown = await client.get("/api/v1/track", params={"operator": "nowhere"})
    assert unknown.status_code == 422
    assert (await client.get("/api/v1/track")).status_code == 422


async def test_a_repeated_click_id_keeps_its_first_data(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    await open_casino(client)
    await _track(client, media_source="first", click_id="dup")
    again = await _track(client, media_source="second", click_id="dup")
    assert again.status_code == 302
    assert (await _click(pool, "dup"))["media_source"] == "first"


async def test_guest_login_after_a_click_links_it_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    await _track(client, media_source="fb", campaign="spring", click_id="clk-guest")
    assert "croupier_click" in client.cookies
    first = await guest_login(client, casino.slug, "new-phone")  # the cookie goes along
    assert first.status_code == 201
    player_id = first.json()["playerId"]
    row = await _click(pool, "clk-guest")
    assert row["player_id"] == player_id and row["linked_at"] is not None
    assert "croupier_click" not in client.cookies  # linked, so the cookie is cleared

    # Another player presenting the same click id cannot take the attribution over.
    other = await guest_login(client, casino.slug, "other-phone", clickId="clk-guest")
    assert other.status_code == 201
    assert (await _click(pool, "clk-guest"))["player_id"] == player_id


async def test_existing_guest_login_with_a_click_id_in_the_body(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    casino = await open_casino(client)
    guest = await new_guest(client, casino.slug, "old-phone")
    await _track(client, media_source="reengage", click_id="clk-body")
    client.cookies.clear()
    response = await guest_login(client, casino.slug, "old-phone", guest.secret, clickId="clk-body")
    assert response.status_code == 200
    assert (await _click(pool, "clk-body"))["player_id"] == guest.player_id
    # A bad click id never breaks a login.
    junk = await guest_login(client, casino.slug, "old-phone", guest.secret, clickId="nope")
    assert junk.status_code == 200


async def test_link_click_for_registered_players_respects_operator_and_lookback(
    client: httpx.AsyncClient, pool: asyncpg.Pool
):
    alpha = await open_casino(client, "alpha")
    await open_casino(client, "beta")
    player = await factories.register_player(client, "beta", "betaplayer")
    await _track(client, media_source="fb", click_id="clk-alpha")
    await _track(client, media_source="fb", click_id="clk-old")
    await pool.execute(
        "UPDATE engagement_clicks SET clicked_at = now() - interval '8 days' "
        "WHERE click_id = 'clk-old'"
    )
    registered = await factories.register_player(client, "alpha", "alphaplayer")
    async with pool.acquire() as conn:
        beta_id = int(player.operator_id)  # type: ignore[arg-type]
        assert not await link_click(
            conn, operator_id=beta_id, player_id=player.subject_id, click_id="clk-alpha"
        )
        assert not await link_click(
            conn, operator_id=alpha.id, player_id=registered.subject_id, click_id="clk-old"
        )
        assert not await link_click(
            conn, operator_id=alpha.id, player_id=registered.subject_id, click_id=None
        )
        assert await link_click(
            conn, operator_id=alpha.id, player_id=registered.subject_id, click_id="clk-alpha"
        )
    assert (await _click(pool, "clk-alpha"))["player_id"] == registered.subject_id
