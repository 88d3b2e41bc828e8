"""sealog-storage format --add-scram: the first SCRAM admin before the
broker first starts (kafka-storage.sh's syntax and rules).

- specs with password (default and explicit iterations) and with
  salt+saltedpassword; the users log in with kcat (SCRAM-SHA-256/512) and
  kafka-python; DescribeUserScramCredentials shows their iterations;
- -t sets the cluster id the broker then reports (Metadata v2+);
- no password in the tool's output, and none in any file of the data
  directory (only salt/StoredKey/ServerKey, sealed);
- bad specs exit 2 without echoing secrets; a formatted directory exits 1
  ("already formatted"), or 0 and untouched with --ignore-formatted; a
  directory a running broker holds is refused.
"""

import base64
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_sasl_lib as lib  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(lib.HERE), "wire"))
import kwire  # noqa: E402

PW = {"root": "root-pw-Aa19", "ops": "ops,pw]=5\"q", "salty": "salty-pw-Rr40"}
CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg"


def tool(*args):
    res = subprocess.run([lib.tool("sealog-storage")] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=60)
    return res.returncode, res.stdout.decode()


def salted_spec(name, pw):
    salt = os.urandom(24)
    sp = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 4096)
    return "SCRAM-SHA-256=[name=%s,salt=%s,saltedpassword=%s,iterations=4096]" % (
        name, base64.b64encode(salt).decode(), base64.b64encode(sp).decode())


def describe(port, users):
    arr = kwire.carray([kwire.cstring(u) + kwire.NO_TAGS for u in users])
    with kwire.connect(port) as s:
        s.sendall(kwire.request(50, 0, 1, arr + kwire.NO_TAGS, flexible=True))
        r = kwire.response(s, 1, True)
        r.i32(), r.i16(), r.cstring()

        def info(x):
            out = (x.i8(), x.i32())
            x.tags()
            return out

        def res(x):
            out = (x.cstring(), x.i16(), x.cstring(), x.carray(info))
            x.tags()
            return out
        return {u: (e, i) for u, e, _, i in r.carray(res)}


def cluster_id(port):
    with kwire.connect(port) as s:
        r = kwire.call(s, kwire.API_METADATA, 2, 1, kwire.i32(-1))
        r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
        return r.string()


def check_bad_specs(cfg, data):
    bad = ["SCRAM-SHA-1=[name=a,password=%s]" % PW["root"],
           "SCRAM-SHA-256=[password=%s]" % PW["root"],
           "SCRAM-SHA-256=[name=a,password=%s,saltedpassword=AAAA,salt=AAAA]" % PW["root"],
           "SCRAM-SHA-256=[name=a,iterations=1000,password=%s]" % PW["root"],
           "SCRAM-SHA-256=[name=a,password=\"%s]" % PW["root"],
           "SCRAM-SHA-256=[name=a,colour=blue,password=%s]" % PW["root"],
           "SCRAM-SHA-256=name=a,password=%s" % PW["root"]]
    for spec in bad:
        rc, out = tool("format", "-c", cfg, "--override", "log.dirs=" + data,
                       "--add-scram", spec)
        assert rc == 2, "spec %r: exit %d\n%s" % (spec, rc, out)
        assert PW["root"] not in out, "the password echoed: %s" % out
    assert not os.path.exists(os.path.join(data, "meta")), \
        "a rejected spec touched the directory"


def test():
    if harness.target_is_mock():
        harness.skip("sealogd only")
    sasl_port = harness.free_port()
    b = harness.Broker()
    cfg = os.path.join(b.tmp, "server.properties")
    listeners = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (
        b.port, sasl_port)
    with open(cfg, "w") as f:
        f.write("listeners=%s\nlog.dirs=%s\n"
                "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN\n"
                % (listeners, b.data_dir))
    b.config_file = cfg
    b.overrides["listeners"] = listeners
    check_bad_specs(cfg, b.data_dir)
    rc, out = tool("random-uuid")
    assert rc == 0 and len(out.strip()) == 22, out
    rc, out = tool("format", "-c", cfg, "-t", CLUSTER_ID,
                   "--add-scram", "SCRAM-SHA-256=[name=root,password=%s]" % PW["root"],
                   "--add-scram", "SCRAM-SHA-512=[name=root,iterations=8192,password=%s]" % PW["root"],
                   "--add-scram", 'SCRAM-SHA-512=[name=ops,password="%s"]'
                   % PW["ops"].replace("\\", "\\\\").replace('"', '\\"'),
                   "--add-scram", salted_spec("salty", PW["salty"]))
    assert rc == 0, out
    assert "Formatting %s with cluster id %s" % (b.data_dir, CLUSTER_ID) in out, out
    for pw in PW.values():
        assert pw not in out
    rc, out = tool("format", "-c", cfg, "--add-scram",
                   "SCRAM-SHA-256=[name=late,password=x1]")
    assert rc == 1 and "already formatted" in out, out
    rc, out = tool("format", "-c", cfg, "--ignore-formatted", "--add-scram",
                   "SCRAM-SHA-256=[name=late,password=x1]")
    assert rc == 0 and "skipped" in out, out
    for root, _, files in os.walk(b.data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            for pw in PW.values():
                assert pw.encode() not in data, "a password in %s" % name
    b.start()
    rc, out = tool("format", "-c", cfg, "--add-scram",
                   "SCRAM-SHA-256=[name=x,password=y]")
    assert rc == 1 and "in use by a running broker" in out, out
    assert cluster_id(b.port) == CLUSTER_ID
    got = describe(b.port, ["root", "ops", "salty", "late"])
    assert got["root"] == (0, [(1, 4096), (2, 8192)]), got
    assert got["ops"] == (0, [(2, 4096)]) and got["salty"] == (0, [(1, 4096)])
    assert got["late"][0] == 91, got
    url = "127.0.0.1:%d" % sasl_port
    for user, mech in (("root", "SCRAM-SHA-256"), ("root", "SCRAM-SHA-512"),
                       ("ops", "SCRAM-SHA-512"), ("salty", "SCRAM-SHA-256"),
                       ("salty", "PLAIN")):
        sec = lib.Sec("SASL_PLAINTEXT", mech, user, PW[user])
        assert "broker 1 at" in lib.kcat_metadata(url, sec)
    lib.kp_produce(url, lib.Sec("SASL_PLAINTEXT", "SCRAM-SHA-512", "ops", PW["ops"]),
                   "storage-users", lib.records(3, 1))
    lib.kcat_fails(url, lib.Sec("SASL_PLAINTEXT", "SCRAM-SHA-256", "late", "x1"),
                   ["Authentication failed"])
    b.stop()
    lib.no_secrets(b, PW.values(), [os.path.join(b.data_dir, "audit.log")])


if __name__ == "__main__":
    harness.run(test)
