"""Enrolling participants from a CSV file: check it (nothing imported), then import it when clean.

The same service as `iopbot participant import FILE.csv [--dry-run]`: every bad row is listed as
`line N: field: reason`, and nothing is imported while any row is bad.
"""

from __future__ import annotations

from flask import abort, render_template, request

from bot import audit
from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.runtime import current
from bot.services.importing import OPTIONAL, REQUIRED, ImportReport, import_file

MAX_BYTES = 2 * 1024 * 1024  # about 15,000 rows: far more than a clinic enrols at once
FORM_SLACK = 64 * 1024  # the multipart envelope, the CSRF token and the buttons
PREVIEW_ROWS = 100
TOO_LARGE = (f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller "
             "CSV files and import them one after another.")


class UploadError(ValueError):
    """An upload that is not a CSV text we can read; the message says why."""


@bp.before_app_request
def _limit_upload() -> None:
    """Cap the body of an import before anything (the CSRF check included) reads the form."""
    if request.endpoint != "console.imports_post":
        return
    if request.content_length is not None and request.content_length > MAX_BYTES + FORM_SLACK:
        abort(413)
    request.max_content_length = MAX_BYTES + FORM_SLACK
    request.max_form_memory_size = MAX_BYTES + 1  # the checked text carried by the Import form


@bp.errorhandler(413)
def _too_large(_error):
    if request.endpoint == "console.imports_post":
        return _render(error=TOO_LARGE), 413
    return render_template("console/error.html", title="Too large",
                           message="That request was too large."), 413


def _render(**values) -> str:
    return render_template("console/imports.html", required=REQUIRED, optional=OPTIONAL,
                           max_mb=MAX_BYTES // (1024 * 1024), preview=PREVIEW_ROWS, **values)


@bp.get("/imports")
@role_required("supervisor", "admin")
def imports():
    """The upload form, with the columns a file needs."""
    return _render()


def _uploaded() -> tuple[str, str]:
    """(file name, text) from the file field, or from the checked text the Import form carries."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_BYTES + 1)
        name = upload.filename
    else:
        data = request.form.get("csv_text", "").encode("utf-8")
        name = request.form.get("filename", "")
    name = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120] or "the file"
    if len(data) > MAX_BYTES:
        abort(413)
    if not data.strip():
        raise UploadError("Choose a CSV file first.")
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UploadError(f"{name} is not UTF-8 text (byte {exc.start}). In your spreadsheet, "
                          "save it as “CSV UTF-8”.") from None


@bp.post("/imports")
@role_required("supervisor", "admin")
def imports_post():
    """Check (a dry run: nothing imported) or Import; each attempt audited with the staff."""
    staff = signed_in_staff()
    rt = current()
    dry_run = request.form.get("action") != "import"
    try:
        name, text = _uploaded()
    except UploadError as exc:
        return _render(error=str(exc)), 400
    with rt.Session() as s, s.begin():
        report: ImportReport = import_file(s, rt.program, text, rt.now(), dry_run=dry_run,
                                           actor=staff.actor, staff_id=staff.id)
        if dry_run or report.errors:
            audit.record(s, "participant.import_checked" if dry_run else
                         "participant.import_refused", now=rt.now(), actor=staff.actor,
                         staff_id=staff.id, rows=len(report.rows), problems=len(report.errors))
    values = {"report": report, "filename": name, "dry_run": dry_run,
              "rows": [form for _line, form in report.rows]}
    if report.errors:
        return _render(**values), 200 if dry_run else 422
    if dry_run:
        values["csv_text"] = text  # the Import button sends back exactly what was checked
    return _render(**values)
