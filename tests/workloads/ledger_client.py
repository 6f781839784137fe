#!/usr/bin/env python3
"""The client of a workload test: writes to a database inside a local-cloud instance and keeps a
ledger of every write the database acknowledged. It runs outside the instance, in the VPC's
network namespace (--netns), and talks to the instance's private
IP, which the stateful instance keeps across replacements.

  ledger_client.py redis|postgres|etcd|zookeeper IP PORT [--netns NAME] [--rate N]
                   [--max-writes N]

redis     SET w:<seq> <value>; the reply +OK is the acknowledgement (appendfsync always: Redis
          answers after the AOF is on disk).
postgres  INSERT INTO ledger (id, v) VALUES (<seq>, <value>) in autocommit; CommandComplete is
          the acknowledgement of a committed transaction (fsync and synchronous_commit on).
etcd      put w:<seq> through the v3 JSON gateway; IP is the members' addresses, comma-separated.
zookeeper create /ledger/w- (sequential) holding the value, through kazoo (run this with the
          Python that has python3-kazoo: Debian's /usr/bin/python3); the created path is the
          acknowledgement (ZooKeeper answers once a quorum has the write in its log); IP as etcd.

Every write has a new seq and a value derived from it, so a lost write and a changed one are
both seen. A write whose acknowledgement never came (the connection broke) is "uncertain": it
may or may not be there, and when it is there it must carry its value.

Control: one command per line on stdin, one JSON line per command on stdout.
  status   {"acked", "last_ack", "gaps": [[start, end], ...]}  (time.monotonic() seconds; a gap
           is a stretch of more than --gap seconds between two acknowledgements)
  verify   stops writing, reads every acknowledged write back and answers
           {"acked", "lost": [...seq], "changed": [...seq], "extra": n, "checks": "..."};
           writing stays stopped until `resume`
  resume   writing goes on (the verify pause is not counted as a gap)
  tamper   (the check of the check) deletes the first acknowledged write and changes the
           second behind the ledger's back, so that the next verify must report both
  leader, serving IP, in_quorum   (etcd, zookeeper) the leader's address; whether the member
           at IP serves; how many members serve
  stop     exits
Bounded: at most --max-writes writes, and the client exits by itself after --deadline seconds.
"""
import argparse
import hashlib
import json
import select
import socket
import struct
import sys
import time


def value_of(seq):
    return "v%d-%s" % (seq, hashlib.sha256(b"ledger-%d" % seq).hexdigest()[:16])


class Closed(Exception):
    pass


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Closed("connection closed")
        buf += chunk
    return buf


