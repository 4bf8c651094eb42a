"""A deployed stack's outputs: where ``scalper admin`` finds the partners table and usage plan."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .errors import AWS_ERRORS, error_code


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key.

    Raises:
        ConfigurationError: the stack cannot be read (no such stack, no credentials, no access).
    """
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except AWS_ERRORS as err:
        reason = error_code(err) or str(err)
        raise ConfigurationError(f"cannot read stack {stack_name!r}: {reason}") from err
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def usage_plan_id(apigateway: Any, name: str) -> str:
    """The id of the usage plan with this name.

    Raises:
        ConfigurationError: there is none (the stack is not running, or another one).
    """
    try:
        plans = apigateway.get_usage_plans(limit=500)["items"]
    except AWS_ERRORS as err:
        raise ConfigurationError(f"cannot list usage plans: {error_code(err) or err}") from err
    for plan in plans:
        if plan["name"] == name:
            return str(plan["id"])
    raise ConfigurationError(f"no usage plan named {name!r}; is the local stack running?")
