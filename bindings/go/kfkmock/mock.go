// Package kfkmock runs kfk's embedded mock Kafka cluster (libkfk_mock)
// inside the process, for tests of applications that use kfk: real
// brokers on loopback ports speaking the Kafka protocol, with no JVM.
//
//	mc, err := kfkmock.NewCluster(3)
//	defer mc.Close()
//	p, err := kfk.NewProducer(kfk.Config{"bootstrap.servers": mc.Bootstrap()})
package kfkmock

/*
#cgo pkg-config: kfk_mock
#include <stdlib.h>
#include <kfk_mock.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// Cluster is a running mock cluster. Its methods may be called from any
// goroutine.
type Cluster struct {
	mu sync.RWMutex
	mc *C.kfk_mock_cluster
}

// Error is a kfk error code returned by a control call; it converts to
// the kfk package's ErrorCode (kfk.ErrorCode(e)).
type Error int32

func (e Error) Error() string {
	return fmt.Sprintf("kfkmock: %s", C.GoString(C.kfk_err_str(C.kfk_err(e))))
}

// ErrClosed is returned by calls on a closed cluster.
var ErrClosed = errors.New("kfkmock: cluster is closed")

func check(err C.kfk_err) error {
	if err != C.KFK_OK {
		return Error(err)
	}
	return nil
}

// NewCluster starts brokers 1..n (1 to 64) on 127.0.0.1.
func NewCluster(brokers int) (*Cluster, error) {
	mc := C.kfk_mock_cluster_new(C.int(brokers))
	if mc == nil {
		return nil, fmt.Errorf("kfkmock: cannot start a cluster of %d brokers", brokers)
	}
	return &Cluster{mc: mc}, nil
}

// Bootstrap is the cluster's bootstrap.servers list.
func (c *Cluster) Bootstrap() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mc == nil {
		return ""
	}
	return C.GoString(C.kfk_mock_cluster_bootstrap(c.mc))
}

func (c *Cluster) do(fn func(*C.kfk_mock_cluster) C.kfk_err) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mc == nil {
		return ErrClosed
	}
	return check(fn(c.mc))
}

// CreateTopic creates a topic (partitions and replicationFactor -1: the
// defaults).
func (c *Cluster) CreateTopic(name string, partitions int32, replicationFactor int16) error {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return c.do(func(mc *C.kfk_mock_cluster) C.kfk_err {
		return C.kfk_mock_topic_create(mc, cn, C.int32_t(partitions), C.int16_t(replicationFactor))
	})
}

// DeleteTopic deletes a topic and its data.
func (c *Cluster) DeleteTopic(name string) error {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return c.do(func(mc *C.kfk_mock_cluster) C.kfk_err { return C.kfk_mock_topic_delete(mc, cn) })
}

// PartitionOffsets gives a partition's log start offset and high watermark.
func (c *Cluster) PartitionOffsets(topic string, partition int32) (start, high int64, err error) {
	cn := C.CString(topic)
	defer C.free(unsafe.Pointer(cn))
	var s, h C.int64_t
	err = c.do(func(mc *C.kfk_mock_cluster) C.kfk_err {
		return C.kfk_mock_partition_offsets(mc, cn, C.int32_t(partition), &s, &h)
	})
	return int64(s), int64(h), err
}

// PushErrors makes the next n requests of the API (its Kafka API key)
// fail with the kfk error code code.
func (c *Cluster) PushErrors(apiKey int16, n int, code int32) error {
	return c.do(func(mc *C.kfk_mock_cluster) C.kfk_err {
		return C.kfk_mock_push_errors(mc, C.int16_t(apiKey), C.size_t(n), C.kfk_err(code))
	})
}

// SetBrokerDown takes a broker down (closing its connections and
// refusing new ones) or brings it back up on the same port.
func (c *Cluster) SetBrokerDown(id int32, down bool) error {
	return c.do(func(mc *C.kfk_mock_cluster) C.kfk_err {
		return C.kfk_mock_broker_set_down(mc, C.int32_t(id), C.bool(down))
	})
}

// SetBrokerRTT delays every answer of a broker by rttMs.
func (c *Cluster) SetBrokerRTT(id int32, rttMs int) error {
	return c.do(func(mc *C.kfk_mock_cluster) C.kfk_err {
		return C.kfk_mock_broker_set_rtt(mc, C.int32_t(id), C.int(rttMs))
	})
}

// Close stops the cluster; clients still connected see their
// connections close.
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mc != nil {
		C.kfk_mock_cluster_destroy(c.mc)
		c.mc = nil
	}
}
