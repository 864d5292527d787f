import attrs
import pytest

from devtune_contract.settings import Pace, Settings, SettingsError

REMOTE = {
    "DEVTUNE_BASE_URL": "https://staging.example.com/api/v2",
    "DEVTUNE_API_KEY": "dtk_live_" + "0" * 64,
    "DEVTUNE_PROJECT_ID": "00000000-0000-0000-0000-000000000001",
    "DEVTUNE_WEBHOOK_ID": "00000000-0000-0000-0000-000000000002",
}


def test_defaults_mean_embedded_server() -> None:
    settings = Settings.from_env({})
    assert settings.embedded
    assert settings.request_timeout == 10
    assert settings.clock_skew == 300
    assert settings.max_rotations == 10
    assert settings.probe_max_requests == 200
    assert settings.max_reset_wait == 60


def test_remote_settings_are_read_once() -> None:
    settings = Settings.from_env(
        {**REMOTE, "DEVTUNE_MAX_ROTATIONS": "4", "DEVTUNE_REQUEST_TIMEOUT": "2.5"}
    )
    assert not settings.embedded
    assert settings.max_rotations == 4
    assert settings.request_timeout == 2.5
    assert settings.api_key is not None
    assert settings.api_key not in repr(settings)


@pytest.mark.parametrize(
    "host",
    ["https://devtune.ai/api/v2", "https://api.devtune.ai/api/v2", "https://DEVTUNE.AI./api/v2"],
)
def test_production_is_refused(host: str) -> None:
    with pytest.raises(SettingsError, match="production"):
        Settings.from_env({**REMOTE, "DEVTUNE_BASE_URL": host})


def test_production_allowed_on_purpose() -> None:
    env = {
        **REMOTE,
        "DEVTUNE_BASE_URL": "https://devtune.ai/api/v2",
        "DEVTUNE_ALLOW_PRODUCTION": "1",
    }
    assert Settings.from_env(env).allow_production


def test_lookalike_hosts_are_not_production() -> None:
    assert Settings.from_env(
        {**REMOTE, "DEVTUNE_BASE_URL": "https://notdevtune.ai/api/v2"}
    ).base_url


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEVTUNE_BASE_URL": "staging.example.com"}, "http"),
        ({**REMOTE, "DEVTUNE_API_KEY": ""}, "DEVTUNE_API_KEY"),
        ({"DEVTUNE_MAX_ROTATIONS": "ten"}, "DEVTUNE_MAX_ROTATIONS must be a number"),
        ({"DEVTUNE_REQUEST_TIMEOUT": "-1"}, "must be positive"),
        ({"DEVTUNE_ALLOW_PRODUCTION": "maybe"}, "1 or 0"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_invariants_hold_through_evolve() -> None:
    """attrs validators: ``attrs.evolve`` cannot build Settings ``from_env`` would refuse."""
    settings = Settings.from_env(REMOTE)
    with pytest.raises(SettingsError, match="production"):
        attrs.evolve(settings, base_url="https://api.devtune.ai/api/v2")
    with pytest.raises(SettingsError, match="DEVTUNE_WEBHOOK_ID"):
        attrs.evolve(settings, webhook_id=None)
    with pytest.raises(SettingsError, match="DEVTUNE_REQUEST_TIMEOUT must be positive"):
        attrs.evolve(settings, request_timeout=0)


def test_credentials_in_the_base_url_are_refused_without_being_shown() -> None:
    url = "https://qa:s3cr3t-pw@staging.example.com/api/v2"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**REMOTE, "DEVTUNE_BASE_URL": url})
    assert "must not carry credentials" in str(refused.value)
    assert "s3cr3t-pw" not in str(refused.value)
    assert "qa" not in str(refused.value).split("(")[0]


def test_a_trailing_slash_is_tolerated() -> None:
    settings = Settings.from_env({**REMOTE, "DEVTUNE_BASE_URL": REMOTE["DEVTUNE_BASE_URL"] + "/"})
    assert settings.base_url == REMOTE["DEVTUNE_BASE_URL"]


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, True),
        ({"DEVTUNE_PROBE": "off"}, False),
        ({"DEVTUNE_PROBE_MAX_REQUESTS": "0"}, False),
        ({"DEVTUNE_PROBE": "on", "DEVTUNE_PROBE_MAX_REQUESTS": "5"}, True),
    ],
)
def test_the_probe_can_be_turned_off(env: dict[str, str], enabled: bool) -> None:
    assert Settings.from_env(env).probe_enabled is enabled


def test_pace_seed_and_check_selection_are_read() -> None:
    settings = Settings.from_env(
        {
            "DEVTUNE_PACE": "100/60",
            "DEVTUNE_SEED": "42",
            "DEVTUNE_CHECKS": "secret_strength, fresh_secret",
            "DEVTUNE_EXCLUDE_CHECKS": "ignored_auth",
        }
    )
    assert settings.pace == Pace(100, 60.0)
    assert settings.pace.interval == pytest.approx(0.6)
    assert settings.seed == 42
    assert settings.checks == ("secret_strength", "fresh_secret")
    assert settings.exclude_checks == ("ignored_auth",)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEVTUNE_PACE": "fast"}, "DEVTUNE_PACE must be REQUESTS/SECONDS"),
        ({"DEVTUNE_PACE": "0/60"}, "DEVTUNE_PACE must be REQUESTS/SECONDS"),
        ({"DEVTUNE_PROBE": "sometimes"}, "DEVTUNE_PROBE must be on or off"),
        ({"DEVTUNE_PROBE_MAX_REQUESTS": "-1"}, "must be 0 or more"),
        ({"DEVTUNE_SEED": "x"}, "DEVTUNE_SEED must be a number"),
        ({**REMOTE, "DEVTUNE_FOREIGN_WEBHOOK_ID": REMOTE["DEVTUNE_WEBHOOK_ID"]}, "another"),
    ],
)
def test_new_settings_refuse_bad_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
