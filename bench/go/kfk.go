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
	// Records are the producer's until their reports, then the
	// application's again: a batch goes back to free once every record
	// in it has been reported, and a later batch reuses it.
	free := make(chan *recordBatch, 64)
	p, err := kfk.NewProducer(conf, kfk.WithDeliveryFunc(func(d kfk.Delivery) {
		if b := d.Record.Opaque.(*recordBatch); b.reported() && len(free) < cap(free) {
			free <- b
		}
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
	for sent := 0; sent < o.n; {
		k := min(batch, o.n-sent)
		var b *recordBatch
		select {
		case b = <-free:
		default:
			b = &recordBatch{recs: make([]kfk.Record, batch), ptrs: make([]*kfk.Record, batch)}
		}
		b.left = k
		for i := range b.recs[:k] {
			b.recs[i] = kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Value: value, Opaque: b}
			b.ptrs[i] = &b.recs[i]
		}
		if _, err := p.ProduceBatch(ctx, b.ptrs[:k]); err != nil {
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

// recordBatch is one ProduceBatch's records, reused once all are reported.
type recordBatch struct {
	recs []kfk.Record
	ptrs []*kfk.Record
	left int // records not yet reported; the delivery function's
}

// reported counts one report and is true for the batch's last.
func (b *recordBatch) reported() bool {
	b.left--
	return b.left == 0
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
