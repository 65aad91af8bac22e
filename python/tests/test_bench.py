"""python/bench/throughput.py runs the benchmark's job from Python and prints the fields of
watchbot-progress-bench (its figures are printed, never asserted)."""

import json
import os
import subprocess
import sys

from conftest import require_env, unique

SCRIPT = os.path.join(require_env('WP_SOURCE_DIR'), 'python', 'bench', 'throughput.py')


def run_python_bench(*args):
    result = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_same_fields_as_the_cpp_tool():
    name = 'memory://' + unique('bench')
    py = run_python_bench('--backend', name, '--topic', name, '--parts', '300', '--duplicates', '2')
    assert (py['parts'], py['deliveries'], py['remaining'], py['errors']) == (300, 600, 0, 0)
    assert (py['map_messages'], py['reduce_messages']) == (300, 1)
    bench = os.environ.get('WP_BENCH_PATH')
    if bench:  # the C++ tool is built by default (WP_BUILD_BENCH_TOOL)
        cpp = subprocess.run([bench, '--backend', 'memory://', '--topic', 'memory://', '--parts', '300'],
                             capture_output=True, text=True, check=True)
        assert set(py) == set(json.loads(cpp.stdout))
        # --server-pid (any live process stands in for the server here: this one) adds the same field.
        server = ['--server-pid', str(os.getpid())]
        py = run_python_bench('--backend', name, '--topic', name, '--parts', '300', *server)
        cpp = subprocess.run([bench, '--backend', 'memory://', '--topic', 'memory://', '--parts', '300', *server],
                             capture_output=True, text=True, check=True)
        assert 'server_cpu_ms_per_delivery' in py
        assert set(py) == set(json.loads(cpp.stdout))


def test_redis_and_sns(redis_url, topic):
    out = run_python_bench('--backend', redis_url, '--topic', topic.arn, '--parts', '500', '--workers', '25',
                           '--duplicates', '2', '--input', 'single-pass')
    assert (out['remaining'], out['errors'], out['map_messages'], out['reduce_messages']) == (0, 0, 500, 1)
    assert out['backend_requests_counted_by'] == 'calls'
    assert out['publish_requests_per_part'] == 0.1
    sys.stdout.write(json.dumps(out) + '\n')


GUARD_COST = os.path.join(require_env('WP_SOURCE_DIR'), 'python', 'bench', 'guard_cost.py')


def test_guard_cost_prints_every_rate_and_both_ratios(redis_url):
    result = subprocess.run([sys.executable, GUARD_COST, '--redis', redis_url, '--parts', '200', '--rounds', '2'],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out['parts'], out['workers'], out['rounds'], out['wrong_runs']) == (200, 25, 2, [])
    for key in ('pool_tasks_per_s', 'memory_parts_per_s', 'redis_parts_per_s', 'original_redis_parts_per_s'):
        assert isinstance(out[key], int), key
    for key in ('memory_vs_pool', 'redis_vs_original'):
        assert isinstance(out[key], float), key
    assert {k: len(v) for k, v in out['runs'].items()} == {'pool': 2, 'memory': 2, 'redis': 2, 'original_redis': 2}
    sys.stdout.write(result.stdout)
