"""create_job's checks, the JSON values that cross into C++ and back, and the exception classes
(on the memory backend: no server needed)."""

import decimal
import json

import pytest

from conftest import memory_messages, unique
from watchbot_progress import create_job, errors
from watchbot_progress.backends.native import NativeProgress


def jobs_in(progress):
    return list(progress.list_jobs(status=False))


def test_parts_are_checked_before_anything_is_written(memory_progress):
    bad_inputs = [
        ([], errors.InvalidInput, 'at least one'),
        ([{'a': 1}, 'not a dict'], errors.InvalidInput, 'part 1'),
        ([{'partid': 7}], errors.InvalidInput, 'partid'),
        ([{'a': {1, 2}}], TypeError, 'set is not JSON serializable'),
        ([{'a': float('nan')}], ValueError, 'nan'),
        ([{'a': 2 ** 70}], ValueError, '64 bits'),
        ([{'a': 'x' * 2000000}], errors.InvalidInput, 'over the notifier'),
        ({'a': 1}, errors.InvalidInput, 'list'),
        (5, TypeError, 'not iterable'),
    ]
    for parts, error, words in bad_inputs:
        with pytest.raises(error) as e:
            create_job(parts, progress=memory_progress)
        assert words.lower() in str(e.value).lower(), (parts if not isinstance(parts, list) else parts[:1], e.value)
    assert jobs_in(memory_progress) == []
    assert memory_messages(memory_progress) == []


def test_a_generator_that_raises_leaves_no_job(memory_progress):
    def parts():
        yield {'a': 1}
        raise LookupError('source listing failed')

    with pytest.raises(LookupError) as e:
        create_job(parts(), progress=memory_progress)
    assert str(e.value) == 'source listing failed'
    assert jobs_in(memory_progress) == []


def test_arguments_are_checked(memory_progress):
    with pytest.raises(errors.InvalidInput):
        create_job([{}], progress=memory_progress, jobid=42)
    with pytest.raises(errors.InvalidInput):
        create_job([{}], progress=memory_progress, jobid='bad\nid')
    with pytest.raises(errors.InvalidInput):
        create_job([{}], progress=memory_progress, workers=0)
    with pytest.raises(errors.InvalidInput):
        create_job([{}], progress=memory_progress, metadata=['not', 'a', 'dict'])
    assert jobs_in(memory_progress) == []


def test_values_round_trip(memory_progress):
    metadata = {'int': 1, 'float': 2.5, 'big': 2 ** 63 - 1, 'neg': -2 ** 63, 'unicode': 'zoom é ✓ 🌍',
                'nested': {'list': [1, None, True, 'x'], 'tuple': (1, 2)}, 'none': None, 'bool': False,
                'decimal_int': decimal.Decimal('12'), 'decimal': decimal.Decimal('0.5'), 3: 'int key'}
    jobid = create_job([{'a': (1, 2)}], progress=memory_progress, metadata=metadata)
    expected = dict(metadata, nested={'list': [1, None, True, 'x'], 'tuple': [1, 2]}, decimal_int=12,
                    decimal=0.5)
    expected['3'] = expected.pop(3)
    assert memory_progress.status(jobid)['metadata'] == expected
    (message,) = memory_messages(memory_progress, 'map')
    assert message['a'] == [1, 2]
    assert message['metadata'] == json.loads(json.dumps(expected))


def test_jobid_is_a_uuid4_unless_given(memory_progress):
    import uuid
    jobid = create_job([{}], progress=memory_progress)
    assert uuid.UUID(jobid).version == 4
    assert create_job([{}], progress=memory_progress, jobid='my-job') == 'my-job'
    with pytest.raises(errors.InvalidInput) as e:
        create_job([{}], progress=memory_progress, jobid='my-job')
    assert 'my-job' in str(e.value)
    assert create_job([{}, {}], progress=memory_progress, jobid='my-job', overwrite=True) == 'my-job'
    assert memory_progress.status('my-job')['total'] == 2


def test_exception_classes_keep_the_python_tools_bases():
    assert issubclass(errors.JobDoesNotExist, RuntimeError)
    assert issubclass(errors.JobFailed, RuntimeError)
    assert issubclass(errors.ProgressTypeError, TypeError)
    assert issubclass(errors.InvalidInput, ValueError)
    assert issubclass(errors.PublishError, errors.BackendError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.WatchbotProgressError)
    from watchbot_progress import JobFailed
    from watchbot_progress.main import JobFailed as main_job_failed
    assert JobFailed is errors.JobFailed is main_job_failed


def test_unknown_uri_and_missing_topic():
    with pytest.raises(errors.InvalidInput) as e:
        NativeProgress('mysql://db')
    assert 'redis[s]://' in str(e.value)
    p = NativeProgress('memory://' + unique('no-topic'))
    assert p.topic is None
    jobid = unique('job')
    p.set_total(jobid, 1)
    from watchbot_progress import Part
    with pytest.raises(errors.ConfigError) as e:
        with Part(jobid, 0, progress=p):
            pass
    assert 'WorkTopic' in str(e.value)


def test_aws_send_message_publishes_json(memory_progress):
    from watchbot_progress.utils import aws_send_message
    aws_send_message({'jobid': 'j', 'metadata': {'x': 1}}, memory_progress.topic, subject='reduce')
    assert memory_messages(memory_progress, 'reduce') == [{'jobid': 'j', 'metadata': {'x': 1}}]

    class FakeBoto3Client(object):
        def publish(self, **kwargs):
            self.kwargs = kwargs
            return {'MessageId': '1'}

    client = FakeBoto3Client()
    assert aws_send_message({'a': 1}, 'arn:aws:sns:us-east-1:1:t', subject='s', client=client) == {'MessageId': '1'}
    assert client.kwargs == {'Message': '{"a": 1}', 'Subject': 's', 'TargetArn': 'arn:aws:sns:us-east-1:1:t'}
