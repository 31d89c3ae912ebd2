"""Small stacks with a ``projection:`` section, for projection tests (dict form)."""

from __future__ import annotations

import copy
from pathlib import Path

from costplan.stack.loader import stack_from_data

REFERENCE = str(Path(__file__).resolve().parents[1] / "data" / "ultibiker" / "stack.yaml")
"""The reference stack, by absolute path (tests do not depend on the working directory)."""

FIXED = "typed in for a test"

MINI = {
    "name": "mini-growth",
    "regions": {
        "us-east-1": {
            "eks_clusters": {"main": {"count": 1}},
            "node_pools": {
                "app": {
                    "instance_types": ["c5.xlarge"], "min": 2, "max": 5, "desired": 2,
                    "pods": {"api": {"replicas": 10, "min_replicas": 2, "max_replicas": 40,
                                     "cpu_request": 0.5, "memory_request_gib": 0.25}},
                }
            },
            "data_transfer": {"internet_egress_gb": 1000, "why": "1 GB per user for 1,000 users"},
        }
    },
    "projection": {
        "months": 36,
        "start": "2027-01",
        "drivers": {
            "active_users": {"value": 1000, "why": FIXED},
            "annual_growth": {"value": 0.35, "why": FIXED},
            "peak_rps_per_user": {"value": 0.1, "why": FIXED},
            "sensor_points_per_user_day": {"value": 0, "why": FIXED},
            "stored_gb_per_user": {"value": 1, "why": FIXED},
            "egress_gb_per_user": {"value": 1, "why": FIXED},
        },
        "workloads": {"api": {"demand": "peak_rps", "per_pod": 10, "why": FIXED}},
        "pools": {"app": {"reserved_cpu": 0.5, "reserved_memory_gib": 1.0}},
    },
}


def mini_dict(**changes) -> dict:
    d = copy.deepcopy(MINI)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return d


def mini_stack(data: dict | None = None):
    return stack_from_data(data or mini_dict(), "mini.yaml")


def db_dict() -> dict:
    """The mini stack with a Multi-AZ db.r6g.xlarge primary whose CPU steps it up to the
    2xlarge in month 14 (20 ms a request at 70%)."""
    d = mini_dict()
    d["regions"]["us-east-1"]["rds"] = {"main": {"instance_class": "db.r6g.xlarge", "multi_az": True,
                                                  "storage": {"type": "gp3", "size_gb": 100}}}
    d["projection"]["database"] = {"cpu_ms_per_request": 20, "max_cpu_utilisation": 0.7, "connections_per_pod": 1,
                                   "class_ladder": ["db.r6g.xlarge", "db.r6g.2xlarge"]}
    return d
