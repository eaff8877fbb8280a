import factory
from allauth.account.models import EmailAddress

from accounts.models import Membership, Role, Tenant, User, Workgroup, WorkgroupMembership

PASSWORD = "correct-horse-battery-staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    domain = factory.LazyAttribute(lambda t: f"{t.slug}.localhost")
    signup_mode = Tenant.SignupMode.OPEN


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class WorkgroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workgroup

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Workgroup {n}")


class WorkgroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkgroupMembership

    workgroup = factory.SubFactory(WorkgroupFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
