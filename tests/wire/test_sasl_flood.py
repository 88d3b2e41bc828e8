"""A flood of wrong PLAIN logins must not take the broker down
(broker/auth_login.c).

A PLAIN password is checked against the SCRAM store with PBKDF2 (ms of
CPU), and a client need not wait for the answer: it connects, sends
SaslHandshake + SaslAuthenticate with a wrong password and closes, in a
loop. Before the login budget one such loop (here ~1000 attempts a
second) kept the broker thread busy
with nothing else: an ApiVersions on another listener went unanswered
for over 30 s. Now, while the loop runs (bounded: at most 10 s and
100,000 attempts), against the same broker:

- every ApiVersions on the PLAINTEXT listener is answered, the slowest
  within 5 s (a liveness bound, not a benchmark: it is ~30 ms here);
- a correct PLAIN login on the SASL listener succeeds;
- afterwards a wrong password still fails with SASL_AUTHENTICATION_FAILED.
"""

import os
import socket
import threading
import time

from wirecommon import harness, kwire

SASL_HANDSHAKE, SASL_AUTHENTICATE, ALTER_SCRAM = 17, 36, 51
SASL_AUTHENTICATION_FAILED = 58
FLOOD_S, FLOOD_MAX = 10.0, 100000
PROBE_S = 3.0
FLOODERS = 2
CORR = [0]


def corr():
    CORR[0] += 1
    return CORR[0]


def token(user, pw):
    return ("\0%s\0%s" % (user, pw)).encode()


def attempt_frames(user, pw):
    return (kwire.request(SASL_HANDSHAKE, 1, 1, kwire.string("PLAIN")) +
            kwire.request(SASL_AUTHENTICATE, 1, 2,
                          kwire.nbytes(token(user, pw))))


def login(port, user, pw, timeout=30):
    """-> the SaslAuthenticate error code."""
    with kwire.connect(port, timeout=timeout) as s:
        r = kwire.call(s, SASL_HANDSHAKE, 1, corr(), kwire.string("PLAIN"))
        assert r.i16() == 0
        r = kwire.call(s, SASL_AUTHENTICATE, 1, corr(),
                       kwire.nbytes(token(user, pw)))
        return r.i16()


def add_user(port, user, pw):
    """AlterUserScramCredentials v0: SCRAM-SHA-512 (PBKDF2-SHA512, 4096)."""
    import hashlib
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, 4096)
    up = (kwire.cstring(user) + kwire.i8(2) + kwire.i32(4096) +
          kwire.uvarint(len(salt) + 1) + salt +
          kwire.uvarint(len(salted) + 1) + salted + kwire.NO_TAGS)
    body = kwire.carray([]) + kwire.carray([up]) + kwire.NO_TAGS
    with kwire.connect(port) as s:
        r = kwire.call(s, ALTER_SCRAM, 0, corr(), body, flexible=True)
        r.i32()
        res = r.carray(lambda x: (x.cstring(), x.i16(), x.cstring(), x.tags()))
        assert res[0][1] == 0, res


def flood(port, stop, count):
    frames = attempt_frames("victim", "wrong-password")
    deadline = time.monotonic() + FLOOD_S
    while not stop.is_set() and count[0] < FLOOD_MAX and \
            time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(frames)
            s.close()
            count[0] += 1  # (racy between threads: a rough count)
        except OSError:
            time.sleep(0.01)
        # ~500 attempts/s a thread: more than a second of PBKDF2 per
        # second unbudgeted, while the connection churn alone stays light
        # (even under ASan).
        time.sleep(0.001)


def test():
    if harness.target_is_mock():
        harness.skip("the mock cluster has no SASL listeners")
    sasl_port = harness.free_port()
    b = harness.Broker({"sasl.enabled.mechanisms": "PLAIN",
                        "connection.failed.authentication.delay.ms": "100"})
    b.overrides["listeners"] = ("PLAINTEXT://127.0.0.1:%d,"
                                "SASL_PLAINTEXT://127.0.0.1:%d"
                                % (b.port, sasl_port))
    b.start()
    add_user(b.port, "victim", "right-password")
    assert login(sasl_port, "victim", "right-password") == 0
    stop, count = threading.Event(), [0]
    flooders = [threading.Thread(target=flood, args=(sasl_port, stop, count))
                for _ in range(FLOODERS)]
    for t in flooders:
        t.start()
    worst, answered = 0.0, 0
    try:
        with kwire.connect(b.port, timeout=30) as s:
            t_start = time.monotonic()
            while time.monotonic() < t_start + PROBE_S:
                t0 = time.monotonic()
                kwire.call(s, kwire.API_VERSIONS, 0, corr(), b"")
                worst = max(worst, time.monotonic() - t0)
                answered += 1
                time.sleep(0.02)
        before = count[0]
        t0 = time.monotonic()
        err = login(sasl_port, "victim", "right-password")
        took = time.monotonic() - t0
        time.sleep(0.2)
        during = count[0] > before  # the flood was still running
    finally:
        stop.set()
        for t in flooders:
            t.join()
    print("%d attempts; %d ApiVersions, slowest %.3f s; login under the "
          "flood %.2f s" % (count[0], answered, worst, took), flush=True)
    assert count[0] >= 100, "the flood did not get going"
    assert worst < 5.0, "ApiVersions took %.1f s under the flood" % worst
    assert err == 0, "the right password failed under the flood: %d" % err
    assert during, "the flood ended before the login: nothing was shown"
    assert login(sasl_port, "victim", "wrong") == SASL_AUTHENTICATION_FAILED
    b.stop()


if __name__ == "__main__":
    harness.run(test)
