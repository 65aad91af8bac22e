"""Every method of DynamoProgress and RedisProgress (the Python tool's interface), on dynalite and
redis-server, with the same expectations for both where the tool's backends agree."""

import pytest

from conftest import unique
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.errors import InvalidInput, JobDoesNotExist


@pytest.fixture(params=['redis', 'dynamodb'])
def progress(request):
    return request.getfixturevalue(request.param + '_progress')


def test_is_a_watchbot_progress_base_with_its_topic(progress, topic):
    assert isinstance(progress, WatchbotProgressBase)
    assert progress.topic == topic.arn


def test_set_total_and_status(progress):
    jobid = unique('job')
    progress.set_total(jobid, [{'a': 1}, {'b': 2}, {'c': 3}, {'d': 4}])
    status = progress.status(jobid)
    assert status['jobid'] == jobid
    assert status['progress'] == 0.0
    assert status['total'] == 4
    assert status['remaining'] == 4
    assert status['metadata'] == {}
    assert status['reduceSent'] is False


def test_set_total_refuses_an_existing_job_unless_overwrite(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(3))
    progress.complete_part(jobid, 0)
    with pytest.raises(InvalidInput) as e:
        progress.set_total(jobid, range(3))
    assert jobid in str(e.value)
    assert 'overwrite=True' in str(e.value) and '::' not in str(e.value)
    assert e.value.jobid == jobid
    progress.set_total(jobid, range(5), overwrite=True)
    assert progress.status(jobid)['remaining'] == 5


def test_complete_part_returns_whether_the_job_is_done_and_is_idempotent(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(3))
    assert progress.complete_part(jobid, 0) is False
    assert progress.complete_part(jobid, 0) is False  # twice never counts twice
    assert progress.complete_part(jobid, 2) is False
    status = progress.status(jobid)
    assert status['remaining'] == 1
    assert status['progress'] == pytest.approx(2 / 3)
    assert progress.complete_part(jobid, 1) is True
    assert progress.complete_part(jobid, 1) is True
    assert progress.status(jobid)['progress'] == 1.0


def test_status_of_one_part(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(2))
    progress.complete_part(jobid, 1)
    assert progress.status(jobid, part=0) == {'part': 0, 'complete': False}
    assert progress.status(jobid, part=1) == {'part': 1, 'complete': True}


def test_list_pending_parts_ascending(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(12))
    for partid in (0, 5, 11):
        progress.complete_part(jobid, partid)
    assert progress.list_pending_parts(jobid) == [1, 2, 3, 4, 6, 7, 8, 9, 10]


def test_set_metadata_merges_keys(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(1))
    progress.set_metadata(jobid, {'name': 'tiles', 'zoom': 12})
    progress.set_metadata(jobid, {'zoom': 13, 'done_by': 'me'})
    assert progress.status(jobid)['metadata'] == {'name': 'tiles', 'zoom': 13, 'done_by': 'me'}


def test_delete(progress):
    jobid = unique('job')
    progress.set_total(jobid, range(2))
    assert progress.delete(jobid) is True
    with pytest.raises(JobDoesNotExist):
        progress.status(jobid)
    assert progress.delete(jobid) is False


def test_list_jobs_status_and_ids(progress):
    jobs = [unique('job') for _ in range(3)]
    for n, jobid in enumerate(jobs, start=1):
        progress.set_total(jobid, range(n))
    progress.complete_part(jobs[0], 0)
    statuses = {s['jobid']: s for s in progress.list_jobs() if s['jobid'] in jobs}
    assert set(statuses) == set(jobs)
    assert statuses[jobs[0]]['remaining'] == 0
    assert statuses[jobs[2]]['total'] == 3
    ids = list(progress.list_jobs(status=False))
    assert set(jobs) <= set(ids)
    assert all(isinstance(i, str) for i in ids)


def test_unknown_job(progress):
    jobid = unique('missing')
    with pytest.raises(JobDoesNotExist) as e:
        progress.status(jobid)
    assert e.value.jobid == jobid
    assert isinstance(e.value, RuntimeError)  # as the Python tool's class
    with pytest.raises(JobDoesNotExist):
        progress.list_pending_parts(jobid)
    with pytest.raises(JobDoesNotExist):
        progress.complete_part(jobid, 0)  # never creates the job


def test_redis_fail_job_status_shape(redis_progress):
    jobid = unique('job')
    redis_progress.set_total(jobid, range(2))
    assert redis_progress.status(jobid)['failed'] is False
    assert 'error' not in redis_progress.status(jobid)
    redis_progress.fail_job(jobid, 'disk full')
    status = redis_progress.status(jobid)
    assert status['failed'] is True
    assert status['error'] == 'disk full'
    # The Python tool's keys, in its order, plus reduceSent.
    assert list(status) == ['metadata', 'jobid', 'progress', 'total', 'remaining', 'failed', 'error', 'reduceSent']


def test_dynamodb_fail_job_status_shape(dynamodb_progress):
    jobid = unique('job')
    dynamodb_progress.set_total(jobid, range(2))
    assert 'failed' not in dynamodb_progress.status(jobid)  # present only once the job failed
    dynamodb_progress.fail_job(jobid, 3)  # the Python tool's Part stored the part id as the reason
    status = dynamodb_progress.status(jobid)
    assert status['failed'] == '3'
    assert list(status) == ['jobid', 'progress', 'failed', 'metadata', 'reduceSent', 'total', 'remaining']


