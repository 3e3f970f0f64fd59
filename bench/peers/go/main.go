// Command peers runs Go's channels through the scenarios of chan's
// benchmark comparison and prints one line per result:
//
//	go <scenario> <flavor> <value> <unit>
//
// Usage: peers [seq|spsc|mpsc|select_rx|select_both|pingpong|select_cases|memory|all ...]
// With no argument, or with "all", every scenario except memory runs.
// See ../README.md for what each scenario measures.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	impl           = "go"
	messages       = 200_000   // per throughput run
	producers      = 4         // where a scenario has several
	warmupMessages = 10_000    // untimed run before each timed one (chan and Rust warm their unbounded channels up with all messages; Go has none)
	rounds         = 100_000   // pingpong round trips
	rssMessages    = 1_000_000 // queued by the peak RSS child
	idleChannels   = 10_000    // averaged over for the idle size
	perMsgMessages = 1_000_000 // averaged over for the per-message size
)

// flavor is one kind of channel; capacity < 0 is unbounded, which Go
// does not have.
type flavor struct {
	name     string
	capacity int
}

var flavors = []flavor{
	{"unbounded", -1},
	{"bounded_n", messages},
	{"bounded_1", 1},
	{"bounded_0", 0},
}

// tally is what a consumer saw: how many messages and their sum.
type tally struct {
	count int
	sum   int
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "peers (go): "+format+"\n", args...)
	os.Exit(1)
}

func report(scenario, flavor, value, unit string) {
	fmt.Printf("%s %s %s %s %s\n", impl, scenario, flavor, value, unit)
}

func notAvailable(scenario, flavor string) { report(scenario, flavor, "-", "n/a") }

// expect checks that a run delivered the values 0..n-1, each exactly once
// as far as count and sum can tell.
func expect(scenario, flavor string, got tally, n int) {
	want := tally{n, n * (n - 1) / 2}
	if got != want {
		fail("%s %s: received %d messages summing to %d, want %d summing to %d",
			scenario, flavor, got.count, got.sum, want.count, want.sum)
	}
}

// ---- throughput ------------------------------------------------------

// A throughput run makes its channels, then times from before it starts
// its goroutines until they have all finished.
type throughputRun func(n, capacity int) (tally, time.Duration)

// seq: one goroutine sends n, then receives them.
func seq(n, capacity int) (tally, time.Duration) {
	c := make(chan int, capacity)
	start := time.Now()
	var t tally
	done := make(chan struct{})
	go func() {
		for v := 0; v < n; v++ {
			c <- v
		}
		for i := 0; i < n; i++ {
			t.sum += <-c
			t.count++
		}
		close(done)
	}()
	<-done
	return t, time.Since(start)
}

// consume receives n messages from c.
func consume(c <-chan int, n int, t *tally) {
	for i := 0; i < n; i++ {
		t.sum += <-c
		t.count++
	}
}

// produce sends count values starting at first.
func produce(c chan<- int, first, count int) {
	for v := first; v < first+count; v++ {
		c <- v
	}
}

// spsc: one producer, one consumer.
func spsc(n, capacity int) (tally, time.Duration) {
	c := make(chan int, capacity)
	start := time.Now()
	var t tally
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); produce(c, 0, n) }()
	go func() { defer wg.Done(); consume(c, n, &t) }()
	wg.Wait()
	return t, time.Since(start)
}

// mpsc: several producers on one channel, one consumer.
func mpsc(n, capacity int) (tally, time.Duration) {
	c := make(chan int, capacity)
	per := n / producers
	start := time.Now()
	var t tally
	var wg sync.WaitGroup
	wg.Add(producers + 1)
	for p := 0; p < producers; p++ {
		go func(first int) { defer wg.Done(); produce(c, first, per) }(p * per)
	}
	go func() { defer wg.Done(); consume(c, n, &t) }()
	wg.Wait()
	return t, time.Since(start)
}

func fourChannels(capacity int) [4]chan int {
	var cs [4]chan int
	for i := range cs {
		cs[i] = make(chan int, capacity)
	}
	return cs
}

// consumeAny receives n messages from whichever of the four channels has
// one, through a select over all four.
func consumeAny(cs [4]chan int, n int, t *tally) {
	c0, c1, c2, c3 := cs[0], cs[1], cs[2], cs[3]
	for t.count < n {
		var v int
		select {
		case v = <-c0:
		case v = <-c1:
		case v = <-c2:
		case v = <-c3:
		}
		t.sum += v
		t.count++
	}
}

