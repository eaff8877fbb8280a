from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts.hosts import forget_tenants
        from accounts.middleware import session_started
        from accounts.models import Tenant

        user_logged_in.connect(session_started, dispatch_uid="session-policy-start", weak=False)

        # Cache invalidation only: whatever changed a tenant (services, Django admin, a shell),
        # the host → tenant cache must not outlive it.
        def _tenant_changed(sender, **kwargs) -> None:
            forget_tenants()

        post_save.connect(_tenant_changed, sender=Tenant, dispatch_uid="hosts-tenant-save", weak=False)
        post_delete.connect(_tenant_changed, sender=Tenant, dispatch_uid="hosts-tenant-delete", weak=False)
