"""Users of `prospect serve`: argon2id hashes, the user commands in scripts, roles in the app."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from prospect_tui.core import UserError, users
from prospect_tui.core.roles import Actor, Refused, actor_from_config
from prospect_tui.core.stats import caller_filter
from tests.helpers import A_SUPERVISOR


def prospect(db, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prospect_tui", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_only_an_argon2id_hash_is_stored(store):
    users.add_user(store, "ann", "correct horse battery", "caller", actor=A_SUPERVISOR)
    stored = store.scalar("SELECT password_hash FROM users WHERE name = 'ann'")
    assert stored.startswith("$argon2id$")
    assert b"correct horse" not in store.path.read_bytes()
    assert users.password_matches(stored, "correct horse battery")
    assert not users.password_matches(stored, "correct horse batterY")
    assert not users.password_matches(None, "correct horse battery")


def test_hashes_use_owasps_minimum_parameters(store):
    users.add_user(store, "ann", "correct horse battery", "caller", actor=A_SUPERVISOR)
    stored = store.scalar("SELECT password_hash FROM users WHERE name = 'ann'")
    assert "$m=19456,t=2,p=1$" in stored


def test_a_hash_with_older_parameters_is_redone_at_the_next_good_login(store):
    from argon2 import PasswordHasher

    users.add_user(store, "ann", "correct horse battery", "caller", actor=A_SUPERVISOR)
    old = PasswordHasher(time_cost=3, memory_cost=65536).hash("correct horse battery")
    users.replace_hash(store, "ann", users.stored_hash(store, "ann"), old)
    assert users.password_matches(old, "correct horse battery")
    renewed = users.rehashed(old, "correct horse battery")
    assert renewed is not None and "$m=19456,t=2,p=1$" in renewed
    users.replace_hash(store, "ann", old, renewed)
    assert users.stored_hash(store, "ann") == renewed
    assert users.password_matches(renewed, "correct horse battery")
    assert users.rehashed(renewed, "correct horse battery") is None


def test_user_commands_work_in_scripts(tmp_path):
    db = tmp_path / "users.db"
    added = prospect(db, "user", "add", "ann", "--password-stdin", stdin="ann-password\n")
    assert added.returncode == 0, added.stderr
    added = prospect(
        db, "user", "add", "sue", "--role", "supervisor", "--password-stdin", stdin="sue-pass-1\n"
    )
    assert added.returncode == 0, added.stderr
    listed = json.loads(prospect(db, "user", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["disabled_at"]) for u in listed] == [
        ("ann", "caller", None),
        ("sue", "supervisor", None),
    ]
    assert prospect(db, "user", "disable", "ann").returncode == 0
    assert json.loads(prospect(db, "user", "list", "--json").stdout)[0]["disabled_at"]
    changed = prospect(db, "user", "passwd", "ann", "--password-stdin", stdin="new-password\n")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(prospect(db, "user", "list", "--json").stdout)[0]["disabled_at"] is None
    assert prospect(db, "user", "remove", "sue").returncode == 0
    assert "sue" not in prospect(db, "user", "list").stdout
    for output in (added, changed):
        assert "password" not in output.stdout + output.stderr.replace("password of", "")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "ann"), "", "use --password-stdin"),
        (("add", "ann", "--password-stdin"), "short\n", "password too short"),
        (("add", "a b", "--password-stdin"), "long-enough\n", "user name 'a b'"),
        (("passwd", "zoe", "--password-stdin"), "long-enough\n", "unknown user 'zoe'"),
        (("disable", "zoe"), "", "unknown user 'zoe'"),
    ],
)
def test_user_mistakes_are_one_line(tmp_path, args, stdin, message):
    done = prospect(tmp_path / "users.db", "user", *args, stdin=stdin)
    assert done.returncode == 2
    assert done.stderr.startswith("prospect: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1


def test_adding_a_user_twice_is_refused(store):
    users.add_user(store, "ann", "first-password", actor=A_SUPERVISOR)
    with pytest.raises(UserError, match="already exists"):
        users.add_user(store, "ann", "second-password", actor=A_SUPERVISOR)


def test_served_roles_come_from_the_users_not_the_config(store):
    users.add_user(store, "ann", "ann-password", "caller", actor=A_SUPERVISOR)
    users.add_user(store, "sue", "sue-password", "supervisor", actor=A_SUPERVISOR)
    # No `supervisors` list in the config: in a terminal, everyone would see everything.
    assert caller_filter(actor_from_config("ann", None), "bob") == "bob"
    served = users.served_actor(store, "ann")
    assert served == Actor("ann", "caller")
    with pytest.raises(Refused):
        caller_filter(served, "bob")
    assert caller_filter(served, None) == "ann"
    assert caller_filter(users.served_actor(store, "sue"), None) is None
    users.disable_user(store, "ann", actor=A_SUPERVISOR)
    with pytest.raises(UserError, match="disabled"):
        users.served_actor(store, "ann")


def test_the_access_log_lists_events_in_order(store, clock, tmp_path):
    users.log_access(store, "login_failed", "ann", "10.0.0.7")
    clock.advance(minutes=1)
    users.log_access(store, "login", "ann", "10.0.0.7")
    rows = users.access_log(store, actor=A_SUPERVISOR)
    assert [(r["event"], r["user"], r["address"]) for r in rows] == [
        ("login_failed", "ann", "10.0.0.7"),
        ("login", "ann", "10.0.0.7"),
    ]
    assert rows[0]["at"] < rows[1]["at"]
    store.close()
    shown = prospect(tmp_path / "prospect.db", "user", "log", "--json")
    assert [r["event"] for r in json.loads(shown.stdout)] == ["login_failed", "login"]
