"""The import template: a workbook staff fill in Excel and give back as it is.

Sheet 1 (`Centres`): one column per field, headed by its French label, each header carrying a
note in French and English (the field's code name, what to type), and one example row of a
fictitious centre. Sheet 2 (`Codes`): every allowed code with its labels, which the
single-choice columns offer as drop-down lists. Sheet 3 (`Lisez-moi`): how to fill it in.
"""

from __future__ import annotations

import io
from typing import Any, Final

from app.i18n import gettext
from app.services.import_columns import COLUMNS, column_letter
from app.taxonomy import CLIENT_GROUPS, LANGUAGES, MODES, REGIONS, SPECIALTIES, Term

XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE: Final[dict[str, Any]] = {
    "ref": "cce-exemple-1", "name": "Centre-conseil en emploi Exemple",
    "email": "accueil@example.org", "phone": "+1 819 555 0100",
    "website": "https://example.org", "description_fr": "Centre fictif, pour l'exemple.",
    "description_en": "A fictitious centre, for the example.", "languages": "fr; en",
    "modes": "in_person; remote", "intake_status": "open", "weekly_capacity": 20,
    "regions_served": "04; 17", "specialties": "job_search; career_change",
    "client_groups": "general; immigrants", "address": "100 rue Exemple",
    "municipality": "Trois-Rivières", "postal_code": "G9A 1A1", "active": "oui",
}  # fmt: skip
CODE_LISTS: Final[tuple[tuple[str, tuple[Term, ...]], ...]] = (
    ("regions_served", REGIONS),
    ("specialties", SPECIALTIES),
    ("client_groups", CLIENT_GROUPS),
    ("modes", MODES),
    ("languages", LANGUAGES),
)
CHOICES: Final = {"intake_status": ("open", "paused"), "active": ("oui", "non")}


def template_xlsx() -> bytes:
    """The template workbook, as bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # nosec B101  # a new workbook has its sheet
    sheet.title = "Centres"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=i, value=column.fr)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = (
            f"{column.fr} ({column.field})\n{gettext(f'import.help.{column.field}', 'fr')}\n\n"
            f"{column.en} ({column.field})\n{gettext(f'import.help.{column.field}', 'en')}"
        )
        cell.comment = Comment(note, "Trouve ton X", width=320, height=160)
        sheet.cell(row=2, column=i, value=EXAMPLE.get(column.field))
        width = max(14, min(40, len(column.fr) + 4))
        sheet.column_dimensions[column_letter(i - 1)].width = width
    sheet.freeze_panes = "B2"
    _codes_sheet(book, bold, fill)
    for field, choices in CHOICES.items():
        index = next(i for i, c in enumerate(COLUMNS) if c.field == field)
        letter = column_letter(index)
        rule = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
        rule.error = (
            gettext("import.help.choose", "fr") + " / " + gettext("import.help.choose", "en")
        )
        sheet.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}5000")
    _readme_sheet(book, bold)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _codes_sheet(book: Any, bold: Any, fill: Any) -> None:
    codes = book.create_sheet("Codes")
    column = 1
    for field, terms in CODE_LISTS:
        label = next(c for c in COLUMNS if c.field == field)
        for offset, head in enumerate((f"{label.fr} ({field})", "français", "English")):
            cell = codes.cell(row=1, column=column + offset, value=head)
            cell.font, cell.fill = bold, fill
        for row, term in enumerate(terms, start=2):
            codes.cell(row=row, column=column, value=term.code)
            codes.cell(row=row, column=column + 1, value=term.fr)
            codes.cell(row=row, column=column + 2, value=term.en)
        for offset, width in enumerate((22, 34, 34)):
            codes.column_dimensions[column_letter(column - 1 + offset)].width = width
        column += 4
    codes.freeze_panes = "A2"


def _readme_sheet(book: Any, bold: Any) -> None:
    readme = book.create_sheet("Lisez-moi")
    readme.column_dimensions["A"].width = 110
    row = 1
    for lang in ("fr", "en"):
        readme.cell(row=row, column=1, value=gettext("import.readme.title", lang)).font = bold
        for n in range(1, 7):
            row += 1
            readme.cell(row=row, column=1, value=gettext(f"import.readme.line{n}", lang))
        row += 2
