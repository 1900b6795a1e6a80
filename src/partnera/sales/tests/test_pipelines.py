"""Pipeline settings: services (validation, the usable-pipeline invariant, audit) and the
administrators' pages (everyone else 403, nothing changed; errors next to the fields; CSRF)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.sales import pipelines as services
from partnera.sales.models import Deal, Pipeline, Reason, Stage, StageRule
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db


def settings_state() -> list:
    return [list(Pipeline.objects.order_by("pk").values()),
            list(Stage.objects.order_by("pk").values()),
            list(StageRule.objects.order_by("pk").values()),
            list(Reason.objects.order_by("pk").values())]


# --- services ------------------------------------------------------------------------------------

def test_a_new_pipeline_starts_usable_with_an_open_a_won_and_a_lost_stage(admin_user):
    pipeline = services.pipeline_create(actor=admin_user, data={"name": "Дистрибутори",
                                                                "kind": "other"})

    outcomes = list(pipeline.stages.order_by("position").values_list("outcome", flat=True))
    assert outcomes == ["open", "won", "lost"]
    assert services.pipeline_problems(pipeline) == []
    assert not pipeline.is_default  # the seeded default stays
    assert AuditEntry.objects.filter(object_type="sales.pipeline", object_id=str(pipeline.pk),
                                     action="create").count() == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "new BUSINESS"])
def test_a_pipeline_name_must_be_given_short_and_unique_ignoring_case(admin_user, name):
    Pipeline.objects.filter(is_default=True).update(name="New business")
    before = settings_state()

    with pytest.raises(ValidationFailed) as error:
        services.pipeline_create(actor=admin_user, data={"name": name})

    assert "name" in error.value.fields
    assert settings_state() == before


def test_unique_names_compare_cyrillic_ignoring_case(admin_user):
    services.pipeline_create(actor=admin_user, data={"name": "Подновявания 2"})

    with pytest.raises(ValidationFailed):
        services.pipeline_create(actor=admin_user, data={"name": "ПОДНОВЯВАНИЯ 2"})


@pytest.mark.parametrize("probability", ["-1", "101", "пет", "", "2.5", True])
def test_a_win_probability_is_a_whole_number_from_0_to_100(admin_user, probability):
    before = settings_state()

    with pytest.raises(ValidationFailed) as error:
        services.stage_update(actor=admin_user, stage=stage_at(1), data={"probability": probability})

    assert "probability" in error.value.fields
    assert settings_state() == before


def test_stage_changes_are_saved_with_rules_and_audited(admin_user):
    stage = stage_at(1)

    services.stage_update(actor=admin_user, stage=stage,
                          data={"name": "Среща насрочена", "probability": "25", "usual_days": "10"},
                          requirements=["contact", "next_step"])

    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.usual_days) == ("Среща насрочена", 25, 10)
    assert sorted(stage.rules.values_list("requirement", flat=True)) == ["contact", "next_step"]
    entry = AuditEntry.objects.get(object_type="sales.stage", object_id=str(stage.pk))
    assert entry.changes["probability"][1] == 25
    assert entry.changes["rules"] == [[], ["contact", "next_step"]]


def test_unknown_requirements_are_refused(admin_user):
    before = settings_state()

    with pytest.raises(ValidationFailed) as error:
        services.stage_update(actor=admin_user, stage=stage_at(1), data={},
                              requirements=["a_signed_letter"])

    assert "rules" in error.value.fields
    assert settings_state() == before


def test_a_stage_holding_open_deals_cannot_be_deactivated_and_the_message_says_how_many(admin_user,
                                                                                       manager):
    for _ in range(3):
        DealFactory(owner=manager, stage=stage_at(1))
    before = settings_state()

    with pytest.raises(ValidationFailed) as error:
        services.stage_update(actor=admin_user, stage=stage_at(1), data={"active": False})

    assert error.value.fields["active"] == [
        "3 open deals are still in this stage. Move them to another stage first."]
    assert settings_state() == before


def test_the_last_won_or_lost_stage_cannot_go_and_a_stage_with_deals_keeps_its_outcome(admin_user,
                                                                                      manager):
    before = settings_state()

    with pytest.raises(ValidationFailed) as lost_gone:
        services.stage_update(actor=admin_user, stage=stage_at(7), data={"active": False})
    with pytest.raises(ValidationFailed) as won_gone:
        services.stage_update(actor=admin_user, stage=stage_at(6), data={"outcome": "open"})
    assert "lost stage" in lost_gone.value.fields["active"][0]
    assert "won stage" in won_gone.value.fields["outcome"][0]

    DealFactory(owner=manager, stage=stage_at(2))
    with pytest.raises(ValidationFailed) as has_deals:
        services.stage_update(actor=admin_user, stage=stage_at(2), data={"outcome": "won"})
    assert "1 deal is in this stage" in has_deals.value.fields["outcome"][0]
    assert settings_state()[1] == before[1]


def test_a_new_open_stage_goes_before_won_and_lost_and_arrows_reorder(admin_user):
    pipeline = default_pipeline()

    stage = services.stage_create(actor=admin_user, pipeline=pipeline,
                                  data={"name": "Пробна доставка", "probability": "80"},
                                  requirements=["amount"])
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names.index("Пробна доставка") == 6  # after the six open stages

    services.stage_move(actor=admin_user, stage=stage, direction="up")
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names.index("Пробна доставка") == 5
    assert list(pipeline.stages.order_by("position").values_list("position", flat=True)) == list(
        range(9))


def test_the_default_pipeline_cannot_be_deactivated_nor_one_with_open_deals(admin_user, manager):
    renewals = Pipeline.objects.get(kind="renewal")
    DealFactory(owner=manager, pipeline=renewals)
    before = settings_state()

    with pytest.raises(ValidationFailed):
        services.pipeline_set_active(actor=admin_user, pipeline=default_pipeline(), active=False)
    with pytest.raises(ValidationFailed) as error:
        services.pipeline_set_active(actor=admin_user, pipeline=renewals, active=False)

    assert error.value.fields["active"][0].startswith("1 open deal is still in this pipeline")
    assert settings_state() == before


def test_setting_the_default_moves_it_from_the_previous_one(admin_user):
    renewals = Pipeline.objects.get(kind="renewal")

    services.pipeline_set_default(actor=admin_user, pipeline=renewals)

    assert list(Pipeline.objects.filter(is_default=True)) == [renewals]


def test_reasons_are_added_renamed_and_deactivated_but_one_stays_active(admin_user):
    reason = services.reason_create(actor=admin_user, kind="deal_lost", name="Забавена доставка")
    services.reason_update(actor=admin_user, reason=reason, data={"name": "Бавна доставка"})
    services.reason_update(actor=admin_user, reason=reason, data={"active": False})
    reason.refresh_from_db()
    assert (reason.name, reason.active) == ("Бавна доставка", False)

    with pytest.raises(ValidationFailed):
        services.reason_create(actor=admin_user, kind="deal_lost", name="бавна ДОСТАВКА")
    Reason.objects.filter(kind="lead_disqualified").exclude(
        pk=Reason.objects.filter(kind="lead_disqualified").first().pk).update(active=False)
    last = Reason.objects.get(kind="lead_disqualified", active=True)
    with pytest.raises(ValidationFailed):
        services.reason_update(actor=admin_user, reason=last, data={"active": False})


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_only_an_administrator_changes_the_settings(make_user, role):
    user = make_user(role)
    before = settings_state()

    for call in (lambda: services.pipeline_create(actor=user, data={"name": "X"}),
                 lambda: services.stage_update(actor=user, stage=stage_at(1), data={"name": "X"}),
                 lambda: services.stage_move(actor=user, stage=stage_at(1), direction="down"),
                 lambda: services.reason_create(actor=user, kind="deal_lost", name="X")):
        with pytest.raises(PermissionDenied):
            call()
    assert settings_state() == before


# --- pages ---------------------------------------------------------------------------------------

def _posts(pipeline: Pipeline, stage: Stage, reason: Reason) -> list[tuple[str, dict]]:
    return [
        (reverse("sales:settings_pipeline_create"), {"name": "Нов", "kind": "other"}),
        (reverse("sales:settings_pipeline_update", args=[pipeline.pk]), {"name": "Y", "kind": "other"}),
        (reverse("sales:settings_pipeline_default", args=[pipeline.pk]), {}),
        (reverse("sales:settings_pipeline_active", args=[pipeline.pk]), {"active": "0"}),
        (reverse("sales:settings_stage_create", args=[pipeline.pk]),
         {"name": "Z2", "probability": "5", "outcome": "open"}),
        (reverse("sales:settings_stage_update", args=[stage.pk]),
         {"name": "Z", "probability": "5", "outcome": "open", "active": "on"}),
        (reverse("sales:settings_stage_move", args=[stage.pk]), {"direction": "down"}),
        (reverse("sales:settings_reason_create", args=["deal_lost"]), {"deal_lost-name": "R"}),
        (reverse("sales:settings_reason_update", args=[reason.pk]), {f"r{reason.pk}-name": "R2"}),
        (reverse("sales:settings_reason_active", args=[reason.pk]), {"active": "0"}),
    ]


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_settings_pages_answer_403_to_everyone_but_administrators_and_change_nothing(logged_in,
                                                                                    make_user, role):
    client = logged_in(make_user(role))
    renewals = Pipeline.objects.get(kind="renewal")
    reason = Reason.objects.first()
    before = settings_state()

    for url in (reverse("sales:settings_pipelines"), reverse("sales:settings_reasons"),
                reverse("sales:settings_pipeline", args=[renewals.pk])):
        assert client.get(url).status_code == 403, url
    for url, data in _posts(renewals, renewals.stages.first(), reason):
        assert client.post(url, data).status_code == 403, url
    assert settings_state() == before


def test_the_settings_pages_render_for_an_administrator(logged_in, admin_user):
    client = logged_in(admin_user)

    pipelines = client.get(reverse("sales:settings_pipelines"))
    pipeline = client.get(reverse("sales:settings_pipeline", args=[default_pipeline().pk]))
    reasons = client.get(reverse("sales:settings_reasons"))

    assert pipelines.status_code == pipeline.status_code == reasons.status_code == 200
    assert default_pipeline().name in pipelines.content.decode()
    assert pipeline.content.decode().count('class="stage-setting ') == 8
    assert Reason.objects.filter(kind="deal_lost").first().name in reasons.content.decode()


def test_every_settings_post_works_for_an_administrator(logged_in, admin_user):
    client = logged_in(admin_user)
    renewals = Pipeline.objects.get(kind="renewal")
    reason = Reason.objects.filter(kind="deal_lost").first()
    stage = renewals.stages.order_by("position").first()

    for url, data in _posts(renewals, stage, reason):
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.status_code)
    renewals.refresh_from_db()
    # Renamed and made the default; the default pipeline refused to be deactivated.
    assert (renewals.name, renewals.is_default, renewals.active) == ("Y", True, True)
    assert Stage.objects.filter(pipeline=renewals, name="Z2").exists()
    assert Reason.objects.filter(kind="deal_lost", name="R").exists()


def test_a_bad_stage_form_comes_back_with_the_error_next_to_the_field(logged_in, admin_user):
    stage = stage_at(1)
    before = settings_state()

    response = logged_in(admin_user).post(reverse("sales:settings_stage_update", args=[stage.pk]), {
        "name": "Среща", "probability": "150", "outcome": "open", "active": "on"})

    assert response.status_code == 400
    html = response.content.decode()
    section = html.split(f'id="stage-{stage.pk}"')[1].split("</li>")[0]
    assert "has-error" in section and 'value="150"' in section
    assert settings_state() == before


def test_deactivating_a_stage_with_open_deals_on_the_page_says_how_many(logged_in, admin_user,
                                                                       manager):
    DealFactory(owner=manager, stage=stage_at(1))
    DealFactory(owner=manager, stage=stage_at(1))
    before = settings_state()

    response = logged_in(admin_user).post(reverse("sales:settings_stage_update",
                                                  args=[stage_at(1).pk]),
                                          {"name": stage_at(1).name, "probability": "20",
                                           "outcome": "open"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "2 open deals are still in this stage" in response.content.decode()
    assert settings_state() == before


def test_settings_posts_without_the_csrf_token_are_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get(reverse("sales:settings_pipelines"))
    renewals = Pipeline.objects.get(kind="renewal")
    before = settings_state()

    for url, data in _posts(renewals, renewals.stages.first(), Reason.objects.first()):
        assert client.post(url, data).status_code == 403, url
    assert settings_state() == before


def test_stage_rule_checkboxes_on_the_page_then_refuse_a_move_on_the_deal_page(logged_in,
                                                                              admin_user, manager):
    stage = stage_at(1)
    logged_in(admin_user).post(reverse("sales:settings_stage_update", args=[stage.pk]), {
        "name": stage.name, "probability": "20", "outcome": "open", "active": "on",
        "rules": ["next_step"]})
    deal = DealFactory(owner=manager, next_step="")

    manager_client = Client()
    manager_client.force_login(manager)
    response = manager_client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stage.pk})

    assert response.status_code == 400
    with translation.override(response.headers["Content-Language"]):
        expected = translation.gettext("“%(stage)s” needs a next step.") % {"stage": stage.name}
    assert expected in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(0)
