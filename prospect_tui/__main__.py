"""`python -m prospect_tui` runs the same command line as `prospect`."""

from prospect_tui.cli import main

raise SystemExit(main())
