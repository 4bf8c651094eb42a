"""Principals, partners and onboarding: who may call, decided on every request."""

from __future__ import annotations

import boto3
import pytest

from scalper_backend.adapters.api_keys import ApiKeys
from scalper_backend.adapters.partners_table import PartnersTable
from scalper_backend.errors import Forbidden, InvalidRequest
from scalper_backend.onboarding import create_partner, disable_partner, list_partners, rotate_key
from scalper_backend.partners import PartnerResolver, check_iam_principal, iam_principal

ROLE = "arn:aws:iam::123456789012:role/clinic-uploader"
USER = "arn:aws:iam::123456789012:user/partner-acme"


@pytest.mark.parametrize(
    ("user_arn", "principal"),
    [
        ("arn:aws:sts::123456789012:assumed-role/clinic-uploader/night-run", f"iam:{ROLE}"),
        ("arn:aws:sts::123456789012:assumed-role/clinic-uploader/i-0abc123", f"iam:{ROLE}"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/r/s1", "iam:arn:aws-us-gov:iam::123456789012:role/r"),
        (USER, f"iam:{USER}"),
        (f"{USER[:31]}division/partner-acme", f"iam:{USER[:31]}division/partner-acme"),
    ],
)
def test_a_role_session_is_its_role_and_a_user_is_itself(user_arn, principal):
    assert iam_principal(user_arn) == principal


@pytest.mark.parametrize("arn", [USER, ROLE, "arn:aws:sts::123456789012:assumed-role/clinic-uploader/s1"])
def test_operators_may_map_users_roles_and_sessions(arn):
    assert check_iam_principal(arn).startswith("iam:arn:aws:iam::123456789012:")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/team/clinic-uploader",  # a path: sessions do not show it
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:group/partners",
        "arn:aws:iam::12345:user/x",
        "partner-acme",
        "arn:aws:iam::123456789012:user/" + "x" * 65,
    ],
)
def test_other_arns_are_refused_for_mapping(arn):
    with pytest.raises(InvalidRequest):
        check_iam_principal(arn)


@pytest.fixture
def onboarding(backend):
    apigateway = boto3.client("apigateway")
    plan = apigateway.get_usage_plans()["items"][0]["id"]
    table = PartnersTable(backend.clients["dynamodb"], backend.settings.partners_table)
    return ApiKeys(apigateway, plan), table, apigateway


def test_a_new_partner_gets_an_enabled_key_in_the_usage_plan_and_its_iam_principal(onboarding):
    keys, table, apigateway = onboarding

    new = create_partner("acme", keys=keys, table=table, iam_arn=ROLE)

    key = apigateway.get_api_key(apiKey=new.api_key_id, includeValue=True)
    assert key["enabled"] and key["value"] == new.api_key
    assert apigateway.get_usage_plans(keyId=new.api_key_id)["items"]
    resolver = PartnerResolver(table)
    assert resolver.partner_for(f"apikey:{new.api_key_id}") == "acme"
    assert resolver.partner_for(f"iam:{ROLE}") == "acme"
    assert list_partners(table)[0].principals == tuple(sorted([f"apikey:{new.api_key_id}", f"iam:{ROLE}"]))


@pytest.mark.parametrize("name", ["Acme", "acme_clinic", "-acme", "a" * 41, "", "acme/../globex"])
def test_a_partner_id_must_be_a_lowercase_slug(onboarding, name):
    keys, table, _ = onboarding
    with pytest.raises(InvalidRequest):
        create_partner(name, keys=keys, table=table)


def test_a_partner_cannot_be_created_twice_nor_take_anothers_iam_principal(onboarding):
    keys, table, _ = onboarding
    create_partner("acme", keys=keys, table=table, iam_arn=ROLE)

    with pytest.raises(InvalidRequest, match="already exists"):
        create_partner("acme", keys=keys, table=table)
    with pytest.raises(InvalidRequest, match="already belongs"):
        create_partner("globex", keys=keys, table=table, iam_arn=ROLE)
    assert PartnerResolver(table).partner_for(f"iam:{ROLE}") == "acme"


def test_a_disabled_partner_is_refused_on_the_very_next_request(onboarding):
    keys, table, apigateway = onboarding
    new = create_partner("acme", keys=keys, table=table, iam_arn=ROLE)
    resolver = PartnerResolver(table)
    assert resolver.partner_for(f"iam:{ROLE}") == "acme"  # a warm resolver that already knows it

    disable_partner("acme", keys=keys, table=table)

    for principal in (f"iam:{ROLE}", f"apikey:{new.api_key_id}"):
        with pytest.raises(Forbidden) as refused:
            resolver.partner_for(principal)
        assert refused.value.code == "forbidden"
    assert apigateway.get_api_key(apiKey=new.api_key_id)["enabled"] is False
    assert list_partners(table)[0].enabled is False


def test_rotating_a_key_revokes_the_old_one_at_once(onboarding):
    keys, table, apigateway = onboarding
    old = create_partner("acme", keys=keys, table=table)

    new = rotate_key("acme", keys=keys, table=table)

    resolver = PartnerResolver(table)
    assert resolver.partner_for(f"apikey:{new.api_key_id}") == "acme"
    with pytest.raises(Forbidden):
        resolver.partner_for(f"apikey:{old.api_key_id}")
    assert apigateway.get_api_key(apiKey=old.api_key_id)["enabled"] is False
    assert not apigateway.get_usage_plans(keyId=old.api_key_id)["items"]


def test_an_unknown_partner_cannot_be_disabled_or_rotated(onboarding):
    keys, table, _ = onboarding
    for action in (disable_partner, rotate_key):
        with pytest.raises(InvalidRequest) as refused:
            action("nobody", keys=keys, table=table)
        assert refused.value.code == "partner_not_found"


def test_an_unmapped_principal_is_an_unknown_partner(onboarding):
    _, table, _ = onboarding
    with pytest.raises(Forbidden) as refused:
        PartnerResolver(table).partner_for(f"iam:{USER}")
    assert refused.value.code == "unknown_partner"


def test_an_item_written_before_the_enabled_flag_counts_as_enabled(backend):
    backend.clients["dynamodb"].put_item(
        TableName=backend.settings.partners_table,
        Item={"principal": {"S": "apikey:old"}, "partner_id": {"S": "acme"}},
    )

    resolver = PartnerResolver(PartnersTable(backend.clients["dynamodb"], backend.settings.partners_table))
    assert resolver.partner_for("apikey:old") == "acme"
