"""prospect-tui: a keyboard-driven terminal app for B2B phone prospecting."""

__version__ = "0.1.0"
