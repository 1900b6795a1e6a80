"""The client base: companies, their people, notes and files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnera.core.models import BusinessRecord


class LegalForm(models.TextChoices):
    ET = "ET", _("ЕТ (sole trader)")
    EOOD = "EOOD", _("ЕООД (single-member Ltd)")
    OOD = "OOD", _("ООД (Ltd)")
    AD = "AD", _("АД (joint-stock company)")
    EAD = "EAD", _("ЕАД (single-member JSC)")
    SD = "SD", _("СД (general partnership)")
    KD = "KD", _("КД (limited partnership)")
    FOREIGN = "FOREIGN", _("Foreign company")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Micro (up to 9)")
    SMALL = "small", _("Small (10–49)")
    MEDIUM = "medium", _("Medium (50–249)")
    LARGE = "large", _("Large (250+)")


class Stage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active client")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    CORPORATE = "corporate", _("Corporate client")
    KEY_ACCOUNT = "key_account", _("Key account")


class Source(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    CAMPAIGN = "campaign", _("Advertising campaign")
    PRESENTATION = "presentation", _("Presentation")
    FAIR = "fair", _("Exhibition or fair")
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    PARTNER = "partner", _("Partner")
    PERSONAL = "personal", _("Personal network")
    INBOUND = "inbound", _("Incoming request")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    MOBILE = "mobile", _("Mobile")
    MEETING = "meeting", _("In person")
    POST = "post", _("Post")
    FAX = "fax", _("Fax")
    CHAT = "chat", _("Chat")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Company(BusinessRecord):
    legal_name = models.CharField(_("legal name"), max_length=255)
    legal_form = models.CharField(_("legal form"), max_length=10, choices=LegalForm.choices, blank=True)
    eik = models.CharField(_("EIK/BULSTAT"), max_length=13, blank=True, db_index=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BG")
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    registered_address = models.CharField(_("registered address"), max_length=500, blank=True)
    postal_address = models.CharField(_("postal address"), max_length=500, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    emails = models.JSONField(_("e-mails"), default=list, blank=True)
    stage = models.CharField(_("relationship stage"), max_length=12, choices=Stage.choices,
                             default=Stage.PROSPECT)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, default=Tier.STANDARD)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_companies",
                              verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="companies", verbose_name=_("team"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="referrals", verbose_name=_("referred by"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="subsidiaries", verbose_name=_("parent company"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies", verbose_name=_("tags"))
    # Confidential: shown and changed only by roles holding the right (core.visibility).
    credit_limit = models.DecimalField(_("credit limit (EUR)"), max_digits=14, decimal_places=2,
                                       null=True, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), null=True, blank=True)
    credit_terms = models.TextField(_("credit terms"), max_length=2000, blank=True)
    financial_notes = models.TextField(_("financial notes"), max_length=5000, blank=True)
    # The name with legal forms, quotes, punctuation, case and script folded away
    # («"Алфа" ООД» and "Alfa Ltd" both → "alfa"): duplicates are found by it (clients.duplicates).
    name_key = models.CharField(max_length=255, blank=True, editable=False)
    # Set when this company was merged into another (it is then soft-deleted): its old links lead there.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False,
                                    verbose_name=_("merged into"))

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(
                fields=["eik"], condition=Q(deleted_at__isnull=True) & ~Q(eik=""),
                name="unique_live_company_eik",
            )
        ]
        indexes = [
            models.Index(fields=["legal_name", "id"], name="company_name_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["-updated_at", "-id"], name="company_updated_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["owner", "legal_name", "id"], name="company_owner_name_idx"),
            models.Index(fields=["team", "legal_name", "id"], name="company_team_name_idx"),
            # Filtered lists ("active key accounts") walk this in name order.
            models.Index(fields=["stage", "tier", "legal_name", "id"], name="company_stage_tier_idx",
                         condition=Q(deleted_at__isnull=True)),
            # A manager's or team's filtered list ("my active key accounts"): one exact index
            # range per visibility grant instead of walking every key account of the company.
            models.Index(fields=["owner", "tier", "stage", "legal_name", "id"],
                         name="company_owner_tier_idx", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["team", "tier", "stage", "legal_name", "id"],
                         name="company_team_tier_idx", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["name_key"], name="company_name_key_idx"),
            # The list's "City" sort pages by (city, id).
            models.Index(fields=["city", "id"], name="company_city_idx",
                         condition=Q(deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def display_name(self) -> str:
        label = self.get_legal_form_display() if self.legal_form else ""
        short = label.split(" ")[0] if label and self.legal_form != LegalForm.FOREIGN else ""
        return f"{self.legal_name} {short}".strip()


class Contact(BusinessRecord):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contacts",
                                verbose_name=_("company"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=150, blank=True)
    emails = models.JSONField(_("e-mails"), default=list, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=10,
                                         choices=Channel.choices, blank=True)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["company", "last_name", "first_name"], name="contact_company_idx"),
            # The contact list pages by (last_name, id) (core.pagination.keyset_page).
            models.Index(fields=["last_name", "id"], name="contact_name_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["-updated_at", "-id"], name="contact_updated_idx",
                         condition=Q(deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Note(BusinessRecord):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="notes",
                                verbose_name=_("company"))
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="notes", verbose_name=_("contact"))
    body = models.TextField(_("note"), max_length=10000)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["company", "-created_at"], name="note_company_idx")]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def contact_shown(self) -> Contact | None:
        """The contact the note is about, while that person is still at the note's company:
        after a move (or deletion) the note must not reveal where they went."""
        contact = self.contact
        if contact is None or contact.deleted_at or contact.company_id != self.company_id:
            return None
        return contact


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the user's file name is data, never a path.
    return f"attachments/{instance.company_id}/{instance.storage_key}"


class Attachment(BusinessRecord):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="attachments",
                                verbose_name=_("company"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    storage_key = models.CharField(max_length=64, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self) -> str:
        return self.original_name


class SavedView(models.Model):
    """A named set of list filters a user keeps (e.g. "My key accounts in Plovdiv")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_views", verbose_name=_("user"))
    list_name = models.CharField(max_length=30, default="companies")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "list_name", "name"],
                                               name="unique_saved_view")]

    def __str__(self) -> str:
        return self.name


