"""Signed, expiring sign-in tokens: the app keeps a person signed in across a browser refresh
with one in a cookie. The token holds the user name, an expiry and a tag of the stored password
hash (a changed password ends every session), signed with HMAC-SHA256. It never holds the role:
the role is read from the stored account each time the token is used."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from planner.settings import user_data_dir

SESSION_HOURS = 8
COOKIE = "planner_session"


def password_tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def session_secret(env: Mapping[str, str] | None = None) -> bytes:
    """``PLANNER_SESSION_SECRET``, else a random key kept (owner-only) in the user folder."""
    env = os.environ if env is None else env
    if env.get("PLANNER_SESSION_SECRET"):
        return env["PLANNER_SESSION_SECRET"].encode()
    path = user_data_dir(env) / "session.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return _new_secret(path)


def _new_secret(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
    except OSError:
        pass  # a read-only home: sessions last as long as this server process
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(secret: bytes, username: str, tag: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + SESSION_HOURS * 3600)
    body = _b64(f"{username}\n{expires}\n{tag}".encode())
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def read(secret: bytes, token: str, *, now: float | None = None) -> tuple[str, str] | None:
    """(user name, password tag) of a valid, unexpired token; None for anything else."""
    try:
        body, mac = str(token).split(".")
        expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            return None
        username, expires, tag = (
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("\n")
        )
        if int(expires) < (time.time() if now is None else now):
            return None
        return username, tag
    except (ValueError, UnicodeDecodeError):
        return None