// select_rx: each producer has its own channel; the consumer selects.
func selectRx(n, capacity int) (tally, time.Duration) {
	cs := fourChannels(capacity)
	per := n / producers
	start := time.Now()
	var t tally
	var wg sync.WaitGroup
	wg.Add(producers + 1)
	for p := 0; p < producers; p++ {
		go func(c chan<- int, first int) { defer wg.Done(); produce(c, first, per) }(cs[p], p*per)
	}
	go func() { defer wg.Done(); consumeAny(cs, n, &t) }()
	wg.Wait()
	return t, time.Since(start)
}

// select_both: every send is a select over sending on all four channels,
// and the consumer selects over receiving from all four.
func selectBoth(n, capacity int) (tally, time.Duration) {
	cs := fourChannels(capacity)
	per := n / producers
	start := time.Now()
	var t tally
	var wg sync.WaitGroup
	wg.Add(producers + 1)
	for p := 0; p < producers; p++ {
		go func(first int) {
			defer wg.Done()
			c0, c1, c2, c3 := cs[0], cs[1], cs[2], cs[3]
			for v := first; v < first+per; v++ {
				select {
				case c0 <- v:
				case c1 <- v:
				case c2 <- v:
				case c3 <- v:
				}
			}
		}(p * per)
	}
	go func() { defer wg.Done(); consumeAny(cs, n, &t) }()
	wg.Wait()
	return t, time.Since(start)
}

func runThroughput(scenario string, run throughputRun, needsRoom bool) {
	for _, f := range flavors {
		if f.capacity < 0 || (needsRoom && f.capacity < messages) {
			notAvailable(scenario, f.name)
			continue
		}
		warm, _ := run(warmupMessages, f.capacity)
		expect(scenario, f.name, warm, warmupMessages)
		got, elapsed := run(messages, f.capacity)
		expect(scenario, f.name, got, messages)
		report(scenario, f.name, fmt.Sprintf("%.3f", ms(elapsed)), "ms")
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// ---- latency ---------------------------------------------------------

// pingpong: a value goes out on one channel and comes back on another.
func pingpong(n, capacity int) (bool, time.Duration) {
	ping := make(chan int, capacity)
	pong := make(chan int, capacity)
	start := time.Now()
	ok := true
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			pong <- <-ping
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			ping <- i
			if <-pong != i {
				ok = false
			}
		}
	}()
	wg.Wait()
	return ok, time.Since(start)
}

func runPingpong() {
	for _, f := range flavors {
		if f.capacity != 1 && f.capacity != 0 {
			continue
		}
		pingpong(rounds/10, f.capacity)
		ok, elapsed := pingpong(rounds, f.capacity)
		if !ok {
			fail("pingpong %s: a value came back changed", f.name)
		}
		report("pingpong", f.name, fmt.Sprintf("%.1f", float64(elapsed.Nanoseconds())/rounds), "ns")
	}
}

// select_cases: a select over k receivers of which only the last has a
// value. The ready channel holds every value the loop will take, so each
// select finds it ready without another goroutine. reflect.Select builds
// the case list at run time, as a select statement can't for k = 1024.
func runSelectCases() {
	for _, k := range []int{1, 4, 16, 64, 256, 1024} {
		iters := (1 << 20) / k
		if iters < 2000 {
			iters = 2000
		}
		warm := iters / 10
		chans := make([]chan int, k)
		cases := make([]reflect.SelectCase, k)
		for i := range chans {
			capacity := 1
			if i == k-1 {
				capacity = iters + warm
			}
			chans[i] = make(chan int, capacity)
			cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(chans[i])}
		}
		ready := chans[k-1]
		for v := 0; v < warm; v++ {
			ready <- v
		}
		for v := 0; v < iters; v++ {
			ready <- v
		}
		take := func(count int) (tally, time.Duration) {
			var t tally
			start := time.Now()
			for j := 0; j < count; j++ {
				i, v, ok := reflect.Select(cases)
				if i != k-1 || !ok {
					fail("select_cases k%d: case %d chosen, want %d", k, i, k-1)
				}
				t.sum += int(v.Int())
				t.count++
			}
			return t, time.Since(start)
		}
		take(warm)
		got, elapsed := take(iters)
		expect("select_cases", fmt.Sprintf("k%d", k), got, iters)
		report("select_cases", fmt.Sprintf("k%d", k),
			fmt.Sprintf("%.1f", float64(elapsed.Nanoseconds())/float64(iters)), "ns")
	}
}

