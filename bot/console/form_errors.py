"""The services' one-line errors, reworded from CLI option names to the console's form labels."""

from __future__ import annotations

# The services speak to `iopbot` users ("give --reassign-to PHONE"); the same message on a web
# form names the field instead. Longest first, so a phrase wins over the option inside it.
FORM_WORDS = (
    ("give --reassign-to PHONE to move them to a colleague",
     "choose a colleague to take them all"),
    ("--reassign-to must be another counselor", "the colleague must be another counselor"),
    ("--to must be after --from", "the end must be after the start"),
    ("--reassign-to", "colleague"),
    ("--phone", "phone"),
    ("--name", "name"),
    ("--from", "start"),
    ("--to", "end"),
)


def form_words(message: str) -> str:
    """`message` with CLI option names replaced by what the form calls them."""
    for cli, form in FORM_WORDS:
        message = message.replace(cli, form)
    return message[:1].upper() + message[1:]
