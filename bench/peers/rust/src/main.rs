//! Runs crossbeam-channel and std::sync::mpsc through the scenarios of
//! chan's benchmark comparison and prints one line per result:
//!
//!     <crossbeam|std_mpsc> <scenario> <flavor> <value> <unit>
//!
//! Usage: peers [seq|spsc|mpsc|select_rx|select_both|pingpong|select_cases|memory|all ...]
//! With no argument, or with "all", every scenario except memory runs.
//! See ../README.md for what each scenario measures.
//!
//! Written for the Rust that Debian 12 ships (1.63) and newer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel as cb;

const MESSAGES: usize = 200_000; // per throughput run
const PRODUCERS: usize = 4; // where a scenario has several
const WARMUP_MESSAGES: usize = 10_000; // untimed run before each timed one

/// An unbounded channel allocates as it fills: its warm-up run sends as many
/// messages as the timed one, so that the timed run finds the allocator's
/// memory mapped already (as chan's harness does; see compare_chan.cc).
fn warmup_messages(capacity: Option<usize>) -> usize {
    if capacity.is_some() {
        WARMUP_MESSAGES
    } else {
        MESSAGES
    }
}
const ROUNDS: usize = 100_000; // pingpong round trips
const RSS_MESSAGES: usize = 1_000_000; // queued by the peak RSS child
const IDLE_CHANNELS: usize = 10_000; // averaged over for the idle size
const PER_MSG_MESSAGES: usize = 1_000_000; // averaged over for the per-message size
const SELECT_KS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

// ---- a global allocator that counts live heap bytes -------------------
//
// It counts only while COUNTING is set (the memory scenario, which runs
// on one thread), so the throughput runs pay one relaxed load per
// allocation and never share a counter between threads.

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn note(delta: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(delta, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        q
    }
}

/// Runs `f` with the counter on and returns its result and the change in
/// live heap bytes while it ran.
fn heap_delta<R>(f: impl FnOnce() -> R) -> (R, isize) {
    COUNTING.store(true, Ordering::SeqCst);
    let before = LIVE.load(Ordering::SeqCst);
    let r = f();
    let after = LIVE.load(Ordering::SeqCst);
    COUNTING.store(false, Ordering::SeqCst);
    (r, after - before)
}

// ---- results ------------------------------------------------------------

fn fail(msg: &str) -> ! {
    eprintln!("peers (rust): {}", msg);
    std::process::exit(1)
}

fn report(imp: &str, scenario: &str, flavor: &str, value: &str, unit: &str) {
    println!("{} {} {} {} {}", imp, scenario, flavor, value, unit);
}

fn not_available(imp: &str, scenario: &str, flavor: &str) {
    report(imp, scenario, flavor, "-", "n/a");
}

/// What a consumer saw: how many messages and their sum.
#[derive(Clone, Copy, Default, PartialEq, Debug)]
struct Tally {
    count: usize,
    sum: usize,
}

impl Tally {
    fn add(&mut self, v: usize) {
        self.count += 1;
        self.sum += v;
    }
}

/// Checks that a run delivered the values 0..n-1, each once as far as
/// count and sum can tell.
fn expect(imp: &str, scenario: &str, flavor: &str, got: Tally, n: usize) {
    let want = Tally {
        count: n,
        sum: n * (n - 1) / 2,
    };
    if got != want {
        fail(&format!(
            "{} {} {}: received {} messages summing to {}, want {} summing to {}",
            imp, scenario, flavor, got.count, got.sum, want.count, want.sum
        ));
    }
}

fn join<T>(h: JoinHandle<T>) -> T {
    h.join()
        .unwrap_or_else(|_| fail("a benchmark thread panicked"))
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn ns_each(d: Duration, n: usize) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e9 / n as f64)
}

// ---- the two implementations behind one interface -----------------------

/// A channel implementation: how to make a channel of a capacity (None for
/// unbounded), send on it and receive from it.
trait Kind: 'static {
    const NAME: &'static str;
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: usize);
    fn recv(rx: &Self::Rx) -> usize;
}

struct Crossbeam;

impl Kind for Crossbeam {
    const NAME: &'static str = "crossbeam";
    type Tx = cb::Sender<usize>;
    type Rx = cb::Receiver<usize>;

    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx) {
        match capacity {
            None => cb::unbounded(),
            Some(c) => cb::bounded(c),
        }
    }

    fn send(tx: &Self::Tx, v: usize) {
        if tx.send(v).is_err() {
            fail("crossbeam: send on a disconnected channel");
        }
    }

    fn recv(rx: &Self::Rx) -> usize {
        rx.recv()
            .unwrap_or_else(|_| fail("crossbeam: receive on a disconnected channel"))
    }
}

