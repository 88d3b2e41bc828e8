"""CreateAcls (30), DescribeAcls (29), DeleteAcls (31) as raw frames.

Covers v1 (what librdkafka, kafkajs and kafka-python send) and v3
(flexible, Java), v0 (LITERAL only): SECURITY_DISABLED without an
authorizer; Kafka's validation messages; duplicates; ANY / MATCH /
LITERAL / PREFIXED filters; DeleteAcls returning what each filter
matched; unknown filter elements; a revocation taking effect on the same
open connection; durability across a restart; the audit log (JSON
lines); and that a truncated request closes only its connection.
"""

import json
import os

from wirecommon import assert_serves, harness, kwire
from kwire import (NO_TAGS, array, carray, cstring, i8, i16, string)

DESCRIBE_ACLS, CREATE_ACLS, DELETE_ACLS = 29, 30, 31
TOPIC, GROUP, CLUSTER = 2, 3, 4
ANY_T, MATCH, LITERAL, PREFIXED = 1, 2, 3, 4
OP_ANY, OP_ALL, READ, WRITE, ALTER, DESCRIBE = 1, 2, 3, 4, 7, 8
P_ANY, DENY, ALLOW = 1, 2, 3
SECURITY_DISABLED, INVALID_REQUEST, CLUSTER_AUTHZ = 54, 42, 31
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def flex(version):
    return version >= 2


def s_(version, v):
    return cstring(v) if flex(version) else string(v)


def arr(version, items):
    return carray(items) if flex(version) else array(items)


def tags(version):
    return NO_TAGS if flex(version) else b""


# ---- bodies --------------------------------------------------------------


def creation(v, rtype, name, ptype, principal, host, op, perm):
    body = i8(rtype) + s_(v, name)
    if v >= 1:
        body += i8(ptype)
    return body + s_(v, principal) + s_(v, host) + i8(op) + i8(perm) + \
        tags(v)


def create_body(v, creations):
    return arr(v, [creation(v, *c) for c in creations]) + tags(v)


def filter_body(v, rtype, name, ptype, principal, host, op, perm):
    body = i8(rtype) + s_(v, name)
    if v >= 1:
        body += i8(ptype)
    return body + s_(v, principal) + s_(v, host) + i8(op) + i8(perm)


def describe_body(v, f):
    return filter_body(v, *f) + tags(v)


def delete_body(v, filters):
    return arr(v, [filter_body(v, *f) + tags(v) for f in filters]) + tags(v)


# ---- responses -----------------------------------------------------------


def rd_str(r, v):
    return r.cstring() if flex(v) else r.string()


def rd_arr(r, v, item):
    return r.carray(item) if flex(v) else r.array(item)


def parse_create(r, v):
    r.i32()

    def res(x):
        out = (x.i16(), rd_str(x, v))
        if flex(v):
            x.tags()
        return out
    results = rd_arr(r, v, res)
    if flex(v):
        r.tags()
    assert r.rest() == 0
    return results


def parse_describe(r, v):
    r.i32()
    err, msg = r.i16(), rd_str(r, v)

    def acl(x):
        out = (rd_str(x, v), rd_str(x, v), x.i8(), x.i8())
        if flex(v):
            x.tags()
        return out

    def resource(x):
        rt, name = x.i8(), rd_str(x, v)
        pt = x.i8() if v >= 1 else LITERAL
        acls = rd_arr(x, v, acl)
        if flex(v):
            x.tags()
        return (rt, name, pt), acls
    resources = rd_arr(r, v, resource)
    if flex(v):
        r.tags()
    assert r.rest() == 0
    return err, msg, resources


def parse_delete(r, v):
    r.i32()

    def match(x):
        err, msg = x.i16(), rd_str(x, v)
        rt, name = x.i8(), rd_str(x, v)
        pt = x.i8() if v >= 1 else LITERAL
        out = (err, msg, rt, name, pt, rd_str(x, v), rd_str(x, v), x.i8(),
               x.i8())
        if flex(v):
            x.tags()
        return out

    def result(x):
        err, msg = x.i16(), rd_str(x, v)
        m = rd_arr(x, v, match)
        if flex(v):
            x.tags()
        return err, msg, m
    results = rd_arr(r, v, result)
    if flex(v):
        r.tags()
    assert r.rest() == 0
    return results


