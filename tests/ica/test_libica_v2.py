"""libica's older client, `libica.openapi.v2` (another generator, type-checking every answer
against its own models), pointed at a live Portal's /ica/rest with no change."""

import pytest
from libica.openapi import v2
from libica.openapi.v2.api import event_log_api, project_api, system_api, token_api, user_api, workgroup_api
from libica.openapi.v2.exceptions import ApiException

from tests.factories import PASSWORD, WorkgroupFactory, WorkgroupMembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def ica(server: str, **auth) -> v2.ApiClient:
    key = auth.pop("key", None)
    configuration = v2.Configuration(host=f"{server}/ica/rest", **auth)
    if key:
        configuration.api_key["ApiKeyAuth"] = key
    return v2.ApiClient(configuration)


def test_the_v2_client_gets_tokens_and_reads_people_groups_and_events(
    server, alice, bob, tenant_a, alice_key
):
    group = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=group, user=alice)
    token = token_api.TokenApi(ica(server, key=alice_key)).create_jwt_token()
    client = ica(server, access_token=token.token)
    users = user_api.UserApi(client)
    assert sorted(user.email for user in users.get_users().items) == sorted([alice.email, bob.email])
    assert users.get_user(str(bob.pk)).tenant_administrator is False
    users.assign_tenant_admin_rights_to_user(str(bob.pk))
    assert users.get_user(str(bob.pk)).tenant_administrator is True
    groups = workgroup_api.WorkgroupApi(client)
    assert [g.name for g in groups.get_workgroups().items] == ["Sequencing"]
    assert groups.get_workgroup(str(group.pk)).id == str(group.pk)
    codes = [event.code for event in event_log_api.EventLogApi(client).get_event_logs(rows=250).items]
    assert "member.make_admin" in codes
    assert system_api.SystemApi(client).get_system_info().name == "Portal"


def test_the_v2_client_refreshes_a_password_token(server, alice):
    token = token_api.TokenApi(ica(server, username=alice.email, password=PASSWORD)).create_jwt_token()
    assert token_api.TokenApi(ica(server, access_token=token.token)).refresh_jwt_token().token


def test_the_v2_client_hears_501_for_what_portal_does_not_do(server, alice_key):
    with pytest.raises(ApiException) as refused:
        project_api.ProjectApi(ica(server, key=alice_key)).get_projects()
    assert refused.value.status == 501
