package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

func kfkProduce(o options, topic, mode string) (int, error) {
	conf := kfk.Config{"bootstrap.servers": o.bootstrap}
	if mode == "equal" {
		conf["acks"] = "all"
		conf["enable.idempotence"] = "true"
		conf["linger.ms"] = strconv.Itoa(equalLingerMs)
		conf["batch.size"] = strconv.Itoa(equalBatchBytes)
		conf["compression.type"] = "none"
	}
	for k, v := range kfkExtra {
		conf[k] = v
	}
	var ok, failed int
	var firstErr error
	p, err := kfk.NewProducer(conf, kfk.WithDeliveryFunc(func(d kfk.Delivery) {
		if d.Err != nil {
			failed++
			if firstErr == nil {
				firstErr = d.Err
			}
			return
		}
		ok++
	}))
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), produceTimeLimit)
	defer cancel()
	value := make([]byte, o.size)
	const batch = 1000
	ptrs := make([]*kfk.Record, batch)
	for sent := 0; sent < o.n; {
		k := min(batch, o.n-sent)
		// Records belong to the producer until their reports: fresh ones
		// for every batch.
		recs := make([]kfk.Record, k)
		for i := range recs {
			recs[i] = kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Value: value}
			ptrs[i] = &recs[i]
		}
		if _, err := p.ProduceBatch(ctx, ptrs[:k]); err != nil {
			return ok, err
		}
		sent += k
	}
	if err := p.Close(ctx); err != nil {
		return ok, err
	}
	if failed > 0 {
		return ok, fmt.Errorf("%d records failed: %v", failed, firstErr)
	}
	return ok, nil
}

func kfkConsume(o options, topic, mode string) (int, error) {
	conf := kfk.Config{"bootstrap.servers": o.bootstrap}
	if mode == "equal" {
		conf["fetch.min.bytes"] = "1"
		conf["fetch.max.wait.ms"] = strconv.Itoa(equalFetchWaitMs)
		conf["max.partition.fetch.bytes"] = strconv.Itoa(equalPartFetch)
		conf["fetch.max.bytes"] = strconv.Itoa(equalFetchMax)
	}
	for k, v := range kfkExtra {
		conf[k] = v
	}
	c, err := kfk.NewConsumer(conf)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), consumeTimeLimit)
	defer cancel()
	defer c.Close(ctx)
	parts := make([]kfk.TopicPartition, o.partitions)
	for i := range parts {
		parts[i] = kfk.TopicPartition{Topic: topic, Partition: int32(i), Offset: kfk.OffsetBeginning, LeaderEpoch: -1}
	}
	if err := c.Assign(parts); err != nil {
		return 0, err
	}
	next := make([]int64, o.partitions)
	got := 0
	// PollInto: the messages are this slice, refilled by every poll; their
	// bytes are valid until the next poll (PollBatch's are the caller's
	// for good, at an allocation per poll and a Message per record).
	msgs := make([]kfk.Message, 10000)
	for got < o.n {
		k, err := c.PollInto(ctx, msgs)
		if err != nil {
			return got, err
		}
		for i := range msgs[:k] {
			m := &msgs[i]
			if len(m.Value) != o.size || m.Offset != next[m.Partition] {
				return got, fmt.Errorf("record %d/%d: %d bytes, want %d at offset %d",
					m.Partition, m.Offset, len(m.Value), o.size, next[m.Partition])
			}
			next[m.Partition]++
			got++
		}
	}
	return got, nil
}
