"""The stack spec: pydantic models and YAML loading (docs/stack-spec.md)."""

from costplan.stack.loader import deep_merge, load_scenarios, load_stack, read_yaml, stack_from_data
from costplan.stack.models import NodePool, Region, Stack

__all__ = ["Stack", "Region", "NodePool", "load_stack", "load_scenarios", "stack_from_data", "read_yaml", "deep_merge"]
