"""Run the ``planner`` command in this process (``main([...])``, as the console script
does) with its own environment, standard input and captured output; and, for the one smoke
test, as a real subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from planner.settings import REPO_ROOT

PLANNER = Path(sys.executable).parent / "planner"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_in_process(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """``planner ARGS`` with exactly ``env`` as the environment, from the repository root."""
    from planner.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(stdin or "")),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        os.chdir(REPO_ROOT)
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.chdir(cwd)
    return Result(code, out.getvalue(), err.getvalue())


def run_subprocess(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """``planner ARGS`` as a new process of the installed console script."""
    done = subprocess.run(
        [str(PLANNER), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        input=stdin,
        timeout=300,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without planner settings, plus ``extra``."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("PLANNER_") and k != "DATABASE_URL"
    }
    return {**base, **extra}
