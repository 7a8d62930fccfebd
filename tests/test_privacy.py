"""The privacy scan: planted secrets and personal data in every text field are found, named by
file, record and field, allowed only by a reviewed entry, and masked with --redact."""

from __future__ import annotations

import json

import pytest

from conftest import run
from pmconsole.domain.model import Feedback, Session, StepNote
from pmconsole.publish.privacy import (
    ALLOW_FILE, MASK, AllowListError, find_in_text, not_allowed, read_allow_list, redacted,
    scan_session, session_texts,
)
from session_files import save_session

AWS = "AKIAIOSFODNN7EXAMPLE"
BEARER = "Bearer 9f8e7d6c5b4a39281706abcdefXYZ"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Zr\n-----END RSA PRIVATE KEY-----"
EMAIL = "ann.lee@example.com"
PLANTED = [(AWS, "AWS Access Key"), (BEARER, "Bearer token"), (KEY, "Private Key"),
           (EMAIL, "e-mail address")]


@pytest.mark.parametrize("text, kind", [
    *PLANTED,
    ("call +44 20 7946 0958 now", "phone number"),
    ("host 10.0.3.17 stopped", "IP address"),
    ("host 2001:db8::1 stopped", "IP address"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked", "GitHub Token"),
])
def test_each_kind_is_found(text, kind):
    assert [f[0] for f in find_in_text(text)] == [kind]


def test_plain_post_mortem_text_is_not_flagged():
    text = ("Recovery took 47 minutes at 10:00:00 on 2026-03-02; version 1.2.3 rolled back; "
            "the password was rotated and the token expired; 1,000,000 rows in 20 s.")
    assert find_in_text(text) == []


def planted_everywhere(session: Session) -> tuple[Session, dict[tuple[str, str], str]]:
    """The session with one planted secret in every text field (an e-mail in tags, which are
    lower-cased), and which kind went where."""
    session = session.model_copy(update={
        "feedback": [Feedback(id="fb-1", comment="ok", unsaid="")],
        "notes": [StepNote(id="5", text="notes")],
    })
    dump, places = session_texts(session)
    expected = {}
    for n, (record, field, container, key) in enumerate(places):
        secret, kind = PLANTED[n % len(PLANTED)]
        if field.startswith("tags"):
            secret, kind = EMAIL, "e-mail address"
        container[key] = f"{container[key]} {secret} end"
        expected[(record, field)] = kind
    return Session.model_validate(dump), expected


def test_planted_in_every_field_found_named_and_masked(make_session, tmp_path):
    session, expected = planted_everywhere(make_session())
    assert len(expected) > 30  # every field people type into, feedback and history included
    findings = scan_session(session, tmp_path / "pm.toml")
    assert {(f.record, f.field): f.kind for f in findings} == expected
    first = next(f for f in findings if f.kind == "AWS Access Key")
    assert first.sentence().startswith(f"{tmp_path / 'pm.toml'}: {first.record}, field ")
    assert AWS not in first.sentence()  # named, never printed
    assert {("timeline e-major", "text"), ("session", "summary"), ("incident", "title"),
            ("actions a-1 history 1", "note"), ("question", "text")} <= set(expected)

    clean = redacted(session)
    assert scan_session(clean, "pm.toml") == []
    dumped = clean.model_dump_json()
    for secret, _ in PLANTED:
        assert secret.split("\n")[0] not in dumped
    assert MASK in clean.summary and clean.summary.endswith(" end")


def test_feedback_left_out_when_asked(make_session):
    session = make_session(feedback=[Feedback(comment=f"mail me at {EMAIL}")])
    assert [f.record for f in scan_session(session, "pm.toml")] == [f"feedback {session.feedback[0].id}"]
    assert scan_session(session, "pm.toml", include_feedback=False) == []


def test_allow_list(tmp_path, make_session):
    session = make_session(summary=f"Write to {EMAIL}; host 192.0.2.10.")
    findings = scan_session(session, tmp_path / "pm.toml")
    assert len(findings) == 2
    allow = tmp_path / ALLOW_FILE
    allow.write_text(
        '[[allow]]\nmatch = "192.0.2.10"\nreason = "documentation range (reviewed by Ann)"\n'
        f'[[allow]]\nfingerprint = "{findings[0].fingerprint}"\nsession = "other.toml"\n'
        'reason = "not this file"\n'
    )
    left = not_allowed(findings, read_allow_list(allow))
    assert [f.kind for f in left] == ["e-mail address"]
    allow.write_text('[[allow]]\nmatch = "192.0.2.10"\n')
    with pytest.raises(AllowListError, match=r"entry 1: says no reason"):
        read_allow_list(allow)


def test_check_reports_them(capsys, tmp_path, make_session):
    path = tmp_path / "pm.toml"
    save_session(path, make_session(summary=f"Paged via {EMAIL}, key {AWS}."))
    code, out, err = run(capsys, "check", path, "--json", "--now", "2024-03-07T00:00:00Z")
    found = [f for f in json.loads(out) if f["rule"].startswith("privacy.")]
    assert [(f["rule"], f["subject"]) for f in found] == [
        ("privacy.personal", "session"), ("privacy.secret", "session")]
    assert AWS not in out and "field summary" in found[1]["message"]
    assert code == 0  # a warning: publishing is what is refused
    (tmp_path / ALLOW_FILE).write_text("[[allow]]\nmatch = 3\n")
    code, out, err = run(capsys, "check", path)
    assert code == 2 and ALLOW_FILE in err and "Traceback" not in err
