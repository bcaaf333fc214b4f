#!/usr/bin/env python3
"""Smoke check of a cluster started with `tools/kafka start --sasl` (and --oidc), with
kafka-python as the client. Reads STATE/client.env (the path is the only argument) and checks:
  - PLAIN and SCRAM-SHA-256/512 over SASL_SSL and SASL_PLAINTEXT, TLS over SSL;
  - OAUTHBEARER with an unsecured JWT (alg none) over SASL_SSL: the principal is its sub;
  - MTLS: with an ACL that lets User:CN=kfk-client write and read a topic, kfk-client produces
    and reads back, and kfk-other gets TOPIC_AUTHORIZATION_FAILED;
  - with --oidc: a client_credentials token from the token endpoint works on SASL_OIDC and a
    forged one does not.
Exits 0 when every check passes. Each check prints one line.
"""
import base64
import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request
import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                         NewTopic, ResourcePattern, ResourceType)
from kafka.errors import KafkaError, TopicAuthorizationFailedError
from kafka.net.sasl.oauth import AbstractTokenProvider

FAILED = []


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                env[k] = v[1:-1] if v.startswith("'") else v
    return env


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsecured_jwt(sub, lifetime_s=600):
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + lifetime_s}
    return b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(claims).encode()) + "."


class Token(AbstractTokenProvider):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def token(self):
        return self.value


def check(name, fn):
    try:
        fn()
        print("ok   %s" % name)
    except Exception as e:  # report every failure, go on with the next check
        FAILED.append(name)
        print("FAIL %s: %s: %s" % (name, type(e).__name__, e))


def roundtrip(bootstrap, topic=None, **conf):
    """Produce one message and read it back; raise on any error."""
    topic = topic or "kfk-sec-" + uuid.uuid4().hex[:8]
    value = uuid.uuid4().bytes
    p = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000,
                      max_block_ms=10000, **conf)
    try:
        p.send(topic, value).get(timeout=15)
    finally:
        p.close(timeout=5)
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                      consumer_timeout_ms=10000, **conf)
    try:
        got = [m.value for m in c]
    finally:
        c.close()
    if value not in got:
        raise AssertionError("read back %d messages, not the one produced" % len(got))


def main():
    env = read_env(sys.argv[1])
    ca = env["KFK_TEST_CA"]
    tls = dict(ssl_cafile=ca)
    users = [(env["KFK_TEST_SASL_USER"], env["KFK_TEST_SASL_PASSWORD"]),
             (env["KFK_TEST_SASL_ADMIN_USER"], env["KFK_TEST_SASL_ADMIN_PASSWORD"])]
    for proto, key, extra in (("SASL_SSL", "KFK_TEST_SASL_SSL", tls),
                              ("SASL_PLAINTEXT", "KFK_TEST_SASL_PLAINTEXT", {})):
        for mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            for user, pw in users:
                check("%s %s %s" % (proto, mech, user), lambda: roundtrip(
                    env[key], security_protocol=proto, sasl_mechanism=mech,
                    sasl_plain_username=user, sasl_plain_password=pw, **extra))
        check("%s PLAIN wrong password is refused" % proto, lambda: expect_fail(
            env[key], security_protocol=proto, sasl_mechanism="PLAIN",
            sasl_plain_username="alice", sasl_plain_password="wrong", **extra))
        check("%s OAUTHBEARER unsecured JWT" % proto, lambda: roundtrip(
            env[key], security_protocol=proto, sasl_mechanism="OAUTHBEARER",
            sasl_oauth_token_provider=Token(unsecured_jwt("alice")), **extra))
    check("SSL with the CA, hostname 127.0.0.1 checked",
          lambda: roundtrip(env["KFK_TEST_SSL"], security_protocol="SSL", **tls))
    check("SSL with the CA, hostname localhost checked", lambda: roundtrip(
        env["KFK_TEST_SSL"].replace("127.0.0.1", "localhost"), security_protocol="SSL", **tls))
    check("SSL with the encrypted client key", lambda: roundtrip(
        env["KFK_TEST_MTLS"], security_protocol="SSL", ssl_certfile=env["KFK_TEST_CLIENT_CERT"],
        ssl_keyfile=env["KFK_TEST_CLIENT_KEY_ENCRYPTED"],
        ssl_password=env["KFK_TEST_CLIENT_KEY_PASSWORD"], **tls))
    check("MTLS without a client certificate is refused", lambda: expect_fail(
        env["KFK_TEST_MTLS"], security_protocol="SSL", **tls))
    check("MTLS ACLs: kfk-client allowed, kfk-other TOPIC_AUTHORIZATION_FAILED",
          lambda: check_acls(env, tls))
    if "KFK_TEST_OIDC_TOKEN_URL" in env:
        check("SASL_OIDC with a client_credentials JWT", lambda: roundtrip(
            env["KFK_TEST_SASL_OIDC"], security_protocol="SASL_SSL",
            sasl_mechanism="OAUTHBEARER", sasl_oauth_token_provider=Token(oidc_token(env)), **tls))
        check("SASL_OIDC refuses an unsecured JWT", lambda: expect_fail(
            env["KFK_TEST_SASL_OIDC"], security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
            sasl_oauth_token_provider=Token(unsecured_jwt("kfk-client")), **tls))
    print("%d check(s) failed: %s" % (len(FAILED), ", ".join(FAILED)) if FAILED else "all passed")
    return 1 if FAILED else 0


