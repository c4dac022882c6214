"""Statistical methods of shnor: intervals, the school effect and rankings (docs/methodology.md)."""
