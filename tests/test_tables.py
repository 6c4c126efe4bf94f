"""`bot.tables` defines the tables the listing commands read; their model classes map them."""

from __future__ import annotations

import pytest
from sqlalchemy import Table

from bot import tables
from bot.models import Base

LIGHT = {name: value for name, value in vars(tables).items() if isinstance(value, Table)}


def test_there_is_one_metadata_and_each_light_table_is_a_models_table():
    assert Base.metadata is tables.metadata
    mapped = {mapper.local_table.name: mapper.class_ for mapper in Base.registry.mappers}
    assert len(LIGHT) == 8
    for name, table in LIGHT.items():
        assert table.name == name and Base.metadata.tables[name] is table
        assert mapped[name].__table__ is table


@pytest.mark.parametrize("name", sorted(LIGHT))
def test_a_models_annotations_name_its_tables_columns_and_nullability(name):
    # With `__table__`, an annotation that names no column is ignored silently: a column added
    # to a model's annotations alone would never be mapped, so they must stay the same set.
    cls = next(m.class_ for m in Base.registry.mappers if m.local_table is LIGHT[name])
    relationships = set(cls.__mapper__.relationships.keys())
    annotated = {attr: hint for attr, hint in cls.__annotations__.items()
                 if attr not in relationships}
    table = LIGHT[name]
    assert set(annotated) == set(table.c.keys())
    for attr, hint in annotated.items():
        assert hint.startswith("Mapped[")
        assert ("None" in hint) == table.c[attr].nullable, (name, attr, hint)
