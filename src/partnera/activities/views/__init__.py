"""Pages of activities (the calendar and "My day" have their own modules)."""

from partnera.activities.views.activities import (  # noqa: F401
    activity_cancel,
    activity_complete,
    activity_create,
    activity_delete,
    activity_detail,
    activity_edit,
    activity_list,
    activity_log,
    activity_log_deal,
    activity_reminder,
    activity_restore,
)
