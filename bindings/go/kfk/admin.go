package kfk

/*
#include <stdlib.h>
#include <kfk.h>
*/
import "C"

import (
	"context"
	"unsafe"
)

// Admin is an admin client: topics, the cluster, offsets and groups.
// Its calls block until their answer or ctx's deadline (without one:
// default.api.timeout.ms); any goroutine may call them.
type Admin struct {
	c    *C.kfk_admin
	gate gate
}

// NewAdmin makes an admin client from conf.
func NewAdmin(conf Config) (*Admin, error) {
	cc, err := conf.newConf()
	if err != nil {
		return nil, err
	}
	var errbuf [512]C.char
	a := C.kfk_admin_new(cc, &errbuf[0], C.size_t(len(errbuf)))
	if a == nil {
		return nil, newError(C.KFK_ERR_CONFIG, C.GoString(&errbuf[0]))
	}
	return &Admin{c: a}, nil
}

// Close stops the admin client; calls still running return ErrDestroyed.
func (a *Admin) Close() {
	if a.gate.beginClose() {
		a.gate.shut()
		C.kfk_admin_destroy(a.c)
	}
}

func (a *Admin) call(ctx context.Context, flags C.unsigned, fn func(*C.kfk_admin, *C.kfk_admin_options) C.kfk_err) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !a.gate.enter() {
		return ErrClosed
	}
	defer a.gate.exit()
	opts := (*C.kfk_admin_options)(C.calloc(1, C.size_t(unsafe.Sizeof(C.kfk_admin_options{}))))
	defer C.free(unsafe.Pointer(opts))
	opts.timeout_ms = C.int(timeoutMs(ctx, 0))
	opts.flags = flags
	defer lockThread()()
	if err := fn(a.c, opts); err != C.KFK_OK {
		return newError(err, C.GoString(C.kfk_admin_last_error(a.c)))
	}
	return nil
}

// cStrings copies ss into C memory: a C array of C strings.
func cStrings(ss []string) (**C.char, func()) {
	arr := (**C.char)(C.calloc(C.size_t(len(ss)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	s := unsafe.Slice(arr, len(ss)+1)
	for i, v := range ss {
		s[i] = C.CString(v)
	}
	return arr, func() {
		for i := range ss {
			C.free(unsafe.Pointer(s[i]))
		}
		C.free(unsafe.Pointer(arr))
	}
}

// NewTopic describes a topic to create; -1 partitions or replication
// factor take the broker's default.
type NewTopic struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	Config            map[string]string
}

// TopicResult is one topic's outcome (Err nil on success).
type TopicResult struct {
	Name string
	Err  error
}

// results reads a kfk_admin_result's names and errors, with the broker's
// message where it sent one.
func results(r *C.kfk_admin_result) []TopicResult {
	n := int(C.kfk_admin_result_count(r))
	out := make([]TopicResult, n)
	for i := range out {
		ci := C.size_t(i)
		if nm := C.kfk_admin_result_name(r, ci); nm != nil {
			out[i].Name = C.GoString(nm)
		}
		if e := C.kfk_admin_result_error(r, ci); e != C.KFK_OK {
			msg := ""
			if m := C.kfk_admin_result_message(r, ci); m != nil {
				msg = ErrorCode(e).String() + ": " + C.GoString(m)
			}
			out[i].Err = &Error{Code: ErrorCode(e), Message: msg, Topic: out[i].Name, Partition: -1, Offset: -1}
		}
	}
	return out
}

// CreateTopics creates topics. The error is the first failed topic's (or
// the request's); the results give each topic's.
func (a *Admin) CreateTopics(ctx context.Context, topics []NewTopic) ([]TopicResult, error) {
	cts := make([]*C.kfk_new_topic, len(topics))
	defer func() {
		for _, t := range cts {
			C.kfk_new_topic_destroy(t)
		}
	}()
	for i, t := range topics {
		cn := C.CString(t.Name)
		cts[i] = C.kfk_new_topic_new(cn, C.int32_t(t.Partitions), C.int16_t(t.ReplicationFactor))
		C.free(unsafe.Pointer(cn))
		if cts[i] == nil {
			return nil, newError(C.KFK_ERR_NO_MEMORY, "")
		}
		for k, v := range t.Config {
			ck, cv := C.CString(k), C.CString(v)
			C.kfk_new_topic_set_config(cts[i], ck, cv)
			C.free(unsafe.Pointer(ck))
			C.free(unsafe.Pointer(cv))
		}
	}
	arr := (**C.kfk_new_topic)(C.calloc(C.size_t(len(cts)+1), C.size_t(unsafe.Sizeof((*C.kfk_new_topic)(nil)))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(cts)), cts)
	var res *C.kfk_admin_result
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_create_topics(k, arr, C.size_t(len(cts)), o, &res)
	})
	return takeResults(res), err
}

