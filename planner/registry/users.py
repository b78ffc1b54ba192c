"""User accounts: adding them, signing in (local passwords or single sign-on) and listing."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from planner.registry.auth import ROLES, Actor, AuthError, hash_password, verify_password
from planner.registry.base import RegistryBase
from planner.registry.checks import unprintable
from planner.registry.models import USER_NAME_LENGTH, Organisation, User
from planner.registry.validation import FieldProblem, ValidationError


class UserAccounts(RegistryBase):
    def add_user(
        self,
        actor: Actor,
        username: str,
        password: str,
        role: str,
        organisation_id: str | None = None,
    ) -> Actor:
        self.require_manager(actor, "add users")
        username = str(username).strip()
        if not username:
            raise ValidationError([FieldProblem("username", "is required")])
        if len(username) > USER_NAME_LENGTH:
            raise ValidationError(
                [FieldProblem("username", f"is longer than {USER_NAME_LENGTH} characters")]
            )
        if bad := unprintable(username):
            raise ValidationError([FieldProblem("username", bad)])
        if role not in ROLES:
            raise ValidationError([FieldProblem("role", f"{role!r}; accepted: {', '.join(ROLES)}")])
        if role == "provider" and not organisation_id:
            raise ValidationError(
                [FieldProblem("organisation", "a provider belongs to one organisation: give --org")]
            )
        if role != "provider":
            organisation_id = None
        with self.session() as s:
            if organisation_id:
                org = (
                    s.get(Organisation, organisation_id)
                    or s.scalars(
                        select(Organisation).where(Organisation.name == organisation_id)
                    ).first()
                )
                if org is None:
                    raise ValidationError(
                        [FieldProblem("organisation", f"no organisation {organisation_id!r}")]
                    )
                organisation_id = org.id
        hashed = hash_password(password)
        try:
            with self.session() as s, s.begin():
                s.add(
                    User(
                        username=username,
                        password_hash=hashed,
                        role=role,
                        organisation_id=organisation_id,
                    )
                )
                self.audit(
                    s,
                    actor,
                    "user",
                    username,
                    "create",
                    None,
                    {"username": username, "role": role, "organisation_id": organisation_id},
                )
        except IntegrityError as exc:
            raise ValidationError([FieldProblem("username", f"{username!r} is taken")]) from exc
        return Actor(username, role, organisation_id)

    def authenticate(self, username: str, password: str) -> Actor:
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active or not verify_password(password, user.password_hash):
            waiting = self.request_waiting_for(username, password) if user is None else None
            raise AuthError(waiting or "Unknown user name or wrong password.")
        return Actor(user.username, user.role, user.organisation_id)

    def actor_for(self, username: str) -> Actor:
        """The account of a user signed in elsewhere (single sign-on): it must exist here,
        where its role and organisation are kept."""
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active:
            raise AuthError(
                f"{username} has no account in the planner: ask an administrator "
                "to add one with this e-mail as the user name."
            )
        return Actor(user.username, user.role, user.organisation_id)

    def session_token(self, secret: bytes, username: str) -> str:
        """A signed sign-in token for an account (see ``sessions``)."""
        from planner.registry.sessions import password_tag, sign

        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            return sign(secret, user.username, password_tag(user.password_hash))

    def actor_from_token(self, secret: bytes, token: str) -> Actor | None:
        """The account a valid token names, read afresh (role, organisation, still active,
        password unchanged); None when the token or the account no longer holds."""
        from planner.registry.sessions import password_tag, read

        found = read(secret, token)
        if found is None:
            return None
        username, tag = found
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or password_tag(user.password_hash) != tag:
            return None
        return Actor(user.username, user.role, user.organisation_id)

    def users(self) -> pd.DataFrame:
        with self.session() as s:
            rows = s.scalars(select(User).order_by(User.username)).all()
            return pd.DataFrame(
                [
                    {
                        "username": u.username,
                        "role": u.role,
                        "organisation_id": u.organisation_id,
                        "active": u.active,
                    }
                    for u in rows
                ],
                columns=["username", "role", "organisation_id", "active"],
            )
