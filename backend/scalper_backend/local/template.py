"""Reading template.yaml the way CloudFormation would, for the parts the local stack needs."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigurationError

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...)."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def default_template_path() -> Path:
    """template.yaml in the working directory, else the one in the source checkout."""
    here = Path.cwd() / "template.yaml"
    if here.is_file():
        return here
    checkout = Path(__file__).resolve().parents[3] / "template.yaml"
    if checkout.is_file():
        return checkout
    raise ConfigurationError("template.yaml not found; pass --template PATH")


@dataclass(frozen=True)
class ApiRoute:
    function: str
    method: str
    path: str
    api: str = ""


@dataclass(frozen=True)
class QueueSource:
    function: str
    queue: str
    batch_size: int
    report_failures: bool
    # ScalingConfig.MaximumConcurrency: most invocations the event source runs at once
    # (None: unbounded, up to the function's own concurrency).
    maximum_concurrency: int | None = None


@dataclass(frozen=True)
class ScheduleSource:
    """A function's EventBridge schedule (SAM ``Schedule`` event): ``rate(N unit)`` only."""

    function: str
    name: str
    every_seconds: float


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Throttle:
    """A token bucket's size (burst) and refill rate, in requests and requests per second."""

    burst: int
    rate: float


@dataclass(frozen=True)
class Api:
    """One ``AWS::Serverless::Api`` with what its gateway enforces.

    ``auth`` is ``api_key`` (ApiKeyRequired) or ``iam`` (DefaultAuthorizer AWS_IAM).
    """

    logical_id: str
    stage: str
    auth: str
    routes: tuple[ApiRoute, ...]
    responses: dict[str, GatewayResponse]
    method_throttle: Throttle | None