func takeResults(res *C.kfk_admin_result) []TopicResult {
	if res == nil {
		return nil
	}
	defer C.kfk_admin_result_destroy(res)
	return results(res)
}

// DeleteTopics deletes the named topics with their data.
func (a *Admin) DeleteTopics(ctx context.Context, names []string) ([]TopicResult, error) {
	arr, free := cStrings(names)
	defer free()
	var res *C.kfk_admin_result
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_delete_topics(k, arr, C.size_t(len(names)), o, &res)
	})
	return takeResults(res), err
}

// BrokerInfo is a broker of the cluster.
type BrokerInfo struct {
	ID   int32
	Host string
	Port int
	Rack string
}

// PartitionInfo is a partition's leader and replicas.
type PartitionInfo struct {
	ID       int32
	Leader   int32
	Replicas []int32
	ISR      []int32
	Err      error
}

// TopicInfo is a topic with its partitions.
type TopicInfo struct {
	Name       string
	Internal   bool
	Partitions []PartitionInfo
	Err        error
}

// Metadata is what ListTopics and DescribeCluster return.
type Metadata struct {
	ClusterID  string
	Controller int32
	Brokers    []BrokerInfo
	Topics     []TopicInfo
}

func int32s(p *C.int32_t, n C.size_t) []int32 {
	out := make([]int32, int(n))
	for i, v := range unsafe.Slice(p, int(n)) {
		out[i] = int32(v)
	}
	return out
}

func readMetadata(md *C.kfk_metadata) *Metadata {
	m := &Metadata{Controller: int32(C.kfk_metadata_controller_id(md))}
	if id := C.kfk_metadata_cluster_id(md); id != nil {
		m.ClusterID = C.GoString(id)
	}
	for b := C.size_t(0); b < C.kfk_metadata_broker_count(md); b++ {
		bi := BrokerInfo{ID: int32(C.kfk_metadata_broker_id(md, b)),
			Host: C.GoString(C.kfk_metadata_broker_host(md, b)),
			Port: int(C.kfk_metadata_broker_port(md, b))}
		if r := C.kfk_metadata_broker_rack(md, b); r != nil {
			bi.Rack = C.GoString(r)
		}
		m.Brokers = append(m.Brokers, bi)
	}
	for t := C.size_t(0); t < C.kfk_metadata_topic_count(md); t++ {
		ti := TopicInfo{Name: C.GoString(C.kfk_metadata_topic_name(md, t)),
			Internal: bool(C.kfk_metadata_topic_is_internal(md, t))}
		ti.Err = newError(C.kfk_metadata_topic_error(md, t), "")
		for p := C.size_t(0); p < C.kfk_metadata_partition_count(md, t); p++ {
			pi := PartitionInfo{ID: int32(C.kfk_metadata_partition_id(md, t, p)),
				Leader: int32(C.kfk_metadata_partition_leader(md, t, p)),
				Err:    newError(C.kfk_metadata_partition_error(md, t, p), "")}
			var n C.size_t
			r := C.kfk_metadata_partition_replicas(md, t, p, &n)
			pi.Replicas = int32s(r, n)
			r = C.kfk_metadata_partition_isr(md, t, p, &n)
			pi.ISR = int32s(r, n)
			ti.Partitions = append(ti.Partitions, pi)
		}
		m.Topics = append(m.Topics, ti)
	}
	return m
}

// ListTopics describes the named topics, or every topic (internal ones
// included) when names is empty, with the cluster's brokers.
func (a *Admin) ListTopics(ctx context.Context, names ...string) (*Metadata, error) {
	var arr **C.char
	if len(names) > 0 {
		var free func()
		arr, free = cStrings(names)
		defer free()
	}
	var md *C.kfk_metadata
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_list_topics(k, arr, C.size_t(len(names)), o, &md)
	})
	if md == nil {
		return nil, err
	}
	defer C.kfk_metadata_destroy(md)
	return readMetadata(md), err
}

// DescribeCluster gives the cluster's id, controller and brokers.
func (a *Admin) DescribeCluster(ctx context.Context) (*Metadata, error) {
	var md *C.kfk_metadata
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_describe_cluster(k, o, &md)
	})
	if md == nil {
		return nil, err
	}
	defer C.kfk_metadata_destroy(md)
	return readMetadata(md), err
}

