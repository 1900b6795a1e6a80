"""Demo contracts (`partnera demo`): made from the offers the demo's clients accepted
(sales/offers/demo.py), through the contract services, so that numbers, versions, the document
checklist, the lifecycle's rules and the pricing conditions hold as they would for a user.

- A won deal's offer (accepted months ago) became a contract signed soon after: most are active
  (their required documents uploaded — small generated PDF scans — obligations for sales,
  logistics and finance, some with a special condition that prices the client's orders, or a
  referral clause when the client was referred), one ends within weeks ("Contracts to renew"),
  some are signed and wait for their documents, one was terminated and one fulfilled.
- An open deal's offer accepted in the last days: a contract in negotiation at version 2 (the
  client asked for longer payment and a lower value), or still a draft.

The services date what they do today; the demo moves the dates back to when it happened (and the
audit entries with them, clients.demo.happened_at).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from partnera.clients.demo import happened_at, transliterate
from partnera.clients.models import Company
from partnera.contracts import defaults, services
from partnera.contracts.models import (
    Contract,
    ContractDocument,
    ContractStatus,
    ContractType,
    ContractVersion,
    Obligation,
)
from partnera.contracts.selectors import checklist
from partnera.core.errors import DomainError
from partnera.people.models import User
from partnera.sales.offers.demo import Accepted, CommercialContext

D = Decimal
S = ContractStatus
# The first historical contracts of a run take these statuses (so that a small run shows each),
# the rest come by the weights.
SCRIPT = ["ending", "active", "signed", "active", "terminated", "active", "fulfilled"]
WEIGHTS = {"active": 72, "signed": 14, "terminated": 6, "fulfilled": 8}
PAYMENT_TERMS = [
    "Плащане по банков път по сметката на доставчика, посочена във фактурата.",
    "Авансово плащане 30 % при потвърждение, остатъкът след доставка.",
    "Плащане по банков път; при забава се дължи неустойка 0,05 % на ден.",
]
SPECIAL = "Отстъпка {percent} % за {line} през целия срок на договора."
OBLIGATIONS = [  # (what, department kind or "" for the owner, days from today, milestone)
    ("Доставка на първата партида по графика", "logistics", 3, False),
    ("Проверка на плащането по първата фактура", "finance", -2, False),
    ("Тримесечен преглед на изпълнението с клиента", "", 24, True),
    ("Инвентаризация на консигнационния склад", "logistics", 12, False),
    ("Издаване на годишно кредитно известие за рабата", "finance", 40, False),
]
DONE_OBLIGATION = ("Подписване на приемо-предавателен протокол", "", -20, True)
TERMINATION = ["Клиентът се отказа след смяна на собствеността.",
               "Преминаха към централизирани доставки на групата."]
NEGOTIATION_NOTE = "Клиентът поиска 45 дни за плащане и 3 % по-ниска стойност"
QUOTA_OBLIGATION_CONTRACTS = 8  # contracts with open obligations per run


@dataclass
class InForce:
    """A contract the client's orders are taken under (orders/demo.py)."""

    contract: Contract
    start: dt.date
    offer_id: int | None


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a few lines of text (a stand-in for a scanned document)."""
    def escape(text: str) -> str:
        text = transliterate(text).encode("ascii", "replace").decode("ascii")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 14 Tf 72 770 Td 20 TL " + " ".join(
        f"({escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode("ascii"))
    return bytes(out)


class ContractDemo:
    def __init__(self, ctx: CommercialContext) -> None:
        self.ctx = ctx
        self.types = self._types()
        self.historical = 0

    def _types(self) -> dict[str, ContractType]:
        active = list(ContractType.objects.filter(active=True).order_by("pk"))
        if not active:
            return {}
        with translation.override(settings.LANGUAGE_CODE):
            names = [str(name) for name, *_rest in defaults.CONTRACT_TYPES]
        by_name = {t.name: t for t in active}
        found = {key: by_name.get(name, active[0])
                 for key, name in zip(("supply", "framework", "service"), names, strict=True)}
        return found

    def batch(self, accepted: list[Accepted]) -> list[InForce]:
        in_force: list[InForce] = []
        if not self.types:
            return in_force
        for item in accepted:
            owner = self.ctx.owner_of(item.offer.owner_id)
            if owner is None:
                continue
            try:
                if item.historical:
                    made = self._historical(item, owner)
                    if made is not None:
                        in_force.append(made)
                else:
                    self._current(item, owner)
            except DomainError:
                continue
        return in_force

    # -- a won deal's contract
    def _status(self) -> str:
        n = self.historical
        self.historical += 1
        if n < len(SCRIPT):
            return SCRIPT[n]
        return self.ctx.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]

    def _type_for(self, item: Accepted) -> ContractType:
        tier = item.offer.company.tier
        services_only = all(line.product.kind == "service"
                            for line in item.offer.lines.select_related("product"))
        key = "service" if services_only else "framework" if tier == "key_account" else "supply"
        return self.types[key]

    def _historical(self, item: Accepted, owner: User) -> InForce | None:
        ctx, rng = self.ctx, self.ctx.rng
        status = self._status()
        accepted_on = item.at.astimezone(ctx.zone).date()
        signed_on = min(accepted_on + dt.timedelta(days=rng.randint(2, 10)), ctx.today)
        start = signed_on + dt.timedelta(days=rng.randint(0, 3))
        if status == "signed":  # waits for its documents; starts soon
            start = max(start, ctx.today + dt.timedelta(days=rng.randint(3, 20)))
        else:
            start = min(start, ctx.today)
        months = 12
        end = add_months(start, months) - dt.timedelta(days=1)
        while end < ctx.today + dt.timedelta(days=100):
            months += 12
            end = add_months(start, months) - dt.timedelta(days=1)
        if status == "ending":
            end = ctx.today + dt.timedelta(days=rng.randint(20, 45))
        contract_type = self._type_for(item)
        company = item.offer.company
        created = ctx.between(item.at, ctx.at(signed_on), 0.1, 0.5)
        contract = self._create(item, owner, created, {
            "contract_type": contract_type, "start_date": start, "end_date": end,
            "value": _value(item),
            "payment_days": company.payment_terms_days or 30,
            "payment_terms": rng.choice(PAYMENT_TERMS), "auto_renew": rng.random() < 0.3
            and status != "ending"})
        if contract_type == self.types["framework"] or rng.random() < 0.3:
            self._condition(item, contract, owner, created)
        signed_at = ctx.at(signed_on)
        with happened_at(signed_at):
            contract = services.contract_transition(actor=owner, contract=contract,
                                                    status=S.SIGNED, signed_on=signed_on)
        if status == "terminated":
            ended_on = min(signed_on + dt.timedelta(days=rng.randint(20, 90)), ctx.today)
            with happened_at(ctx.at(ended_on)):
                services.contract_transition(actor=owner, contract=contract, status=S.TERMINATED,
                                             ended_on=ended_on, reason=rng.choice(TERMINATION))
            ctx.counts["contracts"] += 1
            return None
        if status == "signed":
            self._referral(contract, company, signed_at)
            ctx.counts["contracts"] += 1
            return InForce(contract, signed_on, item.offer.pk)
        self._documents(contract, owner, signed_on)
        with happened_at(ctx.at(start)):
            contract = services.contract_transition(actor=owner, contract=contract, status=S.ACTIVE)
        self._referral(contract, company, signed_at)
        self._obligations(contract, owner, start, fulfilled=status == "fulfilled")
        if status == "fulfilled":
            ended_on = max(ctx.today - dt.timedelta(days=rng.randint(1, 15)), start)
            with happened_at(ctx.at(ended_on)):
                services.contract_transition(actor=owner, contract=contract, status=S.FULFILLED,
                                             ended_on=ended_on)
            ctx.counts["contracts"] += 1
            return None
        ctx.counts["contracts"] += 1
        return InForce(contract, start, item.offer.pk)

    def _create(self, item: Accepted, owner: User, at: dt.datetime, data: dict[str, Any]) -> Contract:
        with happened_at(at):
            contract = services.contract_create(actor=owner, data=data, offer=item.offer)
        Contract.objects.filter(pk=contract.pk).update(created_at=at, updated_at=at)
        ContractVersion.objects.filter(contract=contract).update(created_at=at)
        return contract

    def _condition(self, item: Accepted, contract: Contract, owner: User, at: dt.datetime) -> None:
        """A special condition: a discount on one product line of the offer, for the contract's
        term (a pricing rule of the client, in force while the contract is), also written into
        the contract's special conditions."""
        line = next((ol.product.line for ol in item.offer.lines.select_related("product__line")
                     if ol.product.line is not None), None)
        if line is None:
            return
        percent = D(self.ctx.rng.choice((3, 4, 5)))
        text = SPECIAL.format(percent=percent, line=line.name.lower())
        with happened_at(at):
            services.pricing_condition_create(actor=owner, contract=contract,
                                              data={"line": line, "discount_percent": percent})
            services.contract_update(actor=owner, contract=contract,
                                     data={"special_conditions": text}, expected_version=None,
                                     note="Специални условия")
        ContractVersion.objects.filter(contract=contract).update(created_at=at)
        self.ctx.counts["special conditions"] += 1

    def _documents(self, contract: Contract, owner: User, signed_on: dt.date) -> None:
        """Every document the contract type requires, as a small PDF scan."""
        for item in checklist(contract).missing:
            name = f"{contract.number} {item.name}.pdf"
            upload = SimpleUploadedFile(name, tiny_pdf([item.name, f"Contract {contract.number}",
                                                        contract.company.legal_name,
                                                        signed_on.isoformat()]),
                                        content_type="application/pdf")
            at = self.ctx.at(signed_on)
            with happened_at(at):
                document = services.document_add(actor=owner, contract=contract, upload=upload,
                                                  kind=item, signed_on=signed_on,
                                                  description="Сканирано копие")
            ContractDocument.objects.filter(pk=document.pk).update(created_at=at, updated_at=at)
            self.ctx.counts["contract documents"] += 1

    def _obligations(self, contract: Contract, owner: User, start: dt.date, *,
                     fulfilled: bool) -> None:
        ctx = self.ctx
        departments = {"logistics": ctx.logistics, "finance": ctx.finance}
        lively = not fulfilled and ctx.given["obligation_contracts"] < QUOTA_OBLIGATION_CONTRACTS
        if lively:
            ctx.given["obligation_contracts"] += 1
        rows = [DONE_OBLIGATION]
        if lively:
            rows += OBLIGATIONS if ctx.given["obligation_contracts"] == 1 else ctx.rng.sample(
                OBLIGATIONS, ctx.rng.randint(1, 3))
        made_at = ctx.at(start)
        for title, kind, days, milestone in rows:
            member = departments.get(kind)
            data: dict[str, Any] = {"title": title, "is_milestone": milestone,
                                    "due_date": max(ctx.today + dt.timedelta(days=days), start)}
            if member is not None and member.department_id:
                data["department"] = member.department_id
            else:
                data["owner"] = owner
            with happened_at(made_at):
                obligation = services.obligation_create(actor=owner, contract=contract, data=data)
            Obligation.objects.filter(pk=obligation.pk).update(created_at=made_at)
            ctx.counts["obligations"] += 1
            if fulfilled or (title, kind, days, milestone) == DONE_OBLIGATION:
                done = ctx.at(min(data["due_date"], ctx.today))
                with happened_at(done):
                    services.obligation_complete(actor=owner, obligation=obligation)
                Obligation.objects.filter(pk=obligation.pk).update(done_at=done)

    def _referral(self, contract: Contract, company: Company, at: dt.datetime) -> None:
        """Who referred the client (the demo's referrals) and the reward agreed."""
        referrer = company.referred_by_id
        actor = self.ctx.admin
        if referrer is None or actor is None or contract.value is None:
            return
        reward = (contract.value * D("0.03")).quantize(D("0.01"))
        try:
            with happened_at(at):
                services.referral_create(actor=actor, contract=contract, data={
                    "referrer_company": referrer, "currency": contract.currency,
                    "reward": "3 % от стойността на договора за първата година",
                    "reward_amount": reward})
        except DomainError:
            return
        self.ctx.counts["referral clauses"] += 1

    # -- an open deal's contract: being negotiated
    def _current(self, item: Accepted, owner: User) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        created = ctx.between(item.at, ctx.now, 0.1, 0.4)
        start = ctx.today + dt.timedelta(days=rng.randint(10, 30))
        contract = self._create(item, owner, created, {
            "contract_type": self._type_for(item), "start_date": start, "value": _value(item),
            "end_date": add_months(start, 12) - dt.timedelta(days=1), "payment_days": 30,
            "payment_terms": rng.choice(PAYMENT_TERMS)})
        ctx.counts["contracts"] += 1
        if ctx.given["current_contracts"] % 3 == 1:  # every third stays a draft
            ctx.given["current_contracts"] += 1
            return
        ctx.given["current_contracts"] += 1
        moved = ctx.between(created, ctx.now, 0.2, 0.5)
        with happened_at(moved):
            contract = services.contract_transition(actor=owner, contract=contract,
                                                    status=S.NEGOTIATION)
        changed = ctx.between(moved, ctx.now, 0.3, 0.8)
        value = (contract.value * D("0.97")).quantize(D("0.01")) if contract.value else None
        with happened_at(changed):
            services.contract_update(actor=owner, contract=contract, expected_version=None,
                                     data={"payment_days": 45, "value": value},
                                     note=NEGOTIATION_NOTE)
        ContractVersion.objects.filter(contract=contract, number__gt=1).update(created_at=changed)
        Contract.objects.filter(pk=contract.pk).update(updated_at=changed)


def _value(item: Accepted) -> Decimal | None:
    """The contract's estimated value: the deal's expected amount (a year's business), else the
    offer's total (the service's default)."""
    deal = item.deal
    if deal.amount and deal.currency == item.offer.currency:
        return max(deal.amount, item.offer.net_total)
    return None


def demo_contracts(ctx: CommercialContext, accepted: list[Accepted]) -> list[InForce]:
    demo = ctx.state.get("contracts")
    if demo is None:
        demo = ctx.state["contracts"] = ContractDemo(ctx)
    return demo.batch(accepted)