class Template:
    """A SAM template plus the physical names it gets in a local stack."""

    def __init__(self, path: Path, *, stack_name: str, region: str) -> None:
        self.path = path
        self.stack_name = stack_name
        self.region = region
        # CloudFormation gives each stack a random UUID; locally it is derived from the
        # region, account and name, so that names built from it are stable across runs.
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"{region}/{ACCOUNT_ID}/{stack_name}")
        self.stack_id = f"arn:{PARTITION}:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/{stack_uuid}"
        # Ids that exist only once the resource does (a KMS key's), set by provisioning.
        self._created_ids: dict[str, str] = {}
        with path.open(encoding="utf-8") as handle:
            # _CfnLoader is a SafeLoader subclass (it adds only the !Ref-style tags).
            self.doc: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506  # nosec B506
        self.resources: dict[str, dict[str, Any]] = self.doc["Resources"]

    # -- what there is
    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == type_name}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def apis(self) -> list[Api]:
        """Every API of the template, with the settings SAM gives it from ``Globals.Api``."""
        return [self._api(name) for name in self.of_type("AWS::Serverless::Api")]

    def api(self, auth: str) -> Api:
        """The API with this kind of auth (``api_key`` or ``iam``).

        Raises:
            ConfigurationError: the template has none, or more than one.
        """
        found = [api for api in self.apis() if api.auth == auth]
        if len(found) != 1:
            raise ConfigurationError(f"expected one {auth} API in the template, found {len(found)}")
        return found[0]

    def api_properties(self, logical_id: str) -> dict[str, Any]:
        """An API's properties merged over ``Globals.Api`` as SAM merges them: maps merge
        key by key, lists add up, and the resource's own scalars win."""
        return _sam_merge(self.doc.get("Globals", {}).get("Api", {}), self.properties(logical_id))

    def _api(self, logical_id: str) -> Api:
        props = self.api_properties(logical_id)
        auth = props.get("Auth", {})
        if auth.get("DefaultAuthorizer") == "AWS_IAM":
            kind = "iam"
        elif auth.get("ApiKeyRequired") is True:
            kind = "api_key"
        else:
            raise ConfigurationError(f"{logical_id}: the local gateway serves only API-key or AWS_IAM APIs")
        responses = {}
        for response_type, spec in props.get("GatewayResponses", {}).items():
            status = spec.get("StatusCode")
            headers = spec.get("ResponseParameters", {}).get("Headers", {})
            responses[response_type] = GatewayResponse(
                status=int(status) if status else None,
                body=spec["ResponseTemplates"]["application/json"],
                # Static values are written in single quotes, as API Gateway wants them.
                headers={name: str(value).strip("'") for name, value in headers.items()},
            )
        return Api(
            logical_id=logical_id,
            stage=str(self.resolve(props["StageName"])),
            auth=kind,
            routes=tuple(r for r in self.api_routes() if r.api == logical_id),
            responses=responses,
            method_throttle=_method_throttle(props.get("MethodSettings", [])),
        )

    def usage_plan(self, api: str) -> str | None:
        """The logical id of the usage plan that serves this API's stage, if any."""
        for plan in self.of_type("AWS::ApiGateway::UsagePlan"):
            stages = self.properties(plan).get("ApiStages", [])
            if api in [stage.get("ApiId", {}).get("Ref") for stage in stages]:
                return plan
        return None

    def function_handler(self, function: str) -> str:
        return str(self.properties(function)["Handler"])

    def function_environment(self, function: str) -> dict[str, str]:
        merged = dict(self.doc.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
        merged.update(self.properties(function).get("Environment", {}).get("Variables", {}))
        return {name: str(self.resolve(value)) for name, value in merged.items()}

    def function_timeout(self, function: str) -> int:
        return int(self.resolve(self._function_setting(function, "Timeout", 3)))

    def function_memory(self, function: str) -> int:
        """MemorySize in MB (Lambda's default is 128)."""
        return int(self.resolve(self._function_setting(function, "MemorySize", 128)))

    def _function_setting(self, function: str, name: str, default: Any) -> Any:
        globals_ = self.doc.get("Globals", {}).get("Function", {})
        return self.properties(function).get(name, globals_.get(name, default))

    def api_routes(self) -> list[ApiRoute]:
        routes = []
        for function in self.of_type("AWS::Serverless::Function"):
            for event in self.properties(function).get("Events", {}).values():
                if event["Type"] == "Api":
                    props = event["Properties"]
                    api = props.get("RestApiId", {}).get("Ref", "")
                    routes.append(ApiRoute(function, props["Method"].upper(), props["Path"], api))
        return routes

    def queue_sources(self) -> list[QueueSource]:
        sources = []
        for function in self.of_type("AWS::Serverless::Function"):
            for event in self.properties(function).get("Events", {}).values():
                if event["Type"] == "SQS":
                    props = event["Properties"]
                    queue = props["Queue"]["Fn::GetAtt"][0]
                    cap = props.get("ScalingConfig", {}).get("MaximumConcurrency")
                    sources.append(
                        QueueSource(
                            function=function,
                            queue=queue,
                            batch_size=int(props.get("BatchSize", 10)),
                            report_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                            maximum_concurrency=int(self.resolve(cap)) if cap is not None else None,
                        )
                    )
        return sources

    def schedule_sources(self) -> list[ScheduleSource]:
        """Every function's ``Schedule`` events, with their rate in seconds.

        Raises:
            ConfigurationError: a schedule that is not ``rate(...)`` (cron is not run locally).
        """
        sources = []
        for function in self.of_type("AWS::Serverless::Function"):
            for name, event in self.properties(function).get("Events", {}).items():
                if event["Type"] == "Schedule":
                    found = _RATE.match(str(event["Properties"]["Schedule"]))
                    if not found:
                        raise ConfigurationError(f"{function}.{name}: the local stack runs rate() schedules only")
                    seconds = int(found[1]) * _UNIT_SECONDS[found[2].rstrip("s")]
                    sources.append(ScheduleSource(function=function, name=f"{function}{name}", every_seconds=seconds))
        return sources

    # -- names
    def physical_name(self, logical_id: str) -> str:
        """The name a resource gets: its explicit name property, else ``<stack>-<logical id>``."""
        props = self.properties(logical_id)
        for key in ("BucketName", "TableName", "QueueName", "TopicName"):
            if key in props:
                return str(self.resolve(props[key]))
        return f"{self.stack_name}-{logical_id}"

    def created(self, logical_id: str, physical_id: str) -> None:
        """Record the id a resource got when it was created (KMS key ids are random)."""
        self._created_ids[logical_id] = physical_id

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::KMS::Key":
            return f"arn:{PARTITION}:kms:{self.region}:{ACCOUNT_ID}:key/{self.ref(logical_id)}"
        name = self.physical_name(logical_id)
        if kind == "AWS::S3::Bucket":
            return f"arn:{PARTITION}:s3:::{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:{PARTITION}:sqs:{self.region}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{self.region}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:{PARTITION}:dynamodb:{self.region}:{ACCOUNT_ID}:table/{name}"
        raise ConfigurationError(f"no local ARN for {logical_id} ({kind})")

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.doc.get("Parameters", {}):
            return str(self.doc["Parameters"][name]["Default"])
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            # What CloudFormation's Ref gives; moto takes a queue by the name at the end.
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{self.physical_name(name)}"
        if kind == "AWS::SNS::Topic":
            return self.arn(name)
        if kind == "AWS::KMS::Key":
            if name not in self._created_ids:
                raise ConfigurationError(f"the id of key {name} is known only once it exists")
            return self._created_ids[name]
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "QueueName":
            return self.physical_name(logical_id)
        raise ConfigurationError(f"unsupported attribute {logical_id}.{attribute}")

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsic functions the local stack meets: Ref, GetAtt, Sub, Select, Split."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.get_att(logical_id, attribute)
        if "Fn::Sub" in value:
            return self._sub(value["Fn::Sub"])
        if "Fn::Select" in value:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(self.resolve(index))]
        if "Fn::Split" in value:
            delimiter, text = value["Fn::Split"]
            return str(self.resolve(text)).split(delimiter)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, spec: str | list[Any]) -> str:
        """``Fn::Sub`` in both forms: a string, or [string, {name: value}]."""
        text, names = (spec, {}) if isinstance(spec, str) else (spec[0], self.resolve(spec[1]))
        return re.sub(
            r"\$\{([^}!]+)\}",
            lambda m: str(names[m.group(1)]) if m.group(1) in names else self._sub_var(m.group(1)),
            text,
        )

    def _sub_var(self, expression: str) -> str:
        if "." in expression and not expression.startswith("AWS::"):
            logical_id, attribute = expression.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(expression)


def _sam_merge(globals_: Any, own: Any) -> Any:
    if isinstance(globals_, dict) and isinstance(own, dict):
        merged = dict(globals_)
        for key, value in own.items():
            merged[key] = _sam_merge(globals_[key], value) if key in globals_ else value
        return merged
    if isinstance(globals_, list) and isinstance(own, list):
        return globals_ + own
    return own


def _method_throttle(settings: list[dict[str, Any]]) -> Throttle | None:
    """The stage-wide method throttle (``ResourcePath: /*``, ``HttpMethod: *``), if set."""
    for setting in settings:
        stage_wide = setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*"
        if stage_wide and "ThrottlingBurstLimit" in setting and "ThrottlingRateLimit" in setting:
            return Throttle(burst=int(setting["ThrottlingBurstLimit"]), rate=float(setting["ThrottlingRateLimit"]))
    return None
