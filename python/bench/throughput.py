#!/usr/bin/env python3
"""watchbot-progress-bench from Python: the same job through the Python package.

Creates a job of N empty parts with create_job (map messages published to the topic), then runs
``with Part(...)`` for every part from W threads (each part K times, the copies shuffled), checks
the job ended complete with exactly one reduce, deletes it, and prints one JSON line with the
fields of watchbot-progress-bench (docs/performance.md explains them).

    PYTHONPATH=build/python python3 python/bench/throughput.py --backend redis://127.0.0.1:6379/0 \\
        --topic arn:aws:sns:us-east-1:000000000000:bench-topic --parts 10000 --workers 25 --duplicates 2

Backends: a Redis URI (RedisProgress), a DynamoDB table ARN (DynamoProgress), sqlite:///path or
memory://name (NativeProgress). Topics: an SNS topic ARN, memory://name. Exit status 0 when the
job ended as expected without errors, 1 otherwise.
"""

import argparse
import json
import os
import random
import resource
import sys
import threading
import time

from watchbot_progress import Part, create_job
from watchbot_progress import _core, _notifiers
from watchbot_progress.errors import ReducePending


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 3)


def process_cpu_seconds(pid):
    """CPU seconds (user + system) used so far by process ``pid`` (fields 14 and 15 of /proc/PID/stat)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        raise SystemExit('throughput.py: --server-pid %d: no such process (give the pid of the server process, '
                         'e.g. dynalite\'s node)' % pid)
    fields = stat[stat.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def open_progress(uri, topic):
    if uri.startswith('redis'):
        from watchbot_progress.backends.redis import RedisProgress
        progress = RedisProgress._from_uri(uri, topic_arn=topic)
    elif uri.startswith('arn:'):
        from watchbot_progress.backends.dynamodb import DynamoProgress
        progress = DynamoProgress(table_arn=uri, topic_arn=topic)
    else:
        from watchbot_progress.backends.native import NativeProgress
        progress = NativeProgress(uri, topic_arn=topic)
    # Count calls where the backend does not count its round trips (as the C++ tool does).
    progress._wrap_backend(_core.counting_backend)
    return progress


class MessageCounter(object):
    """Messages published to the topic by subject, from the SNS notifier's counters or memory://."""

    def __init__(self, topic):
        self.notifier = _notifiers.for_topic(topic)
        self.memory = topic.startswith('memory://')

    def published(self):
        if self.memory:
            return len(self.notifier.messages())
        return self.notifier.stats().get('messages_published')

    def requests(self):
        return self.notifier.stats().get('requests')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--backend', required=True, help='Redis URI, DynamoDB table ARN, sqlite:// or memory://')
    parser.add_argument('--topic', required=True, help='SNS topic ARN or memory://name')
    parser.add_argument('--parts', type=int, default=10000, help='number of parts N')
    parser.add_argument('--workers', type=int, default=25, help='threads running Part guards')
    parser.add_argument('--create-workers', type=int, default=25, help='batches published at once by create_job')
    parser.add_argument('--duplicates', type=int, default=1, help='deliveries of each part (K)')
    parser.add_argument('--input', choices=('forward', 'single-pass'), default='forward',
                        help='the parts as a list (forward) or a generator (single-pass)')
    parser.add_argument('--server-pid', type=int, default=0,
                        help="pid of the server process (e.g. dynalite's node): also print its CPU time per delivery")
    parser.add_argument('--seed', type=int, default=1, help='shuffle seed')
    parser.add_argument('--keep', action='store_true', help='keep the job afterwards (deleted by default)')
    parser.add_argument('--fail-job-on', action='store_true',
                        help="run the guards with fail_job_on set, so each delivery first checks whether the job "
                             "failed (one small read), as watchbot-progress-bench's switch of that name")
    args = parser.parse_args(argv)
    if args.parts < 1 or args.workers < 1 or args.duplicates < 1:
        parser.error('--parts, --workers and --duplicates must be at least 1')

    progress = open_progress(args.backend, args.topic)
    counter = MessageCounter(args.topic)

    if args.input == 'single-pass':
        parts = ({} for _ in range(args.parts))
    else:
        parts = [{} for _ in range(args.parts)]
    published_before, requests_before = counter.published(), counter.requests()
    start = time.perf_counter()
    jobid = create_job(parts, progress=progress, workers=args.create_workers)
    create_s = time.perf_counter() - start
    create_peak = peak_rss_mb()
    published_after_create, requests_after_create = counter.published(), counter.requests()

    deliveries = [p for _ in range(args.duplicates) for p in range(args.parts)]
    random.Random(args.seed).shuffle(deliveries)
    backend = progress._wp_backend()
    stats_before = backend.stats()
    next_index = iter(range(len(deliveries)))
    lock = threading.Lock()
    errors = []
    redeliveries = []  # deliveries that met an unconfirmed reduce claim (ReducePending) and came again
    begin = threading.Barrier(args.workers + 1)

    class BenchFatalError(Exception):
        """The fail_job_on type of --fail-job-on: never raised; what is measured is the check."""

    fail_job_on = (BenchFatalError,) if args.fail_job_on else ()

    def worker():
        begin.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            try:
                # Delivered again while another delivery's reduce claim is unconfirmed
                # (ReducePending), as watchbot redelivers a failed message.
                pause = 0.0002
                while True:
                    try:
                        with Part(jobid, deliveries[i], progress=progress, fail_job_on=fail_job_on):
                            pass
                        break
                    except ReducePending:
                        redeliveries.append(i)
                        time.sleep(pause)
                        pause = min(pause * 2, 0.02)
            except Exception as e:
                if not errors:
                    sys.stderr.write('throughput.py: part {}: {}\n'.format(deliveries[i], e))
                errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for t in threads:
        t.start()
    begin.wait()
    start = time.perf_counter()
    cpu_start = time.process_time()  # every thread of this process
    server_cpu_start = process_cpu_seconds(args.server_pid) if args.server_pid else 0
    for t in threads:
        t.join()
    complete_s = time.perf_counter() - start
    client_cpu_s = time.process_time() - cpu_start
    server_cpu_s = (process_cpu_seconds(args.server_pid) - server_cpu_start) if args.server_pid else 0
    stats_after = backend.stats()
    status = progress.status(jobid)
    if not args.keep:
        progress.delete(jobid)

    n = float(len(deliveries))
    counted = stats_after['requests'] > stats_before['requests']
    requests = (stats_after['requests'] - stats_before['requests']) if counted else \
        (stats_after['calls'] - stats_before['calls'])
    traffic = (stats_after['bytes_sent'] - stats_before['bytes_sent'] +
               stats_after['bytes_received'] - stats_before['bytes_received'])
    published_end = counter.published()

    def delta(after, before):
        return None if after is None or before is None else after - before

    publish_requests = delta(requests_after_create, requests_before)
    out = {
        'backend': backend.describe(),
        'topic': counter.notifier.describe(),
        # The layout new DynamoDB jobs get (the Python API takes it from the environment only); None for
        # other backends, as in the C++ bench's output.
        'dynamodb_layout': (os.environ.get('WATCHBOT_PROGRESS_DYNAMODB_LAYOUT') or 'sharded')
        if backend.describe().startswith('dynamodb') else None,
        'parts': args.parts,
        'input': args.input,
        'workers': args.workers,
        'duplicates': args.duplicates,
        'fail_job_on': args.fail_job_on,
        # Always the Part guard: the C++ bench's --worker-path (the `worker` command's path) has no
        # Python counterpart.
        'delivery_path': 'part',
        'check_interval_ms': None,  # the C++ bench's --worker-path only (the worker's --check-interval)
        'deliveries': len(deliveries),
        'create_s': round(create_s, 3),
        'create_parts_per_s': round(args.parts / create_s),
        'create_peak_rss_mb': create_peak,
        'publish_requests_per_part': None if publish_requests is None else round(publish_requests / args.parts, 3),
        'complete_s': round(complete_s, 3),
        'complete_parts_per_s': round(args.parts / complete_s),
        'deliveries_per_s': round(n / complete_s),
        'backend_requests_per_part': round(requests / n, 3),
        'backend_requests_counted_by': 'backend' if counted else 'calls',
        'bytes_per_completion': round(traffic / n) if counted else None,
        # The C++ bench counts the DynamoDB job item's requests at its HTTP client, which Python cannot
        # reach: never counted here.
        'job_item_reads': None,
        'job_item_writes': None,
        'map_messages': delta(published_after_create, published_before),
        'reduce_messages': delta(published_end, published_after_create),
        'remaining': status['remaining'],
        'errors': len(errors),
        'redeliveries': len(redeliveries),
        'peak_rss_mb': peak_rss_mb(),
        'client_cpu_ms_per_delivery': round(1000 * client_cpu_s / n, 3),
    }
    if args.server_pid:
        out['server_cpu_ms_per_delivery'] = round(1000 * server_cpu_s / n, 3)
    print(json.dumps(out, separators=(',', ':')))
    return 0 if (status['remaining'] == 0 and out['reduce_messages'] in (1, None) and not errors) else 1


if __name__ == '__main__':
    sys.exit(main())
