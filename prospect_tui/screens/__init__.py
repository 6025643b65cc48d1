"""One Screen or ModalScreen per file; each calls the core, never SQL."""
