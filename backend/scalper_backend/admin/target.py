"""Where the admin commands act: a deployed stack, or the running local stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from ..adapters.api_keys import ApiKeys
from ..adapters.files_table import FilesTable
from ..adapters.objects import Objects
from ..adapters.partners_table import PartnersTable
from ..adapters.queues import UploadEvents
from ..adapters.stack_outputs import stack_outputs, usage_plan_id
from ..config import Settings
from ..errors import ConfigurationError

# The local stack's name and region (``scalper local`` runs one stack per machine).
LOCAL_STACK_NAME = "scalper-local"
LOCAL_REGION = "us-east-1"
# The outputs of template.yaml that onboarding needs.
TABLE_OUTPUT = "PartnersTableName"
PLAN_OUTPUT = "PartnersUsagePlanId"


# The outputs of template.yaml that reprocessing and the dead-letter redrive need, by the
# setting each one gives (the functions get the same values as environment variables).
OPERATIONS_OUTPUTS = {
    "files_table": "FilesTableName",
    "partners_table": "PartnersTableName",
    "idempotency_table": "IdempotencyTableName",
    "input_bucket": "InputBucketName",
    "output_bucket": "OutputBucketName",
    "quarantine_bucket": "QuarantineBucketName",
    "alerts_topic_arn": "AlertsTopicArn",
    "upload_queue_url": "UploadEventsQueueUrl",
}
DEAD_LETTER_OUTPUT = "DeadLetterQueueUrl"


@dataclass(frozen=True)
class Target:
    keys: ApiKeys
    table: PartnersTable


@dataclass(frozen=True)
class Operations:
    """What ``scalper admin reprocess`` and ``dlq redrive`` act on."""

    settings: Settings
    files: FilesTable
    objects: Objects
    events: UploadEvents
    partners: PartnersTable
    sqs: Any
    dead_letter_url: str


def aws_operations(stack_name: str, region: str | None) -> Operations:
    """A deployed stack's tables, buckets and queues, from its outputs.

    Raises:
        ConfigurationError: the stack cannot be read or lacks the outputs.
    """
    session = boto3.session.Session(region_name=region)
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    wanted = [*OPERATIONS_OUTPUTS.values(), DEAD_LETTER_OUTPUT]
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise ConfigurationError(f"stack {stack_name!r} has no outputs {missing}; is it this template's stack?")
    settings = Settings.model_validate({field: outputs[name] for field, name in OPERATIONS_OUTPUTS.items()})
    return _operations(session, settings, outputs[DEAD_LETTER_OUTPUT], None)


def local_operations(endpoint: str, template_path: Path | None = None) -> Operations:
    """The local stack at ``endpoint``, with the settings its functions get from the template."""
    from ..local.template import Template, default_template_path

    template = Template(template_path or default_template_path(), stack_name=LOCAL_STACK_NAME, region=LOCAL_REGION)
    settings = Settings.from_env(template.function_environment("ReprocessFunction"))
    session = _local_session()
    dead_letter = str(template.ref("UploadEventsDeadLetterQueue"))
    return _operations(session, settings, dead_letter, endpoint)


def _operations(session: Any, settings: Settings, dead_letter_url: str, endpoint: str | None) -> Operations:
    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint) if endpoint else session.client(service)

    sqs, dynamodb = client("sqs"), client("dynamodb")
    return Operations(
        settings=settings,
        files=FilesTable(dynamodb, settings.files_table),
        objects=Objects(client("s3")),
        events=UploadEvents(sqs, settings.upload_queue_url),
        partners=PartnersTable(dynamodb, settings.partners_table),
        sqs=sqs,
        dead_letter_url=dead_letter_url,
    )


def _local_session() -> Any:
    # moto takes any credentials; fixed fake ones keep a real account out of reach.
    return boto3.session.Session(
        aws_access_key_id="scalper-local",
        aws_secret_access_key="scalper-local",  # noqa: S106  # nosec B106 - moto's fake credentials
        region_name=LOCAL_REGION,
    )


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
    session = _local_session()
    apigateway = session.client("apigateway", endpoint_url=endpoint)
    plan_name = str(template.resolve(template.properties(plan)["UsagePlanName"]))
    return Target(
        keys=ApiKeys(apigateway, usage_plan_id(apigateway, plan_name)),
        table=PartnersTable(
            session.client("dynamodb", endpoint_url=endpoint), template.physical_name("PartnersTable")
        ),
    )
