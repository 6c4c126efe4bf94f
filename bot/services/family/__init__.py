"""Family updates within the participant's recorded, revocable consent (42 CFR Part 2)."""
