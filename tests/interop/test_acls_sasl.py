"""ACLs with authenticated principals on sealogd's own listeners: SASL
user names (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and mutual-TLS DNs
mapped by ssl.principal.mapping.rules, driven by sealog-acls over
SASL_PLAINTEXT / SSL and by kafka-python over SASL PLAIN.

A PLAINTEXT listener is the operator's door (User:ANONYMOUS is a super
user there); SCRAM credentials are created through it with raw
AlterUserScramCredentials frames (kafka-python 2.0.2 has no such call).
Covered: allowed and denied principals, a prefixed and a wildcard
binding, DENY for User:* overriding an ALLOW while the super user is
unaffected, revocation on an open SASL connection, wrong passwords, and
the authentication / authorization / ACL records of the audit log.
"""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "wire"))
import harness  # noqa: E402
import kwire  # noqa: E402

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
SCRAM_USER, SCRAM_PW = "carol", "carol, the = pw"


def build_dir():
    return os.environ.get("SEALOG_BUILD", "build")


def tool(*args):
    res = subprocess.run([os.path.join(build_dir(), "bin", "sealog-acls")] +
                         list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    return res.returncode, res.stdout.decode(), res.stderr.decode()


def props(tmp, name, lines):
    path = os.path.join(tmp, name + ".properties")
    with open(path, "w") as f:
        f.write("default.api.timeout.ms=5000\nrequest.timeout.ms=5000\n" +
                "\n".join(lines) + "\n")
    return path


def plain_cfg(tmp, user, pw):
    return props(tmp, "plain-" + user, [
        "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN",
        'sasl.jaas.config=org.apache.kafka.common.security.plain.'
        'PlainLoginModule required username="%s" password="%s";' % (user, pw)])


def scram_cfg(tmp, mech, user, pw):
    return props(tmp, mech + user + str(len(pw)), [
        "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=" + mech,
        'sasl.jaas.config=org.apache.kafka.common.security.scram.'
        'ScramLoginModule required username="%s" password="%s";' % (user, pw)])


def as_user(port, cfg, *args):
    return tool("--bootstrap-server", "127.0.0.1:%d" % port,
                "--command-config", cfg, *args)


def admin(b, *args):
    rc, out, err = tool("--bootstrap-server", b.bootstrap, *args)
    assert rc == 0, out + err
    return out


def scram_upsert(port, user, pw, mech, iterations=4096):
    """AlterUserScramCredentials v0 (flexible) on the operator listener."""
    h, code = {"SCRAM-SHA-256": ("sha256", 1),
               "SCRAM-SHA-512": ("sha512", 2)}[mech]
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(h, pw.encode(), salt, iterations)
    up = (kwire.cstring(user) + kwire.i8(code) + struct.pack(">i", iterations)
          + kwire.uvarint(len(salt) + 1) + salt
          + kwire.uvarint(len(salted) + 1) + salted + kwire.NO_TAGS)
    body = kwire.carray([]) + kwire.carray([up]) + kwire.NO_TAGS
    with kwire.connect(port) as s:
        r = kwire.call(s, 51, 0, 7, body, flexible=True)
    r.i32()
    results = r.carray(lambda x: (x.cstring(), x.i16(), x.cstring(),
                                  x.tags()))
    assert [(u, e) for u, e, _, _ in results] == [(user, 0)], results


def ok(res, what, text=None):
    rc, out, err = res
    assert rc == 0, "%s: exit %d\n%s%s" % (what, rc, out, err)
    if text:
        assert text in out, (what, out)
    return out


def fails(res, what, text):
    rc, out, err = res
    assert rc == 1 and text in out, "%s: exit %d\n%s%s" % (what, rc, out, err)


def broker_config(certs, ports):
    jaas = " ".join('user_%s="%s"' % kv for kv in USERS.items())
    return {
        "listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,"
                     "SSL://127.0.0.1:%d" % ports,
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config":
            "org.apache.kafka.common.security.plain.PlainLoginModule "
            "required %s;" % jaas,
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule "
            "required;",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule "
            "required;",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": os.path.join(certs, "broker.pem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": os.path.join(certs, "ca.pem"),
        "listener.name.ssl.ssl.client.auth": "required",
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+).*$/$1/,DEFAULT",
        "authorizer.class.name":
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:ANONYMOUS",
    }


def start(certs):
    ports = (harness.free_port(), harness.free_port(), harness.free_port())
    b = harness.Broker(broker_config(certs, ports))
    b.port = ports[0]
    b.bootstrap = "127.0.0.1:%d" % ports[0]
    b.spawn()
    try:
        b.wait_ready()
    except AssertionError:
        log = b.log_bytes().decode("utf-8", "replace")
        b.close()
        harness.skip("sealogd does not serve these listeners yet:\n" +
                     log[-2000:])
    return b, ports


