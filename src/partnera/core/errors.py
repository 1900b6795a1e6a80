"""Domain errors with stable codes. Services raise them; interfaces map them to HTTP."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.message = str(message or self.default_message)
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 400
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409
    default_message = _(
        "Someone else changed this record after you opened it. Reload to see their changes, "
        "then apply yours again."
    )


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with an existing record.")
