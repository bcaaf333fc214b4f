// Command bench produces and consumes N records of S bytes against one
// broker with Go kfk, confluent-kafka-go (librdkafka) and franz-go, each
// at its defaults and at equal batch and fetch settings, and prints one
// line per case: msgs/s, CPU per record, and kfk's ratio to the others.
// Every delivery report and every consumed record is counted and
// checked. Each library runs in a process of its own (-same-process runs
// them one after the other in this one, where the first starts cold and
// the next on memory it warmed). A benchmark, never a test: run it with
// make bench-go.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// kfkExtra holds properties given with -kfk, set on every kfk client.
var kfkExtra = map[string]string{}

type options struct {
	bootstrap  string
	n          int
	size       int
	partitions int
}

// result is one case's figures.
type result struct {
	op, lib, mode string
	msgs          int
	wall, cpu     time.Duration
}

func (r result) rate() float64 { return float64(r.msgs) / r.wall.Seconds() }

// cpuTime is the process's user and system CPU time: every library's own
// threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs fn, which returns how many records it checked.
func measure(op, lib, mode string, fn func() (int, error)) (result, error) {
	c0, t0 := cpuTime(), time.Now()
	n, err := fn()
	r := result{op: op, lib: lib, mode: mode, msgs: n, wall: time.Since(t0), cpu: cpuTime() - c0}
	return r, err
}

// library is one client under test.
type library struct {
	name    string
	produce func(o options, topic, mode string) (int, error)
	consume func(o options, topic, mode string) (int, error)
}

func main() {
	var o options
	def := os.Getenv("KFK_TEST_BOOTSTRAP")
	if def == "" {
		def = "127.0.0.1:9092"
	}
	flag.StringVar(&o.bootstrap, "b", def, "bootstrap servers (default: KFK_TEST_BOOTSTRAP)")
	flag.IntVar(&o.n, "n", 1000000, "records per case")
	flag.IntVar(&o.size, "s", 100, "value size in bytes")
	flag.IntVar(&o.partitions, "p", 6, "partitions of each topic")
	libsFlag := flag.String("libs", "kfk,franz-go,confluent", "libraries to run")
	modesFlag := flag.String("modes", "default,equal", "settings: default, equal")
	opsFlag := flag.String("ops", "produce,consume", "operations: produce, or produce,consume (consume reads what produce wrote)")
	flag.Func("kfk", "an extra kfk property NAME=VALUE for every kfk case (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want NAME=VALUE")
		}
		kfkExtra[k] = val
		return nil
	})
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file (implies -same-process)")
	same := flag.Bool("same-process", false, "run every library in this process, one after the other")
	child := flag.Bool("child", false, "run one library's cases and print them for the parent (internal)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
		*same = true
	}

	ops := strings.Split(*opsFlag, ",")
	if *opsFlag != "produce" && *opsFlag != "produce,consume" {
		fmt.Fprintf(os.Stderr, "-ops: want produce or produce,consume, not %q\n", *opsFlag)
		os.Exit(2)
	}
	libs := strings.Split(*libsFlag, ",")
	for _, name := range libs {
		if _, ok := all[name]; !ok {
			fmt.Fprintf(os.Stderr, "unknown library %q\n", name)
			os.Exit(2)
		}
	}
	if !*child {
		fmt.Printf("# %d records of %d B, %d partitions, broker %s\n", o.n, o.size, o.partitions, o.bootstrap)
		fmt.Println("# APIs: kfk ProduceBatch (1000 records a call, each batch's records reused once all are reported)," +
			" Consumer.PollInto (messages reused poll after poll);" +
			" franz-go Produce, PollFetches + EachRecord; confluent Produce, Poll")
	}
	var results []result
	for _, mode := range strings.Split(*modesFlag, ",") {
		for _, name := range libs {
			var rs []result
			var err error
			if *same || *child {
				rs, err = runCases(o, all[name], mode, ops)
			} else {
				rs, err = runChild(name, mode)
			}
			for _, r := range rs {
				results = append(results, r)
				if *child {
					fmt.Printf("result %s %s %s %d %d %d\n", r.op, r.lib, r.mode, r.msgs, r.wall, r.cpu)
				} else {
					report(r, results)
				}
			}
			if err != nil {
				pprof.StopCPUProfile()
				fail(err)
			}
		}
	}
}

var all = map[string]library{
	"kfk":       {"kfk", kfkProduce, kfkConsume},
	"franz-go":  {"franz-go", franzProduce, franzConsume},
	"confluent": {"confluent", confluentProduce, confluentConsume},
}

