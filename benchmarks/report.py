"""Turn a benchmark run's JSON into README's markdown tables: each workload's time on
every implementation, and how many times faster the engine is than each of the others;
then the MLArray MLP step per workload and dtype against the project's goal (the
engine's time as a fraction of PyTorch's and of the hand-written NumPy step's); then
the peak RSS of 20 steps of the large MLP per implementation.

    pytest benchmarks/ --benchmark-only --benchmark-group-by=group --benchmark-json=bench.json
    python benchmarks/report.py bench.json

Standard library only. Times are each benchmark's fastest round (`--stat` picks
another statistic): on a shared machine the minimum is the least disturbed by others.
"""
import argparse
import json
import sys

COLUMNS = {"engine": "engine", "pure": "pure", "micrograd": "micrograd", "torch": "PyTorch",
           "numpy": "NumPy"}
MLP_PREFIX = "MLArray MLP step: "
GOAL_VS_TORCH, GOAL_VS_NUMPY, GOAL_RSS_VS_NUMPY = 1.0, 1.3, 1.5
MICROGRAD_GROUP = "micrograd MLP step: 2-16-16-1, 100 moons points"
MILLION_CHAIN_GROUP = "scalar chain: 1,000,000 links (2,000,000 ops), then backward"
GOAL_VS_MICROGRAD, GOAL_MILLION_CHAIN_SECONDS = 100.0, 1.0
# A separately timed MLP step over this many times its all-in-turn figure was disturbed.
DISTURBED_VS_IN_TURN = 3.0
GOAL_DEFAULT_VS_BEST = 1.2
GOAL_USER_VS_TORCH, GOAL_USER_VS_ARRAY_MLP = 1.0, 1.15


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _impl(bench):
    return (bench.get("params") or {}).get("impl") or bench.get("param")


def _is_memory(bench):
    """A peak-RSS measurement (test_mlp_peak_rss): its time is a whole child process's."""
    return "peak_rss" in (bench.get("extra_info") or {})


def _is_interleaved(bench):
    """An interleaved comparison (test_mlp_step_interleaved): its figures are in extra_info."""
    return "interleaved" in (bench.get("extra_info") or {})


def _is_contention(bench):
    """A train epoch next to a competitor (test_contention.py): its setting is in extra_info."""
    return "contention" in (bench.get("extra_info") or {})


def _is_user_path(bench):
    """A user-path step in turn with its peers (test_user_path.py): figures in extra_info."""
    return "user_path" in (bench.get("extra_info") or {})


def times_by_group(results, stat):
    """{group: {implementation: seconds}}, groups in the order they ran (timings only)."""
    groups = {}
    for bench in results["benchmarks"]:
        if not (_is_memory(bench) or _is_interleaved(bench) or _is_contention(bench)
                or _is_user_path(bench)):
            groups.setdefault(bench["group"], {})[_impl(bench)] = bench["stats"][stat]
    return groups


def memory_by_dtype(results):
    """{dtype: {implementation: extra_info}} of the peak-RSS measurements, and their
    workload's title (from the first one), or ({}, None) when the run has none."""
    found, title = {}, None
    for bench in results["benchmarks"]:
        if _is_memory(bench):
            info = bench["extra_info"]
            found.setdefault(info["dtype"], {})[_impl(bench)] = info
            title = title or (f"{info['steps']} steps of "
                              f"{'-'.join(map(str, info['sizes']))}, batch {info['batch_size']}")
    return found, title


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


def disturbed(results, factor=2.0):
    """Timings whose median round is over `factor` times their fastest: on a shared
    machine whole stretches of rounds can be slowed (threads waiting on a busy core), and
    a benchmark that ran mostly in such a stretch is worth a second run."""
    notes = []
    for bench in results["benchmarks"]:
        stats = bench["stats"]
        if not _is_memory(bench) and stats["rounds"] >= 3 and stats["median"] > factor * stats["min"]:
            notes.append(f"- {bench['group']}, {COLUMNS.get(_impl(bench), _impl(bench))}: median "
                         f"{format_time(stats['median'])} over {stats['rounds']} rounds, "
                         f"{stats['median'] / stats['min']:.1f}× the fastest")
    return notes


def format_ratio(value):
    return f"{value:.2f}"


