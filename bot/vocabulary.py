"""Fixed words of the clinic's records that commands and forms offer as choices.

Kept apart from the models and services so that a command's `--help` can list them without
importing the database layer.
"""

from __future__ import annotations

STAFF_ROLES = ("counselor", "supervisor", "admin")
DISCHARGE_REASONS = ("completed", "transferred", "stopped_attending", "administrative", "other")
