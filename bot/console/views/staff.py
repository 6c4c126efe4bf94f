"""Admins: the list of console accounts, a new set-password link, disabling an account."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot import audit
from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.models import StaffAccount
from bot.runtime import current
from bot.services.staff import disable_staff, issue_set_password_link


@bp.get("/staff")
@role_required("admin")
def staff(link: str | None = None, link_for: str | None = None):
    """Every account: name, email, role, state, second factor, last sign-in."""
    rt = current()
    with rt.Session() as s:
        accounts = list(s.scalars(select(StaffAccount).order_by(StaffAccount.active.desc(),
                                                               StaffAccount.name)))
    return render_template("console/staff.html", accounts=accounts, me=signed_in_staff(),
                           now=rt.now(), link=link, link_for=link_for)


@bp.post("/staff/<int:staff_id>/link")
@role_required("admin")
def staff_link(staff_id: int):
    """A new one-time set-password link (72 h), shown once on this answer (never in a cookie)."""
    me = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        account = s.get(StaffAccount, staff_id)
        if account is None or not account.active:
            abort(404)
        token = issue_set_password_link(s, account, now=rt.now())
        audit.record(s, "staff.link_issued", now=rt.now(), actor=me.actor, staff_id=me.id,
                     subject_type="staff", subject_id=account.id)
        name = account.name
    base = (rt.settings.public_base_url or request.host_url).rstrip("/")
    return staff(link=f"{base}{url_for('console.welcome', token=token)}", link_for=name)


@bp.post("/staff/<int:staff_id>/disable")
@role_required("admin")
def staff_disable(staff_id: int):
    """Disable an account; it is signed out everywhere at once."""
    me = signed_in_staff()
    if staff_id == me.id:
        flash("You cannot disable your own account here. Ask another admin, or use the CLI.")
        return redirect(url_for("console.staff"))
    rt = current()
    with rt.Session() as s, s.begin():
        account = s.get(StaffAccount, staff_id)
        if account is None:
            abort(404)
        disable_staff(s, account, now=rt.now(), actor=me.actor)
        flash(f"{account.name} is disabled and signed out everywhere.")
    return redirect(url_for("console.staff"))
