"""Tests written the way the Python tool's users (and the tool's own suite) write them: the
publishing functions replaced with unittest.mock.patch (``main.sns_worker``, ``main.aws_send_message``,
``utils.aws_send_message``, ``utils.boto3_session``), a backend of the test's own, ``cli.RedisProgress``
replaced, ``uuid.uuid4`` replaced; redis and DynamoDB through watchbot_progress.testing's memory
backend (where the tool's suite used mockredis) and dynalite (where it mocked boto3.resource).

What they check: such tests pass unchanged on this package, the replaced function receives exactly
the calls the tool made, and nothing goes out through the native path meanwhile."""

import json
import sys
from unittest import mock

import pytest

from conftest import unique
from watchbot_progress import Part, create_job, main, utils
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.errors import JobDoesNotExist, JobFailed, ProgressTypeError, PublishError
from watchbot_progress.testing import MemoryProgress, RecordingTopic

parts = [
    {'source': 'a.tif'},
    {'source': 'b.tif'},
    {'source': 'c.tif'}]

TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:no-such-topic'


class StubProgress(WatchbotProgressBase):
    """A backend that remembers nothing: every part leaves the job unfinished."""

    def __init__(self, topic_arn=None):
        self.topic = topic_arn

    def status(self, jobid, part=None):
        return {'progress': 0.3}

    def set_total(self, jobid, parts):
        pass

    def fail_job(self, jobid, reason):
        pass

    def complete_part(self, jobid, partid):
        return False

    def set_metadata(self, jobid, metadata):
        return None

    def list_jobs(self, status=True):
        return []

    def list_pending_parts(self, jobid):
        return []


class LastPartProgress(StubProgress):
    """Every part completes the job (and the status agrees: the reduce claim reads it)."""

    def status(self, jobid, part=None):
        return {'progress': 1.0}

    def complete_part(self, jobid, partid):
        return True


@pytest.fixture
def env(monkeypatch):
    """The tool's tests' environment: a WorkTopic that is no topic at all (nothing may reach it)."""
    monkeypatch.setenv('WorkTopic', 'abc123')
    monkeypatch.setenv('ProgressTable', 'arn::table/foo')


# ---------------------------------------------------------------------------------------------
# The public names

def test_the_tools_names_are_there():
    from watchbot_progress import cli, errors
    from watchbot_progress.backends.dynamodb import DynamoProgress
    from watchbot_progress.backends.redis import RedisProgress
    assert main.DynamoProgress is DynamoProgress
    assert main.aws_send_message is utils.aws_send_message
    assert main.sns_worker is utils.sns_worker
    assert main.chunker is utils.chunker
    assert cli.RedisProgress is RedisProgress and cli.DynamoProgress is DynamoProgress
    assert callable(utils.boto3_session)
    assert issubclass(errors.JobDoesNotExist, RuntimeError) and issubclass(errors.JobFailed, RuntimeError)
    assert issubclass(errors.ProgressTypeError, TypeError)


# ---------------------------------------------------------------------------------------------
# utils

def test_chunker_splits_into_lists_of_n():
    assert list(utils.chunker([1, 2, 3, 4, 5, 6, 7], 3)) == [[1, 2, 3], [4, 5, 6], [7]]
    assert list(utils.chunker([], 3)) == []


@mock.patch('watchbot_progress.utils.boto3_session')
def test_aws_send_message_goes_through_a_replaced_session(session):
    session.return_value.client.return_value.publish.return_value = {'MessageId': 'm-1'}

    answer = utils.aws_send_message({'content': 'hello'}, TOPIC_ARN, subject='map')

    assert answer == {'MessageId': 'm-1'}
    session.assert_called_once()
    session.return_value.client.assert_called_once_with('sns')
    publish = session.return_value.client.return_value.publish
    publish.assert_called_once_with(Message='{"content": "hello"}', Subject='map', TargetArn=TOPIC_ARN)


@mock.patch('watchbot_progress.utils.boto3_session.client')
def test_aws_send_message_with_a_client_returns_its_answer(client):
    client.return_value.publish.return_value = {'MessageId': 'm-2'}

    assert utils.aws_send_message({'content': 'hello'}, TOPIC_ARN, client=client()) == {'MessageId': 'm-2'}
    client.assert_called_once()