struct StdMpsc;

/// std::sync::mpsc has one sender type per kind of channel.
#[derive(Clone)]
enum StdTx {
    Unbounded(mpsc::Sender<usize>),
    Bounded(mpsc::SyncSender<usize>),
}

impl Kind for StdMpsc {
    const NAME: &'static str = "std_mpsc";
    type Tx = StdTx;
    type Rx = mpsc::Receiver<usize>;

    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx) {
        match capacity {
            None => {
                let (tx, rx) = mpsc::channel();
                (StdTx::Unbounded(tx), rx)
            }
            Some(c) => {
                let (tx, rx) = mpsc::sync_channel(c);
                (StdTx::Bounded(tx), rx)
            }
        }
    }

    fn send(tx: &Self::Tx, v: usize) {
        let sent = match tx {
            StdTx::Unbounded(tx) => tx.send(v).is_ok(),
            StdTx::Bounded(tx) => tx.send(v).is_ok(),
        };
        if !sent {
            fail("std_mpsc: send on a disconnected channel");
        }
    }

    fn recv(rx: &Self::Rx) -> usize {
        rx.recv()
            .unwrap_or_else(|_| fail("std_mpsc: receive on a disconnected channel"))
    }
}

// ---- throughput ---------------------------------------------------------

#[derive(Clone, Copy)]
struct Flavor {
    name: &'static str,
    capacity: Option<usize>,
}

const FLAVORS: [Flavor; 4] = [
    Flavor {
        name: "unbounded",
        capacity: None,
    },
    Flavor {
        name: "bounded_n",
        capacity: Some(MESSAGES),
    },
    Flavor {
        name: "bounded_1",
        capacity: Some(1),
    },
    Flavor {
        name: "bounded_0",
        capacity: Some(0),
    },
];

/// A throughput run makes its channels, then times from before it spawns
/// its threads until it has joined them all. Every thread's senders stay
/// alive until the consumer is done, so no channel disconnects early.
type Run = fn(usize, Option<usize>) -> (Tally, Duration);

fn produce<K: Kind>(tx: &K::Tx, first: usize, count: usize) {
    for v in first..first + count {
        K::send(tx, v);
    }
}

fn consume<K: Kind>(rx: &K::Rx, n: usize) -> Tally {
    let mut t = Tally::default();
    for _ in 0..n {
        t.add(K::recv(rx));
    }
    t
}

/// seq: one thread sends n, then receives them.
fn seq<K: Kind>(n: usize, capacity: Option<usize>) -> (Tally, Duration) {
    let (tx, rx) = K::make(capacity);
    let start = Instant::now();
    let t = join(thread::spawn(move || {
        produce::<K>(&tx, 0, n);
        consume::<K>(&rx, n)
    }));
    (t, start.elapsed())
}

/// spsc: one producer, one consumer.
fn spsc<K: Kind>(n: usize, capacity: Option<usize>) -> (Tally, Duration) {
    let (tx, rx) = K::make(capacity);
    let start = Instant::now();
    let producer = thread::spawn(move || produce::<K>(&tx, 0, n));
    let consumer = thread::spawn(move || consume::<K>(&rx, n));
    join(producer);
    let t = join(consumer);
    (t, start.elapsed())
}

/// mpsc: several producers on one channel, one consumer.
fn mpsc_run<K: Kind>(n: usize, capacity: Option<usize>) -> (Tally, Duration) {
    let (tx, rx) = K::make(capacity);
    let per = n / PRODUCERS;
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || produce::<K>(&tx, p * per, per))
        })
        .collect();
    let consumer = thread::spawn(move || consume::<K>(&rx, n));
    for h in producers {
        join(h);
    }
    let t = join(consumer);
    drop(tx);
    (t, start.elapsed())
}

fn four_channels(capacity: Option<usize>) -> (Vec<cb::Sender<usize>>, Vec<cb::Receiver<usize>>) {
    (0..4).map(|_| Crossbeam::make(capacity)).unzip()
}

