"""Stacks from infrastructure code: Terraform plans and configurations, Pulumi state; cost diffs.

Every reader turns its input into a list of :class:`~costplan.iac.resources.Resource` (a
Terraform resource type, its attribute values and what is not known), and
:func:`~costplan.iac.resources.build_stack` turns those into a stack spec that
``costplan estimate`` prices. See ``docs/infrastructure-code.md``.
"""

from costplan.iac.resources import ImportResult, Resource, build_stack

__all__ = ["ImportResult", "Resource", "build_stack"]
