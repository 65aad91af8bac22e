#!/usr/bin/env python3
"""The Part guard's own cost from Python, in the original Python tool's benchmark harness.

The harness of watchbot-progress-py's scripts/benchmark.py: a job of N empty parts, then
``with Part(jobid, partid, progress=p): pass`` for every part (each once) as the tasks of a
``ThreadPoolExecutor(max_workers=W).map``. Timed from the executor's creation to its shutdown, for:

- ``pool``: the same tasks without the guard (what the thread pool alone costs per task);
- ``memory``: this package on memory:// (NativeProgress: no server, so the guard's own cost);
- ``redis``: this package's RedisProgress;
- ``original_redis``: the original tool's Part and RedisProgress on redis-py (original_tool.py).

Each round runs every kind once (the order rotates between rounds); the figures are the medians
over the rounds, and the ratios are ratios of medians. Every run is checked: the job ends with no
part pending, exactly one reduce message and the reduce marked sent. Prints one JSON line; exits 1 when a run was wrong.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/guard_cost.py --redis redis://127.0.0.1:6379/0 \\
        --parts 10000 --workers 25 --rounds 5

Without --redis only ``pool`` and ``memory`` run (the Redis fields are null). Reduce messages go to
--topic (default: a memory:// topic; an SNS topic ARN works too).
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from concurrent import futures
from urllib.parse import urlsplit

from watchbot_progress import Part, _notifiers, create_job
from watchbot_progress.backends.native import NativeProgress

KINDS = ('pool', 'memory', 'redis', 'original_redis')


def run_pool(task, messages, workers):
    """Parts per second of ``task`` over ``messages`` in the original's harness."""
    start = time.perf_counter()
    with futures.ThreadPoolExecutor(max_workers=workers) as executor:
        executor.map(task, messages)  # as the original: results are not read (the job is checked after)
    return len(messages) / (time.perf_counter() - start)


class ReduceCounter(object):
    """Reduce messages published to the topic from now on."""

    def __init__(self, topic):
        self.notifier = _notifiers.for_topic(topic)
        self.memory = topic.startswith('memory://')
        self.before = self._count()

    def _count(self):
        if self.memory:
            return sum(1 for subject, _ in self.notifier.messages() if subject == 'reduce')
        return self.notifier.stats().get('messages_published', 0)

    def published(self):
        return self._count() - self.before


def redis_address(uri):
    u = urlsplit(uri)
    db = u.path.strip('/') or '0'
    return {'host': u.hostname or 'localhost', 'port': u.port or 6379, 'db': int(db), 'password': u.password}


class Runner(object):
    def __init__(self, args):
        self.args = args
        self.topic = args.topic or 'memory://guard-cost-{}'.format(os.getpid())
        self.memory = NativeProgress('memory://guard-cost-{}'.format(os.getpid()), topic_arn=self.topic)
        self.redis = self.original = None
        if args.redis:
            address = redis_address(args.redis)
            from watchbot_progress.backends.redis import RedisProgress
            kwargs = {'password': address['password']} if address['password'] else {}
            self.redis = RedisProgress(topic_arn=self.topic, host=address['host'], port=address['port'],
                                       db=address['db'], **kwargs)
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import original_tool
            self.original_tool = original_tool
            self.original = original_tool.RedisProgress(topic_arn=self.topic, host=address['host'],
                                                        port=address['port'], db=address['db'], **kwargs)
        self.wrong = []

    def kinds(self):
        return [k for k in KINDS if self.args.redis or not k.endswith('redis')]

    def run(self, kind, parts):
        """One run of ``kind`` over a new job of ``parts`` parts: its rate."""
        workers = self.args.workers
        if kind == 'pool':
            def bare(msg):
                partid = msg['partid']  # noqa: F841 (the original's task, without the guard)
            return run_pool(bare, [{'partid': p, 'jobid': 'pool'} for p in range(parts)], workers)
        if kind == 'original_redis':
            progress, guard = self.original, self.original_tool.Part
            jobid = str(uuid.uuid4())
            progress.set_total(jobid, [{} for _ in range(parts)])
        else:
            progress, guard = (self.memory if kind == 'memory' else self.redis), Part
            jobid = create_job([{} for _ in range(parts)], progress=progress, workers=workers)
        messages = [dict(partid=p, jobid=jobid) for p in range(parts)]
        counter = ReduceCounter(self.topic)

        def doit(msg, jobid=jobid, progress=progress):
            partid = msg['partid']
            with guard(partid=partid, jobid=jobid, progress=progress):
                pass

        rate = run_pool(doit, messages, workers)
        # The pool drops the tasks' exceptions (as the original's harness): the job tells what happened.
        status = progress.status(jobid)
        if kind == 'original_redis':
            marked = status['metadata'].get('reduce_message_sent') == 'True'
        else:
            marked = status['reduceSent']
        reduces = counter.published()
        progress.delete(jobid)
        if status['remaining'] != 0 or reduces != 1 or not marked:
            self.wrong.append({'kind': kind, 'remaining': status['remaining'], 'reduce_messages': reduces,
                               'reduce_marked_sent': marked})
        return rate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--redis', help='Redis URI (redis://host:port/db): also run the Redis kinds')
    parser.add_argument('--topic', help='where reduce messages go (default: a memory:// topic)')
    parser.add_argument('--parts', type=int, default=10000, help='parts per job N (each delivered once)')
    parser.add_argument('--workers', type=int, default=25, help='threads of the pool')
    parser.add_argument('--rounds', type=int, default=3, help='runs of each kind (medians are printed)')
    args = parser.parse_args(argv)
    if args.parts < 1 or args.workers < 1 or args.rounds < 1:
        parser.error('--parts, --workers and --rounds must be at least 1')

    runner = Runner(args)
    kinds = runner.kinds()
    load_before = os.getloadavg()[0]
    for kind in kinds:  # warm-up (connections, first allocations): not counted
        runner.run(kind, min(args.parts, 500))
    rates = {k: [] for k in kinds}
    for r in range(args.rounds):
        for kind in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
            rates[kind].append(runner.run(kind, args.parts))
    median = {k: (round(statistics.median(rates[k])) if k in rates else None) for k in KINDS}

    def ratio(a, b):
        return None if median[a] is None or median[b] is None else round(median[a] / median[b], 2)

    out = {
        'parts': args.parts,
        'workers': args.workers,
        'rounds': args.rounds,
        'pool_tasks_per_s': median['pool'],
        'memory_parts_per_s': median['memory'],
        'redis_parts_per_s': median['redis'],
        'original_redis_parts_per_s': median['original_redis'],
        'memory_vs_pool': ratio('memory', 'pool'),
        'redis_vs_original': ratio('redis', 'original_redis'),
        'runs': {k: [round(x) for x in rates[k]] for k in kinds},
        'load_1min': [round(load_before, 2), round(os.getloadavg()[0], 2)],
        'wrong_runs': runner.wrong,
    }
    print(json.dumps(out, separators=(',', ':')))
    return 1 if runner.wrong else 0


if __name__ == '__main__':
    sys.exit(main())
