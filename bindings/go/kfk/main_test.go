package kfk_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
	"github.com/kfk-project/kfk/bindings/go/kfkmock"
)

// bootstrap is KFK_TEST_BOOTSTRAP's cluster, or an embedded mock cluster
// of three brokers when it is unset.
var bootstrap string

func TestMain(m *testing.M) {
	bootstrap = os.Getenv("KFK_TEST_BOOTSTRAP")
	var mc *kfkmock.Cluster
	if bootstrap == "" {
		var err error
		if mc, err = kfkmock.NewCluster(3); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bootstrap = mc.Bootstrap()
	}
	code := m.Run()
	if mc != nil {
		mc.Close()
	}
	os.Exit(code)
}

// unique gives a topic or group name no other run uses.
func unique(what string) string {
	what = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, what)
	return fmt.Sprintf("go-%s-%d-%d", what, time.Now().UnixNano(), rand.Int63())
}

func conf(kv ...string) kfk.Config {
	c := kfk.Config{"bootstrap.servers": bootstrap}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newAdmin(t testing.TB) *kfk.Admin {
	t.Helper()
	a, err := kfk.NewAdmin(conf())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// createTopic creates a uniquely named topic and deletes it at the end.
func createTopic(t testing.TB, partitions int32) string {
	t.Helper()
	a := newAdmin(t)
	name := unique(t.Name())
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	res, err := a.CreateTopics(testCtx(t, 60*time.Second), []kfk.NewTopic{{Name: name,
		Partitions: partitions, ReplicationFactor: -1}})
	if err != nil {
		t.Fatalf("create %s: %v (%v)", name, err, res)
	}
	t.Cleanup(func() {
		a, err := kfk.NewAdmin(conf())
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			a.DeleteTopics(ctx, []string{name})
			cancel()
			a.Close()
		}
	})
	return name
}

func newProducer(t *testing.T, c kfk.Config) (*kfk.Producer, chan kfk.Delivery) {
	t.Helper()
	ch := make(chan kfk.Delivery, 1<<16)
	p, err := kfk.NewProducer(c, kfk.WithDeliveryChan(ch))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, ch
}

func newConsumer(t *testing.T, c kfk.Config, opts ...kfk.ConsumerOption) *kfk.Consumer {
	t.Helper()
	k, err := kfk.NewConsumer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close(context.Background()) })
	return k
}

// consume polls until n messages came or ctx ends.
func consume(t *testing.T, ctx context.Context, c *kfk.Consumer, n int) []*kfk.Message {
	t.Helper()
	var out []*kfk.Message
	for len(out) < n {
		msgs, err := c.PollBatch(ctx, n-len(out))
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, msgs...)
	}
	return out
}

func assignAll(t *testing.T, c *kfk.Consumer, topic string, partitions int32, offset int64) {
	t.Helper()
	parts := make([]kfk.TopicPartition, partitions)
	for i := range parts {
		parts[i] = kfk.TopicPartition{Topic: topic, Partition: int32(i), Offset: offset, LeaderEpoch: -1}
	}
	if err := c.Assign(parts); err != nil {
		t.Fatal(err)
	}
}
