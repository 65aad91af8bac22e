"""Delivery metrics from the Python package's Part (the C++ guard underneath): with
WATCHBOT_PROGRESS_METRICS=emf each ``with Part(...)`` block writes one CloudWatch Embedded Metric
Format line to stdout after what the block printed (sys.stdout is flushed first), checked against the
EMF specification's rules; without the variable, or with another value, nothing. Each case runs in
a child Python, so that its stdout is a pipe of the test's own."""

import json
import os
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent('''
    from watchbot_progress import Part, create_job
    from watchbot_progress.backends.native import NativeProgress

    class Fatal(ValueError):
        pass

    progress = NativeProgress('memory://py-metrics', topic_arn='memory://py-metrics')
    jobid = create_job([{'n': 0}, {'n': 1}], jobid='py-metrics-job', progress=progress)
    print('before')
    with Part(jobid, 0, progress=progress):
        print('work 0')
    with Part(jobid, 1, progress=progress):
        print('work 1')
    try:
        with Part(jobid, 1, progress=progress):
            raise RuntimeError('retry me')
    except RuntimeError:
        pass
    try:
        with Part(jobid, 0, progress=progress, fail_job_on=[Fatal]):
            raise Fatal('bad input')
    except Fatal:
        pass
    try:
        with Part(jobid, 1, progress=progress, fail_job_on=[Fatal]):
            print('never')
    except Exception:
        pass
    print('after')
''')

UNITS = {'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
         'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
         'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
         'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None'}


def check_emf(root):
    """The EMF specification's rules (tests/support/emf_check.hpp has the same in C++)."""
    def name_ok(v):
        return isinstance(v, str) and 1 <= len(v) <= 255
    assert isinstance(root, dict)
    aws = root['_aws']
    assert isinstance(aws['Timestamp'], int) and aws['Timestamp'] >= 0
    assert isinstance(aws['CloudWatchMetrics'], list)
    for directive in aws['CloudWatchMetrics']:
        assert name_ok(directive['Namespace'])
        for dimension_set in directive['Dimensions']:
            assert isinstance(dimension_set, list) and len(dimension_set) <= 30
            for d in dimension_set:
                assert name_ok(d) and isinstance(root.get(d), str), d
        assert isinstance(directive['Metrics'], list) and len(directive['Metrics']) <= 100
        for metric in directive['Metrics']:
            assert name_ok(metric['Name'])
            assert metric.get('Unit', 'None') in UNITS
            value = root[metric['Name']]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), metric['Name']
    return root


def run_worker(metrics):
    env = dict(os.environ)
    env.pop('WATCHBOT_PROGRESS_METRICS', None)
    env.pop('AlertTopic', None)
    if metrics is not None:
        env['WATCHBOT_PROGRESS_METRICS'] = metrics
    return subprocess.run([sys.executable, '-c', WORKER], env=env, capture_output=True, text=True, timeout=300,
                          check=True)


def test_each_block_writes_one_emf_line_after_its_own_output():
    result = run_worker('emf')
    lines = result.stdout.splitlines()
    texts = [line for line in lines if not line.startswith('{')]
    assert texts == ['before', 'work 0', 'work 1', 'after']
    assert lines[:2] == ['before', 'work 0']
    emf = [check_emf(json.loads(line)) for line in lines if line.startswith('{')]
    assert [(m['Outcome'], m['ClaimOutcome']) for m in emf] == [
        ('completed', 'none'), ('completed', 'sent'), ('failed', 'none'), ('job-failed', 'none'),
        ('job-already-failed', 'none')]
    assert lines.index('work 1') == 3  # after the first block's line, before the second's
    assert [m['ReducesSent'] for m in emf] == [0, 1, 0, 0, 0]
    assert all(m['jobid'] == 'py-metrics-job' for m in emf)
    assert [m['partid'] for m in emf] == [0, 1, 1, 0, 1]
    assert all(m['PartDuration'] >= 0 for m in emf)
    assert all(m['_aws']['CloudWatchMetrics'][0]['Namespace'] == 'WatchbotProgress' for m in emf)


def test_nothing_without_the_variable_or_with_another_value():
    assert run_worker(None).stdout.splitlines() == ['before', 'work 0', 'work 1', 'after']
    other = run_worker('statsd')
    assert other.stdout.splitlines() == ['before', 'work 0', 'work 1', 'after']
    assert 'WATCHBOT_PROGRESS_METRICS=statsd is not a metrics format' in other.stderr
