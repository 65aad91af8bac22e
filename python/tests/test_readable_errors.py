"""Errors a Python user can read: what the C++ code prints or quotes of a Python exception (a backend of
the user's own, a replaced sns_worker) is one line, never pybind11's multi-line rendering with its
traceback; the exception itself still reaches the caller as raised; the library's errors are one
Python exception with a one-line message; the Python tool's exception types are caught where its
users catch them."""

import pytest

from conftest import unique
from test_custom_backend import DictProgress
from watchbot_progress import Part, _core, create_job
from watchbot_progress.errors import DatabaseDoesNotExist, JobDoesNotExist


class Fatal(Exception):
    pass


def memory_topic():
    return 'memory://' + unique('errors')


def watchbot_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_a_backend_error_the_guard_prints_is_one_line(capfd):
    """fail_job_on matched, and the user's backend could not record the failure: the guard says so on
    stderr (the user's own exception is what propagates)."""
    class CannotFail(DictProgress):
        def fail_job(self, jobid, reason):
            raise OSError('disk full\nsecond line of the message')

    p = CannotFail(topic=memory_topic())
    jobid = create_job([{}], progress=p)
    capfd.readouterr()
    error = Fatal('bad input')
    with pytest.raises(Fatal) as raised:
        with Part(jobid, 0, progress=p, fail_job_on=[Fatal]):
            raise error
    assert raised.value is error
    err = capfd.readouterr().err
    lines = watchbot_lines(err)
    assert len(lines) == 1, err
    assert 'could not mark the job failed' in lines[0]
    assert lines[0].endswith('OSError: disk full second line of the message'), lines[0]
    assert 'At:' not in err and 'Traceback' not in err and '.py(' not in err


def test_a_release_error_after_a_failed_reduce_is_one_line(capfd):
    class CannotRelease(DictProgress):
        def claim_reduce(self, jobid):
            return 'token'

        def release_reduce(self, jobid, token):
            raise ConnectionError('store unreachable')

        def confirm_reduce(self, jobid, token):
            return True

    def on_reduce(message, topic, subject=None):
        raise TimeoutError('reduce service down')

    p = CannotRelease(topic=memory_topic())
    jobid = create_job([{}], progress=p)
    capfd.readouterr()
    with pytest.raises(TimeoutError):
        with Part(jobid, 0, progress=p, on_reduce=on_reduce):
            pass
    lines = watchbot_lines(capfd.readouterr().err)
    assert len(lines) == 1, lines
    assert 'could not be released' in lines[0] and '(ConnectionError: store unreachable)' in lines[0]


def test_a_backend_exception_reaches_the_caller_as_raised():
    class Broken(DictProgress):
        def complete_part(self, jobid, partid):
            raise self.error

    p = Broken(topic=memory_topic())
    p.error = ValueError('corrupt record')
    jobid = create_job([{}], progress=p)
    with pytest.raises(ValueError) as raised:
        with Part(jobid, 0, progress=p):
            pass
    assert raised.value is p.error
    assert raised.traceback[-1].name == 'complete_part'  # its own traceback, down to where it was raised


def test_a_backend_listing_that_raises_midway():
    class BrokenListing(DictProgress):
        def list_jobs(self, status=True):
            yield from DictProgress.list_jobs(self, status)
            raise self.error

    from watchbot_progress.backends._driver import Driver
    p = BrokenListing(topic=memory_topic())
    p.error = RuntimeError('scan interrupted')
    create_job([{}], progress=p)
    with pytest.raises(RuntimeError) as raised:
        _core.python_backend(Driver(p)).list_jobs()
    assert raised.value is p.error


def test_a_generator_of_parts_that_raises():
    error = LookupError('no more tiles')

    def parts():
        yield {'n': 0}
        raise error

    with pytest.raises(LookupError) as raised:
        create_job(parts(), progress=DictProgress(topic=memory_topic()))
    assert raised.value is error


def test_a_missing_job_is_also_a_key_error():
    from watchbot_progress.testing import MemoryProgress
    progress = MemoryProgress()
    with pytest.raises(KeyError) as raised:
        progress.status('no-such-job')
    assert isinstance(raised.value, JobDoesNotExist) and isinstance(raised.value, RuntimeError)
    message = str(raised.value)
    assert "no-such-job" in message and not message.startswith(("'", '"'))  # not KeyError's quoted repr
    assert issubclass(DatabaseDoesNotExist, KeyError)


def test_library_messages_are_one_line():
    assert _core._one_line('first line\n  second line\r\nthird') == 'first line second line third'
    assert _core._one_line('no break') == 'no break'
    assert _core._one_line('trailing \n') == 'trailing'
