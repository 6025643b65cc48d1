"""Questionnaires asked during calls: parse and validate, the interview engine, answers in
the store, figures with AAPOR rates, and the answers export. UI-free, like all of core.
"""
