#!/usr/bin/env python3
"""Flotilla's benchmark: runs the scenarios in scenarios/bench/ with the
headless build (Cargo.toml's `headless` profile: release, optimised as one
program, as the hand-written peer is) and prints one table — wall time (median of --runs), events
per second, placements or requests per second, peak memory (the maximum
resident set, from GNU time when installed) — then the ratios to the peer
models, the growth exponents and the flat-memory checks.

    bench/run.py                       # everything, 3 runs each
    bench/run.py --runs 5 --only mmc   # the benches whose name contains "mmc"
    bench/run.py --peers DIR           # DIR holds limit/ and simpy_mmc.py

The peers are a hand-written M/M/c event loop (DIR/limit, a Cargo project)
and the same model in SimPy (DIR/simpy_mmc.py, `pip install simpy==4.1.2`);
without --peers, ../shared/bench beside the checkout is used when present,
and the peer rows are left out otherwise. Wall time is measured around the
whole `flotilla check` process (parsing included); the machine's load
shows in the spread, so compare medians and ratios.
"""
import argparse
import json
import math
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "scenarios" / "bench"
BIN = ROOT / "target" / "headless" / "flotilla"

# M/M/4, λ 36/s, μ 10/s, as scenarios/bench/mmc.ron.
MMC = (4, 36.0, 10.0)
MMC_SECONDS = 1_000_000


def run_measured(argv):
    """Runs argv; returns (wall seconds, peak RSS bytes, stdout)."""
    import tempfile

    # The kernel's peak resident set of a child also counts the pages of the
    # process that forked it, held until the exec: a child of Python starts
    # at Python's own 10-15 MiB. GNU time (Debian's `time` package) is a
    # small C program whose fork costs about 2 MiB, so its %M is close to
    # the command's own peak.
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        cmd = [gnu_time, "-f", "%M", "-o", rss.name, *map(str, argv)] if gnu_time else argv
        started = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate()
        wall = time.perf_counter() - started
        if p.returncode != 0:
            sys.exit(f"{' '.join(map(str, argv))} failed ({p.returncode}):\n{err}{out}")
        if gnu_time:
            peak = int(rss.read().split()[-1]) * 1024
        else:
            # From the kernel's accounting of waited-for children: includes
            # the forking Python's pages (see above).
            import resource

            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return wall, peak, out


def measure(argv, runs):
    """Median wall and peak memory of `runs` runs, each in a fresh helper process."""
    walls, peaks, out = [], [], ""
    for _ in range(runs):
        helper = [sys.executable, __file__, "--_one", json.dumps([str(a) for a in argv])]
        p = subprocess.run(helper, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr or p.stdout)
        r = json.loads(p.stdout)
        walls.append(r["wall"])
        peaks.append(r["peak"])
        out = r["out"]
    return statistics.median(walls), max(peaks), min(walls), max(walls), out


def check(path, runs):
    wall, peak, lo, hi, out = measure([BIN, "check", "--json", path], runs)
    summary = json.loads(out)[0]
    return wall, peak, lo, hi, summary


def metric(summary, name):
    return sum(w.get(name) or 0 for w in summary["worlds"].values())


def events(summary):
    return sum(summary["events"].values())


def fmt_bytes(b):
    return f"{b / 2**20:,.0f} MiB" if b < 2**30 else f"{b / 2**30:,.2f} GiB"


