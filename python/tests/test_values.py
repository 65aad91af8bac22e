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
    assert 'overwrite=True' in str(e.value) and '::' not in str(e.value)
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


def test_a_duplicate_job_names_overwrite_true(tmp_path):
    sqlite = NativeProgress('sqlite://{}/jobs.db'.format(tmp_path))
    for progress in (NativeProgress('memory://' + unique('dup')), sqlite):
        progress.set_total('job', 1)
        with pytest.raises(errors.InvalidInput) as e:
            progress.set_total('job', 2)
        text = str(e.value)
        assert "job 'job' already exists" in text and 'overwrite=True' in text, text
        assert 'overwrite it on purpose' not in text  # the C++ wording
        assert e.value.jobid == 'job'


def test_a_missing_topic_is_explained_in_python_terms(monkeypatch):
    from watchbot_progress import Part
    monkeypatch.delenv('WorkTopic', raising=False)
    p = NativeProgress('memory://' + unique('no-topic'))
    with pytest.raises(errors.ConfigError) as e:
        create_job([{}], progress=p)
    texts = [str(e.value)]
    p.set_total('job', 1)
    with pytest.raises(errors.ConfigError) as e:
        with Part('job', 0, progress=p):
            pass
    texts.append(str(e.value))
    for text in texts:
        assert 'WorkTopic' in text and 'topic_arn=' in text, text
        assert '::' not in text and 'options' not in text.lower(), text


def test_an_unreachable_redis_is_explained_in_python_terms():
    from watchbot_progress.backends.redis import RedisProgress
    with pytest.raises(errors.BackendError) as e:
        RedisProgress(host='127.0.0.1', port=1).status('job')  # nothing listens on port 1
    text = str(e.value)
    assert 'cannot reach Redis' in text and 'socket_connect_timeout' in text, text
    assert '::' not in text and 'Options' not in text, text


def test_library_advice_is_translated_to_python_terms():
    from watchbot_progress import _core
    # Messages of the C++ library that name its options (servers these tests do not run: a Redis
    # server with a password, TLS), as the Python package raises them.
    for message, python in [
        ('NOAUTH: the server requires a password; give it as redis://:PASSWORD@host or RedisOptions::password',
         'RedisProgress(password=...)'),
        ('TLS handshake failed (the server requires a client certificate: give ?cert=PATH&key=PATH, '
         'RedisTlsOptions::cert_file)', '?cert=PATH&key=PATH'),
        ('certificate verify failed: give the CA that signed it with ?cacert=PATH (RedisTlsOptions::ca_file) or '
         'SSL_CERT_FILE', '?cacert=PATH'),
        ('no SNS topic given and the WorkTopic environment variable is not set: set WorkTopic to the topic\'s ARN '
         '(arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME) or pass SnsOptions::topic_arn', 'topic_arn='),
    ]:
        translated = _core._python_terms(message)
        assert '::' not in translated and 'Options' not in translated, translated
        assert python in translated, translated
