"""Group coordinator semantics and error paths, in raw frames.

Every expectation is Kafka's classic GroupCoordinator (3.x), checked with
requests encoded here from the protocol specs (kwire.py), not with our C
codec:
  - FindCoordinator v1 and v4 (batched keys): this broker; an empty key
    or an unknown key type is INVALID_REQUEST;
  - JoinGroup: MEMBER_ID_REQUIRED (v4+), generations, the leader gets
    every member's metadata; INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT,
    INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
    GROUP_MAX_SIZE_REACHED (group.max.size); v7+ errors carry null
    protocol fields; group.initial.rebalance.delay.ms, extended while
    members arrive;
  - SyncGroup: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
    INCONSISTENT_GROUP_PROTOCOL (v5), followers wait for the leader;
  - Heartbeat in each state; session timeout expiry; members that never
    SyncGroup are removed after the rebalance timeout; at the join
    deadline dynamic members that did not rejoin leave, static ones stay;
  - static membership: a rejoin with the same instance id replaces the
    member without a rebalance (v9: the leader skips the assignment), the
    old id is FENCED_INSTANCE_ID everywhere; LeaveGroup by instance id;
  - OffsetCommit: standalone groups, members only, REBALANCE_IN_PROGRESS
    in CompletingRebalance but accepted in PreparingRebalance,
    OFFSET_METADATA_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION; leader epoch
    and metadata survive a clean restart and a SIGKILL; v2 retention
    expires the offset and the group; deleting the topic drops offsets;
  - OffsetFetch v8 for several groups, null topics = every offset;
  - ListGroups v4/v5 state and type filters, DescribeGroups in every
    state (members without metadata while rebalancing), DeleteGroups,
    OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC, NON_EMPTY_GROUP), LeaveGroup
    v3 batched members.
"""

import struct
import time

from wirecommon import harness, kwire, assert_serves
from kwire import (i8, i16, i32, i64, string, nbytes, array, cstring,
                   carray, uvarint, NO_TAGS)

OFFSET_COMMIT, OFFSET_FETCH, FIND_COORDINATOR = 8, 9, 10
JOIN, HEARTBEAT, LEAVE, SYNC, DESCRIBE, LIST = 11, 12, 13, 14, 15, 16
DELETE_TOPICS, DELETE_GROUPS, OFFSET_DELETE = 20, 42, 47

NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
OFFSET_METADATA_TOO_LARGE = 12
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
INVALID_REQUEST = 42
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79
GROUP_MAX_SIZE_REACHED = 81
FENCED_INSTANCE_ID = 82
GROUP_SUBSCRIBED_TO_TOPIC = 86

TOPIC = "wire-groups"
OTHER = "wire-groups-2"

# -- flexible-aware primitives -------------------------------------------------


def S(v, f):
    return cstring(v) if f else string(v)


def B(v, f):
    if not f:
        return nbytes(v)
    return uvarint(0) if v is None else uvarint(len(v) + 1) + v


def A(items, f):
    if items is None:
        return uvarint(0) if f else i32(-1)
    return carray(items) if f else array(items)


def T(f):
    return NO_TAGS if f else b""


def rS(r, f):
    return r.cstring() if f else r.string()


def rB(r, f):
    if not f:
        return r.nbytes()
    n = r.uvarint()
    return None if n == 0 else r.take(n - 1)


def rA(r, f, item):
    return r.carray(item) if f else r.array(item)


def rT(r, f):
    if f:
        r.tags()


def subscription(*topics):
    """ConsumerProtocolSubscription v0."""
    return i16(0) + array([string(t) for t in topics]) + i32(-1)


def assignment(topic, parts):
    """ConsumerProtocolAssignment v0."""
    return i16(0) + array([string(topic) + array([i32(p) for p in parts])]) + \
        i32(-1)


class Conn:
    """One connection; requests get increasing correlation ids."""

    corr = [1000]

    def __init__(self, port):
        self.s = kwire.connect(port, timeout=20)

    def send(self, api, ver, body, flex):
        Conn.corr[0] += 1
        self.s.sendall(kwire.request(api, ver, Conn.corr[0], body, flex))
        return Conn.corr[0]

    def recv(self, corr, flex):
        return kwire.response(self.s, corr, flex)

    def call(self, api, ver, body, flex, parse, wait=True):
        corr = self.send(api, ver, body, flex)

        def finish():
            r = self.recv(corr, flex)
            out = parse(r)
            assert r.rest() == 0, "%d trailing bytes in api %d v%d" % (
                r.rest(), api, ver)
            return out
        return finish() if wait else finish

    def close(self):
        self.s.close()


# -- requests --------------------------------------------------------------------

def join(c, group, member="", instance=None, ver=5, ptype="consumer",
         protocols=(("range", b"\x00\x01"),), session=10000, rebalance=None,
         wait=True):
    """-> dict(err, gen, ptype, proto, leader, skip, member, members)."""
    f = ver >= 6
    body = S(group, f) + i32(session)
    if ver >= 1:
        body += i32(rebalance or session)
    body += S(member, f)
    if ver >= 5:
        body += S(instance, f)
    body += S(ptype, f) + A([S(n, f) + B(m, f) + T(f) for n, m in protocols], f)
    if ver >= 8:
        body += S("wire test", f)
    body += T(f)

    def parse(r):
        if ver >= 2:
            r.i32()
        out = {"err": r.i16(), "gen": r.i32()}
        out["ptype"] = rS(r, f) if ver >= 7 else "consumer"
        out["proto"], out["leader"] = rS(r, f), rS(r, f)
        out["skip"] = r.i8() if ver >= 9 else 0
        out["member"] = rS(r, f)

        def member_(x):
            mid = rS(x, f)
            inst = rS(x, f) if ver >= 5 else None
            md = rB(x, f)
            rT(x, f)
            return mid, inst, md
        out["members"] = rA(r, f, member_)
        rT(r, f)
        return out
    return c.call(JOIN, ver, body, f, parse, wait)


