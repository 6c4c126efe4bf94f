"""Services for the schedule: groups, sessions, check-ins, confirmations, attendance, pausing."""