// ListOffsets looks up, for each entry, the offset its Offset asks for:
// OffsetBeginning, OffsetEnd, OffsetMaxTimestamp, or a timestamp in ms.
// Each result carries its own Err; the error is the first failed one's.
func (a *Admin) ListOffsets(ctx context.Context, parts []TopicPartition) ([]TopicPartition, error) {
	l, err := toCList(parts)
	if err != nil {
		return nil, err
	}
	defer C.kfk_partition_list_destroy(l)
	err = a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_list_offsets(k, l, o)
	})
	return fromCList(l), err
}

// GroupListing is one group ListGroups found.
type GroupListing struct {
	ID           string
	Type         string // "classic", "consumer", ...
	State        string // "Stable", "Empty", ...
	ProtocolType string
}

// ListGroups lists the cluster's groups.
func (a *Admin) ListGroups(ctx context.Context) ([]GroupListing, error) {
	var res *C.kfk_admin_result
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_list_groups(k, nil, o, &res)
	})
	if res == nil {
		return nil, err
	}
	defer C.kfk_admin_result_destroy(res)
	var out []GroupListing
	for i := C.size_t(0); i < C.kfk_admin_result_count(res); i++ {
		nm := C.kfk_admin_result_name(res, i)
		if nm == nil {
			continue // a broker that failed: err says so
		}
		out = append(out, GroupListing{ID: C.GoString(nm),
			Type:         C.GoString(C.kfk_group_type_name(C.kfk_admin_result_group_type(res, i))),
			State:        C.GoString(C.kfk_group_state_name(C.kfk_admin_result_group_state(res, i))),
			ProtocolType: C.GoString(C.kfk_admin_result_group_protocol_type(res, i))})
	}
	return out, err
}

// GroupMember is a member of a described group.
type GroupMember struct {
	ID         string
	InstanceID string
	ClientID   string
	Host       string
	Assignment []TopicPartition
}

// GroupDescription is a described group.
type GroupDescription struct {
	ID           string
	Type         string
	State        string
	ProtocolType string
	Protocol     string // the assignor
	Coordinator  int32
	Members      []GroupMember
	Err          error
}

// DescribeGroups describes the groups; each description carries its own
// Err (ErrGroupIdNotFound for a group that does not exist).
func (a *Admin) DescribeGroups(ctx context.Context, ids []string) ([]GroupDescription, error) {
	arr, free := cStrings(ids)
	defer free()
	var res *C.kfk_admin_result
	err := a.call(ctx, 0, func(k *C.kfk_admin, o *C.kfk_admin_options) C.kfk_err {
		return C.kfk_admin_describe_groups(k, arr, C.size_t(len(ids)), o, &res)
	})
	if res == nil {
		return nil, err
	}
	defer C.kfk_admin_result_destroy(res)
	base := results(res)
	out := make([]GroupDescription, len(base))
	for j := range out {
		i := C.size_t(j)
		g := &out[j]
		g.ID, g.Err = base[j].Name, base[j].Err
		g.Type = C.GoString(C.kfk_group_type_name(C.kfk_admin_result_group_type(res, i)))
		g.State = C.GoString(C.kfk_group_state_name(C.kfk_admin_result_group_state(res, i)))
		if s := C.kfk_admin_result_group_protocol_type(res, i); s != nil {
			g.ProtocolType = C.GoString(s)
		}
		if s := C.kfk_admin_result_group_protocol(res, i); s != nil {
			g.Protocol = C.GoString(s)
		}
		g.Coordinator = int32(C.kfk_admin_result_group_coordinator(res, i))
		for m := C.size_t(0); m < C.kfk_admin_result_group_member_count(res, i); m++ {
			gm := GroupMember{ID: C.GoString(C.kfk_admin_result_group_member_id(res, i, m)),
				ClientID: C.GoString(C.kfk_admin_result_group_member_client_id(res, i, m)),
				Host:     C.GoString(C.kfk_admin_result_group_member_host(res, i, m))}
			if s := C.kfk_admin_result_group_member_instance_id(res, i, m); s != nil {
				gm.InstanceID = C.GoString(s)
			}
			if l := C.kfk_admin_result_group_member_assignment(res, i, m); l != nil {
				gm.Assignment = fromCList(l)
			}
			g.Members = append(g.Members, gm)
		}
	}
	return out, err
}