@mock.patch('watchbot_progress.utils.aws_send_message')
def test_sns_worker_sends_each_message_with_aws_send_message(aws_send_message):
    aws_send_message.side_effect = [None, None]
    messages = [{'content': 'one'}, {'content': 'two'}]

    assert utils.sns_worker(messages, TOPIC_ARN, 'map') is True
    assert aws_send_message.call_count == 2
    assert aws_send_message.call_args_list[1] == mock.call({'content': 'two'}, TOPIC_ARN, subject='map', client=None)


@mock.patch('watchbot_progress.utils.boto3_session')
def test_sns_worker_makes_one_client_of_a_replaced_session(session):
    assert utils.sns_worker([{'n': 1}, {'n': 2}, {'n': 3}], TOPIC_ARN, subject='map')
    session.assert_called_once()
    assert session.return_value.client.return_value.publish.call_count == 3


def test_boto3_session_needs_boto3_only_when_called(monkeypatch):
    monkeypatch.setitem(sys.modules, 'boto3', None)  # as if boto3 were not installed
    monkeypatch.setitem(sys.modules, 'boto3.session', None)
    with pytest.raises(ImportError) as raised:
        utils.boto3_session()
    message = str(raised.value)
    assert 'boto3 is not installed' in message and 'pip install boto3' in message
    assert '\n' not in message


def test_aws_send_message_publishes_natively_when_nothing_is_replaced():
    topic = RecordingTopic()
    assert utils.aws_send_message({'content': 'hello'}, topic.arn, subject='note') is None
    assert topic.messages() == [('note', {'content': 'hello'}, '{"content": "hello"}')]


# ---------------------------------------------------------------------------------------------
# create_job and Part with the publishing functions replaced, on a backend of the test's own

@mock.patch('watchbot_progress.main.sns_worker')
def test_create_job_hands_the_map_messages_to_sns_worker(sns_worker, env):
    sns_worker.side_effect = [True]

    with mock.patch('uuid.uuid4', new=lambda: '000-123'):
        assert create_job(parts, progress=StubProgress()) == '000-123'

    sns_worker.assert_called_once()
    messages = sns_worker.call_args[0][0]
    assert messages == [dict(part, jobid='000-123', partid=i, metadata=None) for i, part in enumerate(parts)]
    assert sns_worker.call_args[1] == {'topic': None, 'subject': 'map'}


@mock.patch('watchbot_progress.main.sns_worker')
def test_create_job_sends_the_metadata_in_every_map_message(sns_worker, env):
    meta = {'foo': 'bar'}
    jobid = create_job(parts, progress=StubProgress(topic_arn=TOPIC_ARN), metadata=meta)

    sns_worker.assert_called_once()
    assert [m['metadata'] for m in sns_worker.call_args[0][0]] == [meta] * 3
    assert [m['jobid'] for m in sns_worker.call_args[0][0]] == [jobid] * 3
    assert sns_worker.call_args[1] == {'topic': TOPIC_ARN, 'subject': 'map'}


@mock.patch('watchbot_progress.main.sns_worker')
def test_create_job_calls_sns_worker_in_the_tools_chunks(sns_worker, env):
    many = [{'n': i} for i in range(100)]
    create_job(many, progress=StubProgress(), workers=10)  # chunks of max(ceil(100 / 10), 10) = 10

    chunks = sorted((c[0][0] for c in sns_worker.call_args_list), key=lambda chunk: chunk[0]['partid'])
    assert [len(c) for c in chunks] == [10] * 10
    assert [m['partid'] for c in chunks for m in c] == list(range(100))


@mock.patch('watchbot_progress.utils.aws_send_message')
def test_create_job_through_a_replaced_utils_aws_send_message(aws_send_message, env):
    """The tool's sns_worker sent each message with utils.aws_send_message: replacing it catches them."""
    jobid = create_job(parts, progress=StubProgress(topic_arn=TOPIC_ARN))
    assert aws_send_message.call_count == 3
    for i, c in enumerate(aws_send_message.call_args_list):
        assert c[0] == (dict(parts[i], jobid=jobid, partid=i, metadata=None), TOPIC_ARN)
        assert c[1]['subject'] == 'map'


