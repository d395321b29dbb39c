"""The schedules file, edited by hand or by `summarize schedule`: validated as a
whole on every load and save, so a mistake is reported when it is made, not
by a briefing that silently fails to appear the next morning. The SMTP
password is never part of it, so the file can be shared or backed up freely.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from summarize.atomic import write_atomic
from summarize.render.files import FORMATS
from summarize.schedule.deliver import SmtpSettings
from summarize.schedule.state import hold_flock

CONFIG_ENV = "SUMMARIZE_CONFIG"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_AT_PATTERN = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class ConfigError(Exception):
    """The schedules config cannot be read or would be invalid."""


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inbox: Path
    at: str
    tz: str
    out: Path
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    prompt: str | None = None
    language: str | None = None
    model: str | None = None
    # "batch": the briefing's calls go as OpenAI Batch API jobs (half the price,
    # answers within 24 hours), a good fit for a briefing made overnight.
    backend: Literal["auto", "embedded", "openai", "batch"] = "auto"
    email_to: list[str] = Field(default_factory=list)
    feed_url: str | None = None
    sources: list[str] = Field(default_factory=list)  # saved sources fetched into the inbox before each briefing
    created: datetime  # due times before this are never caught up

    @field_validator("at")
    @classmethod
    def _valid_at(cls, value: str) -> str:
        match = _AT_PATTERN.fullmatch(value.strip())
        if not match:
            raise ValueError(f"expected HH:MM (24-hour), got {value!r}")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("tz")
    @classmethod
    def _valid_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @field_validator("formats")
    @classmethod
    def _valid_formats(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in FORMATS]
        if unknown or not value:
            raise ValueError(f"formats take {', '.join(FORMATS)}; got {', '.join(value) or 'none'}")
        return list(dict.fromkeys(value))

    @field_validator("created")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def cron(self) -> str:
        hour, minute = self.at.split(":")
        return f"{int(minute)} {int(hour)} * * *"

    @property
    def written_formats(self) -> list[str]:
        """The formats asked for, plus JSON: the feed is built from it."""
        return list(dict.fromkeys([*self.formats, "json"]))


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings | None = None
    schedules: dict[str, Schedule] = Field(default_factory=dict)

    @field_validator("schedules")
    @classmethod
    def _valid_names(cls, value: dict[str, Schedule]) -> dict[str, Schedule]:
        for name in value:
            check_name(name)
        return value


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"schedule names are letters, digits, - and _ (at most 64); got {name!r}")
    return name


def default_config_path() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_config_dir("summarize")) / "schedules.toml"


def validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors())


def load_config(path: Path) -> Config:
    """The config at `path`; an empty one if the file does not exist yet."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if isinstance(raw.get("smtp"), dict) and "password" in raw["smtp"]:
        raise ConfigError(f"{path}: smtp.password is never read from the config; remove it and export "
                          f"the password in ${raw['smtp'].get('password_env', 'SUMMARIZE_SMTP_PASSWORD')}")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None


def save_config(path: Path, config: Config) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)))


@contextlib.contextmanager
def editing_config(path: Path) -> Iterator[Config]:
    """Load, let the caller change, save; concurrent editors take turns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with hold_flock(path.with_name(path.name + ".lock"), blocking=True):
        config = load_config(path)
        yield config
        save_config(path, Config.model_validate(config.model_dump()))


def local_zone_name() -> str:
    """The system's IANA zone name, for a schedule added without --tz."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(os.path.realpath("/etc/localtime").partition("zoneinfo/")[2])
    for name in candidates:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            if name:
                ZoneInfo(name)
                return name
    return "UTC"

