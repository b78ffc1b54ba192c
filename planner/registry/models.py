"""SQLAlchemy 2 models of the registry. Schema changes go through Alembic migrations.

Identifiers are UUID strings, so records keep their identity through Excel and Open Referral
UK round trips. Multi-valued controlled fields (needs, stages, specialisms, channels, age groups,
languages, accreditations) are rows of ``service_terms``; areas covered (with an optional
capacity split) are rows of ``service_areas``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


USER_NAME_LENGTH = 254
"""User names are e-mail addresses under single sign-on: up to 254 characters."""
NOTE_LENGTH = 1000
"""A commissioner's note to a provider (a returned submission, a refused account request)."""


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    services: Mapped[list[Service]] = relationship(back_populates="organisation")

    __mapper_args__ = {"version_id_col": version}


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    # nullable: a draft may be incomplete; submitting or approving requires every field
    service_type: Mapped[str | None] = mapped_column(String(40))
    referral_route: Mapped[str | None] = mapped_column(String(40))
    without_police_report: Mapped[bool | None] = mapped_column(Boolean)
    gender: Mapped[str] = mapped_column(String(20), default="any")
    all_areas: Mapped[bool] = mapped_column(Boolean, default=False)
    # local, sub_region, area_set or national (BRIEF §4.1): wider services count everywhere
    scope: Mapped[str] = mapped_column(String(20), default="local", server_default="local")
    capacity_per_year: Mapped[int | None] = mapped_column(Integer)
    places: Mapped[int | None] = mapped_column(Integer)  # e.g. refuge family places
    staff_fte: Mapped[float | None] = mapped_column(Float)
    hours: Mapped[str | None] = mapped_column(String(200))
    supervision: Mapped[bool] = mapped_column(Boolean, default=False)
    accredited_training: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    review_note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    """A commissioner's note when a submission was returned; cleared when approved."""
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="services")
    areas: Mapped[list[ServiceArea]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceArea.area_code"
    )
    terms: Mapped[list[ServiceTerm]] = relationship(
        cascade="all, delete-orphan", order_by="(ServiceTerm.kind, ServiceTerm.value)"
    )
    sites: Mapped[list[Site]] = relationship(cascade="all, delete-orphan", order_by="Site.id")
    contracts: Mapped[list[Contract]] = relationship(
        cascade="all, delete-orphan", order_by="Contract.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ServiceArea(Base):
    """An area a service covers, with the provider's capacity split if it gave one."""

    __tablename__ = "service_areas"

    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    capacity_share: Mapped[int | None] = mapped_column(Integer)


class ServiceTerm(Base):
    """One controlled value of a multi-valued field (kind: need, stage, specialism, ...)."""

    __tablename__ = "service_terms"

    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)

    __table_args__ = (Index("ix_service_terms_kind_value", "kind", "value"),)


class Site(Base):
    """A place where a service is delivered. Confidential sites (refuges) never leave the
    registry below area level."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    area_code: Mapped[str] = mapped_column(String(9))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_key: Mapped[str | None] = mapped_column(String(36), index=True)
    """For a site whose id is random (every confidential site): the id its provider's own
    reference gives, so a re-import finds it. Never exported."""


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    funding_status: Mapped[str] = mapped_column(String(20))
    commissioner: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    annual_value_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(USER_NAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """One change: who, when, what, and the record before and after (JSON snapshots)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(USER_NAME_LENGTH))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(USER_NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)


class Plan(Base):
    """A commissioning plan: contract lots a commissioner is considering."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(USER_NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    notes: Mapped[str | None] = mapped_column(Text)
    not_renewed: Mapped[list] = mapped_column(JSON, default=list)
    """Services whose contracts this plan does not renew (left out of its scenario)."""
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    lots: Mapped[list[Lot]] = relationship(cascade="all, delete-orphan", order_by="Lot.position")

    __mapper_args__ = {"version_id_col": version}


class Lot(Base):
    """One proposed contract in a plan."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    needs: Mapped[list] = mapped_column(JSON)
    service_type: Mapped[str] = mapped_column(String(40))
    areas: Mapped[list] = mapped_column(JSON)
    capacity_per_year: Mapped[int] = mapped_column(Integer)
    annual_value_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    stages: Mapped[list] = mapped_column(JSON, default=list)
    specialisms: Mapped[list] = mapped_column(JSON, default=list)
    channels: Mapped[list] = mapped_column(JSON, default=list)
    without_police_report: Mapped[bool] = mapped_column(Boolean, default=True)
    rationale: Mapped[str | None] = mapped_column(Text)


class AccountRequest(Base):
    """A charity asking for a provider account for its organisation (BRIEF §8). A commissioner
    accepts it (the organisation and the account are created, or the account joins an
    organisation already registered) or refuses it with a note the charity sees when it
    tries to sign in."""

    __tablename__ = "account_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(USER_NAME_LENGTH), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(500))
    message: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))


class SignInFailure(Base):
    """Wrong passwords given for a user name (known or not), for the sign-in lockout: kept
    per name, cleared by a right password after the lock has passed."""

    __tablename__ = "sign_in_failures"

    username: Mapped[str] = mapped_column(String(USER_NAME_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
