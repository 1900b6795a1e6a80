"""Test data for people: users in every role, teams, departments."""

from __future__ import annotations

import factory

from partnera.core.roles import DepartmentKind, Role
from partnera.people.models import Department, Team, User

PASSWORD = "Correct-Horse-2026"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Екип {n}")
    shares_clients = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.LazyAttribute(lambda o: str(DepartmentKind(o.kind).label))
    kind = DepartmentKind.LOGISTICS


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Iterator(["Иван", "Мария", "Георги", "Елена", "Петър", "Десислава"])
    last_name = factory.Iterator(["Петров", "Иванова", "Димитров", "Стоянова", "Николов"])
    email = factory.LazyAttribute(lambda o: f"{o.username}@partnera.test")
    role = Role.ACCOUNT_MANAGER
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_user(role: str = Role.ACCOUNT_MANAGER, **kwargs) -> User:
    if role == Role.ADMINISTRATOR:
        kwargs.setdefault("is_staff", True)
    if role == Role.DEPARTMENT and "department" not in kwargs:
        kwargs["department"] = DepartmentFactory(kind=DepartmentKind.LOGISTICS)
    return UserFactory(role=role, **kwargs)
