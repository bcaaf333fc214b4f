"""AdminClient: confluent-kafka's admin shapes over kfk_admin. kfk's admin
calls block, so each method does its work before returning and hands back
futures that are already done, as confluent-kafka's callers expect."""
from concurrent.futures import Future
from typing import Any, Dict, List, Optional, Sequence

from . import _conf
from ._errors import KafkaError, KafkaException
from ._handle import Hooks
from ._observe import Stats, stats_document
from ._kfk import ffi, lib
from ._types import TopicPartition, from_c, to_c

NULL = ffi.NULL


def _s(p) -> Optional[str]:
    return None if p == NULL else ffi.string(p).decode()


def _done(value=None, error: Optional[KafkaError] = None) -> Future:
    f: Future = Future()
    if error is not None:
        f.set_exception(KafkaException(error))
    else:
        f.set_result(value)
    return f


class NewTopic:
    def __init__(self, topic: str, num_partitions: int = -1, replication_factor: int = -1,
                 config: Optional[Dict[str, str]] = None):
        self.topic = topic
        self.num_partitions = num_partitions
        self.replication_factor = replication_factor
        self.config = dict(config or {})


class ConfigResource:
    class Type:
        TOPIC = 2
        BROKER = 4
        BROKER_LOGGER = 8
        GROUP = 32

    def __init__(self, restype: Any, name: str, set_config: Optional[Dict[str, str]] = None):
        if isinstance(restype, str):
            restype = getattr(ConfigResource.Type, restype.upper())
        self.restype = int(restype)
        self.name = name
        self.set_config_dict = dict(set_config or {})

    def set_config(self, name: str, value: str) -> None:
        self.set_config_dict[name] = value

    def __hash__(self) -> int:
        return hash((self.restype, self.name))

    def __eq__(self, o: object) -> bool:
        return isinstance(o, ConfigResource) and (self.restype, self.name) == (o.restype, o.name)

    def __repr__(self) -> str:
        return "ConfigResource(%d,%s)" % (self.restype, self.name)


class ConfigEntry:
    def __init__(self, name, value, source, is_read_only, is_default, is_sensitive):
        self.name, self.value, self.source = name, value, source
        self.is_read_only, self.is_default, self.is_sensitive = is_read_only, is_default, is_sensitive

    def __repr__(self) -> str:
        return "ConfigEntry(%s=%r)" % (self.name, self.value)


class BrokerMetadata:
    def __init__(self, id: int, host: str, port: int, rack: Optional[str]):
        self.id, self.host, self.port, self.rack = id, host, port, rack

    def __repr__(self) -> str:
        return "BrokerMetadata(%d, %s:%d)" % (self.id, self.host, self.port)


class PartitionMetadata:
    def __init__(self, id, leader, replicas, isrs, error):
        self.id, self.leader, self.replicas, self.isrs, self.error = id, leader, replicas, isrs, error


class TopicMetadata:
    def __init__(self, topic, partitions, error, is_internal):
        self.topic, self.partitions, self.error, self.is_internal = (
            topic, partitions, error, is_internal)


class ClusterMetadata:
    def __init__(self):
        self.cluster_id: Optional[str] = None
        self.controller_id = -1
        self.brokers: Dict[int, BrokerMetadata] = {}
        self.topics: Dict[str, TopicMetadata] = {}


class DescribeClusterResult:
    def __init__(self, cluster_id, controller, nodes):
        self.cluster_id, self.controller, self.nodes = cluster_id, controller, nodes


class ConsumerGroupListing:
    def __init__(self, group_id, type, state, protocol_type, coordinator):
        self.group_id, self.type, self.state = group_id, type, state
        self.protocol_type, self.coordinator = protocol_type, coordinator
        self.is_simple_consumer_group = protocol_type == ""


class ListConsumerGroupsResult:
    def __init__(self, valid, errors):
        self.valid, self.errors = valid, errors


class MemberDescription:
    def __init__(self, member_id, client_id, host, assignment):
        self.member_id, self.client_id, self.host = member_id, client_id, host
        self.assignment = assignment


class ConsumerGroupDescription:
    def __init__(self, group_id, type, state, protocol, coordinator, members):
        self.group_id, self.type, self.state = group_id, type, state
        self.partition_assignor, self.coordinator, self.members = protocol, coordinator, members


