"""The administrator's screens, the profile with API tokens, and the API docs, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role
from partnera.people.models import ApiToken, User
from partnera.people.services import token_authenticate
from partnera.people.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_administrator_adds_a_manager_to_a_team(page, login, screenshot, make_user, team):
    # Given an administrator on the login page
    admin = make_user(Role.ADMINISTRATOR, username="admin", first_name="Анна", language="en")
    page.goto("/login/")
    screenshot("10-login", full_page=False)
    login(admin)

    # When they create a key-account manager in the team with a weak password first
    page.goto("/people/admin/users/new/")
    page.fill("input[name=username]", "kam.georgiev")
    page.fill("input[name=first_name]", "Георги")
    page.fill("input[name=last_name]", "Георгиев")
    page.fill("input[name=email]", "g.georgiev@partnera.test")
    page.select_option("select[name=role]", Role.KEY_ACCOUNT_MANAGER)
    page.select_option("select[name=team]", str(team.pk))
    page.fill("input[name=password]", "12345")
    page.fill("input[name=password_confirm]", "12345")
    page.locator("main form button.btn-primary").first.click()

    # Then the password is refused next to its field, the rest is kept, nobody is created
    expect(page.locator("#field-password .error").first).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value("kam.georgiev")
    assert not User.objects.filter(username="kam.georgiev").exists()

    # When they give a good password
    page.fill("input[name=password]", "Sinio-Nebe-nad-Varna-7")
    page.fill("input[name=password_confirm]", "Sinio-Nebe-nad-Varna-7")
    page.locator("main form button.btn-primary").first.click()
    page.wait_for_url(lambda url: not url.endswith("/new/"))

    # Then the user exists with the role and team, and appears in the list
    user = User.objects.get(username="kam.georgiev")
    assert (user.role, user.team_id, user.check_password("Sinio-Nebe-nad-Varna-7")) == (
        Role.KEY_ACCOUNT_MANAGER, team.pk, True)
    page.goto("/people/admin/users/")
    expect(page.locator("table.list")).to_contain_text("Георги Георгиев")
    screenshot("11-admin-users")
    page.goto("/people/admin/teams/")
    expect(page.locator("main")).to_contain_text(team.name)
    screenshot("12-admin-teams")
    page.goto("/audit/")
    expect(page.locator("table.list")).to_contain_text("Георги Георгиев")
    screenshot("13-audit-log")
    assert [e for e in page.js_errors if "status of 400" not in e] == []


def test_manager_creates_an_api_token_and_reads_the_docs(page, login, screenshot, make_user, team,
                                                         live_server):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="ivan", first_name="Иван",
                        language="en")
    CompanyFactory(owner=manager, legal_name="Гама Фуудс ЕАД")
    login(manager, PASSWORD)

    # The home page ("My day") greets them with their recent clients
    page.goto("/")
    expect(page.locator("main")).to_contain_text("Гама Фуудс ЕАД")
    screenshot("14-home")

    # When they create a token on their profile page, the secret is shown once
    page.goto("/people/me/")
    page.fill("input[name=name]", "Outlook add-in")
    page.locator("form", has=page.locator("input[name=name]")).locator("button[type=submit]").click()
    secret = page.locator("[data-secret], .token-secret, code").first.inner_text().strip()
    assert secret.startswith("pa_")
    assert token_authenticate(secret) == manager
    assert ApiToken.objects.get(user=manager).key_hash != secret
    screenshot("15-profile-token")

    # And the token reads their companies through the API
    response = page.request.get(f"{live_server.url}/api/v1/companies",
                                headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200
    assert [c["legal_name"] for c in response.json()["items"]] == ["Гама Фуудс ЕАД"]

    # The API docs load from our own static files, under the strict CSP, without errors
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui")).to_contain_text("Partnera API")
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/companies")
    screenshot("16-api-docs")
    assert page.js_errors == []