# --- duplicates (clients.duplicates) -------------------------------------------------------------
# related_name="+" keeps these out of Company._meta.related_objects: a merge moves every other
# relation to the surviving company, but these are recomputed, never moved.

class CompanyKey(models.Model):
    """One identity key of a company ("eik:175074752", "email:office@alfa.bg", "tel:+35928…",
    "name:alfa trade", "nb:alfatr" …), kept by the services: duplicates are found by equal keys
    through one index, never by comparing every pair."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["key"], name="company_key_idx"),
                   models.Index(fields=["company"], name="company_key_company_idx")]

    def __str__(self) -> str:
        return self.key


class ContactKey(models.Model):
    """An e-mail or phone of a contact ("email:…", "tel:…"), to warn when another contact has it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["key"], name="contact_key_idx"),
                   models.Index(fields=["contact"], name="contact_key_contact_idx")]

    def __str__(self) -> str:
        return self.key


class DuplicatePair(models.Model):
    """Two live companies that are likely the same client (company_a_id < company_b_id), with the
    score and the reasons (codes and values; shown in the reader's language). Kept by the services
    as companies change; rebuilt by `partnera duplicates --rebuild`."""

    company_a = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    company_b = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company_a", "company_b"],
                                               name="unique_duplicate_pair")]
        indexes = [models.Index(fields=["-score", "-id"], name="duplicate_pair_score_idx"),
                   models.Index(fields=["company_b"], name="duplicate_pair_b_idx")]

    def __str__(self) -> str:
        return f"{self.company_a_id} ~ {self.company_b_id} ({self.score})"


class DuplicateDismissal(models.Model):
    """Someone said these two companies are not duplicates: the pair is not suggested again."""

    company_a = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    company_b = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company_a", "company_b"],
                                               name="unique_duplicate_dismissal")]
        indexes = [models.Index(fields=["company_b"], name="duplicate_dismissal_b_idx")]

    def __str__(self) -> str:
        return f"{self.company_a_id} ≠ {self.company_b_id}"
