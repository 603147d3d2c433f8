"""The schemas of the pack's other sections (questionnaires, patient texts, the plan, population
screens), declared here in the knowledge package so that every pack load knows them; the areas that
read them (instruments, patient, plan, screen) import them from here."""

from . import instruments, patient, plan, screen

__all__ = ["instruments", "patient", "plan", "screen"]
