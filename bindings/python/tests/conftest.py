"""The suite runs against KFK_TEST_BOOTSTRAP (a real Kafka) when it is set,
else against an embedded mock cluster (kfk.mock) of three brokers."""
import os
import time
import uuid

import pytest

import kfk
import kfk.mock
from kfk.admin import AdminClient, NewTopic

REAL = bool(os.environ.get("KFK_TEST_BOOTSTRAP"))


@pytest.fixture(scope="session")
def bootstrap():
    bs = os.environ.get("KFK_TEST_BOOTSTRAP")
    if bs:
        yield bs
        return
    with kfk.mock.Cluster(brokers=3) as mc:
        yield mc.bootstrap_servers()


@pytest.fixture(scope="session")
def admin(bootstrap):
    a = AdminClient({"bootstrap.servers": bootstrap})
    yield a
    a.close()


def unique(what: str) -> str:
    return "kfk-py-%s-%d-%s" % (what, os.getpid(), uuid.uuid4().hex[:8])


@pytest.fixture
def topic_factory(admin):
    made = []

    def make(partitions: int = 1, what: str = "t") -> str:
        name = unique(what)
        fs = admin.create_topics([NewTopic(name, partitions, 1)], request_timeout=30)
        fs[name].result()
        made.append(name)
        wait_for(lambda: name in admin.list_topics(name).topics and
                 len(admin.list_topics(name).topics[name].partitions) == partitions,
                 "topic %s in the metadata" % name)
        return name

    yield make
    if made:
        admin.delete_topics(made, request_timeout=30)


def wait_for(cond, what: str, timeout: float = 60.0):
    """Polls cond until it holds; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)