def join_known(c, group, ver=5, **kw):
    """JoinGroup with MEMBER_ID_REQUIRED handled (dynamic members)."""
    res = join(c, group, ver=ver, **kw)
    if res["err"] != MEMBER_ID_REQUIRED:
        return res
    return join(c, group, member=res["member"], ver=ver, **kw)


def sync(c, group, gen, member, assignments=(), instance=None, ver=3,
         ptype=None, proto=None, wait=True):
    """-> (err, assignment bytes) (v5: + (ptype, proto))."""
    f = ver >= 4
    body = S(group, f) + i32(gen) + S(member, f)
    if ver >= 3:
        body += S(instance, f)
    if ver >= 5:
        body += S(ptype, f) + S(proto, f)
    body += A([S(m, f) + B(a, f) + T(f) for m, a in assignments], f) + T(f)

    def parse(r):
        if ver >= 1:
            r.i32()
        err = r.i16()
        names = (rS(r, f), rS(r, f)) if ver >= 5 else None
        a = rB(r, f)
        rT(r, f)
        return (err, a, names) if ver >= 5 else (err, a)
    return c.call(SYNC, ver, body, f, parse, wait)


def heartbeat(c, group, gen, member, instance=None, ver=3):
    f = ver >= 4
    body = S(group, f) + i32(gen) + S(member, f)
    if ver >= 3:
        body += S(instance, f)

    def parse(r):
        if ver >= 1:
            r.i32()
        err = r.i16()
        rT(r, f)
        return err
    return c.call(HEARTBEAT, ver, body + T(f), f, parse)


def leave(c, group, member="", members=None, ver=1):
    """v0-2: one member -> error; v3+: members [(member, instance)] ->
    (top error, [(member, instance, error)])."""
    f = ver >= 4
    if ver < 3:
        body = S(group, f) + S(member, f)
    else:
        body = S(group, f) + A([S(m, f) + S(i, f) + (S(None, f) if ver >= 5
                                                      else b"") + T(f)
                                for m, i in members], f)

    def parse(r):
        if ver >= 1:
            r.i32()
        err = r.i16()
        if ver < 3:
            return err

        def item(x):
            out = (rS(x, f), rS(x, f), x.i16())
            rT(x, f)
            return out
        ms = rA(r, f, item)
        rT(r, f)
        return err, ms
    return c.call(LEAVE, ver, body + T(f), f, parse)


def commit(c, group, gen, member, offsets, instance=None, ver=7,
           retention=-1):
    """offsets: [(topic, partition, offset, epoch, metadata)] ->
    {(topic, partition): error}."""
    f = ver >= 8
    body = S(group, f)
    if ver >= 1:
        body += i32(gen) + S(member, f)
    if ver >= 7:
        body += S(instance, f)
    if 2 <= ver <= 4:
        body += i64(retention)
    by_topic = {}
    for t, p, o, e, md in offsets:
        by_topic.setdefault(t, []).append((p, o, e, md))

    def part(p, o, e, md):
        out = i32(p) + i64(o)
        if ver == 1:
            out += i64(-1)
        if ver >= 6:
            out += i32(e)
        return out + S(md, f) + T(f)
    body += A([S(t, f) + A([part(*x) for x in ps], f) + T(f)
               for t, ps in by_topic.items()], f) + T(f)

    def parse(r):
        if ver >= 3:
            r.i32()
        out = {}

        def topic(x):
            name = rS(x, f)

            def p_(y):
                idx, err = y.i32(), y.i16()
                rT(y, f)
                out[(name, idx)] = err
            rA(x, f, p_)
            rT(x, f)
        rA(r, f, topic)
        rT(r, f)
        return out
    return c.call(OFFSET_COMMIT, ver, body, f, parse)


def fetch(c, group, topics, ver=7):
    """topics: {topic: [partitions]} or None -> (top error,
    {(topic, p): (offset, epoch, metadata, error)})."""
    f = ver >= 6
    if topics is None:
        tb = A(None, f)
    else:
        tb = A([S(t, f) + A([i32(p) for p in ps], f) + T(f)
                for t, ps in topics.items()], f)
    body = S(group, f) + tb + (i8(0) if ver >= 7 else b"") + T(f)

    def parse(r):
        if ver >= 3:
            r.i32()
        out = {}

        def topic(x):
            name = rS(x, f)

            def p_(y):
                idx, off = y.i32(), y.i64()
                epoch = y.i32() if ver >= 5 else -1
                md, err = rS(y, f), y.i16()
                rT(y, f)
                out[(name, idx)] = (off, epoch, md, err)
            rA(x, f, p_)
            rT(x, f)
        rA(r, f, topic)
        err = r.i16() if ver >= 2 else NONE
        rT(r, f)
        return err, out
    return c.call(OFFSET_FETCH, ver, body, f, parse)


