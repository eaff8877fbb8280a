"""ICA's own Python client, libica 3.x (`libica.openapi.v3`, generated from ICA's OpenAPI
document), pointed at a live Portal's /ica/rest with no change: every identity operation Portal
implements, its models parsing every answer."""

import uuid

import pytest
from libica.openapi import v3
from libica.openapi.v3.api import event_log_api, project_api, system_api, token_api, user_api, workgroup_api
from libica.openapi.v3.exceptions import ApiException
from libica.openapi.v3.models import EventLogQueryParametersV4, Problem

from accounts.models import Event, Membership, Role
from tests.factories import PASSWORD, WorkgroupFactory, WorkgroupMembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def ica(server: str, **auth) -> v3.ApiClient:
    """libica as a pipeline configures it: the base URL and a key, a token, or a password."""
    key = auth.pop("key", None)
    configuration = v3.Configuration(host=f"{server}/ica/rest", **auth)
    if key:
        configuration.api_key["ApiKeyAuth"] = key
    return v3.ApiClient(configuration)


def test_a_key_buys_a_token_that_reads_the_users(server, alice, bob, tenant_a, alice_key):
    token = token_api.TokenApi(ica(server, key=alice_key)).create_jwt_token()
    users = user_api.UserApi(ica(server, access_token=token.token)).get_users()
    by_email = {user.email: user for user in users.items}
    assert set(by_email) == {alice.email, bob.email}
    assert by_email[alice.email].tenant_administrator is True
    assert by_email[bob.email].tenant_administrator is False
    assert by_email[alice.email].id == alice.pk and by_email[alice.email].tenant_id == tenant_a.pk
    assert by_email[alice.email].username == alice.email and by_email[alice.email].active


def test_the_key_itself_authenticates_each_call(server, alice, alice_key):
    users = user_api.UserApi(ica(server, key=alice_key))
    assert [user.email for user in users.get_users(email_address=alice.email).items] == [alice.email]
    assert users.get_user(str(alice.pk)).email == alice.email


def test_a_password_buys_a_token_naming_the_tenant_by_name_on_an_operator_host(live_server, alice, tenant_a):
    operator = live_server.url.replace("localhost", "127.0.0.1")
    tokens = token_api.TokenApi(ica(operator, username=alice.email, password=PASSWORD))
    token = tokens.create_jwt_token(tenant=tenant_a.name)
    me = user_api.UserApi(ica(operator, access_token=token.token)).get_user(str(alice.pk))
    assert me.tenant_id == tenant_a.pk
    with pytest.raises(ApiException) as refused:
        tokens.create_jwt_token(tenant="no such tenant")
    assert refused.value.status == 401


def test_a_password_token_is_refreshed(server, alice):
    token = token_api.TokenApi(ica(server, username=alice.email, password=PASSWORD)).create_jwt_token()
    fresh = token_api.TokenApi(ica(server, access_token=token.token)).refresh_jwt_token()
    assert fresh.token and fresh.token != token.token


def test_a_key_token_is_not_refreshed(server, alice_key):
    token = token_api.TokenApi(ica(server, key=alice_key)).create_jwt_token()
    with pytest.raises(ApiException) as refused:
        token_api.TokenApi(ica(server, access_token=token.token)).refresh_jwt_token()
    assert refused.value.status == 403


def test_a_wrong_key_is_a_401(server, tenant_a):
    with pytest.raises(ApiException) as refused:
        token_api.TokenApi(ica(server, key="pak_" + "A" * 38)).create_jwt_token()
    assert refused.value.status == 401


def test_a_person_changes_their_own_name(server, alice, alice_key):
    users = user_api.UserApi(ica(server, key=alice_key))
    me = users.get_user(str(alice.pk))
    me.firstname, me.lastname = "Alice", "Liddell"
    changed = users.update_user(str(alice.pk), me)
    assert (changed.firstname, changed.lastname) == ("Alice", "Liddell")
    alice.refresh_from_db()
    assert alice.full_name == "Alice Liddell"


def test_an_admin_cannot_rename_someone_else(server, bob, alice_key):
    users = user_api.UserApi(ica(server, key=alice_key))
    theirs = users.get_user(str(bob.pk))
    theirs.firstname = "Robert"
    with pytest.raises(ApiException) as refused:
        users.update_user(str(bob.pk), theirs)
    assert refused.value.status == 409


