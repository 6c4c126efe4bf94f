"""Contract tests: requests built by the twilio library must pass Prism's check of Twilio's spec.

Run with a Prism mock up (`.ci/prism.sh start`) and `PRISM_URL=http://127.0.0.1:4010`; without
PRISM_URL every test here is skipped. Tests are marked `@pytest.mark.contract`.
"""

from __future__ import annotations

import os

from twilio.rest import Client

SKIP_REASON = "PRISM_URL is not set; start Prism with `.ci/prism.sh start` and export PRISM_URL"
# Any SIDs in Twilio's documented shapes will do: Prism checks format, not existence.
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "contract-test-token"
MESSAGING_SERVICE_SID = "MG" + "0123456789abcdef" * 2


def prism_url() -> str | None:
    """Return the base URL of the Prism mock from PRISM_URL, or None when it is not set."""
    url = os.environ.get("PRISM_URL", "").strip()
    return url.rstrip("/") or None


def last_response_text(client: Client) -> str:
    """Return the body of the client's last HTTP answer (Prism's 422 lists what was invalid)."""
    response = getattr(client.http_client, "_test_only_last_response", None)
    return response.text if response is not None else ""
