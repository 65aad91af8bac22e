"""The Part guard's behaviour around the user's block, on Redis and DynamoDB: exceptions pass through
unchanged, fail_job_on (subclasses included) fails the job, later parts raise JobFailed, on_reduce
gets the Python tool's arguments."""

import pytest

from conftest import memory_messages, unique
from watchbot_progress import JobFailed, Part, create_job
from watchbot_progress.errors import JobDoesNotExist


class FatalInput(ValueError):
    pass


class CorruptTile(FatalInput):
    """A subclass of a type listed in fail_job_on."""


class Transient(Exception):
    pass


@pytest.fixture(params=['redis', 'dynamodb'])
def progress(request):
    return request.getfixturevalue(request.param + '_progress')


def new_job(progress, n=3, metadata=None):
    jobid = unique('job')
    return create_job([{'n': i} for i in range(n)], jobid=jobid, progress=progress, metadata=metadata)


def test_the_users_exception_propagates_unchanged(progress):
    jobid = new_job(progress)
    error = Transient('try again later')
    with pytest.raises(Transient) as raised:
        with Part(jobid, 0, progress=progress, fail_job_on=[FatalInput]):
            raise error
    assert raised.value is error  # the same object
    assert raised.value.__traceback__ is not None
    assert raised.traceback[-1].name == 'test_the_users_exception_propagates_unchanged'
    status = progress.status(jobid)
    assert not status.get('failed')  # not in fail_job_on: the job is untouched
    assert status['remaining'] == 3


def test_a_subclass_of_fail_job_on_fails_the_job_then_later_parts_raise_job_failed(progress):
    jobid = new_job(progress)
    error = CorruptTile('tile 7 is corrupt')
    with pytest.raises(CorruptTile) as raised:
        with Part(jobid, 1, progress=progress, fail_job_on=(FatalInput, KeyError)):
            raise error
    assert raised.value is error
    status = progress.status(jobid)
    reason = status['error'] if 'error' in status else status['failed']
    assert 'part 1' in reason and 'CorruptTile: tile 7 is corrupt' in reason

    ran = []
    with pytest.raises(JobFailed) as failed:
        with Part(jobid, 2, progress=progress, fail_job_on=[FatalInput]):
            ran.append(2)
    assert ran == []
    assert failed.value.jobid == jobid
    assert 'CorruptTile' in failed.value.reason
    assert isinstance(failed.value, RuntimeError)
    # Without fail_job_on, the job is not checked (as the Python tool): the block runs.
    with Part(jobid, 2, progress=progress, on_reduce=lambda *a, **k: None):
        ran.append(2)
    assert ran == [2]


def test_a_failed_job_sends_no_reduce(progress, topic):
    jobid = new_job(progress, n=2)
    with pytest.raises(FatalInput):
        with Part(jobid, 0, progress=progress, fail_job_on=[FatalInput]):
            raise FatalInput('no')
    for partid in (0, 1):
        with Part(jobid, partid, progress=progress):
            pass
    assert topic.subjects('reduce') == []


def test_on_reduce_receives_message_topic_and_subject(progress, topic):
    jobid = new_job(progress, n=2, metadata={'bucket': 'out'})
    calls = []
    for partid in (1, 0, 0):
        with Part(jobid, partid, progress=progress,
                  on_reduce=lambda *args, **kwargs: calls.append((args, kwargs))):
            pass
    assert calls == [(({'jobid': jobid, 'metadata': {'bucket': 'out'}}, topic.arn), {'subject': 'reduce'})]


def test_an_on_reduce_error_propagates_and_the_redelivery_reduces(progress):
    jobid = new_job(progress, n=1)
    error = OSError('reduce queue full')

    def failing(message, topic, subject='reduce'):
        raise error

    with pytest.raises(OSError) as raised:
        with Part(jobid, 0, progress=progress, on_reduce=failing):
            pass
    assert raised.value is error
    calls = []
    with Part(jobid, 0, progress=progress, on_reduce=lambda m, t, subject=None: calls.append(m)):
        pass
    assert calls == [{'jobid': jobid, 'metadata': {}}]


def test_keyboard_interrupt_leaves_the_job_alone(memory_progress):
    jobid = new_job(memory_progress, n=1)
    with pytest.raises(KeyboardInterrupt):
        with Part(jobid, 0, progress=memory_progress, fail_job_on=[BaseException]):
            raise KeyboardInterrupt()
    status = memory_progress.status(jobid)
    assert status['failed'] is False and status['remaining'] == 1


