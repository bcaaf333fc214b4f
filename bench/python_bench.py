"""Python kfk against confluent-kafka-python, produce and consume, on the
same broker: one line per case with msgs/s, CPU per record and the ratio
of kfk to confluent-kafka. Each case runs in a process of its own, so its
CPU time (user + system, every thread) is its own. Every delivery report
and every consumed message is checked. Never part of make check.

    python3 bench/python_bench.py -b 127.0.0.1:PORT [-n 1000000] [-s 100]
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid

# The settings both clients get in the "equal" cases: the same batching
# (linger.ms 5, 1 MB batches, 32 MiB of buffer), acks=all, idempotence
# on, no compression; Nagle off, as kfk sets TCP_NODELAY.
EQUAL_PRODUCE = {
    "kfk": {"linger.ms": 5, "batch.size": 1000000, "buffer.memory": 33554432},
    "confluent": {"linger.ms": 5, "batch.size": 1000000, "queue.buffering.max.kbytes": 32768,
                  "queue.buffering.max.messages": 10000000, "socket.nagle.disable": True},
}
# For consuming: the same fetch sizes and wait, and the same prefetch
# bound (64 MiB) with fetching resumed as soon as the queue is below it
# (librdkafka otherwise waits fetch.queue.backoff.ms, 1 s, once its queue
# holds queued.min.messages).
EQUAL_CONSUME = {
    "kfk": {"fetch.min.bytes": 1, "fetch.max.bytes": 52428800,
            "max.partition.fetch.bytes": 1048576, "fetch.max.wait.ms": 500,
            "fetch.queue.max.bytes": 67108864},
    "confluent": {"fetch.min.bytes": 1, "fetch.max.bytes": 52428800,
                  "max.partition.fetch.bytes": 1048576, "fetch.wait.max.ms": 500,
                  "queued.max.messages.kbytes": 65536, "queued.min.messages": 10000000,
                  "fetch.queue.backoff.ms": 0, "socket.nagle.disable": True},
}


def client_module(name):
    if name == "kfk":
        import kfk
        return kfk
    import confluent_kafka
    return confluent_kafka


def run_produce(args, client, settings):
    m = client_module(client)
    conf = {"bootstrap.servers": args.bootstrap, "acks": "all", "enable.idempotence": True}
    conf.update(settings)
    state = {"ok": 0, "err": 0}

    def dr(err, msg):
        if err is None:
            state["ok"] += 1
        else:
            state["err"] += 1

    conf["on_delivery"] = dr
    p = m.Producer(conf)
    value = os.urandom(args.size // 2).hex().encode()[: args.size]
    topic = args.topic
    produce = p.produce
    # Metadata and the producer id first, as a warm-up outside the clock.
    produce(topic, value)
    p.flush(30)
    state["ok"] = 0
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(args.n):
        try:
            produce(topic, value)
        except BufferError:
            p.poll(0.05)
            produce(topic, value)
        if i % 1024 == 0:
            p.poll(0)
    left = p.flush(120)
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    ok = state["ok"] == args.n and state["err"] == 0 and left == 0
    return {"wall": wall, "cpu": cpu, "ok": ok, "delivered": state["ok"], "errors": state["err"]}


def run_consume(args, client, settings):
    m = client_module(client)
    conf = {"bootstrap.servers": args.bootstrap, "group.id": "bench-" + uuid.uuid4().hex,
            "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    conf.update(settings)
    c = m.Consumer(conf)
    c.assign([m.TopicPartition(args.topic, 0, m.OFFSET_BEGINNING)])
    n, bad, size = 0, 0, args.size
    consume = c.consume
    first = None
    t0 = c0 = None
    deadline = time.monotonic() + 300
    want = args.n + 1  # the producer's warm-up record too
    while n < want and time.monotonic() < deadline:
        msgs = consume(1000, 1.0)
        if msgs and t0 is None:
            t0, c0 = time.monotonic(), time.process_time()
        for msg in msgs:
            if msg.error() is not None or len(msg.value()) != size:
                bad += 1
            n += 1
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    c.close()
    return {"wall": wall, "cpu": cpu, "ok": n == want and bad == 0, "delivered": n,
            "errors": bad}


def make_topic(bootstrap):
    from kfk.admin import AdminClient, NewTopic
    name = "kfk-pybench-" + uuid.uuid4().hex[:8]
    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(name, 1, 1)])[name].result()
    a.close()
    return name


def child(args):
    settings = json.loads(args.settings)
    fn = run_produce if args.case == "produce" else run_consume
    print(json.dumps(fn(args, args.client, settings)))


def spawn(args, case, client, topic, settings):
    cmd = [sys.executable, __file__, "--child", "-b", args.bootstrap, "-n", str(args.n),
           "-s", str(args.size), "--case", case, "--client", client, "--topic", topic,
           "--settings", json.dumps(settings)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def line(case, batch, client, r, ref):
    rate = r["delivered"] / r["wall"]
    cpu_us = r["cpu"] / max(r["delivered"], 1) * 1e6
    ratio = "" if ref is None else "  x%.2f vs confluent" % (rate / (ref["delivered"] /
                                                                     ref["wall"]))
    check = "all checked" if r["ok"] else "FAILED: %d ok, %d errors" % (r["delivered"],
                                                                       r["errors"])
    print("%-8s %-13s %-10s %10.0f msgs/s  %6.2f us CPU/record  %s%s" % (
        case, batch, client, rate, cpu_us, check, ratio), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", "--bootstrap", required=True)
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("-s", "--size", type=int, default=100)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--client")
    ap.add_argument("--topic")
    ap.add_argument("--settings", default="{}")
    args = ap.parse_args()
    if args.child:
        return child(args)
    print("%d records of %d B against %s" % (args.n, args.size, args.bootstrap), flush=True)
    topics = {}
    for batch, settings in (("defaults", {"kfk": {}, "confluent": {}}),
                            ("equal", EQUAL_PRODUCE)):
        res = {}
        for client in ("confluent", "kfk"):
            topic = make_topic(args.bootstrap)
            topics[(batch, client)] = topic
            res[client] = spawn(args, "produce", client, topic, settings[client])
        line("produce", batch, "confluent", res["confluent"], None)
        line("produce", batch, "kfk", res["kfk"], res["confluent"])
    # Both read the same topics: the ones each producer filled at its
    # defaults (kfk's 16 KiB batches, librdkafka's up to 1 MB).
    for writer in ("kfk", "confluent"):
        topic = topics[("defaults", writer)]
        for batch, settings in (("defaults", {"kfk": {}, "confluent": {}}),
                                ("equal", EQUAL_CONSUME)):
            res = {c: spawn(args, "consume", c, topic, settings[c])
                   for c in ("confluent", "kfk")}
            what = "%s/%s" % (batch, "kfkw" if writer == "kfk" else "cfw")
            line("consume", what, "confluent", res["confluent"], None)
            line("consume", what, "kfk", res["kfk"], res["confluent"])


if __name__ == "__main__":
    main()