// ---- memory ----------------------------------------------------------

func heapAlloc() uint64 {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}

// Go has no unbounded channel, so its unbounded rows say n/a. The idle
// size is that of an unbuffered channel; the per-message size is what a
// buffered channel of capacity M allocates when made (Go allocates the
// whole buffer then) and filled, divided by M; the peak RSS is that of a
// fresh process queuing rssMessages into a channel of that capacity.
func runMemory() {
	for _, flavor := range []string{"idle_unbounded", "per_msg_unbounded", "peak_rss_unbounded"} {
		report("memory", flavor, "-", "n/a")
	}

	hold := make([]chan int, idleChannels)
	before := heapAlloc()
	for i := range hold {
		hold[i] = make(chan int)
	}
	after := heapAlloc()
	idle := float64(after-before) / idleChannels
	runtime.KeepAlive(hold)
	hold = nil
	report("memory", "idle_bounded_0", fmt.Sprintf("%.1f", idle), "B")

	before = heapAlloc()
	c := make(chan int, perMsgMessages)
	for v := 0; v < perMsgMessages; v++ {
		c <- v
	}
	after = heapAlloc()
	perMsg := float64(after-before) / perMsgMessages
	var t tally
	consume(c, perMsgMessages, &t)
	expect("memory", "per_msg_bounded", t, perMsgMessages)
	report("memory", "per_msg_bounded", fmt.Sprintf("%.2f", perMsg), "B")

	// Peak RSS comes from a fresh process, so nothing measured above
	// raises its high-water mark.
	self, err := os.Executable()
	if err != nil {
		fail("memory: can't find this program to run it again: %v", err)
	}
	out, err := exec.Command(self, "rss_child").Output()
	if err != nil {
		fail("memory: the peak RSS child failed: %v", err)
	}
	kib := strings.TrimSpace(string(out))
	if _, err := strconv.ParseUint(kib, 10, 64); err != nil {
		fail("memory: the peak RSS child printed %q", kib)
	}
	report("memory", "peak_rss_bounded", kib, "KiB")
}

// rssChild queues rssMessages into one channel of that capacity, drains
// it, and prints its own peak resident set size in KiB.
func rssChild() {
	c := make(chan int, rssMessages)
	for v := 0; v < rssMessages; v++ {
		c <- v
	}
	var t tally
	consume(c, rssMessages, &t)
	expect("memory", "peak_rss_bounded", t, rssMessages)
	fmt.Println(peakRSSKiB())
}

// peakRSSKiB reads VmHWM from /proc/self/status, or asks getrusage.
func peakRSSKiB() uint64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) >= 2 && fields[0] == "VmHWM:" {
				if v, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
					return v
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail("memory: getrusage: %v", err)
	}
	return uint64(ru.Maxrss) // KiB on Linux
}

// ---- command line ----------------------------------------------------

var all = []string{"seq", "spsc", "mpsc", "select_rx", "select_both", "pingpong", "select_cases"}

var runners = map[string]func(){
	"seq":          func() { runThroughput("seq", seq, true) },
	"spsc":         func() { runThroughput("spsc", spsc, false) },
	"mpsc":         func() { runThroughput("mpsc", mpsc, false) },
	"select_rx":    func() { runThroughput("select_rx", selectRx, false) },
	"select_both":  func() { runThroughput("select_both", selectBoth, false) },
	"pingpong":     runPingpong,
	"select_cases": runSelectCases,
	"memory":       runMemory,
	"rss_child":    rssChild, // what memory runs in a child process
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"all"}
	}
	var scenarios []string
	for _, a := range args {
		if a == "all" {
			scenarios = append(scenarios, all...)
			continue
		}
		if runners[a] == nil {
			fmt.Fprintf(os.Stderr, "usage: peers [%s|memory|all ...]\nunknown scenario %q\n",
				strings.Join(all, "|"), a)
			os.Exit(2)
		}
		scenarios = append(scenarios, a)
	}
	for _, s := range scenarios {
		runners[s]()
	}
}
