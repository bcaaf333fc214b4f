package kfk_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// A property kfk does not know, or a value it refuses, fails the
// constructor with ErrConfig and a message naming the property.
func TestBadConfigNamesTheProperty(t *testing.T) {
	cases := []struct {
		conf kfk.Config
		want string
	}{
		{kfk.Config{"linger.sm": "5"}, `"linger.sm"`},
		{kfk.Config{"acks": "fast"}, `"acks"`},
		{kfk.Config{"compression.type": "brotli"}, `"compression.type"`},
	}
	for _, c := range cases {
		_, err := kfk.NewProducer(c.conf)
		var kerr *kfk.Error
		if !errors.Is(err, kfk.ErrConfig) || !errors.As(err, &kerr) || !strings.Contains(kerr.Message, c.want) {
			t.Errorf("NewProducer(%v): %v, want ErrConfig naming %s", c.conf, err, c.want)
		}
		if _, err := kfk.NewConsumer(c.conf); !errors.Is(err, kfk.ErrConfig) ||
			!strings.Contains(err.Error(), c.want) {
			t.Errorf("NewConsumer(%v): %v", c.conf, err)
		}
		if _, err := kfk.NewAdmin(c.conf); !errors.Is(err, kfk.ErrConfig) ||
			!strings.Contains(err.Error(), c.want) {
			t.Errorf("NewAdmin(%v): %v", c.conf, err)
		}
	}
	// A rule across properties is checked when the client is made.
	_, err := kfk.NewProducer(conf("enable.idempotence", "true", "acks", "1"))
	if !errors.Is(err, kfk.ErrConfig) || !strings.Contains(err.Error(), "acks") {
		t.Errorf("idempotence with acks=1: %v", err)
	}
}

// Errors carry kfk's codes through errors.Is and errors.As.
func TestErrorsIsAndAs(t *testing.T) {
	if kfk.ErrUnknownTopicOrPartition.String() != "UNKNOWN_TOPIC_OR_PARTITION" ||
		kfk.ErrTimedOut.String() != "TIMED_OUT" || kfk.ErrShareSessionLimitReached.String() != "SHARE_SESSION_LIMIT_REACHED" {
		t.Fatal("generated codes do not match kfk's names")
	}
	p, _ := newProducer(t, conf())
	ctx := testCtx(t, 60*time.Second)
	err := p.Produce(ctx, &kfk.Record{Topic: "no spaces allowed", Partition: kfk.AnyPartition})
	var kerr *kfk.Error
	if !errors.Is(err, kfk.ErrInvalidTopicException) || !errors.As(err, &kerr) || kerr.Message == "" {
		t.Fatalf("invalid topic: %v", err)
	}
	for _, topic := range []string{"", strings.Repeat("x", 300)} {
		err := p.Produce(ctx, &kfk.Record{Topic: topic, Partition: kfk.AnyPartition})
		if !errors.Is(err, kfk.ErrInvalidTopicException) || !strings.Contains(err.Error(), "topic name") {
			t.Fatalf("topic of %d bytes: %v", len(topic), err)
		}
	}
	var code kfk.ErrorCode
	if !errors.As(err, &code) || code != kfk.ErrInvalidTopicException {
		t.Fatalf("errors.As to ErrorCode: %v", code)
	}
	if errors.Is(err, kfk.ErrTimedOut) {
		t.Fatal("an invalid topic matched ErrTimedOut")
	}

	topic := createTopic(t, 1)
	a := newAdmin(t)
	res, err := a.CreateTopics(ctx, []kfk.NewTopic{{Name: topic, Partitions: 1, ReplicationFactor: -1}})
	if !errors.Is(err, kfk.ErrTopicAlreadyExists) || len(res) != 1 || !errors.Is(res[0].Err, kfk.ErrTopicAlreadyExists) {
		t.Fatalf("creating %s twice: %v %+v", topic, err, res)
	}
	groups, err := a.DescribeGroups(ctx, []string{unique("nogroup")})
	if err == nil && len(groups) == 1 && groups[0].Err == nil {
		t.Fatalf("a group that does not exist: %+v", groups)
	}
}

func TestAdmin(t *testing.T) {
	a := newAdmin(t)
	ctx := testCtx(t, 60*time.Second)
	cl, err := a.DescribeCluster(ctx)
	if err != nil || len(cl.Brokers) == 0 || cl.Brokers[0].Port == 0 {
		t.Fatalf("describe cluster: %+v, %v", cl, err)
	}
	t.Logf("cluster %q at %s: %d brokers", cl.ClusterID, bootstrap, len(cl.Brokers))
	topic := createTopic(t, 3)
	md, err := a.ListTopics(ctx, topic)
	if err != nil || len(md.Topics) != 1 || len(md.Topics[0].Partitions) != 3 || md.Topics[0].Partitions[0].Leader < 0 {
		t.Fatalf("list topics: %+v, %v", md, err)
	}
	all, err := a.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ti := range all.Topics {
		found = found || ti.Name == topic
	}
	if !found {
		t.Fatalf("%s not among every topic", topic)
	}
	produceN(t, topic, 3, 30)
	offs, err := a.ListOffsets(ctx, []kfk.TopicPartition{
		{Topic: topic, Partition: 0, Offset: kfk.OffsetEnd, LeaderEpoch: -1},
		{Topic: topic, Partition: 2, Offset: kfk.OffsetBeginning, LeaderEpoch: -1}})
	if err != nil || offs[0].Offset != 10 || offs[1].Offset != 0 {
		t.Fatalf("list offsets: %+v, %v", offs, err)
	}
	name := unique("deleted")
	if _, err := a.CreateTopics(ctx, []kfk.NewTopic{{Name: name, Partitions: 1, ReplicationFactor: -1,
		Config: map[string]string{"retention.ms": "3600000"}}}); err != nil {
		t.Fatal(err)
	}
	res, err := a.DeleteTopics(ctx, []string{name})
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("delete topics: %+v, %v", res, err)
	}
	a.Close()
	if _, err := a.DescribeCluster(ctx); err != kfk.ErrClosed {
		t.Fatalf("after Close: %v", err)
	}
}

// Errors kfk reports outside any call reach the error function.
func TestErrorFuncHearsNoBrokers(t *testing.T) {
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	p, err := kfk.NewProducer(kfk.Config{"bootstrap.servers": "127.0.0.1:1", "max.block.ms": "0"},
		kfk.WithProducerErrorFunc(report))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(testCtx(t, 10*time.Second))
	c, err := kfk.NewConsumer(kfk.Config{"bootstrap.servers": "127.0.0.1:1"}, kfk.WithErrorFunc(report))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(testCtx(t, 10*time.Second))
	// Nothing happens without a reason to connect: ask for offsets.
	go c.Watermarks(testCtx(t, 2*time.Second), "t", 0)
	p.Produce(testCtx(t, 5*time.Second), &kfk.Record{Topic: "t", Partition: kfk.AnyPartition})
	ctx := testCtx(t, 60*time.Second)
	for got := 0; got < 2; {
		select {
		case err := <-errs:
			if !errors.Is(err, kfk.ErrNoBrokers) {
				t.Fatalf("error function got %v, want ErrNoBrokers", err)
			}
			got++
		case <-ctx.Done():
			t.Fatal("no ErrNoBrokers reached the error functions")
		}
	}
}
