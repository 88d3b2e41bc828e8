"""ACLs with real clients over PLAINTEXT, where every connection is
User:ANONYMOUS, and sealog-acls against the running broker.

- kafka-python 2.0.2 KafkaAdminClient create_acls / describe_acls /
  delete_acls: LITERAL, PREFIXED, wildcard bindings; ANY / MATCH / exact
  filters; the deleted bindings returned; Kafka's error classes;
- kafkajs 2.2.4 admin createAcls / describeAcls / deleteAcls;
- sealog-acls --add / --list / --remove: output byte-compared with
  kafka-acls 3.x's format, --producer --idempotent / --consumer
  expansion, --principal sections, runtime errors, and cross-checked
  with kafka-python (an independent decoder);
- the test-suite conventions: super.users=User:ANONYMOUS; an authorizer
  with allow.everyone.if.no.acl.found=true plus a DENY for User:*, which
  takes effect on an already open connection;
- the first admin granted with sealog-acls --data-dir before the broker's
  first start, and the refusal to touch the directory while it runs;
- every change in the audit log, which is JSON lines.

Topic-level enforcement (Produce/Fetch/Metadata with DENY User:*) is in
test_acls_enforce.py (runs once the handlers authorize).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

kafka = harness.need_module("kafka")
from kafka.admin import (ACL, ACLFilter, ACLOperation,  # noqa: E402
                         ACLPermissionType, ACLResourcePatternType,
                         KafkaAdminClient, ResourcePattern,
                         ResourcePatternFilter, ResourceType)
from kafka import errors as kerrors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
TIMEOUT = 60


def tool():
    build = os.environ.get("SEALOG_BUILD", "build")
    path = os.path.join(build, "bin", "sealog-acls")
    if not os.access(path, os.X_OK):
        raise AssertionError("sealog-acls not built: %s" % path)
    return path


def acls(*args, stdin=None, check=True):
    res = subprocess.run([tool()] + list(args), input=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=TIMEOUT)
    out, err = res.stdout.decode(), res.stderr.decode()
    if check and res.returncode != 0:
        raise AssertionError("sealog-acls %s: exit %d\n%s%s"
                             % (" ".join(args), res.returncode, out, err))
    return res.returncode, out, err


def block(title, pattern, entries):
    """kafka-acls 3.x: println(s"$title `$r`: $NL ${e.map("\t"+_)
    .mkString(NL)} $NL")."""
    return "%s `%s`: \n %s \n\n" % (
        title, pattern, "\n".join("\t" + e for e in entries))


def pat(rtype, name, ptype="LITERAL"):
    return "ResourcePattern(resourceType=%s, name=%s, patternType=%s)" % (
        rtype, name, ptype)


def ent(principal, op, perm="ALLOW", host="*"):
    return "(principal=%s, host=%s, operation=%s, permissionType=%s)" % (
        principal, host, op, perm)


def admin(b):
    return KafkaAdminClient(bootstrap_servers=b.bootstrap,
                            request_timeout_ms=15000)


def any_filter(rtype=ResourceType.ANY, name=None,
               ptype=ACLResourcePatternType.ANY):
    return ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                     permission_type=ACLPermissionType.ANY,
                     resource_pattern=ResourcePatternFilter(rtype, name,
                                                            ptype))


def kp_acl(principal, op, perm, rtype, name,
           ptype=ACLResourcePatternType.LITERAL, host="*"):
    return ACL(principal, host, op, perm, ResourcePattern(rtype, name, ptype))


def key(a):
    rp = a.resource_pattern
    return (rp.resource_type, rp.resource_name, rp.pattern_type,
            a.principal, a.host, a.operation, a.permission_type)


def audit_records(b):
    with open(os.path.join(b.data_dir, "audit.log"), "rb") as f:
        return [json.loads(line) for line in f.read().decode().splitlines()]


# -- kafka-python ------------------------------------------------------------

