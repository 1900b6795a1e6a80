"""Contracts with clients: their terms and versions, the documents that must accompany them, the
obligations they create (for sales and for other departments), and referral clauses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnera.core.models import BusinessRecord
from partnera.core.money import DEFAULT_CURRENCY, Currency


class DocumentKind(models.Model):
    """A kind of contract document (signed contract, annex, handover protocol, power of attorney)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("document kind")
        verbose_name_plural = _("document kinds")

    def __str__(self) -> str:
        return self.name


class ContractType(models.Model):
    """A type of contract (supply, framework, service, distribution) and the documents it needs:
    its checklist makes "all related documents are there" a fact the contract page shows."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    required_documents = models.ManyToManyField(DocumentKind, blank=True, related_name="contract_types",
                                                verbose_name=_("required documents"))
    # The template of the contract PDF: the terms text with {placeholders} for the parties.
    template = models.TextField(_("contract text template"), max_length=20000, blank=True)
    default_notice_days = models.PositiveIntegerField(_("notice period (days)"), default=30)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contract type")
        verbose_name_plural = _("contract types")

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEGOTIATION = "negotiation", _("In negotiation")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    TERMINATED = "terminated", _("Terminated")
    EXPIRED = "expired", _("Expired")


class Contract(BusinessRecord):
    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=200)
    contract_type = models.ForeignKey(ContractType, on_delete=models.PROTECT, related_name="contracts",
                                      verbose_name=_("type"))
    company = models.ForeignKey("clients.Company", on_delete=models.PROTECT, related_name="contracts",
                                verbose_name=_("client"))
    signatory = models.ForeignKey("clients.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("client's signatory"))
    offer = models.ForeignKey("sales.Offer", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="contracts", verbose_name=_("from offer"))
    deal = models.ForeignKey("sales.Deal", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="contracts", verbose_name=_("deal"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_contracts",
                              verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="contracts", verbose_name=_("team"))
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.DRAFT)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    notice_days = models.PositiveIntegerField(_("notice period (days)"), default=30)
    # The last day notice can be given before the end (end − notice); kept by the services.
    notice_date = models.DateField(_("notice by"), null=True, blank=True, editable=False)
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    value_eur = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True,
                                    editable=False)
    payment_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)
    payment_terms = models.TextField(_("payment terms"), max_length=4000, blank=True)
    special_conditions = models.TextField(_("special conditions"), max_length=8000, blank=True)
    language = models.CharField(_("language of the document"), max_length=8,
                                choices=settings.LANGUAGES, default="bg")
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    termination_reason = models.TextField(_("termination reason"), max_length=2000, blank=True)
    # The number of the terms version the contract is at (ContractVersion.number).
    terms_version = models.PositiveIntegerField(_("terms version"), default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["company", "status"], name="contract_company_idx"),
            models.Index(fields=["owner", "status", "end_date"], name="contract_owner_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["status", "notice_date"], name="contract_notice_idx",
                         condition=Q(deleted_at__isnull=True)),
            # The contract list's default sort (most recently changed first).
            models.Index(fields=["-updated_at", "-id"], name="contract_updated_idx",
                         condition=Q(deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractVersion(models.Model):
    """The terms of a contract as they stood at one point of the negotiation. `terms` holds the
    negotiable fields; the contract page shows what changed between two versions."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions",
                                 verbose_name=_("contract"))
    number = models.PositiveIntegerField(_("version"))
    terms = models.JSONField(_("terms"), default=dict)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("by"))

    class Meta:
        ordering = ["contract", "number"]
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="unique_contract_version")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number}"


def document_path(instance: ContractDocument, filename: str) -> str:
    # Stored under a random name: the user's file name is data, never a path.
    return f"contracts/{instance.contract_id}/{instance.storage_key}"


class ContractDocument(BusinessRecord):
    """A file that belongs to a contract: the signed scan, an annex, a protocol. Stored like a
    client attachment (content-addressed under PARTNERA_HOME), never served inline."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="documents",
                                 verbose_name=_("contract"))
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT, related_name="documents",
                             verbose_name=_("kind"))
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    storage_key = models.CharField(max_length=64, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    description = models.CharField(_("description"), max_length=300, blank=True)
    signed_on = models.DateField(_("dated"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "kind", "-created_at"]
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")

    def __str__(self) -> str:
        return self.original_name


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Obligation(models.Model):
    """Something the contract obliges someone to do by a date: a delivery milestone, an invoice,
    a quality check. The owner may be in another department; the department sees it too."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="obligations",
                                 verbose_name=_("contract"))
    title = models.CharField(_("what"), max_length=200)
    due_date = models.DateField(_("due"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="contract_obligations",
                              verbose_name=_("responsible"))
    department = models.ForeignKey("people.Department", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="contract_obligations",
                                   verbose_name=_("department"))
    is_milestone = models.BooleanField(_("milestone"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ObligationStatus.choices,
                              default=ObligationStatus.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", verbose_name=_("done by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="obligation_owner_idx"),
            models.Index(fields=["department", "status", "due_date"], name="obligation_dept_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ReferralClause(models.Model):
    """Who referred this client and the reward agreed for it: data the marketing issue settles."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="referral_clauses",
                                 verbose_name=_("contract"))
    referrer_company = models.ForeignKey("clients.Company", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="referral_rewards",
                                         verbose_name=_("referred by (client)"))
    referrer_contact = models.ForeignKey("clients.Contact", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("referred by (contact)"))
    reward = models.CharField(_("agreed reward"), max_length=300)
    reward_amount = models.DecimalField(_("reward amount"), max_digits=14, decimal_places=2,
                                        null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["contract", "id"]
        verbose_name = _("referral clause")
        verbose_name_plural = _("referral clauses")

    def __str__(self) -> str:
        return self.reward
