"""The whole pipeline on one machine: moto server, both gateways and queue pollers, from the template."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.credentials import Credentials

from ..adapters.api_keys import ApiKeys
from ..adapters.partners_table import PartnersTable
from ..onboarding import create_partner
from .api_keys import ApiKeyAuthenticator
from .gateway import Authenticator, Gateway
from .iam_sigv4 import ExecuteApiVerifier
from .moto_server import MotoServer
from .operations import start_operations
from .poller import QueuePoller
from .provision import Provisioned, provision
from .runtime import LocalFunction
from .s3_edge import S3Edge
from .s3_sigv4 import S3Verifier
from .template import Template, default_template_path
from .throttle import Throttles
from .ticking import Ticker

LOOPBACK = "127.0.0.1"
DEFAULT_STACK_NAME = "scalper-local"
DEFAULT_REGION = "us-east-1"
# Fake credentials: the local stack must never reach a real AWS account.
_LOCAL_AWS_ENV = {"AWS_ACCESS_KEY_ID": "scalper-local", "AWS_SECRET_ACCESS_KEY": "scalper-local"}
_CLEARED_AWS_ENV = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN")
# What the S3 edge accepts signatures from (the handlers sign with these, from the environment).
LOCAL_CREDENTIALS = Credentials(_LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"], _LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"])


@dataclass(frozen=True)
class LocalPartner:
    """A partner's credentials for both APIs: an API key, and an IAM user's access key."""

    partner_id: str
    api_key: str
    access_key_id: str
    secret_access_key: str
    user_arn: str


class LocalStack:
    """Runs the template's functions against moto on loopback.

    Use it as a context manager, or ``start()`` and ``stop()``. It sets this process's AWS
    environment (endpoint, fake credentials, region) and the functions' variables from the
    template while it runs, so only one can run per process.
    """

    def __init__(
        self,
        template_path: Path | None = None,
        *,
        port: int = 0,
        iam_port: int = 0,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str = DEFAULT_REGION,
        log_level: str = "INFO",
        throttle: bool = True,
        rules_file: Path | None = None,
        sweep_interval: float | None = None,
        summary_interval: float = 30.0,
    ) -> None:
        self.template = Template(template_path or default_template_path(), stack_name=stack_name, region=region)
        self._ports = {"api_key": port, "iam": iam_port}
        self._log_level = log_level
        self._throttle = throttle
        # Another partner rules file than the one deployed with the code (RULES_FILE).
        self._rules_file = rules_file
        self._moto: MotoServer | None = None
        self._s3_edge: S3Edge | None = None
        self._gateways: list[Gateway] = []
        self._pollers: list[QueuePoller] = []
        # The scheduled functions' timers (None: the template's rate), the alerts printer,
        # the summary line (0: none) and the rules watcher.
        self._sweep_interval = sweep_interval
        self._summary_interval = summary_interval
        self._services: list[Ticker] = []
        self._saved_env: dict[str, str | None] = {}
        self.aws_endpoint = ""
        self.s3_endpoint = ""
        self.endpoint = ""
        self.iam_endpoint = ""
        self.resources = Provisioned()
        self.partners: dict[str, LocalPartner] = {}

    def start(self) -> LocalStack:
        """Start moto, provision the template, then serve the gateways and the pollers.

        Raises:
            OSError: a port is taken. Whatever had started is stopped again.
        """
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = MotoServer()
        self.aws_endpoint = f"http://{LOOPBACK}:{self._moto.start(LOOPBACK, 0)}"
        # S3 requests (the handlers' and presigned URLs) go through a verifying edge; an IP
        # host keeps botocore and moto on path-style addressing.
        self._s3_edge = S3Edge(self.aws_endpoint, S3Verifier(LOCAL_CREDENTIALS, self.template.region))
        self.s3_endpoint = f"http://{LOOPBACK}:{self._s3_edge.start(LOOPBACK, 0)}"
        self._set_env(self._environment())
        # Imported here, after the environment is set: the handlers' loggers and clients
        # are configured from it when first built.
        from ..dependencies import dependencies

        dependencies.cache_clear()
        clients = {name: self.client(name) for name in ("s3", "sqs", "dynamodb", "sns", "kms", "apigateway")}
        self.resources = provision(self.template, clients)
        # The API's functions take turns (see LocalFunction: one resolver state per process).
        api_functions = {route.function for route in self.template.api_routes()}
        resolver_lock = threading.Lock()
        functions = {
            name: LocalFunction(self.template, name, resolver_lock if name in api_functions else None)
            for name in self.template.of_type("AWS::Serverless::Function")
        }
        throttles = Throttles() if self._throttle else None
        authenticators: dict[str, Authenticator] = {
            "api_key": ApiKeyAuthenticator(clients["apigateway"]),
            "iam": ExecuteApiVerifier(self.template.region),
        }
        for api in self.template.apis():
            gateway = Gateway(api, functions, authenticators[api.auth], throttles)
            port = gateway.start(LOOPBACK, self._ports[api.auth])
            self._gateways.append(gateway)
            url = f"http://{LOOPBACK}:{port}/{api.stage}"
            if api.auth == "iam":
                self.iam_endpoint = url
            else:
                self.endpoint = url
        for source in self.template.queue_sources():
            poller = QueuePoller(
                clients["sqs"],
                queue_url=self.resources.queue_urls[source.queue],
                queue_arn=self.template.arn(source.queue),
                function=functions[source.function],
                batch_size=source.batch_size,
                region=self.template.region,
            )
            poller.start()
            self._pollers.append(poller)
        self._services = start_operations(
            self.template,
            self.resources,
            clients,
            functions,
            sweep_interval=self._sweep_interval,
            summary_interval=self._summary_interval,
        )
        for name in ("scalper", "scalper-local"):
            logging.getLogger(name).setLevel(self._log_level)
        return self

    def stop(self) -> None:
        for service in self._services:
            service.stop()
        self._services.clear()
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        for gateway in self._gateways:
            gateway.stop()
        self._gateways.clear()
        if self._s3_edge:
            self._s3_edge.stop()
        if self._moto:
            self._moto.stop()
        self._restore_env()
        from ..dependencies import dependencies

        dependencies.cache_clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def add_partner(self, partner_id: str) -> str:
        """Onboard a partner as ``scalper admin partner create`` does, with an IAM user of
        its own (``partner-<id>``) as its IAM principal.

        Returns:
            The partner's API key; all its credentials are then in ``partners[partner_id]``.
        """
        if not self.aws_endpoint:
            raise RuntimeError("start the stack first")
        iam = self.client("iam")
        user = iam.create_user(UserName=f"partner-{partner_id}")["User"]
        access_key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        api_key_api = self.template.api("api_key").logical_id
        plan = self.template.usage_plan(api_key_api)
        if plan is None:
            raise RuntimeError(f"no usage plan serves {api_key_api}")
        new = create_partner(
            partner_id,
            keys=ApiKeys(self.client("apigateway"), self.resources.names[plan]),
            table=PartnersTable(self.client("dynamodb"), self.resources.names["PartnersTable"]),
            iam_arn=user["Arn"],
        )
        self.partners[partner_id] = LocalPartner(
            partner_id, new.api_key, access_key["AccessKeyId"], access_key["SecretAccessKey"], user["Arn"]
        )
        return new.api_key

    def client(self, service: str) -> Any:
        """A boto3 client for the local AWS (moto)."""
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name=self.template.region)  # type: ignore[call-overload]

    def name_of(self, logical_id: str) -> str:
        """The physical name (or ARN, for a topic) of a template resource."""
        return self.resources.names[logical_id]

    def _environment(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            **_LOCAL_AWS_ENV,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ENDPOINT_URL_S3": self.s3_endpoint,
            "AWS_DEFAULT_REGION": self.template.region,
            "AWS_REGION": self.template.region,
        }
        env.update(dict.fromkeys(_CLEARED_AWS_ENV))
        for function in self.template.of_type("AWS::Serverless::Function"):
            for name, value in self.template.function_environment(function).items():
                if env.get(name, value) != value:
                    raise ValueError(f"functions disagree on {name}; one process cannot hold both")
                env[name] = value
        env["POWERTOOLS_LOG_LEVEL"] = self._log_level
        # Metric lines (EMF) belong to the functions' log stream: shown with INFO logs, as
        # CloudWatch would receive them, and not at WARNING or above (the demo's quiet run).
        env["POWERTOOLS_METRICS_DISABLED"] = "false" if self._log_level in ("DEBUG", "INFO") else "true"
        if self._rules_file is not None:
            env["RULES_FILE"] = str(self._rules_file.resolve())
        return env

    def _set_env(self, env: dict[str, str | None]) -> None:
        for name, value in env.items():
            self._saved_env[name] = os.environ.get(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _restore_env(self) -> None:
        self._set_env(dict(self._saved_env))
        self._saved_env.clear()