def expect_fail(bootstrap, **conf):
    try:
        roundtrip(bootstrap, **conf)
    except (KafkaError, OSError, AssertionError):
        return
    raise AssertionError("the connection was accepted")


def check_acls(env, tls):
    topic = "kfk-acl-" + uuid.uuid4().hex[:8]
    admin = KafkaAdminClient(bootstrap_servers=env["KFK_TEST_SASL_SSL"],
                             security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                             sasl_plain_username=env["KFK_TEST_SASL_ADMIN_USER"],
                             sasl_plain_password=env["KFK_TEST_SASL_ADMIN_PASSWORD"], **tls)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
        pattern = ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)
        acls = [ACL(env["KFK_TEST_CLIENT_PRINCIPAL"], "*", op, ACLPermissionType.ALLOW, pattern)
                for op in (ACLOperation.WRITE, ACLOperation.READ, ACLOperation.DESCRIBE)]
        result = admin.create_acls(acls)
        if result["failed"]:
            raise AssertionError("create_acls: %s" % result["failed"])
        time.sleep(1)  # the ACLs reach the authorizer through the metadata log
        mtls = dict(security_protocol="SSL", **tls)
        roundtrip(env["KFK_TEST_MTLS"], topic, ssl_certfile=env["KFK_TEST_CLIENT_CERT"],
                  ssl_keyfile=env["KFK_TEST_CLIENT_KEY"], **mtls)
        p = KafkaProducer(bootstrap_servers=env["KFK_TEST_MTLS"], max_block_ms=10000,
                          ssl_certfile=env["KFK_TEST_OTHER_CERT"],
                          ssl_keyfile=env["KFK_TEST_OTHER_KEY"], **mtls)
        try:
            p.send(topic, b"denied").get(timeout=15)
            raise AssertionError("kfk-other could write")
        except TopicAuthorizationFailedError:
            pass
        finally:
            p.close(timeout=5)
    finally:
        admin.close()


def oidc_token(env):
    ctx = ssl.create_default_context(cafile=env["KFK_TEST_CA"])
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "kafka"}).encode()
    basic = base64.b64encode(("%s:%s" % (env["KFK_TEST_OIDC_CLIENT_ID"],
                                         env["KFK_TEST_OIDC_CLIENT_SECRET"])).encode()).decode()
    req = urllib.request.Request(env["KFK_TEST_OIDC_TOKEN_URL"], data=form,
                                 headers={"Authorization": "Basic " + basic})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.load(r)["access_token"]


if __name__ == "__main__":
    sys.exit(main())
