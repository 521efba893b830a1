"""benchmarks/report.py on made-up runs: a separately timed step far slower than the same
implementation's all-in-turn figure is flagged as disturbed, never counted as a goal
met; the BLAS each run used is printed."""
import importlib.util
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "report.py"
pytestmark = pytest.mark.skipif(not REPORT.is_file(), reason="needs benchmarks/report.py")

GROUP = "MLArray MLP step: 64-32-10, batch 32, float64"


def load_report():
    spec = importlib.util.spec_from_file_location("benchmark_report", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timing(impl, seconds):
    return {"group": GROUP, "params": {"impl": impl}, "extra_info": {},
            "stats": {"min": seconds, "median": seconds, "mean": seconds, "rounds": 5}}


def run(alone, in_turn, blas_runtime=()):
    benchmarks = [timing(impl, seconds) for impl, seconds in alone.items()]
    benchmarks.append({"group": f"interleaved {GROUP}", "params": {"impl": None},
                       "extra_info": {"interleaved": in_turn},
                       "stats": {"min": 1.0, "median": 1.0, "mean": 1.0, "rounds": 1}})
    machine_info = {"smolml": {"version": "0.1.0", "numpy": "2.0",
                               "blas": {"name": "scipy-openblas", "version": "0.3.31"}},
                    "cpu_model": "a CPU", "cpu_count": 2, "system": "Linux", "release": "6",
                    "python_implementation": "CPython", "python_version": "3.11.7",
                    "blas_runtime": list(blas_runtime)}
    return {"benchmarks": benchmarks, "machine_info": machine_info,
            "datetime": "2026-12-02T12:00:00"}


def goal_row(report, results):
    groups = report.times_by_group(results, "min")
    table, notes = report.mlp_goal_table(groups, in_turn=report.in_turn_by_group(results))
    return table.splitlines()[2], notes


def test_a_peer_400_times_slower_alone_is_disturbed_not_a_goal_met():
    report = load_report()
    # PyTorch alone 400x its all-in-turn step: the engine would look 0.0004x PyTorch's
    results = run({"engine": 40e-6, "torch": 0.1, "numpy": 56e-6},
                  {"engine": 40e-6, "torch": 250e-6, "numpy": 56e-6})
    row, notes = goal_row(report, results)
    torch_cell, numpy_cell = row.strip("|").split("|")[-2:]
    assert "disturbed (PyTorch)" in torch_cell and "✓" not in torch_cell and "✗" not in torch_cell
    assert numpy_cell.strip() == f"{40 / 56:.2f} ✓"          # the undisturbed peer still counts
    assert len(notes) == 1 and "PyTorch" in notes[0] and "400.0×" in notes[0]


def test_three_times_the_in_turn_figure_is_the_threshold():
    report = load_report()
    in_turn = {"engine": 40e-6, "torch": 250e-6, "numpy": 56e-6}
    at_limit = run({"engine": 40e-6, "torch": 3 * 250e-6, "numpy": 56e-6}, in_turn)
    over = run({"engine": 40e-6, "torch": 3.01 * 250e-6, "numpy": 56e-6}, in_turn)
    assert "disturbed" not in goal_row(report, at_limit)[0]
    assert "disturbed (PyTorch)" in goal_row(report, over)[0]


def test_a_disturbed_engine_marks_both_of_its_ratios():
    report = load_report()
    results = run({"engine": 400e-6, "torch": 250e-6, "numpy": 56e-6},
                  {"engine": 40e-6, "torch": 250e-6, "numpy": 56e-6})
    row, notes = goal_row(report, results)
    assert row.count("disturbed (engine)") == 2 and "✗" not in row


def test_the_report_prints_the_blas_kernel_and_threads(capsys, tmp_path):
    import json
    report = load_report()
    pools = [{"internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell",
              "num_threads": 2, "filepath": "/x/libscipy_openblas.so"}]
    results = run({"engine": 40e-6, "torch": 0.1, "numpy": 56e-6},
                  {"engine": 40e-6, "torch": 250e-6, "numpy": 56e-6}, pools)
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(results))
    assert report.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "openblas 0.3.31 (Haswell kernel, 2 threads) at run time" in out
    assert "Disturbed, so not counted as a goal met or missed" in out


def test_peak_rss_summary_is_in_mebibytes():
    path = REPORT.parent / "peak_rss.py"
    spec = importlib.util.spec_from_file_location("benchmark_peak_rss", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = module.summary_lines([("peak RSS: 20 steps, float64", "engine",
                                   {"peak_rss": 119 * 2**20, "rss_before_steps": 58.4 * 2**20})])
    assert lines == ["peak RSS: 20 steps, float64, engine: peak 119.0 MiB, "
                     "58.4 MiB after imports and setup"]
