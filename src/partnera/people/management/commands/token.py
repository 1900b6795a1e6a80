"""`partnera token create USER` / `token revoke USER PREFIX` / `token list USER`: API tokens."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, no_translations

from partnera.core.errors import DomainError
from partnera.core.management.commands._common import domain_error, user_by_username
from partnera.people import selectors, services


class Command(BaseCommand):
    help = (
        "Manage REST API bearer tokens. `create USER` prints the secret once (only its hash is "
        "stored); `revoke USER PREFIX` revokes one; `list USER` shows a user's tokens."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,revoke,list}")
        create = actions.add_parser("create", help="create a token and print its secret once")
        create.add_argument("user", help="username")
        create.add_argument("--name", default="", help="what the token is for (e.g. ERP sync)")
        revoke = actions.add_parser("revoke", help="revoke a token")
        revoke.add_argument("user", help="username")
        revoke.add_argument("prefix", help="the token's prefix, as `token list` shows it")
        listing = actions.add_parser("list", help="list a user's tokens")
        listing.add_argument("user", help="username")

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, action: str, user: str, **options):
        owner = user_by_username(user)
        try:
            if action == "create":
                token, secret = services.token_create(actor=None, user=owner, name=options["name"])
                self.stderr.write(f"Token “{token.name}” for {owner.username} (prefix {token.prefix}). "
                                  "Keep the secret now; it is not shown again:")
                self.stdout.write(secret)
            elif action == "revoke":
                token = services.token_get_for_revoke(user=owner, prefix=options["prefix"])
                services.token_revoke(actor=None, token=token)
                self.stdout.write(f"Revoked token {token.prefix}… of {owner.username}.")
            else:
                for token in selectors.token_list(user=owner):
                    state = "active" if token.is_active else f"revoked {token.revoked_at:%Y-%m-%d}"
                    used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                    self.stdout.write(f"{token.prefix}  {token.name}  created "
                                      f"{token.created_at:%Y-%m-%d}  last used {used}  {state}")
        except DomainError as exc:
            if exc.code == "not_found":
                raise CommandError(f"{owner.username} has no token with the prefix "
                                   f"“{options.get('prefix')}”.") from exc
            raise domain_error(exc) from exc