def fetch_groups(c, groups):
    """OffsetFetch v8: groups {group: {topic: [p]} or None} ->
    {group: (error, {(topic, p): (offset, epoch, metadata, error)})}."""
    f = True
    gb = A([S(g, f) + (A(None, f) if ts is None else
                       A([S(t, f) + A([i32(p) for p in ps], f) + T(f)
                          for t, ps in ts.items()], f)) + T(f)
            for g, ts in groups.items()], f)

    def parse(r):
        r.i32()
        out = {}

        def group(x):
            gid, offs = rS(x, f), {}

            def topic(y):
                name = rS(y, f)

                def p_(z):
                    idx, off, epoch = z.i32(), z.i64(), z.i32()
                    md, err = rS(z, f), z.i16()
                    rT(z, f)
                    offs[(name, idx)] = (off, epoch, md, err)
                rA(y, f, p_)
                rT(y, f)
            rA(x, f, topic)
            out[gid] = (x.i16(), offs)
            rT(x, f)
        rA(r, f, group)
        rT(r, f)
        return out
    return c.call(OFFSET_FETCH, 8, gb + i8(0) + T(f), f, parse)


def find_coordinator(c, keys, ver=1, key_type=0):
    """v0-3: one key -> (err, node, host, port); v4: [(key, err, node,
    host, port)]."""
    f = ver >= 3
    if ver < 4:
        body = S(keys, f) + (i8(key_type) if ver >= 1 else b"")
    else:
        body = i8(key_type) + A([S(k, f) for k in keys], f)

    def parse(r):
        if ver >= 1:
            r.i32()
        if ver >= 4:
            def item(x):
                k, node, host, port, err = (rS(x, f), x.i32(), rS(x, f),
                                            x.i32(), x.i16())
                rS(x, f)
                rT(x, f)
                return k, err, node, host, port
            out = rA(r, f, item)
        else:
            err = r.i16()
            if ver >= 1:
                rS(r, f)
            out = (err, r.i32(), rS(r, f), r.i32())
        rT(r, f)
        return out
    return c.call(FIND_COORDINATOR, ver, body + T(f), f, parse)


def list_groups(c, states=(), types=(), ver=4):
    """-> (err, {group: (protocol type, state)})."""
    f = ver >= 3
    body = b""
    if ver >= 4:
        body += A([S(s, f) for s in states], f)
    if ver >= 5:
        body += A([S(t, f) for t in types], f)

    def parse(r):
        if ver >= 1:
            r.i32()
        err = r.i16()

        def item(x):
            gid, pt = rS(x, f), rS(x, f)
            st = rS(x, f) if ver >= 4 else None
            if ver >= 5:
                rS(x, f)
            rT(x, f)
            return gid, (pt, st)
        out = dict(rA(r, f, item))
        rT(r, f)
        return err, out
    return c.call(LIST, ver, body + T(f), f, parse)


def describe(c, groups, ver=5):
    """-> {group: dict(err, state, ptype, proto, members=[dict])}."""
    f = ver >= 5
    body = A([S(g, f) for g in groups], f)
    if ver >= 3:
        body += i8(1)

    def parse(r):
        if ver >= 1:
            r.i32()
        out = {}

        def member(x):
            m = {"id": rS(x, f)}
            m["instance"] = rS(x, f) if ver >= 4 else None
            m["client"], m["host"] = rS(x, f), rS(x, f)
            m["metadata"], m["assignment"] = rB(x, f), rB(x, f)
            rT(x, f)
            return m

        def group(x):
            g = {"err": x.i16()}
            gid = rS(x, f)
            g["state"], g["ptype"], g["proto"] = rS(x, f), rS(x, f), rS(x, f)
            g["members"] = rA(x, f, member)
            if ver >= 3:
                g["ops"] = x.i32()
            rT(x, f)
            out[gid] = g
        rA(r, f, group)
        rT(r, f)
        return out
    return c.call(DESCRIBE, ver, body + T(f), f, parse)


def delete_groups(c, groups, ver=2):
    f = ver >= 2

    def parse(r):
        r.i32()

        def item(x):
            out = (rS(x, f), x.i16())
            rT(x, f)
            return out
        out = dict(rA(r, f, item))
        rT(r, f)
        return out
    return c.call(DELETE_GROUPS, ver, A([S(g, f) for g in groups], f) + T(f),
                  f, parse)


def offset_delete(c, group, parts):
    """parts {topic: [p]} -> (err, {(topic, p): err})."""
    body = string(group) + array([string(t) + array([i32(p) for p in ps])
                                  for t, ps in parts.items()])

    def parse(r):
        err = r.i16()
        r.i32()
        out = {}

        def topic(x):
            name = x.string()

            def p_(y):
                idx = y.i32()
                out[(name, idx)] = y.i16()
            x.array(p_)
        r.array(topic)
        return err, out
    return c.call(OFFSET_DELETE, 0, body, False, parse)


def delete_topic(c, topic):
    def parse(r):
        r.i32()
        return dict(r.array(lambda x: (x.string(), x.i16())))
    return c.call(DELETE_TOPICS, 1, array([string(topic)]) + i32(10000),
                  False, parse)


def metadata(c, topics):
    c.call(kwire.API_METADATA, 1, kwire.metadata_body(1, topics), False,
           lambda r: r.take(r.rest()))


# -- forming groups ------------------------------------------------------------------

