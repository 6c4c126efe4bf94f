"""Placeholder: the tables of the family feature are defined here."""

from __future__ import annotations
