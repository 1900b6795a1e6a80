"""Pages of the client base: companies, contacts, notes, files, saved views."""

from partnera.clients.views.companies import (  # noqa: F401
    company_autocomplete,
    company_check,
    company_create,
    company_delete,
    company_detail,
    company_edit,
    company_list,
    company_restore,
    company_share,
    company_timeline,
    company_trash,
    company_unshare,
    saved_view_create,
    saved_view_delete,
)
from partnera.clients.views.contacts import (  # noqa: F401
    contact_create,
    contact_delete,
    contact_detail,
    contact_edit,
    contact_list,
    contact_note_create,
    contact_restore,
)
from partnera.clients.views.duplicates import (  # noqa: F401
    company_merge,
    duplicate_dismiss,
    duplicate_list,
)
from partnera.clients.views.exports import (  # noqa: F401
    company_contacts_vcard,
    company_export,
    contact_export,
    contact_vcard,
)
from partnera.clients.views.records import (  # noqa: F401
    attachment_delete,
    attachment_download,
    attachment_restore,
    attachment_upload,
    note_create,
    note_delete,
    note_edit,
    note_item,
    note_restore,
)