class Conn:
    def __init__(self, port):
        self.s = kwire.connect(port)
        self.corr = 0

    def call(self, key, v, body):
        self.corr += 1
        return kwire.call(self.s, key, v, self.corr, body, flexible=flex(v))

    def create(self, v, creations):
        return parse_create(self.call(CREATE_ACLS, v,
                                      create_body(v, creations)), v)

    def describe(self, v, f):
        return parse_describe(self.call(DESCRIBE_ACLS, v,
                                        describe_body(v, f)), v)

    def delete(self, v, filters):
        return parse_delete(self.call(DELETE_ACLS, v,
                                      delete_body(v, filters)), v)

    def close(self):
        self.s.close()


ANY_FILTER = (ANY_T, None, ANY_T, None, None, OP_ANY, P_ANY)


def test_no_authorizer():
    with harness.Broker() as b:
        c = Conn(b.port)
        for v in (0, 1, 3):
            got = c.create(v, [(TOPIC, "t", LITERAL, "User:a", "*", READ,
                                ALLOW)] * 2)
            assert got == [(SECURITY_DISABLED,
                            "No Authorizer is configured.")] * 2, got
            err, msg, res = c.describe(v, ANY_FILTER)
            assert (err, msg, res) == (
                SECURITY_DISABLED,
                "No Authorizer is configured on the broker", []), (err, msg)
            got = c.delete(v, [ANY_FILTER])
            assert got == [(SECURITY_DISABLED,
                            "No Authorizer is configured.", [])], got
        c.close()


BAD = [
    ((CLUSTER, "my-cluster", LITERAL, "User:a", "*", ALTER, ALLOW),
     "The only valid name for the CLUSTER resource is kafka-cluster"),
    ((TOPIC, "", LITERAL, "User:a", "*", READ, ALLOW),
     "Invalid empty resource name specified"),
    ((TOPIC, "t", MATCH, "User:a", "*", READ, ALLOW),
     "Invalid patternType MATCH"),
    ((TOPIC, "t", LITERAL, "alice", "*", READ, ALLOW),
     "Could not parse principal from `alice` (no colon is present "
     "separating the principal type from the principal name)"),
    ((TOPIC, "t", LITERAL, "User:a", "*", OP_ANY, ALLOW),
     "Invalid operation ANY"),
    ((TOPIC, "t", LITERAL, "User:a", "*", READ, 99),
     "Invalid permissionType UNKNOWN"),
    ((ANY_T, "t", LITERAL, "User:a", "*", READ, ALLOW),
     "Invalid resourceType ANY"),
]

GOOD = [
    (TOPIC, "foo", LITERAL, "User:alice", "*", READ, ALLOW),
    (TOPIC, "*", LITERAL, "User:bob", "*", WRITE, DENY),
    (TOPIC, "fo", PREFIXED, "User:alice", "10.0.0.0/8", READ, ALLOW),
    (GROUP, "g", LITERAL, "User:alice", "*", READ, ALLOW),
    (CLUSTER, "kafka-cluster", LITERAL, "User:ops", "*", ALTER, ALLOW),
]


def check_audit(b):
    path = os.path.join(b.data_dir, "audit.log")
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").splitlines()
    recs = [json.loads(x) for x in lines]
    creates = [r for r in recs if r["event"] == "acl" and
               r["action"] == "create" and r["result"] == "SUCCESS"]
    assert len(creates) == len(GOOD), recs
    first = creates[0]
    assert first["principal"] == "User:ANONYMOUS", first
    assert first["client"].startswith("127.0.0.1:"), first
    assert first["listener"] == "PLAINTEXT" and first["api"] == "CreateAcls"
    assert first["resource"] == {"type": "TOPIC", "name": "foo",
                                 "pattern_type": "LITERAL"}, first
    assert first["entry"] == {"principal": "User:alice", "host": "*",
                              "operation": "READ",
                              "permission": "ALLOW"}, first
    failed = [r for r in recs if r["event"] == "acl" and
              r["result"] == "INVALID_REQUEST"]
    assert len(failed) == len(BAD), failed
    deletes = [r for r in recs if r["event"] == "acl" and
               r["action"] == "delete"]
    assert len(deletes) == 3, deletes
    assert all(r["time"].endswith("Z") for r in recs)


