"""People services: who may change what, what is checked, what is audited."""

from __future__ import annotations

import pytest

from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.people import selectors, services
from partnera.people.models import ApiToken, Department, Team, User
from partnera.people.tests.factories import PASSWORD, DepartmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

STRONG = "Quiet-River-Stone-2026"


def people_state() -> tuple:
    return (
        list(User.objects.order_by("pk").values()),
        list(Team.objects.order_by("pk").values()),
        list(Department.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


# --- users --------------------------------------------------------------------------------

def test_user_create_by_system_without_password_cannot_log_in(db):
    user = services.user_create(actor=None, data={"username": "svc", "role": Role.MARKETING})

    assert not user.has_usable_password()
    entry = AuditEntry.objects.get(object_id=str(user.pk))
    assert entry.action == AuditEntry.Action.CREATE and entry.actor_id is None
    assert entry.changes["role"] == [None, Role.MARKETING]


def test_user_create_administrator_is_staff(admin_user):
    user = services.user_create(actor=admin_user, data={"username": "boss2",
                                                        "role": Role.ADMINISTRATOR},
                                password=STRONG)
    assert user.is_staff and user.check_password(STRONG)


@pytest.mark.parametrize("data, password, field", [
    ({"username": "manager"}, STRONG, "username"),
    ({"username": "ok", "email": "bad"}, STRONG, "email"),
    ({"username": "ok"}, "weak", "password"),
    ({"username": "ok", "time_zone": "Europe/Atlantis"}, STRONG, "time_zone"),
    ({"username": "ok", "language": "fr"}, STRONG, "language"),
    ({"username": "ok", "phone": "+359 1"}, STRONG, "phone"),
])
def test_user_create_rejects_bad_input_and_changes_nothing(admin_user, manager, data, password,
                                                           field):
    before = people_state()

    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=admin_user, data=data, password=password)

    assert field in exc.value.fields
    assert people_state() == before


def test_user_create_by_non_administrator_is_refused(manager):
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.user_create(actor=manager, data={"username": "x"}, password=STRONG)

    assert people_state() == before


def test_user_update_by_non_administrator_is_refused(manager, other_manager):
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.user_update(actor=manager, user=other_manager, data={"role": Role.ADMINISTRATOR})
    with pytest.raises(PermissionDenied):
        services.user_update(actor=manager, user=manager, data={"role": Role.ADMINISTRATOR})

    assert people_state() == before


def test_user_update_records_only_what_changed(admin_user, manager):
    services.user_update(actor=admin_user, user=manager, data={"role": Role.HEAD_OF_SALES,
                                                               "email": manager.email})

    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes == {"role": [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES]}


def test_user_update_without_changes_writes_no_audit_entry(admin_user, manager):
    services.user_update(actor=admin_user, user=manager, data={"role": manager.role})
    assert not AuditEntry.objects.exists()


def test_the_last_active_administrator_stays(admin_user):
    before = people_state()

    with pytest.raises(ValidationFailed) as exc:
        services.user_update(actor=admin_user, user=admin_user, data={"is_active": False})

    assert "role" in exc.value.fields
    assert people_state() == before


def test_an_administrator_may_step_down_when_another_remains(admin_user, make_user):
    make_user(Role.ADMINISTRATOR, username="admin2")

    user = services.user_update(actor=admin_user, user=admin_user,
                                data={"role": Role.HEAD_OF_SALES})

    assert user.role == Role.HEAD_OF_SALES and not user.is_staff


def test_user_update_profile_by_self(manager):
    user = services.user_update_profile(actor=manager, user=manager, data={
        "first_name": "  Мила ", "phone": "02 987 6543", "time_zone": "Europe/London",
        "role": Role.ADMINISTRATOR})

    assert user.first_name == "Мила"
    assert user.phone == "+35929876543"
    assert user.time_zone == "Europe/London"
    assert User.objects.get(pk=manager.pk).role == Role.ACCOUNT_MANAGER


@pytest.mark.parametrize("data, field", [
    ({"time_zone": "Europe/Nowhere"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"language": "de"}, "language"),
    ({"email": "two@@signs"}, "email"),
    ({"phone": "call me"}, "phone"),
])
def test_user_update_profile_rejects_bad_input_and_changes_nothing(manager, data, field):
    before = people_state()

    with pytest.raises(ValidationFailed) as exc:
        services.user_update_profile(actor=manager, user=manager, data=data)

    assert field in exc.value.fields
    assert people_state() == before


def test_user_update_profile_of_someone_else_is_refused(manager, other_manager):
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.user_update_profile(actor=manager, user=other_manager, data={"first_name": "X"})

    assert people_state() == before


def test_user_set_language(manager):
    services.user_set_language(actor=manager, user=manager, language="bg")

    assert User.objects.get(pk=manager.pk).language == "bg"
    assert AuditEntry.objects.get().changes == {"language": ["en", "bg"]}


def test_user_set_password_by_self_and_by_admin(admin_user, manager, other_manager):
    services.user_set_password(actor=manager, user=manager, password=STRONG)
    assert User.objects.get(pk=manager.pk).check_password(STRONG)

    services.user_set_password(actor=admin_user, user=other_manager, password=STRONG)
    assert User.objects.get(pk=other_manager.pk).check_password(STRONG)


def test_user_set_password_for_someone_else_is_refused(manager, other_manager):
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=manager, user=other_manager, password=STRONG)

    assert people_state() == before
    assert User.objects.get(pk=other_manager.pk).check_password(PASSWORD)