def test_dynamodb_attributes_from_arguments_and_environment(dynamodb_table, topic, monkeypatch):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    p = DynamoProgress(table_arn=dynamodb_table, topic_arn=topic.arn)
    assert p.table_arn == dynamodb_table
    assert p.table == dynamodb_table.split(':table/')[-1]
    monkeypatch.setenv('ProgressTable', dynamodb_table)
    monkeypatch.setenv('WorkTopic', topic.arn)
    q = DynamoProgress()
    assert (q.table_arn, q.topic) == (dynamodb_table, topic.arn)
    jobid = unique('job')
    q.set_total(jobid, range(1))
    assert p.status(jobid)['total'] == 1


def test_dynamodb_without_a_table_says_which_variable_when_first_used(monkeypatch):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    from watchbot_progress.errors import ConfigError
    monkeypatch.delenv('ProgressTable', raising=False)
    monkeypatch.delenv('WorkTopic', raising=False)
    progress = DynamoProgress()  # the environment is read when needed, not here
    assert (progress.table_arn, progress.table, progress.topic) == (None, None, None)
    for call in (lambda: progress.status('job'), lambda: progress.set_total('job', 1),
                 lambda: list(progress.list_jobs())):
        with pytest.raises(ConfigError) as e:
            call()
        text = str(e.value)
        assert 'ProgressTable' in text and 'table_arn=' in text
        assert '::' not in text and 'Options' not in text  # Python terms, not the C++ library's


def test_dynamodb_reads_progress_table_on_first_use(dynamodb_table, monkeypatch):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    monkeypatch.delenv('ProgressTable', raising=False)
    progress = DynamoProgress()
    monkeypatch.setenv('ProgressTable', dynamodb_table)
    jobid = unique('job')
    progress.set_total(jobid, range(2))
    assert (progress.table_arn, progress.table) == (dynamodb_table, dynamodb_table.split(':table/')[-1])
    assert DynamoProgress(table_arn=dynamodb_table).status(jobid)['total'] == 2


def test_redis_options(redis_address, topic):
    from watchbot_progress.backends.redis import RedisProgress
    from watchbot_progress.errors import ConfigError
    host, port = redis_address
    p = RedisProgress(topic_arn=topic.arn, host=host, port=port, db=3, socket_timeout=5,
                      socket_connect_timeout=2, max_connections=4, decode_responses=True)
    assert (p.host, p.port, p.db, p.delete_when_done) == (host, port, 3, False)
    jobid = unique('job')
    p.set_total(jobid, range(2))
    other_db = RedisProgress(topic_arn=topic.arn, host=host, port=port, db=0)
    with pytest.raises(JobDoesNotExist):
        other_db.status(jobid)
    with pytest.raises(TypeError) as e:
        RedisProgress(host=host, port=port, no_such_option=1)
    assert 'no_such_option' in str(e.value)
    with pytest.raises(ConfigError) as e:
        RedisProgress(host=host, port=port, ssl=True)
    assert 'TLS' in str(e.value)


def test_redis_password_is_sent_and_never_shown(redis_address, topic):
    from watchbot_progress.backends.redis import RedisProgress
    from watchbot_progress.errors import BackendError
    host, port = redis_address
    # The test server has no password: AUTH is refused, which shows the password was sent.
    p = RedisProgress(topic_arn=topic.arn, host=host, port=port, password='s3cret-Pa55word')
    with pytest.raises(BackendError) as e:
        p.status(unique('job'))
    assert 's3cret-Pa55word' not in str(e.value)
    assert e.value.code


def test_redis_delete_when_done_expires_the_finished_job(redis_address, redis_url, topic):
    import subprocess
    from watchbot_progress import Part
    from watchbot_progress.backends.redis import RedisProgress
    host, port = redis_address
    p = RedisProgress(topic_arn=topic.arn, host=host, port=port, delete_when_done=True)
    jobid = unique('job')
    p.set_total(jobid, range(1))
    with Part(jobid, 0, progress=p, on_reduce=lambda *a, **k: None):
        pass
    # Kept (late duplicates still find it) but set to expire.
    assert p.status(jobid)['remaining'] == 0
    ttl = subprocess.run(['redis-cli', '-h', host, '-p', str(port), 'TTL', jobid + '-metadata'],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert int(ttl) > 0


def test_dynamodb_compatible_layout_limit_in_python_terms(dynamodb_table, monkeypatch):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    monkeypatch.setenv('WATCHBOT_PROGRESS_DYNAMODB_LAYOUT', 'compatible')
    progress = DynamoProgress(table_arn=dynamodb_table)
    with pytest.raises(InvalidInput) as e:
        progress.set_total(unique('job'), 10 ** 6)
    text = str(e.value)
    assert 'too many for the compatible DynamoDB layout' in text, text
    assert 'WATCHBOT_PROGRESS_DYNAMODB_LAYOUT' in text and '::' not in text, text
