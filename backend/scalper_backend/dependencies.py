"""What the handlers share, built once per cold start (lazily, at the first invocation)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .adapters.alerts import Alerts
from .adapters.clients import AwsClients
from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .adapters.partners_table import PartnersTable
from .config import Settings
from .partners import PartnerResolver
from .processing import Processor


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    files: FilesTable
    objects: Objects
    partners: PartnerResolver
    processor: Processor

    @classmethod
    def create(cls, settings: Settings, clients: AwsClients) -> Dependencies:
        files = FilesTable(clients.dynamodb, settings.files_table)
        objects = Objects(clients.s3)
        return cls(
            settings=settings,
            files=files,
            objects=objects,
            partners=PartnerResolver(PartnersTable(clients.dynamodb, settings.partners_table)),
            processor=Processor(
                settings=settings,
                files=files,
                objects=objects,
                alerts=Alerts(clients.sns, settings.alerts_topic_arn),
            ),
        )


@functools.cache
def dependencies() -> Dependencies:
    """The process-wide dependencies, from the environment. Tests call ``cache_clear``."""
    return Dependencies.create(Settings.from_env(), AwsClients.create())
