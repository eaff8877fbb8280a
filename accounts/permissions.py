"""DRF permissions: the caller must be an active member (or admin) of the request's tenant."""

from rest_framework.permissions import BasePermission

from accounts.selectors import current_membership


class IsTenantMember(BasePermission):
    message = "You are not an active member of this tenant."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        membership = current_membership(request)
        return membership is not None and membership.is_active


class IsTenantAdmin(IsTenantMember):
    message = "Only tenant admins can do this."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and current_membership(request).is_admin
