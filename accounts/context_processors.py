from accounts.selectors import current_membership


def tenant(request):
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": current_membership(request) if hasattr(request, "user") else None,
    }