/// Receives n messages from whichever of the four channels has one,
/// through a select over all four.
fn consume_any(rxs: &[cb::Receiver<usize>], n: usize) -> Tally {
    let mut t = Tally::default();
    while t.count < n {
        let got = cb::select! {
            recv(rxs[0]) -> m => m,
            recv(rxs[1]) -> m => m,
            recv(rxs[2]) -> m => m,
            recv(rxs[3]) -> m => m,
        };
        t.add(
            got.unwrap_or_else(|_| fail("crossbeam: select received from a disconnected channel")),
        );
    }
    t
}

/// select_rx: each producer has its own channel; the consumer selects.
fn select_rx(n: usize, capacity: Option<usize>) -> (Tally, Duration) {
    let (txs, rxs) = four_channels(capacity);
    let per = n / PRODUCERS;
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = txs[p].clone();
            thread::spawn(move || produce::<Crossbeam>(&tx, p * per, per))
        })
        .collect();
    let consumer = thread::spawn(move || consume_any(&rxs, n));
    for h in producers {
        join(h);
    }
    let t = join(consumer);
    drop(txs);
    (t, start.elapsed())
}

/// select_both: every send is a select over sending on all four channels,
/// and the consumer selects over receiving from all four.
fn select_both(n: usize, capacity: Option<usize>) -> (Tally, Duration) {
    let (txs, rxs) = four_channels(capacity);
    let per = n / PRODUCERS;
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let txs = txs.clone();
            thread::spawn(move || {
                for v in p * per..(p + 1) * per {
                    let sent = cb::select! {
                        send(txs[0], v) -> r => r,
                        send(txs[1], v) -> r => r,
                        send(txs[2], v) -> r => r,
                        send(txs[3], v) -> r => r,
                    };
                    if sent.is_err() {
                        fail("crossbeam: select sent on a disconnected channel");
                    }
                }
            })
        })
        .collect();
    let consumer = thread::spawn(move || consume_any(&rxs, n));
    for h in producers {
        join(h);
    }
    let t = join(consumer);
    drop(txs);
    (t, start.elapsed())
}

/// Runs one throughput scenario over every flavor; `run` is None where the
/// implementation has no such operation, and `needs_room` marks seq, which
/// only a channel that holds all n messages can run.
fn throughput(imp: &str, scenario: &str, run: Option<Run>, needs_room: bool) {
    for f in FLAVORS.iter() {
        let fits = f.capacity.map_or(true, |c| c >= MESSAGES);
        let run = match run {
            Some(run) if fits || !needs_room => run,
            _ => {
                not_available(imp, scenario, f.name);
                continue;
            }
        };
        let n_warm = warmup_messages(f.capacity);
        let (warm, _) = run(n_warm, f.capacity);
        expect(imp, scenario, f.name, warm, n_warm);
        let (got, elapsed) = run(MESSAGES, f.capacity);
        expect(imp, scenario, f.name, got, MESSAGES);
        report(imp, scenario, f.name, &ms(elapsed), "ms");
    }
}

// ---- latency --------------------------------------------------------------

/// pingpong: a value goes out on one channel and comes back on another.
fn pingpong<K: Kind>(n: usize, capacity: usize) -> (bool, Duration) {
    let (ping_tx, ping_rx) = K::make(Some(capacity));
    let (pong_tx, pong_rx) = K::make(Some(capacity));
    let start = Instant::now();
    let echo = thread::spawn(move || {
        for _ in 0..n {
            K::send(&pong_tx, K::recv(&ping_rx));
        }
    });
    let ask = thread::spawn(move || {
        let mut ok = true;
        for i in 0..n {
            K::send(&ping_tx, i);
            ok &= K::recv(&pong_rx) == i;
        }
        ok
    });
    join(echo);
    let ok = join(ask);
    (ok, start.elapsed())
}

fn run_pingpong<K: Kind>() {
    for f in FLAVORS.iter() {
        let capacity = match f.capacity {
            Some(c) if c <= 1 => c,
            _ => continue,
        };
        pingpong::<K>(ROUNDS / 10, capacity);
        let (ok, elapsed) = pingpong::<K>(ROUNDS, capacity);
        if !ok {
            fail(&format!(
                "{} pingpong {}: a value came back changed",
                K::NAME,
                f.name
            ));
        }
        report(K::NAME, "pingpong", f.name, &ns_each(elapsed, ROUNDS), "ns");
    }
}