def form(port, group, specs, assign=True):
    """specs: [dict(instance=None, session=10000, rebalance=None,
    protocols=...)]. Every member joins (v5, MEMBER_ID_REQUIRED handled)
    on its own connection, all in one generation (the broker must have an
    initial rebalance delay), the leader assigns partition i to member i,
    everyone syncs. Returns (gen, leader, [dict(c, id, instance)])."""
    members = []
    for spec in specs:
        c = Conn(port)
        kw = {k: v for k, v in spec.items() if k != "instance"}
        res = None
        if not spec.get("instance"):
            res = join(c, group, **kw)
            assert res["err"] == MEMBER_ID_REQUIRED, res
        members.append({"c": c, "instance": spec.get("instance"), "kw": kw,
                        "id": res["member"] if res else ""})
    pending = [join(m["c"], group, member=m["id"], instance=m["instance"],
                    wait=False, **m["kw"]) for m in members]
    results = [p() for p in pending]
    gens = {r["gen"] for r in results}
    assert all(r["err"] == NONE for r in results) and len(gens) == 1, results
    for m, r in zip(members, results):
        m["id"] = r["member"]
    leader = results[0]["leader"]
    if assign:
        gen = gens.pop()
        plan = [(m["id"], assignment(TOPIC, [i])) for i, m in
                enumerate(members)]
        waits = [sync(m["c"], group, gen, m["id"], instance=m["instance"],
                      assignments=plan if m["id"] == leader else (),
                      wait=False) for m in members]
        for m, w, (_, a) in zip(members, waits, plan):
            assert w() == (NONE, a), "sync of %s" % m["id"]
        return gen, leader, members
    return gens.pop(), leader, members


# -- checks on broker A (group.initial.rebalance.delay.ms=0) ----------------------------

def check_find_coordinator(c, port):
    assert find_coordinator(c, "g1") == (NONE, 1, "127.0.0.1", port)
    assert find_coordinator(c, "")[0] == INVALID_REQUEST
    got = find_coordinator(c, ["g1", "g2", ""], ver=4)
    assert got == [("g1", NONE, 1, "127.0.0.1", port),
                   ("g2", NONE, 1, "127.0.0.1", port),
                   ("", INVALID_REQUEST, -1, "", -1)], got
    got = find_coordinator(c, ["g1"], ver=4, key_type=2)
    assert got[0][1] == INVALID_REQUEST, got


def check_join_sync(c, c2):
    res = join(c, "g1")
    assert res["err"] == MEMBER_ID_REQUIRED and \
        res["member"].startswith("sealog-wire-"), res
    mid = res["member"]
    res = join(c, "g1", member=mid)
    assert (res["err"], res["gen"], res["proto"], res["leader"], res["member"]) \
        == (NONE, 1, "range", mid, mid), res
    assert res["members"] == [(mid, None, b"\x00\x01")], res["members"]
    gen = res["gen"]
    assert sync(c, "g1", gen + 1, mid) == (ILLEGAL_GENERATION, b"")
    assert sync(c, "g1", gen, "nobody")[0] == UNKNOWN_MEMBER_ID
    assert sync(c, "g1", gen, mid, [(mid, b"assign")]) == (NONE, b"assign")
    assert sync(c, "g1", gen, mid, ver=5, ptype="consumer", proto="range") == \
        (NONE, b"assign", ("consumer", "range"))
    assert sync(c, "g1", gen, mid, ver=5, proto="roundrobin")[0] == \
        INCONSISTENT_GROUP_PROTOCOL
    assert heartbeat(c, "g1", gen, mid) == NONE
    assert heartbeat(c, "g1", gen, mid, ver=4) == NONE
    assert heartbeat(c, "g1", gen + 7, mid) == ILLEGAL_GENERATION
    assert heartbeat(c, "g1", gen, "nobody") == UNKNOWN_MEMBER_ID
    assert heartbeat(c, "no-such-group", 1, mid) == UNKNOWN_MEMBER_ID
    assert heartbeat(c, "", 1, mid) == INVALID_GROUP_ID
    # Ids are compared whole: a NUL byte does not cut one short.
    assert heartbeat(c, "g1", gen, mid + "\0junk") == UNKNOWN_MEMBER_ID
    assert heartbeat(c, "g1\0junk", gen, mid) == INVALID_GROUP_ID
    # Another protocol type cannot join; a bad session timeout neither;
    # v7+ errors carry null protocol fields.
    assert join(c2, "g1", ptype="connect")["err"] == INCONSISTENT_GROUP_PROTOCOL
    assert join(c2, "g1", session=1)["err"] == INVALID_SESSION_TIMEOUT
    res = join(c2, "g1", session=1, ver=7)
    assert (res["err"], res["gen"], res["ptype"], res["proto"]) == \
        (INVALID_SESSION_TIMEOUT, -1, None, None), res
    assert join(c2, "", ver=7)["err"] == INVALID_GROUP_ID
    assert join(c2, "no-such-group", member="m-1")["err"] == UNKNOWN_MEMBER_ID
    assert join(c2, "g1", member="m-1")["err"] == UNKNOWN_MEMBER_ID
    return gen, mid