def test_kafka_python(b):
    a = admin(b)
    want = [
        kp_acl("User:alice", ACLOperation.READ, ACLPermissionType.ALLOW,
               ResourceType.TOPIC, "orders"),
        kp_acl("User:*", ACLOperation.WRITE, ACLPermissionType.DENY,
               ResourceType.TOPIC, "*"),
        kp_acl("User:alice", ACLOperation.ALL, ACLPermissionType.ALLOW,
               ResourceType.TOPIC, "ord", ACLResourcePatternType.PREFIXED,
               host="10.0.0.0/8"),
        kp_acl("User:bob", ACLOperation.READ, ACLPermissionType.ALLOW,
               ResourceType.GROUP, "g1"),
        kp_acl("User:bob", ACLOperation.IDEMPOTENT_WRITE,
               ACLPermissionType.ALLOW, ResourceType.CLUSTER,
               "kafka-cluster"),
    ]
    bad = kp_acl("User:x", ACLOperation.ALTER, ACLPermissionType.ALLOW,
                 ResourceType.CLUSTER, "not-the-cluster")
    res = a.create_acls(want + [bad])
    assert [key(x) for x in res["succeeded"]] == [key(x) for x in want], res
    assert len(res["failed"]) == 1, res
    failed_acl, err = res["failed"][0]
    assert err is kerrors.InvalidRequestError, err  # a class, not an instance
    got, err = a.describe_acls(any_filter())
    assert err is kerrors.NoError
    assert sorted(map(key, got)) == sorted(map(key, want)), got
    # MATCH on topic "orders": literal orders, literal *, prefixed ord
    got, _ = a.describe_acls(any_filter(ResourceType.TOPIC, "orders",
                                        ACLResourcePatternType.MATCH))
    assert sorted(map(key, got)) == sorted(map(key, want[:3])), got
    got, _ = a.describe_acls(any_filter(ResourceType.TOPIC, "orders",
                                        ACLResourcePatternType.LITERAL))
    assert list(map(key, got)) == [key(want[0])], got
    got, _ = a.describe_acls(ACLFilter(
        principal="User:bob", host=None, operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(
            ResourceType.ANY, None, ACLResourcePatternType.ANY)))
    assert sorted(map(key, got)) == sorted(map(key, want[3:])), got
    # delete: what each filter matched comes back
    res = a.delete_acls([
        any_filter(ResourceType.TOPIC, "ord", ACLResourcePatternType.PREFIXED),
        any_filter(ResourceType.GROUP, None, ACLResourcePatternType.ANY),
    ])
    assert len(res) == 2, res
    assert [key(m) for m, _ in res[0][1]] == [key(want[2])], res
    assert [key(m) for m, _ in res[1][1]] == [key(want[3])], res
    got, _ = a.describe_acls(any_filter())
    assert sorted(map(key, got)) == sorted(map(key, [want[0], want[1],
                                                     want[4]])), got
    a.close()
    return [want[0], want[1], want[4]]


# -- kafkajs ------------------------------------------------------------------

KAFKAJS = r"""
'use strict'
const { Kafka, logLevel, AclResourceTypes, AclOperationTypes,
        AclPermissionTypes, ResourcePatternTypes } = require('kafkajs')
const spec = JSON.parse(require('fs').readFileSync(process.argv[2]))
const out = process.argv[3]
async function main () {
  const kafka = new Kafka({ clientId: 'sealog-acls-interop',
    brokers: [spec.bootstrap], logLevel: logLevel.NOTHING,
    retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  const acl = [
    { resourceType: AclResourceTypes.TOPIC, resourceName: 'js-topic',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:carol', host: '*',
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.ALLOW },
    { resourceType: AclResourceTypes.GROUP, resourceName: 'js-',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal: 'User:carol', host: '127.0.0.1',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.DENY }
  ]
  const created = await admin.createAcls({ acl })
  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal: 'User:carol',
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY })
  const matched = await admin.describeAcls({
    resourceType: AclResourceTypes.GROUP, resourceName: 'js-group',
    resourcePatternType: ResourcePatternTypes.MATCH,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY })
  const deleted = await admin.deleteAcls({ filters: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: 'js-topic',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:carol', operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY }] })
  let denied = null
  try {
    await admin.createAcls({ acl: [{ ...acl[0], resourceName: 'x' }] })
  } catch (e) { denied = e.type || e.name }
  await admin.disconnect()
  require('fs').writeFileSync(out, JSON.stringify(
    { created, described, matched, deleted, denied }))
}
main().catch(e => { console.error(e); process.exit(1) })
"""


