#!/usr/bin/env python3
"""Unit tests for kpgen.py (run by CTest as kpgen_test; stdlib only)."""

import json
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kpgen  # noqa: E402


def message(js):
    return kpgen.Message("Test.json", json.loads(json.dumps(js)))


class StripComments(unittest.TestCase):
    def test_keeps_slashes_inside_strings(self):
        text = ('{ // a comment\n'
                '  "about": "see https://kafka.apache.org/x // not a comment",\n'
                '  "q": "a \\"quoted // part\\" here" // gone\n'
                '}\n')
        js = json.loads(kpgen.strip_comments(text))
        self.assertEqual(js["about"],
                         "see https://kafka.apache.org/x // not a comment")
        self.assertEqual(js["q"], 'a "quoted // part" here')

    def test_comment_lines_between_fields(self):
        text = '[1, // one\n// whole line\n2]'
        self.assertEqual(json.loads(kpgen.strip_comments(text)), [1, 2])


class Names(unittest.TestCase):
    def test_snake(self):
        cases = {
            "TopicData": "topic_data",
            "IncludeClusterAuthorizedOperations":
                "include_cluster_authorized_operations",
            "ProducerId": "producer_id",
            "TopicId": "topic_id",
            "timeoutMs": "timeout_ms",
            "ApiVersionsRequest": "api_versions_request",
            "ZkMigrationReady": "zk_migration_ready",
            "SASLThing": "sasl_thing",
        }
        for name, want in cases.items():
            self.assertEqual(kpgen.snake(name), want)

    def test_versions(self):
        self.assertEqual(kpgen.parse_versions("0+", "x"), (0, kpgen.VMAX))
        self.assertEqual(kpgen.parse_versions("3-5", "x"), (3, 5))
        self.assertEqual(kpgen.parse_versions("7", "x"), (7, 7))
        self.assertEqual(kpgen.parse_versions("none", "x"), (1, 0))
        for bad in ("5-3", "x", "-1", "1+2"):
            with self.assertRaises(kpgen.SpecError):
                kpgen.parse_versions(bad, "x")

    def test_int_defaults(self):
        self.assertEqual(kpgen.parse_int("0x7fffffff", "int32", "x"),
                         0x7FFFFFFF)
        self.assertEqual(kpgen.parse_int("-2147483648", "int32", "x"),
                         -2147483648)
        self.assertEqual(kpgen.parse_int("010", "int16", "x"), 8)
        with self.assertRaises(kpgen.SpecError):
            kpgen.parse_int("128", "int8", "x")


BASE = {"apiKey": 99, "type": "request", "name": "TestRequest",
        "validVersions": "0-3", "flexibleVersions": "2+"}


class Model(unittest.TestCase):
    def test_min_len_and_tags(self):
        m = message(dict(BASE, fields=[
            {"name": "A", "type": "int32", "versions": "0+"},
            {"name": "S", "type": "string", "versions": "1+"},
            {"name": "T", "type": "[]Sub", "versions": "0+", "fields": [
                {"name": "X", "type": "int64", "versions": "0+"}]},
            {"name": "G", "type": "int8", "versions": "2+",
             "taggedVersions": "2+", "tag": 0},
        ]))
        # v0: 4 + array 4; v1: + string 2; v2 (flexible): 4 + 1 + 1 + tags 1
        self.assertEqual([m.min_len(m.root, v) for v in range(4)],
                         [8, 10, 7, 7])
        self.assertEqual(m.root.fields[1].cname, "s")
        self.assertEqual(m.order[0].cname, "kp_test_request_sub")

    def test_same_type_different_fields_is_renamed(self):
        m = message(dict(BASE, fields=[
            {"name": "A", "type": "[]Foo", "versions": "0+", "fields": [
                {"name": "X", "type": "int32", "versions": "0+"}]},
            {"name": "B", "type": "[]Foo", "versions": "0+", "fields": [
                {"name": "Y", "type": "int64", "versions": "0+"}]},
        ]))
        names = [s.cname for s in m.order]
        self.assertIn("kp_test_request_foo", names)
        self.assertIn("kp_test_request_foo_2", names)
        self.assertEqual(len(m.notes), 1)

    def test_rejects_bad_specs(self):
        bad = [
            [{"name": "A", "type": "int32", "versions": "0+",
              "nullableVersions": "0+"}],
            [{"name": "A", "type": "int32", "versions": "0+", "tag": 1}],
            [{"name": "A", "type": "int8", "versions": "0+",
              "default": "300"}],
            [{"name": "A", "type": "Unknown", "versions": "0+"}],
            [{"name": "A", "type": "int8", "versions": "0+"},
             {"name": "A", "type": "int8", "versions": "0+"}],
        ]
        for fields in bad:
            with self.assertRaises(kpgen.SpecError, msg=str(fields)):
                message(dict(BASE, fields=fields))


class Check(unittest.TestCase):
    def test_check_detects_stale_files(self):
        files = {"a.h": "one\n", "b.c": "two\n"}
        with tempfile.TemporaryDirectory() as d:
            kpgen.write_files(files, d)
            self.assertEqual(kpgen.check_files(files, d), 0)
            with open(os.path.join(d, "b.c"), "w") as fp:
                fp.write("changed\n")
            self.assertEqual(kpgen.check_files(files, d), 1)


if __name__ == "__main__":
    unittest.main()
