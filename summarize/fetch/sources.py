"""Saved sources and fetch settings: `sources.toml` next to the schedules file.

    [fetch]
    contact = "mailto:me@example.org"   # goes into the User-Agent
    delay = 1.0                         # seconds between requests to one host

    [sources.tagesschau]
    url = "https://www.tagesschau.de/index~rss2.xml"

    [sources.intranet]
    url = "http://news.intranet/feed"
    allow_private = true                # this host may be on a private address
    auth_env = "INTRANET_AUTH"          # user:password, read from the environment

Credentials are never part of the file: a URL with a user or password is
refused, and `auth_env` names the variable that holds them instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from summarize.atomic import write_atomic
from summarize.fetch.safety import SCHEMES, redact, split_credentials

SOURCES_ENV = "SUMMARIZE_SOURCES"
CONFIG_ENV = "SUMMARIZE_CONFIG"  # the schedules file; sources.toml sits beside it
CONTACT_ENV = "SUMMARIZE_CONTACT"
FILE_NAME = "sources.toml"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SourcesError(Exception):
    """The sources file cannot be read or would be invalid; one line."""


class FetchSettings(BaseModel):
    """How politely and how patiently to fetch; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    contact: str | None = None  # an e-mail or URL for the User-Agent
    delay: float = Field(1.0, ge=0, le=600)  # seconds between the starts of two requests to one host
    per_host: int = Field(2, ge=1, le=8)  # requests in flight to one host
    workers: int = Field(8, ge=1, le=64)  # requests in flight in all
    connect_timeout: float = Field(10.0, gt=0, le=300)
    timeout: float = Field(20.0, gt=0, le=600)  # the longest wait for the next bytes
    deadline: float = Field(60.0, gt=0, le=3600)  # the longest a whole response may take
    max_bytes: int = Field(5_000_000, ge=1000)  # like the reader's --max-size
    max_redirects: int = Field(5, ge=0, le=20)
    attempts: int = Field(3, ge=1, le=10)  # tries on 429, 5xx and timeouts
    backoff: float = Field(1.0, ge=0, le=60)  # the first wait between tries; doubled each time
    max_retry_after: float = Field(120.0, ge=0)  # a longer Retry-After is not waited for
    max_items: int = Field(50, ge=1)  # new articles per source and run
    max_sitemaps: int = Field(20, ge=1, le=1000)  # child sitemaps followed per source
    robots_ttl: float = Field(86400.0, ge=0)  # seconds a robots.txt is kept

    def user_agent(self, version: str) -> str:
        contact = self.contact or os.environ.get(CONTACT_ENV)
        return f"summarize/{version} (news digest; +{contact})" if contact else f"summarize/{version} (news digest)"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    allow_private: bool = False
    auth_env: str | None = None

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        value = value.strip()
        scheme = value.split(":", 1)[0].lower()
        if scheme not in SCHEMES or "://" not in value:
            raise ValueError(f"only http and https URLs are fetched, not {value[:80]!r}")
        if split_credentials(value)[1] is not None:
            raise ValueError("credentials are never stored: remove them from the URL and name an "
                             "environment variable holding user:password with --auth-env")
        return value

    @field_validator("auth_env")
    @classmethod
    def _valid_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(f"--auth-env takes an environment variable name, got {value!r}")
        return value

    def credentials(self) -> tuple[str, str] | None:
        if not self.auth_env:
            return None
        raw = os.environ.get(self.auth_env)
        if not raw:
            raise SourcesError(f"${self.auth_env} is not set (it should hold user:password)")
        user, _, password = raw.partition(":")
        return user, password


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    sources: dict[str, Source] = Field(default_factory=dict)

    @field_validator("sources")
    @classmethod
    def _valid_names(cls, value: dict[str, Source]) -> dict[str, Source]:
        for name in value:
            check_name(name)
        return value


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"source names are letters, digits, ., - and _ (at most 64); got {name!r}")
    return name


def default_sources_path(config_path: Path | None = None) -> Path:
    """SUMMARIZE_SOURCES, else `sources.toml` beside the schedules file."""
    configured = os.environ.get(SOURCES_ENV)
    if configured:
        return Path(configured)
    if config_path is None and os.environ.get(CONFIG_ENV):
        config_path = Path(os.environ[CONFIG_ENV])
    if config_path is not None:
        return Path(config_path).with_name(FILE_NAME)
    return Path(platformdirs.user_config_dir("summarize")) / FILE_NAME


def _message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors())


def load_sources(path: Path) -> SourcesFile:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SourcesFile()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourcesError(f"{path}: {exc}") from None
    try:
        return SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise SourcesError(f"{path}: {_message(exc)}") from None


@contextlib.contextmanager
def editing_sources(path: Path) -> Iterator[SourcesFile]:
    """Load, let the caller change, validate and save; editors take turns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sources = load_sources(path)
        yield sources
        try:
            checked = SourcesFile.model_validate(sources.model_dump())
        except ValidationError as exc:
            raise SourcesError(_message(exc)) from None
        text = tomli_w.dumps(checked.model_dump(mode="json", exclude_none=True, exclude_defaults=True))
        write_atomic(path, text, private=True)


def add_source(path: Path, name: str, url: str, *, allow_private: bool = False, auth_env: str | None = None,
               replace: bool = False) -> Source:
    try:
        check_name(name)
        source = Source(url=url, allow_private=allow_private, auth_env=auth_env)
    except ValidationError as exc:
        raise SourcesError(_message(exc)) from None
    except ValueError as exc:
        raise SourcesError(str(exc)) from None
    with editing_sources(path) as sources:
        if name in sources.sources and not replace:
            raise SourcesError(f"a source named {name!r} exists; use --replace to change it")
        sources.sources[name] = source
    return source


def remove_source(path: Path, name: str) -> None:
    with editing_sources(path) as sources:
        if sources.sources.pop(name, None) is None:
            raise SourcesError(f"no source named {name!r} in {path}")


def resolve(names_or_urls: list[str], sources: SourcesFile) -> list[tuple[str, Source]]:
    """Each argument as (label, Source): a saved source by name, or a URL as given."""
    resolved = []
    for value in names_or_urls:
        if value in sources.sources:
            resolved.append((value, sources.sources[value]))
        elif "://" in value:
            # Credentials typed on the command line are used, never stored.
            resolved.append((redact(value.strip()),
                             Source.model_construct(url=value.strip(), allow_private=False, auth_env=None)))
        else:
            raise SourcesError(f"no source named {value!r} (add it with: summarize sources add {value} URL)")
    return resolved
