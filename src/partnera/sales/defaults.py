"""What a new installation starts with: the default pipeline (the mission's work cycle), a
key-account growth and a renewals pipeline, and the managed lists of reasons (a deal lost, a lead
disqualified, an offer rejected). Names are stored in the installation's language (they are data
an administrator renames, not interface text)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# Seed names are marked in their own context ("sales seed"): "Lost" as a deal stage is not the
# "Lost" of a client's relationship stage in Bulgarian (загубена сделка, изгубен клиент).

# (name, probability %, outcome, usual days, requirements before entering)
WORK_CYCLE = [
    (pgettext_lazy("sales seed", "First contact"), 10, "open", 7, []),
    (pgettext_lazy("sales seed", "Meeting arranged"), 20, "open", 14, []),
    (pgettext_lazy("sales seed", "Needs identified"), 35, "open", 21, ["contact"]),
    (pgettext_lazy("sales seed", "Offer presented"), 50, "open", 21, ["amount"]),
    (pgettext_lazy("sales seed", "Negotiation and objections"), 70, "open", 30, ["amount", "close_date"]),
    (pgettext_lazy("sales seed", "Contract"), 90, "open", 14, ["amount", "close_date", "decision_maker"]),
    (pgettext_lazy("sales seed", "Won"), 100, "won", None, ["amount"]),
    (pgettext_lazy("sales seed", "Lost"), 0, "lost", None, []),
]
KEY_ACCOUNT_GROWTH = [
    (pgettext_lazy("sales seed", "Opportunity spotted"), 20, "open", 14, []),
    (pgettext_lazy("sales seed", "Proposal"), 50, "open", 21, ["amount"]),
    (pgettext_lazy("sales seed", "Agreement"), 80, "open", 21, ["amount", "close_date"]),
    (pgettext_lazy("sales seed", "Won"), 100, "won", None, ["amount"]),
    (pgettext_lazy("sales seed", "Lost"), 0, "lost", None, []),
]
RENEWAL = [
    (pgettext_lazy("sales seed", "Renewal due"), 60, "open", 30, []),
    (pgettext_lazy("sales seed", "Terms proposed"), 75, "open", 21, ["amount"]),
    (pgettext_lazy("sales seed", "Renewed"), 100, "won", None, ["amount"]),
    (pgettext_lazy("sales seed", "Not renewed"), 0, "lost", None, []),
]
PIPELINES = [
    (pgettext_lazy("sales seed", "New business"), "new_business", True, WORK_CYCLE),
    (pgettext_lazy("sales seed", "Key-account growth"), "key_account_growth", False, KEY_ACCOUNT_GROWTH),
    (pgettext_lazy("sales seed", "Renewals"), "renewal", False, RENEWAL),
]
LOST_REASONS = [
    pgettext_lazy("sales seed", "Price too high"),
    pgettext_lazy("sales seed", "Chose a competitor"),
    pgettext_lazy("sales seed", "No budget"),
    pgettext_lazy("sales seed", "No decision"),
    pgettext_lazy("sales seed", "Product does not fit"),
    pgettext_lazy("sales seed", "Timing"),
    pgettext_lazy("sales seed", "Other"),
]
DISQUALIFY_REASONS = [
    pgettext_lazy("sales seed", "Not a business client"),
    pgettext_lazy("sales seed", "No need"),
    pgettext_lazy("sales seed", "Outside our region"),
    pgettext_lazy("sales seed", "Cannot be reached"),
    pgettext_lazy("sales seed", "Duplicate request"),
    pgettext_lazy("sales seed", "Spam"),
    pgettext_lazy("sales seed", "Other"),
]
OFFER_REJECTED_REASONS = [
    pgettext_lazy("sales seed", "Price too high"),
    pgettext_lazy("sales seed", "Chose a competitor"),
    pgettext_lazy("sales seed", "Terms not acceptable"),
    pgettext_lazy("sales seed", "No budget"),
    pgettext_lazy("sales seed", "Project postponed"),
    pgettext_lazy("sales seed", "Other"),
]
REASONS = [
    ("deal_lost", LOST_REASONS),
    ("lead_disqualified", DISQUALIFY_REASONS),
    ("offer_rejected", OFFER_REJECTED_REASONS),
]


def install_defaults(apps, language: str) -> None:
    """Create the default pipelines and reasons once (a migration calls it with historical models)."""
    from django.utils import translation

    pipeline_model = apps.get_model("sales", "Pipeline")
    stage_model = apps.get_model("sales", "Stage")
    rule_model = apps.get_model("sales", "StageRule")
    reason_model = apps.get_model("sales", "Reason")
    with translation.override(language):
        def _(name) -> str:  # a lazy seed name, read in `language`
            return str(name)

        if not pipeline_model.objects.exists():
            for position, (name, kind, default, stages) in enumerate(PIPELINES):
                pipeline = pipeline_model.objects.create(name=_(name), kind=kind, is_default=default,
                                                         position=position)
                for index, (stage_name, probability, outcome, days, rules) in enumerate(stages):
                    stage = stage_model.objects.create(
                        pipeline=pipeline, name=_(stage_name), position=index,
                        probability=probability, outcome=outcome, usual_days=days)
                    rule_model.objects.bulk_create(
                        [rule_model(stage=stage, requirement=r) for r in rules])
        # Each managed list once: a list added by a later release (offer rejections) is seeded on
        # an installation whose other lists the administrator already keeps.
        for kind, names in REASONS:
            if not reason_model.objects.filter(kind=kind).exists():
                reason_model.objects.bulk_create(
                    [reason_model(kind=kind, name=_(n), position=i) for i, n in enumerate(names)])
