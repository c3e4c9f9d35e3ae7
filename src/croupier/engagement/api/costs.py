"""Daily ad spend per campaign key, the pipeline's costs input, fed by operator staff.

Rows come as JSON or as a CSV upload with the pipeline's own ``costs_daily.csv`` columns
(``date, media_source, campaign, adset, spend_minor, currency``). Spend is in the operator's
currency, which is the pipeline's reporting currency for platform runs. A row replaces the
spend already stored for its (day, media source, campaign, adset).
"""

from __future__ import annotations

import csv
import io

import asyncpg
from pydantic import ValidationError

from croupier.engagement.api import queries
from croupier.engagement.api.schemas import AdCostRow
from croupier.kit.errors import InvalidInputError
from croupier.kit.tenancy import Scope
from croupier.operators import service as operators

MAX_CSV_BYTES = 2 * 1024 * 1024


async def upsert(
    conn: asyncpg.Connection, scope: Scope, *, operator_id: int, rows: list[AdCostRow]
) -> int:
    operator = await operators.get_operator(conn, scope, operator_id)
    currency = operator["currency"]
    for number, row in enumerate(rows, start=1):
        if row.currency not in (None, currency):
            raise InvalidInputError(
                f"Row {number}: spend must be in the operator's currency ({currency}).",
                field=f"rows.{number - 1}.currency",
            )
    values = [(r.day, r.media_source, r.campaign, r.adset, r.spend_minor) for r in rows]
    return await queries.upsert_ad_costs(conn, operator_id, currency, values)


def parse_csv(body: bytes) -> list[AdCostRow]:
    """Rows of an uploaded CSV; any bad row rejects the whole upload, naming its line."""
    if len(body) > MAX_CSV_BYTES:
        raise InvalidInputError(f"The CSV must be at most {MAX_CSV_BYTES} bytes.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("The CSV must be UTF-8.") from exc
    rows: list[AdCostRow] = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        cells = {k.strip(): (v or "").strip() for k, v in record.items() if k and v}
        if "spend_minor" in cells and cells["spend_minor"].lstrip("-").isdigit():
            cells["spend_minor"] = int(cells["spend_minor"])  # type: ignore[assignment]
        try:
            rows.append(AdCostRow.model_validate(cells))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidInputError(f"Line {line}: {where}: {first['msg']}.") from exc
    if not rows:
        raise InvalidInputError("The CSV has no rows.")
    return rows
