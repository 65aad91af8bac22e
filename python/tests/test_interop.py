"""Jobs created from Python are read and worked by the C++ command-line tool, and the reverse, on
Redis and DynamoDB (the same records, whichever side wrote them)."""

import json

import pytest

from conftest import run_cli, unique
from watchbot_progress import Part, create_job


@pytest.fixture(params=['redis', 'dynamodb'])
def side(request):
    """(progress, the -d value of the same database)."""
    if request.param == 'redis':
        return request.getfixturevalue('redis_progress'), request.getfixturevalue('redis_url')
    return request.getfixturevalue('dynamodb_progress'), request.getfixturevalue('dynamodb_table')


def test_a_job_created_from_python_read_by_the_cli(side):
    progress, database = side
    jobid = create_job([{'n': i} for i in range(5)], jobid=unique('py'), progress=progress,
                       metadata={'origin': 'python', 'zoom': 9})
    for partid in (0, 3):
        with Part(jobid, partid, progress=progress):
            pass

    info = json.loads(run_cli('info', jobid, '-d', database).stdout)
    assert info['jobid'] == jobid
    assert (info['total'], info['remaining'], info['failed']) == (5, 3, False)
    assert info['metadata'] == {'origin': 'python', 'zoom': 9}
    assert run_cli('pending', jobid, '-d', database, '--array').stdout.strip() == '[1, 2, 4]'

    # The CLI completes the rest; Python sees the job complete and its reduce not yet sent.
    for partid in (1, 2, 4):
        run_cli('complete-part', jobid, '-p', str(partid), '-d', database)
    status = progress.status(jobid)
    assert status['progress'] == 1.0 and status['reduceSent'] is False
    # A delivery from Python now sends the reduce; the CLI sees it.
    reduces = []
    with Part(jobid, 4, progress=progress, on_reduce=lambda m, t, subject=None: reduces.append(m)):
        pass
    assert reduces == [{'jobid': jobid, 'metadata': {'origin': 'python', 'zoom': 9}}]
    assert json.loads(run_cli('status', jobid, '-d', database).stdout)['reduceSent'] is True


def test_a_job_created_by_the_cli_worked_from_python(side, tmp_path):
    progress, database = side
    jobid = unique('cli')
    parts = tmp_path / 'parts.jsonl'
    parts.write_text(''.join(json.dumps({'tile': i}) + '\n' for i in range(4)))
    queue = 'sqlite://' + str(tmp_path / 'queue.db')  # a local queue: the CLI refuses memory:// beside a lasting database
    run_cli('create', str(parts), '--jobid', jobid, '--metadata', '{"origin": "cli"}', '--topic', queue,
            '-d', database)

    status = progress.status(jobid)
    assert (status['total'], status['remaining']) == (4, 4)
    assert status['metadata'] == {'origin': 'cli'}
    assert progress.list_pending_parts(jobid) == [0, 1, 2, 3]

    reduces = []
    for partid in (2, 0, 1, 3, 3):
        with Part(jobid, partid, progress=progress, on_reduce=lambda m, t, subject=None: reduces.append(m)):
            pass
    assert reduces == [{'jobid': jobid, 'metadata': {'origin': 'cli'}}]
    node_status = json.loads(run_cli('status', jobid, '-d', database).stdout)
    assert node_status['progress'] == 1 and node_status['reduceSent'] is True


def test_a_job_failed_by_the_cli_stops_python_guards(side):
    from watchbot_progress import JobFailed
    progress, database = side
    jobid = create_job([{}, {}], jobid=unique('fail'), progress=progress)
    run_cli('fail-job', jobid, '-r', 'operator stopped it', '-d', database)
    with pytest.raises(JobFailed) as e:
        with Part(jobid, 0, progress=progress, fail_job_on=[ValueError]):
            pass
    assert e.value.reason == 'operator stopped it'


def test_metadata_set_from_python_and_the_cli_merges(side):
    progress, database = side
    jobid = unique('meta')
    progress.set_total(jobid, range(1))
    progress.set_metadata(jobid, {'a': 1})
    run_cli('set-metadata', jobid, '-m', '{"b": "two"}', '-d', database)
    progress.set_metadata(jobid, {'c': [3]})
    assert progress.status(jobid)['metadata'] == {'a': 1, 'b': 'two', 'c': [3]}


def test_a_redis_job_written_as_the_python_tool_writes_it(redis_progress, redis_address):
    # The Python tool's set_total and set_metadata: plain HSET/SADD, metadata values as text.
    import subprocess
    host, port = redis_address
    jobid = unique('tool')

    def redis_cli(*args):
        return subprocess.run(['redis-cli', '-h', host, '-p', str(port)] + list(args), capture_output=True,
                              text=True, check=True).stdout.strip()

    redis_cli('HSET', jobid + '-metadata', 'total', '3', 'name', 'tiles')
    redis_cli('SADD', jobid + '-parts', '0', '1', '2')
    reduces = []
    for partid in (0, 2, 1, 1):
        with Part(jobid, partid, progress=redis_progress, fail_job_on=[ValueError],
                  on_reduce=lambda m, t, subject=None: reduces.append(m)):
            pass
    assert reduces == [{'jobid': jobid, 'metadata': {'name': 'tiles'}}]
    # The mark the Python tool reads before sending a reduce of its own.
    assert redis_cli('HGET', jobid + '-metadata', 'reduce_message_sent') == 'True'
