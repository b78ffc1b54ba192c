"""``planner registry ...`` and ``planner users add``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.cli import common
from planner.errors import PlannerError


def cmd_registry_init(args: argparse.Namespace) -> int:
    from planner.registry.demo import load_demo
    from planner.sources.boundaries import load_area_boundaries

    registry = common.open_registry()
    url = registry.engine.url.render_as_string(hide_password=True)
    count = len(registry.services(actor=common.cli_actor()))
    print(f"Registry ready at {url} ({count} services).")
    if args.demo and count == 0:
        areas = load_area_boundaries(common.settings().data_dir, registry.context.area_set)
        result = load_demo(registry, areas)
        print(f"Loaded the demonstration registry (fictional providers): {result}.")
    if registry.users(actor=common.cli_actor()).empty:
        print(
            "No user accounts yet: add one with "
            "`.venv/bin/planner users add NAME --role commissioner` to sign in to the app."
        )
    return 0


def cmd_registry_check(args: argparse.Namespace) -> int:
    """The database's own integrity check and the schema revision; exit 1 on any problem."""
    from planner.registry.db import check_database, make_engine
    from planner.registry.db import without_password as hidden

    url = common.settings().database_url
    engine = make_engine(url)
    try:
        problems = check_database(engine)
    finally:
        engine.dispose()
    if problems:
        print(f"The registry database at {hidden(url)} has problems:", file=sys.stderr)
        for problem in problems[:50]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"The registry database at {hidden(url)} is sound (integrity and schema checked).")
    return 0


def cmd_registry_template(args: argparse.Namespace) -> int:
    from planner.registry.template import template_bytes

    registry = common.open_registry()
    out = Path(args.out)
    common.write_output(out, template_bytes(registry.context.vocab, registry.context.area_set))
    print(f"Wrote the registration template to {out}")
    return 0


