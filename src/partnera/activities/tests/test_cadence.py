"""Contact cadences: the days per client tier a head of sales (or an administrator) sets, after
which "My day" raises a client not contacted — validated, audited, refused to everyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from partnera.activities import myday
from partnera.activities.models import ContactCadence
from partnera.clients.models import Tier
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db

URL = "/activities/cadence/"
DEFAULTS = {Tier.KEY_ACCOUNT: 14, Tier.CORPORATE: 30, Tier.STANDARD: 90}


def cadences() -> dict[str, int]:
    return dict(ContactCadence.objects.values_list("tier", "days"))


def state() -> tuple:
    return (list(ContactCadence.objects.order_by("tier").values("tier", "days", "updated_by")),
            AuditEntry.objects.count())


def form(**days) -> dict:
    data = {t: str(d) for t, d in DEFAULTS.items()}
    data.update({k: str(v) for k, v in days.items()})
    return data


def test_head_of_sales_sees_the_cadences(logged_in, head_of_sales):
    response = logged_in(head_of_sales).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="key_account" value="14"' in html
    assert 'name="corporate" value="30"' in html and 'name="standard" value="90"' in html


def test_head_of_sales_sets_the_cadences_and_each_change_is_audited(logged_in, head_of_sales):
    response = logged_in(head_of_sales).post(URL, form(key_account=7, standard=""))

    assert response.status_code == 302 and response["Location"] == URL
    assert cadences() == {Tier.KEY_ACCOUNT: 7, Tier.CORPORATE: 30}
    assert ContactCadence.objects.get(tier=Tier.KEY_ACCOUNT).updated_by == head_of_sales
    entries = AuditEntry.objects.filter(object_type="activities.contactcadence").order_by("object_id")
    assert [(e.object_id, e.action, e.changes, e.actor_id) for e in entries] == [
        ("key_account", AuditEntry.Action.UPDATE, {"days": [14, 7]}, head_of_sales.pk),
        ("standard", AuditEntry.Action.DELETE, {"days": [90, None]}, head_of_sales.pk),
    ]


def test_a_tier_without_a_cadence_gets_one_again(logged_in, admin_user):
    ContactCadence.objects.filter(tier=Tier.STANDARD).delete()
    response = logged_in(admin_user).post(URL, form(standard=120))
    assert response.status_code == 302
    assert cadences()[Tier.STANDARD] == 120
    entry = AuditEntry.objects.get(object_type="activities.contactcadence")
    assert entry.action == AuditEntry.Action.CREATE and entry.changes == {"days": [None, 120]}


def test_saving_unchanged_values_writes_nothing(logged_in, head_of_sales):
    client = logged_in(head_of_sales)
    before = state()
    assert client.post(URL, form()).status_code == 302
    assert state() == before


@pytest.mark.parametrize("value", ["0", "366", "-5", "abc", "1.5", "1e3", "99999999999999999999"])
def test_days_out_of_range_or_not_a_whole_number_are_refused_next_to_the_field(
        logged_in, head_of_sales, value):
    client = logged_in(head_of_sales)
    before = state()
    response = client.post(URL, form(corporate=value, key_account=10), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    block = html[html.index('id="field-corporate"'):]
    block = block[:block.index("</div>")]
    assert "Enter a whole number of days from 1 to 365" in block
    assert f'value="{value}"' in html  # the input is kept
    assert state() == before  # nothing saved, not even the valid key-account change


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_others_may_not_see_or_change_the_cadences(logged_in, make_user, role):
    user = make_user(role)
    client = logged_in(user)
    before = state()
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(key_account=3)).status_code == 403
    assert state() == before


def test_posting_without_the_csrf_token_is_refused(head_of_sales):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(head_of_sales)
    browser.get(URL)  # holds the CSRF cookie
    before = state()
    assert browser.post(URL, form(key_account=3)).status_code == 403
    assert state() == before
    token = browser.cookies["csrftoken"].value
    assert browser.post(URL, {**form(key_account=3), "csrfmiddlewaretoken": token}).status_code == 302
    assert cadences()[Tier.KEY_ACCOUNT] == 3


def test_the_service_refuses_unknown_tiers_and_wrong_actors(head_of_sales, manager):
    before = state()
    with pytest.raises(ValidationFailed) as error:
        myday.cadence_update(actor=head_of_sales, data={"platinum": 5, Tier.KEY_ACCOUNT: True})
    assert set(error.value.fields) == {"platinum", Tier.KEY_ACCOUNT}
    with pytest.raises(PermissionDenied):
        myday.cadence_update(actor=manager, data={Tier.KEY_ACCOUNT: 5})
    assert state() == before
    myday.cadence_update(actor=head_of_sales, data={Tier.KEY_ACCOUNT: 21})
    assert cadences()[Tier.KEY_ACCOUNT] == 21