def format_bytes(count):
    return f"{count / 2**20:.0f} MiB" if count >= 100 * 2**20 else f"{count / 2**20:.1f} MiB"


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


def goal_cell(engine, peer, goal, strict, disturbed_by=()):
    """The engine's time divided by a peer's, marked ✓ if it meets the goal (below it when
    `strict`, else at most it), or "disturbed" instead of a mark when either time was
    disturbed (`disturbed_by` names which); — when either time is missing."""
    if not engine or not peer:
        return "—"
    ratio = engine / peer
    if disturbed_by:
        return f"{format_ratio(ratio)} disturbed ({', '.join(disturbed_by)})"
    met = ratio < goal if strict else ratio <= goal
    return f"{format_ratio(ratio)} {'✓' if met else '✗'}"


def disturbed_against_in_turn(times, in_turn, factor=DISTURBED_VS_IN_TURN):
    """The implementations of one MLP row whose separately timed figure is over `factor`
    times their all-in-turn figure: a busy spell slowed that benchmark alone, so a ratio
    built on it says nothing about the goal."""
    return [COLUMNS[name] for name in ("engine", "torch", "numpy")
            if times.get(name) and in_turn.get(name) and times[name] > factor * in_turn[name]]


def mlp_goal_table(groups, title="MLP step (forward, loss, backward, SGD)", in_turn=None):
    """The MLArray MLP step groups ("MLArray MLP step: <workload>, <dtype>"), one row per
    workload and dtype: engine, PyTorch and NumPy times, and the engine's time divided by
    each peer's, next to the goal. With `in_turn` (the all-in-turn figures, keyed alike),
    a figure over DISTURBED_VS_IN_TURN times its all-in-turn one marks the ratios it takes
    part in as disturbed, not as a goal met or missed. Returns (table or None when the run
    has no such group, [notes on the disturbed rows])."""
    header = [title, "dtype", "engine", "PyTorch", "NumPy",
              f"engine ÷ PyTorch (goal < {GOAL_VS_TORCH:g})",
              f"engine ÷ NumPy (goal ≤ {GOAL_VS_NUMPY:g})"]
    lines = ["| " + " | ".join(header) + " |", "|---|---" + "|---:" * (len(header) - 2) + "|"]
    notes = []
    for group, times in groups.items():
        if not group.startswith(MLP_PREFIX):
            continue
        workload, _, dtype = group[len(MLP_PREFIX):].rpartition(", ")
        engine = times.get("engine")
        slowed = disturbed_against_in_turn(times, (in_turn or {}).get(group, {}))
        cells = [workload, dtype] + [format_time(times[name]) if name in times else "—"
                                     for name in ("engine", "torch", "numpy")]
        cells += [goal_cell(engine, times.get(peer), goal, strict,
                            [name for name in slowed if name in ("engine", COLUMNS[peer])])
                  for peer, goal, strict in (("torch", GOAL_VS_TORCH, True),
                                             ("numpy", GOAL_VS_NUMPY, False))]
        lines.append("| " + " | ".join(cells) + " |")
        for name in slowed:
            key = next(key for key, column in COLUMNS.items() if column == name)
            notes.append(f"- {group}, {name}: {format_time(times[key])} alone, "
                         f"{times[key] / in_turn[group][key]:.1f}× its all-in-turn "
                         f"{format_time(in_turn[group][key])}")
    return ("\n".join(lines) if len(lines) > 2 else None), notes


def scalar_goal_table(groups):
    """The scalar-graph goals: the micrograd step's speed-up over micrograd and the
    1,000,000-link chain's time, each next to its goal. None when neither ran."""
    lines = ["| scalar graphs | engine | goal | met |", "|---|---:|---|---|"]
    step = groups.get(MICROGRAD_GROUP, {})
    if step.get("engine") and step.get("micrograd"):
        speedup = step["micrograd"] / step["engine"]
        lines.append(f"| {MICROGRAD_GROUP}: times faster than micrograd | "
                     f"{format_speedup(step['micrograd'], step['engine'])} | "
                     f"≥ {GOAL_VS_MICROGRAD:g}× | {'✓' if speedup >= GOAL_VS_MICROGRAD else '✗'} |")
    chain = groups.get(MILLION_CHAIN_GROUP, {}).get("engine")
    if chain:
        lines.append(f"| {MILLION_CHAIN_GROUP} | {format_time(chain)} | "
                     f"< {GOAL_MILLION_CHAIN_SECONDS:g} s | "
                     f"{'✓' if chain < GOAL_MILLION_CHAIN_SECONDS else '✗'} |")
    return "\n".join(lines) if len(lines) > 2 else None


