from pathlib import Path

import attrs
import pytest

from devtune_contract.settings import (
    BY_VARIABLE,
    SETTINGS,
    Pace,
    Settings,
    SettingsError,
    SettingsSources,
    report_dir_from_env,
)

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
    assert settings.max_reset_wait == 65
    assert settings.max_body_bytes == 8 * 1024 * 1024


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


@pytest.mark.parametrize(
    ("value", "mode"),
    [("", "auto"), ("AUTO", "auto"), ("on", "on"), ("1", "on"), ("off", "off"), ("no", "off")],
)
def test_the_probe_is_auto_unless_asked_for_on_or_off(value: str, mode: str) -> None:
    """``auto`` turns itself off on a shared key; ``on`` is asking for the probe anyway."""
    assert Settings.from_env({"DEVTUNE_PROBE": value}).probe == mode


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
        ({"DEVTUNE_PROBE": "sometimes"}, "DEVTUNE_PROBE must be auto, on or off"),
        ({"DEVTUNE_PROBE_MAX_REQUESTS": "-1"}, "must be 0 or more"),
        ({"DEVTUNE_SEED": "x"}, "DEVTUNE_SEED must be a number"),
        ({**REMOTE, "DEVTUNE_FOREIGN_WEBHOOK_ID": REMOTE["DEVTUNE_WEBHOOK_ID"]}, "another"),
    ],
)
def test_new_settings_refuse_bad_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_the_reset_wait_covers_a_documented_window_and_the_margin() -> None:
    """Issue 21: after a spent 60 s window the next reset is up to 60 s + 0.5 s away."""
    assert Settings().max_reset_wait >= 60 + 0.5
    assert "60 s window" in BY_VARIABLE["DEVTUNE_MAX_RESET_WAIT"].doc


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEVTUNE_MAX_BODY_BYTES": "8M"}, "DEVTUNE_MAX_BODY_BYTES must be a number, got '8M'"),
        ({"DEVTUNE_MAX_BODY_BYTES": "0"}, "DEVTUNE_MAX_BODY_BYTES must be positive"),
    ],
)
def test_the_body_limit_is_a_positive_number_of_bytes(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
    assert Settings.from_env({"DEVTUNE_MAX_BODY_BYTES": "1024"}).max_body_bytes == 1024


def test_every_field_is_one_declared_setting() -> None:
    fields = attrs.fields(Settings)
    assert [s.field for s in SETTINGS] == [f.name for f in fields]
    assert [s.variable for s in SETTINGS] == ["DEVTUNE_" + f.name.upper() for f in fields]
    assert all(s.doc for s in SETTINGS)


def test_the_declared_defaults_are_the_defaults() -> None:
    """``from_env({})`` and ``Settings()`` agree because both take the field's one default."""
    assert Settings.from_env({}) == Settings()
    assert {s.field: s.default for s in SETTINGS} == attrs.asdict(Settings(), recurse=False)


def test_secrets_are_the_keys_hidden_from_repr_and_without_flags() -> None:
    secrets = {s.variable for s in SETTINGS if s.secret}
    assert secrets == {"DEVTUNE_API_KEY", "DEVTUNE_READONLY_API_KEY"}
    hidden = {f"DEVTUNE_{f.name.upper()}" for f in attrs.fields(Settings) if not f.repr}
    assert hidden == secrets
    assert all(s.flag is None for s in SETTINGS if s.secret)
    assert BY_VARIABLE["DEVTUNE_BASE_URL"].flag == "--base-url"
    assert BY_VARIABLE["DEVTUNE_EXCLUDE_CHECKS"].flag == "--exclude-checks"


@pytest.mark.parametrize(
    ("variable", "shown"),
    [
        ("DEVTUNE_REQUEST_TIMEOUT", "10"),
        ("DEVTUNE_PROBE", "auto"),
        ("DEVTUNE_REQUIRE_RATE_LIMIT", "0"),
        ("DEVTUNE_SEED", "random"),
        ("DEVTUNE_CHECKS", "all"),
        ("DEVTUNE_EXCLUDE_CHECKS", "none"),
        ("DEVTUNE_REPORT_DIR", "reports"),
        ("DEVTUNE_MAX_RESET_WAIT", "65"),
    ],
)
def test_defaults_are_shown_as_a_person_would_write_them(variable: str, shown: str) -> None:
    assert BY_VARIABLE[variable].default_text == shown


def test_the_report_dir_is_read_even_when_other_settings_are_bad() -> None:
    env = {"DEVTUNE_REPORT_DIR": " out/here ", "DEVTUNE_SEED": "x", "DEVTUNE_PACE": "fast"}
    assert report_dir_from_env(env) == Path("out/here")
    assert report_dir_from_env({}) == Path("reports")
    sources = SettingsSources(environ=env)
    assert sources.report_dir() == Path("out/here")
    with pytest.raises(SettingsError, match="DEVTUNE_SEED"):
        sources.settings()


def test_a_flag_beats_the_environment_which_beats_the_file() -> None:
    file = {"DEVTUNE_SEED": "1", "DEVTUNE_MAX_ROTATIONS": "2", "DEVTUNE_DEADLINE": "3"}
    environ = {"DEVTUNE_SEED": "4", "DEVTUNE_MAX_ROTATIONS": "5"}
    flags = {"DEVTUNE_SEED": "6"}
    settings = SettingsSources(flags=flags, environ=environ, file=file).settings()
    assert (settings.seed, settings.max_rotations, settings.deadline) == (6, 5, 3.0)
    assert settings.max_examples == Settings().max_examples  # in no layer: the default


def test_a_blank_value_lets_a_weaker_layer_show_through() -> None:
    sources = SettingsSources(
        flags={"DEVTUNE_REPORT_DIR": " "},
        environ={"DEVTUNE_REPORT_DIR": "", "DEVTUNE_SEED": "  "},
        file={"DEVTUNE_REPORT_DIR": "from-file", "DEVTUNE_SEED": "9"},
    )
    assert sources.report_dir() == Path("from-file")
    assert sources.settings().seed == 9


def test_only_declared_variables_are_merged() -> None:
    merged = SettingsSources(environ={"PATH": "/bin", "DEVTUNE_TYPO": "1"}).merged()
    assert merged == {}


def test_a_problem_met_while_collecting_is_a_settings_error() -> None:
    sources = SettingsSources(environ={"DEVTUNE_REPORT_DIR": "r"}, problem="--api-key is refused")
    assert sources.report_dir() == Path("r")
    with pytest.raises(SettingsError, match="--api-key is refused"):
        sources.settings()