def test_crud():
    ov = {"authorizer.class.name": AUTHORIZER,
          "super.users": "User:ANONYMOUS"}
    with harness.Broker(ov) as b:
        c = Conn(b.port)
        got = c.create(1, [x for x, _ in BAD] + GOOD)
        # success carries "" like Kafka's generated default, not null
        want = [(INVALID_REQUEST, m) for _, m in BAD] + [(0, "")] * 5
        assert got == want, got
        # identical bindings again: success, nothing added (v3, flexible)
        assert c.create(3, GOOD[:2]) == [(0, "")] * 2
        for v in (1, 2, 3):
            err, msg, res = c.describe(v, ANY_FILTER)
            assert err == 0 and not msg, (err, msg)
            assert [k for k, _ in res] == [(g[0], g[1], g[2])
                                           for g in GOOD], res
            assert res[0][1] == [("User:alice", "*", READ, ALLOW)], res
        # v0: only LITERAL patterns, no pattern type on the wire
        err, _, res = c.describe(0, (ANY_T, None, 0, None, None, OP_ANY,
                                     P_ANY))
        assert err == 0 and [k[1] for k, _ in res] == \
            ["foo", "*", "g", "kafka-cluster"], res
        # MATCH: literal foo, literal *, prefixed fo (not the group)
        _, _, res = c.describe(1, (TOPIC, "foo", MATCH, None, None, OP_ANY,
                                   P_ANY))
        assert [k for k, _ in res] == [(TOPIC, "foo", LITERAL),
                                       (TOPIC, "*", LITERAL),
                                       (TOPIC, "fo", PREFIXED)], res
        # ANY pattern type: exact name only; entry filters
        _, _, res = c.describe(1, (ANY_T, "fo", ANY_T, None, None, OP_ANY,
                                   P_ANY))
        assert [k for k, _ in res] == [(TOPIC, "fo", PREFIXED)], res
        _, _, res = c.describe(1, (ANY_T, None, ANY_T, "User:alice",
                                   "10.0.0.0/8", OP_ANY, P_ANY))
        assert [k for k, _ in res] == [(TOPIC, "fo", PREFIXED)], res
        err, msg, _ = c.describe(1, (TOPIC, None, 0, None, None, OP_ANY,
                                     P_ANY))
        assert (err, msg) == (INVALID_REQUEST, "Unknown patternFilter."), msg
        # delete: overlapping filters both list the binding; bad filter
        got = c.delete(1, [
            (TOPIC, "foo", MATCH, None, None, OP_ANY, P_ANY),
            (TOPIC, "foo", LITERAL, None, None, OP_ANY, P_ANY),
            (TOPIC, None, ANY_T, None, None, 0, P_ANY),
        ])
        assert [len(m) for _, _, m in got] == [3, 1, 0], got
        assert got[1][2][0] == (0, "", TOPIC, "foo", LITERAL,
                                "User:alice", "*", READ, ALLOW), got
        assert got[2][:2] == (INVALID_REQUEST, "Unknown entryFilter."), got
        err, _, res = c.describe(3, ANY_FILTER)
        assert [k for k, _ in res] == [(GROUP, "g", LITERAL),
                                       (CLUSTER, "kafka-cluster", LITERAL)]
        # a truncated request closes its connection only
        c.s.sendall(kwire.request(CREATE_ACLS, 1, 99, i16(0) + b"\x00"))
        assert kwire.is_closed(c.s)
        c.close()
        assert_serves(b.port)
        # durable across a restart
        b.restart()
        c = Conn(b.port)
        err, _, res = c.describe(1, ANY_FILTER)
        assert [k for k, _ in res] == [(GROUP, "g", LITERAL),
                                       (CLUSTER, "kafka-cluster", LITERAL)]
        c.close()
        check_audit(b)


def test_revocation_on_open_connection():
    """allow.everyone.if.no.acl.found=true: no ACL on the cluster lets
    anyone alter ACLs -- until a DENY for User:* exists; the same
    connection is refused at once. Describing is refused too: the DENY is
    an ACL on the cluster, so the allow-everyone fallback no longer
    applies there (Kafka's rule), and nothing allows DESCRIBE."""
    ov = {"authorizer.class.name": "kafka.security.auth.SimpleAclAuthorizer",
          "allow.everyone.if.no.acl.found": "true"}
    with harness.Broker(ov) as b:
        c = Conn(b.port)
        other = Conn(b.port)
        assert other.describe(1, ANY_FILTER)[0] == 0
        got = c.create(1, [(CLUSTER, "kafka-cluster", LITERAL, "User:*", "*",
                            ALTER, DENY)])
        assert got == [(0, "")], got
        for conn in (c, other):
            got = conn.create(1, [GOOD[0]])
            assert got == [(CLUSTER_AUTHZ, "Cluster authorization failed.")]
            got = conn.delete(3, [ANY_FILTER])
            assert got[0][0] == CLUSTER_AUTHZ, got
            err, _, res = conn.describe(1, ANY_FILTER)
            assert (err, res) == (CLUSTER_AUTHZ, []), (err, res)
        c.close()
        other.close()
        recs = [json.loads(x) for x in
                open(os.path.join(b.data_dir, "audit.log"), "rb")
                .read().decode().splitlines()]
        denials = [r for r in recs if r["event"] == "authorization"]
        assert len(denials) == 6, denials
        assert denials[0]["result"] == "DENIED"
        assert denials[0]["operation"] == "ALTER"
        assert denials[0]["resource"] == {"type": "CLUSTER",
                                          "name": "kafka-cluster"}
        assert "DENY" in denials[0]["rule"], denials[0]