@mock.patch('watchbot_progress.utils.boto3_session')
def test_create_job_through_a_replaced_boto3_session(session, env):
    jobid = create_job(parts, progress=StubProgress(topic_arn=TOPIC_ARN))
    session.return_value.client.assert_called_once_with('sns')  # one client for the chunk, as the tool made
    publish = session.return_value.client.return_value.publish
    assert publish.call_args_list == [
        mock.call(Message=json.dumps(dict(part, jobid=jobid, partid=i, metadata=None)), Subject='map',
                  TargetArn=TOPIC_ARN) for i, part in enumerate(parts)]


@mock.patch('watchbot_progress.main.sns_worker')
def test_a_failing_sns_worker_is_a_publish_error_naming_the_parts(sns_worker, env):
    sns_worker.side_effect = RuntimeError('SNS said no\nat all')
    with pytest.raises(PublishError) as raised:
        create_job(parts, progress=StubProgress(topic_arn=TOPIC_ARN), jobid='job-x')
    assert list(raised.value.failed_indexes) == [0, 1, 2]
    message = str(raised.value)
    assert 'RuntimeError: SNS said no at all' in message and '\n' not in message


@mock.patch('watchbot_progress.main.aws_send_message')
def test_part_sends_no_reduce_while_parts_are_pending(aws_send_message, env):
    with Part(jobid='123', partid=1, progress=StubProgress()):
        pass
    aws_send_message.assert_not_called()


@mock.patch('watchbot_progress.main.aws_send_message')
def test_part_sends_the_reduce_through_aws_send_message(aws_send_message, env):
    with Part(jobid='123', partid=1, progress=LastPartProgress()):
        pass
    aws_send_message.assert_called_once_with({'jobid': '123', 'metadata': {}}, None, subject='reduce')


def test_part_calls_on_reduce_instead(env):
    on_reduce = mock.Mock()
    with Part(jobid='123', partid=1, progress=LastPartProgress(topic_arn=TOPIC_ARN), on_reduce=on_reduce):
        pass
    on_reduce.assert_called_once_with({'jobid': '123', 'metadata': {}}, TOPIC_ARN, subject='reduce')


@mock.patch('watchbot_progress.main.aws_send_message')
def test_part_of_a_failed_job_raises_job_failed_before_the_block(aws_send_message, env):
    class FailedProgress(StubProgress):
        def status(self, jobid, part=None):
            return {'progress': 0.3, 'failed': 'part 0 failed'}

    class CustomException(Exception):
        pass

    msg = {'source': 'a.tif', 'partid': 1, 'jobid': '123'}
    with pytest.raises(JobFailed) as raised:
        with Part(fail_job_on=[CustomException], progress=FailedProgress(), **msg):
            raise NotImplementedError('the block of a failed job never runs')
    assert 'already failed' in str(raised.value)
    aws_send_message.assert_not_called()


@mock.patch('watchbot_progress.main.aws_send_message')
@pytest.mark.parametrize('fail_job_on, fails', [([KeyError], True), ([ZeroDivisionError], False)])
def test_part_fails_the_job_only_on_the_listed_exceptions(aws_send_message, fail_job_on, fails, env):
    progress = StubProgress()
    progress.fail_job = mock.Mock()
    with pytest.raises(KeyError):
        with Part(jobid='2', partid=2, progress=progress, fail_job_on=fail_job_on):
            raise KeyError('tile')
    if fails:
        progress.fail_job.assert_called_once()
        assert progress.fail_job.call_args[0][0] == '2'
        assert 'part 2' in progress.fail_job.call_args[0][1]
    else:
        progress.fail_job.assert_not_called()
    aws_send_message.assert_not_called()


@mock.patch('watchbot_progress.main.aws_send_message')
def test_part_with_a_bad_progress_raises_progress_type_error(aws_send_message):
    with pytest.raises(ProgressTypeError):
        with Part(partid=1, jobid='1', progress=Exception()):
            pass
    aws_send_message.assert_not_called()