def test_part_as_a_decorator(memory_progress):
    jobid = new_job(memory_progress, n=2)
    seen = []

    @Part(jobid, 0, progress=memory_progress)
    def process():
        seen.append(0)

    process()
    process()
    assert seen == [0, 0]
    assert memory_progress.status(jobid)['remaining'] == 1


def test_unknown_job(memory_progress):
    ran = []
    with pytest.raises(JobDoesNotExist):
        with Part(unique('missing'), 0, progress=memory_progress):
            ran.append(1)  # without fail_job_on the block runs; completing it finds no job
    assert ran == [1]
    with pytest.raises(JobDoesNotExist):
        with Part(unique('missing'), 0, progress=memory_progress, fail_job_on=[ValueError]):
            ran.append(2)
    assert ran == [1]


def test_bad_arguments_say_what_to_pass(memory_progress):
    from watchbot_progress.errors import InvalidInput
    with pytest.raises(InvalidInput) as e:
        with Part(12, 0, progress=memory_progress):
            pass
    assert 'jobid' in str(e.value)
    with pytest.raises(InvalidInput) as e:
        with Part('job', -1, progress=memory_progress):
            pass
    assert 'part' in str(e.value)
    with pytest.raises(TypeError) as e:
        with Part('job', 0, progress=memory_progress, fail_job_on=['ValueError']):
            pass
    assert 'exception classes' in str(e.value)


def test_the_reduce_message_goes_to_the_backends_topic(memory_progress):
    jobid = new_job(memory_progress, n=1, metadata={'k': [1, 2]})
    with Part(jobid, '0', progress=memory_progress):  # a part id given as text is accepted
        pass
    assert memory_messages(memory_progress, 'reduce') == [{'jobid': jobid, 'metadata': {'k': [1, 2]}}]


def test_a_delivery_during_another_deliverys_unconfirmed_reduce_raises_reduce_pending(progress):
    """A duplicate delivery that finds the job complete while the reduce's claimer has not confirmed
    it must not report success (watchbot would delete its message): it raises ReducePending, a
    retryable BackendError, and the same delivery succeeds once the reduce is confirmed."""
    from watchbot_progress.errors import BackendError, ReducePending
    jobid = new_job(progress, n=1)
    raised = []

    def reduce_while_a_duplicate_arrives(message, topic, subject='reduce'):
        with pytest.raises(ReducePending) as pending:
            with Part(jobid, 0, progress=progress):
                pass
        raised.append(pending.value)

    with Part(jobid, 0, progress=progress, on_reduce=reduce_while_a_duplicate_arrives):
        pass
    assert len(raised) == 1
    error = raised[0]
    assert isinstance(error, BackendError)
    assert error.retryable is True and error.code == 'ReducePending'
    assert error.jobid == jobid and error.retry_after > 0
    with Part(jobid, 0, progress=progress, on_reduce=lambda *a, **k: pytest.fail('a second reduce')):
        pass


def test_on_failed_is_called_once_per_job_with_the_failed_alert(progress):
    jobid = new_job(progress)
    seen = []
    with pytest.raises(FatalInput):
        with Part(jobid, 0, progress=progress, fail_job_on=[FatalInput], on_failed=seen.append):
            raise FatalInput('bad tile')
    with pytest.raises(JobFailed):  # a later delivery finds the job failed: no second call
        with Part(jobid, 1, progress=progress, fail_job_on=[FatalInput], on_failed=seen.append):
            raise FatalInput('never runs')
    assert len(seen) == 1
    alert = seen[0]
    assert alert['jobid'] == jobid and alert['state'] == 'failed'
    assert alert['total'] == 3 and alert['remaining'] == 3
    assert 'FatalInput: bad tile' in alert['reason']


def test_a_raising_on_failed_changes_nothing(progress):
    jobid = new_job(progress)
    error = FatalInput('bad tile')

    def hook(alert):
        raise RuntimeError('the hook broke')
    with pytest.raises(FatalInput) as raised:
        with Part(jobid, 2, progress=progress, fail_job_on=[FatalInput], on_failed=hook):
            raise error
    assert raised.value is error
    status = progress.status(jobid)
    assert 'bad tile' in (status['error'] if 'error' in status else status['failed'])
