"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp

from croupier import __version__
from croupier.aliases import alias_router
from croupier.analytics import api_errors
from croupier.analytics import endpoints as analytics_endpoints
from croupier.analytics import worker as analytics_worker
from croupier.auth import endpoints as auth_endpoints
from croupier.auth.passwords import configure_hashing
from croupier.auth.session_reader import SessionReader
from croupier.bets import endpoints as bet_endpoints
from croupier.bets.batcher import SpinBatcher
from croupier.bonuses import endpoints as bonus_endpoints
from croupier.config import Settings, get_settings
from croupier.db.migrate import current_revisions, head_revisions
from croupier.db.pool import create_pool, unit_of_work
from croupier.engagement.api import endpoints as engagement_endpoints
from croupier.engagement.api import pipeline_jobs
from croupier.games import endpoints as game_endpoints
from croupier.jackpots import endpoints as jackpot_endpoints
from croupier.jobs import JobRunner, PeriodicJob
from croupier.kit.observability import RequestContextMiddleware, configure_logging
from croupier.ledger import endpoints as ledger_endpoints
from croupier.ledger import service as ledger_service
from croupier.operators import endpoints as operator_endpoints
from croupier.operators import service as operator_service
from croupier.payments import endpoints as payment_endpoints
from croupier.payments.worker import PaymentWorker
from croupier.players import endpoints as player_endpoints
from croupier.providers.admin_endpoints import admin_router as provider_admin_router
from croupier.providers.batcher import CallbackBatcher
from croupier.providers.casino_endpoints import casino_router
from croupier.providers.jaqpot.endpoints import provider_router
from croupier.providers.service.context import caller_reader
from croupier.realtime import endpoints as realtime_endpoints
from croupier.realtime.hub import Hub
from croupier.safety import endpoints as safety_endpoints
from croupier.simulation import endpoints as simulation_endpoints
from croupier.vip import endpoints as vip_endpoints
from croupier.vouchers import endpoints as voucher_endpoints
from croupier.vouchers.expiry import run_expiry_sweep
from croupier.wallets import endpoints as wallet_endpoints
from croupier.web.errors import install_error_handlers
from croupier.web.fast_lane import FastLane

log = structlog.get_logger("croupier.app")


API_PREFIX = "/api/v1"


def api_routers() -> list[APIRouter]:
    """The /api/v1 routers, in matching order.

    FastAPI (since 0.137) keeps included routers as a tree and matches a request against it
    candidate by candidate, ≈3 µs per route passed and again at each level: with ≈160 routes
    a request for a late route spent ≈0.5 ms before its endpoint ran. So the routers are
    included into the app directly (one level), and the hottest ones come first: the spin
    alone (the busiest route by far), then seed 003's callbacks (see ``create_app``), then the
    rest of the bets. No two routers serve the same path, so their order changes no match
    (``tests/test_routing.py``).
    """
    routers = [
        bet_endpoints.spin_router,
        bet_endpoints.router,
        auth_endpoints.router,
        operator_endpoints.router,
        player_endpoints.router,
        jackpot_endpoints.router,
        ledger_endpoints.router,
        wallet_endpoints.router,
        engagement_endpoints.router,
        *game_endpoints.routers,
        *voucher_endpoints.routers,
        *safety_endpoints.routers,
        *payment_endpoints.routers,
        *bonus_endpoints.routers,
        *vip_endpoints.routers,
        *analytics_endpoints.routers,
        provider_admin_router,
        simulation_endpoints.router,
    ]
    return [*routers, alias_router(routers)]


def background_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("voucher_expiry", 300, run_expiry_sweep),
        PeriodicJob("ledger_rollup", 30, ledger_service.rollup_derived_job),
    ]


GC_YOUNG_THRESHOLD = 20_000


