"""A counselor signs in with a browser and lands on the alert queue."""

from __future__ import annotations

from playwright.sync_api import expect


def test_counselor_signs_in_and_sees_the_queue(page, sign_in, live_server, shot):
    page.goto(f"{live_server}/console/login")
    shot(page, "01-login")
    staff = sign_in(page, role="counselor")
    expect(page.get_by_role("heading", name="Open alerts")).to_be_visible()
    expect(page.get_by_text(staff.name)).to_be_visible()
    shot(page, "02-alerts-empty")
