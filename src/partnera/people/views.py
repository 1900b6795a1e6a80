"""People screens: log in/out, password, profile with API tokens, language, and the
administrator's screens for users, teams and departments. Each view parses, calls a selector or
service, and renders."""

from __future__ import annotations

import contextlib
import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from partnera.core.errors import DomainError, PermissionDenied
from partnera.core.middleware import UserLanguageMiddleware
from partnera.core.pagination import bounded_count, keyset_page
from partnera.core.visibility import is_administrator
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, web_errors
from partnera.people import selectors, services
from partnera.people.forms import (
    DepartmentForm,
    PasswordSetForm,
    ProfileForm,
    TeamForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)

USER_PAGE_SIZE = 100
remember_language = UserLanguageMiddleware.remember


# --- logging in and out ---------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    """Django's login; afterwards the user's saved language applies."""

    template_name = "people/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_language(self.request, response, form.get_user().language)
        return response


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language; for a logged-in user the choice is also saved on their account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated and request.user.language != language:
            # If the account cannot be saved (say, an old invalid phone), the switch still works
            # for this session; the profile page shows what is wrong.
            with contextlib.suppress(DomainError):
                services.user_set_language(actor=request.user, user=request.user,
                                           language=language)
        remember_language(request, response, language)
    return response


@login_required
@never_cache
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=request.user,
                                       password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            _map_password_error(form, exc, "new_password1")
        else:
            # Changing the password ends the user's other sessions, but keeps this one.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("people:profile")
    return render(request, "people/password_change.html", {"form": form})


def _map_password_error(form, exc: DomainError, field: str) -> None:
    for message in exc.fields.get("password", []):
        form.add_error(field, message)
    rest = {k: v for k, v in exc.fields.items() if k != "password"}
    if rest or not exc.fields:
        add_errors_to_form(form, DomainError(exc.message, fields=rest))


# --- the profile ----------------------------------------------------------------------------

def _profile_page(request, *, form=None, token_form=None, new_secret=None,
                  new_token=None) -> HttpResponse:
    return render(request, "people/profile.html", {
        "form": form or ProfileForm.for_user(request.user),
        "token_form": token_form or TokenCreateForm(),
        "tokens": selectors.token_list(user=request.user),
        "new_secret": new_secret,
        "new_token": new_token,
    })


@login_required
@never_cache
@web_errors
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_update_profile(actor=request.user, user=request.user,
                                                data=form.cleaned_data)
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("people:profile")
            remember_language(request, response, user.language)
            return response
    return _profile_page(request, form=form)


@login_required
@never_cache
@require_POST
@web_errors
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.token_create(actor=request.user, user=request.user,
                                                  name=form.cleaned_data["name"])
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            # Shown in this response only: it is not stored and cannot be shown again.
            return _profile_page(request, new_secret=secret, new_token=token)
    return _profile_page(request, token_form=form)


@login_required
@require_POST
@web_errors
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_get(user=request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("people:profile")


# --- administration -------------------------------------------------------------------------

def administrator_only(view):
    """Logged in and an administrator; anyone else gets 403 before anything happens."""

    @functools.wraps(view)
    def check(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied()
        return view(request, *args, **kwargs)

    return login_required(never_cache(web_errors(check)))


@administrator_only
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    search = UserSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    users = selectors.user_list(query=query)
    page = keyset_page(users, field="first_name", descending=False,
                       cursor=request.GET.get("cursor"), size=USER_PAGE_SIZE)
    count, count_more = bounded_count(users)
    return render(request, "people/user_list.html", {
        "page": page, "count": count, "count_more": count_more, "query": query,
    })


@administrator_only
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        data.pop("password_confirm")
        try:
            user = services.user_create(actor=request.user, data=data, password=password)
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("User “%(name)s” was created.") % {"name": user})
            return redirect("people:user_list")
    return render(request, "people/user_form.html", {"form": form, "creating": True})


@administrator_only
def user_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    subject = selectors.user_get(pk=pk)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            try:
                subject = services.user_update(actor=request.user, user=subject,
                                               data=form.cleaned_data)
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("User “%(name)s” was saved.") % {"name": subject})
                return redirect("people:user_list")
    else:
        form = UserEditForm.for_user(subject)
    return render(request, "people/user_form.html", {
        "form": form, "subject": subject, "password_form": PasswordSetForm(),
    })


@administrator_only
def user_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    subject = selectors.user_get(pk=pk)
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=subject,
                                       password=form.cleaned_data["password"])
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            if subject.pk == request.user.pk:
                update_session_auth_hash(request, subject)
            messages.success(request, _("The password of “%(name)s” was reset. Their other "
                                        "sessions have ended.") % {"name": subject})
            return redirect("people:user_edit", pk=subject.pk)
    return render(request, "people/user_password.html", {"form": form, "subject": subject})


@administrator_only
@require_POST
def user_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    subject = selectors.user_get(pk=pk)
    try:
        subject = services.user_deactivate(actor=request.user, user=subject)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, exc.message)
        return redirect("people:user_edit", pk=subject.pk)
    messages.success(request, _("User “%(name)s” was deactivated.") % {"name": subject})
    return redirect("people:user_list")


@administrator_only
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "people/team_list.html", {
        "teams": selectors.team_list(), "departments": selectors.department_list(),
    })


def _team_form_page(request, *, team=None):
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                if team is None:
                    saved = services.team_create(actor=request.user, data=form.cleaned_data)
                else:
                    saved = services.team_update(actor=request.user, team=team,
                                                 data=form.cleaned_data)
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Team “%(name)s” was saved.") % {"name": saved})
                return redirect("people:team_list")
    else:
        form = TeamForm.for_team(team)
    members = selectors.team_members(team=team) if team is not None else []
    return render(request, "people/team_form.html", {"form": form, "team": team,
                                                      "members": members})


@administrator_only
def team_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _team_form_page(request)


@administrator_only
def team_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _team_form_page(request, team=selectors.team_get(pk=pk))


def _department_form_page(request, *, department=None):
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                if department is None:
                    saved = services.department_create(actor=request.user,
                                                       data=form.cleaned_data)
                else:
                    saved = services.department_update(actor=request.user, department=department,
                                                       data=form.cleaned_data)
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Department “%(name)s” was saved.") % {"name": saved})
                return redirect("people:team_list")
    else:
        form = DepartmentForm.for_department(department)
    return render(request, "people/department_form.html", {"form": form,
                                                            "department": department})


@administrator_only
def department_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _department_form_page(request)


@administrator_only
def department_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _department_form_page(request, department=selectors.department_get(pk=pk))
