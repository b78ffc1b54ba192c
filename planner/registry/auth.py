"""Passwords (scrypt, from the standard library) and the actor that every change is made by."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from planner.errors import PlannerError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
ROLES = ("admin", "commissioner", "provider", "viewer")
MANAGERS = ("admin", "commissioner")


class AuthError(PlannerError):
    """Wrong credentials, or an action the signed-in role may not take."""


class PermissionDenied(AuthError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who is acting: every change in the registry is recorded against an actor."""

    username: str
    role: str
    organisation_id: str | None = None

    @property
    def manages(self) -> bool:
        return self.role in MANAGERS


SYSTEM = Actor("system", "admin")
OPERATOR_PREFIX = "cli:"
"""Actors named ``system`` or ``cli:<login>`` are the operator of the process (the CLI, the
loaders): they act as given. Every other actor acts with its stored account's role and
organisation (see ``RegistryBase.verified``)."""
PUBLIC = Actor("public", "viewer")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"The password must be at least {MIN_PASSWORD} characters long.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(base64.b64decode(digest)),
    )
    return hmac.compare_digest(actual, base64.b64decode(digest))
