"""Strategies for the OpenAPI document's custom string formats, so schemathesis's positive data
is what the server accepts: `vin` (ISO 3779 with its check digit, CF-4), `page-token` (a
`next_page_token` as the server issues them) `etag` (`v<version>`, as `If-Match` takes it) and `event-cursor` (a feed's `next_cursor`).
Loaded by tests/fuzz-api.sh through SCHEMATHESIS_HOOKS."""

import base64
import uuid

import schemathesis
from hypothesis import strategies as st

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VALUES = {**{str(d): d for d in range(10)},
          **{c: v for v, cs in enumerate(["", "AJ", "BKS", "CLT", "DMU", "ENV", "FW", "GPX", "HY", "RZ"]) for c in cs}}


def with_check_digit(chars: str) -> str:
    body = chars[:8] + "0" + chars[8:]
    total = sum(VALUES[c] * w for c, w in zip(body, WEIGHTS))
    check = "X" if total % 11 == 10 else str(total % 11)
    return body[:8] + check + body[9:]


def page_token(key: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"k1:{key}".encode()).decode().rstrip("=")


def event_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"k1:ev:{sequence}".encode()).decode().rstrip("=")


def etag(version: int) -> str:
    return f"v{version}"


# Named functions, not lambdas: Hypothesis describes lambdas from their source, which fails here.
vins = st.text(alphabet=VIN_CHARS, min_size=16, max_size=16).map(with_check_digit)
page_tokens = st.uuids().map(page_token)
etags = st.integers(min_value=0, max_value=10**12).map(etag)
event_cursors = st.integers(min_value=0, max_value=10**12).map(event_cursor)

schemathesis.openapi.format("vin", vins)
schemathesis.openapi.format("page-token", page_tokens)
schemathesis.openapi.format("etag", etags)
schemathesis.openapi.format("event-cursor", event_cursors)
