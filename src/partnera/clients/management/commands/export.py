"""`partnera export companies|contacts FILE --user USERNAME [filters]`: the list a user sees, as
CSV, XLSX or vCard, written through the same export service as the web page and the API."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from partnera.clients import exports, selectors
from partnera.clients.models import Channel, Stage, Tier
from partnera.core.errors import DomainError
from partnera.core.management.commands._common import domain_error, user_by_username
from partnera.core.spreadsheet import DIALECTS, csv_dialect

EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".vcf": "vcf"}


class Command(BaseCommand):
    help = (
        "Export the companies or contacts a user may see, filtered like the list pages, to CSV, "
        "XLSX or vCard (contacts). FILE '-' writes to standard output. The export is audited "
        "as that user's."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["companies", "contacts"])
        parser.add_argument("file", help="the file to write (its extension picks the format), "
                                         "or - for standard output")
        parser.add_argument("--format", choices=["csv", "xlsx", "vcf"],
                            help="csv, xlsx or vcf (contacts only); default: from FILE, else csv")
        parser.add_argument("--user", required=True,
                            help="export what this user may see (their visibility and rights)")
        parser.add_argument("--sep", choices=sorted(DIALECTS),
                            help="CSV delimiter (semicolon also writes decimal commas); "
                                 "default: by the language")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                            help="language of headers and values; default: the user's")
        parser.add_argument("--q", default="", help="search text, as in the list's search box")
        parser.add_argument("--sort", default="name", help="the list's sort (name, -name, "
                                                         "updated, created, city)")
        companies = parser.add_argument_group("companies filters")
        companies.add_argument("--stage", action="append", default=[], choices=Stage.values)
        companies.add_argument("--tier", action="append", default=[], choices=Tier.values)
        companies.add_argument("--owner", action="append", default=[], metavar="USERNAME")
        companies.add_argument("--team", action="append", default=[], metavar="TEAM",
                               help="team name or id")
        companies.add_argument("--tag", action="append", default=[], metavar="TAG")
        companies.add_argument("--region", default="")
        companies.add_argument("--city", default="")
        companies.add_argument("--industry", default="")
        contacts = parser.add_argument_group("contacts filters")
        contacts.add_argument("--company", type=int, metavar="ID", help="contacts of one company")
        contacts.add_argument("--consent", choices=["yes", "no"])
        contacts.add_argument("--channel", choices=Channel.values)

    def handle(self, *args, kind, file, user, **options):
        actor = user_by_username(user)
        if not actor.is_active:
            raise CommandError(f"The user “{actor.username}” is not active.")
        sorts = selectors.COMPANY_SORTS if kind == "companies" else selectors.CONTACT_SORTS
        if options["sort"] not in sorts:
            raise CommandError(f"--sort must be one of: {', '.join(sorts)}.")
        fmt = options["format"] or EXTENSIONS.get(Path(file).suffix.lower(), "csv")
        if fmt == "vcf" and kind != "contacts":
            raise CommandError("vCard (vcf) is a format for contacts.")
        language = options["language"] or getattr(actor, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            dialect = csv_dialect(language, options["sep"])
            try:
                if kind == "companies":
                    export = exports.company_export(
                        actor=actor, filters=self._company_filters(options), sort=options["sort"],
                        fmt=fmt, dialect=dialect, web=False)
                else:
                    export = exports.contact_export(
                        actor=actor, filters=self._contact_filters(actor, options),
                        sort=options["sort"], fmt=fmt, dialect=dialect, web=False)
                self._write(export, file)
            except DomainError as exc:
                raise domain_error(exc) from exc
        where = "standard output" if file == "-" else file
        self.stderr.write(f"Exported {export.rows} {kind} to {where} ({fmt}).")

    def _company_filters(self, options) -> selectors.CompanyFilters:
        from partnera.people.models import Team

        owners = [user_by_username(name).pk for name in options["owner"]]
        teams = []
        for ref in options["team"]:
            team = (Team.objects.filter(pk=int(ref)).first() if ref.isdigit()
                    else Team.objects.filter(name=ref.strip()).first())
            if team is None:
                raise CommandError(f"No team “{ref}”.")
            teams.append(team.pk)
        return selectors.CompanyFilters(
            q=options["q"].strip(), stage=options["stage"], tier=options["tier"], owner=owners,
            team=teams, tag=selectors.tag_ids_by_name(options["tag"]),
            region=options["region"].strip(), city=options["city"].strip(),
            industry=options["industry"].strip())

    def _contact_filters(self, actor, options) -> selectors.ContactFilters:
        company = options["company"]
        if company:
            selectors.company_get(user=actor, pk=company)  # NotFound when hidden or missing
        consent = {"yes": True, "no": False}.get(options["consent"] or "")
        return selectors.ContactFilters(q=options["q"].strip(), company=company, consent=consent,
                                        channel=options["channel"] or "")

    def _write(self, export, file: str) -> None:
        if file == "-":
            export.write_to(sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        target = Path(file)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        # Written next to the target and renamed into place: a failure leaves no partial file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                export.write_to(out)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
