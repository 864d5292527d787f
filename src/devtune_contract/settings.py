"""The suite's settings: each ``DEVTUNE_*`` setting declared once, read once into one object.

Every check, budget and report reads from :class:`Settings`; nothing else looks at the
environment. Each field of :class:`Settings` is the whole declaration of its setting: the
attrs default, and, in its metadata, a :class:`Setting` with how its text is read and what it
means. :data:`SETTINGS` collects them, and ``Settings.from_env``, ``check --help`` and the
table in ``docs/qa.md`` are all made from it, so code, help and docs cannot disagree.

Invariants are attrs validators, so ``attrs.evolve`` cannot bypass them. Bad values raise
:class:`SettingsError` with a one-line message that names the variable and never shows a
credential.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from devtune_contract.constants import HTML_REPORT, JUNIT_REPORT, SUMMARY_REPORT

PRODUCTION_HOST = "devtune.ai"
PREFIX = "DEVTUNE_"
# auto: on, unless another client is seen spending the key; 1/0, true/false, yes/no: on/off.
ProbeMode = Literal["auto", "on", "off"]
PROBE_MODES: dict[str, ProbeMode] = {
    "auto": "auto",
    **dict.fromkeys(("on", "1", "true", "yes"), "on"),
    **dict.fromkeys(("off", "0", "false", "no"), "off"),
}
PACE_PATTERN = re.compile(r"(\d+)/(\d+(?:\.\d+)?)")
_DECLARATION = "devtune_contract.setting"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@attrs.frozen
class Pace:
    """At most ``requests`` per ``seconds``, spread evenly: ``DEVTUNE_PACE=100/60``."""

    requests: int
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.requests

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"

    @classmethod
    def parse(cls, text: str) -> Pace:
        match = PACE_PATTERN.fullmatch(text.replace(" ", ""))
        if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise SettingsError(
                f"DEVTUNE_PACE must be REQUESTS/SECONDS such as 100/60, got {text!r}"
            )
        return cls(int(match.group(1)), float(match.group(2)))


@attrs.frozen
class Kind:
    """How a setting's text becomes a value, and how a value is written for people."""

    read: Callable[[str, str], Any]  # (variable, text without surrounding blanks) -> value
    show: Callable[[Any], str]
    metavar: str


