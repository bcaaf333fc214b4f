package kfk

/*
#include <stdlib.h>
#include <kfk.h>
*/
import "C"

import "unsafe"

// Offsets with a meaning, for assignments, seeks and lookups.
const (
	OffsetBeginning int64 = -2    // the partition's log start
	OffsetEnd       int64 = -1    // the partition's end (the next record)
	OffsetInvalid   int64 = -1001 // none: auto.offset.reset decides
	// OffsetMaxTimestamp asks ListOffsets for the record with the largest
	// timestamp (KIP-734).
	OffsetMaxTimestamp int64 = -3
)

// TopicPartition is a partition with what an operation reads or fills:
// an offset, commit metadata, a leader epoch and its own result.
type TopicPartition struct {
	Topic       string
	Partition   int32
	Offset      int64  // OffsetInvalid when none
	Metadata    string // commit metadata
	LeaderEpoch int32  // -1 when unknown
	// Timestamp is filled by offset lookups: the found record's, or -1.
	Timestamp int64
	// Err is the partition's own result, where an operation gives one.
	Err error
}

// toCList copies parts into a new kfk_partition_list (the caller
// destroys it). Every offset is copied as it is: callers pass
// OffsetInvalid where they mean none.
func toCList(parts []TopicPartition) (*C.kfk_partition_list, error) {
	l := C.kfk_partition_list_new(C.size_t(len(parts)))
	if l == nil {
		return nil, newError(C.KFK_ERR_NO_MEMORY, "")
	}
	for i, tp := range parts {
		ct := C.CString(tp.Topic)
		err := C.kfk_partition_list_add(l, ct, C.int32_t(tp.Partition))
		C.free(unsafe.Pointer(ct))
		if err != C.KFK_OK {
			C.kfk_partition_list_destroy(l)
			return nil, newError(err, "partition list: bad topic or partition")
		}
		ci := C.size_t(i)
		C.kfk_partition_list_set_offset(l, ci, C.int64_t(tp.Offset))
		if tp.LeaderEpoch >= 0 {
			C.kfk_partition_list_set_leader_epoch(l, ci, C.int32_t(tp.LeaderEpoch))
		}
		if tp.Metadata != "" {
			cm := C.CString(tp.Metadata)
			C.kfk_partition_list_set_metadata(l, ci, cm)
			C.free(unsafe.Pointer(cm))
		}
	}
	return l, nil
}

// fromCList copies a kfk_partition_list into Go.
func fromCList(l *C.kfk_partition_list) []TopicPartition {
	n := int(C.kfk_partition_list_count(l))
	out := make([]TopicPartition, n)
	for i := 0; i < n; i++ {
		ci := C.size_t(i)
		tp := &out[i]
		tp.Topic = C.GoString(C.kfk_partition_list_topic(l, ci))
		tp.Partition = int32(C.kfk_partition_list_partition(l, ci))
		tp.Offset = int64(C.kfk_partition_list_offset(l, ci))
		if md := C.kfk_partition_list_metadata(l, ci); md != nil {
			tp.Metadata = C.GoString(md)
		}
		tp.LeaderEpoch = int32(C.kfk_partition_list_leader_epoch(l, ci))
		tp.Timestamp = int64(C.kfk_partition_list_timestamp(l, ci))
		if e := C.kfk_partition_list_error(l, ci); e != C.KFK_OK {
			tp.Err = &Error{Code: ErrorCode(e), Topic: tp.Topic, Partition: tp.Partition, Offset: -1}
		}
	}
	return out
}
