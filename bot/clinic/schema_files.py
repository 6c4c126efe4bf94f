"""Write the JSON Schemas of the clinic files into the package: `python -m bot.clinic.schema_files`.

Editors (VS Code's YAML extension, JetBrains) use them to complete keys and flag typos:
`# yaml-language-server: $schema=<path to config/schema/program.schema.json>`.
A test fails when the shipped schemas no longer match the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.clinic.files import SCHEMAS
from bot.clinic.typed import schema


def render(name: str) -> str:
    """The JSON text of one file's schema."""
    return json.dumps(schema(SCHEMAS[name], title=f"iopbot {name} file"), indent=2) + "\n"


def main() -> None:
    """Write config/schema/<name>.schema.json for every clinic file."""
    folder = Path(__file__).resolve().parents[2] / "config" / "schema"
    folder.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (folder / f"{name}.schema.json").write_text(render(name), encoding="utf-8")
        print(folder / f"{name}.schema.json")


if __name__ == "__main__":
    main()