@mock.patch('watchbot_progress.main.sns_worker')
def test_create_job_with_a_bad_progress_raises_progress_type_error(sns_worker):
    with pytest.raises(ProgressTypeError):
        create_job(jobid='1', parts=parts, progress=Exception())
    sns_worker.assert_not_called()


def test_main_dynamo_progress_is_the_default_backend(env):
    backend = MemoryProgress()
    with mock.patch('watchbot_progress.main.DynamoProgress', return_value=backend) as factory:
        jobid = create_job(parts)
        with Part(jobid, 0):
            pass
    assert factory.call_count == 2
    assert backend.status(jobid)['remaining'] == 2


# ---------------------------------------------------------------------------------------------
# A whole job on the memory backend (where the tool's suite used mockredis)

@mock.patch('watchbot_progress.main.sns_worker')
@mock.patch('watchbot_progress.main.aws_send_message')
def test_one_part_done_sends_maps_and_no_reduce(aws_send_message, sns_worker):
    progress = MemoryProgress()
    jobid = create_job(parts, progress=progress)
    with Part(jobid, 0, progress=progress):
        pass

    assert progress.status(jobid)['remaining'] == 2
    sns_worker.assert_called_once()
    assert len(sns_worker.call_args[0][0]) == 3
    assert sns_worker.call_args[1].get('subject') == 'map'
    aws_send_message.assert_not_called()
    assert progress.recording.messages() == []  # nothing went out natively


@mock.patch('watchbot_progress.main.sns_worker')
@mock.patch('watchbot_progress.main.aws_send_message')
def test_all_parts_done_send_one_reduce_however_often_they_are_delivered(aws_send_message, sns_worker):
    progress = MemoryProgress()
    jobid = create_job(parts, progress=progress, metadata={'out': 's3://bucket/key'})
    for delivery in range(3):
        for i in range(3):
            with Part(jobid, i, progress=progress):
                pass

    assert progress.status(jobid)['remaining'] == 0
    aws_send_message.assert_called_once_with({'jobid': jobid, 'metadata': {'out': 's3://bucket/key'}},
                                             progress.topic, subject='reduce')
    assert progress.recording.messages() == []


@mock.patch('watchbot_progress.main.sns_worker')
def test_all_parts_done_with_on_reduce(sns_worker):
    progress = MemoryProgress()
    on_reduce = mock.Mock()
    jobid = create_job(parts, progress=progress)
    for i in range(3):
        with Part(jobid, i, progress=progress, on_reduce=on_reduce):
            pass
    on_reduce.assert_called_once_with({'jobid': jobid, 'metadata': {}}, progress.topic, subject='reduce')


def test_a_patch_reroutes_only_while_it_is_in_place():
    progress = MemoryProgress()
    with mock.patch('watchbot_progress.main.sns_worker') as sns_worker:
        first = create_job(parts[:1], progress=progress)
    second = create_job(parts[:1], progress=progress)
    assert [c[0][0][0]['jobid'] for c in sns_worker.call_args_list] == [first]
    assert [m['jobid'] for m in progress.recording.maps()] == [second]


# ---------------------------------------------------------------------------------------------
# Backend methods (where the tool's suite used mockredis and mocked boto3.resource)

def test_status_of_a_job_never_created_raises_job_does_not_exist():
    with pytest.raises(JobDoesNotExist):
        MemoryProgress().status('123')


def test_status_of_a_new_job():
    p = MemoryProgress()
    p.set_total('123', parts)
    status = p.status('123')
    assert (status['total'], status['remaining'], status['progress']) == (3, 3, 0)


def test_status_of_a_part():
    p = MemoryProgress()
    p.set_total('123', parts)
    p.complete_part('123', 0)
    assert p.status('123', part=0)['complete'] is True
    assert p.status('123', part=1)['complete'] is False


def test_complete_part_says_when_the_job_is_done():
    p = MemoryProgress()
    p.set_total('123', parts)
    assert [p.complete_part('123', i) for i in range(3)] == [False, False, True]
    status = p.status('123')
    assert (status['remaining'], status['progress']) == (0, 1.0)


