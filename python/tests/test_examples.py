"""The Python tool's documented usage, written as its users write it, against the test servers: a
start worker creates the job, map workers read watchbot's `Message` variable and wrap their work in
Part, and exactly one reduce message comes out."""

import json
import os
from concurrent import futures

from watchbot_progress import Part, create_job
from watchbot_progress.backends.redis import RedisProgress

PARTS = [
    {'url': 'https://a.com'},
    {'url': 'https://b.com'},
    {'url': 'https://c.com'}]


def deliver(maps, monkeypatch, progress=None, **part_options):
    """Runs each map message as watchbot would: the message in the `Message` environment variable."""
    processed = []
    for body in maps:
        monkeypatch.setenv('Subject', 'map')
        monkeypatch.setenv('Message', json.dumps(body))
        message = json.loads(os.environ['Message'])
        jobid = message['jobid']
        partid = message['partid']
        if progress is None:
            with Part(jobid, partid, **part_options):
                processed.append(message['url'])
        else:
            with Part(jobid, partid, progress=progress, **part_options):
                processed.append(message['url'])
    return processed


def test_default_backend_from_the_environment(dynamodb_table, topic, monkeypatch):
    # On watchbot: ProgressTable and WorkTopic in the environment, DynamoProgress by default.
    monkeypatch.setenv('ProgressTable', dynamodb_table)
    monkeypatch.setenv('WorkTopic', topic.arn)

    jobid = create_job(PARTS)

    maps = topic.subjects('map')
    assert sorted(m['partid'] for m in maps) == [0, 1, 2]
    for m in maps:
        assert m['jobid'] == jobid
        assert m['metadata'] is None
        assert m['url'] == PARTS[m['partid']]['url']

    assert sorted(deliver(maps, monkeypatch)) == sorted(p['url'] for p in PARTS)
    assert topic.subjects('reduce') == [{'jobid': jobid, 'metadata': {}}]


def test_redis_backend_passed_as_progress(redis_address, topic, monkeypatch):
    host, port = redis_address
    p = RedisProgress(host=host, port=port, topic_arn=topic.arn)

    jobid = create_job(PARTS, progress=p, metadata={'bucket': 'out', 'zoom': 12})

    maps = topic.subjects('map')
    assert len(maps) == 3
    assert all(m['metadata'] == {'bucket': 'out', 'zoom': 12} for m in maps)
    deliver(maps, monkeypatch, progress=p)
    assert topic.subjects('reduce') == [{'jobid': jobid, 'metadata': {'bucket': 'out', 'zoom': 12}}]
    assert p.status(jobid)['progress'] == 1.0


def test_custom_callback_instead_of_the_reduce_message(redis_progress, topic, monkeypatch):
    calls = []

    def start_reduce(message, topic_arn, subject=None):
        calls.append((message, topic_arn, subject))

    jobid = create_job(PARTS, progress=redis_progress, metadata={'name': 'tiles'})
    deliver(topic.subjects('map'), monkeypatch, progress=redis_progress, on_reduce=start_reduce)

    assert calls == [({'jobid': jobid, 'metadata': {'name': 'tiles'}}, topic.arn, 'reduce')]
    assert topic.subjects('reduce') == []


def test_part_from_an_unpacked_message(redis_progress, topic):
    # Part(**message): the part's own keys (url, metadata) are absorbed.
    jobid = create_job(PARTS, progress=redis_progress)
    for message in topic.subjects('map'):
        with Part(progress=redis_progress, **message):
            pass
    assert redis_progress.status(jobid)['remaining'] == 0
    assert len(topic.subjects('reduce')) == 1


def test_benchmark_style_thread_pool_with_port_as_text(redis_address, topic):
    # As the Python tool's own benchmark script drives it: a port given as a string, keyword
    # arguments, parts completed from a thread pool of 25.
    host, port = redis_address
    progress = RedisProgress(host=host, port=str(port), topic_arn=topic.arn)
    parts = [dict() for _ in range(200)]
    jobid = create_job(parts, progress=progress, workers=25)
    msgs = [dict(**part, partid=partid, jobid=jobid) for partid, part in enumerate(parts)]

    def doit(msg):
        with Part(partid=msg['partid'], jobid=jobid, progress=progress):
            pass

    with futures.ThreadPoolExecutor(max_workers=25) as executor:
        list(executor.map(doit, msgs))

    assert progress.status(jobid)['remaining'] == 0
    messages = topic.receive_all()
    assert sum(1 for s, _ in messages if s == 'map') == 200
    assert [m for s, m in messages if s == 'reduce'] == [{'jobid': jobid, 'metadata': {}}]


def test_generator_of_parts(redis_progress, topic):
    jobid = create_job(({'n': i} for i in range(30)), progress=redis_progress)
    maps = topic.subjects('map')
    assert sorted((m['partid'], m['n']) for m in maps) == [(i, i) for i in range(30)]
    assert redis_progress.status(jobid)['total'] == 30
