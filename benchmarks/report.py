"""Turn a benchmark run's JSON into README's markdown table: each workload's time on
every implementation, and how many times faster the engine is than each of the others.

    pytest benchmarks/ --benchmark-only --benchmark-group-by=group --benchmark-json=bench.json
    python benchmarks/report.py bench.json

Standard library only. Times are each benchmark's fastest round (`--stat` picks
another statistic): on a shared machine the minimum is the least disturbed by others.
"""
import argparse
import json
import sys

COLUMNS = {"engine": "engine", "pure": "pure", "micrograd": "micrograd", "torch": "PyTorch"}


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def times_by_group(results, stat):
    """{group: {implementation: seconds}}, groups in the order they ran."""
    groups = {}
    for bench in results["benchmarks"]:
        impl = (bench.get("params") or {}).get("impl") or bench.get("param")
        groups.setdefault(bench["group"], {})[impl] = bench["stats"][stat]
    return groups


def format_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            break
    value = seconds / scale
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def format_speedup(other, engine):
    """How many times faster the engine is than `other` (below 1: slower)."""
    ratio = other / engine
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:.0f}×"


def table(groups):
    others = [name for name in COLUMNS if name != "engine"
              and any(name in times for times in groups.values())]
    header = (["workload", "engine"] + [COLUMNS[name] for name in others]
              + [f"engine vs {COLUMNS[name]}" for name in others])
    lines = ["| " + " | ".join(header) + " |",
             "|---" + "|---:" * (len(header) - 1) + "|"]
    for group, times in groups.items():
        engine = times.get("engine")
        cells = [group, format_time(engine) if engine else "—"]
        cells += [format_time(times[name]) if name in times else "—" for name in others]
        cells += [format_speedup(times[name], engine) if engine and name in times else "—"
                  for name in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine(results):
    """One paragraph: where and with what the numbers were measured."""
    info = results["machine_info"]
    smolml = info.get("smolml", {})
    blas = smolml.get("blas") or {}
    blas_name = " ".join(part for part in (blas.get("name"), blas.get("version")) if part)
    cpu = info.get("cpu_model") or info.get("cpu", {}).get("brand_raw") or info.get("processor")
    cores = info.get("cpu_count") or info.get("cpu", {}).get("count")
    parts = [
        f"{cpu}, {cores} cores, {info.get('system')} {info.get('release')}",
        f"{info.get('python_implementation')} {info.get('python_version')}",
        f"smolml {smolml.get('version')}",
        f"NumPy {smolml.get('numpy')} with {blas_name or 'an unknown BLAS'}",
    ]
    peers = info.get("peers", {})
    if "torch" in peers:
        parts.append(f"PyTorch {peers['torch']} ({peers.get('torch_threads')} threads)")
    if "micrograd" in peers:
        parts.append(f"micrograd {peers['micrograd']}")
    load = info.get("load_average") or {}
    when = results.get("datetime", "")[:16].replace("T", " ")
    text = "Measured on " + "; ".join(parts) + f", on {when} UTC"
    if load.get("start") is not None and load.get("end") is not None:
        text += (f" (1-minute load average {load['start']:.2f} when the run began, "
                 f"{load['end']:.2f} when it ended)")
    return text + "."


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="the file written by --benchmark-json")
    parser.add_argument("--stat", default="min", choices=("min", "median", "mean"),
                        help="which statistic of the rounds to report (default: min)")
    args = parser.parse_args(argv)
    results = load(args.results)
    statistic = {"min": "fastest", "median": "median", "mean": "mean"}[args.stat]
    print(table(times_by_group(results, args.stat)))
    print()
    print(f"Each time is the {statistic} of a benchmark's rounds; \"engine vs X\" is how many "
          f"times faster the engine is than X; — means not run (skipped or not installed).")
    print(machine(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
