"""What the handlers share, built once per cold start (lazily, at the first invocation)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scalper_inspection import RulesBook, RulesError, load_rules

from .adapters.clients import AwsClients
from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .adapters.partners_table import PartnersTable
from .config import Settings
from .errors import ConfigurationError
from .partners import PartnerResolver

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .adapters.alerts import Alerts
    from .adapters.queues import UploadEvents
    from .processing import Processor
    from .sweeping import Sweeper


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    clients: AwsClients

    @functools.cached_property
    def files(self) -> FilesTable:
        return FilesTable(self.clients.dynamodb, self.settings.files_table)

    @functools.cached_property
    def objects(self) -> Objects:
        return Objects(self.clients.s3)

    @functools.cached_property
    def rules(self) -> RulesBook:
        # Read and checked once per cold start; a broken file fails every request loudly.
        try:
            return load_rules(self.settings.rules_file)
        except RulesError as err:
            raise ConfigurationError(str(err)) from err

    @functools.cached_property
    def partners(self) -> PartnerResolver:
        return PartnerResolver(PartnersTable(self.clients.dynamodb, self.settings.partners_table))

    @functools.cached_property
    def idempotency(self) -> Any:
        """Powertools' persistence layer on the idempotency table, for ``Idempotency-Key``."""
        # Imported here: only requests that send the header pay for loading it.
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(
            table_name=self.settings.idempotency_table, boto3_client=self.clients.dynamodb
        )

    @functools.cached_property
    def alerts(self) -> Alerts:
        from .adapters.alerts import Alerts

        return Alerts(self.clients.sns, self.settings.alerts_topic_arn)

    @functools.cached_property
    def events(self) -> UploadEvents:
        from .adapters.queues import UploadEvents

        return UploadEvents(self.clients.sqs, self.settings.upload_queue_url)

    @functools.cached_property
    def processor(self) -> Processor:
        # Imported here: only the processor function needs the inspection package and
        # SNS, and the API functions should not pay for them on a cold start.
        from .processing import Processor

        return Processor(
            settings=self.settings, rules=self.rules, files=self.files, objects=self.objects, alerts=self.alerts
        )

    @functools.cached_property
    def sweeper(self) -> Sweeper:
        from .sweeping import Sweeper

        return Sweeper(
            settings=self.settings, files=self.files, objects=self.objects, events=self.events, alerts=self.alerts
        )


@functools.cache
def dependencies() -> Dependencies:
    """The process-wide dependencies, from the environment. Tests call ``cache_clear``."""
    return Dependencies(Settings.from_env(), AwsClients.create())
