"""kit.hashing: the prebuilt canonical encoder gives exactly json.dumps' bytes, so request hashes
stored before it still match."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from croupier.kit.hashing import canonical_json, request_hash


def _reference(request: Any) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.uuids()
    | st.datetimes(timezones=st.none() | st.just(UTC))
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), _values, max_size=6))
def test_the_canonical_json_is_json_dumps_byte_for_byte(request: dict[str, Any]) -> None:
    assert canonical_json(request) == _reference(request)
    assert request_hash(request) == hashlib.sha256(_reference(request).encode()).digest()


def test_keys_are_sorted_and_other_types_are_their_str() -> None:
    at = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    key = uuid.UUID(int=7)
    assert canonical_json({"b": 1, "a": [at, key], "é": "ü"}) == (
        f'{{"a":["{at}","{key}"],"b":1,"\\u00e9":"\\u00fc"}}'
    )