def test_user_deactivate(admin_user, manager):
    user = services.user_deactivate(actor=admin_user, user=manager)

    assert user.is_active is False
    assert User.objects.get(pk=manager.pk).is_active is False
    assert AuditEntry.objects.get().changes == {"is_active": [True, False]}
    # Twice is harmless and writes nothing more.
    services.user_deactivate(actor=admin_user, user=manager)
    assert AuditEntry.objects.count() == 1


def test_user_deactivate_refuses_self_and_non_administrators(admin_user, manager, other_manager):
    before = people_state()

    with pytest.raises(ValidationFailed):
        services.user_deactivate(actor=admin_user, user=admin_user)
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=manager, user=other_manager)

    assert people_state() == before


def test_user_deactivate_keeps_the_last_administrator(make_user, admin_user):
    system_admin = make_user(Role.ADMINISTRATOR, username="other_admin")
    services.user_deactivate(actor=system_admin, user=admin_user)
    before = people_state()

    with pytest.raises(ValidationFailed):
        services.user_update(actor=system_admin, user=system_admin,
                             data={"role": Role.MARKETING})

    assert people_state() == before


# --- teams and departments ------------------------------------------------------------------

def test_team_create_and_update_are_audited(admin_user, head_of_sales):
    team = services.team_create(actor=admin_user, data={"name": " Запад ", "head": head_of_sales,
                                                        "shares_clients": False})
    services.team_update(actor=admin_user, team=team, data={"shares_clients": True})

    team.refresh_from_db()
    assert (team.name, team.head, team.shares_clients) == ("Запад", head_of_sales, True)
    entries = list(AuditEntry.objects.filter(object_type="people.team").order_by("pk"))
    assert [e.action for e in entries] == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]
    assert entries[1].changes == {"shares_clients": [False, True]}


def test_updates_bring_the_callers_instance_up_to_date(admin_user, team, manager):
    services.team_update(actor=admin_user, team=team, data={"head": manager})
    services.user_update(actor=admin_user, user=manager, data={"role": Role.HEAD_OF_SALES})

    assert team.head_id == manager.pk
    assert manager.role == Role.HEAD_OF_SALES


def test_a_refused_update_leaves_the_callers_instance_as_stored(manager):
    with pytest.raises(ValidationFailed):
        services.user_update_profile(actor=manager, user=manager, data={
            "first_name": "Нов", "time_zone": "Nowhere/Land"})

    assert manager.first_name != "Нов"
    assert manager.time_zone == "Europe/Sofia"


def test_team_update_with_taken_name_changes_nothing(admin_user, team):
    TeamFactory(name="Заето")
    before = people_state()

    with pytest.raises(ValidationFailed) as exc:
        services.team_update(actor=admin_user, team=team, data={"name": "Заето"})

    assert "name" in exc.value.fields
    assert people_state() == before


def test_team_writes_by_non_administrator_are_refused(manager, team):
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.team_create(actor=manager, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.team_update(actor=manager, team=team, data={"name": "Mine"})

    assert people_state() == before


def test_department_create_and_update(admin_user):
    department = services.department_create(actor=admin_user, data={
        "name": "Качество", "kind": DepartmentKind.QUALITY})
    services.department_update(actor=admin_user, department=department, data={
        "name": "Качество и рекламации"})

    department.refresh_from_db()
    assert department.name == "Качество и рекламации"
    update = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert update.changes == {"name": ["Качество", "Качество и рекламации"]}


@pytest.mark.parametrize("data, field", [
    ({"name": "Финанси"}, "name"),
    ({"name": ""}, "name"),
    ({"kind": "astrology"}, "kind"),
])
def test_department_update_rejects_bad_input(admin_user, data, field):
    DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")
    department = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    before = people_state()

    with pytest.raises(ValidationFailed) as exc:
        services.department_update(actor=admin_user, department=department, data=data)

    assert field in exc.value.fields
    assert people_state() == before


def test_department_update_by_non_administrator_is_refused(manager):
    department = DepartmentFactory()
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.department_update(actor=manager, department=department, data={"name": "X"})

    assert people_state() == before


# --- tokens and selectors -------------------------------------------------------------------

def test_token_revoke_by_someone_else_is_refused(manager, other_manager):
    token, secret = services.token_create(actor=manager, user=manager, name="Mine")
    before = people_state()

    with pytest.raises(PermissionDenied):
        services.token_revoke(actor=other_manager, token=token)

    assert people_state() == before
    assert services.token_authenticate(secret) == manager


def test_token_get_finds_only_own_tokens(manager, other_manager):
    token, _ = services.token_create(actor=manager, user=manager, name="Mine")

    assert selectors.token_get(user=manager, pk=token.pk) == token
    with pytest.raises(NotFound):
        selectors.token_get(user=other_manager, pk=token.pk)


def test_user_search_matches_cyrillic_whatever_the_case(make_user):
    make_user(username="ivana", first_name="Ивана", last_name="Кирилова")
    make_user(username="petar", first_name="Петър", last_name="Ковачев")

    assert [u.username for u in selectors.user_list(query="кирилова")] == ["ivana"]
    assert [u.username for u in selectors.user_list(query="ПЕТЪР")] == ["petar"]
    assert {u.username for u in selectors.user_list(query="partnera.test")} == {"ivana", "petar"}
    assert [u.username for u in selectors.user_list(query="ivana petar")] == []


def test_team_list_counts_active_members(team, make_user):
    make_user(team=team)
    make_user(team=team, is_active=False)

    assert selectors.team_list().get(pk=team.pk).member_count == 1