def in_turn_by_group(results):
    """{MLP group: {implementation: seconds}} of the all-in-turn comparisons: each
    implementation's fastest step when all of them ran in turn."""
    return {bench["group"].split("interleaved ", 1)[1]: bench["extra_info"]["interleaved"]
            for bench in results["benchmarks"] if _is_interleaved(bench)}


def interleaved_table(results):
    """The all-in-turn MLP steps as a goal table."""
    return mlp_goal_table(in_turn_by_group(results), title="MLP step, all in turn")[0]


def memory_table(by_dtype, title):
    """Peak RSS per dtype and implementation, each in its own fresh process: the peak, the
    RSS once imports and setup were done, and the growth over the steps. None when the
    run measured no memory."""
    if not by_dtype:
        return None
    names = [name for name in ("engine", "pure", "torch", "numpy")
             if any(name in impls for impls in by_dtype.values())]
    header = ([f"peak RSS: {title}"] + [COLUMNS[name] for name in names]
              + [f"engine ÷ NumPy (goal ≤ {GOAL_RSS_VS_NUMPY:g} for the peak)",
                 "engine ÷ PyTorch"])
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    rows = (("peak", lambda info: info["peak_rss"]),
            ("RSS after imports and setup", lambda info: info["rss_before_steps"]),
            ("peak − RSS after setup (the steps' own)",
             lambda info: info["peak_rss"] - info["rss_before_steps"]))
    for dtype, impls in by_dtype.items():
        for label, figure in rows:
            values = {name: figure(info) for name, info in impls.items()}
            cells = [f"{dtype}, {label}"]
            cells += [format_bytes(values[name]) if name in values else "—" for name in names]
            for peer in ("numpy", "torch"):
                ok = "engine" in values and values.get(peer)
                cells.append(format_ratio(values["engine"] / values[peer]) if ok else "—")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def blas_pool_text(pool):
    """One BLAS library as it ran: threadpoolctl's internal_api, version, kernel
    (architecture) and threads, e.g. "openblas 0.3.31 (Haswell kernel, 2 threads)"."""
    name = " ".join(str(part) for part in (pool.get("internal_api"), pool.get("version"))
                    if part)
    return (f"{name or 'a BLAS'} ({pool.get('architecture') or 'unknown'} kernel, "
            f"{pool.get('num_threads')} threads) at run time")
