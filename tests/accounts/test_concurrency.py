import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import Membership, Role
from accounts.services import Actor
from core.errors import Conflict
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    tenant = TenantFactory()
    alice = MembershipFactory(tenant=tenant, user=UserFactory(), role=Role.ADMIN)
    bob = MembershipFactory(tenant=tenant, user=UserFactory(), role=Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor_membership, target_id):
        try:
            target = Membership.objects.select_related("tenant", "user").get(pk=target_id)
            barrier.wait()
            by = Actor(user=actor_membership.user, membership=actor_membership)
            services.member_update(membership=target, role=Role.MEMBER, by=by)
            outcomes.append("demoted")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(alice, bob.pk)),
        threading.Thread(target=demote, args=(bob, alice.pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(tenant=tenant, role=Role.ADMIN).count() == 1