def connect(ip, port, timeout, connect_timeout=0.3):
    """A short connect timeout: while the address moves to the replacement, a SYN gets no
    answer, and a long wait there would be counted as unavailability."""
    sock = socket.create_connection((ip, port), timeout=connect_timeout)
    sock.settimeout(timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Redis:
    """Just enough RESP2 for SET, MGET and PING."""

    def __init__(self, ip, port, timeout):
        self.sock = connect(ip, port, timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._bulk(n).decode()
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError("redis: unexpected reply %r" % line)

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def setup(self):
        self.command("PING")

    def write(self, seq, value):
        if self.command("SET", "w:%d" % seq, value) != "OK":
            raise RuntimeError("redis: SET not OK")

    def read(self, seqs):
        got = {}
        for i in range(0, len(seqs), 1000):
            part = seqs[i:i + 1000]
            for s, v in zip(part, self.command("MGET", *["w:%d" % s for s in part])):
                if v is not None:
                    got[s] = v
        return got

    def count(self):
        return int(self.command("DBSIZE"))

    def tamper(self, delete, change):
        self.command("DEL", "w:%d" % delete)
        self.command("SET", "w:%d" % change, "tampered")

    def checks(self):
        info = self.command("INFO", "persistence")
        ok = "aof_enabled:1" in info and "aof_last_write_status:ok" in info
        return ok, "aof_enabled:1, aof_last_write_status:ok" if ok else info


class Postgres:
    """Just enough of the PostgreSQL v3 wire protocol for simple queries with trust auth."""

    def __init__(self, ip, port, timeout, user="admin", database="postgres"):
        self.sock = connect(ip, port, timeout)
        params = b"user\0%s\0database\0%s\0\0" % (user.encode(), database.encode())
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        while True:
            kind, body = self._message()
            if kind == b"R" and struct.unpack("!i", body[:4])[0] != 0:
                raise RuntimeError("postgres: authentication other than trust requested")
            if kind == b"E":
                raise RuntimeError("postgres: " + self._error(body))
            if kind == b"Z":
                return

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.sock.close()

    def _message(self):
        head = read_exact(self.sock, 5)
        n = struct.unpack("!i", head[1:])[0]
        return head[:1], read_exact(self.sock, n - 4)

    @staticmethod
    def _error(body):
        fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
        return "%s %s" % (fields.get(b"C", ""), fields.get(b"M", ""))

    def query(self, sql):
        """Rows (lists of str or None) of the last statement; raises on an error."""
        q = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(q)) + q)
        rows, error = [], None
        while True:
            kind, body = self._message()
            if kind == b"D":
                cols, off, row = struct.unpack("!h", body[:2])[0], 2, []
                for _ in range(cols):
                    n = struct.unpack("!i", body[off:off + 4])[0]
                    off += 4
                    row.append(None if n < 0 else body[off:off + n].decode())
                    off += max(n, 0)
                rows.append(row)
            elif kind == b"T":
                rows = []
            elif kind == b"E":
                error = self._error(body)
            elif kind == b"Z":
                if error:
                    raise RuntimeError("postgres: " + error)
                return rows

    def setup(self):
        self.query("CREATE TABLE IF NOT EXISTS ledger (id bigint PRIMARY KEY, v text NOT NULL)")
        self.query("CREATE EXTENSION IF NOT EXISTS amcheck")

    def write(self, seq, value):
        self.query("INSERT INTO ledger (id, v) VALUES (%d, '%s')" % (seq, value))

    def read(self, seqs):
        return {int(i): v for i, v in self.query("SELECT id, v FROM ledger")}

    def count(self):
        return int(self.query("SELECT count(*) FROM ledger")[0][0])

    def tamper(self, delete, change):
        self.query("DELETE FROM ledger WHERE id = %d" % delete)
        self.query("UPDATE ledger SET v = 'tampered' WHERE id = %d" % change)

    def checks(self):
        # amcheck: the primary key's B-tree is consistent and holds every heap tuple; with data
        # checksums on, reading every page verifies its checksum.
        self.query("SELECT bt_index_check('ledger_pkey', true)")
        n = self.query("SELECT count(*) FROM ledger")[0][0]
        sums = self.query("SHOW data_checksums")[0][0]
        return sums == "on", "bt_index_check(ledger_pkey, heapallindexed) clean over %s rows; " \
            "data_checksums=%s, every page read" % (n, sums)