def contention_table(results, stat):
    """Seconds per epoch for each size, competitor and thread setting, as a ratio to the
    size's idle default; then the default ÷ the best fixed count under the same
    competitor (goal ≤ GOAL_DEFAULT_VS_BEST). None when the run has no contention rows."""
    cells = {}
    for bench in results["benchmarks"]:
        if _is_contention(bench):
            info = bench["extra_info"]["contention"]
            per_epoch = bench["stats"][stat] / info["epochs"]
            cells.setdefault(bench["group"], {})[(info["competitor"], info["threads"])] = per_epoch
    if not cells:
        return None
    settings = sorted({threads for group in cells.values() for _, threads in group},
                      key=lambda t: (t != "auto", t))
    competitors = list(dict.fromkeys(c for group in cells.values() for c, _ in group))
    header = (["workload (epoch)", "competitor", "idle default"]
              + [f"{'default' if t == 'auto' else t + ' thread(s)'} ÷ idle" for t in settings]
              + [f"default ÷ best fixed (goal ≤ {GOAL_DEFAULT_VS_BEST:g})"])
    lines = ["| " + " | ".join(header) + " |", "|---|---" + "|---:" * (len(header) - 2) + "|"]
    for group, times in cells.items():
        idle = times.get(("idle", "auto"))
        for competitor in competitors:
            row = [group.split(": ", 1)[-1], competitor, format_time(idle) if idle else "—"]
            row += [format_ratio(times[(competitor, t)] / idle)
                    if idle and (competitor, t) in times else "—" for t in settings]
            fixed = [times[(competitor, t)] for t in settings
                     if t != "auto" and (competitor, t) in times]
            default = times.get((competitor, "auto"))
            row.append(format_ratio(default / min(fixed)) if default and fixed else "—")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def user_path_table(results):
    """The NeuralNetwork step's fastest time beside PyTorch's and ArrayMLP's from the same
    run, and the ratios against the goals. None when the run has no user-path rows."""
    rows = [(bench["group"].split(": ", 1)[1], bench["extra_info"]["user_path"])
            for bench in results["benchmarks"] if _is_user_path(bench)]
    if not rows:
        return None
    header = ["user path step", "NeuralNetwork", "PyTorch", "ArrayMLP",
              f"network ÷ PyTorch (goal < {GOAL_USER_VS_TORCH:g})",
              f"network ÷ ArrayMLP (goal ≤ {GOAL_USER_VS_ARRAY_MLP:g})"]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for label, best in rows:
        net = best["network"]
        cells = [label, format_time(net)]
        cells += [format_time(best[name]) if name in best else "—"
                  for name in ("torch", "ArrayMLP")]
        cells += [goal_cell(net, best.get(name), goal, strict)
                  for name, goal, strict in (("torch", GOAL_USER_VS_TORCH, True),
                                             ("ArrayMLP", GOAL_USER_VS_ARRAY_MLP, False))]
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
    for pool in info.get("blas_runtime") or []:
        parts.append(blas_pool_text(pool))
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
    groups = times_by_group(results, args.stat)
    print(table(groups))
    print()
    print(f"Each time is the {statistic} of a benchmark's rounds; \"engine vs X\" is how many "
          f"times faster the engine is than X; — means not run (skipped or not installed).")
    print(machine(results))
    goal, slowed = mlp_goal_table(groups, in_turn=in_turn_by_group(results))
    if goal:
        print()
        print(goal)
        print()
        print("\"engine ÷ X\" is the engine's step time divided by X's, measured in the same "
              "run: below 1 the engine is faster. NumPy is the hand-written step, no autograd "
              "(benchmarks/mlp_peers.py).")
    if slowed:
        print()
        print(f"Disturbed, so not counted as a goal met or missed: these steps, timed alone, "
              f"took over {DISTURBED_VS_IN_TURN:g}× their all-in-turn figure (a busy spell "
              f"slowed that benchmark alone; the all-in-turn table holds for them):")
        print("\n".join(slowed))
    scalar = scalar_goal_table(groups)
    if scalar:
        print()
        print(scalar)
    interleaved = interleaved_table(results)
    if interleaved:
        print()
        print(interleaved)
        print()
        print("Here the implementations took turns, in blocks of a fraction of a second "
              "each, for several seconds per row (test_mlp_step_interleaved), so a busy "
              "spell on the machine slows all of them alike; each time is the fastest step "
              "inside a block (the first steps after a switch wait for the other library's "
              "threads to stop spinning).")
    memory = memory_table(*memory_by_dtype(results))
    if memory:
        print()
        print(memory)
        print()
        print("Each implementation ran in a fresh Python process (benchmarks/peak_rss.py); "
              "the peak is the process's whole life (Linux VmHWM): interpreter, imports, "
              "weights, batch and the steps. The NumPy and PyTorch processes do not import "
              "smolml.")
    contention = contention_table(results, args.stat)
    if contention:
        print()
        print(contention)
        print()
        print("Seconds per epoch of NeuralNetwork.train (engine, SGD) with a competitor "
              "process started by the benchmark (benchmarks/competitors.py): \"spinner\" "
              "holds one core, \"numpy\" runs small matrix products on its own BLAS threads. "
              "\"default\" is threads=\"auto\"; each ratio divides by the same workload's "
              "idle default.")
    user = user_path_table(results)
    if user:
        print()
        print(user)
        print()
        print("Fastest step of each in float64 on the engine, the three taking turns in "
              "blocks in one run (benchmarks/test_user_path.py): NeuralNetwork with "
              "DenseLayers (relu, softmax), categorical_cross_entropy, backward, "
              "layer.update, restart; PyTorch with nn.Linear, ReLU, the same softmax and loss, "
              "torch.optim; ArrayMLP is the hand-written MLArray step (tanh, SGD).")
    notes = disturbed(results)
    if notes:
        print()
        print("Disturbed: these benchmarks' median round is over twice their fastest (the "
              "machine was busy while they ran; a second run may differ):")
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