def run_kafkajs(b):
    node = shutil.which("node")
    mods = os.path.join(NODE_DIR, "node_modules")
    if not node or not os.path.isdir(os.path.join(mods, "kafkajs")):
        print("kafkajs not installed (npm ci in %s): kafkajs part skipped"
              % NODE_DIR, flush=True)
        return None
    script = os.path.join(b.tmp, "acls.js")
    spec = os.path.join(b.tmp, "acls-spec.json")
    out = os.path.join(b.tmp, "acls-out.json")
    with open(script, "w") as f:
        f.write(KAFKAJS)
    with open(spec, "w") as f:
        json.dump({"bootstrap": b.bootstrap}, f)
    env = dict(os.environ, NODE_PATH=mods)
    res = subprocess.run([node, script, spec, out], env=env, timeout=TIMEOUT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stdout.write(res.stdout.decode("utf-8", "replace"))
    assert res.returncode == 0, "kafkajs ACL script failed"
    with open(out) as f:
        return json.load(f)


def check_kafkajs(r):
    assert r["created"] is True or r["created"] is None or r["created"], r
    res = r["described"]["resources"]
    got = sorted((x["resourceType"], x["resourceName"],
                  x["resourcePatternType"], a["principal"], a["host"],
                  a["operation"], a["permissionType"])
                 for x in res for a in x["acls"])
    assert got == [(2, "js-topic", 3, "User:carol", "*", 4, 3),
                   (3, "js-", 4, "User:carol", "127.0.0.1", 3, 2)], got
    names = [(x["resourceName"], x["resourcePatternType"])
             for x in r["matched"]["resources"]]
    assert names == [("js-", 4)], names
    fr = r["deleted"]["filterResponses"]
    assert len(fr) == 1 and fr[0]["errorCode"] == 0, fr
    assert [(m["resourceName"], m["operation"]) for m in
            fr[0]["matchingAcls"]] == [("js-topic", 4)], fr


# -- sealog-acls ---------------------------------------------------------------

def test_tool(b, kept):
    bs = ("--bootstrap-server", b.bootstrap)
    _, out, _ = acls(*bs, "--add", "--allow-principal", "User:dave",
                     "--producer", "--topic", "logs", "--idempotent")
    topic_entries = [ent("User:dave", op) for op in
                     ("WRITE", "DESCRIBE", "CREATE")]
    want = (block("Adding ACLs for resource", pat("TOPIC", "logs"),
                  topic_entries) +
            block("Adding ACLs for resource", pat("CLUSTER", "kafka-cluster"),
                  [ent("User:dave", "IDEMPOTENT_WRITE")]) +
            block("Current ACLs for resource", pat("TOPIC", "logs"),
                  topic_entries) +
            block("Current ACLs for resource", pat("CLUSTER", "kafka-cluster"),
                  [ent("User:bob", "IDEMPOTENT_WRITE"),
                   ent("User:dave", "IDEMPOTENT_WRITE")]))
    harness.check_equal("--add --producer output", out.split("\n"),
                        want.split("\n"))
    _, out, _ = acls(*bs, "--add", "--allow-principal", "User:erin",
                     "--consumer", "--topic", "logs", "--group", "readers",
                     "--resource-pattern-type", "prefixed")
    assert block("Adding ACLs for resource", pat("GROUP", "readers",
                                                 "PREFIXED"),
                 [ent("User:erin", "READ")]) in out, out
    _, out, _ = acls(*bs, "--add", "--deny-principal", "User:*",
                     "--deny-host", "10.0.0.0/8", "--operation", "Read",
                     "--operation", "describe", "--topic", "orders")
    # --list with --principal: one section per principal, only its entries
    _, out, _ = acls(*bs, "--list", "--principal", "User:dave",
                     "--principal", "User:alice")
    # (resources in the order their first binding was created)
    want = ("ACLs for principal `User:dave`\n" +
            block("Current ACLs for resource", pat("CLUSTER", "kafka-cluster"),
                  [ent("User:dave", "IDEMPOTENT_WRITE")]) +
            block("Current ACLs for resource", pat("TOPIC", "logs"),
                  topic_entries) +
            "ACLs for principal `User:alice`\n" +
            block("Current ACLs for resource", pat("TOPIC", "orders"),
                  [ent("User:alice", "READ")]))
    harness.check_equal("--list --principal", out.split("\n"),
                        want.split("\n"))
    # MATCH: every pattern that affects topic orders
    _, out, _ = acls(*bs, "--list", "--topic", "orders",
                     "--resource-pattern-type", "match")
    want = (block("Current ACLs for resource", pat("TOPIC", "orders"),
                  [ent("User:alice", "READ"),
                   ent("User:*", "READ", "DENY", "10.0.0.0/8"),
                   ent("User:*", "DESCRIBE", "DENY", "10.0.0.0/8")]) +
            block("Current ACLs for resource", pat("TOPIC", "*"),
                  [ent("User:*", "WRITE", "DENY")]))
    harness.check_equal("--list match", out.split("\n"), want.split("\n"))
    # the independent oracle sees the same bindings
    a = admin(b)
    got, _ = a.describe_acls(any_filter(ResourceType.TOPIC, "orders",
                                        ACLResourcePatternType.LITERAL))
    assert sorted((x.principal, x.host, x.operation) for x in got) == sorted([
        ("User:alice", "*", ACLOperation.READ),
        ("User:*", "10.0.0.0/8", ACLOperation.READ),
        ("User:*", "10.0.0.0/8", ACLOperation.DESCRIBE)]), got
    a.close()
    # --remove: the prompt, "n" keeps, --force removes exactly the entry
    rc, out, _ = acls(*bs, "--remove", "--deny-principal", "User:*",
                      "--deny-host", "10.0.0.0/8", "--operation", "Read",
                      "--topic", "orders", stdin=b"n\n")
    assert out.startswith(
        "Are you sure you want to remove ACLs: \n \t%s \n from resource "
        "filter `%s`? (y/n)\n" % (ent("User:*", "READ", "DENY", "10.0.0.0/8"),
                                  pat("TOPIC", "orders"))), out
    assert "operation=READ, permissionType=DENY" in out, out
    _, out, _ = acls(*bs, "--remove", "--force", "--deny-principal",
                     "User:*", "--deny-host", "10.0.0.0/8", "--operation",
                     "Read", "--topic", "orders")
    assert out == block("Current ACLs for resource", pat("TOPIC", "orders"),
                        [ent("User:alice", "READ"),
                         ent("User:*", "DESCRIBE", "DENY", "10.0.0.0/8")]), out
    # all ACLs of a resource, after "y"
    _, out, _ = acls(*bs, "--remove", "--topic", "logs", stdin=b"Y\n")
    assert out == ("Are you sure you want to delete all ACLs for resource "
                   "filter `%s`? (y/n)\n" % pat("TOPIC", "logs")), out
    _, out, _ = acls(*bs, "--list", "--topic", "logs")
    assert out == "", out
    # --explain over the running broker's bindings
    rc, out, _ = acls(*bs, "--explain", "--principal", "User:mallory",
                      "--operation", "Describe", "--topic", "orders",
                      "--host", "10.1.1.1", check=False)
    assert rc == 3 and "is Denied operation = DESCRIBE" in out, (rc, out)
    assert "permissionType=DENY" in out, out
    rc, out, _ = acls(*bs, "--explain", "--principal", "User:alice",
                      "--operation", "Describe", "--topic", "orders",
                      "--host", "192.168.1.1", check=False)
    assert rc == 0 and out.startswith(
        "Principal = User:alice is Allowed operation = DESCRIBE from host = "
        "192.168.1.1 on resource = Topic:LITERAL:orders based on rule "
        "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName="
        "orders, patternType=LITERAL, principal=User:alice, host=*, "
        "operation=READ, permissionType=ALLOW))\n"), out
    # a binding the broker refuses: Kafka's error line, exit 1
    rc, out, _ = acls(*bs, "--add", "--allow-principal", "User:x",
                      "--allow-host", "1.2.3.4/40", "--topic", "t",
                      check=False)
    assert rc == 1 and out.splitlines()[-1] == (
        "Error while executing ACL command: "
        "org.apache.kafka.common.errors.InvalidRequestException: Invalid "
        "host 1.2.3.4/40: expected *, an IP address or a CIDR range"), out


def test_security_disabled():
    with harness.Broker() as b:
        rc, out, _ = acls("--bootstrap-server", b.bootstrap, "--list",
                          check=False)
        assert rc == 1 and out == (
            "Error while executing ACL command: org.apache.kafka.common."
            "errors.SecurityDisabledException: No Authorizer is configured "
            "on the broker\n"), out
        rc, out, _ = acls("--bootstrap-server", b.bootstrap, "--add",
                          "--allow-principal", "User:a", "--topic", "t",
                          check=False)
        assert rc == 1 and out.endswith(
            "Error while executing ACL command: org.apache.kafka.common."
            "errors.SecurityDisabledException: No Authorizer is configured."
            "\n"), out
        a = admin(b)
        try:
            a.describe_acls(any_filter())
            raise AssertionError("describe_acls without an authorizer")
        except kerrors.SecurityDisabledError:
            pass
        a.close()


def test_no_broker():
    cfg = tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False)
    cfg.write("default.api.timeout.ms=1500\nretry.backoff.ms=100\n")
    cfg.close()
    rc, out, _ = acls("--bootstrap-server", "127.0.0.1:%d" % harness.free_port(),
                      "--command-config", cfg.name, "--list", check=False)
    os.unlink(cfg.name)
    assert rc == 1 and out.startswith(
        "Error while executing ACL command: org.apache.kafka.common.errors."
        "TimeoutException: "), out


