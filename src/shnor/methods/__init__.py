"""Statistical methods of shnor: intervals, the school effect and rankings (METHODOLOGY §1–§4)."""
