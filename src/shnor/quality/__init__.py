"""Data quality: Great Expectations suites over raw files and published marts, quarantine of
files that fail a blocking check, and the validation report the analyst opens."""
