"""Renderers: report tables (rpt_*) to workbooks and pages for readers. Formatting only."""
