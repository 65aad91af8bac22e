"""Threads: 25 threads delivering every part three times give exactly one reduce, on every kind of
backend; and the GIL is released while a call waits for the network, so other Python threads run.

No test depends on timing: threads start together at a barrier, and the GIL test is a handshake a
held GIL would make impossible (it fails at a generous deadline instead of hanging)."""

import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import memory_messages, unique
from test_custom_backend import DictProgress
from watchbot_progress import Part, create_job
from watchbot_progress.errors import BackendError, ReducePending

THREADS = 25
COPIES = 3
# A deadlock bound, not a speed expectation.
HANDSHAKE_DEADLINE_S = 120


def deliver_concurrently(progress, jobid, parts, on_reduce=None):
    """Every part COPIES times, shuffled, from THREADS threads released together."""
    deliveries = [p for p in range(parts) for _ in range(COPIES)]
    random.Random(18).shuffle(deliveries)
    lock = threading.Lock()
    errors = []
    start = threading.Barrier(THREADS)

    def worker():
        start.wait()
        while True:
            with lock:
                if not deliveries:
                    return
                partid = deliveries.pop()
            try:
                if on_reduce is None:
                    with Part(jobid, partid, progress=progress):
                        pass
                else:
                    with Part(jobid, partid, progress=progress, on_reduce=on_reduce):
                        pass
            except ReducePending:
                # Another delivery's reduce claim is unconfirmed: watchbot delivers the message
                # again, later (the claimer is a live thread here, so the copy ends once it confirms).
                time.sleep(0.001)
                with lock:
                    deliveries.insert(0, partid)
            except Exception as e:  # collected, so that a failure names itself
                errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_redis_every_part_three_times_one_reduce_message(redis_progress, topic):
    jobid = create_job([{} for _ in range(1000)], progress=redis_progress)
    deliver_concurrently(redis_progress, jobid, 1000)
    messages = topic.receive_all()
    assert sum(1 for s, _ in messages if s == 'map') == 1000
    assert [m for s, m in messages if s == 'reduce'] == [{'jobid': jobid, 'metadata': {}}]
    assert redis_progress.status(jobid)['remaining'] == 0


_inherited = {}  # what a forked child gets from its parent's memory (a progress object is not picklable)


