"""Delivery of finished briefings beyond the files: an Atom feed and e-mail.

The feed is rebuilt from the briefing JSON files in the output directory each
time, so it always matches what is on disk and a lost or hand-edited feed
heals on the next run. Entry ids derive from the feed id and the briefing date
only, so readers see a remade briefing as an update, not as a new entry.

The SMTP password is read from an environment variable at send time and is
never part of `SmtpSettings`, so it cannot end up in the config file, the
database or a log line.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from summarize.atomic import write_atomic
from summarize.models import Briefing
from summarize.render.html import safe_link, summary_line

FEED_NAME = "feed.atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
DEFAULT_PASSWORD_ENV = "SUMMARIZE_SMTP_PASSWORD"
# Briefing files link from the feed in this order of preference.
_LINK_FORMATS = (("html", "text/html"), ("md", "text/markdown"), ("json", "application/json"))
_SUMMARY_HEADLINES = 10


class DeliveryError(Exception):
    """A briefing could not be delivered; the message says why, for one line on stderr."""


# --- Atom feed -------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    key: str  # the briefing's file stem: its date, or "undated"
    briefing: Briefing
    updated: datetime
    link: str
    link_type: str


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def feed_base_url(out_dir: Path, base_url: str | None) -> str:
    """Where the briefing files are reachable: the configured URL, or the
    directory itself as a file: URL for a reader on the same machine."""
    base = base_url or Path(out_dir).resolve().as_uri()
    return base if base.endswith("/") else base + "/"


def feed_id(base: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, base).urn


def entry_id(base: str, key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, base + "#" + key).urn


def find_briefings(out_dir: Path, base: str) -> list[FeedEntry]:
    """Every readable briefing JSON in `out_dir`, newest date first (undated
    last); other JSON files are skipped."""
    entries: list[FeedEntry] = []
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            briefing = Briefing.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError):
            continue
        fmt, kind = next(((f, k) for f, k in _LINK_FORMATS if path.with_suffix(f".{f}").is_file()),
                         _LINK_FORMATS[-1])
        updated = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        entries.append(FeedEntry(path.stem, briefing, updated, base + quote(f"{path.stem}.{fmt}"), kind))
    return sorted(entries, key=lambda e: (e.briefing.date is not None, e.briefing.date or "", e.updated),
                  reverse=True)


def entry_summary(briefing: Briefing) -> str:
    lines = [summary_line(briefing)]
    lines += [f"- {story.headline}" for story in briefing.stories[:_SUMMARY_HEADLINES]]
    if len(briefing.stories) > _SUMMARY_HEADLINES:
        lines.append(f"- … and {len(briefing.stories) - _SUMMARY_HEADLINES} more")
    return "\n".join(lines)


def source_links(briefing: Briefing, limit: int = 100) -> list[dict[str, str]]:
    """Each story source with a URL (an article `summarize fetch` saved), once."""
    links: dict[str, dict[str, str]] = {}
    for story in briefing.stories:
        for source in story.sources:
            href = safe_link(source.url)
            if href and href not in links and len(links) < limit:
                title = " — ".join(p for p in (source.source, source.title) if p) or href
                links[href] = {"href": href, "title": title}
    return list(links.values())


def _child(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def render_atom(entries: Sequence[FeedEntry], *, title: str, base: str, author: str = "summarize",
                now: datetime | None = None) -> str:
    """An Atom 1.0 document with one entry per briefing, in the order given."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _child(feed, "id", feed_id(base))
    _child(feed, "title", title)
    newest = max((e.updated for e in entries), default=now or datetime.now(timezone.utc))
    _child(feed, "updated", _rfc3339(newest))
    _child(_child(feed, "author"), "name", author)
    _child(feed, "link", rel="self", type="application/atom+xml", href=base + FEED_NAME)
    _child(feed, "generator", "summarize")
    for entry in entries:
        element = _child(feed, "entry")
        _child(element, "id", entry_id(base, entry.key))
        _child(element, "title", f"Briefing — {entry.briefing.date or 'undated'}")
        _child(element, "updated", _rfc3339(entry.updated))
        _child(element, "link", rel="alternate", type=entry.link_type, href=entry.link)
        for source in source_links(entry.briefing):
            _child(element, "link", rel="related", type="text/html", **source)
        _child(element, "summary", entry_summary(entry.briefing), type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def update_atom_feed(out_dir: Path, *, title: str = "Briefings", base_url: str | None = None,
                     author: str = "summarize") -> Path:
    """Rewrite `out_dir/feed.atom` from the briefings in `out_dir`; returns its path."""
    out_dir = Path(out_dir)
    base = feed_base_url(out_dir, base_url)
    path = out_dir / FEED_NAME
    write_atomic(path, render_atom(find_briefings(out_dir, base), title=title, base=base, author=author))
    return path


# --- e-mail ----------------------------------------------------------------------


class SmtpSettings(BaseModel):
    """How to reach the mail server. There is deliberately no password field:
    a config that contains one is rejected instead of being silently used."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False  # implicit TLS from the first byte, usually port 465
    user: str | None = None
    sender: str
    password_env: str = DEFAULT_PASSWORD_ENV
    cafile: str | None = None  # a private CA for the server's certificate
    timeout: float = 30.0


def build_message(briefing: Briefing, html: str, markdown: str, *, sender: str, to: Sequence[str],
                  subject: str | None = None) -> EmailMessage:
    """The briefing as multipart/alternative: Markdown as text/plain first,
    HTML last, so mail clients that can show HTML prefer it."""
    message = EmailMessage()
    message["Subject"] = subject or f"Briefing — {briefing.date or 'undated'}"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(markdown, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _password(settings: SmtpSettings) -> str:
    password = os.environ.get(settings.password_env)
    if not password:
        raise DeliveryError(f"SMTP user {settings.user!r} is set but ${settings.password_env} is empty; "
                            f"export the password in {settings.password_env}")
    return password


def send_email(briefing: Briefing, html: str, markdown: str, smtp: SmtpSettings, to: Sequence[str], *,
               subject: str | None = None) -> EmailMessage:
    """Send the briefing to `to`; returns the message sent. Raises DeliveryError."""
    if not to:
        raise DeliveryError("no recipient")
    encrypted = smtp.ssl or smtp.starttls
    if smtp.user and not encrypted and not _is_loopback(smtp.host):
        # A password in clear text across the network is worse than no mail.
        raise DeliveryError(f"refusing to log in to {smtp.host} without TLS; enable starttls or ssl")
    password = _password(smtp) if smtp.user else None
    message = build_message(briefing, html, markdown, sender=smtp.sender, to=to, subject=subject)
    context = ssl.create_default_context(cafile=smtp.cafile) if encrypted else None
    try:
        if smtp.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.starttls and not smtp.ssl:
                client.starttls(context=context)
                client.ehlo()
            if smtp.user and password:
                client.login(smtp.user, password)
            client.send_message(message)
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{smtp.host}:{smtp.port} does not support this ({exc}); "
                            f"check starttls/ssl in the SMTP settings") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{smtp.host}:{smtp.port} rejected the login for {smtp.user!r} "
                            f"({exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"cannot send mail via {smtp.host}:{smtp.port}: {exc}") from None
    return message