def test_revocation():
    """The trivup / kafka-python fixture convention: an authorizer on
    PLAINTEXT with allow.everyone.if.no.acl.found=true. A DENY for User:*
    on the cluster applies to an admin client whose connection is already
    open."""
    ov = {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
          "allow.everyone.if.no.acl.found": "true"}
    with harness.Broker(ov) as b:
        a = admin(b)
        t = kp_acl("User:x", ACLOperation.READ, ACLPermissionType.ALLOW,
                   ResourceType.TOPIC, "t")
        assert a.create_acls([t])["failed"] == []
        deny = kp_acl("User:*", ACLOperation.ALTER, ACLPermissionType.DENY,
                      ResourceType.CLUSTER, "kafka-cluster")
        assert a.create_acls([deny])["failed"] == []
        res = a.create_acls([kp_acl("User:y", ACLOperation.READ,
                                    ACLPermissionType.ALLOW,
                                    ResourceType.TOPIC, "t")])
        assert len(res["failed"]) == 1, res
        assert res["failed"][0][1] is \
            kerrors.ClusterAuthorizationFailedError, res
        a.close()
        rc, out, _ = acls("--bootstrap-server", b.bootstrap, "--add",
                          "--allow-principal", "User:z", "--topic", "t",
                          check=False)
        assert rc == 1 and out.endswith(
            "Error while executing ACL command: org.apache.kafka.common."
            "errors.ClusterAuthorizationException: Cluster authorization "
            "failed.\n"), out
        denials = [r for r in audit_records(b)
                   if r["event"] == "authorization"]
        assert denials and all(r["result"] == "DENIED" and
                               r["principal"] == "User:ANONYMOUS" and
                               r["operation"] == "ALTER" for r in denials), \
            denials