def sasl_cases(b, tmp, port):
    alice = plain_cfg(tmp, "alice", USERS["alice"])
    bob = plain_cfg(tmp, "bob", USERS["bob"])
    admin(b, "--add", "--allow-principal", "User:alice", "--operation",
          "Alter", "--operation", "Describe", "--cluster")
    out = ok(as_user(port, alice, "--add", "--allow-principal",
                     "User:dave", "--producer", "--topic", "app.",
                     "--resource-pattern-type", "prefixed"), "alice adds")
    assert "name=app., patternType=PREFIXED" in out, out
    fails(as_user(port, bob, "--list"), "bob lists",
          "ClusterAuthorizationException: Cluster authorization failed.")
    fails(as_user(port, plain_cfg(tmp, "bob2", "wrong"), "--list"),
          "bad password", "SaslAuthenticationException")
    # a wildcard ALLOW lets bob describe; a DENY for User:* beats it and
    # every ALLOW -- but not the super user
    ok(as_user(port, alice, "--add", "--allow-principal", "User:*",
               "--operation", "Describe", "--cluster"), "wildcard allow")
    ok(as_user(port, bob, "--list", "--cluster"), "bob lists", "User:alice")
    return alice, bob


def revocation(b, tmp, port, bob):
    from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType,
                             ACLResourcePatternType, KafkaAdminClient,
                             ResourcePatternFilter, ResourceType)
    from kafka import errors as kerrors
    a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % port,
                         security_protocol="SASL_PLAINTEXT",
                         sasl_mechanism="PLAIN", sasl_plain_username="bob",
                         sasl_plain_password=USERS["bob"],
                         request_timeout_ms=15000)
    f = ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                  permission_type=ACLPermissionType.ANY,
                  resource_pattern=ResourcePatternFilter(
                      ResourceType.ANY, None, ACLResourcePatternType.ANY))
    got, err = a.describe_acls(f)
    assert err is kerrors.NoError and got, got
    admin(b, "--add", "--deny-principal", "User:*", "--operation",
          "Describe", "--cluster")
    try:
        a.describe_acls(f)
        raise AssertionError("bob's open connection still describes")
    except kerrors.ClusterAuthorizationFailedError:
        pass
    a.close()
    fails(as_user(port, plain_cfg(tmp, "alice", USERS["alice"]), "--list"),
          "DENY User:* beats alice's ALLOW", "ClusterAuthorizationException")
    admin(b, "--list")  # the super user is not affected
    admin(b, "--remove", "--force", "--deny-principal", "User:*",
          "--operation", "Describe", "--cluster")


def scram_cases(b, tmp, port):
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        scram_upsert(b.port, SCRAM_USER, SCRAM_PW, mech)
    admin(b, "--add", "--allow-principal", "User:" + SCRAM_USER,
          "--operation", "Describe", "--cluster")
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        ok(as_user(port, scram_cfg(tmp, mech, SCRAM_USER, SCRAM_PW),
                   "--list", "--cluster"), mech, "User:" + SCRAM_USER)
        fails(as_user(port, scram_cfg(tmp, mech, SCRAM_USER, "nope"),
                      "--list"), mech + " wrong password",
              "SaslAuthenticationException")


def mtls_cases(b, tmp, certs, port):
    def cfg(name, keystore):
        return props(tmp, "mtls-" + name, [
            "security.protocol=SSL", "ssl.truststore.type=PEM",
            "ssl.truststore.location=" + os.path.join(certs, "ca.pem"),
            "ssl.keystore.type=PEM", "ssl.keystore.location=" + keystore])
    alice = cfg("alice", os.path.join(certs, "client-alice.pem"))
    mallory = cfg("mallory", os.path.join(certs, "client-mallory.pem"))
    # the mapped DN CN=alice,... is User:alice: her cluster ACLs apply
    ok(as_user(port, alice, "--add", "--allow-principal", "User:erin",
               "--topic", "mtls"), "mTLS alice adds")
    fails(as_user(port, mallory, "--add", "--allow-principal", "User:erin",
                  "--topic", "x"), "mTLS mallory",
          "ClusterAuthorizationException")


def check_audit(b):
    with open(os.path.join(b.data_dir, "audit.log"), "rb") as f:
        recs = [json.loads(x) for x in f.read().decode().splitlines()]
    authn = [r for r in recs if r["event"] == "authentication"]
    assert any(r["result"] == "SUCCESS" and r["principal"] == "User:alice"
               and r["mechanism"] == "PLAIN" for r in authn), authn
    assert any(r["result"] == "FAILED" and "principal" not in r
               for r in authn), authn
    assert any(r.get("mechanism", "").startswith("SCRAM") and
               r["result"] == "SUCCESS" for r in authn), authn
    denied = [r for r in recs if r["event"] == "authorization"]
    assert any(r["principal"] == "User:bob" and
               r["listener"] == "SASL_PLAINTEXT" for r in denied), denied
    acl = [r for r in recs if r["event"] == "acl" and
           r["principal"] == "User:alice"]
    assert acl, "no ACL change by User:alice"
    for r in recs:
        text = json.dumps(r)
        for secret in list(USERS.values()) + [SCRAM_PW]:
            assert secret not in text, r


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no SASL")
    certgen = os.path.join(build_dir(), "bin", "sealog-certs")
    if not os.access(certgen, os.X_OK):
        harness.skip("sealog-certs not built")
    harness.need_module("kafka")
    tmp = tempfile.mkdtemp(prefix="sealog-acls-sasl-")
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run([certgen, "--quiet", "--client", "alice", "--client",
                        "mallory", certs], check=True)
        b, (p_plain, p_sasl, p_ssl) = start(certs)
        _, bob = sasl_cases(b, tmp, p_sasl)
        revocation(b, tmp, p_sasl, bob)
        scram_cases(b, tmp, p_sasl)
        mtls_cases(b, tmp, certs, p_ssl)
        check_audit(b)
        b.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.run(test)