def test_batch_limits():
    """Kafka's MAX_RECORDS_PER_USER_OP: 10,000 bindings per request."""
    ov = {"authorizer.class.name": AUTHORIZER,
          "super.users": "User:ANONYMOUS"}
    with harness.Broker(ov) as b:
        c = Conn(b.port)
        many = [(TOPIC, "t%d" % i, LITERAL, "User:a", "*", READ, ALLOW)
                for i in range(10001)]
        got = c.create(1, many)
        assert set(got) == {(INVALID_REQUEST, "Cannot create more than "
                             "10000 acls in a single batch.")}, got[:2]
        assert c.create(1, many[:10000]) == [(0, "")] * 10000
        assert c.create(1, many[10000:]) == [(0, "")]
        got = c.delete(1, [ANY_FILTER])
        assert got == [(INVALID_REQUEST, "Cannot remove more than 10000 "
                        "acls in a single delete operation.", [])], got[0][:2]
        got = c.delete(1, [(TOPIC, "t1", LITERAL, None, None, OP_ANY,
                            P_ANY)] * 10001)
        assert got[0][:2] == (INVALID_REQUEST, "Cannot process more than "
                              "10000 filters in a single request."), got[0]
        err, _, res = c.describe(1, ANY_FILTER)
        assert err == 0 and len(res) == 10001, len(res)
        # the response grows with the broker's ACLs, not with the request
        got = c.delete(3, [(TOPIC, "t10000", LITERAL, None, None, OP_ANY,
                            P_ANY)])
        assert len(got[0][2]) == 1, got
        got = c.delete(1, [ANY_FILTER])
        assert got[0][:2] == (0, "") and len(got[0][2]) == 10000, got[0][:2]
        assert c.describe(1, ANY_FILTER)[2] == []
        c.close()


def test_default_deny():
    """No ACLs, no super user, no fallback: even describing is refused."""
    with harness.Broker({"authorizer.class.name": AUTHORIZER}) as b:
        c = Conn(b.port)
        err, msg, res = c.describe(1, ANY_FILTER)
        assert (err, msg, res) == (CLUSTER_AUTHZ,
                                   "Cluster authorization failed.", [])
        c.close()


def test_bad_config():
    """A bad authorizer or audit key stops the start naming the key.
    (The exit status is main.c's: 1 today, 2 once it calls
    broker_authz_check() with the other configuration checks.)"""
    for key, value in (("authorizer.class.name", "com.example.Custom"),
                       ("super.users", "admin"),
                       ("allow.everyone.if.no.acl.found", "yes"),
                       ("audit.log.max.bytes", "lots"),
                       ("audit.log.enable", "maybe")):
        b = harness.Broker({"authorizer.class.name": AUTHORIZER,
                            key: value})
        b.spawn()
        rc = b.wait_exit(10)
        assert rc not in (None, 0), (key, rc)
        assert key.encode() in b.log_bytes(), (key, b.log_bytes())
        b.close()


def test_audit_off():
    ov = {"authorizer.class.name": AUTHORIZER,
          "super.users": "User:ANONYMOUS", "audit.log.enable": "false"}
    with harness.Broker(ov) as b:
        c = Conn(b.port)
        assert c.create(1, [GOOD[0]]) == [(0, "")]
        c.close()
        assert not os.path.exists(os.path.join(b.data_dir, "audit.log"))


def main():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no ACL APIs")
    test_no_authorizer()
    test_crud()
    test_revocation_on_open_connection()
    test_default_deny()
    test_batch_limits()
    test_bad_config()
    test_audit_off()


if __name__ == "__main__":
    harness.run(main)
