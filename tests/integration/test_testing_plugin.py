"""The pytest plugin: registered through ``pytest11``, inert until used, fresh state per test."""

from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

pytest_plugins = ["pytester"]

# Two tests that would see each other's state if it leaked: the first rotates, queues a fault
# and spends the rate limit; the second expects none of that.
ISOLATION_TESTS = textwrap.dedent(
    """
    import httpx
    import pytest

    SEEN = {}

    def rotate(server):
        path = f"/projects/{server.project_id}/webhooks/{server.webhook_id}/rotate-secret"
        url = server.base_url + path
        return httpx.post(url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)

    @pytest.mark.parametrize("round", range(6))
    def test_state_is_fresh(devtune_server, round):
        assert devtune_server.rotation_count() == 0
        for name in ("api_key", "webhook_id", "project_id"):
            value = getattr(devtune_server, name)
            assert value not in SEEN.values(), f"{name} seen in an earlier test"
            SEEN[f"{round}-{name}"] = value
        SEEN[f"{round}-secret"] = devtune_server.current_secret()
        devtune_server.set_rate_limit(1, 60)
        assert rotate(devtune_server).status_code == 200
        assert rotate(devtune_server).status_code == 429
        devtune_server.fail_next("server_error", times=5)
    """
)


def test_the_plugin_is_registered_through_pytest11() -> None:
    plugins = importlib.metadata.entry_points(group="pytest11")
    assert [p.value for p in plugins if p.name == "devtune"] == ["devtune_contract.testing.plugin"]


def test_each_test_gets_fresh_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_isolation=ISOLATION_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_each_xdist_worker_has_its_own_fresh_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_isolation=ISOLATION_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-n", "2")
    result.assert_outcomes(passed=6)


def test_devtune_env_lets_the_client_configure_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_env=textwrap.dedent(
            """
            import os
            from devtune_api_client import DevTune

            def test_no_arguments(devtune_env, devtune_server):
                assert os.environ["DEVTUNE_BASE_URL"] == devtune_server.base_url
                assert devtune_env == devtune_server.env
                with DevTune() as client:
                    rotated = client.webhooks.rotate_secret(
                        os.environ["DEVTUNE_PROJECT_ID"], os.environ["DEVTUNE_WEBHOOK_ID"]
                    )
                assert rotated.secret == devtune_server.current_secret()

            def test_unset_again_without_the_fixture():
                assert "DEVTUNE_API_KEY" not in os.environ
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_the_plugin_is_inert_unless_a_fixture_is_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inert=textwrap.dedent(
            """
            import sys

            def test_nothing_started():
                heavy = ("uvicorn", "devtune_contract.server")
                loaded = [m for m in sys.modules if m.startswith(heavy)]
                assert loaded == []
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
