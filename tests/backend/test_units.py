"""Plain functions: ids and keys, cursors, configuration, S3 notifications."""

from __future__ import annotations

import json

import pytest

from scalper_backend.config import Settings
from scalper_backend.errors import ConfigurationError, InvalidRequest
from scalper_backend.listing import decode_cursor, encode_cursor
from scalper_backend.models import FileState
from scalper_backend.notifications import created_objects
from scalper_backend.records import new_file_id, object_key, parse_object_key, timestamp, utcnow


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


def test_cursor_round_trips_for_its_own_partner_and_query():
    key = {
        "partner_id": "acme",
        "file_id": "f_01jdq3w6x1f8m3zq1v6k7c2n4r",
        "created_at": "2026-11-25T21:37:20.123456Z",
        "partner_state": "acme#processed",
    }
    assert decode_cursor(encode_cursor(key), "acme", FileState.PROCESSED) == key


# A cursor's values as the index returns them, so that a refusal below comes from the
# check under test and not from the format check.
CURSOR = {"partner_id": "acme", "file_id": "f_01jdq3w6x1f8m3zq1v6k7c2n4r", "created_at": "2026-11-25T21:37:20.123456Z"}


def _refused(key: dict[str, object], partner: str, state: FileState | None) -> None:
    with pytest.raises(InvalidRequest) as err:
        decode_cursor(encode_cursor(key), partner, state)
    assert err.value.code == "invalid_cursor"


def test_cursor_of_another_partner_is_refused():
    theirs = {**CURSOR, "partner_id": "globex"}
    assert decode_cursor(encode_cursor(theirs), "globex", None) == theirs

    _refused(theirs, "acme", None)


def test_cursor_of_another_partner_and_state_is_refused():
    theirs = {**CURSOR, "partner_id": "globex", "partner_state": "globex#processed"}
    assert decode_cursor(encode_cursor(theirs), "globex", FileState.PROCESSED) == theirs

    _refused(theirs, "acme", FileState.PROCESSED)


def test_cursor_is_bound_to_its_state_filter():
    failed_listing = {**CURSOR, "partner_state": "acme#failed"}
    assert decode_cursor(encode_cursor(failed_listing), "acme", FileState.FAILED) == failed_listing

    _refused(failed_listing, "acme", FileState.PROCESSED)


def test_cursor_of_an_unfiltered_listing_is_refused_with_a_state_filter():
    _refused(CURSOR, "acme", FileState.PROCESSED)


def test_cursor_of_a_filtered_listing_is_refused_without_its_filter():
    _refused({**CURSOR, "partner_state": "acme#processed"}, "acme", None)


@pytest.mark.parametrize(
    "change",
    [{"file_id": 1}, {"file_id": ""}, {"file_id": "f"}, {"created_at": "zzzz"}, {"created_at": "t"}],
    ids=repr,
)
def test_cursor_with_malformed_values_is_refused(change):
    _refused({**CURSOR, **change}, "acme", None)


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