/// select_cases: a crossbeam Select over k receivers of which only the
/// last has a value. The ready channel holds every value the loop will
/// take, so each select finds it ready without another thread. The other
/// senders stay alive: a disconnected channel would count as ready.
fn run_select_cases() {
    for &k in SELECT_KS.iter() {
        let iters = ((1usize << 20) / k).max(2000);
        let warm = iters / 10;
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..k)
            .map(|i| cb::bounded::<usize>(if i == k - 1 { iters + warm } else { 1 }))
            .unzip();
        for v in (0..warm).chain(0..iters) {
            Crossbeam::send(&txs[k - 1], v);
        }
        let mut sel = cb::Select::new();
        for rx in rxs.iter() {
            sel.recv(rx);
        }
        let mut take = |count: usize| {
            let mut t = Tally::default();
            let start = Instant::now();
            for _ in 0..count {
                let op = sel.select();
                let i = op.index();
                if i != k - 1 {
                    fail(&format!(
                        "crossbeam select_cases k{}: case {} chosen, want {}",
                        k,
                        i,
                        k - 1
                    ));
                }
                t.add(
                    op.recv(&rxs[i])
                        .unwrap_or_else(|_| fail("crossbeam: select on a disconnected channel")),
                );
            }
            (t, start.elapsed())
        };
        take(warm);
        let (got, elapsed) = take(iters);
        let flavor = format!("k{}", k);
        expect("crossbeam", "select_cases", &flavor, got, iters);
        report(
            "crossbeam",
            "select_cases",
            &flavor,
            &ns_each(elapsed, iters),
            "ns",
        );
        drop(txs);
    }
}

// ---- memory ---------------------------------------------------------------

