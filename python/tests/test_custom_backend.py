"""A backend written in Python (a WatchbotProgressBase subclass, as the Python tool's documentation
describes) driven by create_job and the C++ Part guard, which call back into Python."""

import threading

import pytest

from conftest import memory_messages, unique
from watchbot_progress import JobFailed, Part, create_job
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.errors import JobDoesNotExist


class DictProgress(WatchbotProgressBase):
    """A user's backend in a dict, written against the Python tool's interface only."""

    def __init__(self, topic=None):
        self.topic = topic
        self.jobs = {}
        self.lock = threading.Lock()
        self.calls = []

    def _job(self, jobid):
        if jobid not in self.jobs:
            raise JobDoesNotExist('jobid {} does not exist'.format(jobid))
        return self.jobs[jobid]

    def status(self, jobid, part=None):
        self.calls.append('status')
        with self.lock:
            job = self._job(jobid)
            if part is not None:
                return {'part': part, 'complete': part not in job['parts']}
            data = {'jobid': jobid, 'progress': (job['total'] - len(job['parts'])) / job['total'],
                    'metadata': dict(job['metadata']), 'total': job['total'], 'remaining': len(job['parts'])}
            if 'error' in job:
                data['failed'] = job['error']  # the DynamoDB tool's style: the reason, only when failed
            return data

    def set_total(self, jobid, parts):
        self.calls.append('set_total')
        with self.lock:
            self.jobs[jobid] = {'total': len(parts), 'parts': set(range(len(parts))), 'metadata': {}}

    def fail_job(self, jobid, reason):
        self.calls.append('fail_job')
        with self.lock:
            self._job(jobid)['error'] = reason

    def complete_part(self, jobid, partid):
        self.calls.append('complete_part')
        with self.lock:
            job = self._job(jobid)
            job['parts'].discard(partid)
            return not job['parts']

    def set_metadata(self, jobid, metadata):
        self.calls.append('set_metadata')
        with self.lock:
            self._job(jobid)['metadata'].update(metadata)

    def list_pending_parts(self, jobid):
        with self.lock:
            return sorted(self._job(jobid)['parts'])

    def list_jobs(self, status=True):
        for jobid in list(self.jobs):
            yield self.status(jobid) if status else jobid


def memory_topic():
    return 'memory://' + unique('custom')


def test_create_job_and_parts_drive_the_python_backend():
    p = DictProgress(topic=memory_topic())
    jobid = create_job([{'a': 1}, {'a': 2}, {'a': 3}], progress=p, metadata={'who': 'custom'})
    assert p.jobs[jobid]['total'] == 3
    assert p.jobs[jobid]['metadata'] == {'who': 'custom'}
    maps = memory_messages(p, 'map')
    assert [m['partid'] for m in maps] == [0, 1, 2]
    for m in maps:
        with Part(m['jobid'], m['partid'], progress=p):
            pass
    assert p.jobs[jobid]['parts'] == set()
    # The reduce: once, with the job's metadata (without the claim's bookkeeping key).
    assert memory_messages(p, 'reduce') == [{'jobid': jobid, 'metadata': {'who': 'custom'}}]
    # Delivered again: no second reduce.
    with Part(jobid, 1, progress=p):
        pass
    assert len(memory_messages(p, 'reduce')) == 1
    assert p.jobs[jobid]['metadata']['reduce_message_sent'] is True


def test_fail_job_on_and_job_failed_through_the_python_backend():
    p = DictProgress(topic=memory_topic())
    jobid = create_job([{}, {}], progress=p)

    class Fatal(Exception):
        pass

    with pytest.raises(Fatal):
        with Part(jobid, 0, progress=p, fail_job_on=[Fatal]):
            raise Fatal('bad input')
    assert 'Fatal: bad input' in p.jobs[jobid]['error']
    assert 'part 0' in p.jobs[jobid]['error']
    ran = []
    with pytest.raises(JobFailed):
        with Part(jobid, 1, progress=p, fail_job_on=[Fatal]):
            ran.append(1)
    assert ran == []


def test_exceptions_of_the_python_backend_propagate_unchanged():
    class Broken(DictProgress):
        def complete_part(self, jobid, partid):
            raise self.error

    p = Broken(topic=memory_topic())
    p.error = KeyError('storage offline')
    jobid = create_job([{}], progress=p)
    with pytest.raises(KeyError) as e:
        with Part(jobid, 0, progress=p):
            pass
    assert e.value is p.error


def test_on_reduce_failure_releases_the_claim_for_the_redelivery():
    p = DictProgress(topic=memory_topic())
    jobid = create_job([{}], progress=p)
    calls = []

    def flaky(message, topic, subject=None):
        calls.append(message)
        if len(calls) == 1:
            raise ConnectionError('reduce service down')

    with pytest.raises(ConnectionError):
        with Part(jobid, 0, progress=p, on_reduce=flaky):
            pass
    # The message is delivered again: the claim was given back, so the reduce goes out now.
    with Part(jobid, 0, progress=p, on_reduce=flaky):
        pass
    assert calls == [{'jobid': jobid, 'metadata': {}}] * 2
    with Part(jobid, 0, progress=p, on_reduce=flaky):
        pass
    assert len(calls) == 2


def test_a_backend_with_its_own_atomic_claim():
    class Claiming(DictProgress):
        def claim_reduce(self, jobid):
            self.calls.append('claim_reduce')
            with self.lock:
                job = self._job(jobid)
                if job.get('claimed') or 'error' in job:
                    return None
                job['claimed'] = 'token-%d' % len(self.calls)
                return job['claimed']

        def release_reduce(self, jobid, token):
            self.calls.append('release_reduce')
            with self.lock:
                if self.jobs[jobid].get('claimed') == token:
                    self.jobs[jobid]['claimed'] = None

        def confirm_reduce(self, jobid, token):
            self.calls.append('confirm_reduce')
            with self.lock:
                if self.jobs[jobid].get('claimed') != token:
                    return False
                self.jobs[jobid]['confirmed'] = True
                return True

    p = Claiming(topic=memory_topic())
    jobid = create_job([{}, {}], progress=p)
    reduces = []
    for partid in (0, 1, 1, 0):
        with Part(jobid, partid, progress=p, on_reduce=lambda m, t, subject=None: reduces.append(m)):
            pass
    assert len(reduces) == 1
    # The delivery that completed the job claims once; each later one claims once as it completes
    # its part and once more after reading the claim (this status() does not report it), then
    # succeeds: a backend that does not report its claims cannot have them taken over.
    assert p.calls.count('claim_reduce') == 5
    assert p.jobs[jobid]['confirmed'] is True
    assert 'reduce_message_sent' not in p.jobs[jobid]['metadata']


def test_a_failed_job_is_never_reduced():
    p = DictProgress(topic=memory_topic())
    jobid = create_job([{}], progress=p)
    p.fail_job(jobid, 'given up')
    with Part(jobid, 0, progress=p):
        pass
    assert memory_messages(p, 'reduce') == []


def test_not_a_backend_is_a_progress_type_error():
    from watchbot_progress.errors import ProgressTypeError
    with pytest.raises(ProgressTypeError):
        create_job([{}], progress=object())
    with pytest.raises(ProgressTypeError) as e:
        with Part('job', 0, progress={'not': 'a backend'}):
            pass
    assert isinstance(e.value, TypeError)


def test_an_incomplete_backend_cannot_be_instantiated():
    class Incomplete(WatchbotProgressBase):
        def status(self, jobid, part=None):
            return {}

    with pytest.raises(TypeError):
        Incomplete()
