"""The Prefect flow and `run_annual` run the stages in one order: the flow file is the table of
contents of a run, and the run without Prefect must not drift from it."""

from __future__ import annotations

import ast
import inspect

import flows.annual_list
import shnor.stages

STAGES = {"ingest", "build", "unchanged_marts_check", "flag", "check", "publish"}


def calls_in_order(function) -> list[str]:
    """The stage calls of a function's body, in source order (`ingest_step` read as `ingest`)."""
    tree = ast.parse(inspect.getsource(inspect.unwrap(function)))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    names = []
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        name = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if name == "add_step":
            names.append(f"record {call.args[0].value}")
        elif name.removesuffix("_step") in STAGES:
            names.append(name.removesuffix("_step"))
    return names


def test_the_flow_and_run_annual_call_the_stages_in_the_same_order():
    flow = calls_in_order(flows.annual_list.annual_list.fn)
    direct = calls_in_order(shnor.stages.run_annual)
    assert flow[:4] == ["ingest", "record ingest", "build", "record build"]
    assert flow == direct
    assert flow.index("flag") < flow.index("check") < flow.index("publish")
