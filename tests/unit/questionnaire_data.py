"""A small questionnaire shared by the questionnaire tests: a scale, a branch, a multi."""

from __future__ import annotations

SMALL = """\
title = "Satisfaction test"
partial_threshold = 0.5

[[question]]
id = "accueil"
type = "scale"
text = "Sur 5, l'accueil ?"
min = 1
max = 5
labels = { 1 = "Mauvais", 5 = "Excellent" }

[[question]]
id = "projet"
type = "yesno"
text = "Un projet dans les 12 mois ?"

[[question]]
id = "projet_type"
type = "multi"
text = "Lesquels ?"
show_if = "projet == 'yes'"
choices = [
  { code = "postes", label = "Postes" },
  { code = "serveur", label = "Serveurs" },
  { code = "aucun", label = "Aucun", exclusive = true },
]

[[question]]
id = "contact"
type = "text"
text = "Nom du responsable informatique ?"
prefill = "lead.contact_name"
writes = "lead.contact_name"
required = false
"""