def _number(kind: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def read(variable: str, text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise SettingsError(f"{variable} must be a number, got {text!r}") from None

    return read


def _flag(variable: str, text: str) -> bool:
    raw = text.lower()
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"{variable} must be 1 or 0, got {raw!r}")
    return raw in ("1", "true", "yes")


def _probe_mode(variable: str, text: str) -> ProbeMode:
    mode = PROBE_MODES.get(text.lower())
    if mode is None:
        raise SettingsError(f"{variable} must be auto, on or off, got {text!r}")
    return mode


def _names(variable: str, text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _shown(value: Any) -> str:
    return "none" if value is None else str(value)


TEXT = Kind(lambda variable, text: text, _shown, "TEXT")
SECONDS = Kind(_number(float), lambda value: f"{value:g}", "SECONDS")
COUNT = Kind(_number(int), _shown, "N")
FLAG = Kind(_flag, lambda value: "1" if value else "0", "0|1")
PROBE_MODE = Kind(_probe_mode, str, "auto|on|off")
NAMES = Kind(_names, lambda value: ",".join(value) or "none", "NAME,...")
PACE = Kind(lambda variable, text: Pace.parse(text), _shown, "REQUESTS/SECONDS")
DIRECTORY = Kind(lambda variable, text: Path(text), _shown, "DIR")


@attrs.frozen
class Setting:
    """One ``DEVTUNE_*`` setting, as declared in the metadata of its :class:`Settings` field.

    ``field`` and ``default`` come from the field itself (see :data:`SETTINGS`); a secret
    setting (a key) is never accepted as a flag, because a command line lands in shell
    history and in ``ps``.
    """

    doc: str
    kind: Kind
    shown_default: str | None = None  # words for a default its kind cannot show ("random")
    metavar: str | None = None
    secret: bool = False
    # The contract's path parameter this setting fills in (``projectId``): the id is checked
    # against the format the spec declares for it before anything is sent.
    parameter: str | None = None
    field: str = ""
    default: Any = None

    @property
    def variable(self) -> str:
        return variable_of(self.field)

    @property
    def option(self) -> str:
        """``--base-url`` for ``DEVTUNE_BASE_URL``: the flag's spelling, also for a secret."""
        return "--" + self.field.replace("_", "-")

    @property
    def flag(self) -> str | None:
        """The command-line flag of ``check``, or None for a secret (refused as a flag)."""
        return None if self.secret else self.option

    @property
    def placeholder(self) -> str:
        return self.metavar or self.kind.metavar

    @property
    def default_text(self) -> str:
        return self.shown_default or self.kind.show(self.default)

    def read(self, environ: Mapping[str, str]) -> Any:
        """The value ``environ`` gives this setting; blank or unset means the default."""
        text = environ.get(self.variable, "").strip()
        return self.kind.read(self.variable, text) if text else self.default


def declare(
    doc: str,
    kind: Kind = TEXT,
    *,
    shown_default: str | None = None,
    metavar: str | None = None,
    secret: bool = False,
    parameter: str | None = None,
) -> dict[str, Setting]:
    """A :class:`Settings` field's metadata: what its setting means and how it is read."""
    return {_DECLARATION: Setting(doc, kind, shown_default, metavar, secret, parameter)}


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise SettingsError(f"{variable_of(attribute.name)} must be positive, got {value!r}")


def _not_negative(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise SettingsError(f"{variable_of(attribute.name)} must be 0 or more, got {value!r}")


def variable_of(field: str) -> str:
    """``DEVTUNE_BASE_URL`` for the field ``base_url``."""
    return PREFIX + field.upper()


def _without_trailing_slash(url: str | None) -> str | None:
    return url.rstrip("/") if url else url


REQUIRED_REMOTELY = "required with DEVTUNE_BASE_URL"


@attrs.frozen
class Settings:
    """Where the suite points and how far it may go. Times are in seconds."""

    base_url: str | None = attrs.field(
        default=None,
        converter=_without_trailing_slash,
        metadata=declare(
            "the API under test, including its /api/v2 prefix; unset, the suite starts the "
            "reference server on a free loopback port with fresh demo data and runs against it",
            shown_default="embedded server",
            metavar="URL",
        ),
    )
    api_key: str | None = attrs.field(
        default=None,
        repr=False,
        metadata=declare(
            f"a key with webhooks.write on DEVTUNE_PROJECT_ID ({REQUIRED_REMOTELY})",
            secret=True,
        ),
    )
    project_id: str | None = attrs.field(
        default=None,
        metadata=declare(
            f"the project of that key ({REQUIRED_REMOTELY})", metavar="ID", parameter="projectId"
        ),
    )
    webhook_id: str | None = attrs.field(
        default=None,
        metadata=declare(
            f"a webhook of that project the suite may rotate ({REQUIRED_REMOTELY})",
            metavar="ID",
            parameter="webhookId",
        ),
    )
    readonly_api_key: str | None = attrs.field(
        default=None,
        repr=False,
        metadata=declare(
            "a key of the same project without webhooks.write; unset, its tests are skipped",
            secret=True,
        ),
    )
    foreign_project_id: str | None = attrs.field(
        default=None,
        metadata=declare(
            "a project the key does NOT belong to, for the object-level authorization tests",
            metavar="ID",
            parameter="projectId",
        ),
    )
    foreign_webhook_id: str | None = attrs.field(
        default=None,
        metadata=declare(
            "a DISPOSABLE webhook of that project: a server with broken object-level "
            "authorization really rotates it, and a 200 there counts against "
            "DEVTUNE_MAX_ROTATIONS",
            metavar="ID",
            parameter="webhookId",
        ),
    )
    request_timeout: float = attrs.field(
        default=10.0,
        validator=_positive,
        metadata=declare(
            "seconds for one whole response, headers and body together; a hanging or "
            "trickling server fails with one clear line",
            SECONDS,
        ),
    )
    max_body_bytes: int = attrs.field(
        default=8 * 1024 * 1024,
        validator=_positive,
        metadata=declare(
            "a response body over this size fails as such and is not read further",
            COUNT,
            shown_default="8388608 (8 MiB)",
            metavar="BYTES",
        ),
    )
    deadline: float = attrs.field(
        default=600.0,
        validator=_positive,
        metadata=declare(
            "seconds for the whole run; the request in flight is abandoned, the reports written",
            SECONDS,
        ),
    )
    clock_skew: float = attrs.field(
        default=300.0,
        validator=_positive,
        metadata=declare(
            "allowed distance in seconds of meta.timestamp and X-RateLimit-Reset from this "
            "machine's clock",
            SECONDS,
        ),
    )
    rate_window: float = attrs.field(
        default=60.0,
        validator=_positive,
        metadata=declare(
            "the server's rate-limit window in seconds (DevTune documents per-minute limits); "
            "an X-RateLimit-Reset further ahead than this plus DEVTUNE_CLOCK_SKEW is a "
            "contract failure",
            SECONDS,
        ),
    )
    max_rotations: int = attrs.field(
        default=10,
        validator=_not_negative,
        metadata=declare(
            "the most the run may rotate the designated and foreign webhooks; the default run "
            "needs 6",
            COUNT,
        ),
    )
    probe: ProbeMode = attrs.field(
        default="auto",
        metadata=declare(
            "the quota-spending 429 probe: auto runs it unless another client is seen spending "
            "the key, on always, off never",
            PROBE_MODE,
        ),
    )
    probe_max_requests: int = attrs.field(
        default=200,
        validator=_not_negative,
        metadata=declare(
            "requests the 429 probe may send (to an unknown webhook: nothing rotates); 0 = off",
            COUNT,
        ),
    )
    max_reset_wait: float = attrs.field(
        default=65.0,
        validator=_positive,
        metadata=declare(
            "longest wait in seconds for X-RateLimit-Reset after a 429; the default covers "
            "one documented 60 s window plus the suite's 0.5 s margin",
            SECONDS,
        ),
    )
    require_rate_limit: bool = attrs.field(
        default=False,
        metadata=declare(
            '1 turns "no 429 within the probe budget" from a skip into a failure', FLAG
        ),
    )
    allow_production: bool = attrs.field(
        default=False,
        metadata=declare(
            "the suite refuses devtune.ai (and its subdomains) unless this is 1", FLAG
        ),
    )
    max_examples: int = attrs.field(
        default=25,
        validator=_positive,
        metadata=declare("hypothesis examples per generated test", COUNT),
    )
    seed: int | None = attrs.field(
        default=None,
        metadata=declare(
            "fixes the generated requests; every run prints the seed it used",
            COUNT,
            shown_default="random",
        ),
    )
    checks: tuple[str, ...] = attrs.field(
        default=(),
        metadata=declare(
            "comma-separated check names: run only these (names as in the summary)",
            NAMES,
            shown_default="all",
        ),
    )
    exclude_checks: tuple[str, ...] = attrs.field(
        default=(),
        metadata=declare("comma-separated check names to leave out", NAMES),
    )
    pace: Pace | None = attrs.field(
        default=None,
        metadata=declare(
            "client-side pacing, e.g. 100/60 keeps the run inside a 100/min plan (and turns "
            "the probe off)",
            PACE,
        ),
    )
    report_dir: Path = attrs.field(
        default=Path("reports"),
        metadata=declare(
            f"where {JUNIT_REPORT}, {SUMMARY_REPORT} and {HTML_REPORT} go "
            "(even when other settings are bad)",
            DIRECTORY,
        ),
    )

    @base_url.validator
    def _check_target(self, attribute: attrs.Attribute[Any], url: str | None) -> None:
        if url is None:
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "DEVTUNE_BASE_URL must be an http(s) URL with a host, "
                "e.g. https://staging.example.com/api/v2"
            )
        if "@" in parts.netloc:
            # Never echo the URL: the part before @ is a credential.
            raise SettingsError(
                "DEVTUNE_BASE_URL must not carry credentials (user:password@); "
                "the suite authenticates with DEVTUNE_API_KEY"
            )
        host = parts.hostname.lower().rstrip(".")
        is_production = host == PRODUCTION_HOST or host.endswith("." + PRODUCTION_HOST)
        if is_production and not self.allow_production:
            raise SettingsError(
                f"refusing to run against the production host {host}: rotations break live "
                "webhook deliveries; set DEVTUNE_ALLOW_PRODUCTION=1 if you really mean it"
            )
        missing = [
            variable_of(field)
            for field in ("api_key", "project_id", "webhook_id")
            if not getattr(self, field)
        ]
        if missing:
            raise SettingsError(f"DEVTUNE_BASE_URL is set, so {', '.join(missing)} must be too")

    @foreign_webhook_id.validator
    def _check_foreign(self, attribute: attrs.Attribute[Any], webhook: str | None) -> None:
        if webhook is not None and webhook == self.webhook_id:
            raise SettingsError(
                "DEVTUNE_FOREIGN_WEBHOOK_ID must name another project's webhook, "
                "not DEVTUNE_WEBHOOK_ID"
            )

    @property
    def embedded(self) -> bool:
        """No base URL given: the suite starts the reference server itself."""
        return self.base_url is None

    @property
    def probe_enabled(self) -> bool:
        return self.probe != "off" and self.probe_max_requests > 0

    @property
    def junit_path(self) -> Path:
        return self.report_dir / JUNIT_REPORT

    @property
    def summary_path(self) -> Path:
        return self.report_dir / SUMMARY_REPORT

    def api_keys(self) -> tuple[str, ...]:
        """Every configured API key (write and read-only), for the redactor and echo checks."""
        return tuple(k for k in (self.api_key, self.readonly_api_key) if k)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(**{setting.field: setting.read(env) for setting in SETTINGS})


SETTINGS: tuple[Setting, ...] = tuple(
    attrs.evolve(attribute.metadata[_DECLARATION], field=attribute.name, default=attribute.default)
    for attribute in attrs.fields(Settings)
)
BY_VARIABLE: dict[str, Setting] = {setting.variable: setting for setting in SETTINGS}


def report_dir_from_env(environ: Mapping[str, str]) -> Path:
    """``DEVTUNE_REPORT_DIR`` alone: reports are written even when other settings are bad."""
    directory: Path = BY_VARIABLE["DEVTUNE_REPORT_DIR"].read(environ)
    return directory


@attrs.frozen
class SettingsSources:
    """Where one run's settings come from, strongest first: flags, environment, env file.

    Each layer maps variable names to text. A blank value counts as unset and lets a weaker
    layer (or the default) show through, as a blank variable always has. ``problem`` is a
    refusal met while collecting the layers (a key given as a flag, an unreadable file): it
    is raised as a :class:`SettingsError` when the settings are read, so the run reports it
    like any bad setting, in the report directory the layers name.
    """

    flags: Mapping[str, str] = attrs.field(factory=dict)
    environ: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    file: Mapping[str, str] = attrs.field(factory=dict)
    problem: str | None = None

    def merged(self) -> dict[str, str]:
        """One mapping of every declared variable some layer sets, the strongest layer's."""
        merged: dict[str, str] = {}
        for layer in (self.file, self.environ, self.flags):
            merged.update({n: v for n, v in layer.items() if n in BY_VARIABLE and v.strip()})
        return merged

    def report_dir(self) -> Path:
        return report_dir_from_env(self.merged())

    def settings(self) -> Settings:
        if self.problem is not None:
            raise SettingsError(self.problem)
        return Settings.from_env(self.merged())
