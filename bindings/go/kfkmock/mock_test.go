package kfkmock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
	"github.com/kfk-project/kfk/bindings/go/kfkmock"
)

func TestMockCluster(t *testing.T) {
	mc, err := kfkmock.NewCluster(2)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if err := mc.CreateTopic("t", 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := mc.CreateTopic("t", 2, 2); !errors.Is(err, kfkmock.Error(kfk.ErrTopicAlreadyExists)) {
		t.Fatalf("creating t twice: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := kfk.NewProducer(kfk.Config{"bootstrap.servers": mc.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := p.Produce(ctx, &kfk.Record{Topic: "t", Partition: 1, Value: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	start, high, err := mc.PartitionOffsets("t", 1)
	if err != nil || start != 0 || high != 5 {
		t.Fatalf("offsets: %d %d %v", start, high, err)
	}
	if err := mc.DeleteTopic("t"); err != nil {
		t.Fatal(err)
	}
	mc.Close()
	if err := mc.CreateTopic("u", 1, 1); err != kfkmock.ErrClosed {
		t.Fatalf("after Close: %v", err)
	}
}
