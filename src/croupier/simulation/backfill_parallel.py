"""The backfill over several processes: the spin service's Python is CPU-bound, so one event
loop uses one core however many connections it drives. Each process plays a disjoint part of
the bots (a bot's history stays in time order within one process) and reports its progress
through a shared counter."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from croupier.config import Settings
from croupier.simulation.backfill import BackfillReport, Batching, Progress, backfill
from croupier.simulation.history_plan import split

_counter: Any = None


def _init(counter: Any) -> None:
    global _counter
    _counter = counter


def _advance(n: int) -> None:
    with _counter.get_lock():
        _counter.value += n


def _part(
    url: str, settings: Settings, kwargs: dict[str, Any], part: tuple[int, int]
) -> BackfillReport:
    return asyncio.run(backfill(url, settings, progress=_advance, part=part, **kwargs))


def backfill_in_processes(
    url: str,
    settings: Settings,
    *,
    days: int,
    bets: int,
    concurrency: int,
    processes: int,
    seed: int | None = None,
    progress: Progress | None = None,
    batching: Batching = Batching(),
) -> BackfillReport:
    if processes <= 1:
        return asyncio.run(
            backfill(
                url, settings, days=days, bets=bets, concurrency=concurrency, seed=seed,
                progress=progress, batching=batching,
            )
        )  # fmt: skip
    context = multiprocessing.get_context("spawn")  # no inherited event loop or pool
    counter = context.Value("q", 0)
    started = time.perf_counter()
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_init, initargs=(counter,)
    ) as pool:
        futures = [
            pool.submit(
                _part,
                url,
                settings,
                {
                    "days": days,
                    "bets": share,
                    "concurrency": max(1, concurrency // processes),
                    "seed": None if seed is None else seed + index,
                    "batching": batching,
                },
                (index, processes),
            )
            for index, share in enumerate(split(bets, processes))
        ]
        reported = 0
        while not all(future.done() for future in futures):
            time.sleep(0.25)
            if progress is not None and counter.value > reported:
                progress(counter.value - reported)
                reported = counter.value
        parts = [future.result() for future in futures]
    if progress is not None and counter.value > reported:
        progress(counter.value - reported)
    return _merge(parts, time.perf_counter() - started)


def _merge(parts: list[BackfillReport], seconds: float) -> BackfillReport:
    merged = BackfillReport(seconds=seconds)
    for part in parts:
        merged.bets += part.bets
        merged.deposits += part.deposits
        merged.top_ups += part.top_ups
        merged.failed_units += part.failed_units
        merged.safety_skipped += part.safety_skipped
        merged.shortfall += part.shortfall
        merged.first = min(filter(None, (merged.first, part.first)), default=None)
        merged.last = max(filter(None, (merged.last, part.last)), default=None)
        for slug, n in part.by_operator.items():
            merged.by_operator[slug] = merged.by_operator.get(slug, 0) + n
    return merged
