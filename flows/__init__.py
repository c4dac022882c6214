"""Prefect flows of shnor: the stages of `shnor.stages` called in order as tasks."""
