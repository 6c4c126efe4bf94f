"""The console is mounted, guarded, and a signed-in counselor reaches the alert queue."""

from __future__ import annotations


def test_signed_out_get_redirects_to_login(client):
    response = client.get("/console/alerts")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_signed_out_post_is_refused(client):
    assert client.post("/console/logout").status_code in (401, 403)


def test_login_form_has_the_fixed_fields(client):
    page = client.get("/console/login").get_data(as_text=True)
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in page


def test_signed_in_counselor_sees_the_queue(console_client):
    client = console_client(role="counselor")
    response = client.get("/console/alerts")
    assert response.status_code == 200
    assert "Open alerts" in response.get_data(as_text=True)
    assert client.staff.name in response.get_data(as_text=True)
