"""What the contract pages share: the choices their forms offer, saving a form and running an
action with their messages, and the contract page's context (every section: terms, status
actions, documents and checklist, versions and their differences, obligations, pricing
conditions, referral clauses, history)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from partnera.catalog.models import Category, Product, ProductLine
from partnera.clients import selectors as client_selectors
from partnera.clients.models import Company, Contact
from partnera.contracts import selectors
from partnera.contracts.forms import (
    DocumentForm,
    ObligationForm,
    PricingConditionForm,
    ReferralForm,
    TransitionForm,
)
from partnera.contracts.models import Contract, ContractStatus
from partnera.contracts.permissions import (
    may_change_contract,
    may_complete_obligation,
    may_delete_contract,
)
from partnera.contracts.services.contracts import ENDED
from partnera.contracts.services.lifecycle import allowed_transitions
from partnera.contracts.timeline import contract_history
from partnera.contracts.versions import labels, versions_diff
from partnera.core.errors import DomainError, ValidationFailed
from partnera.core.visibility import visible_q
from partnera.core.web import add_errors_to_form
from partnera.people import selectors as people_selectors
from partnera.sales.selectors import deal_queryset


def to_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def save_form(request: HttpRequest, form, save: Callable[[], object], *, message: str,
              to: str) -> HttpResponse | None:
    """Validate `form`, then `save()`. Done: `message` shown and a redirect to `to`. Refused:
    None, the form's and the service's errors next to the fields (the caller shows it again)."""
    if form.is_valid():
        try:
            save()
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, message)
            return redirect(to)
    return None


def run_action(request: HttpRequest, action: Callable[[], object], *, message: str) -> None:
    """`action()`, its outcome as a message: `message` when done, the reason when refused."""
    try:
        action()
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)


def active_users() -> list:
    return list(people_selectors.user_list(active_only=True))


def all_teams() -> list:
    return list(people_selectors.team_list().order_by("name"))


def departments() -> list:
    return list(people_selectors.department_list())


def contract_form_choices(user, company: Company, contract: Contract | None = None) -> dict:
    """The types, contacts and deals a contract of `company` may name (those the user may see,
    plus the ones the contract already names), and owners and teams for those who assign."""
    types = list(selectors.contract_type_list())
    contacts = client_selectors.contacts_of_company(user=user, company=company)
    deals = list(deal_queryset(user=user).filter(company=company).order_by("-created_at")[:100])
    if contract is not None:
        if contract.contract_type_id not in {t.pk for t in types}:
            types.append(contract.contract_type)
        if contract.signatory is not None and contract.signatory_id not in {c.pk for c in contacts}:
            contacts.append(contract.signatory)
        if contract.deal is not None and contract.deal_id not in {d.pk for d in deals}:
            deals.append(contract.deal)
    return {"types": types, "contacts": contacts, "deals": deals, "users": active_users(),
            "teams": all_teams()}


def pricing_choices() -> dict:
    return {"products": list(Product.objects.filter(active=True).order_by("code")[:500]),
            "lines": list(ProductLine.objects.filter(active=True)),
            "categories": list(Category.objects.filter(active=True))}


def referral_contacts(user, clause=None) -> list[Contact]:
    """Contacts the user may see, for a referral clause (bounded: the most recent 300)."""
    contacts = list(Contact.objects.filter(Q(company__deleted_at__isnull=True),
                                           visible_q(user, root="company__"))
                    .select_related("company").order_by("-created_at")[:300])
    if (clause is not None and clause.referrer_contact_id
            and getattr(clause, "referrer_contact_shown", False)
            and clause.referrer_contact_id not in {c.pk for c in contacts}):
        contacts.append(clause.referrer_contact)
    return contacts


def _versions_context(request: HttpRequest, contract: Contract) -> dict:
    versions = list(selectors.version_list(contract=contract))
    by_number = {v.number: v for v in versions}
    newest = versions[-1].number if versions else None
    older = to_int(request.GET.get("from")) if request.method == "GET" else None
    newer = to_int(request.GET.get("to")) if request.method == "GET" else None
    if older is None and newer is None and len(versions) >= 2:
        older, newer = versions[-2].number, newest
    diff = None
    if older in by_number and newer in by_number and older != newer:
        diff = versions_diff(by_number[older], by_number[newer])  # type: ignore[index]
    return {"versions": versions, "diff_from": older, "diff_to": newer, "diff": diff}


def _company_visible(user, contract: Contract) -> bool:
    return Company.objects.filter(visible_q(user), pk=contract.company_id).exists()


def detail_context(request: HttpRequest, contract: Contract, *,
                   transition_form: TransitionForm | None = None,
                   transition_error: DomainError | None = None,
                   document_form: DocumentForm | None = None,
                   obligation_form: ObligationForm | None = None,
                   condition_form: PricingConditionForm | None = None,
                   referral_form: ReferralForm | None = None) -> dict:
    """The contract page. A department member who sees the contract only through an obligation
    gets its header and their obligations (selectors.contract_sections_for), nothing else."""
    user = request.user
    sections = selectors.contract_sections_for(user, contract)
    changeable = may_change_contract(user, contract)
    open_for_changes = changeable and contract.status not in ENDED
    obligations = list(selectors.obligation_list(contract=contract, user=user))
    for obligation in obligations:
        obligation.may_settle = may_complete_obligation(  # type: ignore[attr-defined]
            user, obligation, contract)
    context = {
        "contract": contract,
        "sections": sections,
        "company_visible": _company_visible(user, contract),
        "can_change": changeable,
        "open_for_changes": open_for_changes,
        "can_delete": may_delete_contract(user, contract),
        "transitions": [ContractStatus(s) for s in allowed_transitions(contract)]
        if changeable else [],
        "transition_form": transition_form or TransitionForm(initial={"version": contract.version}),
        "transition_error": transition_error,
        "obligations": obligations,
        "obligation_form": obligation_form or ObligationForm(users=active_users(),
                                                             departments=departments()),
        "in_force": contract.status in selectors.IN_FORCE,
    }
    if sections.limited:
        return context
    kinds = list(selectors.document_kind_list())
    context.update({
        "checklist": selectors.checklist(contract),
        "documents": list(selectors.document_list(contract=contract)),
        "deleted_documents": list(selectors.document_deleted_list(contract=contract)[:20])
        if changeable else [],
        "document_form": document_form or DocumentForm(kinds=kinds),
        "conditions": list(selectors.pricing_condition_list(contract=contract)),
        "condition_form": condition_form or (PricingConditionForm(**pricing_choices())
                                             if open_for_changes else None),
        "referrals": selectors.referral_list(contract=contract, user=user),
        "referral_form": referral_form or (ReferralForm(contacts=referral_contacts(user))
                                           if changeable else None),
        "history": contract_history(contract=contract, limit=30),
        "term_labels": labels(),
    })
    context.update(_versions_context(request, contract))
    return context
