package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func franzProduce(o options, topic, mode string) (int, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(o.bootstrap), kgo.DefaultProduceTopic(topic)}
	if mode == "equal" {
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()),
			kgo.ProducerLinger(equalLingerMs*time.Millisecond),
			kgo.ProducerBatchMaxBytes(equalBatchBytes),
			kgo.ProducerBatchCompression(kgo.NoCompression()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), produceTimeLimit)
	defer cancel()
	var mu sync.Mutex
	var ok, failed int
	var firstErr error
	done := func(r *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		ok++
	}
	value := make([]byte, o.size)
	for i := 0; i < o.n; i++ {
		cl.Produce(ctx, &kgo.Record{Value: value}, done)
	}
	if err := cl.Flush(ctx); err != nil {
		return ok, err
	}
	mu.Lock()
	defer mu.Unlock()
	if failed > 0 {
		return ok, fmt.Errorf("%d records failed: %v", failed, firstErr)
	}
	return ok, nil
}

func franzConsume(o options, topic, mode string) (int, error) {
	parts := map[int32]kgo.Offset{}
	for i := 0; i < o.partitions; i++ {
		parts[int32(i)] = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{kgo.SeedBrokers(o.bootstrap),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts})}
	if mode == "equal" {
		opts = append(opts, kgo.FetchMinBytes(1), kgo.FetchMaxWait(equalFetchWaitMs*time.Millisecond),
			kgo.FetchMaxPartitionBytes(equalPartFetch), kgo.FetchMaxBytes(equalFetchMax))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), consumeTimeLimit)
	defer cancel()
	next := make([]int64, o.partitions)
	got := 0
	var bad error
	for got < o.n && bad == nil {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return got, err
		}
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Value) != o.size || r.Offset != next[r.Partition] {
				bad = fmt.Errorf("record %d/%d: %d bytes at offset %d", r.Partition, r.Offset, len(r.Value), next[r.Partition])
			}
			next[r.Partition]++
			got++
		})
	}
	return got, bad
}
