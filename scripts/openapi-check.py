#!/usr/bin/env python3
"""Checks newsdesk's OpenAPI document, for the web tests (crates/web/tests/it/openapi.rs).

usage: openapi-check.py DOC.json [CASES.json]

DOC must be a valid OpenAPI 3.1 document (openapi-spec-validator). Each case in CASES, a JSON
list of {"method", "path", "status", "body"}, is a real response: its body must match the schema
DOC gives for that operation and status. Prints what is wrong and exits 1, or prints "ok".
"""

import json
import sys

from openapi_schema_validator import OAS31Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_spec


def response_schema(doc, case):
    op = doc["paths"].get(case["path"], {}).get(case["method"].lower())
    if op is None:
        raise LookupError(f"{case['method']} {case['path']} is not in the document")
    resp = op.get("responses", {}).get(str(case["status"]))
    if resp is None:
        raise LookupError(f"{case['method']} {case['path']} documents no {case['status']}")
    return resp.get("content", {}).get("application/json", {}).get("schema")


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        print(f"not OpenAPI 3.1: openapi = {doc.get('openapi')!r}")
        return 1
    validate_spec(doc, cls=OpenAPIV31SpecValidator)
    failures = []
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            cases = json.load(f)
        for case in cases:
            where = f"{case['method']} {case['path']} -> {case['status']}"
            try:
                schema = response_schema(doc, case)
                if schema is None:
                    raise LookupError("no JSON schema for this response")
                # References like #/components/schemas/X resolve against this root.
                rooted = dict(schema, components=doc.get("components", {}))
                validate_instance(case["body"], rooted, cls=OAS31Validator)
            except Exception as e:  # report every case, not just the first
                at = "/".join(str(p) for p in getattr(e, "absolute_path", []))
                failures.append(f"{where}: {getattr(e, 'message', e)} (at /{at})")
    for f in failures:
        print(f)
    if failures:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