class Etcd:
    """etcd v3 through its JSON gateway (/v3/kv/...), one member at a time: each new connection
    goes to the next member of the comma-separated address list, so a client whose member went
    away carries on with another one."""

    next_member = 0

    def __init__(self, ips, port, timeout):
        import http.client
        members = ips.split(",")
        self.ip = members[Etcd.next_member % len(members)]
        Etcd.next_member += 1
        self.members = members
        self.port = port
        self.timeout = timeout
        self.http = http.client.HTTPConnection(self.ip, port, timeout=timeout)
        self.http.sock = connect(self.ip, port, timeout)

    def close(self):
        self.http.close()

    @classmethod
    def probe(cls, ips, port, timeout):
        """An instance without a connection of its own, for leader_ip() and serving()."""
        e = cls.__new__(cls)
        e.members, e.port, e.timeout, e.http, e.ip = ips.split(","), port, timeout, None, None
        return e

    def call(self, path, body, conn=None):
        import http.client
        h = conn or self.http
        try:
            h.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            r = h.getresponse()
            text = r.read()
        except (http.client.HTTPException, OSError) as e:
            raise Closed("etcd %s: %s" % (path, e))
        if r.status != 200:
            raise RuntimeError("etcd %s: HTTP %d %s" % (path, r.status, text[:200]))
        return json.loads(text)

    @staticmethod
    def b64(text):
        import base64
        return base64.b64encode(text.encode()).decode()

    def setup(self):
        pass

    def write(self, seq, value):
        self.call("/v3/kv/put", {"key": self.b64("w:%d" % seq), "value": self.b64(value)})

    PAGE = 1000  # keys per range request: a request's size stays bounded as the ledger grows

    def range_all(self, extra=None, conn=None):
        """Every key-value of the ledger, one page of PAGE keys per request, all at the first
        page's revision (unless `extra` names one). One request for the whole ledger took longer
        than the per-request timeout once it held ~65,000 writes on a busy machine."""
        import base64
        extra = dict(extra or {})
        key, out = self.b64("w:"), []
        while True:
            r = self.call("/v3/kv/range", dict(extra, key=key, range_end=self.b64("w;"),
                                               limit=self.PAGE), conn)
            kvs = r.get("kvs", [])
            out.extend(kvs)
            if not r.get("more") or not kvs:
                return out
            extra.setdefault("revision", int(r["header"]["revision"]))
            key = base64.b64encode(base64.b64decode(kvs[-1]["key"]) + b"\0").decode()

    def read(self, seqs):
        import base64
        return {int(base64.b64decode(kv["key"]).decode()[2:]): base64.b64decode(
            kv.get("value", "")).decode() for kv in self.range_all()}

    def count(self):
        r = self.call("/v3/kv/range", {"key": self.b64("w:"), "range_end": self.b64("w;"),
                                       "count_only": True})
        return int(r.get("count", 0))

    def tamper(self, delete, change):
        self.call("/v3/kv/deleterange", {"key": self.b64("w:%d" % delete)})
        self.call("/v3/kv/put", {"key": self.b64("w:%d" % change), "value": self.b64("tampered")})

    def checks(self):
        # Every member holds the same keys and values at one revision (a serializable read
        # answers from the member's own store), and every member agrees on the leader.
        import http.client
        rng = {"key": self.b64("w:"), "range_end": self.b64("w;")}
        rev = int(self.call("/v3/kv/range", dict(rng, count_only=True))["header"]["revision"])
        digests, leaders = {}, set()
        for ip in self.members:
            h = http.client.HTTPConnection(ip, self.port, timeout=self.timeout)
            try:
                kvs = self.range_all({"revision": rev, "serializable": True}, h)
                digests[ip] = hashlib.sha256(json.dumps(
                    sorted((kv["key"], kv.get("value", "")) for kv in kvs)).encode()).hexdigest()
                leaders.add(self.call("/v3/maintenance/status", {}, h).get("leader"))
            finally:
                h.close()
        ok = len(set(digests.values())) == 1 and len(leaders) == 1
        return ok, "the same keys and values at revision %d on %d members, %d leader(s)" % (
            rev, len(digests), len(leaders)) if ok else "members differ: %s, leaders %s" % (
            digests, leaders)

    def leader_ip(self):
        import http.client
        ids = {}
        leader = None
        for ip in self.members:
            h = http.client.HTTPConnection(ip, self.port, timeout=self.timeout)
            try:
                st = self.call("/v3/maintenance/status", {}, h)
                ids[st["header"]["member_id"]] = ip
                leader = st.get("leader", leader)
            except (Closed, RuntimeError):
                pass
            finally:
                h.close()
        return ids.get(leader)

    def in_quorum(self):
        """How many members serve (answer a linearizable read)."""
        return sum(1 for ip in self.members if self.serving(ip))

    def serving(self, ip):
        """The member at ip answers a linearizable read (it is in the quorum)."""
        import http.client
        h = http.client.HTTPConnection(ip, self.port, timeout=self.timeout)
        try:
            self.call("/v3/kv/range", {"key": self.b64("w:0")}, h)
            return True
        except (Closed, RuntimeError, OSError):
            return False
        finally:
            h.close()


def four_letter(ip, port, word, timeout):
    """A four-letter word (ZooKeeper's admin commands; the example allows only `srvr`)."""
    sock = connect(ip, port, timeout)
    try:
        sock.sendall(word.encode())
        out = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return out.decode(errors="replace")
            out += chunk
    finally:
        sock.close()