def _existing(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise PlannerError(f"{path}: no such file.")
    return path


def cmd_registry_import(args: argparse.Namespace) -> int:
    from planner.registry.validation import ValidationError

    path = _existing(args.file)
    registry = common.open_registry()
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".json":
            result, notes = _import_oruk(registry, data, path.name)
            for note in notes:
                print(f"  note: {note}")
        else:
            from planner.registry.workbook import parse_workbook

            parsed = parse_workbook(data, registry.context.vocab, filename=path.name)
            result = registry.import_records(
                common.cli_actor(), parsed.organisations, parsed.services, source=path.name
            )
    except ValidationError as exc:
        if args.report:
            from planner.registry.template import problems_workbook

            common.write_output(Path(args.report), problems_workbook(exc.problems))
            print(f"The problems are listed in {args.report}", file=sys.stderr)
        raise
    print(f"Imported {path.name}: {result}.")
    return 0


def _import_oruk(registry, data: bytes, name: str):
    from planner.registry.oruk_import import oruk_to_records, read_oruk_json

    payload = read_oruk_json(data, name)
    mapped = oruk_to_records(payload, registry.context)
    result = registry.import_records(
        common.cli_actor(), mapped.organisations, mapped.services, source=name
    )
    return result, mapped.notes


def cmd_registry_export(args: argparse.Namespace) -> int:
    registry = common.open_registry()
    out = Path(args.out)
    statuses = [s.strip() for s in args.status.split(",")] if args.status else None
    accepted = registry.context.vocab.keys("registration_statuses")
    unknown = [s for s in statuses or [] if s not in accepted]
    if unknown:
        raise PlannerError(
            f"--status {', '.join(unknown)}: not a status; accepted: {', '.join(accepted)}"
        )
    records = registry.services(statuses=statuses, actor=common.cli_actor())
    orgs = registry.organisations().to_dict("records")
    if args.format == "xlsx":
        from planner.registry.template import export_bytes

        used = {r["organisation_id"] for r in records}
        common.write_output(
            out,
            export_bytes(
                registry.context.vocab,
                registry.context.area_set,
                records,
                [o for o in orgs if o["id"] in used],
            ),
        )
    else:
        from planner.assumptions import load_assumptions
        from planner.registry.oruk_export import oruk_export

        assumptions = load_assumptions(common.settings().assumptions_file)
        payload, problems = oruk_export(records, orgs, registry.context, assumptions)
        if problems:
            raise PlannerError(
                "The Open Referral UK export does not validate:\n"
                + "\n".join(f"  - {p}" for p in problems[:30])
            )
        import json

        common.write_output(out, json.dumps(payload, indent=1, ensure_ascii=False).encode())
    demo = sum(bool(r.get("is_demo")) for r in records)
    note = f" ({demo} are demonstration data)" if demo else ""
    print(f"Wrote {len(records)} services{note} to {out}")
    return 0


def cmd_registry_approve(args: argparse.Namespace) -> int:
    registry = common.open_registry()
    for service_id in args.ids:
        record = registry.approve_service(common.cli_actor(), service_id)
        print(f"Approved {record['name']} ({service_id}), version {record['version']}.")
    return 0


def _password(args: argparse.Namespace, command: str) -> str:
    """The password from standard input (--password-stdin) or typed at the terminal."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise PlannerError(
            "No terminal to type the password in: give it on standard input with "
            f"--password-stdin (for example: printf '%s\\n' \"$PASSWORD\" | planner users "
            f"{command} --password-stdin)."
        )
    try:
        return getpass.getpass(f"Password for {args.username}: ")
    except EOFError:
        raise PlannerError("No password was typed: nothing was changed.") from None


def cmd_users_add(args: argparse.Namespace) -> int:
    password = _password(args, f"add {args.username} --role {args.role}")
    registry = common.open_registry()
    actor = registry.add_user(common.cli_actor(), args.username, password, args.role, args.org)
    org = f" of organisation {actor.organisation_id}" if actor.organisation_id else ""
    print(f"Added {actor.role} {actor.username}{org}.")
    return 0


def cmd_registry_backup(args: argparse.Namespace) -> int:
    from planner.registry.backup import backup_bytes

    registry = common.open_registry()
    data = backup_bytes(registry.engine)
    common.write_output(Path(args.out), data)  # whole or not at all: no half backup
    print(f"Wrote the whole registry to {args.out} ({len(data):,} bytes, checksummed).")
    return 0


def cmd_registry_restore(args: argparse.Namespace) -> int:
    from planner.registry.backup import read_backup, restore

    path = _existing(args.file)
    document = read_backup(path.read_bytes(), str(path))
    registry = common.open_registry()
    counts = restore(registry.engine, document, replace=args.replace)
    print(
        f"Restored {sum(counts.values()):,} rows in {len(counts)} tables from {args.file} "
        f"(schema {document['schema_revision']}, checksum matches): "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items() if n)
        + "."
    )
    return 0


def cmd_users_active(args: argparse.Namespace) -> int:
    registry = common.open_registry()
    active = args.users_command == "activate"
    registry.set_user_active(common.cli_actor(), args.username, active)
    print(f"{'Activated' if active else 'Deactivated'} {args.username}.")
    return 0


def cmd_users_password(args: argparse.Namespace) -> int:
    password = _password(args, f"password {args.username}")
    common.open_registry().change_password(common.cli_actor(), args.username, password)
    print(f"Set a new password for {args.username}; its sessions in the app have ended.")
    return 0


def _password_stdin(parser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


def add_parsers(sub) -> None:
    registry = sub.add_parser("registry", help="the service registry")
    reg_sub = registry.add_subparsers(dest="registry_command", required=True)
    init = reg_sub.add_parser("init", help="create or migrate the database")
    init.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        help="do not load the demonstration registry into an empty database",
    )
    init.set_defaults(func=cmd_registry_init)
    check = reg_sub.add_parser("check", help="check the database's integrity and schema")
    check.set_defaults(func=cmd_registry_check)
    template = reg_sub.add_parser("template", help="write the Excel registration template")
    template.add_argument("--out", default="reports/registration_template.xlsx")
    template.set_defaults(func=cmd_registry_template)
    imp = reg_sub.add_parser("import", help="import a filled template (.xlsx) or ORUK (.json)")
    imp.add_argument("file")
    imp.add_argument("--report", help="write the problems to this .xlsx if the import fails")
    imp.set_defaults(func=cmd_registry_import)
    exp = reg_sub.add_parser("export", help="export the registry")
    exp.add_argument("--format", choices=["xlsx", "oruk"], default="xlsx")
    exp.add_argument("--out", required=True)
    exp.add_argument("--status", help="only these statuses, e.g. approved or draft,submitted")
    exp.set_defaults(func=cmd_registry_export)
    approve = reg_sub.add_parser("approve", help="approve submitted services")
    approve.add_argument("ids", nargs="+")
    approve.set_defaults(func=cmd_registry_approve)
    backup = reg_sub.add_parser("backup", help="every table in one checksummed file")
    backup.add_argument("--out", required=True)
    backup.set_defaults(func=cmd_registry_backup)
    restore = reg_sub.add_parser("restore", help="restore a backup (one transaction)")
    restore.add_argument("file")
    restore.add_argument(
        "--replace", action="store_true", help="delete what the registry holds first"
    )
    restore.set_defaults(func=cmd_registry_restore)

    users = sub.add_parser("users", help="user accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["admin", "commissioner", "provider", "viewer"]
    )
    add.add_argument("--org", help="the provider's organisation (id or exact name)")
    _password_stdin(add)
    add.set_defaults(func=cmd_users_add)
    for name, text in (
        ("deactivate", "stop an account signing in (its sessions end at their next page)"),
        ("activate", "let a deactivated account sign in again"),
    ):
        cmd = users_sub.add_parser(name, help=text)
        cmd.add_argument("username")
        cmd.set_defaults(func=cmd_users_active)
    password = users_sub.add_parser("password", help="set a new password for an account")
    password.add_argument("username")
    _password_stdin(password)
    password.set_defaults(func=cmd_users_password)