class ConsumerGroupTopicPartitions:
    def __init__(self, group_id: str, topic_partitions: Optional[List[TopicPartition]] = None):
        self.group_id = group_id
        self.topic_partitions = topic_partitions


class OffsetSpec:
    def __init__(self, value: int):
        self.value = value

    @classmethod
    def earliest(cls) -> "OffsetSpec":
        return cls(-2)

    @classmethod
    def latest(cls) -> "OffsetSpec":
        return cls(-1)

    @classmethod
    def max_timestamp(cls) -> "OffsetSpec":
        return cls(-3)

    @classmethod
    def for_timestamp(cls, ts_ms: int) -> "OffsetSpec":
        return cls(ts_ms)


class ListOffsetsResultInfo:
    def __init__(self, offset, timestamp, leader_epoch):
        self.offset, self.timestamp, self.leader_epoch = offset, timestamp, leader_epoch


def _strings(names: Sequence[str]):
    keep = [ffi.new("char[]", n.encode()) for n in names]
    return ffi.new("const char *[]", keep), keep


class AdminClient:
    """AdminClient(config): kfk's property names, plus error_cb and logger."""

    def __init__(self, config: Dict[str, Any], **kwargs: Any):
        conf, py = _conf.build(dict(config, **kwargs))
        if py.get("interceptors") is not None:
            lib.kfk_conf_destroy(conf)
            raise ValueError("interceptors: an AdminClient has no records or commits to "
                             "intercept (a Producer's or Consumer's property)")
        self._hooks = Hooks(self, py)
        self._hooks.install(conf)
        errbuf = _conf.errbuf()
        a = lib.kfk_admin_new(conf, errbuf, 1024)
        if a == NULL:
            raise KafkaException(KafkaError(-111, ffi.string(errbuf).decode()))
        self._a = a
        self._stats = Stats(lib.kfk_admin_stats_json, lib.kfk_admin_stats_prometheus)

    def _open(self):
        if self._a is None:
            raise RuntimeError("the admin client is closed")
        return self._a

    def stats(self) -> Dict[str, Any]:
        """The admin client's statistics document (docs/STATS.md: its
        connections under brokers) as a dict. An admin client has no
        stats_cb (no poll to deliver one from): kfk logs that it ignores
        stats_cb and statistics.interval.ms."""
        return stats_document(self.stats_json())

    def stats_json(self) -> str:
        return self._stats.json(self._open())

    def stats_prometheus(self) -> str:
        """The figures in Prometheus text format (kafka_admin_* metrics)."""
        return self._stats.prometheus(self._open())

    def close(self) -> None:
        """Frees the client; calls after it fail."""
        if self._a is not None:
            a, self._a = self._a, None
            lib.kfk_admin_destroy(a)

    def __del__(self):
        if getattr(self, "_a", None) is not None:
            self.close()

    def poll(self, timeout: Optional[float] = None) -> int:
        self._hooks.serve_events()
        return 0

    def _opts(self, timeout: Optional[float], flags: int = 0):
        o = ffi.new("kfk_admin_options *")
        o.timeout_ms = 0 if timeout is None else max(1, int(timeout * 1000))
        o.flags = flags
        return o

    def _last(self) -> Optional[str]:
        return _s(lib.kfk_admin_last_error(self._a)) or None

    def _call_error(self, err: int) -> KafkaError:
        return KafkaError(err, self._last())

    def _results(self, res) -> Dict[str, Optional[KafkaError]]:
        out = {}
        for i in range(lib.kfk_admin_result_count(res)):
            e = lib.kfk_admin_result_error(res, i)
            out[_s(lib.kfk_admin_result_name(res, i))] = (
                KafkaError(e, _s(lib.kfk_admin_result_message(res, i))) if e else None)
        return out

    def _per_name(self, names, err, res) -> Dict[str, Future]:
        if res == NULL:
            ke = self._call_error(err)
            return {n: _done(error=ke) for n in names}
        r = self._results(res)
        lib.kfk_admin_result_destroy(res)
        return {n: _done(error=r.get(n)) for n in names}

    # --- topics -----------------------------------------------------------
    def create_topics(self, new_topics: Sequence[NewTopic], operation_timeout: float = 0,
                      request_timeout: Optional[float] = None,
                      validate_only: bool = False) -> Dict[str, Future]:
        ts = []
        try:
            for t in new_topics:
                nt = lib.kfk_new_topic_new(t.topic.encode(), t.num_partitions,
                                           t.replication_factor)
                if nt == NULL:
                    raise ValueError("bad topic %r" % t.topic)
                ts.append(nt)
                for k, v in t.config.items():
                    lib.kfk_new_topic_set_config(nt, k.encode(), str(v).encode())
            arr = ffi.new("kfk_new_topic *[]", ts)
            res = ffi.new("kfk_admin_result **")
            flags = lib.KFK_ADMIN_VALIDATE_ONLY if validate_only else 0
            err = lib.kfk_admin_create_topics(self._a, arr, len(ts),
                                              self._opts(request_timeout, flags), res)
            return self._per_name([t.topic for t in new_topics], err, res[0])
        finally:
            for nt in ts:
                lib.kfk_new_topic_destroy(nt)

    def delete_topics(self, topics: Sequence[str], operation_timeout: float = 0,
                      request_timeout: Optional[float] = None) -> Dict[str, Future]:
        arr, keep = _strings(topics)
        res = ffi.new("kfk_admin_result **")
        err = lib.kfk_admin_delete_topics(self._a, arr, len(topics), self._opts(request_timeout),
                                          res)
        return self._per_name(list(topics), err, res[0])

    def list_topics(self, topic: Optional[str] = None,
                    timeout: Optional[float] = None) -> ClusterMetadata:
        out = ffi.new("kfk_metadata **")
        if topic is None:
            err = lib.kfk_admin_list_topics(self._a, NULL, 0, self._opts(timeout), out)
        else:
            arr, keep = _strings([topic])
            err = lib.kfk_admin_list_topics(self._a, arr, 1, self._opts(timeout), out)
        if err:
            raise KafkaException(self._call_error(err))
        md = out[0]
        try:
            return _metadata(md)
        finally:
            lib.kfk_metadata_destroy(md)

    def describe_cluster(self, request_timeout: Optional[float] = None) -> Future:
        out = ffi.new("kfk_metadata **")
        err = lib.kfk_admin_describe_cluster(self._a, self._opts(request_timeout), out)
        if err:
            return _done(error=self._call_error(err))
        try:
            cm = _metadata(out[0])
        finally:
            lib.kfk_metadata_destroy(out[0])
        nodes = list(cm.brokers.values())
        return _done(DescribeClusterResult(cm.cluster_id, cm.brokers.get(cm.controller_id),
                                           nodes))

    # --- configs ----------------------------------------------------------
    def _config_call(self, fn, resources, timeout, incremental) -> Dict[ConfigResource, Future]:
        rs = []
        try:
            for r in resources:
                cr = lib.kfk_config_resource_new(r.restype, r.name.encode())
                if cr == NULL:
                    raise ValueError("bad config resource %r" % (r,))
                rs.append(cr)
                for k, v in r.set_config_dict.items():
                    op = 0 if v is not None else 1  # SET, DELETE
                    lib.kfk_config_resource_add(cr, k.encode(), op,
                                                NULL if v is None else str(v).encode())
            arr = ffi.new("kfk_config_resource *[]", rs)
            res = ffi.new("kfk_admin_result **")
            err = fn(self._a, arr, len(rs), self._opts(timeout), res)
            res = res[0]
            if res == NULL:
                ke = self._call_error(err)
                return {r: _done(error=ke) for r in resources}
            try:
                out = {}
                for i, r in enumerate(resources):
                    e = lib.kfk_admin_result_error(res, i)
                    if e:
                        out[r] = _done(error=KafkaError(
                            e, _s(lib.kfk_admin_result_message(res, i))))
                    elif incremental:
                        out[r] = _done(None)
                    else:
                        out[r] = _done(_configs(res, i))
                return out
            finally:
                lib.kfk_admin_result_destroy(res)
        finally:
            for cr in rs:
                lib.kfk_config_resource_destroy(cr)

    def describe_configs(self, resources: Sequence[ConfigResource],
                         request_timeout: Optional[float] = None):
        # Described with no names added: every config of the resource.
        plain = [ConfigResource(r.restype, r.name) for r in resources]
        fs = self._config_call(lib.kfk_admin_describe_configs, plain, request_timeout, False)
        return {r: fs[p] for r, p in zip(resources, plain)}

    def incremental_alter_configs(self, resources: Sequence[ConfigResource],
                                  request_timeout: Optional[float] = None):
        return self._config_call(lib.kfk_admin_incremental_alter_configs, resources,
                                 request_timeout, True)

    # --- groups -----------------------------------------------------------
    def list_consumer_groups(self, request_timeout: Optional[float] = None, **_: Any) -> Future:
        res = ffi.new("kfk_admin_result **")
        err = lib.kfk_admin_list_groups(self._a, NULL, self._opts(request_timeout), res)
        res = res[0]
        if res == NULL:
            return _done(error=self._call_error(err))
        try:
            valid, errors = [], []
            for i in range(lib.kfk_admin_result_count(res)):
                name = _s(lib.kfk_admin_result_name(res, i))
                e = lib.kfk_admin_result_error(res, i)
                if name is None:
                    errors.append(KafkaError(e))
                    continue
                valid.append(ConsumerGroupListing(
                    name, _s(lib.kfk_group_type_name(lib.kfk_admin_result_group_type(res, i))),
                    _s(lib.kfk_group_state_name(lib.kfk_admin_result_group_state(res, i))),
                    _s(lib.kfk_admin_result_group_protocol_type(res, i)) or "",
                    lib.kfk_admin_result_group_coordinator(res, i)))
            return _done(ListConsumerGroupsResult(valid, errors))
        finally:
            lib.kfk_admin_result_destroy(res)

    def describe_consumer_groups(self, group_ids: Sequence[str],
                                 request_timeout: Optional[float] = None) -> Dict[str, Future]:
        arr, keep = _strings(group_ids)
        res = ffi.new("kfk_admin_result **")
        err = lib.kfk_admin_describe_groups(self._a, arr, len(group_ids),
                                            self._opts(request_timeout), res)
        res = res[0]
        if res == NULL:
            ke = self._call_error(err)
            return {g: _done(error=ke) for g in group_ids}
        try:
            out = {}
            for i in range(lib.kfk_admin_result_count(res)):
                g = _s(lib.kfk_admin_result_name(res, i))
                e = lib.kfk_admin_result_error(res, i)
                if e:
                    out[g] = _done(error=KafkaError(e, _s(lib.kfk_admin_result_message(res, i))))
                    continue
                members = []
                for j in range(lib.kfk_admin_result_group_member_count(res, i)):
                    members.append(MemberDescription(
                        _s(lib.kfk_admin_result_group_member_id(res, i, j)),
                        _s(lib.kfk_admin_result_group_member_client_id(res, i, j)),
                        _s(lib.kfk_admin_result_group_member_host(res, i, j)),
                        from_c(lib.kfk_admin_result_group_member_assignment(res, i, j))))
                out[g] = _done(ConsumerGroupDescription(
                    g, _s(lib.kfk_group_type_name(lib.kfk_admin_result_group_type(res, i))),
                    _s(lib.kfk_group_state_name(lib.kfk_admin_result_group_state(res, i))),
                    _s(lib.kfk_admin_result_group_protocol(res, i)),
                    lib.kfk_admin_result_group_coordinator(res, i), members))
            return out
        finally:
            lib.kfk_admin_result_destroy(res)

    def delete_consumer_groups(self, group_ids: Sequence[str],
                               request_timeout: Optional[float] = None) -> Dict[str, Future]:
        arr, keep = _strings(group_ids)
        res = ffi.new("kfk_admin_result **")
        err = lib.kfk_admin_delete_groups(self._a, arr, len(group_ids),
                                          self._opts(request_timeout), res)
        return self._per_name(list(group_ids), err, res[0])

    def list_consumer_group_offsets(self, requests: Sequence[ConsumerGroupTopicPartitions],
                                    request_timeout: Optional[float] = None,
                                    require_stable: bool = False) -> Dict[str, Future]:
        out = {}
        for r in requests:
            parts = to_c(r.topic_partitions, offsets=False) if r.topic_partitions else NULL
            lst = ffi.new("kfk_partition_list **")
            err = lib.kfk_admin_list_group_offsets(self._a, r.group_id.encode(), parts,
                                                   self._opts(request_timeout), lst)
            if lst[0] == NULL:
                out[r.group_id] = _done(error=self._call_error(err))
                continue
            tps = from_c(lst[0])
            lib.kfk_partition_list_destroy(lst[0])
            out[r.group_id] = _done(ConsumerGroupTopicPartitions(r.group_id, tps))
        return out

    def alter_consumer_group_offsets(self, requests: Sequence[ConsumerGroupTopicPartitions],
                                     request_timeout: Optional[float] = None) -> Dict[str, Future]:
        out = {}
        for r in requests:
            lst = to_c(r.topic_partitions or [])
            err = lib.kfk_admin_alter_group_offsets(self._a, r.group_id.encode(), lst,
                                                    self._opts(request_timeout))
            if err:
                out[r.group_id] = _done(error=self._call_error(err))
            else:
                out[r.group_id] = _done(ConsumerGroupTopicPartitions(r.group_id, from_c(lst)))
        return out

    # --- offsets ----------------------------------------------------------
    def list_offsets(self, topic_partition_offsets: Dict[TopicPartition, OffsetSpec],
                     isolation_level: Any = None,
                     request_timeout: Optional[float] = None) -> Dict[TopicPartition, Future]:
        tps = list(topic_partition_offsets)
        lst = lib.kfk_partition_list_new(len(tps))
        try:
            for i, tp in enumerate(tps):
                lib.kfk_partition_list_add(lst, tp.topic.encode(), tp.partition)
                spec = topic_partition_offsets[tp]
                lib.kfk_partition_list_set_offset(
                    lst, i, spec.value if isinstance(spec, OffsetSpec) else int(spec))
            flags = lib.KFK_ADMIN_READ_COMMITTED if str(isolation_level).upper().endswith(
                "READ_COMMITTED") else 0
            err = lib.kfk_admin_list_offsets(self._a, lst, self._opts(request_timeout, flags))
            if err == -101:
                raise KafkaException(self._call_error(err))
            out = {}
            for i, tp in enumerate(tps):
                e = lib.kfk_partition_list_error(lst, i)
                if e:
                    out[tp] = _done(error=KafkaError(e))
                else:
                    ep = lib.kfk_partition_list_leader_epoch(lst, i)
                    out[tp] = _done(ListOffsetsResultInfo(
                        lib.kfk_partition_list_offset(lst, i),
                        lib.kfk_partition_list_timestamp(lst, i), ep if ep >= 0 else None))
            return out
        finally:
            lib.kfk_partition_list_destroy(lst)

    def __enter__(self) -> "AdminClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _configs(res, i) -> Dict[str, ConfigEntry]:
    out = {}
    for j in range(lib.kfk_admin_result_config_count(res, i)):
        c = lib.kfk_admin_result_config(res, i, j)
        name = _s(c.name)
        out[name] = ConfigEntry(name, _s(c.value), int(c.source), bool(c.read_only),
                                bool(c.is_default), bool(c.sensitive))
    return out