def check_rebalance(c, c2, c3, gen, mid):
    """A second member (JoinGroup v3: no MEMBER_ID_REQUIRED) joins a Stable
    group: its join is held, the first member sees REBALANCE_IN_PROGRESS
    (and may still commit), rejoins, and both land in generation gen+1;
    until the leader syncs, commits get REBALANCE_IN_PROGRESS, heartbeats
    NONE, the follower's SyncGroup waits."""
    later = join(c2, "g1", ver=3, protocols=(("range", b"\x00\x02"),),
                 wait=False)
    time.sleep(0.2)
    assert heartbeat(c, "g1", gen, mid) == REBALANCE_IN_PROGRESS
    assert describe(c3, ["g1"])["g1"]["state"] == "PreparingRebalance"
    assert commit(c, "g1", gen, mid, [(TOPIC, 0, 7, -1, "prep")]) == \
        {(TOPIC, 0): NONE}
    res = join(c, "g1", member=mid)
    assert (res["err"], res["gen"], res["leader"]) == (NONE, gen + 1, mid), res
    assert sorted(m[2] for m in res["members"]) == [b"\x00\x01", b"\x00\x02"]
    other = later()
    assert (other["err"], other["gen"], other["leader"], other["members"]) == \
        (NONE, gen + 1, mid, []), other
    gen, mid2 = gen + 1, other["member"]
    desc = describe(c3, ["g1"])["g1"]
    assert desc["state"] == "CompletingRebalance" and desc["proto"] == "" and \
        all(m["metadata"] == b"" for m in desc["members"]), desc
    assert commit(c, "g1", gen, mid, [(TOPIC, 0, 8, -1, "x")]) == \
        {(TOPIC, 0): REBALANCE_IN_PROGRESS}
    assert heartbeat(c2, "g1", gen, mid2) == NONE
    follower = sync(c2, "g1", gen, mid2, wait=False)
    time.sleep(0.2)
    assert sync(c, "g1", gen, mid, [(mid, b"a1"), (mid2, b"a2")]) == \
        (NONE, b"a1")
    assert follower() == (NONE, b"a2")
    assert commit(c, "g1", gen, mid, [(TOPIC, 0, 8, -1, "x")]) == \
        {(TOPIC, 0): NONE}
    desc = describe(c3, ["g1"])["g1"]
    assert desc["state"] == "Stable" and desc["proto"] == "range" and \
        sorted(m["assignment"] for m in desc["members"]) == [b"a1", b"a2"]
    assert leave(c2, "g1", mid2) == NONE
    assert leave(c2, "g1", mid2) == UNKNOWN_MEMBER_ID
    # Alone again: its rejoin ends the phase at once.
    res = join(c, "g1", member=mid)
    assert (res["err"], res["gen"], len(res["members"])) == (NONE, gen + 1, 1)
    assert sync(c, "g1", gen + 1, mid, [(mid, b"a1")]) == (NONE, b"a1")
    return gen + 1, mid


def check_static(c, c2):
    res = join(c, "g-static", instance="inst-1")
    assert res["err"] == NONE and res["gen"] == 1, res
    gen, m1 = res["gen"], res["member"]
    assert m1.startswith("inst-1-"), m1
    assert sync(c, "g-static", gen, m1, [(m1, b"a")], instance="inst-1") == \
        (NONE, b"a")
    # The same instance rejoins without its member id: it is replaced (no
    # rebalance: same protocols, Stable group), the old id is fenced. Before
    # v9 it is told the old leader id, so it does not assign.
    res = join(c2, "g-static", instance="inst-1")
    assert (res["err"], res["gen"], res["leader"], res["members"]) == \
        (NONE, gen, m1, []), res
    m2 = res["member"]
    assert m2 != m1
    assert heartbeat(c, "g-static", gen, m1, "inst-1") == FENCED_INSTANCE_ID
    assert sync(c, "g-static", gen, m1, instance="inst-1")[0] == \
        FENCED_INSTANCE_ID
    assert commit(c, "g-static", gen, m1, [(TOPIC, 0, 1, -1, "")],
                  instance="inst-1") == {(TOPIC, 0): FENCED_INSTANCE_ID}
    assert join(c, "g-static", member=m1, instance="inst-1")["err"] == \
        FENCED_INSTANCE_ID
    assert heartbeat(c, "g-static", gen, m2, "inst-9") == UNKNOWN_MEMBER_ID
    assert heartbeat(c2, "g-static", gen, m2, "inst-1") == NONE
    assert sync(c2, "g-static", gen, m2, instance="inst-1") == (NONE, b"a")
    # v9: the static leader learns it leads, with the members, and skips.
    res = join(c, "g-static", instance="inst-1", ver=9)
    m3 = res["member"]
    assert (res["err"], res["gen"], res["leader"], res["skip"]) == \
        (NONE, gen, m3, 1), res
    assert [m[:2] for m in res["members"]] == [(m3, "inst-1")], res
    desc = describe(c2, ["g-static"])["g-static"]
    assert [(m["id"], m["instance"]) for m in desc["members"]] == \
        [(m3, "inst-1")] and desc["state"] == "Stable", desc
    top, ms = leave(c2, "g-static", members=[("wrong", "inst-1")], ver=3)
    assert ms == [("wrong", "inst-1", FENCED_INSTANCE_ID)], ms
    top, ms = leave(c2, "g-static", members=[("", "inst-1"), ("", "inst-2")],
                    ver=4)
    assert (top, ms) == (NONE, [("", "inst-1", NONE),
                                ("", "inst-2", UNKNOWN_MEMBER_ID)]), ms
    assert describe(c2, ["g-static"])["g-static"]["state"] == "Empty"