def test_first_admin_offline():
    """Grant User:ANONYMOUS Alter+Describe on the cluster before the first
    start; with no fallback and no super user that is what lets it in."""
    tmp = tempfile.mkdtemp(prefix="sealog-acls-")
    data = os.path.join(tmp, "data")
    try:
        acls("--data-dir", data, "--add", "--allow-principal",
             "User:ANONYMOUS", "--operation", "Alter", "--operation",
             "Describe", "--cluster")
        b = harness.Broker({"authorizer.class.name": AUTHORIZER})
        b.data_dir = data
        b.start()
        rc, out, _ = acls("--data-dir", data, "--list", check=False)
        assert rc == 1 and "in use by a running broker" in out, out
        rc, out, _ = acls("--bootstrap-server", b.bootstrap, "--list",
                          "--cluster")
        assert out == block("Current ACLs for resource",
                            pat("CLUSTER", "kafka-cluster"),
                            [ent("User:ANONYMOUS", "ALTER"),
                             ent("User:ANONYMOUS", "DESCRIBE")]), out
        b.stop()
        rc, out, _ = acls("--data-dir", data, "--list", "--cluster")
        assert "User:ANONYMOUS" in out, out
        recs = audit_records(b)
        assert recs[0]["listener"] == "data-dir" and \
            recs[0]["event"] == "acl", recs
        b.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_super_user():
    ov = {"authorizer.class.name": "kafka.security.auth.SimpleAclAuthorizer",
          "super.users": "User:admin;User:ANONYMOUS"}
    with harness.Broker(ov) as b:
        kept = test_kafka_python(b)
        r = run_kafkajs(b)
        if r is not None:
            check_kafkajs(r)
        test_tool(b, kept)
        b.restart()
        a = admin(b)
        got, _ = a.describe_acls(any_filter(ResourceType.CLUSTER))
        assert sorted(x.principal for x in got) == ["User:bob", "User:dave"], \
            got
        a.close()
        recs = audit_records(b)
        for r in recs:
            assert r["event"] in ("acl", "authorization"), r
            assert r["time"].endswith("Z") and r["result"], r
        creates = [r for r in recs if r["event"] == "acl" and
                   r["action"] == "create" and r["result"] == "SUCCESS"]
        assert any(r["client_id"] == "sealog-acls" for r in creates), creates
        assert any(r["resource"]["pattern_type"] == "PREFIXED"
                   for r in creates)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no ACL APIs")
    test_super_user()
    test_security_disabled()
    test_revocation()
    test_first_admin_offline()
    test_no_broker()


if __name__ == "__main__":
    harness.run(test)
