"""A sqlite:// database that does not exist: every call that reads or changes existing jobs refuses it
(DatabaseDoesNotExist, naming the path) and creates nothing; only calls that create a job
(``create_job``, ``set_total``) create the file. No server needed."""

import os

import pytest

from conftest import memory_messages, run_py_cli, unique
from watchbot_progress import Part, create_job, errors
from watchbot_progress.backends.native import NativeProgress


@pytest.fixture
def missing(tmp_path):
    """(uri, path) of a SQLite file that does not exist, in a directory that does."""
    path = str(tmp_path / 'nope.db')
    return 'sqlite://' + path, path


def assert_refused(error_info, path):
    error = error_info.value
    assert isinstance(error, errors.DatabaseDoesNotExist)
    assert isinstance(error, errors.JobDoesNotExist)  # `except JobDoesNotExist` still catches it
    text = str(error)
    assert "SQLite database '{}' does not exist (nothing was created)".format(path) in text
    assert 'check the path' in text and 'create a job there first' in text
    assert error.path == path


READERS = [
    ('status', lambda p: p.status('job')),
    ('status of a part', lambda p: p.status('job', part=0)),
    ('list_jobs', lambda p: p.list_jobs()),
    ('list_jobs ids', lambda p: p.list_jobs(status=False)),
    ('list_pending_parts', lambda p: p.list_pending_parts('job')),
    ('complete_part', lambda p: p.complete_part('job', 0)),
    ('fail_job', lambda p: p.fail_job('job', 'why')),
    ('set_metadata', lambda p: p.set_metadata('job', {'a': 1})),
    ('delete', lambda p: p.delete('job')),
]


@pytest.mark.parametrize('name,call', READERS, ids=[r[0] for r in READERS])
def test_readers_refuse_a_missing_file_and_create_nothing(missing, name, call):
    uri, path = missing
    progress = NativeProgress(uri, topic_arn='memory://' + unique('topic'))
    with pytest.raises(errors.DatabaseDoesNotExist) as e:
        call(progress)
    assert_refused(e, path)
    assert not os.path.exists(path)
    assert os.listdir(os.path.dirname(path)) == []  # no -wal, -shm or journal either


def test_part_refuses_a_missing_file(missing):
    uri, path = missing
    progress = NativeProgress(uri, topic_arn='memory://' + unique('topic'))
    ran = []
    with pytest.raises(errors.DatabaseDoesNotExist) as e:
        with Part('job', 0, progress=progress):
            ran.append(True)
    assert_refused(e, path)
    assert ran == [] and not os.path.exists(path)


def test_constructing_opens_nothing(missing):
    uri, path = missing
    NativeProgress(uri)
    assert not os.path.exists(path)


def test_a_malformed_sqlite_uri_is_still_refused_at_construction():
    with pytest.raises(errors.InvalidInput):
        NativeProgress('sqlite://')


def test_set_total_creates_the_file_then_readers_work(missing):
    uri, path = missing
    progress = NativeProgress(uri)
    progress.set_total('job', 2)
    assert os.path.exists(path)
    assert progress.status('job')['remaining'] == 2
    assert list(progress.list_jobs(status=False)) == ['job']


def test_create_job_creates_the_file(missing):
    uri, path = missing
    topic = 'memory://' + unique('topic')
    progress = NativeProgress(uri, topic_arn=topic)
    jobid = create_job([{'a': 1}], progress=progress)
    assert os.path.exists(path)
    assert NativeProgress(uri).status(jobid)['total'] == 1
    assert len(memory_messages(progress, 'map')) == 1


def test_a_file_created_later_by_another_backend_is_then_read(missing):
    uri, path = missing
    reader = NativeProgress(uri)
    with pytest.raises(errors.DatabaseDoesNotExist):
        reader.status('job')
    NativeProgress(uri).set_total('job', 3)
    assert reader.status('job')['total'] == 3


def test_a_relative_path_is_named_with_its_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.DatabaseDoesNotExist) as e:
        NativeProgress('sqlite://jobs/nope.db').status('job')
    assert "'jobs/nope.db'" in str(e.value) and str(tmp_path) in str(e.value)
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('args', [['info', 'job'], ['ls'], ['ls', '--jobid'], ['pending', 'job']],
                         ids=['info', 'ls', 'ls-jobid', 'pending'])
def test_the_command_refuses_a_missing_file(missing, args):
    uri, path = missing
    for env_database in (False, True):
        if env_database:
            env = dict(os.environ, ProgressTable=uri)
            result = run_py_cli(*args, env=env)
        else:
            result = run_py_cli(*(args + ['-d', uri]))
        assert result.returncode == 1, result.stderr
        assert result.stdout == ''
        assert "SQLite database '{}' does not exist (nothing was created)".format(path) in result.stderr
        assert 'Traceback' not in result.stderr
        assert not os.path.exists(path)