def check_offsets(c):
    assert commit(c, "no-such-group", 3, "m", [(TOPIC, 0, 5, -1, "x")],
                  ver=2) == {(TOPIC, 0): ILLEGAL_GENERATION}
    assert commit(c, "standalone", -1, "", [(TOPIC, 0, 42, -1, "meta")],
                  ver=2) == {(TOPIC, 0): NONE}
    assert fetch(c, "standalone", {TOPIC: [0]}, ver=3) == \
        (NONE, {(TOPIC, 0): (42, -1, "meta", NONE)})
    assert fetch(c, "unknown-group", {TOPIC: [0]}, ver=3) == \
        (NONE, {(TOPIC, 0): (-1, -1, "", NONE)})
    assert fetch(c, "standalone", {TOPIC: [1]}, ver=3)[1][(TOPIC, 1)][0] == -1
    assert fetch(c, "standalone\0x", {TOPIC: [0]}, ver=3)[1][(TOPIC, 0)][0] \
        == -1
    assert commit(c, "standalone\0x", -1, "", [(TOPIC, 0, 1, -1, "")]) == \
        {(TOPIC, 0): INVALID_GROUP_ID}
    big = "m" * 4097
    got = commit(c, "standalone", -1, "", [(TOPIC, 1, 9, 3, big),
                                           (TOPIC, 2, 9, 3, "ok"),
                                           (TOPIC, 99, 9, 3, "")])
    assert got == {(TOPIC, 1): OFFSET_METADATA_TOO_LARGE, (TOPIC, 2): NONE,
                   (TOPIC, 99): UNKNOWN_TOPIC_OR_PARTITION}, got
    # Leader epochs (v6+) and every offset of a group (null topics).
    assert commit(c, "epochs", -1, "", [(TOPIC, 0, 100, 7, "m0"),
                                        (OTHER, 1, 200, 8, "m1")], ver=8) == \
        {(TOPIC, 0): NONE, (OTHER, 1): NONE}
    want = {(TOPIC, 0): (100, 7, "m0", NONE), (OTHER, 1): (200, 8, "m1", NONE)}
    assert fetch(c, "epochs", None) == (NONE, want)
    got = fetch_groups(c, {"epochs": None, "standalone": {TOPIC: [0, 2]},
                           "nobody": {TOPIC: [0]}})
    assert got == {"epochs": (NONE, want),
                   "standalone": (NONE, {(TOPIC, 0): (42, -1, "meta", NONE),
                                         (TOPIC, 2): (9, 3, "ok", NONE)}),
                   "nobody": (NONE, {(TOPIC, 0): (-1, -1, "", NONE)})}, got
    # "" is a valid group for OffsetCommit/OffsetFetch (Kafka: legacy).
    assert commit(c, "", -1, "", [(TOPIC, 0, 5, -1, "")]) == {(TOPIC, 0): NONE}
    assert fetch(c, "", {TOPIC: [0]})[1][(TOPIC, 0)][0] == 5
    return want


def check_member_commits(c, gen, mid):
    """A group with members takes commits from its members only."""
    assert commit(c, "g1", -1, "", [(TOPIC, 0, 1, -1, "")]) == \
        {(TOPIC, 0): UNKNOWN_MEMBER_ID}
    assert commit(c, "g1", gen, "nobody", [(TOPIC, 0, 1, -1, "")]) == \
        {(TOPIC, 0): UNKNOWN_MEMBER_ID}
    assert commit(c, "g1", gen + 5, mid, [(TOPIC, 0, 1, -1, "")]) == \
        {(TOPIC, 0): ILLEGAL_GENERATION}
    assert commit(c, "g1", gen, mid, [(TOPIC, 0, 11, -1, "g1")]) == \
        {(TOPIC, 0): NONE}


def check_lists(c):
    err, groups = list_groups(c, ver=0)
    assert err == NONE and groups["g1"] == ("consumer", None) and \
        groups["standalone"] == ("", None), groups
    err, groups = list_groups(c, states=["stable"])
    assert set(groups) == {"g1"}, groups
    err, groups = list_groups(c, states=["Empty", "Dead"])
    assert "g1" not in groups and groups["g-static"] == ("consumer", "Empty"), \
        groups
    assert list_groups(c, types=["classic"], ver=5)[1].keys() >= {"g1", "epochs"}
    assert list_groups(c, types=["consumer"], ver=5)[1] == {}
    desc = describe(c, ["g1", "missing", ""])
    assert desc["missing"]["state"] == "Dead" and \
        desc["missing"]["err"] == NONE and desc["missing"]["members"] == []
    assert desc[""]["state"] == "Empty", desc[""]  # created by a commit
    g1 = desc["g1"]
    assert (g1["err"], g1["state"], g1["ptype"], g1["proto"]) == \
        (NONE, "Stable", "consumer", "range"), g1
    (m,) = g1["members"]
    assert (m["client"], m["host"], m["metadata"]) == \
        ("sealog-wire", "/127.0.0.1", b"\x00\x01"), m
    old = describe(c, ["g1"], ver=0)["g1"]
    assert old["members"][0]["metadata"] == b"\x00\x01"


def check_delete(c, mid):
    res = delete_groups(c, ["g1", "standalone", "missing", ""])
    assert res == {"g1": NON_EMPTY_GROUP, "standalone": NONE,
                   "missing": GROUP_ID_NOT_FOUND, "": NONE}, res
    assert delete_groups(c, ["standalone"], ver=1) == \
        {"standalone": GROUP_ID_NOT_FOUND}
    assert fetch(c, "standalone", {TOPIC: [0]})[1][(TOPIC, 0)][0] == -1
    assert leave(c, "g1", mid) == NONE
    assert delete_groups(c, ["g1"]) == {"g1": NONE}
    assert describe(c, ["g1"])["g1"]["state"] == "Dead"


def check_leave(port):
    c = Conn(port)
    assert leave(c, "no-such-group", "m") == UNKNOWN_MEMBER_ID
    assert leave(c, "", "m") == INVALID_GROUP_ID
    assert leave(c, "no-such-group", members=[("m", None)], ver=3) == \
        (NONE, [("m", None, UNKNOWN_MEMBER_ID)])
    pending = join(c, "g-leave")
    assert pending["err"] == MEMBER_ID_REQUIRED
    assert leave(c, "g-leave", pending["member"]) == NONE  # a pending id
    a = join_known(c, "g-leave")
    assert a["err"] == NONE
    b = Conn(port)
    later = join(b, "g-leave", ver=3, wait=False)  # held: a must rejoin
    time.sleep(0.2)  # b's join first (another connection)
    again = join(c, "g-leave", member=a["member"])
    res = later()
    assert again["gen"] == res["gen"] == a["gen"] + 1, (again, res)
    top, ms = leave(c, "g-leave", members=[(a["member"], None),
                                           (res["member"], None),
                                           ("ghost", None)], ver=3)
    assert (top, ms) == (NONE, [(a["member"], None, NONE),
                                (res["member"], None, NONE),
                                ("ghost", None, UNKNOWN_MEMBER_ID)]), ms
    assert describe(c, ["g-leave"])["g-leave"]["state"] == "Empty"
    c.close()
    b.close()