def test_tenant_admin_rights_are_given_and_taken(server, bob, tenant_a, alice_key):
    users = user_api.UserApi(ica(server, key=alice_key))
    users.assign_tenant_admin_rights_to_user(str(bob.pk))
    assert Membership.objects.get(user=bob, tenant=tenant_a).role == Role.ADMIN
    assert users.get_user(str(bob.pk)).tenant_administrator is True
    users.revoke_tenant_admin_rights_to_user(str(bob.pk))
    assert Membership.objects.get(user=bob, tenant=tenant_a).role == Role.MEMBER
    actions = Event.objects.filter(tenant=tenant_a, action__startswith="member.").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["member.make_admin", "member.remove_admin"]


def test_approving_says_nobody_awaits_approval(server, bob, alice_key):
    with pytest.raises(ApiException) as refused:
        user_api.UserApi(ica(server, key=alice_key)).approve_user(str(bob.pk))
    assert refused.value.status == 409
    assert "approval" in Problem.from_json(refused.value.body).detail


def test_a_member_reads_themselves_but_not_the_user_list(server, bob, tenant_a):
    from tests.helpers import make_key

    users = user_api.UserApi(ica(server, key=make_key(bob, tenant_a)[1]))
    assert users.get_user(str(bob.pk)).email == bob.email
    for call in (users.get_users, lambda: users.get_user(str(uuid.uuid4()))):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 403


def test_another_tenants_user_and_workgroup_are_404(server, charlie, tenant_b, alice_key):
    other_group = WorkgroupFactory(tenant=tenant_b, name="Theirs")
    client = ica(server, key=alice_key)
    for call in (
        lambda: user_api.UserApi(client).get_user(str(charlie.pk)),
        lambda: user_api.UserApi(client).assign_tenant_admin_rights_to_user(str(charlie.pk)),
        lambda: workgroup_api.WorkgroupApi(client).get_workgroup(str(other_group.pk)),
    ):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 404


def test_workgroups_come_in_icas_shape(server, alice, bob, tenant_a):
    from tests.helpers import make_key

    sequencing = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupFactory(tenant=tenant_a, name="Imaging")
    WorkgroupMembershipFactory(workgroup=sequencing, user=bob)
    groups = workgroup_api.WorkgroupApi(ica(server, key=make_key(bob, tenant_a)[1]))
    assert [(group.id, group.name) for group in groups.get_workgroups().items] == [
        (sequencing.pk, "Sequencing")
    ]
    assert groups.get_workgroup(str(sequencing.pk)).name == "Sequencing"


def test_the_event_log_reads_and_searches(server, alice, bob, tenant_a, alice_key):
    client = ica(server, key=alice_key)
    user_api.UserApi(client).assign_tenant_admin_rights_to_user(str(bob.pk))
    events = event_log_api.EventLogApi(client)
    listed = events.get_event_logs(code="member.make_admin")
    assert [event.code for event in listed.items] == ["member.make_admin"]
    assert listed.items[0].user_id == alice.pk and listed.items[0].tenant_id == tenant_a.pk
    assert not events.get_event_logs(code="make_admin").items
    assert events.get_event_logs(code="make_admin", code_filter_type="ENDS_WITH").items
    assert events.get_event_logs(code="member.", code_filter_type="STARTS_WITH").items
    assert not events.get_event_logs(code="member.", code_filter_type="ENDS_WITH").items
    assert {event.event_type_category for event in events.get_event_logs(category="INFO").items} == {"INFO"}
    assert not events.get_event_logs(category="WARN").items
    with pytest.raises(ApiException):
        token_api.TokenApi(ica(server, key="pak_" + "C" * 38)).create_jwt_token()  # a refused exchange
    warned = events.get_event_logs(category="WARN").items
    assert [(event.code, event.event_type_category) for event in warned] == [
        ("apikey.exchange_failed", "WARN")
    ]
    found = events.search_event_logs(
        page_size="1", event_log_query_parameters_v4=EventLogQueryParametersV4(code="member.make_admin")
    )
    assert found.total_item_count == 1 and found.items[0].owner.id == alice.pk
    assert found.items[0].tenant.name == tenant_a.name
    everything = events.search_event_logs(
        page_size="1", sort="timeCreated desc", event_log_query_parameters_v4=EventLogQueryParametersV4()
    )
    assert everything.total_item_count == Event.objects.filter(tenant=tenant_a).count()
    assert everything.remaining_records == everything.total_item_count - 1


def test_system_info_names_the_portal(server, alice_key):
    info = system_api.SystemApi(ica(server, key=alice_key)).get_system_info()
    assert info.name == "Portal" and info.version


def test_an_operation_portal_does_not_implement_is_a_501_problem(server, alice_key):
    with pytest.raises(ApiException) as refused:
        project_api.ProjectApi(ica(server, key=alice_key)).get_projects()
    assert refused.value.status == 501
    problem = Problem.from_json(refused.value.body)  # ICA's own problem model parses it
    assert problem.status == 501 and "/ica/rest/api/projects" in problem.detail
