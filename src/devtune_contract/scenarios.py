"""The scenario tests of the contract suite, declared once so the rest refers to objects.

The preflight names the scenario whose situation stopped the run, and the teeth name the
scenarios that must catch a broken server; both use these, never a test's name as text. A
unit test holds every declaration against the test functions in ``contract_tests/``.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Scenario:
    """One scenario test, by the name of its test function (what the summary reports)."""

    name: str


ROTATION_RETURNS_A_NEW_SECRET = Scenario("test_rotation_returns_a_new_secret_each_time")
CONCURRENT_ROTATIONS = Scenario("test_concurrent_rotations_return_distinct_secrets")
MISSING_KEY = Scenario("test_missing_key_is_unauthorized")
MALFORMED_AUTHORIZATION = Scenario("test_malformed_authorization_is_unauthorized")
UNKNOWN_KEY = Scenario("test_unknown_key_is_unauthorized")
NEARLY_RIGHT_KEY = Scenario("test_nearly_right_key_is_unauthorized")
READ_ONLY_KEY = Scenario("test_read_only_key_is_forbidden")
WEBHOOK_UNDER_ANOTHER_PROJECT = Scenario("test_webhook_under_another_project_is_not_rotated")
FOREIGN_WEBHOOK = Scenario("test_foreign_webhook_is_not_rotated")
UNKNOWN_WEBHOOK = Scenario("test_unknown_webhook_is_not_found")
MALFORMED_IDS = Scenario("test_malformed_ids_get_a_documented_4xx")
RATE_LIMIT_ENFORCED = Scenario("test_rate_limit_is_enforced_with_documented_headers")
UNDOCUMENTED_METHOD = Scenario("test_undocumented_method_never_rotates")
KEY_PRESENTED_OTHERWISE = Scenario("test_key_presented_otherwise_is_unauthorized")
REFUSED_REQUEST_FORMS = Scenario("test_no_form_of_a_refused_request_gets_more")
SPENT_QUOTA_FORMS = Scenario("test_no_client_name_renews_a_spent_quota")

SCENARIOS: tuple[Scenario, ...] = (
    ROTATION_RETURNS_A_NEW_SECRET,
    CONCURRENT_ROTATIONS,
    MISSING_KEY,
    MALFORMED_AUTHORIZATION,
    UNKNOWN_KEY,
    NEARLY_RIGHT_KEY,
    READ_ONLY_KEY,
    WEBHOOK_UNDER_ANOTHER_PROJECT,
    FOREIGN_WEBHOOK,
    UNKNOWN_WEBHOOK,
    MALFORMED_IDS,
    RATE_LIMIT_ENFORCED,
    UNDOCUMENTED_METHOD,
    KEY_PRESENTED_OTHERWISE,
    REFUSED_REQUEST_FORMS,
    SPENT_QUOTA_FORMS,
)