def check_offset_delete(port):
    c, admin = Conn(port), Conn(port)
    res = join_known(c, "g-od", protocols=(("range", subscription(TOPIC)),))
    gen, mid = res["gen"], res["member"]
    assert sync(c, "g-od", gen, mid, [(mid, b"")])[0] == NONE
    assert commit(c, "g-od", gen, mid, [(TOPIC, 0, 3, -1, ""),
                                        (OTHER, 0, 4, -1, "")]) == \
        {(TOPIC, 0): NONE, (OTHER, 0): NONE}
    err, parts = offset_delete(admin, "g-od", {TOPIC: [0], OTHER: [0, 42]})
    assert (err, parts) == (NONE, {(TOPIC, 0): GROUP_SUBSCRIBED_TO_TOPIC,
                                   (OTHER, 0): NONE,
                                   (OTHER, 42): UNKNOWN_TOPIC_OR_PARTITION}), parts
    _, offs = fetch(admin, "g-od", {TOPIC: [0], OTHER: [0]})
    assert (offs[(TOPIC, 0)][0], offs[(OTHER, 0)][0]) == (3, -1), offs
    assert offset_delete(admin, "nobody", {TOPIC: [0]}) == \
        (GROUP_ID_NOT_FOUND, {})
    assert offset_delete(admin, "", {TOPIC: [0]})[0] == INVALID_GROUP_ID
    # A non-consumer group with members: NON_EMPTY_GROUP, without topics.
    other = Conn(port)
    res = join_known(other, "g-connect", ptype="connect")
    assert commit(other, "g-connect", res["gen"], res["member"],
                  [(TOPIC, 0, 1, -1, "")]) == {(TOPIC, 0): REBALANCE_IN_PROGRESS}
    assert offset_delete(admin, "g-connect", {TOPIC: [0]}) == \
        (NON_EMPTY_GROUP, {})
    # Once Empty, every offset can go.
    assert leave(c, "g-od", mid) == NONE
    assert offset_delete(admin, "g-od", {TOPIC: [0]}) == \
        (NONE, {(TOPIC, 0): NONE})
    assert fetch(admin, "g-od", {TOPIC: [0]})[1][(TOPIC, 0)][0] == -1
    for x in (c, admin, other):
        x.close()


def check_durable(b, want):
    """Offsets, epochs and metadata survive a clean restart and SIGKILL
    (acknowledged commits are durable)."""
    b.restart()
    c = Conn(b.port)
    assert fetch(c, "epochs", None) == (NONE, want)
    assert commit(c, "epochs", -1, "", [(TOPIC, 0, 101, 9, "after")],
                  ver=8) == {(TOPIC, 0): NONE}
    c.close()
    b.kill9()
    b.start()
    c = Conn(b.port)
    want = dict(want)
    want[(TOPIC, 0)] = (101, 9, "after", NONE)
    assert fetch(c, "epochs", None) == (NONE, want)
    # The topic's deletion drops its offsets.
    assert delete_topic(c, OTHER) == {OTHER: NONE}
    assert fetch(c, "epochs", None) == (NONE, {(TOPIC, 0): want[(TOPIC, 0)]})
    c.close()


# -- checks on broker B (initial delay, group.max.size, short timers) ------------------

DELAY_MS = 400


def check_initial_delay(port):
    """Generation 0: the first join waits the delay, once more because a
    member arrived meanwhile (Kafka's InitialDelayedJoin)."""
    c1, c2 = Conn(port), Conn(port)
    t0 = time.monotonic()
    first = join(c1, "g-delay", ver=3, wait=False)
    time.sleep(DELAY_MS / 2000)
    second = join(c2, "g-delay", ver=3, wait=False)
    r1, r2 = first(), second()
    took = time.monotonic() - t0
    assert r1["gen"] == r2["gen"] == 1 and len(r1["members"] or
                                               r2["members"]) == 2, (r1, r2)
    assert 2 * DELAY_MS / 1000 - 0.05 <= took <= 2 * DELAY_MS / 1000 + 1.5, took
    c1.close()
    c2.close()


def check_max_size(port):
    gen, leader, members = form(port, "g-max", [{}, {}, {}])
    c = Conn(port)
    res = join(c, "g-max", ver=3)
    assert (res["err"], res["member"]) == (GROUP_MAX_SIZE_REACHED, ""), res
    assert join(c, "g-max")["err"] == GROUP_MAX_SIZE_REACHED
    for m in members:
        assert heartbeat(m["c"], "g-max", gen, m["id"]) == NONE
        m["c"].close()
    c.close()