class ZooKeeper:
    """A ZooKeeper ensemble through kazoo (Debian's python3-kazoo), one server per session: each
    new connection goes to the next server of the comma-separated address list (as for etcd),
    so a client whose server went away carries on with another one in a new session. A write
    creates a sequential znode /ledger/w-NNNNNNNNNN holding the value; the acknowledgement is
    the created path, which the ledger keeps (`paths`, set by the Writer)."""

    next_member = 0
    ROOT = "/ledger"

    def __init__(self, ips, port, timeout, ip=None):
        from kazoo.client import KazooClient
        self.members = ips.split(",")
        if ip is None:
            ip = self.members[ZooKeeper.next_member % len(self.members)]
            ZooKeeper.next_member += 1
        self.ip, self.port, self.timeout = ip, port, timeout
        self.paths = {}
        # A short TCP connect first: kazoo's own connect waits up to the session timeout for a
        # SYN that a moving address never answers.
        connect(ip, port, timeout).close()
        # Session timeout 4 s (the ensemble allows 1 to 10 s: 2 to 20 ticks of 500 ms); no
        # command retries: a create whose answer is lost must stay "uncertain", never be sent
        # twice behind the ledger's back.
        self.zk = KazooClient(hosts="%s:%d" % (ip, port), timeout=4.0, randomize_hosts=False,
                              connection_retry={"max_tries": 0})
        try:
            self.zk.start(timeout=max(2.0, 2 * timeout))
        except Exception as e:  # kazoo's timeout or a refused session
            self._stop()
            raise Closed("zookeeper %s: %s" % (ip, e))

    def _stop(self):
        try:
            self.zk.stop()
            self.zk.close()
        except Exception:
            pass

    def close(self):
        self._stop()

    @classmethod
    def probe(cls, ips, port, timeout):
        """An instance without a session of its own, for leader_ip() and serving()."""
        z = cls.__new__(cls)
        z.members, z.port, z.timeout, z.zk, z.ip, z.paths = ips.split(","), port, timeout, None, \
            None, {}
        return z

    def call(self, fn, *args, **kwargs):
        """One request, answered within the timeout, or Closed (ConnectionLoss, a session gone,
        no answer in time) / RuntimeError (ZooKeeper refused it)."""
        from kazoo.exceptions import (ConnectionLoss, KazooException, SessionExpiredError,
                                      ZookeeperError)
        from kazoo.handlers.threading import KazooTimeoutError
        try:
            return fn(*args, **kwargs).get(timeout=self.timeout)
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as e:
            raise Closed("zookeeper %s: %s" % (self.ip, type(e).__name__))
        except ZookeeperError as e:
            raise RuntimeError("zookeeper %s: %s" % (self.ip, type(e).__name__))
        except KazooException as e:  # e.g. the session closed under us
            raise Closed("zookeeper %s: %s" % (self.ip, type(e).__name__))

    def setup(self):
        from kazoo.exceptions import NodeExistsError
        try:
            self.zk.create_async(self.ROOT, b"").get(timeout=self.timeout)
        except NodeExistsError:
            pass
        except Exception as e:
            raise Closed("zookeeper %s: setup: %s" % (self.ip, type(e).__name__))

    def write(self, seq, value):
        return self.call(self.zk.create_async, self.ROOT + "/w-", value.encode(), sequence=True)

    def _all(self, zk=None, sync=True):
        """{path: data} of every znode under /ledger, read from one server (after a sync, so
        that it is at least as new as the leader was when the read began)."""
        zk = zk or self.zk
        if sync:
            self.call(zk.sync_async, self.ROOT)
        names = self.call(zk.get_children_async, self.ROOT)
        out = {}
        for i in range(0, len(names), 500):  # pipelined, bounded per batch
            part = names[i:i + 500]
            waits = [zk.get_async(self.ROOT + "/" + n) for n in part]
            for n, w in zip(part, waits):
                try:
                    out[self.ROOT + "/" + n] = w.get(timeout=max(self.timeout, 5.0))[0].decode()
                except Exception as e:
                    from kazoo.exceptions import NoNodeError
                    if isinstance(e, NoNodeError):
                        continue
                    raise Closed("zookeeper %s: read: %s" % (self.ip, type(e).__name__))
        return out

    def read(self, seqs):
        """seq -> the data at the path its create returned (acknowledged writes); an uncertain
        write has no path, so it is looked for by its value among the other znodes."""
        every = self._all()
        self.last_count = len(every)
        got, known = {}, set()
        for s in seqs:
            p = self.paths.get(s)
            if p is not None:
                known.add(p)
                if p in every:
                    got[s] = every[p]
        wanted = set(s for s in seqs if s not in self.paths)
        for p, data in every.items():
            if p in known or not data.startswith("v"):
                continue
            try:
                s = int(data[1:].split("-", 1)[0])
            except ValueError:
                continue
            if s in wanted:
                got[s] = data
        return got

    def count(self):
        return self.last_count

    def tamper(self, delete, change):
        self.call(self.zk.delete_async, self.paths[delete])
        self.call(self.zk.set_async, self.paths[change], b"tampered")

    def checks(self):
        """Every server holds the same znodes with the same data (each read from that server
        after a sync); the paths the creates returned grow with the order of their
        acknowledgements (ZooKeeper's one order of writes); one leader, the others followers."""
        from kazoo.client import KazooClient
        digests, modes = {}, {}
        for ip in self.members:
            modes[ip] = self.mode(ip)
            z = KazooClient(hosts="%s:%d" % (ip, self.port), timeout=4.0,
                            connection_retry={"max_tries": 0})
            try:
                z.start(timeout=5.0)
                every = self._all(z)
                digests[ip] = hashlib.sha256(json.dumps(sorted(every.items())).encode()) \
                    .hexdigest()
            except Exception as e:
                digests[ip] = "unread: %s" % type(e).__name__
            finally:
                try:
                    z.stop()
                    z.close()
                except Exception:
                    pass
        order = [self.paths[s] for s in sorted(self.paths)]
        ordered = all(a < b for a, b in zip(order, order[1:]))
        leaders = [ip for ip, m in modes.items() if m == "leader"]
        ok = len(set(digests.values())) == 1 and not digests[self.members[0]].startswith(
            "unread") and ordered and len(leaders) == 1 and \
            sum(1 for m in modes.values() if m == "follower") == len(self.members) - 1
        if ok:
            return True, "the same znodes and data on %d servers; %d created paths in " \
                "acknowledgement order; one leader (%s), %d followers" % (
                    len(digests), len(order), leaders[0], len(self.members) - 1)
        return False, "servers differ: %s; modes %s; paths in order: %s" % (
            digests, modes, ordered)

    def mode(self, ip):
        """The server's `srvr` mode: leader, follower, or None (not serving, not reachable)."""
        try:
            out = four_letter(ip, self.port, "srvr", self.timeout)
        except (OSError, Closed):
            return None
        for line in out.splitlines():
            if line.startswith("Mode: "):
                return line[6:].strip()
        return None

    def in_quorum(self):
        """How many servers are in the quorum (leader or a follower synced with it)."""
        return sum(1 for ip in self.members if self.mode(ip) in ("leader", "follower"))

    def leader_ip(self):
        for ip in self.members:
            if self.mode(ip) == "leader":
                return ip
        return None

    def serving(self, ip):
        """The server at ip is in the quorum (a follower that synced with the leader, or the
        leader) and answers a session's read."""
        if self.mode(ip) not in ("leader", "follower"):
            return False
        try:
            z = ZooKeeper(",".join(self.members), self.port, self.timeout, ip=ip)
        except (OSError, Closed):
            return False
        try:
            z.call(z.zk.exists_async, self.ROOT)
            return True
        except (Closed, RuntimeError):
            return False
        finally:
            z.close()


