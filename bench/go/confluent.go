package main

import (
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func confluentProduce(o options, topic, mode string) (int, error) {
	conf := kafka.ConfigMap{"bootstrap.servers": o.bootstrap}
	if mode == "equal" {
		conf["acks"] = "all"
		conf["enable.idempotence"] = true
		conf["linger.ms"] = equalLingerMs
		conf["batch.size"] = equalBatchBytes
		conf["compression.type"] = "none"
	}
	p, err := kafka.NewProducer(&conf)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	type tally struct {
		ok, failed int
		first      error
	}
	res := make(chan tally)
	go func() {
		var t tally
		for t.ok+t.failed < o.n {
			ev := <-p.Events()
			m, isMsg := ev.(*kafka.Message)
			if !isMsg {
				continue
			}
			if m.TopicPartition.Error != nil {
				t.failed++
				if t.first == nil {
					t.first = m.TopicPartition.Error
				}
			} else {
				t.ok++
			}
		}
		res <- t
	}()
	value := make([]byte, o.size)
	tp := kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}
	for i := 0; i < o.n; {
		err := p.Produce(&kafka.Message{TopicPartition: tp, Value: value}, nil)
		if err != nil {
			if e, ok := err.(kafka.Error); ok && e.Code() == kafka.ErrQueueFull {
				time.Sleep(100 * time.Microsecond) // the queue drains as reports come
				continue
			}
			return 0, err
		}
		i++
	}
	for p.Flush(1000) > 0 {
	}
	t := <-res
	if t.failed > 0 {
		return t.ok, fmt.Errorf("%d records failed: %v", t.failed, t.first)
	}
	return t.ok, nil
}

func confluentConsume(o options, topic, mode string) (int, error) {
	conf := kafka.ConfigMap{"bootstrap.servers": o.bootstrap, "group.id": "go-bench-" + topic,
		"enable.auto.commit": false}
	if mode == "equal" {
		conf["fetch.min.bytes"] = 1
		conf["fetch.wait.max.ms"] = equalFetchWaitMs
		conf["max.partition.fetch.bytes"] = equalPartFetch
		conf["fetch.max.bytes"] = equalFetchMax
	}
	c, err := kafka.NewConsumer(&conf)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	parts := make([]kafka.TopicPartition, o.partitions)
	for i := range parts {
		parts[i] = kafka.TopicPartition{Topic: &topic, Partition: int32(i), Offset: kafka.OffsetBeginning}
	}
	if err := c.Assign(parts); err != nil {
		return 0, err
	}
	next := make([]int64, o.partitions)
	got := 0
	deadline := time.Now().Add(consumeTimeLimit)
	for got < o.n {
		if time.Now().After(deadline) {
			return got, fmt.Errorf("timed out")
		}
		switch ev := c.Poll(100).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				return got, ev.TopicPartition.Error
			}
			p, off := ev.TopicPartition.Partition, int64(ev.TopicPartition.Offset)
			if len(ev.Value) != o.size || off != next[p] {
				return got, fmt.Errorf("record %d/%d: %d bytes at offset %d", p, off, len(ev.Value), next[p])
			}
			next[p]++
			got++
		case kafka.Error:
			return got, ev
		}
	}
	return got, nil
}