def _ints(fn, md, t, p) -> List[int]:
    n = ffi.new("size_t *")
    arr = fn(md, t, p, n)
    return [arr[k] for k in range(n[0])] if arr != NULL else []


def _metadata(md) -> ClusterMetadata:
    cm = ClusterMetadata()
    cm.cluster_id = _s(lib.kfk_metadata_cluster_id(md))
    cm.controller_id = lib.kfk_metadata_controller_id(md)
    for b in range(lib.kfk_metadata_broker_count(md)):
        bm = BrokerMetadata(lib.kfk_metadata_broker_id(md, b),
                            _s(lib.kfk_metadata_broker_host(md, b)),
                            lib.kfk_metadata_broker_port(md, b),
                            _s(lib.kfk_metadata_broker_rack(md, b)))
        cm.brokers[bm.id] = bm
    for t in range(lib.kfk_metadata_topic_count(md)):
        name = _s(lib.kfk_metadata_topic_name(md, t))
        e = lib.kfk_metadata_topic_error(md, t)
        parts = {}
        for p in range(lib.kfk_metadata_partition_count(md, t)):
            pe = lib.kfk_metadata_partition_error(md, t, p)
            pid = lib.kfk_metadata_partition_id(md, t, p)
            parts[pid] = PartitionMetadata(
                pid, lib.kfk_metadata_partition_leader(md, t, p),
                _ints(lib.kfk_metadata_partition_replicas, md, t, p),
                _ints(lib.kfk_metadata_partition_isr, md, t, p), KafkaError(pe) if pe else None)
        cm.topics[name] = TopicMetadata(name, parts, KafkaError(e) if e else None,
                                        bool(lib.kfk_metadata_topic_is_internal(md, t)))
    return cm
