#!/usr/bin/python3
"""Runs chan, Go's channels and crossbeam-channel side by side, in one run.

    bench/compare.py [--runs 5] [--out bench/results]

Builds the three programs (chan's with Bazel, the peers with
bench/peers/build.sh, after `tools/setup.sh --peers` installs Go, Rust and
matplotlib), runs each of them --runs times as separate processes, and
prints one table: the median of each figure per implementation, its spread
(min-max over the runs), and chan's median over the best peer's. It writes
the table (table.md, results.csv) and a chart (chart.png) to --out.

Every program checks that every message arrived; a run that fails stops
the comparison.
"""
import argparse
import collections
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GO = os.path.join(ROOT, "bench", "peers", "go", "bin", "peers")
RUST = os.path.join(ROOT, "bench", "peers", "rust", "target", "release",
                    "peers")
PEERS = ["go", "crossbeam", "std_mpsc"]
IMPLS = ["chan"] + PEERS
# Rows in the order the table shows them.
SCENARIOS = ["seq", "spsc", "mpsc", "select_rx", "select_both", "pingpong",
             "select_cases", "memory"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    log("$ " + " ".join(command))
    return subprocess.run(command, check=True, cwd=ROOT, **kwargs)


def chan_program():
    """Where Bazel puts the optimized compare_chan (bazel-bin follows the
    last configuration built, which need not be --config=opt)."""
    out = subprocess.run(["bazel", "info", "--config=opt", "bazel-bin"],
                         check=True, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return os.path.join(out.strip(), "bench", "compare_chan")


def build():
    run(["bash", "tools/setup.sh", "--peers"])
    run(["bazel", "build", "--config=opt", "//bench:compare_chan"])
    run(["bash", "bench/peers/build.sh"])


def collect(program, args, samples):
    """Runs `program args` once and adds its lines to samples."""
    out = subprocess.run([program] + args, check=True, cwd=ROOT,
                         stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) != 5:
            continue
        impl, scenario, flavor, value, unit = fields
        key = (scenario, flavor)
        if value == "-":
            samples[key].setdefault(impl, None)
            continue
        samples[key].setdefault(impl, [])
        samples[key][impl].append(float(value))
        samples[key]["unit"] = unit


def fmt(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def summarize(samples):
    """Rows of (scenario, flavor, unit, {impl: (median, lo, hi) or None},
    ratio or None)."""
    rows = []
    order = {s: i for i, s in enumerate(SCENARIOS)}
    for (scenario, flavor), by_impl in sorted(
            samples.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        if scenario == "floor":
            continue  # Not a comparison: see floor_line().
        stats = {}
        for impl in IMPLS:
            values = by_impl.get(impl, None)
            if values:
                stats[impl] = (statistics.median(values), min(values),
                               max(values))
            elif impl in by_impl:
                stats[impl] = None  # n/a
        peers = [stats[p][0] for p in PEERS if stats.get(p)]
        ratio = None
        if stats.get("chan") and peers:
            ratio = stats["chan"][0] / min(peers)
        rows.append((scenario, flavor, by_impl.get("unit", ""), stats, ratio))
    return rows


def table(rows, runs):
    lines = [
        f"Medians of {runs} process runs, with the spread (min-max); lower is "
        "better. ratio = chan / best peer.",
        "",
        "| scenario | flavor | unit | chan | go | crossbeam | std_mpsc | "
        "ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario, flavor, unit, stats, ratio in rows:
        cells = []
        for impl in IMPLS:
            s = stats.get(impl)
            if s is None:
                cells.append("n/a")
            else:
                cells.append(f"{fmt(s[0])} ({fmt(s[1])}-{fmt(s[2])})")
        r = "" if ratio is None else f"{ratio:.2f}"
        if ratio is not None and ratio > 1.0:
            r = f"**{r}**"
        lines.append(f"| {scenario} | {flavor} | {unit} | " +
                     " | ".join(cells) + f" | {r} |")
    return "\n".join(lines) + "\n"


def floor_line(samples):
    """What the machine allowed for hand-offs during this run."""
    values = samples.get(("floor", "roundtrip"), {}).get("chan")
    if not values:
        return ""
    median = statistics.median(values)
    return (f"Floor: two threads spinning on one atomic, no channel, take "
            f"{fmt(median)} ns ({fmt(min(values))}-{fmt(max(values))}) per "
            "round trip; any hand-off between two running threads costs at "
            "least that per rendezvous message and per pingpong half. It "
            "changes with where the hypervisor places the two vCPUs "
            "(50-450 ns seen here).\n")


def chart(rows, path, machine):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r[4] is not None and r[0] != "memory"]
    labels = [f"{r[0]} {r[1]}" for r in timed]
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(timed) + 1.5))
    height = 0.2
    colors = {"chan": "#1f77b4", "go": "#2ca02c", "crossbeam": "#ff7f0e",
              "std_mpsc": "#9467bd"}
    for i, impl in enumerate(IMPLS):
        ys, widths = [], []
        for j, r in enumerate(timed):
            s = r[3].get(impl)
            peers = [r[3][p][0] for p in IMPLS if r[3].get(p)]
            if s and peers:
                ys.append(j + (i - 1.5) * height)
                widths.append(s[0] / min(peers))
        ax.barh(ys, widths, height=height, label=impl, color=colors[impl])
    ax.set_yticks(range(len(timed)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("time relative to the fastest implementation of the row "
                  "(log scale; 1 = fastest)")
    ax.set_title(f"chan vs Go vs crossbeam-channel vs std::sync::mpsc\n"
                 f"{machine}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def toolchains():
    """The peers' toolchains: std::sync::mpsc changed with Rust 1.67."""
    def version(command):
        try:
            return subprocess.run(command, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"
    return f"{version(['go', 'version'])}; crossbeam-channel 0.5.6 and " \
           f"std::sync::mpsc built by {version(['rustc', '--version'])}"


def machine_description():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} " \
           f"{platform.release()}"


DEBIAN_PYTHON = "/usr/bin/python3"


def has_matplotlib(python):
    """Whether `python` can import matplotlib, which draws the chart."""
    return subprocess.run([python, "-c", "import matplotlib"],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def ensure_matplotlib():
    """Checks for the chart's library before the runs, not after them.

    tools/setup.sh --peers installs Debian's python3-matplotlib, which only
    Debian's own interpreter imports; when this script runs under another
    python3 (a pyenv or venv one first on PATH), it starts again under
    Debian's."""
    if has_matplotlib(sys.executable):
        return
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) \
            and os.path.exists(DEBIAN_PYTHON) and has_matplotlib(DEBIAN_PYTHON):
        log(f"compare.py: {sys.executable} has no matplotlib; running again "
            f"under {DEBIAN_PYTHON}, which has Debian's")
        argv = [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:]
        if "--no-build" not in argv:
            argv.append("--no-build")  # Built already.
        os.execv(DEBIAN_PYTHON, argv)
    sys.exit(f"compare.py: matplotlib is missing for {sys.executable}, and "
             f"the chart needs it: run tools/setup.sh --peers, then run this "
             f"script with {DEBIAN_PYTHON}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench",
                                                      "results"))
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()

    if not args.no_build:
        build()
    ensure_matplotlib()
    samples = collections.defaultdict(dict)
    chan = chan_program()
    for i in range(args.runs):
        log(f"run {i + 1} of {args.runs}")
        collect(chan, ["floor"], samples)
        for program in (chan, GO, RUST):
            collect(program, ["all"], samples)
            collect(program, ["memory"], samples)

    rows = summarize(samples)
    machine = machine_description()
    text = f"Measured on {machine}.\nPeers: {toolchains()}.\n" + \
        floor_line(samples) + "\n" + table(rows, args.runs)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "results.csv"), "w") as f:
        f.write("scenario,flavor,unit,impl,median,min,max\n")
        for scenario, flavor, unit, stats, _ in rows:
            for impl, s in stats.items():
                if s:
                    f.write(f"{scenario},{flavor},{unit},{impl},"
                            f"{s[0]},{s[1]},{s[2]}\n")
    chart(rows, os.path.join(args.out, "chart.png"), machine)
    log(f"wrote {args.out}/table.md, results.csv and chart.png")


if __name__ == "__main__":
    main()
