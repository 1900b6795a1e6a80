"""Who may do what with the client base, beyond seeing it (core.visibility decides that)."""

from __future__ import annotations

from partnera.core.roles import Role
from partnera.core.visibility import heads_record


def can_edit_note(user, note) -> bool:
    """A note is changed, deleted or restored by its author, an administrator, or the head of
    sales over the note's company. (`user=None` is the system itself: demo data, imports.)"""
    if user is None:
        return True
    return note.created_by_id == user.pk or edits_every_note_of(user, note.company)


def edits_every_note_of(user, company) -> bool:
    """May the user change any note of this company, not only their own?"""
    if user is None:
        return True
    return user.is_superuser or user.role == Role.ADMINISTRATOR or heads_record(user, company)