class Writer:
    def __init__(self, args):
        self.args = args
        self.kind = {"redis": Redis, "postgres": Postgres, "etcd": Etcd,
                     "zookeeper": ZooKeeper}[args.db]
        self.conn = None
        self.seq = 0
        self.acked = {}  # seq -> value
        self.paths = {}  # seq -> what the database answered (ZooKeeper: the created path)
        self.uncertain = {}
        self.gaps = []
        self.last_ack = None
        self.paused = False
        self.stop = False

    def out(self, obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def connect(self):
        if self.conn is None:
            c = self.kind(self.args.ip, self.args.port, self.args.timeout)
            if hasattr(c, "paths"):
                c.paths = self.paths
            try:
                c.setup()
            except BaseException:
                c.close()
                raise
            self.conn = c
        return self.conn

    def drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def command(self, line):
        cmd = line.strip()
        if cmd == "status":
            self.out({"acked": len(self.acked), "last_ack": self.last_ack, "gaps": self.gaps,
                      "uncertain": len(self.uncertain)})
        elif cmd == "verify":
            self.paused = True
            self.out(self.verify())
        elif cmd == "resume":
            self.paused = False
            self.last_ack = time.monotonic()
            self.out({"resumed": True})
        elif cmd == "tamper":
            self.paused = True
            first, second = sorted(self.acked)[:2]
            self.connect().tamper(first, second)
            self.out({"tampered": [first, second]})
        elif cmd == "leader":  # a quorum (etcd, zookeeper): the leader's address
            a = self.args
            self.out({"leader": self.kind.probe(a.ip, a.port, a.timeout).leader_ip()})
        elif cmd == "in_quorum":  # a quorum: how many members serve
            a = self.args
            self.out({"in_quorum": self.kind.probe(a.ip, a.port, a.timeout).in_quorum()})
        elif cmd.startswith("serving "):  # a quorum: does that member serve?
            a = self.args
            self.out({"serving": self.kind.probe(a.ip, a.port, a.timeout).serving(
                cmd.split()[1])})
        elif cmd in ("stop", ""):
            self.stop = True
        else:
            self.out({"error": "unknown command " + cmd})

    def verify(self, deadline_s=30):
        end = time.monotonic() + deadline_s
        err = None
        while time.monotonic() < end:  # bounded: the database may still be starting
            try:
                c = self.connect()
                seqs = sorted(self.acked)
                got = c.read(sorted(set(seqs) | set(self.uncertain)))
                lost = [s for s in seqs if s not in got]
                changed = [s for s in seqs if s in got and got[s] != self.acked[s]]
                bad_uncertain = [s for s, v in self.uncertain.items() if s in got and got[s] != v]
                total = c.count()
                present_uncertain = sum(1 for s in self.uncertain if s in got)
                ok, detail = c.checks()
                return {"acked": len(seqs), "lost": lost[:20], "lost_n": len(lost),
                        "changed": (changed + bad_uncertain)[:20],
                        "changed_n": len(changed) + len(bad_uncertain),
                        "extra": total - len(seqs) - present_uncertain,
                        "uncertain": len(self.uncertain), "checks_ok": ok, "checks": detail}
            except (OSError, Closed, RuntimeError) as e:
                err = str(e)
                self.drop()
                time.sleep(0.1)
        return {"error": "verify: no answer within %d s: %s" % (deadline_s, err)}

    def run(self):
        a = self.args
        end = time.monotonic() + a.deadline
        interval = 1.0 / a.rate if a.rate > 0 else 0.0
        next_at = time.monotonic()
        while not self.stop and time.monotonic() < end:  # bounded by --deadline
            wait = 0.0
            if self.paused or len(self.acked) >= a.max_writes:
                wait = 0.5
            elif interval:
                wait = max(0.0, next_at - time.monotonic())
            ready, _, _ = select.select([sys.stdin], [], [], wait)
            if ready:
                self.command(sys.stdin.readline())
                continue
            if self.paused or len(self.acked) >= a.max_writes:
                continue
            next_at = max(next_at + interval, time.monotonic() - 1.0)
            seq, value = self.seq, value_of(self.seq)
            try:
                c = self.connect()
            except (OSError, Closed, RuntimeError):
                self.drop()
                time.sleep(0.02)  # the database is away: try again soon
                continue
            self.seq += 1
            try:
                answer = c.write(seq, value)
            except (OSError, Closed, RuntimeError):
                self.uncertain[seq] = value
                self.drop()
                continue
            if answer is not None:
                self.paths[seq] = answer
            now = time.monotonic()
            if self.last_ack is not None and now - self.last_ack > a.gap:
                self.gaps.append([self.last_ack, now])
            self.last_ack = now
            self.acked[seq] = value
        self.drop()


def enter_netns(name):
    """Joins the network namespace /run/netns/NAME (only that: `ip netns exec` would also copy
    the host's mounts into a new mount namespace and keep the instances' volumes busy)."""
    import ctypes
    import os
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("db", choices=["redis", "postgres", "etcd", "zookeeper"])
    p.add_argument("ip", help="the server's address (etcd, zookeeper: the members', "
                   "comma-separated)")
    p.add_argument("port", type=int)
    p.add_argument("--rate", type=float, default=0, help="writes per second (0: full speed)")
    p.add_argument("--max-writes", type=int, default=200000)
    p.add_argument("--deadline", type=float, default=3600)
    p.add_argument("--timeout", type=float, default=1.0,
                   help="how long one request may take, seconds (a longer one counts as failed)")
    p.add_argument("--gap", type=float, default=0.2, help="shortest gap recorded, seconds")
    p.add_argument("--netns", help="network namespace to join first (the VPC's)")
    args = p.parse_args()
    if args.netns:
        enter_netns(args.netns)
    Writer(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
