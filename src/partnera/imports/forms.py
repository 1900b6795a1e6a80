"""The upload form and the mapping step's form (one select per file column)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from partnera.imports.models import ImportRun
from partnera.imports.registry import ImportKind, import_kinds
from partnera.imports.selectors import import_mapping_list
from partnera.imports.services import allowed_extensions


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("File"))
    mapping = forms.ChoiceField(label=_("Saved column mapping"), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kinds = [k for k in import_kinds() if k.may_import(user)]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k.name, k.label) for k in kinds]
        labels = {k.name: k.label for k in kinds}
        saved = [(m.name, f"{m.name} ({labels.get(m.kind, m.kind)})")
                 for m in import_mapping_list(user=user) if m.kind in labels]
        cast(forms.ChoiceField, self.fields["mapping"]).choices = [
            ("", _("— recognise the columns by their headers —")), *saved]
        accept = ",".join(f".{e}" for e in allowed_extensions())
        self.fields["file"].widget.attrs["accept"] = accept
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or Windows-1251; separated by commas, semicolons or tabs), XLSX, or "
            "vCard (.vcf) for contacts. The first row holds the column names.")


class MappingForm(forms.Form):
    """One choice per column of the file, the key, update or not, and an optional name to save
    the mapping under."""

    key = forms.ChoiceField(label=_("Find existing records by"))
    update = forms.BooleanField(label=_("Update existing records that differ"), required=False)
    save_as = forms.CharField(label=_("Save this mapping as"), required=False, max_length=80)

    def __init__(self, *args, run: ImportRun, kind: ImportKind, fields, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.run = run
        cast(forms.ChoiceField, self.fields["key"]).choices = list(kind.keys)
        choices = [("", _("— not imported —")), *((f.key, f.label) for f in fields)]
        samples = (run.report or {}).get("samples", [])
        self.columns = []
        for index, header in enumerate(run.headers):
            name = f"col-{index}"
            self.fields[name] = forms.ChoiceField(choices=choices, required=False,
                                                  label=header)
            values = [row[index] for row in samples if index < len(row) and row[index]][:3]
            self.columns.append((index, header, name, values))
        if not self.is_bound:
            self.initial.update({f"col-{i}": k for i, k in enumerate(run.mapping)})
            self.initial.update(key=run.options.get("key", "auto"),
                                update=run.options.get("update", False))

    def column_fields(self):
        return [(index, header, self[name], values) for index, header, name, values in self.columns]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col-{i}") or "" for i in range(len(self.run.headers))]