def exponent(xs, ys):
    """Least-squares slope of log y against log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def peers_dir(arg):
    if arg:
        return pathlib.Path(arg)
    default = ROOT.parent / "shared" / "bench"
    return default if default.is_dir() else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--peers")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--_one")
    a = ap.parse_args()
    if a._one:
        argv = json.loads(a._one)
        wall, peak, out = run_measured(argv)
        print(json.dumps({"wall": wall, "peak": peak, "out": out}))
        return
    if not a.no_build:
        subprocess.run(["cargo", "build", "--profile", "headless", "--no-default-features", "--quiet"], cwd=ROOT, check=True)
    rows = []

    def row(name, wall, lo, hi, peak, ev, rate, unit):
        rows.append((name, wall, lo, hi, peak, ev, rate, unit))
        print(f"  {name}: {wall:.2f} s ({lo:.2f}–{hi:.2f}), {fmt_bytes(peak)}", file=sys.stderr)

    want = lambda n: a.only in n
    results = {}
    for name in ["schedule-150k", "k8s-envelope", "mmc"]:
        if not want(name):
            continue
        wall, peak, lo, hi, s = check(BENCH / f"{name}.ron", a.runs)
        if name == "mmc":
            rate, unit = metric(s, "requests.served") / wall, "requests/s"
            results["mmc_wait"] = metric(s, "wait.mean")
            results["mmc_rate"] = rate
        elif name == "schedule-150k":
            rate, unit = metric(s, "pods.running") / wall, "placements/s"
        else:
            rate, unit = metric(s, "scheduling.attempts") / wall, "scheduling cycles/s"
        results[name] = (wall, peak)
        row(name, wall, lo, hi, peak, events(s) / wall, rate, unit)

    # Other shapes of a 150,000-pod cluster: node pools, one huge rollout, drains under budgets.
    for name in ["shape-node-selector", "shape-rollout", "shape-pdb-drain"]:
        if not want(name):
            continue
        wall, peak, lo, hi, s = check(BENCH / f"{name}.ron", a.runs)
        results[name] = (wall, peak)
        row(name, wall, lo, hi, peak, events(s) / wall, metric(s, "scheduling.attempts") / wall, "scheduling cycles/s")

    growth = {}
    for kind, sizes in [("growth-nodes", [500, 1000, 2000, 5000]), ("mmc", ["1d", "7d", "30d"]),
                        ("diurnal", ["1d", "7d", "30d", "365d"])]:
        for size in sizes:
            name = f"{kind}-{size}"
            if not want(name):
                continue
            wall, peak, lo, hi, s = check(BENCH / f"{name}.ron", a.runs)
            served = metric(s, "requests.served")
            placed = metric(s, "pods.running")
            rate, unit = ((served / wall, "requests/s") if served else (placed / wall, "placements/s"))
            growth.setdefault(kind, []).append((size, wall, peak))
            row(name, wall, lo, hi, peak, events(s) / wall, rate, unit)

    peers = peers_dir(a.peers)
    peer_rates = {}
    if peers and want("mmc"):
        c, lam, mu = MMC
        limit = peers / "limit"
        if (limit / "Cargo.toml").exists():
            target = ROOT / "target" / "bench-limit"
            subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", limit / "Cargo.toml",
                            "--target-dir", target], check=True)
            exe = target / "release" / next(
                re.finditer(r'name\s*=\s*"([^"]+)"', (limit / "Cargo.toml").read_text())).group(1)
            walls = []
            for _ in range(a.runs):
                wall, _, out = run_measured([str(x) for x in (exe, c, lam, mu, MMC_SECONDS, 1)])
                walls.append(wall)
            served = int(re.search(r"served=(\d+)", out).group(1))
            peer_rates["hand-written loop"] = served / statistics.median(walls)
        simpy = peers / "simpy_mmc.py"
        if simpy.exists() and subprocess.run([sys.executable, "-c", "import simpy"]).returncode == 0:
            horizon = 20_000
            walls = []
            for _ in range(a.runs):
                _, _, out = run_measured([str(x) for x in (sys.executable, simpy, c, lam, mu, horizon, 1)])
                walls.append(float(re.search(r"wall_s=([\d.]+)", out).group(1)))
            served = int(re.search(r"served=(\d+)", out).group(1))
            peer_rates["SimPy 4.1.2"] = served / statistics.median(walls)

    print(f"\n{subprocess.run([BIN, '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, median of {a.runs}")
    print(f"| bench | wall (median) | range | peak memory | events/s | rate |")
    print(f"|---|---:|---:|---:|---:|---:|")
    for name, wall, lo, hi, peak, ev, rate, unit in rows:
        print(f"| {name} | {wall:.2f} s | {lo:.2f}–{hi:.2f} s | {fmt_bytes(peak)} | {ev:,.0f} | {rate:,.0f} {unit} |")
    if "mmc_rate" in results:
        c, lam, mu = MMC
        print(f"\nM/M/4 mean wait {results['mmc_wait']:.6f} s; Erlang C 0.196938 s "
              f"({(results['mmc_wait'] / 0.196938 - 1) * 100:+.2f} %)")
        for peer, rate in peer_rates.items():
            print(f"{peer}: {rate:,.0f} requests/s; Flotilla at {results['mmc_rate'] / rate:.2f}× its rate")
    for kind, points in growth.items():
        if len(points) < 2:
            continue
        sizes = [float(re.sub(r"d$", "", str(p[0]))) for p in points]
        e = exponent(sizes, [p[1] for p in points])
        print(f"growth {kind}: wall ∝ size^{e:.2f} over {', '.join(str(p[0]) for p in points)}; "
              f"peak memory {', '.join(fmt_bytes(p[2]) for p in points)} "
              f"(last / first {points[-1][2] / points[0][2]:.2f})")


if __name__ == "__main__":
    main()
