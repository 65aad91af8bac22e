"""watchbot_progress.testing: the in-process backend and recording topic, as plain objects and as
pytest fixtures (imported into a module, and as a plugin in a user's own test run)."""

import os
import subprocess
import sys
import textwrap

import pytest

from watchbot_progress import Part, create_job
from watchbot_progress.errors import JobDoesNotExist
from watchbot_progress.testing import (MemoryProgress, Message, RecordingTopic, watchbot_backend,  # noqa: F401
                                       watchbot_defaults, watchbot_topic)
from watchbot_progress.utils import aws_send_message

parts = [{'url': 'a'}, {'url': 'b'}, {'url': 'c'}]


def test_a_whole_job_with_plain_objects():
    progress = MemoryProgress()
    jobid = create_job(parts, progress=progress, metadata={'out': 'x'})

    maps = progress.recording.maps()
    assert maps == [dict(p, jobid=jobid, partid=i, metadata={'out': 'x'}) for i, p in enumerate(parts)]
    for message in maps:
        with Part(progress=progress, **message):
            pass

    assert progress.recording.reduces() == [{'jobid': jobid, 'metadata': {'out': 'x'}}]
    assert progress.recording.subjects() == ['map', 'map', 'map', 'reduce']
    assert progress.status(jobid)['reduceSent'] is True


def test_messages_are_subject_body_and_text():
    topic = RecordingTopic()
    aws_send_message({'a': [1, 2]}, topic.arn, subject='note')
    (message,) = topic.messages()
    assert isinstance(message, Message)
    assert (message.subject, message.body, message.text) == ('note', {'a': [1, 2]}, '{"a": [1, 2]}')
    assert topic.messages('map') == [] and len(topic) == 1 and list(topic) == [message]


def test_clear_forgets_the_messages_so_far():
    progress = MemoryProgress()
    first = create_job(parts[:1], progress=progress)
    progress.recording.clear()
    assert progress.recording.messages() == [] and len(progress.recording) == 0
    second = create_job(parts[:1], progress=progress)
    assert [m['jobid'] for m in progress.recording.maps()] == [second]
    assert first != second


def test_each_backend_and_topic_is_its_own_unless_named():
    a, b = MemoryProgress(), MemoryProgress()
    a.set_total('job', 2)
    with pytest.raises(JobDoesNotExist):
        b.status('job')
    assert a.topic != b.topic

    shared = MemoryProgress(name=a.name, topic=a.recording)
    assert shared.status('job')['total'] == 2
    assert RecordingTopic(a.recording.name).arn == a.topic


def test_a_topic_given_as_a_string():
    topic = RecordingTopic()
    progress = MemoryProgress(topic=topic.arn)
    assert progress.recording is None and progress.topic == topic.arn
    create_job(parts[:1], progress=progress)
    assert len(topic.maps()) == 1


def test_the_backend_keeps_the_libraries_rules():
    """The memory backend is the library's: the claim makes one reduce; a failed job raises."""
    progress = MemoryProgress()
    jobid = create_job(parts[:2], progress=progress)
    with Part(jobid, 0, progress=progress):
        pass
    for _ in range(2):
        with Part(jobid, 1, progress=progress):
            pass
    assert len(progress.recording.reduces()) == 1


def test_fixtures_imported_into_a_module(watchbot_backend, watchbot_topic):
    assert watchbot_backend.recording is watchbot_topic
    jobid = create_job(parts, progress=watchbot_backend)
    assert [m['partid'] for m in watchbot_topic.maps()] == [0, 1, 2]
    assert watchbot_backend.status(jobid)['remaining'] == 3


def test_watchbot_defaults_replaces_the_default_backend(watchbot_defaults):
    jobid = create_job(parts)  # no progress: DynamoProgress() in production
    for message in watchbot_defaults.recording.maps():
        with Part(**message):
            pass
    assert watchbot_defaults.recording.reduces() == [{'jobid': jobid, 'metadata': {}}]
    assert os.environ['WorkTopic'] == watchbot_defaults.topic


def run_user_suite(tmp_path, conftest, test):
    (tmp_path / 'conftest.py').write_text(textwrap.dedent(conftest))
    (tmp_path / 'test_user.py').write_text(textwrap.dedent(test))
    return subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q', str(tmp_path)],
                          cwd=str(tmp_path), capture_output=True, text=True)


USER_TEST = '''
    from watchbot_progress import Part, create_job

    def process(message, progress):
        with Part(progress=progress, **message):
            pass

    def test_my_job(watchbot_backend, watchbot_topic):
        jobid = create_job([{'n': 1}, {'n': 2}], progress=watchbot_backend)
        for message in watchbot_topic.maps():
            process(message, watchbot_backend)
        assert watchbot_topic.reduces() == [{'jobid': jobid, 'metadata': {}}]

    def test_defaults(watchbot_defaults):
        create_job([{'n': 1}])
        assert len(watchbot_defaults.recording.maps()) == 1
'''


@pytest.mark.parametrize('conftest', [
    "pytest_plugins = ['watchbot_progress.testing']\n",
    'from watchbot_progress.testing import watchbot_backend, watchbot_defaults, watchbot_topic  # noqa: F401\n',
], ids=['plugin', 'imported'])
def test_a_users_suite_gets_the_fixtures(tmp_path, conftest):
    result = run_user_suite(tmp_path, conftest, USER_TEST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '2 passed' in result.stdout


def test_the_plain_objects_need_no_pytest(tmp_path):
    script = textwrap.dedent('''
        import sys
        sys.modules['pytest'] = None  # as if pytest were not installed
        from watchbot_progress import create_job
        from watchbot_progress.testing import MemoryProgress
        progress = MemoryProgress()
        create_job([{'n': 1}], progress=progress)
        print(len(progress.recording.maps()))
    ''')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '1\n'
