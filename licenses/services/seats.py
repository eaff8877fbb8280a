"""Seats: a license may cap its credentials (its instruments). Every addition takes the license's
row lock first (credential_add), so additions at once are counted one after another by the
database and the cap holds however many arrive together. A disabled credential keeps its seat:
delete it to free one."""

from core.errors import Conflict, ServiceError
from licenses.models import MAX_SEATS, License

UNCHANGED = object()  # license_update: leave the seats as they are (None means no cap)


def clean_seats(seats) -> int | None:
    if seats is None:
        return None
    if type(seats) is not int or not 1 <= seats <= MAX_SEATS:
        raise ServiceError(
            f"Seats are a whole number, 1 to {MAX_SEATS:,}, or none for no cap.", code="invalid_seats"
        )
    return seats


def require_free_seat(locked: License) -> None:
    """Conflict when every seat of `locked` (its row locked by the caller) is taken."""
    if locked.seats is not None and locked.credentials.count() >= locked.seats:
        raise Conflict(
            f"All {locked.seats} seats of this license are taken: delete a credential, or add seats.",
            code="no_free_seat",
        )


def require_fits(locked: License) -> None:
    """Conflict when `locked`'s new cap is below the credentials it has."""
    used = locked.credentials.count()
    if locked.seats is not None and used > locked.seats:
        raise Conflict(
            f"{used} credentials use this license: delete some before lowering its seats to {locked.seats}.",
            code="seats_in_use",
        )