class CroupierAPI(FastAPI):
    """The app, with its hottest routes served ahead of FastAPI's generic layers
    (``web.fast_lane``)."""

    def build_middleware_stack(self) -> ASGIApp:
        return FastLane(self, super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    configure_hashing(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set (croupier up sets it for you).")
        app.state.pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        async with unit_of_work(app.state.pool) as uow:
            await operator_service.ensure_platform_admin(
                uow.conn, settings.admin_email, settings.admin_password.get_secret_value()
            )
        app.state.session_reader = SessionReader(app.state.pool)
        app.state.caller_reader = caller_reader(app.state.pool)
        app.state.spin_batcher = None
        if settings.spin_batch_max:
            app.state.spin_batcher = SpinBatcher(
                pool=await create_pool(settings.database_url, min_size=1, max_size=4),
                max_size=settings.spin_batch_max,
                # One batch at a time: with two, a worker's 32 players split into two
                # smaller batches, each paying the batch's round trips (bench/RESULTS.md).
                in_flight=1,
            )
        app.state.callback_batcher = None
        if settings.callback_batch_max:
            app.state.callback_batcher = CallbackBatcher(
                pool=await create_pool(settings.database_url, min_size=1, max_size=4),
                max_size=settings.callback_batch_max,
                in_flight=1,  # as for spins
            )
        app.state.hub = Hub(settings.database_url, app.state.pool)
        await app.state.hub.start()
        app.state.jobs = JobRunner(app.state.pool, background_jobs())
        app.state.jobs.start()
        app.state.payment_worker = PaymentWorker(app.state.pool, settings)
        await app.state.payment_worker.start()
        # The fold has connections of its own, at a lower CPU priority (db.priority): two, as
        # the game-config sync may hold one for seconds.
        app.state.analytics_pool = await create_pool(
            settings.database_url,
            min_size=1,
            max_size=2,
            background_nice=settings.analytics_fold_nice,
        )
        analytics_stop = asyncio.Event()
        analytics_task = asyncio.create_task(
            analytics_worker.run_forever(app.state.analytics_pool, analytics_stop),
            name="analytics",
        )
        # What is loaded by now (the libraries' modules, the slot maths) lives as long as the
        # process. Freezing it keeps the cyclic GC from walking those ≈270k objects again on
        # every full collection: ≈130 ms pauses, every few heavy requests, otherwise.
        gc.freeze()
        # A request frees what it allocates by reference counting (no reference cycles: see
        # bets.bulk), so young-generation collections find nothing to free. At the default
        # threshold (700 live new objects) a batch of spins, which holds a few thousand while
        # it is played, set off ≈170 collections a second and their promotions to older
        # generations: 1.1-1.7 s of a worker's CPU in a 35 s spin benchmark. At 20,000, none.
        gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
        log.info("started", version=__version__)
        try:
            yield
        finally:
            analytics_stop.set()
            await analytics_task
            await app.state.analytics_pool.close()
            await app.state.payment_worker.stop()
            await app.state.jobs.stop()
            await pipeline_jobs.shutdown()
            await app.state.hub.stop()
            for batcher in (app.state.spin_batcher, app.state.callback_batcher):
                if batcher is not None:
                    await batcher.close()
            await app.state.pool.close()

    app = CroupierAPI(
        title="Croupier",
        version=__version__,
        description="Multi-operator online casino platform API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(RequestContextMiddleware, observers=[api_errors.record_response])
    spin, *others = api_routers()
    app.include_router(spin, prefix=API_PREFIX)
    # Seed 003's wire contract: /casino/* (our wallet) and /provider/* (the demo provider).
    app.include_router(casino_router)
    for router in others:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(realtime_endpoints.router)
    app.include_router(provider_router)
    _add_probes(app)
    return app


def _add_probes(app: FastAPI) -> None:
    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"])
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the database answers and its migrations are current."""
        try:
            async with request.app.state.pool.acquire() as conn:
                current = await current_revisions(conn)
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse({"status": "unavailable", "database": str(type(exc).__name__)}, 503)
        expected = head_revisions()
        body = {
            "status": "ok" if current == expected else "migrations_pending",
            "migrations": sorted(current),
            "expected": sorted(expected),
        }
        return JSONResponse(body, 200 if current == expected else 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
