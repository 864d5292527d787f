"""No header value and no body makes a check crash: it passes or reports a ContractViolation."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unit.conftest import exchange as build

from devtune_contract.checks import ALL_CHECKS, ContractViolation, RunState
from devtune_contract.settings import Settings

HEADER_NAMES = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "content-type",
    "cache-control",
)
# What an HTTP client can hand over: header values decode as Latin-1.
header_values = st.one_of(
    st.text(st.characters(max_codepoint=0xFF), max_size=40),
    st.text(max_size=10),  # beyond Latin-1, for clients that decode otherwise
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        ["\u00b2", "\u0663", "\uff11", "1_000", " 7 ", "+5", "0x10", "1e3", "9" * 5000]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.text(max_size=40),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["20261127T061811Z", "2026-W48-5T06:18:11Z", "9999-12-31T23:59:59-23:59"]),
)
envelopes = st.fixed_dictionaries(
    {
        "data": st.one_of(json_values, st.fixed_dictionaries({"secret": json_values | st.text()})),
        "meta": st.one_of(
            json_values,
            st.fixed_dictionaries({"timestamp": timestamps, "projectId": json_values | st.text()}),
        ),
    }
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    envelopes.map(lambda value: json.dumps(value).encode()),
    st.just(b"[" * 100_000),  # deeper than the JSON decoder's recursion limit
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([200, 400, 401, 403, 404, 405, 429, 500, 502]),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values),
    body=bodies,
    authorization=st.one_of(st.none(), st.text(max_size=90), st.just("Bearer " + "é" * 70)),
)
def test_no_input_makes_a_check_crash(
    status: int, headers: dict[str, str], body: bytes, authorization: str | None
) -> None:
    exchange = build(status, body, headers=headers, authorization=authorization, content_type=None)
    run = RunState(settings=Settings(api_key="dtk_live_" + "0" * 64, project_id="p"))
    titles = []
    for check in ALL_CHECKS:
        try:
            check(exchange, run)
        except ContractViolation as violation:
            titles.append(str(violation))
    assert not [title for title in titles if "\n" in title], "a failure title is one line"
