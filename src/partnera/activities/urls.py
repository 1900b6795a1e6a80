"""/activities/: activities, the calendar, and "My day" settings."""

from partnera.activities import urls_activities, urls_calendar, urls_myday

app_name = "activities"
urlpatterns = [*urls_activities.urlpatterns, *urls_calendar.urlpatterns, *urls_myday.urlpatterns]
