"""`partnera createuser USERNAME --role ROLE`: create a user through the people services."""

from __future__ import annotations

import getpass
import secrets
import sys

from django.core.management.base import BaseCommand, CommandError, no_translations

from partnera.core.errors import DomainError
from partnera.core.management.commands._common import domain_error
from partnera.core.roles import Role
from partnera.people import services
from partnera.people.models import Department, Team


class Command(BaseCommand):
    help = (
        "Create a Partnera user with a role. Without --password it asks for one (twice) on a "
        "terminal, or generates one and prints it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values,
                            help="the user's role")
        parser.add_argument("--password", help="the password (else prompted or generated)")
        parser.add_argument("--generate-password", action="store_true",
                            help="generate a password and print it, even on a terminal")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--team", default="", help="name of the user's sales team")
        parser.add_argument("--department", default="",
                            help="name of the user's department (logistics, finance, …)")
        parser.add_argument("--language", default="bg", choices=["bg", "en"])

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, username, role, password, generate_password, **options):
        data = {
            "username": username.strip(), "role": role, "email": options["email"],
            "first_name": options["first_name"], "last_name": options["last_name"],
            "language": options["language"],
        }
        if options["team"]:
            data["team"] = _by_name(Team, options["team"], "team")
        if options["department"]:
            data["department"] = _by_name(Department, options["department"], "department")
        generated = False
        if not password:
            if generate_password or not sys.stdin.isatty():
                password, generated = secrets.token_urlsafe(12), True
            else:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The two passwords differ.")
        try:
            user = services.user_create(actor=None, data=data, password=password)
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"Created user {user.username} ({Role(user.role).label}).")
        if generated:
            self.stdout.write(f"Password: {password}")


def _by_name(model, name: str, label: str):
    obj = model.objects.filter(name=name.strip()).first()
    if obj is None:
        known = ", ".join(model.objects.values_list("name", flat=True)) or "none yet"
        raise CommandError(f"No {label} named “{name}”. Known: {known}.")
    return obj
