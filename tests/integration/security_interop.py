"""kafka-python over SASL_SSL with SCRAM, as a peer of kfk.
  produce BOOTSTRAP CA MECHANISM USER PASSWORD TOPIC N
      writes values "0".."N-1" to TOPIC (partition 0) and exits 0 once all
      are acknowledged.
  consume BOOTSTRAP CA MECHANISM USER PASSWORD TOPIC N
      reads TOPIC from the beginning until it has N records (at most 60 s)
      and prints each value, one per line.
For security_interop_test."""
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def security(ca, mech, user, password):
    return dict(security_protocol="SASL_SSL", ssl_cafile=ca, sasl_mechanism=mech,
                sasl_plain_username=user, sasl_plain_password=password)


def produce(bootstrap, sec, topic, n):
    p = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", **sec)
    futures = [p.send(topic, value=str(i).encode(), partition=0) for i in range(n)]
    p.flush(timeout=60)
    for f in futures:
        f.get(timeout=60)  # raises if a record failed
    p.close()


def consume(bootstrap, sec, topic, n):
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False,
                      consumer_timeout_ms=60000, **sec)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = []
    for m in c:
        got.append(m.value.decode())
        if len(got) == n:
            break
    c.close()
    print("\n".join(got))


def main():
    cmd, bootstrap, ca, mech, user, password, topic, n = sys.argv[1:9]
    sec = security(ca, mech, user, password)
    (produce if cmd == "produce" else consume)(bootstrap, sec, topic, int(n))


if __name__ == "__main__":
    main()