// runCases runs lib's operations in mode on a topic of their own.
func runCases(o options, lib library, mode string, ops []string) ([]result, error) {
	topic, err := createTopic(o)
	if err != nil {
		return nil, err
	}
	defer deleteTopic(o, topic)
	var rs []result
	for _, op := range ops {
		fn := lib.produce
		if op == "consume" {
			fn = lib.consume
		}
		r, err := measure(op, lib.name, mode, func() (int, error) { return fn(o, topic, mode) })
		if err == nil && r.msgs != o.n {
			err = fmt.Errorf("%d records checked, want %d", r.msgs, o.n)
		}
		if err != nil {
			return rs, fmt.Errorf("%s %s %s: %w", op, lib.name, mode, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// runChild runs one library's cases in a process of its own, so that none
// starts on a heap, an allocator and page tables another library warmed
// (or left to the garbage collector): every library starts cold.
func runChild(name, mode string) ([]result, error) {
	args := []string{"-child", "-libs", name, "-modes", mode}
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "libs" && f.Name != "modes" && f.Name != "kfk" {
			args = append(args, "-"+f.Name+"="+f.Value.String())
		}
	})
	for k, v := range kfkExtra {
		args = append(args, "-kfk", k+"="+v)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var rs []result
	for _, line := range strings.Split(string(out), "\n") {
		var r result
		var wall, cpu int64
		if n, _ := fmt.Sscanf(line, "result %s %s %s %d %d %d", &r.op, &r.lib, &r.mode, &r.msgs,
			&wall, &cpu); n == 6 {
			r.wall, r.cpu = time.Duration(wall), time.Duration(cpu)
			rs = append(rs, r)
		}
	}
	if err != nil {
		return rs, fmt.Errorf("%s %s: %w", name, mode, err)
	}
	return rs, nil
}

// report prints r with kfk's ratio to it (or its ratio to kfk's).
func report(r result, all []result) {
	line := fmt.Sprintf("%-7s %-9s %-7s %8d msgs %10.0f msgs/s %7.3f us CPU/msg",
		r.op, r.lib, r.mode, r.msgs, r.rate(), float64(r.cpu.Nanoseconds())/1e3/float64(r.msgs))
	for _, k := range all {
		if k.lib == "kfk" && r.lib != "kfk" && k.op == r.op && k.mode == r.mode {
			line += fmt.Sprintf("   kfk/%s: %.2fx msgs/s, %.2fx CPU/msg", r.lib, k.rate()/r.rate(),
				(float64(k.cpu)/float64(k.msgs))/(float64(r.cpu)/float64(r.msgs)))
		}
	}
	fmt.Println(line)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func createTopic(o options) (string, error) {
	a, err := kfk.NewAdmin(kfk.Config{"bootstrap.servers": o.bootstrap})
	if err != nil {
		return "", err
	}
	defer a.Close()
	name := fmt.Sprintf("go-bench-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = a.CreateTopics(ctx, []kfk.NewTopic{{Name: name, Partitions: int32(o.partitions), ReplicationFactor: -1}})
	if err != nil {
		return "", err
	}
	// The broker learns of a topic a moment after the controller made
	// it: wait until every partition has a leader, so that no library's
	// figures include that moment.
	for {
		md, err := a.ListTopics(ctx, name)
		if err == nil && len(md.Topics) == 1 && len(md.Topics[0].Partitions) == o.partitions {
			ready := true
			for _, p := range md.Topics[0].Partitions {
				ready = ready && p.Leader >= 0 && p.Err == nil
			}
			if ready {
				return name, nil
			}
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("topic %s has no leaders after 60 s", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func deleteTopic(o options, topic string) {
	a, err := kfk.NewAdmin(kfk.Config{"bootstrap.servers": o.bootstrap})
	if err != nil {
		return
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a.DeleteTopics(ctx, []string{topic})
}

// The equal settings: every library batches for up to 5 ms and up to
// 1 MiB per partition, with acks=all and idempotence, no compression;
// consumers fetch at least 1 byte, wait at most 500 ms, take up to
// 1 MiB per partition and 50 MiB per fetch.
const (
	equalLingerMs    = 5
	equalBatchBytes  = 1 << 20
	equalFetchWaitMs = 500
	equalPartFetch   = 1 << 20
	equalFetchMax    = 50 << 20
	consumeTimeLimit = 5 * time.Minute
	produceTimeLimit = 5 * time.Minute
)