/// Memory, for the unbounded flavor and for the bounded ones (Go has only
/// those): the idle size is what one channel (its sender and receiver)
/// allocates, for an unbounded and a rendezvous channel; the per-message
/// size is what queuing a message allocates, on average, into an unbounded
/// channel and into one of capacity PER_MSG_MESSAGES (made and filled);
/// the peak RSS is that of a fresh process queuing RSS_MESSAGES either way.
/// The heap figures count requested bytes, not malloc's own overhead.
fn run_memory<K: Kind>() {
    for (flavor, capacity) in [("unbounded", None), ("bounded_0", Some(0))] {
        let mut hold: Vec<(K::Tx, K::Rx)> = Vec::with_capacity(IDLE_CHANNELS);
        let ((), idle) = heap_delta(|| {
            for _ in 0..IDLE_CHANNELS {
                hold.push(K::make(capacity));
            }
        });
        drop(hold);
        report(
            K::NAME,
            "memory",
            &format!("idle_{}", flavor),
            &format!("{:.1}", idle as f64 / IDLE_CHANNELS as f64),
            "B",
        );
    }

    let (tx, rx) = K::make(None);
    // A first message, sent before counting, lets a channel that changes
    // shape on first use (std's older mpsc did) settle.
    K::send(&tx, 0);
    K::recv(&rx);
    let ((), queued) = heap_delta(|| produce::<K>(&tx, 0, PER_MSG_MESSAGES));
    let t = consume::<K>(&rx, PER_MSG_MESSAGES);
    expect(K::NAME, "memory", "per_msg_unbounded", t, PER_MSG_MESSAGES);
    report_per_msg(K::NAME, "per_msg_unbounded", queued);

    let ((tx, rx), queued) = heap_delta(|| {
        let (tx, rx) = K::make(Some(PER_MSG_MESSAGES));
        produce::<K>(&tx, 0, PER_MSG_MESSAGES);
        (tx, rx)
    });
    let t = consume::<K>(&rx, PER_MSG_MESSAGES);
    expect(K::NAME, "memory", "per_msg_bounded", t, PER_MSG_MESSAGES);
    report_per_msg(K::NAME, "per_msg_bounded", queued);
    drop((tx, rx));

    // Peak RSS comes from a fresh process, so nothing measured above
    // raises its high-water mark.
    for flavor in ["unbounded", "bounded"] {
        let exe = std::env::current_exe().unwrap_or_else(|e| {
            fail(&format!(
                "memory: can't find this program to run it again: {}",
                e
            ))
        });
        let out = std::process::Command::new(exe)
            .args(["rss_child", K::NAME, flavor])
            .output()
            .unwrap_or_else(|e| fail(&format!("memory: can't start the peak RSS child: {}", e)));
        if !out.status.success() {
            fail(&format!(
                "memory: the peak RSS child failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let kib = text.trim();
        if kib.parse::<u64>().is_err() {
            fail(&format!("memory: the peak RSS child printed {:?}", kib));
        }
        report(K::NAME, "memory", &format!("peak_rss_{}", flavor), kib, "KiB");
    }
}

fn report_per_msg(name: &str, flavor: &str, bytes: isize) {
    report(
        name,
        "memory",
        flavor,
        &format!("{:.2}", bytes as f64 / PER_MSG_MESSAGES as f64),
        "B",
    );
}

/// Queues RSS_MESSAGES into one channel, unbounded or of that capacity,
/// drains it, and prints this process's peak resident set size in KiB.
fn rss_child<K: Kind>(bounded: bool) {
    let (tx, rx) = K::make(if bounded { Some(RSS_MESSAGES) } else { None });
    produce::<K>(&tx, 0, RSS_MESSAGES);
    let t = consume::<K>(&rx, RSS_MESSAGES);
    expect(K::NAME, "memory", "peak_rss", t, RSS_MESSAGES);
    println!("{}", peak_rss_kib());
}

/// VmHWM from /proc/self/status (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_else(|e| fail(&format!("memory: can't read /proc/self/status: {}", e)));
    for line in status.lines() {
        let mut fields = line.split_whitespace();
        if fields.next() == Some("VmHWM:") {
            if let Some(Ok(v)) = fields.next().map(str::parse::<u64>) {
                return v;
            }
        }
    }
    fail("memory: no VmHWM line in /proc/self/status")
}

// ---- command line ---------------------------------------------------------

const ALL: [&str; 7] = [
    "seq",
    "spsc",
    "mpsc",
    "select_rx",
    "select_both",
    "pingpong",
    "select_cases",
];

fn run(scenario: &str) {
    match scenario {
        "seq" => {
            throughput("crossbeam", "seq", Some(seq::<Crossbeam>), true);
            throughput("std_mpsc", "seq", Some(seq::<StdMpsc>), true);
        }
        "spsc" => {
            throughput("crossbeam", "spsc", Some(spsc::<Crossbeam>), false);
            throughput("std_mpsc", "spsc", Some(spsc::<StdMpsc>), false);
        }
        "mpsc" => {
            throughput("crossbeam", "mpsc", Some(mpsc_run::<Crossbeam>), false);
            throughput("std_mpsc", "mpsc", Some(mpsc_run::<StdMpsc>), false);
        }
        "select_rx" => {
            throughput("crossbeam", "select_rx", Some(select_rx), false);
            throughput("std_mpsc", "select_rx", None, false);
        }
        "select_both" => {
            throughput("crossbeam", "select_both", Some(select_both), false);
            throughput("std_mpsc", "select_both", None, false);
        }
        "pingpong" => {
            run_pingpong::<Crossbeam>();
            run_pingpong::<StdMpsc>();
        }
        "select_cases" => {
            run_select_cases();
            for &k in SELECT_KS.iter() {
                not_available("std_mpsc", "select_cases", &format!("k{}", k));
            }
        }
        "memory" => {
            run_memory::<Crossbeam>();
            run_memory::<StdMpsc>();
        }
        _ => unreachable!(),
    }
}

fn usage(bad: &str) -> ! {
    eprintln!(
        "usage: peers [{}|memory|all ...]\nunknown scenario {:?}",
        ALL.join("|"),
        bad
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // What the memory scenario runs in a child process.
    if args.first().map(String::as_str) == Some("rss_child") {
        let bounded = match args.get(2).map(String::as_str) {
            Some("unbounded") => false,
            Some("bounded") => true,
            _ => usage("rss_child without unbounded or bounded"),
        };
        match args.get(1).map(String::as_str) {
            Some("crossbeam") => rss_child::<Crossbeam>(bounded),
            Some("std_mpsc") => rss_child::<StdMpsc>(bounded),
            _ => usage("rss_child without crossbeam or std_mpsc"),
        }
        return;
    }
    let mut scenarios: Vec<&str> = Vec::new();
    for a in args.iter().map(String::as_str) {
        if a == "all" {
            scenarios.extend(ALL.iter());
        } else if ALL.contains(&a) || a == "memory" {
            scenarios.push(a);
        } else {
            usage(a);
        }
    }
    if scenarios.is_empty() {
        scenarios.extend(ALL.iter());
    }
    for s in scenarios {
        run(s);
    }
}
