"""The ``planner`` command: data checks and downloads, demand tables, the analysis and its
exports, plans, the registry and users. Thin: every command calls the same functions as the app.
Each module of this package holds its commands and their arguments; a command imports what it
needs when it runs, so that ``planner --help`` starts fast.

Errors a user can fix (``PlannerError``) print one message and exit with status 1; nothing
prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import tempfile
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from planner.cli import analyse, data, plans, registry
from planner.errors import PlannerError

log = logging.getLogger("planner")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Victim Services Commissioning Planner: demand, services, gaps, exports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    for module in (data, analyse, plans, registry):
        module.add_parsers(sub)
    return parser


def _logged(unraisable) -> None:
    """An exception Python could not raise (a generator closed while collected): logged for
    --debug, never printed as a traceback to the person at the terminal."""
    logging.getLogger("planner").debug("ignored in %r: %r", unraisable.object, unraisable.exc_value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    previous = sys.unraisablehook
    if not args.debug:  # a clean-up that fails after a reported error stays quiet too
        sys.unraisablehook = _logged
    code = 1
    try:
        code = _run(args)
        return code
    finally:
        if code:  # what the failure left to clean up is cleaned up while the hook is quiet
            gc.collect()
        sys.unraisablehook = previous


def _run(args: argparse.Namespace) -> int:
    """The command, with every expected failure as one sentence on standard error."""
    try:
        return int(args.func(args) or 0)
    except PlannerError as exc:
        if args.debug:
            raise
        print(f"planner: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # the database failed mid-command: rolled back
        if args.debug:
            raise
        from planner.registry.db import database_failure

        print(f"planner: {database_failure(None, exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (planner analyse | head): not an error
        sys.stderr.close()
        return 141
    except OSError as exc:  # a path that cannot be written or read: a full disk, a folder
        if args.debug:
            raise
        if exc.filename:
            print(
                f"planner: cannot use {exc.filename}: {exc.strerror or exc}. Check the path and "
                "that there is space and permission to write there.",
                file=sys.stderr,
            )
        else:  # a temporary file (a workbook is built in the temporary folder)
            print(
                f"planner: cannot write a working file: {exc.strerror or exc}. Check that there "
                "is space in the output folder and in the temporary folder "
                f"({tempfile.gettempdir()}).",
                file=sys.stderr,
            )
        return 1
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