def test_fail_job_and_metadata():
    p = MemoryProgress()
    p.set_total('123', parts)
    p.set_metadata('123', {'test': 'foo'})
    p.fail_job('123', 'epic fail')
    status = p.status('123')
    assert status['failed'] is True and status['error'] == 'epic fail'
    assert status['metadata'] == {'test': 'foo'}


def test_list_jobs_and_pending_parts():
    p = MemoryProgress()
    p.set_total('job1', parts)
    p.set_total('job2', parts)
    assert sorted(p.list_jobs(status=False)) == ['job1', 'job2']
    assert len(list(p.list_jobs())) == 2
    p.complete_part('job1', 0)
    assert list(p.list_pending_parts('job1')) == [1, 2]


def test_delete_then_every_reader_raises_job_does_not_exist():
    p = MemoryProgress()
    p.set_total('123', parts)
    p.delete('123')
    with pytest.raises(JobDoesNotExist):
        p.status('123')
    with pytest.raises(JobDoesNotExist):
        p.list_pending_parts('123')


def test_dynamodb_status_shape_and_missing_jobs(dynamodb_progress):
    jobid = unique('job')
    dynamodb_progress.set_total(jobid, parts)
    assert 'failed' not in dynamodb_progress.status(jobid)
    dynamodb_progress.complete_part(jobid, 1)
    assert dynamodb_progress.status(jobid)['progress'] == pytest.approx(1 / 3)
    dynamodb_progress.fail_job(jobid, 'bad tile')
    assert dynamodb_progress.status(jobid)['failed'] == 'bad tile'  # the tool's DynamoDB shape: the reason

    with pytest.raises(JobDoesNotExist):
        dynamodb_progress.list_pending_parts(unique('missing'))
    with pytest.raises(KeyError):  # what the tool's DynamoProgress.status raised for a missing job
        dynamodb_progress.status(unique('missing'))


# ---------------------------------------------------------------------------------------------
# The command, with cli.RedisProgress replaced

@mock.patch('watchbot_progress.cli.RedisProgress')
def test_cli_ls_jobids(Progress, capsys):
    from watchbot_progress import cli
    Progress.return_value.list_jobs.return_value = ['job1', 'job2']

    assert cli.main('ls --jobid --database redis://localhost:6379?db=0'.split()) == 0
    assert capsys.readouterr().out == 'job1\njob2\n'
    Progress.assert_called_once_with(host='localhost', port=6379, db=0, topic_arn=mock.ANY)
    Progress.return_value.list_jobs.assert_called_once_with(status=False)


@mock.patch('watchbot_progress.cli.RedisProgress')
def test_cli_info(Progress, capsys):
    from watchbot_progress import cli
    Progress.return_value.status.return_value = {'fake': True}

    assert cli.main('info job1 --database redis://localhost:6379?db=0'.split()) == 0
    assert capsys.readouterr().out == '{"fake": true}\n'
    Progress.return_value.status.assert_called_once_with('job1')


@mock.patch('watchbot_progress.cli.RedisProgress')
@pytest.mark.parametrize('args, out', [([], '2\n0\n1\n'), (['--array'], '[2, 0, 1]\n')])
def test_cli_pending(Progress, args, out, capsys):
    from watchbot_progress import cli
    Progress.return_value.list_pending_parts.return_value = [2, 0, 1]

    assert cli.main(['pending', 'job1', '--database', 'redis://:pw@redis.internal:6380/2'] + args) == 0
    assert capsys.readouterr().out == out
    Progress.assert_called_once_with(host='redis.internal', port=6380, db=2, password='pw', topic_arn=mock.ANY)


def test_cli_rejects_what_is_not_a_database(capsys):
    from watchbot_progress import cli
    assert cli.main(['info', 'job1', '-d', 'mysql://wat']) == 2
    assert 'is not a database' in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Messages published while a patch is in place are the tool's dicts

@mock.patch('watchbot_progress.main.sns_worker')
def test_map_messages_given_to_sns_worker_feed_part(sns_worker):
    progress = MemoryProgress()
    jobid = create_job(parts, progress=progress)
    for message in sns_worker.call_args[0][0]:
        json.dumps(message)  # plain JSON values
        with Part(progress=progress, **message):
            pass
    assert progress.recording.reduces() == [{'jobid': jobid, 'metadata': {}}]
