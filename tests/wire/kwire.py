"""A tiny, independent Kafka wire codec for raw-frame tests (stdlib only).

Written from the Kafka protocol specs, not from our C codec, so the two
cannot share a bug. Covers request headers v1/v2, the few bodies the wire
tests send, a response reader, and the v2 record batch with CRC32C.
"""

import socket
import struct
import time

# ---- primitives ----------------------------------------------------------


def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def varint(v):
    return uvarint((v << 1) ^ (v >> 63))  # zigzag


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def cstring(s):
    """Compact (flexible-version) nullable string."""
    if s is None:
        return uvarint(0)
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def nbytes(b):
    return i32(-1) if b is None else i32(len(b)) + b


def array(items):
    return i32(len(items)) + b"".join(items)


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


NO_TAGS = uvarint(0)


class Reader:
    """Sticky-error-free but strict: any overrun raises IndexError."""

    def __init__(self, data):
        self.data = data
        self.off = 0

    def take(self, n):
        if n < 0 or self.off + n > len(self.data):
            raise IndexError("read %d at %d of %d" % (n, self.off,
                                                      len(self.data)))
        b = self.data[self.off:self.off + n]
        self.off += n
        return b

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def i8(self):
        return self.unpack(">b")

    def i16(self):
        return self.unpack(">h")

    def i32(self):
        return self.unpack(">i")

    def i64(self):
        return self.unpack(">q")

    def uvarint(self):
        v = shift = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def cstring(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def nbytes(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, item):
        n = self.i32()
        return None if n < 0 else [item(self) for _ in range(n)]

    def carray(self, item):
        n = self.uvarint()
        return None if n == 0 else [item(self) for _ in range(n - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def rest(self):
        return len(self.data) - self.off


# ---- framing -------------------------------------------------------------

API_PRODUCE, API_FETCH, API_LIST_OFFSETS, API_METADATA = 0, 1, 2, 3
API_VERSIONS = 18
CLIENT_ID = "sealog-wire"


def request(api_key, version, corr, body, flexible=False, client_id=CLIENT_ID):
    """A framed request. flexible selects request header v2 (tagged
    fields); the client id stays a non-compact string in both."""
    hdr = i16(api_key) + i16(version) + i32(corr) + string(client_id)
    if flexible:
        hdr += NO_TAGS
    payload = hdr + body
    return i32(len(payload)) + payload


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes"
                                  % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_frame(sock):
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    if size < 4:
        raise AssertionError("response frame size %d" % size)
    return recv_exact(sock, size)


def response(sock, corr, flexible_header=False):
    """Read one response, check its correlation id, return a Reader at the
    body. ApiVersions always uses response header v0."""
    r = Reader(recv_frame(sock))
    got = r.i32()
    if got != corr:
        raise AssertionError("correlation id %d, want %d" % (got, corr))
    if flexible_header:
        r.tags()
    return r


def call(sock, api_key, version, corr, body, flexible=False):
    sock.sendall(request(api_key, version, corr, body, flexible))
    hdr_flex = flexible and api_key != API_VERSIONS
    return response(sock, corr, hdr_flex)


def is_closed(sock, timeout=10.0):
    """True when the peer closes (EOF or reset) within timeout without
    sending a response first."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                return True
            raise AssertionError("got %d bytes, expected a close: %r"
                                 % (len(data), data[:64]))
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


# ---- bodies --------------------------------------------------------------


def api_versions_body(version):
    if version >= 3:
        return cstring("sealog-wire") + cstring("0.1") + NO_TAGS
    return b""


def parse_api_versions(r, version):
    """-> (error_code, {api_key: (min, max)}). Version >= 3 is flexible."""
    err = r.i16()
    if version >= 3:
        def item(x):
            k, lo, hi = x.i16(), x.i16(), x.i16()
            x.tags()
            return k, (lo, hi)
        apis = r.carray(item)
    else:
        apis = r.array(lambda x: (x.i16(), (x.i16(), x.i16())))
    if version >= 1:
        r.i32()  # throttle_time_ms
    if version >= 3:
        r.tags()
    return err, dict(apis or [])


def metadata_body(version, topics, auto_create=True):
    if version >= 9:
        items = [cstring(t) + NO_TAGS for t in topics]
        body = carray(items) + i8(1 if auto_create else 0)
        body += i8(0) if version <= 10 else b""  # cluster authorized ops
        return body + i8(0) + NO_TAGS          # topic authorized ops
    body = array([string(t) for t in topics])
    if version >= 4:
        body += i8(1 if auto_create else 0)
    return body


def parse_metadata(r, version):
    """-> dict(brokers=[(id, host, port)], topics={name: (err,
    [(err, index, leader, replicas, isr)])})."""
    flex = version >= 9
    arr = r.carray if flex else r.array
    st = r.cstring if flex else r.string

    def int_array(x):
        return arr(lambda y: y.i32())

    if version >= 3:
        r.i32()

    def broker(x):
        node, host, port = x.i32(), st(), x.i32()
        if version >= 1:
            st()
        if flex:
            x.tags()
        return node, host, port

    brokers = arr(broker)
    if version >= 2:
        st()
    if version >= 1:
        r.i32()

    def partition(x):
        err, idx, leader = x.i16(), x.i32(), x.i32()
        if version >= 7:
            x.i32()
        replicas, isr = int_array(x), int_array(x)
        if version >= 5:
            int_array(x)
        if flex:
            x.tags()
        return err, idx, leader, replicas, isr

    def topic(x):
        err, name = x.i16(), st()
        if version >= 10:
            x.take(16)
        if version >= 1:
            x.i8()
        parts = arr(partition)
        if version >= 8:
            x.i32()
        if flex:
            x.tags()
        return name, (err, parts)

    topics = dict(arr(topic))
    if 8 <= version <= 10:
        r.i32()
    if flex:
        r.tags()
    return {"brokers": brokers, "topics": topics}


def produce_body(topic, partition, records, acks=-1, timeout_ms=10000):
    """Produce v3..v8 body (non-flexible)."""
    part = i32(partition) + nbytes(records)
    return string(None) + i16(acks) + i32(timeout_ms) + \
        array([string(topic) + array([part])])


def parse_produce(r, version):
    """-> {(topic, partition): (error_code, base_offset)}."""
    out = {}
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err, base = r.i32(), r.i16(), r.i64()
            if version >= 2:
                r.i64()
            if version >= 5:
                r.i64()
            if version >= 8:
                r.array(lambda x: (x.i32(), x.string()))
                r.string()
            out[(name, idx)] = (err, base)
    r.i32()
    return out


def fetch_body(topic, partition, offset, max_bytes=1 << 20):
    """Fetch v4 body."""
    part = i32(partition) + i64(offset) + i32(max_bytes)
    return i32(-1) + i32(100) + i32(1) + i32(max_bytes) + i8(0) + \
        array([string(topic) + array([part])])


def parse_fetch_v4(r):
    """-> {(topic, partition): (error_code, high_watermark, records)}."""
    r.i32()
    out = {}
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err, hw = r.i32(), r.i16(), r.i64()
            r.i64()
            r.array(lambda x: (x.i64(), x.i64()))
            out[(name, idx)] = (err, hw, r.nbytes())
    return out


# ---- record batch v2 -----------------------------------------------------


def _crc32c_table():
    poly = 0x82F63B78
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record(offset_delta, ts_delta, key, value, headers=()):
    body = i8(0) + varint(ts_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for name, hv in headers:
        nb = name.encode()
        body += varint(len(nb)) + nb + varint(len(hv)) + hv
    return varint(len(body)) + body


def record_batch(records, base_ts, base_offset=0):
    """records: [(key, value, headers)]; uncompressed, CreateTime,
    no producer id. Returns the batch bytes with a correct CRC32C."""
    recs = b"".join(record(i, i, k, v, h) for i, (k, v, h) in
                    enumerate(records))
    after_crc = i16(0) + i32(len(records) - 1) + i64(base_ts) + \
        i64(base_ts + len(records) - 1) + i64(-1) + i16(-1) + i32(-1) + \
        i32(len(records)) + recs
    crc = struct.pack(">I", crc32c(after_crc))
    tail = i32(-1) + i8(2) + crc + after_crc  # leader epoch, magic, crc
    return i64(base_offset) + i32(len(tail)) + tail


def batch_crc_ok(batch):
    (crc,) = struct.unpack(">I", batch[17:21])
    return crc == crc32c(batch[21:])
