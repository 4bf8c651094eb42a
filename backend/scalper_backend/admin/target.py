"""Where the admin commands act: a deployed stack, or the running local stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import boto3

from ..adapters.api_keys import ApiKeys
from ..adapters.partners_table import PartnersTable
from ..adapters.stack_outputs import stack_outputs, usage_plan_id
from ..errors import ConfigurationError

# The local stack's name and region (``scalper local`` runs one stack per machine).
LOCAL_STACK_NAME = "scalper-local"
LOCAL_REGION = "us-east-1"
# The outputs of template.yaml that onboarding needs.
TABLE_OUTPUT = "PartnersTableName"
PLAN_OUTPUT = "PartnersUsagePlanId"


@dataclass(frozen=True)
class Target:
    keys: ApiKeys
    table: PartnersTable
    description: str


def aws_target(stack_name: str, region: str | None) -> Target:
    """A deployed stack, through the standard AWS credential chain.

    Raises:
        ConfigurationError: the stack cannot be read or lacks the outputs.
    """
    session = boto3.session.Session(region_name=region)
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    missing = [name for name in (TABLE_OUTPUT, PLAN_OUTPUT) if name not in outputs]
    if missing:
        raise ConfigurationError(f"stack {stack_name!r} has no outputs {missing}; is it this template's stack?")
    return Target(
        keys=ApiKeys(session.client("apigateway"), outputs[PLAN_OUTPUT]),
        table=PartnersTable(session.client("dynamodb"), outputs[TABLE_OUTPUT]),
        description=f"stack {stack_name} ({session.region_name})",
    )


def local_target(endpoint: str, template_path: Path | None = None) -> Target:
    """The local stack at ``endpoint`` (its moto), with the names it gives the template.

    Raises:
        ConfigurationError: the stack is not running there.
    """
    # The template reader needs the local extra (pyyaml); against AWS it is not needed.
    from ..local.template import Template, default_template_path

    template = Template(template_path or default_template_path(), stack_name=LOCAL_STACK_NAME, region=LOCAL_REGION)
    plan = template.usage_plan(template.api("api_key").logical_id)
    if plan is None:
        raise ConfigurationError("the template has no usage plan for its API-key API")
    # moto takes any credentials; fixed fake ones keep a real account out of reach.
    session = boto3.session.Session(
        aws_access_key_id="scalper-local",
        aws_secret_access_key="scalper-local",  # noqa: S106  # nosec B106 - moto's fake credentials
        region_name=LOCAL_REGION,
    )
    apigateway = session.client("apigateway", endpoint_url=endpoint)
    plan_name = str(template.resolve(template.properties(plan)["UsagePlanName"]))
    return Target(
        keys=ApiKeys(apigateway, usage_plan_id(apigateway, plan_name)),
        table=PartnersTable(
            session.client("dynamodb", endpoint_url=endpoint), template.physical_name("PartnersTable")
        ),
        description=f"local stack at {endpoint}",
    )
