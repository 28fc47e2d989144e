"""Parses FHIR Bundles with two libraries that share no code with TeleIngest (scripts/check-fhir)."""

import collections
import json
import sys

from fhir.resources.R4B.bundle import Bundle as BundleR4B
from fhirclient.models.bundle import Bundle as BundleR4
from fhirclient.models.fhirabstractbase import FHIRValidationError


def check(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    problems = []
    try:
        BundleR4(document, strict=True)
    except FHIRValidationError as error:
        problems.append("fhirclient (R4): " + str(error)[:2000])
    try:
        BundleR4B.model_validate(document)
    except Exception as error:  # pydantic's ValidationError and its parsing errors
        # Where and what, never the value: a Bundle holds CPR numbers.
        details = getattr(error, "errors", None)
        if callable(details):
            text = "; ".join(
                ".".join(str(part) for part in item.get("loc", ())) + ": " + item.get("msg", "")
                for item in details(include_input=False, include_url=False))
        else:
            text = type(error).__name__
        problems.append("fhir.resources (R4B): " + text[:2000])
    types = collections.Counter(
        entry.get("resource", {}).get("resourceType", "?") for entry in document.get("entry", [])
    )
    return {"file": path, "valid": not problems, "problems": problems, "resources": dict(sorted(types.items()))}


def main(paths):
    refused = False
    for path in paths:
        result = check(path)
        refused = refused or not result["valid"]
        print(json.dumps(result, sort_keys=True))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
