"""Spawn a real sealogd (or librdkafka's mock cluster) for one test.

Stdlib only. Used by tests/interop (real clients) and tests/wire (raw
frames). Environment, set by sealog_add_script_test():

  SEALOGD       path of the sealogd binary
  SEALOG_BUILD  the CMake build directory (for bin/mockbroker)
  SEALOG_SRC    the source tree
  SEALOG_TARGET "mock" runs tools/mockbroker instead of sealogd: a check of
                the client scripts themselves. The mock keeps nothing across
                restart() and lacks several admin APIs.

Every broker gets a fresh temporary data directory and a free loopback
port; the process is always reaped by PID (finally + atexit), and its log
is printed when a test fails.
"""

import atexit
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77
READY_RE = re.compile(rb"Kafka Server started")
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0

_live = []


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


# Below the kernel's ephemeral range (net.ipv4.ip_local_port_range,
# 32768-60999 by default): a port from bind(0) there can be taken, while
# its broker restarts, by the local end of any client connection of a
# test running in parallel (the flood tests open thousands), and the
# restart then fails with EADDRINUSE.
PORT_LOW, PORT_HIGH = 20000, 32000


def free_port():
    """A loopback port outside the ephemeral range that was free a moment
    ago (bound, then released)."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(PORT_LOW, PORT_HIGH)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in %d-%d" % (PORT_LOW, PORT_HIGH))


def target_is_mock():
    return os.environ.get("SEALOG_TARGET", "") == "mock"


def sealogd_path():
    path = os.environ.get("SEALOGD")
    if not path:
        build = os.environ.get("SEALOG_BUILD", "build")
        path = os.path.join(build, "bin", "sealogd")
    return path


def mockbroker_path():
    build = os.environ.get("SEALOG_BUILD", "build")
    return os.path.join(build, "bin", "mockbroker")


class Broker:
    """One broker process. overrides: dict of Kafka config keys."""

    def __init__(self, overrides=None, config_file=None, mock_topics=None):
        self.is_mock = target_is_mock()
        self.overrides = dict(overrides or {})
        self.config_file = config_file
        self.mock_topics = dict(mock_topics or {})
        self.tmp = tempfile.mkdtemp(prefix="sealog-test-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "broker.log")
        self.port = free_port()
        self.proc = None
        self.bootstrap = "127.0.0.1:%d" % self.port
        self.starts = 0
        _live.append(self)

    # -- process control -------------------------------------------------

    def argv(self):
        if self.is_mock:
            argv = [mockbroker_path()]
            for name, parts in self.mock_topics.items():
                argv += ["--topic", "%s:%d" % (name, parts)]
            return argv
        argv = [sealogd_path()]
        if self.config_file:
            argv.append(self.config_file)
        ov = {
            "listeners": "PLAINTEXT://127.0.0.1:%d" % self.port,
            "log.dirs": self.data_dir,
        }
        ov.update(self.overrides)
        for k, v in ov.items():
            argv += ["--override", "%s=%s" % (k, v)]
        return argv

    def env(self):
        env = dict(os.environ)
        env["SEALOG_CONFIG_FROM_ENV"] = "0"
        return env

    def spawn(self):
        """Start without waiting for readiness (for start-up error tests)."""
        argv = self.argv()
        if not os.access(argv[0], os.X_OK):
            raise AssertionError("broker binary not found: %s" % argv[0])
        log = open(self.log_path, "ab")
        log.write(b"=== start %d: %s\n" % (self.starts, " ".join(argv).encode()))
        log.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     env=self.env(), cwd=self.tmp)
        log.close()
        self.starts += 1
        return self.proc

    def start(self):
        self.spawn()
        self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            text = self.log_bytes()
            if self.is_mock:
                m = re.search(rb"BOOTSTRAP (\S+)", text)
                if m:
                    self.bootstrap = m.group(1).decode()
                    self.port = int(self.bootstrap.split(",")[0]
                                    .rsplit(":", 1)[1])
                    return
            elif READY_RE.search(text.split(b"=== start")[-1]):
                return
            if self.proc.poll() is not None:
                raise AssertionError("broker exited with %d before ready"
                                     % self.proc.returncode)
            time.sleep(0.05)
        raise AssertionError("broker not ready within %.0f s" % READY_TIMEOUT)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM; Kafka semantics: clean exit (0) within 5 s."""
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            raise AssertionError("broker not running (rc=%r)" % rc)
        self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit(STOP_TIMEOUT)
        if rc is None:
            self._kill()
            raise AssertionError("broker did not exit within %.0f s of "
                                 "SIGTERM" % STOP_TIMEOUT)
        if rc != 0:
            raise AssertionError("broker exited %d after SIGTERM" % rc)

    def kill9(self):
        if self.is_mock:
            print("mock: kill9 ignored (the mock keeps no data)", flush=True)
            return
        self._kill()

    def restart(self, clean=True):
        """Stop (SIGTERM, or nothing after kill9) and start on the same
        data directory and port. On the mock target this is a no-op,
        because the mock cluster would lose every record."""
        if self.is_mock:
            print("mock: restart skipped (the mock keeps no data)",
                  flush=True)
            return self
        if self.proc is not None and self.proc.poll() is None:
            if clean:
                self.stop()
            else:
                self._kill()
        return self.start()

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self._wait_port_released()

    def _wait_port_released(self, timeout=5.0):
        """After SIGKILL the kernel tears the broker's io_uring down
        asynchronously, and the pending accept keeps the listening socket
        open a little after the process is reaped: a restart at once can
        get EADDRINUSE. Wait until the port binds again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", self.port))
                    return
                except OSError:
                    time.sleep(0.02)

    def close(self):
        self._kill()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- diagnostics -----------------------------------------------------

    def log_bytes(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def dump_log(self, limit=200000):
        data = self.log_bytes()
        sys.stdout.write("---- broker log %s (%d bytes) ----\n"
                         % (self.log_path, len(data)))
        sys.stdout.write(data[-limit:].decode("utf-8", "replace"))
        sys.stdout.write("\n---- end of broker log ----\n")
        sys.stdout.flush()


@atexit.register
def _reap():
    for b in list(_live):
        b.close()


def run(test, *args, **kwargs):
    """Run test(*args); print every live broker's log on failure.
    Exit 0 on success, 1 on failure, 77 on skip."""
    try:
        test(*args, **kwargs)
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        for b in list(_live):
            b.dump_log()
        for b in list(_live):
            b.close()
        sys.exit(1)
    for b in list(_live):
        b.close()
    print("PASS", flush=True)
    sys.exit(0)


# -- shared test data ------------------------------------------------------

def make_records(count, seed, binary=True):
    """Deterministic keyed records with headers: list of (key, value,
    headers) where headers is a list of (str, bytes). binary=False keeps
    to printable ASCII without ',', '=' or newlines (for kcat's text
    formats)."""
    rnd = random.Random(seed)
    alphabet = (b"abcdefghijklmnopqrstuvwxyz"
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    out = []
    for i in range(count):
        size = rnd.choice([0, 1, 17, 100, 1000, 5000])
        if binary:
            value = bytes(rnd.getrandbits(8) for _ in range(size))
        else:
            value = bytes(rnd.choice(alphabet) for _ in range(size))
        key = b"key-%d-%d" % (seed, i)
        headers = [("h-index", b"%d" % i), ("h-seed", b"%d" % seed)]
        if i % 3 == 0:
            headers.append(("h-empty", b""))
        out.append((key, value, headers))
    return out


def check_equal(what, got, want):
    if got == want:
        return
    n = min(len(got), len(want))
    first = next((i for i in range(n) if got[i] != want[i]), n)
    raise AssertionError("%s differ: got %d items, want %d; first "
                         "difference at #%d:\n  got  %r\n  want %r"
                         % (what, len(got), len(want), first,
                            got[first] if first < len(got) else None,
                            want[first] if first < len(want) else None))


def need_module(name):
    try:
        return __import__(name)
    except ImportError as e:
        skip("python module %s not importable with %s: %s"
             % (name, sys.executable, e))


def offset_for_time(timestamps, target):
    """Kafka's ListOffsets-by-timestamp answer for one partition: the first
    offset whose timestamp is >= target, or -1 when there is none."""
    for off, ts in enumerate(timestamps):
        if ts >= target:
            return off
    return -1


def by_partition(records, partitions):
    """Spread records round-robin over partitions, keeping produce order."""
    out = {p: [] for p in range(partitions)}
    for i, rec in enumerate(records):
        out[i % partitions].append(rec)
    return out
