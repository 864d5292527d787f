"""The suite's settings: read once from ``DEVTUNE_*`` variables into one frozen object.

Every check, budget and report reads from :class:`Settings`; nothing else looks at the
environment. Bad values raise :class:`SettingsError` with a one-line message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import attrs

PRODUCTION_HOST = "devtune.ai"
T = TypeVar("T")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@attrs.frozen
class Settings:
    """Where the suite points and how far it may go. Times are in seconds."""

    base_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    project_id: str | None = None
    webhook_id: str | None = None
    readonly_api_key: str | None = attrs.field(default=None, repr=False)
    foreign_project_id: str | None = None
    foreign_webhook_id: str | None = None
    request_timeout: float = 10.0
    deadline: float = 600.0
    clock_skew: float = 300.0
    max_rotations: int = 10
    probe_max_requests: int = 200
    max_reset_wait: float = 60.0
    require_rate_limit: bool = False
    allow_production: bool = False
    max_examples: int = 25
    report_dir: Path = Path("reports")

    @property
    def embedded(self) -> bool:
        """No base URL given: the suite starts the reference server itself."""
        return self.base_url is None

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
        settings = cls(
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
            probe_max_requests=reader.number("DEVTUNE_PROBE_MAX_REQUESTS", int, 200),
            max_reset_wait=reader.number("DEVTUNE_MAX_RESET_WAIT", float, 60.0),
            require_rate_limit=reader.flag("DEVTUNE_REQUIRE_RATE_LIMIT"),
            allow_production=reader.flag("DEVTUNE_ALLOW_PRODUCTION"),
            max_examples=reader.number("DEVTUNE_MAX_EXAMPLES", int, 25),
            report_dir=Path(reader.text("DEVTUNE_REPORT_DIR") or "reports"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.base_url is None:
            return
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "DEVTUNE_BASE_URL must be an http(s) URL with a host, "
                "e.g. https://staging.example.com/api/v2"
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
            value = kind(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if not float(value) > 0:  # type: ignore[arg-type]
            raise SettingsError(f"{name} must be positive, got {raw!r}")
        return value

    def flag(self, name: str) -> bool:
        raw = (self.text(name) or "0").lower()
        if raw not in ("0", "1", "true", "false", "yes", "no"):
            raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")
        return raw in ("1", "true", "yes")
