"""Plain functions: ids and keys, cursors, configuration, S3 notifications."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from scalper_backend.config import Settings
from scalper_backend.errors import ConfigurationError, InvalidRequest
from scalper_backend.listing import ListQuery, decode_cursor, encode_cursor
from scalper_backend.models import FileState
from scalper_backend.notifications import created_objects
from scalper_backend.records import (
    FILE_ID_PATTERN,
    duplicate_key,
    new_file_id,
    object_key,
    parse_object_key,
    timestamp,
    utcnow,
)


def test_file_ids_are_unique_and_sort_by_creation_time():
    import time

    first = new_file_id()
    time.sleep(0.002)
    ids = [new_file_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(first < i for i in ids)
    assert parse_object_key(object_key("acme", first)) == ("acme", first)


@pytest.mark.parametrize(
    "key", ["uploads/acme/../globex/f_x", "uploads/acme/f_01jdq3w6x1f8m3zq1v6k7c2n4r/x", "uploads//f_x", "x"]
)
def test_keys_we_did_not_make_do_not_parse(key):
    assert parse_object_key(key) is None


def test_timestamps_are_fixed_width_even_on_a_whole_second():
    moment = utcnow().replace(microsecond=0)
    assert timestamp(moment).endswith(".000000Z")


KEY = {"partner_id": "acme", "file_id": "f_01jdq3w6x1f8m3zq1v6k7c2n4r", "created_at": "2026-11-25T21:37:20.123456Z"}
PROCESSED = ListQuery(state=FileState.PROCESSED)
NOVEMBER = ListQuery(
    created_after=datetime(2026, 11, 1, tzinfo=UTC), created_before=datetime(2026, 12, 1, tzinfo=UTC), q="Scan"
)


@pytest.mark.parametrize(
    ("key", "query"),
    [(KEY, ListQuery()), ({**KEY, "partner_state": "acme#processed"}, PROCESSED), (KEY, NOVEMBER)],
)
def test_cursor_round_trips_for_its_own_partner_and_query(key, query):
    assert decode_cursor(encode_cursor(key, query), "acme", query) == key


@pytest.mark.parametrize(
    ("key", "made_for", "used_for"),
    [
        ({**KEY, "partner_id": "globex"}, ListQuery(), ListQuery()),  # another partner's partition
        ({**KEY, "partner_state": "acme#failed"}, PROCESSED, PROCESSED),  # another state's partition
        (KEY, ListQuery(), PROCESSED),  # a key without the state index's attribute
        ({**KEY, "partner_state": "acme#processed"}, PROCESSED, ListQuery(state=FileState.FAILED)),
        (KEY, NOVEMBER, ListQuery()),  # made for a filtered listing, used without the filters
        (KEY, NOVEMBER, replace(NOVEMBER, q="report")),  # another q
        (KEY, NOVEMBER, replace(NOVEMBER, created_before=datetime(2026, 11, 30, tzinfo=UTC))),  # other bounds
        ({**KEY, "created_at": "2026-10-01T00:00:00.000000Z"}, NOVEMBER, NOVEMBER),  # a key outside the bounds
        ({**KEY, "file_id": 1}, ListQuery(), ListQuery()),
        ({**KEY, "file_id": ""}, ListQuery(), ListQuery()),
        ({**KEY, "created_at": "zzzz"}, ListQuery(), ListQuery()),
    ],
)
def test_cursor_for_another_partner_or_query_is_refused(key, made_for, used_for):
    with pytest.raises(InvalidRequest) as err:
        decode_cursor(encode_cursor(key, made_for), "acme", used_for)
    assert err.value.code == "invalid_cursor"


def test_q_is_matched_ignoring_case_so_its_case_does_not_change_the_cursor():
    assert replace(NOVEMBER, q="SCAN").fingerprint() == NOVEMBER.fingerprint()


def test_created_before_is_exclusive_to_the_microsecond():
    assert NOVEMBER.created.start == "2026-11-01T00:00:00.000000Z"
    assert NOVEMBER.created.end == "2026-11-30T23:59:59.999999Z"


def test_duplicate_keys_are_per_name_and_content_and_never_contain_the_filename():
    key = duplicate_key("a" * 64, "scan.csv")
    assert key.startswith("dup#") and "scan" not in key
    assert key != duplicate_key("a" * 64, "scan2.csv") and key != duplicate_key("b" * 64, "scan.csv")
    assert not re.match(FILE_ID_PATTERN, key)


def test_settings_name_the_missing_variable():
    with pytest.raises(ConfigurationError, match="FILES_TABLE"):
        Settings.from_env({"PARTNERS_TABLE": "p"})


def test_upload_url_lifetime_cannot_exceed_fifteen_minutes(template):
    env = template.function_environment("PresignFunction") | {"UPLOAD_URL_TTL_SECONDS": "901"}
    with pytest.raises(ConfigurationError):
        Settings.from_env(env)


def _notification(key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": event, "s3": {"bucket": {"name": "b"}, "object": {"key": key}}}]})


def test_notification_keys_are_url_decoded():
    (ref,) = created_objects(_notification("uploads/acme/a+b%2Bc%C3%A9"))
    assert ref.key == "uploads/acme/a b+cé"


def test_notification_carries_the_upload_time():
    body = json.loads(_notification("k"))
    body["Records"][0]["eventTime"] = "2026-11-25T21:37:21.000Z"
    (ref,) = created_objects(json.dumps(body))
    assert ref.event_time is not None and ref.event_time.isoformat() == "2026-11-25T21:37:21+00:00"


def test_s3_test_event_and_other_events_yield_nothing():
    assert created_objects(json.dumps({"Event": "s3:TestEvent", "Service": "Amazon S3"})) == []
    assert created_objects(_notification("k", event="ObjectRemoved:Delete")) == []


@pytest.mark.parametrize("body", ["not json", "{}", '{"Records": [{"eventName": 1}]}'])
def test_unknown_message_bodies_are_errors(body):
    with pytest.raises(ValueError):
        created_objects(body)
