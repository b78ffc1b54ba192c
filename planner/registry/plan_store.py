"""Plans and lots in the registry database: commissioners only, every change audited."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.errors import PlannerError, UnknownAreaError
from planner.registry.auth import Actor
from planner.registry.base import NotFoundError, check_version
from planner.registry.models import Lot, Plan, utcnow
from planner.registry.service import Registry
from planner.registry.validation import (
    NUMBER_LIMITS,
    FieldProblem,
    ValidationError,
    bounded_decimal,
)


def _plan_dict(plan: Plan) -> dict:
    return {
        "id": plan.id,
        "name": plan.name,
        "owner": plan.owner,
        "status": plan.status,
        "notes": plan.notes,
        "not_renewed": list(plan.not_renewed or []),
        "version": plan.version,
        "updated_at": plan.updated_at,
        "updated_by": plan.updated_by,
        "lots": [_lot_dict(lot) for lot in plan.lots],
    }


def _lot_dict(lot: Lot) -> dict:
    return {
        "id": lot.id,
        "name": lot.name,
        "needs": list(lot.needs),
        "service_type": lot.service_type,
        "areas": list(lot.areas),
        "capacity_per_year": lot.capacity_per_year,
        "annual_value_gbp": None if lot.annual_value_gbp is None else str(lot.annual_value_gbp),
        "start_date": lot.start_date.isoformat() if lot.start_date else None,
        "end_date": lot.end_date.isoformat() if lot.end_date else None,
        "stages": list(lot.stages or []),
        "specialisms": list(lot.specialisms or []),
        "channels": list(lot.channels or []),
        "without_police_report": lot.without_police_report,
        "rationale": lot.rationale,
    }


def _snapshot(plan: Plan) -> dict:
    out = _plan_dict(plan)
    out["updated_at"] = out["updated_at"].isoformat() if out["updated_at"] else None
    return out


def create_plan(registry: Registry, actor: Actor, name: str, notes: str | None = None) -> dict:
    actor = registry.verified(actor)
    registry.require_manager(actor, "create plans")
    if not name or not name.strip():
        raise ValidationError([FieldProblem("name", "is required")])
    with registry.session() as s, s.begin():
        taken = s.scalars(
            select(Plan.name).where(
                Plan.deleted_at.is_(None), func.lower(Plan.name) == name.strip().lower()
            )
        ).first()
        if taken is not None:  # a name finds one plan (`planner plan compare NAME`)
            raise ValidationError(
                [FieldProblem("name", f"is already used by the plan {taken!r}: choose another")]
            )
        plan = Plan(
            id=str(uuid.uuid4()),
            name=name.strip(),
            owner=actor.username,
            status="draft",
            notes=notes,
            not_renewed=[],
            updated_at=utcnow(),
            updated_by=actor.username,
        )
        s.add(plan)
        s.flush()
        registry.audit(s, actor, "plan", plan.id, "create", None, _snapshot(plan))
        return _plan_dict(plan)


def _load(s, plan_id: str) -> Plan:
    plan = s.scalars(
        select(Plan).where(Plan.id == plan_id).options(selectinload(Plan.lots))
    ).one_or_none()
    if plan is None or plan.deleted_at is not None:
        raise NotFoundError(f"No plan with id {plan_id}.")
    return plan


def find_plan(registry: Registry, name_or_id: str) -> dict:
    found = [p for p in list_plans(registry) if name_or_id in (p["id"], p["name"])]
    if len(found) > 1:  # two plans of one name, made before names had to differ
        ids = ", ".join(p["id"] for p in found)
        raise PlannerError(f"{len(found)} plans are called {name_or_id!r}: give the id ({ids}).")
    if not found:
        raise NotFoundError(f"No plan called {name_or_id!r}.")
    return found[0]


def list_plans(registry: Registry) -> list[dict]:
    with registry.session() as s:
        plans = s.scalars(
            select(Plan)
            .where(Plan.deleted_at.is_(None))
            .options(selectinload(Plan.lots))
            .order_by(Plan.name)
        ).all()
        return [_plan_dict(p) for p in plans]


def validate_lot(registry: Registry, raw: dict) -> dict:
    """Check a lot; every problem at once, with the accepted values."""
    ctx = registry.context
    problems: list[FieldProblem] = []
    name = str(raw.get("name") or "").strip()
    if not name:
        problems.append(FieldProblem("name", "is required"))
    needs = list(raw.get("needs") or [])
    bad = [n for n in needs if n not in ctx.vocab.keys("needs")]
    if not needs:
        problems.append(FieldProblem("needs", "choose at least one need"))
    elif bad:
        problems.append(
            FieldProblem(
                "needs",
                f"give one or more of {', '.join(ctx.vocab.keys('needs'))}"
                + (f" (not {', '.join(map(str, bad))})" if bad else ""),
            )
        )
    kind = raw.get("service_type")
    if not kind:
        problems.append(FieldProblem("service_type", "choose a service type"))
    elif kind not in ctx.vocab.keys("service_types"):
        accepted = ", ".join(ctx.vocab.keys("service_types"))
        problems.append(
            FieldProblem("service_type", f"{kind!r} is not accepted; accepted: {accepted}")
        )
    lot = {
        "name": name,
        "needs": needs,
        "service_type": kind,
        "areas": _lot_areas(ctx, raw.get("areas") or [], problems),
        "capacity_per_year": _whole(raw.get("capacity_per_year"), problems),
        "annual_value_gbp": _amount(raw.get("annual_value_gbp"), problems),
        **_lot_dates(raw, problems),
        "without_police_report": bool(raw.get("without_police_report", True)),
        "rationale": raw.get("rationale"),
    }
    for key in ("stages", "specialisms", "channels"):
        wrong = [v for v in raw.get(key) or [] if v not in ctx.vocab.keys(key)]
        if wrong:
            problems.append(FieldProblem(key, f"{', '.join(map(str, wrong))} not accepted"))
        lot[key] = list(raw.get(key) or [])
    if problems:
        raise ValidationError(problems, heading="The lot is not valid")
    return lot


def _lot_areas(ctx, names: list, problems: list[FieldProblem]) -> list[str]:
    areas = []
    for name_or_code in names:
        try:
            areas.append(ctx.area_set.resolve(str(name_or_code)))
        except UnknownAreaError as exc:
            problems.append(FieldProblem("areas", str(exc)))
    if not names:
        problems.append(FieldProblem("areas", f"at least one {ctx.area_set.area_label}"))
    return areas


def _whole(value, problems: list[FieldProblem]) -> int:
    number = bounded_decimal(value if value is not None else "")
    limit = NUMBER_LIMITS["capacity_per_year"]
    if isinstance(number, str) or number != number.to_integral_value() or number > limit:
        problems.append(
            FieldProblem("capacity_per_year", f"expected a whole number from 0 to {limit:,}")
        )
        return 0
    return int(number)


def _amount(value, problems: list[FieldProblem]) -> Decimal | None:
    if value in (None, ""):
        return None
    amount = bounded_decimal(value)
    limit = NUMBER_LIMITS["annual_value_gbp"]
    if isinstance(amount, str) or amount > limit or -amount.as_tuple().exponent > 2:
        problems.append(
            FieldProblem("annual_value_gbp", f"expected pounds and pence from 0 to {limit:,}")
        )
        return None
    return amount


def _lot_dates(raw: dict, problems: list[FieldProblem]) -> dict:
    dates = {}
    for key in ("start_date", "end_date"):
        v = raw.get(key)
        try:
            dates[key] = dt.date.fromisoformat(str(v)) if v else None
        except ValueError:
            problems.append(FieldProblem(key, f"expected a date like 2027-04-01, found {v!r}"))
            dates[key] = None
    if dates["start_date"] and dates["end_date"] and dates["end_date"] <= dates["start_date"]:
        problems.append(FieldProblem("end_date", "must be after the start date"))
    return dates


def add_lot(
    registry: Registry,
    actor: Actor,
    plan_id: str,
    raw: dict,
    *,
    expected_version: int | None = None,
) -> dict:
    actor = registry.verified(actor)
    registry.require_manager(actor, "change plans")
    lot = validate_lot(registry, raw)
    with registry.session() as s, s.begin():
        plan = _load(s, plan_id)
        check_version(plan, expected_version, f"The plan '{plan.name}'")
        before = _snapshot(plan)
        plan.lots.append(Lot(id=str(uuid.uuid4()), position=len(plan.lots), **lot))
        plan.updated_at, plan.updated_by = utcnow(), actor.username
        s.flush()
        registry.audit(s, actor, "plan", plan.id, "add_lot", before, _snapshot(plan))
        return _plan_dict(plan)


def update_plan(
    registry: Registry,
    actor: Actor,
    plan_id: str,
    *,
    status: str | None = None,
    not_renewed: list[str] | None = None,
    remove_lot: str | None = None,
    expected_version: int | None = None,
) -> dict:
    actor = registry.verified(actor)
    registry.require_manager(actor, "change plans")
    if status not in (None, "draft", "agreed"):
        raise ValidationError([FieldProblem("status", "draft or agreed")])
    with registry.session() as s, s.begin():
        plan = _load(s, plan_id)
        check_version(plan, expected_version, f"The plan '{plan.name}'")
        before = _snapshot(plan)
        if status:
            plan.status = status
        if not_renewed is not None:
            plan.not_renewed = list(not_renewed)
        if remove_lot:
            plan.lots = [lot for lot in plan.lots if lot.id != remove_lot]
        plan.updated_at, plan.updated_by = utcnow(), actor.username
        s.flush()
        registry.audit(s, actor, "plan", plan.id, "update", before, _snapshot(plan))
        return _plan_dict(plan)
