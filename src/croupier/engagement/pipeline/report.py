"""Writers for the JSON and CSV reports.

Small dictionaries go through orjson. Frames that can have millions of rows (the
reconciliation pairs, bad rows) are streamed into the same JSON document by Polars'
own row-oriented writer, so ``reconciliation.json`` for 10M purchases never becomes
a Python list of dicts.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import polars as pl

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_float(value: float | None, digits: int = 6) -> float | str | None:
    """A JSON-safe float: rounded, with +-infinity spelled out instead of silently null."""
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return round(value, digits)


def records(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of a small frame as dicts, dates as ISO strings (via orjson later)."""
    return df.to_dicts()


def write_json(
    path: Path, head: dict[str, Any], frames: dict[str, pl.DataFrame] | None = None
) -> None:
    """Write ``head`` as a JSON object, plus each big frame as an array-of-objects member."""
    frames = frames or {}
    body = orjson.dumps(head, option=_OPTIONS)
    with path.open("wb") as out:
        if not frames:
            out.write(body + b"\n")
            return
        out.write(body[:-1].rstrip())  # drop the closing brace, then append members
        for index, (name, frame) in enumerate(frames.items()):
            separator = b"," if head or index else b""
            out.write(separator + b"\n  " + orjson.dumps(name) + b": ")
            frame.write_json(out)
        out.write(b"\n}\n")


def write_curated(path: Path, curated: pl.DataFrame) -> None:
    """The curated purchases as CSV with ISO 8601 UTC timestamps."""
    curated.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S%.6fZ")
