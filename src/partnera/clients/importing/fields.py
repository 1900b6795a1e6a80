"""The fields of the company and contact imports, with their Bulgarian and English header aliases,
the keys existing records are found by, and who may import."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from partnera.core.roles import Role
from partnera.core.visibility import can_assign, can_see_confidential
from partnera.imports.registry import ImportField

COMPANY_IMPORT_FIELDS = (
    ImportField("legal_name", _("Company name"), (
        "name", "company", "company name", "legal name", "firm", "organisation", "organization",
        "име", "име на фирма", "име на фирмата", "фирма", "наименование", "наименование на фирмата",
        "търговско наименование", "компания", "организация", "клиент", "контрагент",
        "юридическо лице",
    ), required=True),
    ImportField("legal_form", _("Legal form"), (
        "form", "legal form", "company type", "правна форма", "форма", "правноорганизационна форма",
        "вид на търговеца",
    )),
    ImportField("eik", _("EIK/BULSTAT"), (
        "еик", "булстат", "еик/булстат", "еик по булстат", "company id", "company number",
        "uic", "bulstat", "registration number", "reg no", "идентификационен код", "ЕИК/ЕГН",
    )),
    ImportField("vat_number", _("VAT number"), (
        "vat", "vat no", "vat id", "vat number", "tax id", "ддс", "ддс номер", "ддс №", "ин по ддс",
        "ин ддс", "идентификационен номер по ддс", "номер по ддс", "инддс",
    )),
    ImportField("industry", _("Industry"), ("sector", "отрасъл", "сектор", "дейност",
                                               "индустрия", "браншове", "бранш")),
    ImportField("size", _("Size"), ("company size", "размер", "големина", "размер на фирмата")),
    ImportField("country", _("Country"), ("държава", "страна", "country code")),
    ImportField("region", _("Region"), ("province", "district", "област", "регион", "окръг")),
    ImportField("city", _("City"), ("town", "place", "град", "населено място", "гр",
                                       "нас място")),
    ImportField("registered_address", _("Registered address"), (
        "address", "адрес", "адрес на управление", "седалище", "седалище и адрес на управление",
        "адрес по регистрация", "registered office",
    )),
    ImportField("postal_address", _("Postal address"), (
        "mailing address", "correspondence address", "пощенски адрес",
        "адрес за кореспонденция",
    )),
    ImportField("website", _("Website"), ("web", "www", "url", "site", "web site", "уебсайт",
                                             "уеб сайт", "сайт", "интернет страница")),
    ImportField("phones", _("Phones"), (
        "phone", "telephone", "tel", "mobile", "gsm", "phone 1", "phone 2", "телефон", "телефони",
        "тел", "мобилен", "мобилен телефон", "телефон 1", "телефон 2", "телефон за връзка",
    ), multiple=True),
    ImportField("emails", _("E-mails"), (
        "email", "e-mail", "emails", "e-mails", "mail", "email address", "имейл", "имейли",
        "имейл адрес", "е-поща", "е-мейл", "ел поща", "ел. поща", "електронна поща", "мейл",
    ), multiple=True),
    ImportField("stage", _("Relationship stage"), ("stage", "status", "етап", "статус",
                                                      "етап на взаимоотношенията")),
    ImportField("tier", _("Tier"), ("category", "segment", "категория", "ниво", "клас",
                                       "сегмент")),
    ImportField("source", _("Source"), ("lead source", "origin", "източник",
                                           "източник на контакта", "откъде")),
    ImportField("tags", _("Tags"), ("labels", "етикети", "тагове", "етикет"), multiple=True),
    ImportField("owner", _("Owner"), (
        "account manager", "owner", "responsible", "отговорник", "търговец", "собственик",
        "акаунт мениджър", "търговски представител",
    )),
    ImportField("credit_limit", _("Credit limit (EUR)"), ("credit limit", "кредитен лимит",
                                                             "лимит")),
    ImportField("payment_terms_days", _("Payment terms (days)"), (
        "payment terms", "payment days", "срок на плащане", "отсрочка", "падеж", "падеж дни",
        "срок за плащане (дни)",
    )),
)
CONFIDENTIAL_IMPORT_FIELDS = frozenset({"credit_limit", "payment_terms_days"})

CONTACT_IMPORT_FIELDS = (
    ImportField("first_name", _("First name"), (
        "first name", "given name", "name", "име", "собствено име", "първо име",
    )),
    ImportField("last_name", _("Last name"), (
        "last name", "surname", "family name", "фамилия", "фамилно име", "презиме и фамилия",
    )),
    ImportField("full_name", _("Full name"), (
        "full name", "contact person", "contact", "person", "име и фамилия", "трите имена",
        "лице за контакт", "контакт", "контактно лице", "представител",
    )),
    ImportField("position", _("Position"), ("title", "job title", "role", "длъжност",
                                               "позиция")),
    ImportField("department", _("Department"), ("отдел", "звено", "дирекция")),
    ImportField("emails", _("E-mails"), COMPANY_IMPORT_FIELDS[13].aliases, multiple=True),
    ImportField("phones", _("Phones"), COMPANY_IMPORT_FIELDS[12].aliases, multiple=True),
    ImportField("preferred_channel", _("Preferred channel"), (
        "channel", "предпочитан канал", "канал", "предпочитан начин за връзка",
    )),
    ImportField("marketing_consent", _("Marketing consent"), (
        "consent", "gdpr consent", "opt in", "съгласие", "съгласие за маркетинг",
        "маркетингово съгласие",
    )),
    ImportField("consent_date", _("Consent date"), ("дата на съгласие", "дата на съгласието")),
    ImportField("consent_source", _("Consent source"), ("източник на съгласието",
                                                           "източник на съгласие")),
    ImportField("company_eik", _("Company EIK"), (
        "еик", "булстат", "еик на фирмата", "company id", "eik", "bulstat", "uic",
        "company eik", "еик/булстат",
    )),
    ImportField("company_name", _("Company name"), (
        "company", "organisation", "organization", "employer", "фирма", "компания", "организация",
        "име на фирма", "име на фирмата", "работодател",
    )),
)

COMPANY_TEXT = {"legal_name": 255, "industry": 120, "region": 100, "city": 100,
                "registered_address": 500, "postal_address": 500}
CONTACT_TEXT = {"first_name": 100, "last_name": 100, "position": 150, "department": 150,
                "consent_source": 200}
KEY_FIELD = {"eik": "eik", "vat": "vat_number", "email": "emails", "name_city": "legal_name",
             "name": "first_name"}


def may_import(user) -> bool:
    """Importing creates records: who may create companies (everyone but department members)."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role != Role.DEPARTMENT))


def company_fields_for(user) -> list[ImportField]:
    confidential = can_see_confidential(user)
    assign = can_assign(user)
    return [f for f in COMPANY_IMPORT_FIELDS
            if (confidential or f.key not in CONFIDENTIAL_IMPORT_FIELDS)
            and (assign or f.key != "owner")]


COMPANY_KEYS = (
    ("auto", _("EIK, else VAT number, else e-mail, else name and city")),
    ("eik", _("EIK")), ("vat", _("VAT number")),
    ("email", _("e-mail")), ("name_city", _("name and city")),
)
CONTACT_KEYS = (
    ("auto", _("e-mail, else first and last name (within the company)")),
    ("email", _("e-mail")), ("name", _("first and last name")),
)


def company_keys() -> dict[str, str]:
    return {code: str(label) for code, label in COMPANY_KEYS}
