"""CSV import of invoices: upload a file, map its columns, check it (dry run), import it.

The uploaded file waits in the database (`ImportJob`), so any server can take the next step
and any worker can run the import; the session remembers its id, and a file is only ever used
by the staff user of the practice that uploaded it. It is deleted on "Start over", when the
same user uploads another one, and after a day; its bytes are dropped once it is imported.
A file of more than `IMPORT_BACKGROUND_ROWS` rows (default `BACKGROUND_ROWS`) is imported by
a worker, and the progress page shows its rows checked and its errors.
"""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from portal.extensions import csrf, db
from portal.i18n import current_locale
from portal.services.billing import imports
from portal.services.billing.imports import background
from portal.staff import bp
from portal.staff.access import WRITE, actor, role_required
from portal.staff.forms import ActionForm

SESSION_KEY = "staff_import"
#: default upload limit; the IMPORT_MAX_BYTES setting overrides it
MAX_BYTES = 20 * 1024 * 1024
#: files with more rows are imported in the background
BACKGROUND_ROWS = 2000
#: errors listed on the page at most (the count says how many there are)
SHOWN_ERRORS = 500

DATE_FORMAT_CHOICES = [
    SelectChoice("iso", _l("Year-month-day, e.g. 2026-03-09")),
    SelectChoice("dmy", _l("Day/month/year, e.g. 09/03/2026")),
    SelectChoice("mdy", _l("Month/day/year, e.g. 03/09/2026")),
]


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class MappingForm(FlaskForm):
    """Date format and draft option; `mapping_form` adds one select per Saldo field."""

    date_format = SelectField(_l("Dates in the file"), choices=DATE_FORMAT_CHOICES)
    draft = BooleanField(_l("Keep the imported invoices as drafts instead of issuing them"))


def mapping_form(headers: tuple[str, ...]) -> MappingForm:
    """A MappingForm with a `map_<field>` select of the file's headers for each Saldo field."""

    class Form(MappingForm):
        pass

    choices = [SelectChoice("", _l("Not in the file")), *map(SelectChoice, headers)]
    for spec in imports.FIELDS:
        label = spec.label if spec.required else _l("%(field)s (optional)", field=spec.label)
        setattr(Form, f"map_{spec.key}", SelectField(label, choices=choices))
    return Form()


def _limit() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES))


def _pending():
    """This user's uploaded file (an `ImportJob` waiting for its mapping), if there is one."""
    entry = session.get(SESSION_KEY)
    job_id = entry.get("job") if isinstance(entry, dict) else None
    return background.upload_of(job_id, current_user.practice_id, current_user.id)


def _discard() -> None:
    """Delete this user's uploaded file and forget it."""
    pending = _pending()
    if pending is not None:
        background.discard(pending)
        db.session.commit()
    session.pop(SESSION_KEY, None)


def _store(data: bytes, original_name: str) -> None:
    name = (original_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    job = background.store_upload(current_user.practice_id, current_user.id, name, data)
    db.session.commit()
    session[SESSION_KEY] = {"job": job.id}


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt
@role_required(*WRITE)
def import_upload():
    """Step 1: the file. Left out of the app-wide CSRF check only so that the size limit is
    set before the body is read; UploadForm checks the CSRF token itself."""
    request.max_content_length = _limit()
    megabytes = _limit() // (1024 * 1024) or 1
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.form_errors.append(_("The file is larger than %(mb)s MB.", mb=megabytes))
        return render_template("staff/import.html", form=form, megabytes=megabytes), 413
    if request.method == "POST" and form.csrf_token.errors:
        abort(400)
    if submitted:
        data = form.file.data.read()
        try:
            imports.read_csv(data)
        except imports.CsvError as exc:
            form.file.errors.append(str(exc))
        else:
            _store(data, form.file.data.filename)
            return redirect(url_for("staff.import_map"))
    return render_template(
        "staff/import.html",
        form=form,
        megabytes=megabytes,
        pending=_pending() is not None,
        recent=background.recent(current_user.practice_id),
    )


@bp.route("/import/map", methods=["GET", "POST"])
@role_required(*WRITE)
def import_map():
    """Step 2: map the columns, then "Check" (dry run) or "Import" (all or nothing)."""
    pending = _pending()
    if pending is None:
        flash(_("Upload the CSV file you want to import."), "info")
        return redirect(url_for("staff.import_upload"))
    filename = pending.filename
    practice = current_user.practice
    try:
        csv_file = imports.read_csv(pending.data)
    except imports.CsvError as exc:
        _discard()
        flash(str(exc), "error")
        return redirect(url_for("staff.import_upload"))
    form = mapping_form(csv_file.headers)
    result = None
    if request.method == "GET":
        guessed = imports.guess_mapping(csv_file.headers)
        for spec in imports.FIELDS:
            form[f"map_{spec.key}"].data = guessed.get(spec.key, "")
        default = "mdy" if practice.country == "US" else "dmy"
        form.date_format.data = imports.guess_date_format(csv_file, guessed, default)
    elif form.validate_on_submit():
        mapping = {spec.key: form[f"map_{spec.key}"].data or None for spec in imports.FIELDS}
        options = dict(date_format=form.date_format.data)
        background_rows = current_app.config.get("IMPORT_BACKGROUND_ROWS", BACKGROUND_ROWS)
        if request.form.get("action") == "import" and len(csv_file.rows) > background_rows:
            background.start(
                pending,
                mapping,
                date_format=form.date_format.data,
                draft=form.draft.data,
                locale=current_locale(),
                rows=len(csv_file.rows),
            )
            db.session.commit()
            session.pop(SESSION_KEY, None)
            return redirect(url_for("staff.import_progress", job_id=pending.id))
        if request.form.get("action") == "import":
            result = imports.commit(
                practice,
                csv_file,
                mapping,
                actor=actor(request.remote_addr),
                draft=form.draft.data,
                **options,
            )
            if result.imported:
                background.discard(pending)
                db.session.commit()
                session.pop(SESSION_KEY, None)
                count = len(result.invoices)
                flash(
                    ngettext("Imported %(num)d invoice.", "Imported %(num)d invoices.", count),
                    "info",
                )
                return redirect(url_for("staff.dashboard"))
        else:
            result = imports.validate(practice, csv_file, mapping, **options)
    return render_template(
        "staff/import_map.html",
        form=form,
        csv_file=csv_file,
        filename=filename,
        groups=[
            (label, [s for s in imports.FIELDS if s.group == group])
            for group, label in imports.GROUPS
        ],
        result=result,
        shown_errors=result.errors[:SHOWN_ERRORS] if result else [],
    )


@bp.post("/import/cancel")
@role_required(*WRITE)
def import_cancel():
    """Forget the uploaded file and delete it."""
    if not ActionForm().validate_on_submit():
        abort(400)
    _discard()
    flash(_("The uploaded file has been deleted."), "info")
    return redirect(url_for("staff.import_upload"))


@bp.get("/import/<int:job_id>")
@role_required(*WRITE)
def import_progress(job_id: int):
    """A background import: rows checked so far, then its result or its errors."""
    job = background.job_of(job_id, current_user.practice_id)
    if job is None:
        abort(404)
    return render_template(
        "staff/import_progress.html",
        job=job,
        running=job.status not in background.FINISHED,
        percent=job.rows_done * 100 // job.rows_total if job.rows_total else 0,
    )
