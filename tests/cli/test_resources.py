"""`portal workgroups|apikeys|users` against a live server, run as a user runs them."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Workgroup
from apikeys.models import ApiKey
from tests.cli.conftest import run_cli
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import make_key

pytestmark = pytest.mark.django_db(transaction=True)


def ok(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_workgroup_is_created_filled_emptied_and_deleted_by_name(cli, tenant_a, bob):
    created = json.loads(ok(cli("workgroups", "create", "Sequencing", "-o", "json")))
    assert created["name"] == "Sequencing" and created["member_count"] == 0
    assert Workgroup.objects.filter(pk=created["id"], tenant=tenant_a).exists()

    members = ok(cli("workgroups", "members", "sequencing", "--add", "bob@acme.test", "--role", "admin"))
    assert "bob@acme.test" in members and "admin" in members.splitlines()[2]
    listed = json.loads(ok(cli("workgroups", "list", "-o", "json")))
    assert [(wg["name"], wg["member_count"]) for wg in listed] == [("Sequencing", 1)]

    emptied = ok(cli("workgroups", "members", created["id"], "--remove", "BOB@acme.test", "-o", "json"))
    assert json.loads(emptied) == []

    unconfirmed = cli("workgroups", "delete", "Sequencing")  # no terminal, no --yes
    assert unconfirmed.returncode == 2 and "Pass --yes" in unconfirmed.stderr
    assert Workgroup.objects.filter(pk=created["id"]).exists()
    done = cli("workgroups", "delete", "Sequencing", "--yes")
    assert ok(done) == "" and "Deleted workgroup 'Sequencing'" in done.stderr
    assert not Workgroup.objects.filter(pk=created["id"]).exists()


def test_lists_follow_every_page_and_json_is_the_apis_items(cli, tenant_a):
    WorkgroupFactory.create_batch(230, tenant=tenant_a)  # more than the API's largest page (200)
    listed = json.loads(ok(cli("workgroups", "list", "-o", "json")))
    assert len(listed) == 230 and len({wg["id"] for wg in listed}) == 230
    assert set(listed[0]) == {"id", "name", "member_count", "created_at"}
    table = ok(cli("workgroups", "list")).splitlines()
    assert table[0].split() == ["id", "name", "member_count", "created_at"] and len(table) == 232


def test_a_name_that_matches_nothing_or_another_tenants_id_is_not_found(cli, tenant_b):
    missing = cli("workgroups", "members", "Nope")
    assert missing.returncode == 5 and missing.stderr == "portal: No workgroup 'Nope'.\n"
    theirs = WorkgroupFactory(tenant=tenant_b)
    for args in (["members", str(theirs.pk)], ["delete", str(theirs.pk), "--yes"]):
        done = cli("workgroups", *args)
        assert done.returncode == 5 and "(404)" in done.stderr
    assert Workgroup.objects.filter(pk=theirs.pk).exists()


def test_a_key_is_created_scoped_used_listed_regenerated_and_revoked(cli, server, home, alice, tenant_a):
    WorkgroupMembershipFactory(workgroup=WorkgroupFactory(tenant=tenant_a, name="Sequencing"), user=alice)
    created = cli("apikeys", "create", "ci", "-w", "Sequencing")
    key = ok(created).strip()
    assert key.startswith("pak_") and "\n" not in key  # alone on stdout: KEY=$(portal apikeys create ci)
    assert "shown this once" in created.stderr
    me = run_cli("me", "-s", server, "-k", key, "-o", "json", home=home / "pipeline")
    assert json.loads(ok(me))["email"] == "alice@acme.test"

    listed = json.loads(ok(cli("apikeys", "list", "-o", "json")))
    ci = next(item for item in listed if item["name"] == "ci")
    assert key.startswith(ci["prefix"]) and ci["status"] == "active" and len(ci["workgroups"]) == 1
    table = ok(cli("apikeys", "list"))
    assert "Sequencing" in table and ci["id"] not in table.replace(ci["id"], "", 1)  # names, not ids

    new_key = ok(cli("apikeys", "regenerate", ci["prefix"])).strip()
    assert new_key.startswith("pak_") and new_key != key
    old = run_cli("me", "-s", server, "-k", key, home=home / "old")
    assert old.returncode == 3  # no overlap asked: the old key ended at once
    assert ok(run_cli("me", "-s", server, "-k", new_key, home=home / "new"))

    revoked = cli("apikeys", "revoke", "ci", "--yes")
    assert revoked.returncode == 0 and "Revoked key 'ci'" in revoked.stderr
    assert run_cli("me", "-s", server, "-k", new_key, home=home / "new2").returncode == 3
    statuses = {
        item["status"] for item in json.loads(ok(cli("apikeys", "list", "-o", "json", "--status", "revoked")))
    }
    assert statuses == {"revoked"}


def test_two_keys_of_one_name_must_be_told_apart_by_id(cli, alice, tenant_a):
    first, _ = make_key(alice, tenant_a, name="twin")
    second, _ = make_key(alice, tenant_a, name="twin")
    done = cli("apikeys", "revoke", "twin", "--yes")
    assert done.returncode == 1 and "2 of your active keys match 'twin'" in done.stderr
    assert str(first.pk) in done.stderr and str(second.pk) in done.stderr
    assert ok(cli("apikeys", "revoke", str(second.pk), "--yes")) == ""
    assert ApiKey.objects.get(pk=second.pk).revoked_at and not ApiKey.objects.get(pk=first.pk).revoked_at


def test_an_admin_sees_and_revokes_everyones_keys_a_member_only_their_own(cli, server, home, bob, tenant_a):
    bobs, bobs_text = make_key(bob, tenant_a, name="bob-laptop")
    everyone = json.loads(ok(cli("apikeys", "list", "--tenant", "-o", "json")))
    assert {item["owner"]["email"] for item in everyone} == {"alice@acme.test", "bob@acme.test"}
    assert "bob@acme.test" in ok(cli("apikeys", "list", "--tenant"))  # the owner's email, not a dict

    as_bob = run_cli("apikeys", "list", "--tenant", "-s", server, "-k", bobs_text, home=home / "bob")
    assert as_bob.returncode == 4 and "(403)" in as_bob.stderr
    mine = json.loads(
        ok(run_cli("apikeys", "list", "-o", "json", "-s", server, "-k", bobs_text, home=home / "bob"))
    )
    assert [item["name"] for item in mine] == ["bob-laptop"]

    not_hers = cli("apikeys", "revoke", str(bobs.pk), "--yes")  # her own keys only, without --tenant
    assert not_hers.returncode == 5
    assert ok(cli("apikeys", "revoke", "bob-laptop", "--tenant", "--yes")) == ""
    assert ApiKey.objects.get(pk=bobs.pk).revoked_at is not None


def test_users_list_is_for_tenant_admins(cli, server, home, bob, tenant_a):
    users = json.loads(ok(cli("users", "list", "-o", "json")))
    assert [user["email"] for user in users] == ["alice@acme.test", "bob@acme.test"]
    assert [user["email"] for user in json.loads(ok(cli("users", "list", "-q", "bob", "-o", "json")))] == [
        "bob@acme.test"
    ]
    table = ok(cli("users", "list")).splitlines()
    assert table[0].split() == ["id", "email", "full_name", "role", "is_active", "joined_at"]
    bobs_text = make_key(bob, tenant_a)[1]
    refused = run_cli("users", "list", "-s", server, "-k", bobs_text, home=home / "bob")
    assert refused.returncode == 4 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


def test_a_workgroup_admin_adds_by_id_since_finding_users_by_email_needs_a_tenant_admin(
    server, home, alice, bob, tenant_a
):
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Variants")
    WorkgroupMembershipFactory(workgroup=workgroup, user=bob, role="admin")
    bobs_text = make_key(bob, tenant_a)[1]

    def as_bob(*args):
        return run_cli(*args, "-s", server, "-k", bobs_text, home=home)

    by_email = as_bob("workgroups", "members", "Variants", "--add", "alice@acme.test")
    assert by_email.returncode == 4
    assert by_email.stderr == (
        "portal: Give alice@acme.test's user id: finding users by email needs a tenant admin.\n"
    )
    done = as_bob("workgroups", "members", "Variants", "--add", str(alice.pk), "-o", "json")
    assert {member["email"] for member in json.loads(ok(done))} == {"alice@acme.test", "bob@acme.test"}


def test_a_key_ends_on_the_date_given_and_refused_input_says_which_field(cli):
    end = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    created = json.loads(ok(cli("apikeys", "create", "short-lived", "--expires", end, "-o", "json")))
    assert created["expires_at"].startswith(f"{end}T00:00:00")
    refused = cli("apikeys", "create", "x", "--expires", "next tuesday")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("portal: Invalid input: expires_at: Datetime has wrong format.")
