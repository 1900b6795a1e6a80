"""What a new installation starts with: the default pipeline (the mission's work cycle), a
key-account growth and a renewals pipeline, and the managed lists of reasons. Names are stored in
the installation's language (they are data an administrator renames, not interface text)."""

from __future__ import annotations

from django.utils.translation import gettext_noop as N

# (name, probability %, outcome, usual days, requirements before entering)
WORK_CYCLE = [
    (N("First contact"), 10, "open", 7, []),
    (N("Meeting arranged"), 20, "open", 14, []),
    (N("Needs identified"), 35, "open", 21, ["contact"]),
    (N("Offer presented"), 50, "open", 21, ["amount"]),
    (N("Negotiation and objections"), 70, "open", 30, ["amount", "close_date"]),
    (N("Contract"), 90, "open", 14, ["amount", "close_date", "decision_maker"]),
    (N("Won"), 100, "won", None, ["amount"]),
    (N("Lost"), 0, "lost", None, []),
]
KEY_ACCOUNT_GROWTH = [
    (N("Opportunity spotted"), 20, "open", 14, []),
    (N("Proposal"), 50, "open", 21, ["amount"]),
    (N("Agreement"), 80, "open", 21, ["amount", "close_date"]),
    (N("Won"), 100, "won", None, ["amount"]),
    (N("Lost"), 0, "lost", None, []),
]
RENEWAL = [
    (N("Renewal due"), 60, "open", 30, []),
    (N("Terms proposed"), 75, "open", 21, ["amount"]),
    (N("Renewed"), 100, "won", None, ["amount"]),
    (N("Not renewed"), 0, "lost", None, []),
]
PIPELINES = [
    (N("New business"), "new_business", True, WORK_CYCLE),
    (N("Key-account growth"), "key_account_growth", False, KEY_ACCOUNT_GROWTH),
    (N("Renewals"), "renewal", False, RENEWAL),
]
LOST_REASONS = [N("Price too high"), N("Chose a competitor"), N("No budget"), N("No decision"),
                N("Product does not fit"), N("Timing"), N("Other")]
DISQUALIFY_REASONS = [N("Not a business client"), N("No need"), N("Outside our region"),
                      N("Cannot be reached"), N("Duplicate request"), N("Spam"), N("Other")]


def install_defaults(apps, language: str) -> None:
    """Create the default pipelines and reasons once (a migration calls it with historical models)."""
    from django.utils import translation

    pipeline_model = apps.get_model("sales", "Pipeline")
    stage_model = apps.get_model("sales", "Stage")
    rule_model = apps.get_model("sales", "StageRule")
    reason_model = apps.get_model("sales", "Reason")
    with translation.override(language):
        _ = translation.gettext
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
        if not reason_model.objects.exists():
            for kind, names in (("deal_lost", LOST_REASONS), ("lead_disqualified", DISQUALIFY_REASONS)):
                reason_model.objects.bulk_create(
                    [reason_model(kind=kind, name=_(n), position=i) for i, n in enumerate(names)])
