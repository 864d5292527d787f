"""Broken variants: the response envelope as DevTune documents it, beyond the schema."""

from __future__ import annotations

import time
import uuid

import attrs
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from devtune_contract.checks.envelope import error_envelope, json_content_type, success_envelope
from devtune_contract.server.policy import (
    Reply,
    RotateRequest,
    utc_timestamp,
)
from teeth.policies import RewritingPolicy, with_body
from teeth.registry import fault


@fault(
    "omits_data",
    "200 without the data object: the schema allows it, the contract does not",
    (success_envelope,),
)
class OmitsData(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, data=None) if outcome.status == 200 else outcome


@fault("omits_meta", "200 without meta", (success_envelope,))
class OmitsMeta(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, meta=None) if outcome.status == 200 else outcome


@fault(
    "meta_names_another_project",
    "meta.projectId is not the project of the path",
    (success_envelope,),
)
class MetaNamesAnotherProject(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 200:
            return outcome
        return with_body(
            outcome, meta={"timestamp": utc_timestamp(), "projectId": str(uuid.uuid4())}
        )


@fault(
    "stale_timestamp",
    "meta.timestamp is an hour old",
    (success_envelope,),
)
class StaleTimestamp(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 200:
            return outcome
        stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        return with_body(outcome, meta={"timestamp": stale, "projectId": request.project_id})


@fault(
    "timestamp_not_rfc3339",
    "meta.timestamp is a Unix number in a string",
    (success_envelope, response_schema_conformance),
)
class TimestampNotRfc3339(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status != 200:
            return outcome
        meta = {"timestamp": str(int(time.time())), "projectId": request.project_id}
        return with_body(outcome, meta=meta)


@fault(
    "error_status_field_mismatch",
    "error bodies always say status 400",
    (error_envelope,),
)
class ErrorStatusFieldMismatch(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, status=400) if outcome.status >= 400 else outcome


@fault(
    "wrong_error_code",
    "403 bodies carry the code 'unauthorized'",
    (error_envelope,),
)
class WrongErrorCode(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, error="unauthorized") if outcome.status == 403 else outcome


@fault(
    "plain_text_errors",
    "error responses are text/plain",
    (json_content_type, content_type_conformance),
)
class PlainTextErrors(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        if outcome.status < 400:
            return outcome
        return attrs.evolve(outcome, media_type="text/plain")


@fault(
    "error_without_message",
    "error bodies lack the message field",
    (error_envelope, response_schema_conformance),
)
class ErrorWithoutMessage(RewritingPolicy):
    def rewrite(self, request: RotateRequest, outcome: Reply) -> Reply:
        return with_body(outcome, message=None) if outcome.status >= 400 else outcome
