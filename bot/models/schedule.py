"""Placeholder: the tables of the schedule feature are defined here."""

from __future__ import annotations
