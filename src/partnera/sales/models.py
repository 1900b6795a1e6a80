"""The sales cycle: leads, pipelines and their stages, deals and every stage change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnera.catalog.models import PricedLine
from partnera.core.models import BusinessRecord
from partnera.core.money import DEFAULT_CURRENCY, Currency

if TYPE_CHECKING:
    from partnera.clients.models import Contact


class PipelineKind(models.TextChoices):
    NEW_BUSINESS = "new_business", _("New business")
    KEY_ACCOUNT_GROWTH = "key_account_growth", _("Key-account growth")
    RENEWAL = "renewal", _("Renewals")
    OTHER = "other", _("Other")


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=PipelineKind.choices,
                            default=PipelineKind.NEW_BUSINESS)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class StageOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    """One column of a pipeline. Won and lost stages close the deal."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages",
                                 verbose_name=_("pipeline"))
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=8, choices=StageOutcome.choices,
                               default=StageOutcome.OPEN)
    # How long a deal usually stays here; longer and "My day" lists it as stuck.
    usual_days = models.PositiveIntegerField(_("usual days in stage"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.outcome != StageOutcome.OPEN


class Requirement(models.TextChoices):
    """What a deal must have before it may enter a stage (a stage rule)."""

    AMOUNT = "amount", _("An expected amount")
    CLOSE_DATE = "close_date", _("An expected close date")
    CONTACT = "contact", _("At least one contact")
    DECISION_MAKER = "decision_maker", _("A decision maker among the contacts")
    PRODUCTS = "products", _("Products or product lines of interest")
    NEXT_ACTIVITY = "next_activity", _("A scheduled next activity")
    NEXT_STEP = "next_step", _("A next step")


class StageRule(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="rules",
                              verbose_name=_("stage"))
    requirement = models.CharField(_("requirement"), max_length=20, choices=Requirement.choices)

    class Meta:
        verbose_name = _("stage rule")
        verbose_name_plural = _("stage rules")
        constraints = [
            models.UniqueConstraint(fields=["stage", "requirement"], name="unique_stage_rule")
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.get_requirement_display()}"


class Reason(models.Model):
    """A managed list entry: why a deal was lost, or why a lead was disqualified."""

    class Kind(models.TextChoices):
        DEAL_LOST = "deal_lost", _("Deal lost")
        LEAD_DISQUALIFIED = "lead_disqualified", _("Lead disqualified")
        OFFER_REJECTED = "offer_rejected", _("Offer rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=150)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "position", "name"]
        verbose_name = _("reason")
        verbose_name_plural = _("reasons")
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="unique_reason")]

    def __str__(self) -> str:
        return self.name


class Deal(BusinessRecord):
    title = models.CharField(_("title"), max_length=200)
    company = models.ForeignKey("clients.Company", on_delete=models.PROTECT, related_name="deals",
                                verbose_name=_("company"))
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals",
                                 verbose_name=_("pipeline"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals",
                              verbose_name=_("stage"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_deals",
                              verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="deals", verbose_name=_("team"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    # The amount in euro, kept by the services, so board totals sum one currency in SQL.
    amount_eur = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                     editable=False)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    products = models.JSONField(_("products or product lines of interest"), default=list, blank=True)
    competitors = models.JSONField(_("competitors involved"), default=list, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    # The start of the earliest planned activity of the deal, kept by the activity services;
    # None flags the deal as having no scheduled next activity.
    next_activity_at = models.DateTimeField(_("next activity"), null=True, blank=True,
                                            editable=False)
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True,
                                            editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    lost_reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("lost reason"))
    lost_comment = models.TextField(_("lost comment"), max_length=2000, blank=True)
    # Kept in step with stage.outcome so board and lists read open deals through an index.
    status = models.CharField(_("status"), max_length=8, choices=StageOutcome.choices,
                              default=StageOutcome.OPEN, editable=False)
    contacts: models.ManyToManyField[Contact, DealContact] = models.ManyToManyField(
        "clients.Contact", through="DealContact", blank=True, related_name="deals",
        verbose_name=_("contacts"))

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            # The board reads one stage's cards in close-date order.
            models.Index(fields=["stage", "expected_close_date", "id"], name="deal_stage_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["owner", "status", "next_activity_at"], name="deal_owner_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["team", "status"], name="deal_team_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["company", "status"], name="deal_company_idx"),
            models.Index(fields=["-updated_at", "-id"], name="deal_updated_idx",
                         condition=Q(deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    TECHNICAL = "technical", _("Technical evaluator")
    USER = "user", _("User")
    CHAMPION = "champion", _("Champion")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey("clients.Contact", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contact"))
    role = models.CharField(_("role in the decision"), max_length=20, choices=ContactRole.choices,
                            blank=True)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="unique_deal_contact")
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


class DealStageChange(models.Model):
    """Every move of a deal between stages, with its time: time in stage and conversion per stage
    are read from here. The first row of a deal has no `from_stage` (it entered the pipeline)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("from"))
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("to"))
    at = models.DateTimeField(_("when"), db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    # How long the deal stayed in `from_stage`.
    seconds_in_from = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["deal", "at"], name="deal_stage_change_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class LeadSource(models.TextChoices):
    CALL = "call", _("Incoming call")
    EMAIL = "email", _("Incoming e-mail")
    MEETING = "meeting", _("Meeting")
    CAMPAIGN = "campaign", _("Advertising campaign")
    PRESENTATION = "presentation", _("Presentation")
    FAIR = "fair", _("Exhibition or fair")
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website form")
    PARTNER = "partner", _("Partner")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("In progress")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Lead(BusinessRecord):
    """An inbound request or an unqualified prospect, before it becomes a client and a deal."""

    company_name = models.CharField(_("company"), max_length=255, blank=True)
    eik = models.CharField(_("EIK/BULSTAT"), max_length=13, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    message = models.TextField(_("request"), max_length=5000, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices)
    # Which fair, campaign, presentation or partner.
    source_detail = models.CharField(_("which one"), max_length=200, blank=True)
    referred_by_company = models.ForeignKey("clients.Company", null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+",
                                            verbose_name=_("referred by (client)"))
    referred_by_contact = models.ForeignKey("clients.Contact", null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+",
                                            verbose_name=_("referred by (contact)"))
    status = models.CharField(_("status"), max_length=14, choices=LeadStatus.choices,
                              default=LeadStatus.NEW)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_leads",
                              verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="leads", verbose_name=_("team"))
    disqualify_reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", verbose_name=_("disqualification reason"))
    disqualify_comment = models.TextField(_("comment"), max_length=2000, blank=True)
    # What qualification made of it.
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="leads", verbose_name=_("company"))
    contact = models.ForeignKey("clients.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("contact"))
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="leads", verbose_name=_("deal"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    web_form = models.ForeignKey("WebForm", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="leads", verbose_name=_("web form"))

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="lead_team_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="lead_status_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["company"], name="lead_company_idx"),
        ]

    def __str__(self) -> str:
        person = f"{self.first_name} {self.last_name}".strip()
        return " · ".join(p for p in (self.company_name, person) if p) or self.email or f"#{self.pk}"


class WebForm(models.Model):
    """A public web-to-lead form a company website posts to, at /forms/<key>/."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(max_length=40, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("leads go to"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("team"))
    source_detail = models.CharField(_("which one"), max_length=200, blank=True)
    redirect_url = models.URLField(_("thank-you page"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the client")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a newer version")


class ApprovalStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class Offer(BusinessRecord):
    """One version of an offer (quote) made from a deal. Versions share a `reference`
    ("OF-2026-0007") and count up (v1, v2 …); a new version supersedes the previous one, which is
    kept as it was sent. Lines and totals are written only by the pricing engine
    (partnera.catalog.pricing) through the offer services."""

    reference = models.CharField(_("number"), max_length=30)
    version_number = models.PositiveIntegerField(_("version"), default=1)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="next_version", verbose_name=_("previous version"))
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="offers",
                             verbose_name=_("deal"))
    company = models.ForeignKey("clients.Company", on_delete=models.PROTECT, related_name="offers",
                                verbose_name=_("client"))
    contact = models.ForeignKey("clients.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("addressed to"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_offers",
                              verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="offers", verbose_name=_("team"))
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language of the document"), max_length=8,
                                choices=settings.LANGUAGES, default="bg")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    # The day whose prices, promotions and rules price the offer.
    pricing_date = models.DateField(_("prices as of"))
    valid_until = models.DateField(_("valid until"))
    introduction = models.TextField(_("introduction"), max_length=4000, blank=True)
    terms = models.TextField(_("payment and delivery terms"), max_length=4000, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=OfferStatus.choices,
                              default=OfferStatus.DRAFT)
    net_total = models.DecimalField(_("total without VAT"), max_digits=16, decimal_places=2,
                                    default=0)
    vat_total = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=0)
    gross_total = models.DecimalField(_("total with VAT"), max_digits=16, decimal_places=2,
                                      default=0)
    net_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=0, editable=False)
    # Manual discounts above the pricing policy's limit wait for the head of sales.
    approval_status = models.CharField(_("discount approval"), max_length=12,
                                       choices=ApprovalStatus.choices,
                                       default=ApprovalStatus.NOT_NEEDED)
    approval_requested_at = models.DateTimeField(_("approval requested"), null=True, blank=True)
    approval_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+",
                                            verbose_name=_("approved or declined by"))
    approval_decided_at = models.DateTimeField(_("approval decided"), null=True, blank=True)
    approval_comment = models.TextField(_("approval comment"), max_length=2000, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("client decided"), null=True, blank=True)
    rejection_reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("rejection reason"))
    decision_comment = models.TextField(_("client's comment"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(fields=["reference", "version_number"], name="unique_offer_version"),
        ]
        indexes = [
            models.Index(fields=["deal", "-created_at"], name="offer_deal_idx"),
            models.Index(fields=["company", "-created_at"], name="offer_company_idx"),
            models.Index(fields=["approval_status", "team"], name="offer_approval_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} v{self.version_number}"


class OfferLine(PricedLine):
    """One priced line of an offer, with how its price came about (`explanation`)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="lines",
                              verbose_name=_("offer"))

    class Meta:
        ordering = ["offer", "position", "id"]
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")

    def __str__(self) -> str:
        return f"{self.offer_id}/{self.position}"
