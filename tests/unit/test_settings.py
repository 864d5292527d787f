import pytest

from devtune_contract.settings import Settings, SettingsError

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
