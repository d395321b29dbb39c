"""Atom feed and e-mail delivery, read back with feedparser and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import xml.etree.ElementTree as ET

import feedparser
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from summarize.models import Briefing, Story, StorySource
from summarize.render.files import render_html, render_markdown, write_briefing
from summarize.schedule.deliver import (
    ATOM_NS,
    FEED_NAME,
    DeliveryError,
    SmtpSettings,
    send_email,
    update_atom_feed,
)

PASSWORD = "s3cret-sentinel-7f2b"


def briefing(day: str | None, *headlines: str) -> Briefing:
    stories = [Story(id=f"s-{i}", headline=h, tldr=f"{h}. More.", sources=[StorySource(path=f"/in/{i}.txt")])
               for i, h in enumerate(headlines)]
    return Briefing(date=day, stories=stories, model="fake-model")


# --- a real SMTP server on 127.0.0.1 ---------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """aiosmtpd on a free local port that keeps every message and every login."""

    def __init__(self, *, password: str | None = None, tls_context: ssl.SSLContext | None = None):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.password = password
        options = {"auth_require_tls": False, "authenticator": self._authenticate} if password else {}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), **options)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=password == self.password, handled=False)

    def settings(self, **overrides) -> SmtpSettings:
        values = dict(host="127.0.0.1", port=self.controller.port, starttls=False, sender="briefing@example.org",
                      timeout=5)
        return SmtpSettings(**{**values, **overrides})

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


# --- Atom --------------------------------------------------------------------------


def test_feed_lists_each_briefing_newest_first_and_parses_as_atom(tmp_path):
    for day, headline in [("2026-03-02", "Second day"), ("2026-03-01", "First day"), ("2026-03-03", "Third")]:
        write_briefing(briefing(day, headline, "Other <news> & more"), tmp_path, ["md", "html", "json"])
    (tmp_path / "notes.json").write_text('{"not": "a briefing"}')
    feed_path = update_atom_feed(tmp_path, title="Morning")
    assert feed_path == tmp_path / FEED_NAME

    parsed = feedparser.parse(feed_path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Morning" and parsed.feed.id.startswith("urn:uuid:")
    assert parsed.feed.author == "summarize" and parsed.feed.updated
    assert [e.title for e in parsed.entries] == ["Briefing — 2026-03-03", "Briefing — 2026-03-02",
                                                 "Briefing — 2026-03-01"]
    first = parsed.entries[0]
    assert first.link.endswith(f"{tmp_path.name}/2026-03-03.html")
    assert first.links[0].type == "text/html"
    assert "Third" in first.summary and "Other <news> & more" in first.summary
    assert all(e.id.startswith("urn:uuid:") and e.updated for e in parsed.entries)
    assert len({e.id for e in parsed.entries}) == 3

    # Required Atom 1.0 elements, checked on the XML itself.
    root = ET.parse(feed_path).getroot()
    assert root.tag == f"{{{ATOM_NS}}}feed"
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        assert all(entry.find(f"{{{ATOM_NS}}}{tag}") is not None for tag in ("id", "title", "updated", "link"))
    link = root.find(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}link")
    assert link.get("href") == (tmp_path.resolve() / "2026-03-03.html").as_uri()  # a local reader opens it


def test_feed_ids_are_stable_when_rewritten_and_links_follow_the_base_url(tmp_path):
    write_briefing(briefing("2026-03-01", "One"), tmp_path, ["json", "html"])
    update_atom_feed(tmp_path)
    before = feedparser.parse((tmp_path / FEED_NAME).read_bytes())

    write_briefing(briefing("2026-03-02", "Two"), tmp_path, ["json"])  # no HTML: links to the JSON
    update_atom_feed(tmp_path)
    after = feedparser.parse((tmp_path / FEED_NAME).read_bytes())
    assert after.feed.id == before.feed.id
    assert [e.id for e in after.entries][1:] == [e.id for e in before.entries]
    assert after.entries[0].links[0].href.endswith("/2026-03-02.json")

    update_atom_feed(tmp_path, base_url="https://news.example.org/briefings")
    served = feedparser.parse((tmp_path / FEED_NAME).read_bytes())
    assert served.entries[1].link == "https://news.example.org/briefings/2026-03-01.html"
    assert served.feed.links[0].href == "https://news.example.org/briefings/feed.atom"


def test_empty_directory_gives_a_valid_feed_without_entries(tmp_path):
    parsed = feedparser.parse(update_atom_feed(tmp_path).read_bytes())
    assert parsed.bozo == 0 and parsed.version == "atom10" and parsed.entries == []


# --- e-mail ------------------------------------------------------------------------


def test_briefing_mail_is_multipart_alternative_and_logs_in_with_the_env_password(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_SMTP_PASSWORD", PASSWORD)
    b = briefing("2026-03-03", "Ceasefire talks resume", "Äpfel & Birnen")
    with SmtpSink(password=PASSWORD) as sink:
        send_email(b, render_html(b), render_markdown(b), sink.settings(user="reader"), ["me@example.org"])
    assert sink.logins == [("reader", PASSWORD)]
    assert sink.envelopes == [("briefing@example.org", ["me@example.org"])]
    (message,) = sink.messages
    assert message.get_content_type() == "multipart/alternative"
    assert "2026-03-03" in message["Subject"]
    assert message["From"] == "briefing@example.org" and message["To"] == "me@example.org"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n") == render_markdown(b)
    assert "Äpfel &amp; Birnen" in html.get_content() and html.get_content().lstrip().startswith("<!DOCTYPE html>")


def test_plain_mail_without_login(monkeypatch):
    monkeypatch.delenv("SUMMARIZE_SMTP_PASSWORD", raising=False)
    b = briefing("2026-03-04", "Quiet day")
    with SmtpSink() as sink:
        send_email(b, render_html(b), render_markdown(b), sink.settings(), ["a@example.org", "b@example.org"])
    assert sink.envelopes == [("briefing@example.org", ["a@example.org", "b@example.org"])]


def test_login_problems_are_one_line_errors_without_the_password(monkeypatch):
    b = briefing("2026-03-05", "x")
    with SmtpSink(password=PASSWORD) as sink:
        monkeypatch.delenv("SUMMARIZE_SMTP_PASSWORD", raising=False)
        with pytest.raises(DeliveryError, match="SUMMARIZE_SMTP_PASSWORD"):
            send_email(b, "<p>x</p>", "x", sink.settings(user="reader"), ["me@example.org"])
        monkeypatch.setenv("OTHER_PASSWORD_VAR", "wrong-password-value")
        with pytest.raises(DeliveryError, match="rejected the login") as failure:
            send_email(b, "<p>x</p>", "x", sink.settings(user="reader", password_env="OTHER_PASSWORD_VAR"),
                       ["me@example.org"])
        assert "wrong-password-value" not in str(failure.value)
    assert sink.messages == []
    # Never a password in clear text to a host across the network.
    with pytest.raises(DeliveryError, match="without TLS"):
        send_email(b, "<p>x</p>", "x", SmtpSettings(host="mail.example.org", starttls=False, user="reader",
                                                     sender="x@example.org"), ["me@example.org"])


def test_unreachable_server_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="cannot send mail"):
        send_email(briefing("2026-03-05", "x"), "<p>x</p>", "x",
                   SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, sender="x@example.org",
                                timeout=5), ["me@example.org"])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_starttls_with_a_private_ca(tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SUMMARIZE_SMTP_PASSWORD", PASSWORD)
    b = briefing("2026-03-06", "Encrypted")
    with SmtpSink(password=PASSWORD, tls_context=context) as sink:
        with pytest.raises(DeliveryError):  # the certificate is not trusted by default
            send_email(b, render_html(b), render_markdown(b), sink.settings(starttls=True, user="reader"),
                       ["me@example.org"])
        send_email(b, render_html(b), render_markdown(b),
                   sink.settings(starttls=True, user="reader", cafile=str(cert)), ["me@example.org"])
    assert sink.logins == [("reader", PASSWORD)]
    assert len(sink.messages) == 1 and "2026-03-06" in sink.messages[0]["Subject"]
    assert os.environ["SUMMARIZE_SMTP_PASSWORD"] == PASSWORD
