"""The time zone a user reads times in: their profile's, else the installation's default.

Times are stored in UTC (ARCHITECTURE rule 7); pages, e-mails, feeds and forms show and read them in
this zone. The middleware activates it per request; jobs and services ask for it by user."""

from __future__ import annotations

import zoneinfo

from django.conf import settings

FALLBACK_ZONE = "Europe/Sofia"


def user_zone(user) -> zoneinfo.ZoneInfo:
    for name in (getattr(user, "time_zone", ""), settings.PARTNERA_DEFAULT_TIMEZONE, FALLBACK_ZONE):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo(FALLBACK_ZONE)
