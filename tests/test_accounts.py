"""Issue 15, sign-in and accounts: a lockout after repeated wrong passwords (for unknown
names too), deactivating and activating accounts, changing passwords, and a session that
is checked against the stored account (a deactivated account is signed out)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from planner.registry.auth import SYSTEM, Actor, AuthError, PermissionDenied
from planner.registry.models import SignInFailure
from planner.registry.users import MAX_FAILURES
from planner.registry.validation import ValidationError
from tests.registry_helpers import stored

COMMISSIONER = Actor("comm", "commissioner")


@pytest.fixture
def carol(registry):
    registry.add_user(SYSTEM, "carol", "carol's long password", "commissioner")
    stored(registry, COMMISSIONER)
    return registry


def test_repeated_wrong_passwords_lock_the_name_then_the_lock_passes(carol):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match="Unknown user name or wrong password"):
            carol.authenticate("carol", "guess")
    with pytest.raises(AuthError, match="locked until"):
        carol.authenticate("carol", "guess")
    # locked: even the right password is refused
    with pytest.raises(AuthError, match="locked until"):
        carol.authenticate("carol", "carol's long password")
    # when the lock has passed, the right password works and the count starts again
    with carol.session() as s, s.begin():
        s.execute(
            update(SignInFailure).values(
                locked_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                first_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            )
        )
    assert carol.authenticate("carol", "carol's long password").role == "commissioner"
    with carol.session() as s:
        assert s.get(SignInFailure, "carol") is None


def test_an_unknown_name_is_locked_the_same_way(carol):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match="Unknown user name or wrong password"):
            carol.authenticate("nobody", "guess")
    with pytest.raises(AuthError, match="locked until"):
        carol.authenticate("nobody", "guess")
    # another name is not affected
    assert carol.authenticate("carol", "carol's long password").username == "carol"


def test_failures_long_ago_do_not_add_up(carol):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError):
            carol.authenticate("carol", "guess")
    with carol.session() as s, s.begin():
        s.execute(update(SignInFailure).values(first_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    with pytest.raises(AuthError, match="Unknown user name or wrong password"):
        carol.authenticate("carol", "guess")  # the first of a new window, not the fifth


def test_a_deactivated_account_cannot_sign_in_and_its_session_ends(carol):
    carol.add_user(SYSTEM, "kim", "kim's long password", "viewer")
    token = carol.session_token(b"k" * 32, "kim")
    carol.set_user_active(COMMISSIONER, "kim", False)
    with pytest.raises(AuthError, match="deactivated"):
        carol.authenticate("kim", "kim's long password")
    assert carol.current_actor("kim") is None
    assert carol.actor_from_token(b"k" * 32, token) is None
    assert carol.history("kim", actor=SYSTEM)[-1]["action"] == "deactivate"
    carol.set_user_active(COMMISSIONER, "kim", True)
    assert carol.authenticate("kim", "kim's long password").username == "kim"
    with pytest.raises(ValidationError, match="cannot deactivate yourself"):
        carol.set_user_active(Actor("carol", "commissioner"), "carol", False)
    with pytest.raises(PermissionDenied):
        carol.set_user_active(Actor("kim", "viewer"), "carol", False)
    with pytest.raises(ValidationError, match="no account"):
        carol.set_user_active(COMMISSIONER, "ghost", False)


def test_changing_a_password(carol):
    me = Actor("carol", "commissioner")
    token = carol.session_token(b"k" * 32, "carol")
    with pytest.raises(AuthError, match="current password is wrong"):
        carol.change_password(me, "carol", "a brand new password", current="guess")
    with pytest.raises(AuthError, match="at least 10 characters"):
        carol.change_password(me, "carol", "short", current="carol's long password")
    carol.change_password(me, "carol", "a brand new password", current="carol's long password")
    with pytest.raises(AuthError):
        carol.authenticate("carol", "carol's long password")
    assert carol.authenticate("carol", "a brand new password").username == "carol"
    assert carol.actor_from_token(b"k" * 32, token) is None  # old sessions end
    # a commissioner sets someone's password; a viewer may not
    carol.add_user(SYSTEM, "kim", "kim's long password", "viewer")
    carol.change_password(COMMISSIONER, "kim", "kim's new password")
    assert carol.authenticate("kim", "kim's new password").username == "kim"
    with pytest.raises(PermissionDenied):
        carol.change_password(Actor("kim", "viewer"), "carol", "taken over now")
    assert "password" not in str(carol.history("kim", actor=SYSTEM)[-1]["after"])


def test_the_cli_deactivates_activates_and_sets_passwords(tmp_path):
    from tests.cli_helpers import clean_env, run_in_process

    env = clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert run_in_process(env, "registry", "init", "--no-demo").returncode == 0
    added = run_in_process(
        env,
        "users",
        "add",
        "kim",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="kim's long password\n",
    )
    assert added.returncode == 0, added.stderr
    done = run_in_process(env, "users", "deactivate", "kim")
    assert done.returncode == 0 and "Deactivated kim." in done.stdout
    done = run_in_process(env, "users", "activate", "kim")
    assert done.returncode == 0 and "Activated kim." in done.stdout
    done = run_in_process(
        env, "users", "password", "kim", "--password-stdin", stdin="kim's new password\n"
    )
    assert done.returncode == 0 and "Set a new password for kim" in done.stdout
    bad = run_in_process(env, "users", "password", "kim", "--password-stdin", stdin="short\n")
    assert bad.returncode == 1 and "at least 10 characters" in bad.stderr
    assert "Traceback" not in bad.stderr
    blind = run_in_process(env, "users", "password", "kim")
    assert blind.returncode == 1 and "--password-stdin" in blind.stderr
    ghost = run_in_process(env, "users", "deactivate", "ghost")
    assert ghost.returncode == 1 and "no account 'ghost'" in ghost.stderr


def test_the_app_signs_out_a_deactivated_account_at_its_next_page(world, monkeypatch):
    from tests.test_app_pages import APP

    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("XDG_DATA_HOME", str(world["folder"] / "xdg"))
    registry = world["registry"]
    registry.add_user(SYSTEM, "vera", "vera's long password", "commissioner")

    def first_run() -> AppTest:
        # a session that signed in as vera; the app's sign-in code runs on an AppTest's
        # first run (later runs of AppTest run only the page), so each step is a new one
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state["actor"] = Actor("vera", "commissioner")
        return at.run()

    at = first_run()
    assert "Signed in as **vera**" in " ".join(m.value for m in at.sidebar.markdown)
    registry.set_user_active(SYSTEM, "vera", False)
    at = first_run()
    assert at.session_state["actor"] is None
    assert "your account was deactivated" in " ".join(w.value for w in at.sidebar.warning)
    at.switch_page("pages/admin.py").run()
    assert "Sign in to see this page" in at.warning[0].value
