"""The suite's settings: read once from ``DEVTUNE_*`` variables into one frozen object.

Every check, budget and report reads from :class:`Settings`; nothing else looks at the
environment. Invariants are attrs validators, so ``attrs.evolve`` cannot bypass them. Bad
values raise :class:`SettingsError` with a one-line message that names the variable and never
shows a credential.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

PRODUCTION_HOST = "devtune.ai"
T = TypeVar("T")
PACE_PATTERN = re.compile(r"(\d+)/(\d+(?:\.\d+)?)")


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


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise SettingsError(f"{_variable(attribute)} must be positive, got {value!r}")


def _not_negative(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise SettingsError(f"{_variable(attribute)} must be 0 or more, got {value!r}")


def _variable(attribute: attrs.Attribute[Any]) -> str:
    return "DEVTUNE_" + attribute.name.upper()


def _without_trailing_slash(url: str | None) -> str | None:
    return url.rstrip("/") if url else url


@attrs.frozen
class Settings:
    """Where the suite points and how far it may go. Times are in seconds."""

    base_url: str | None = attrs.field(default=None, converter=_without_trailing_slash)
    api_key: str | None = attrs.field(default=None, repr=False)
    project_id: str | None = None
    webhook_id: str | None = None
    readonly_api_key: str | None = attrs.field(default=None, repr=False)
    foreign_project_id: str | None = None
    foreign_webhook_id: str | None = attrs.field(default=None)
    request_timeout: float = attrs.field(default=10.0, validator=_positive)
    deadline: float = attrs.field(default=600.0, validator=_positive)
    clock_skew: float = attrs.field(default=300.0, validator=_positive)
    max_rotations: int = attrs.field(default=10, validator=_not_negative)
    probe: bool = True
    probe_max_requests: int = attrs.field(default=200, validator=_not_negative)
    max_reset_wait: float = attrs.field(default=60.0, validator=_positive)
    require_rate_limit: bool = False
    allow_production: bool = False
    max_examples: int = attrs.field(default=25, validator=_positive)
    seed: int | None = None
    checks: tuple[str, ...] = ()  # only these checks, by name (empty: all)
    exclude_checks: tuple[str, ...] = ()
    pace: Pace | None = None
    report_dir: Path = Path("reports")

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
            name
            for name, value in (
                ("DEVTUNE_API_KEY", self.api_key),
                ("DEVTUNE_PROJECT_ID", self.project_id),
                ("DEVTUNE_WEBHOOK_ID", self.webhook_id),
            )
            if not value
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
        return self.probe and self.probe_max_requests > 0

    @property
    def junit_path(self) -> Path:
        return self.report_dir / "contract-junit.xml"

    @property
    def summary_path(self) -> Path:
        return self.report_dir / "contract-summary.json"

    def api_keys(self) -> tuple[str, ...]:
        """Every configured API key (write and read-only), for the redactor and echo checks."""
        return tuple(k for k in (self.api_key, self.readonly_api_key) if k)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        pace = reader.text("DEVTUNE_PACE")
        return cls(
            base_url=reader.text("DEVTUNE_BASE_URL"),
            api_key=reader.text("DEVTUNE_API_KEY"),
            project_id=reader.text("DEVTUNE_PROJECT_ID"),
            webhook_id=reader.text("DEVTUNE_WEBHOOK_ID"),
            readonly_api_key=reader.text("DEVTUNE_READONLY_API_KEY"),
            foreign_project_id=reader.text("DEVTUNE_FOREIGN_PROJECT_ID"),
            foreign_webhook_id=reader.text("DEVTUNE_FOREIGN_WEBHOOK_ID"),
            request_timeout=reader.number("DEVTUNE_REQUEST_TIMEOUT", float, 10.0),
            deadline=reader.number("DEVTUNE_DEADLINE", float, 600.0),
            clock_skew=reader.number("DEVTUNE_CLOCK_SKEW", float, 300.0),
            max_rotations=reader.number("DEVTUNE_MAX_ROTATIONS", int, 10),
            probe=reader.switch("DEVTUNE_PROBE"),
            probe_max_requests=reader.number("DEVTUNE_PROBE_MAX_REQUESTS", int, 200),
            max_reset_wait=reader.number("DEVTUNE_MAX_RESET_WAIT", float, 60.0),
            require_rate_limit=reader.flag("DEVTUNE_REQUIRE_RATE_LIMIT"),
            allow_production=reader.flag("DEVTUNE_ALLOW_PRODUCTION"),
            max_examples=reader.number("DEVTUNE_MAX_EXAMPLES", int, 25),
            seed=reader.optional_number("DEVTUNE_SEED"),
            checks=reader.names("DEVTUNE_CHECKS"),
            exclude_checks=reader.names("DEVTUNE_EXCLUDE_CHECKS"),
            pace=None if pace is None else Pace.parse(pace),
            report_dir=report_dir_from_env(env),
        )


def report_dir_from_env(environ: Mapping[str, str]) -> Path:
    """``DEVTUNE_REPORT_DIR`` alone: reports are written even when other settings are bad."""
    return Path(environ.get("DEVTUNE_REPORT_DIR", "").strip() or "reports")


@attrs.frozen
class _Reader:
    env: Mapping[str, str]

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def number(self, name: str, kind: Callable[[str], T], default: T) -> T:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return kind(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None

    def optional_number(self, name: str) -> int | None:
        return None if self.text(name) is None else self.number(name, int, 0)

    def names(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.text(name) or "").split(",") if part.strip())

    def flag(self, name: str) -> bool:
        raw = (self.text(name) or "0").lower()
        if raw not in ("0", "1", "true", "false", "yes", "no"):
            raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")
        return raw in ("1", "true", "yes")

    def switch(self, name: str) -> bool:
        """``on``/``off`` (or 1/0), default on."""
        raw = (self.text(name) or "on").lower()
        if raw not in ("on", "off", "0", "1", "true", "false", "yes", "no"):
            raise SettingsError(f"{name} must be on or off, got {raw!r}")
        return raw in ("on", "1", "true", "yes")
