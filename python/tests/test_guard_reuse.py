"""Part keeps its C++ guard steps on the progress object between deliveries: what it kept must never
outlive what it was made for (the topic, the backend), each entry still checks what it checked, and
the guard's exit releases the GIL while it waits for the network."""

import pytest

from conftest import memory_messages, unique
from test_concurrency import BlockingRedis, Handshake, TABLE, blocking_aws, held_topic, run_while_held  # noqa: F401
from watchbot_progress import JobFailed, Part, _core, create_job
from watchbot_progress.backends.native import NativeProgress
from watchbot_progress.errors import BackendError, InvalidInput


def run_job(progress, parts=3):
    jobid = create_job([{} for _ in range(parts)], progress=progress)
    for p in range(parts):
        with Part(jobid, p, progress=progress):
            pass
    return jobid


def test_a_changed_topic_gets_the_next_reduce():
    first, second = 'memory://' + unique('first'), 'memory://' + unique('second')
    progress = NativeProgress('memory://' + unique('jobs'), topic_arn=first)
    one = run_job(progress)
    progress.topic = second
    two = run_job(progress)
    assert [m['jobid'] for s, m in _messages(first) if s == 'reduce'] == [one]
    assert [m['jobid'] for s, m in _messages(second) if s == 'reduce'] == [two]


def _messages(topic):
    import json
    return [(s, json.loads(b)) for s, b in _core.open_notifier(topic).messages()]


def test_a_wrapped_backend_is_the_one_driven(memory_progress):
    run_job(memory_progress)
    memory_progress._wrap_backend(_core.counting_backend)
    run_job(memory_progress)
    assert memory_progress._wp_backend().stats()['calls'] >= 3  # one completion per part at least


def test_on_reduce_after_deliveries_without_it(memory_progress):
    jobid = create_job([{} for _ in range(2)], progress=memory_progress)
    with Part(jobid, 0, progress=memory_progress):
        pass
    calls = []
    with Part(jobid, 1, progress=memory_progress,
              on_reduce=lambda message, topic, subject=None: calls.append((message, topic, subject))):
        pass
    assert calls == [({'jobid': jobid, 'metadata': {}}, memory_progress.topic, 'reduce')]
    assert memory_messages(memory_progress, 'reduce') == []
    # And without it again: this job's reduce went to on_reduce; the next job's goes to the topic.
    other = run_job(memory_progress)
    assert memory_messages(memory_progress, 'reduce') == [{'jobid': other, 'metadata': {}}]


def test_on_reduce_on_memory_runs_and_raises_through_the_held_gil(memory_progress):
    # memory:// keeps the GIL through the guard's steps: on_reduce (Python) runs inside them, and its
    # exception comes out unchanged; the redelivery sends the reduce.
    jobid = create_job([{}], progress=memory_progress)
    error = OSError('reduce queue full')

    def failing(message, topic, subject='reduce'):
        raise error

    with pytest.raises(OSError) as raised:
        with Part(jobid, 0, progress=memory_progress, on_reduce=failing):
            pass
    assert raised.value is error
    with Part(jobid, 0, progress=memory_progress):
        pass
    assert memory_messages(memory_progress, 'reduce') == [{'jobid': jobid, 'metadata': {}}]


def test_every_entry_checks_its_arguments_and_the_jobs_failure(memory_progress):
    jobid = run_job(memory_progress, 2)
    ran = []
    for bad_jobid in ('', 'a\nb'):
        with pytest.raises(InvalidInput):
            with Part(bad_jobid, 0, progress=memory_progress):
                ran.append(bad_jobid)
    with pytest.raises(InvalidInput):
        with Part(jobid, -1, progress=memory_progress):
            ran.append(-1)
    assert ran == []

    other = create_job([{} for _ in range(2)], progress=memory_progress)
    with Part(other, 0, progress=memory_progress, fail_job_on=[ValueError]):
        pass
    memory_progress.fail_job(other, 'broken')
    with pytest.raises(JobFailed):
        with Part(other, 1, progress=memory_progress, fail_job_on=[ValueError]):
            ran.append(other)
    assert ran == []


def test_a_fail_job_on_match_fails_the_job_and_other_exceptions_do_not(memory_progress):
    jobid = create_job([{} for _ in range(3)], progress=memory_progress)
    with pytest.raises(KeyError):
        with Part(jobid, 0, progress=memory_progress, fail_job_on=[ValueError]):
            raise KeyError('not listed')
    assert not memory_progress.status(jobid)['failed']
    with pytest.raises(ValueError):
        with Part(jobid, 1, progress=memory_progress):  # no fail_job_on: nothing to match
            raise ValueError('not listed here')
    assert not memory_progress.status(jobid)['failed']
    with pytest.raises(ValueError):
        with Part(jobid, 2, progress=memory_progress, fail_job_on=[ValueError]):
            raise ValueError('bad tile')
    status = memory_progress.status(jobid)
    assert status['failed'] and 'part 2' in status['error'] and 'ValueError: bad tile' in status['error']


# The exit (completing the part) releases the GIL while it waits, as the entry with fail_job_on does
# (test_concurrency.py): the servers there answer only while the caller waits without the GIL.

def test_exit_on_redis_releases_the_gil(topic):
    from watchbot_progress.backends.redis import RedisProgress
    handshake = Handshake()
    server = BlockingRedis(handshake)
    try:
        progress = RedisProgress(topic_arn=topic.arn, host='127.0.0.1', port=server.port, socket_timeout=300)

        def guard():
            with Part('job', 0, progress=progress):
                pass

        error = run_while_held(guard, handshake)
    finally:
        server.close()
    assert isinstance(error, BackendError) and error.code == 'ERR'


def test_exit_on_dynamodb_releases_the_gil(blocking_aws):  # noqa: F811 (the fixture)
    from watchbot_progress.backends.dynamodb import DynamoProgress
    progress = DynamoProgress(table_arn=TABLE, topic_arn=held_topic())

    def guard():
        with Part('job', 0, progress=progress):
            pass

    error = run_while_held(guard, blocking_aws)
    assert isinstance(error, BackendError) and error.code == 'ResourceNotFoundException'
