#!/usr/bin/env python3
"""Counts test cases from one `bazel test` run.

Reads the build event file that `bazel test --build_event_json_file=FILE`
wrote. Each test target contributes its test cases from the JUnit XML its
test binary wrote (one per Boost.Test case); a target that failed without
naming a failed case (a crash, a timeout) counts as one failure, and a target
with no readable cases counts as one case. A build that broke before running
its tests counts as one failure.

Prints "PASSED FAILED" on one line.
"""
import json
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urlparse, unquote


def cases_in(xml_path):
    """Returns (passed, failed) test cases in a JUnit file, or None."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = 0
    for case in root.iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        if bad:
            failed += 1
        elif not skipped:
            passed += 1
    if passed + failed == 0:
        return None
    return passed, failed


def main(bep_path, bazel_exit):
    summaries = {}  # label -> overall status
    xmls = {}  # label -> [test.xml paths]
    with open(bep_path) as f:
        for line in f:
            event = json.loads(line)
            ident = event.get("id", {})
            if "testSummary" in ident:
                label = ident["testSummary"]["label"]
                summaries[label] = event.get("testSummary", {}).get(
                    "overallStatus", "FAILED")
            elif "testResult" in ident:
                label = ident["testResult"]["label"]
                for out in event.get("testResult", {}).get(
                        "testActionOutput", []):
                    if out.get("name") == "test.xml":
                        path = unquote(urlparse(out["uri"]).path)
                        xmls.setdefault(label, []).append(path)

    passed = failed = 0
    for label, status in sorted(summaries.items()):
        target_passed = target_failed = 0
        for path in xmls.get(label, []):
            counted = cases_in(path)
            if counted:
                target_passed += counted[0]
                target_failed += counted[1]
        if status != "PASSED" and target_failed == 0:
            target_failed = 1
            print(f"count_tests: {label}: {status}", file=sys.stderr)
        if target_passed + target_failed == 0:
            target_passed = 1
        passed += target_passed
        failed += target_failed
    if bazel_exit != 0 and failed == 0:
        failed = 1  # The build broke before any test could fail.
        print(f"count_tests: bazel exited {bazel_exit}", file=sys.stderr)
    print(passed, failed)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
