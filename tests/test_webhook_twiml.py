"""The webhook's TwiML is written from a template: it must match twilio's own MessagingResponse."""

from __future__ import annotations

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from handlers.webhook import twiml

CASES = [
    [],
    ["Thanks, see you Tuesday."],
    ["a & b <c> \"d\" 'e' ]]> 👍", "line one\nline two\r\n\ttabbed"],
    ["", "after an empty one"],
    ["&amp; already escaped &lt;", "¿Cómo estás? ñ"],
]


@pytest.mark.parametrize("replies", CASES)
def test_twiml_matches_messaging_response(app, replies: list[str]) -> None:
    expected = MessagingResponse()
    for text in replies:
        expected.message(text)
    with app.app_context():
        response = twiml(replies)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True) == str(expected)