def _deliver_in_child(jobid, partids):
    """A forked child's share of the parts, with the parent's progress object: every part of it from
    8 threads."""
    progress = _inherited['progress']
    failures = []

    def deliver(partid):
        try:
            with Part(jobid, partid, progress=progress):
                pass
        except Exception as e:  # noqa: BLE001 (reported to the parent)
            failures.append(repr(e))

    threads = [threading.Thread(target=lambda chunk=partids[i::8]: [deliver(p) for p in chunk]) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


@pytest.mark.parametrize('kind', ['redis_progress', 'dynamodb_progress'])
def test_a_progress_made_before_a_fork_works_in_every_child(kind, request, topic):
    """multiprocessing forks by default on Linux, after the parent has used its connections (here
    create_job and a completion): each child uses connections of its own, never the parent's, while
    the parent goes on using its own."""
    import multiprocessing
    progress = request.getfixturevalue(kind)
    parts = 200
    jobid = create_job([{} for _ in range(parts + 1)], progress=progress)
    with Part(jobid, parts, progress=progress):
        pass
    shares = [list(range(parts))[i::4] for i in range(4)]
    _inherited['progress'] = progress
    with multiprocessing.get_context('fork').Pool(4) as pool:
        results = [pool.apply_async(_deliver_in_child, (jobid, share)) for share in shares]
        while not all(r.ready() for r in results):
            progress.status(jobid)
        failures = [f for r in results for f in r.get(timeout=HANDSHAKE_DEADLINE_S)]
    assert failures == []
    assert progress.status(jobid)['remaining'] == 0
    assert [m for s, m in topic.receive_all() if s == 'reduce'] == [{'jobid': jobid, 'metadata': {}}]


def test_dynamodb_every_part_three_times_one_reduce_message(dynamodb_progress, topic):
    # 200 parts: dynalite rewrites the whole item on every completion.
    jobid = create_job([{} for _ in range(200)], progress=dynamodb_progress, metadata={'size': 200})
    deliver_concurrently(dynamodb_progress, jobid, 200)
    assert topic.subjects('reduce') == [{'jobid': jobid, 'metadata': {'size': 200}}]
    assert dynamodb_progress.status(jobid)['remaining'] == 0


@pytest.mark.parametrize('kind', ['redis', 'dynamodb', 'memory', 'python'])
def test_on_reduce_called_once(kind, request):
    if kind == 'python':
        progress = DictProgress(topic='memory://' + unique('threads'))
        parts = 300
    else:
        progress = request.getfixturevalue(kind + '_progress')
        parts = 150 if kind == 'dynamodb' else 600
    calls = []
    jobid = create_job([{} for _ in range(parts)], progress=progress)
    deliver_concurrently(progress, jobid, parts,
                         on_reduce=lambda message, topic, subject=None: calls.append(message['jobid']))
    assert calls == [jobid]


def test_memory_backend_reduce_message_once(memory_progress):
    jobid = create_job([{} for _ in range(2000)], progress=memory_progress)
    deliver_concurrently(memory_progress, jobid, 2000)
    assert memory_messages(memory_progress, 'reduce') == [{'jobid': jobid, 'metadata': {}}]


# ---------------------------------------------------------------------------------------------
# The GIL is released during network calls: a server written in Python (so it needs the GIL to
# run) holds the call's request until the test thread lets it go. Were the GIL held by the caller
# while it waits for the answer, the server could never see the request.

class Handshake(object):
    def __init__(self):
        self.received = threading.Event()
        self.release = threading.Event()


class BlockingAwsHandler(BaseHTTPRequestHandler):
    """Answers every request, once the test releases it, with a non-retryable AWS error."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.server.handshake.received.set()
        self.server.handshake.release.wait(HANDSHAKE_DEADLINE_S)
        if self.headers.get('X-Amz-Target', '').startswith('DynamoDB'):
            body = json.dumps({'__type': 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
                               'message': 'Requested resource not found'}).encode()
            content_type = 'application/x-amz-json-1.0'
        else:
            body = (b'<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>'
                    b'<Message>Topic does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>')
            content_type = 'text/xml'
        self.send_response(400 if b'ResourceNotFound' in body else 404)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class BlockingRedis(object):
    """A TCP server that holds the first command until released, then answers every command with an
    error."""

    def __init__(self, handshake):
        self.handshake = handshake
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            while conn.recv(65536):
                self.handshake.received.set()
                self.handshake.release.wait(HANDSHAKE_DEADLINE_S)
                conn.sendall(b'-ERR held by the test\r\n')

    def close(self):
        self.sock.close()


def run_while_held(call, handshake):
    """Runs call() on a thread; returns what it raised. Fails if the server never got the request."""
    outcome = {}

    def target():
        try:
            call()
        except BaseException as e:
            outcome['error'] = e

    thread = threading.Thread(target=target)
    thread.start()
    try:
        assert handshake.received.wait(HANDSHAKE_DEADLINE_S), \
            'the server never saw the request: the calling thread kept the GIL while it waited'
    finally:
        handshake.release.set()
        thread.join()
    return outcome.get('error')


@pytest.fixture
def blocking_aws(monkeypatch):
    server = ThreadingHTTPServer(('127.0.0.1', 0), BlockingAwsHandler)
    server.handshake = Handshake()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = 'http://127.0.0.1:{}'.format(server.server_address[1])
    monkeypatch.setenv('AWS_ENDPOINT_URL_DYNAMODB', endpoint)
    monkeypatch.setenv('AWS_ENDPOINT_URL_SNS', endpoint)
    monkeypatch.setenv('AWS_MAX_ATTEMPTS', '1')
    yield server.handshake
    server.shutdown()
    server.server_close()


TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/held'


def held_topic():
    # A topic of its own per test: notifiers are cached per topic with the endpoint of their time.
    return 'arn:aws:sns:us-east-1:000000000000:' + unique('held')


def test_dynamodb_call_releases_the_gil(blocking_aws):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    progress = DynamoProgress(table_arn=TABLE, topic_arn=held_topic())
    error = run_while_held(lambda: progress.status('job'), blocking_aws)
    assert isinstance(error, BackendError) and error.code == 'ResourceNotFoundException'


def test_guard_releases_the_gil(blocking_aws):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    progress = DynamoProgress(table_arn=TABLE, topic_arn=held_topic())

    def guard():
        with Part('job', 0, progress=progress, fail_job_on=[ValueError]):
            pass

    error = run_while_held(guard, blocking_aws)
    assert isinstance(error, BackendError) and error.code == 'ResourceNotFoundException'


def test_sns_publish_releases_the_gil(blocking_aws):
    from watchbot_progress.utils import aws_send_message
    topic_arn = held_topic()
    error = run_while_held(lambda: aws_send_message({'a': 1}, topic_arn, subject='x'), blocking_aws)
    assert isinstance(error, BackendError) and error.code == 'NotFound'


def test_redis_call_releases_the_gil(topic):
    from watchbot_progress.backends.redis import RedisProgress
    handshake = Handshake()
    server = BlockingRedis(handshake)
    try:
        progress = RedisProgress(topic_arn=topic.arn, host='127.0.0.1', port=server.port, socket_timeout=300)
        error = run_while_held(lambda: progress.complete_part('job', 0), handshake)
    finally:
        server.close()
    assert isinstance(error, BackendError) and error.code == 'ERR'