def check_session_expiry(port):
    """A member that stops heartbeating is removed one session timeout
    after its last sign of life; the other learns it from its heartbeat."""
    gen, leader, members = form(port, "g-expire", [{"session": 1000},
                                                   {"session": 10000}])
    quiet, live = members
    t0 = time.monotonic()
    while True:
        err = heartbeat(live["c"], "g-expire", gen, live["id"])
        if err != NONE:
            break
        assert time.monotonic() - t0 < 5, "no rebalance after 5 s"
        time.sleep(0.05)
    took = time.monotonic() - t0
    assert err == REBALANCE_IN_PROGRESS and 0.9 <= took <= 2.0, (err, took)
    res = join(live["c"], "g-expire", member=live["id"])
    assert (res["gen"], [m[0] for m in res["members"]]) == \
        (gen + 1, [live["id"]]), res
    assert heartbeat(quiet["c"], "g-expire", gen, quiet["id"]) == \
        UNKNOWN_MEMBER_ID
    for m in members:
        m["c"].close()


def check_deadline_and_sync_timeout(port):
    """At the join deadline a dynamic member that did not rejoin leaves, a
    static one stays; a member that never sends SyncGroup is removed after
    the rebalance timeout; DescribeGroups shows each state."""
    spec = {"rebalance": 1500}
    gen, leader, members = form(port, "g-deadline",
                                [dict(spec), dict(spec, instance="s1"),
                                 dict(spec)])
    lead, static, dyn = members
    assert lead["id"] == leader
    admin = Conn(port)
    t0 = time.monotonic()
    res = join(lead["c"], "g-deadline", member=lead["id"], **spec)
    took = time.monotonic() - t0
    assert (res["err"], res["gen"]) == (NONE, gen + 1), res
    assert sorted(m[0] for m in res["members"]) == \
        sorted([lead["id"], static["id"]]), res["members"]
    assert 1.4 <= took <= 3.5, took
    gen += 1
    assert heartbeat(dyn["c"], "g-deadline", gen - 1, dyn["id"]) == \
        UNKNOWN_MEMBER_ID
    assert heartbeat(static["c"], "g-deadline", gen - 1, static["id"], "s1") \
        == ILLEGAL_GENERATION
    assert heartbeat(static["c"], "g-deadline", gen, static["id"], "s1") == NONE
    desc = describe(admin, ["g-deadline"])["g-deadline"]
    assert desc["state"] == "CompletingRebalance" and \
        len(desc["members"]) == 2, desc
    # The leader syncs; the static member never does.
    assert sync(lead["c"], "g-deadline", gen, lead["id"],
                [(lead["id"], b"x"), (static["id"], b"y")]) == (NONE, b"x")
    t1 = time.monotonic()
    while heartbeat(lead["c"], "g-deadline", gen, lead["id"]) == NONE:
        assert time.monotonic() - t1 < 5, "the member that never synced stays"
        time.sleep(0.05)
    took = time.monotonic() - t1
    assert 1.2 <= took <= 3.0, took
    desc = describe(admin, ["g-deadline"])["g-deadline"]
    assert desc["state"] == "PreparingRebalance" and \
        [(m["id"], m["metadata"], m["assignment"]) for m in desc["members"]] \
        == [(lead["id"], b"", b"")], desc
    assert delete_groups(admin, ["g-deadline"]) == \
        {"g-deadline": NON_EMPTY_GROUP}
    res = join(lead["c"], "g-deadline", member=lead["id"], **spec)
    assert (res["gen"], len(res["members"])) == (gen + 1, 1), res
    for m in members + [{"c": admin}]:
        m["c"].close()


def check_retention(port):
    """OffsetCommit v2 with a retention time: the offset expires at the
    next retention check after it, and the group, now empty of offsets,
    goes with it."""
    c = Conn(port)
    metadata(c, [TOPIC])
    t0 = time.monotonic()
    assert commit(c, "g-ret", -1, "", [(TOPIC, 0, 5, -1, "r")], ver=2,
                  retention=800) == {(TOPIC, 0): NONE}
    assert fetch(c, "g-ret", {TOPIC: [0]})[1][(TOPIC, 0)][0] == 5
    while fetch(c, "g-ret", {TOPIC: [0]})[1][(TOPIC, 0)][0] == 5:
        assert time.monotonic() - t0 < 6, "the offset did not expire"
        time.sleep(0.1)
    assert time.monotonic() - t0 >= 0.8
    assert "g-ret" not in list_groups(c)[1]
    c.close()


def test():
    if harness.target_is_mock():
        harness.skip("exact coordinator error paths are sealog's")
    b = harness.Broker(overrides={"group.initial.rebalance.delay.ms": "0",
                                  "group.min.session.timeout.ms": "1000",
                                  "num.partitions": "3"})
    b.start()
    c, c2, c3 = Conn(b.port), Conn(b.port), Conn(b.port)
    metadata(c, [TOPIC, OTHER])  # auto-creates them
    check_find_coordinator(c, b.port)
    gen, mid = check_join_sync(c, c2)
    gen, mid = check_rebalance(c, c2, c3, gen, mid)
    check_static(c, c2)
    want = check_offsets(c)
    check_member_commits(c, gen, mid)
    check_lists(c)
    check_delete(c, mid)
    check_leave(b.port)
    check_offset_delete(b.port)
    for x in (c, c2, c3):
        x.close()
    check_durable(b, want)
    assert_serves(b.port)
    b.stop()

    b2 = harness.Broker(overrides={
        "group.initial.rebalance.delay.ms": str(DELAY_MS),
        "group.min.session.timeout.ms": "1000", "group.max.size": "3",
        "offsets.retention.check.interval.ms": "200"})
    b2.start()
    check_initial_delay(b2.port)
    check_max_size(b2.port)
    check_session_expiry(b2.port)
    check_deadline_and_sync_timeout(b2.port)
    check_retention(b2.port)
    assert_serves(b2.port)
    b2.stop()


if __name__ == "__main__":
    harness.run(test)
