"""The `partnera` command: serve, worker, migrate, demo, createuser, token, and every Django
management command (`partnera manage <command>`, or its name directly).

Each subcommand is a Django management command, so `partnera <command> --help` describes it.
Commands that write (demo, createuser, token, migrate …) run with the audit channel "CLI".
"""

from __future__ import annotations

import os
import sys

OVERVIEW = """\
usage: partnera <command> [options]      (partnera <command> --help for its options)

Partnera — CRM for B2B account management.

commands:
  serve        serve the web app and API with gunicorn (127.0.0.1:$PARTNERA_PORT, default 8000)
  worker       run background job workers (django-tasks database backend)
  migrate      create or update the database tables
  demo         load a demo client base: teams, a user for each role, companies  [--companies N]
  createuser   create a user:  partnera createuser USERNAME --role ROLE
  token        API tokens:  partnera token create USER  |  token revoke USER PREFIX  |  token list USER
  duplicates   likely duplicate companies: count them, or find them all again  [--rebuild]
  contracts    contracts expire: expire (or renew automatically) contracts past their end
               [--today YYYY-MM-DD] [--enqueue]  (run it daily)
  orders       orders alert-late: notify owners and departments of late orders
  imports      imports cleanup: remove the uploaded files of imports that ended over N days ago
               [--days N] [--enqueue]  (run it daily; N: PARTNERA_IMPORT_FILE_DAYS, 30)
  import       import a file:  partnera import companies|contacts FILE --user USERNAME
               [--dry-run] [--update] [--key eik|vat|email|name_city] [--mapping NAME]
  export       export what a user sees:  partnera export companies|contacts FILE --user USERNAME
               [--format csv|xlsx|vcf] [--q TEXT] [--stage …] …  (FILE - for standard output)
  manage       run any Django management command:  partnera manage <command> [...]

Any other Django management command also runs by its name (e.g. partnera check --deploy).
The environment configures it: PARTNERA_HOME, PARTNERA_DATABASE_URL, PARTNERA_SECRET_KEY,
PARTNERA_ENV, PARTNERA_DEBUG, PARTNERA_PORT … (see README.md).
"""

# Long-running processes set their own channel: requests say web/API, jobs say job.
_OWN_CHANNEL = {"serve", "worker", "runserver", "db_worker"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnera.config.settings")
    if not args or args in (["-h"], ["--help"], ["help"]):
        sys.stdout.write(OVERVIEW)
        return 0
    if args[0] == "--version":
        from importlib.metadata import version

        sys.stdout.write(f"partnera {version('partnera')}\n")
        return 0
    if args[0] == "manage":
        args = args[1:] or ["help"]

    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018  (loads the settings: refuses a bad configuration)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"partnera: {exc}\n")
        return 2

    from django.core.management import execute_from_command_line

    from partnera.core.context import Channel, acting

    if args[0] in _OWN_CHANNEL:
        execute_from_command_line(["partnera", *args])
    else:
        with acting(Channel.CLI):
            execute_from_command_line(["partnera", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
