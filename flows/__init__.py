"""Prefect flows of shnor: thin sequences of tasks over the steps in `shnor.run`."""
