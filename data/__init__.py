"""Files shipped with prospect-tui: default call script, objection sheet, demo leads.

Read them with importlib.resources.files("prospect_tui.data"), never by path.
"""
