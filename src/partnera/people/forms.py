"""Forms for the people screens. They parse and check shapes; the services decide and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnera.core.roles import DepartmentKind, Role
from partnera.people.models import Department, Team, User
from partnera.people.services import time_zone_names


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=time_zone_choices,
        help_text=_("Dates and times are shown in this zone."),
    )

    @classmethod
    def for_user(cls, user: User) -> ProfileForm:
        return cls(initial={name: getattr(user, name) for name in cls.base_fields})


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, required=False,
        help_text=_("What the token is for, e.g. “ERP sync”."),
    )


class _PasswordPairMixin:
    """A new password typed twice; the service checks its strength."""

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", _("The two passwords differ."))
        return data


def _password_fields(label):
    return (
        forms.CharField(label=label, strip=False, widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password"})),
        forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password"})),
    )


def _team_field():
    return forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False)


def _department_field():
    return forms.ModelChoiceField(label=_("Department"),
                                  queryset=Department.objects.order_by("name"), required=False)


class UserCreateForm(_PasswordPairMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("Letters, digits and @/./+/-/_ only."))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.ACCOUNT_MANAGER)
    team = _team_field()
    department = _department_field()
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES,
                                 initial=settings.LANGUAGE_CODE)
    password, password_confirm = _password_fields(_("Initial password"))


class UserEditForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = _team_field()
    department = _department_field()
    is_active = forms.BooleanField(
        label=_("Active"), required=False,
        help_text=_("Inactive users cannot log in or use the API; their records stay."),
    )

    @classmethod
    def for_user(cls, user: User) -> UserEditForm:
        initial = {name: getattr(user, name) for name in cls.base_fields}
        initial["team"], initial["department"] = user.team_id, user.department_id
        return cls(initial=initial)


class PasswordSetForm(_PasswordPairMixin, forms.Form):
    password, password_confirm = _password_fields(_("New password"))


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    head = forms.ModelChoiceField(
        label=_("Head of sales"), required=False,
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
    )
    shares_clients = forms.BooleanField(
        label=_("Members see each other's clients"), required=False,
        help_text=_("When on, every member of the team sees the clients assigned to the team."),
    )

    @classmethod
    def for_team(cls, team: Team | None) -> TeamForm:
        if team is None:
            return cls(initial={"shares_clients": True})
        return cls(initial={"name": team.name, "head": team.head_id,
                            "shares_clients": team.shares_clients})


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices)

    @classmethod
    def for_department(cls, department: Department | None) -> DepartmentForm:
        if department is None:
            return cls()
        return cls(initial={"name": department.name, "kind": department.kind})


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
