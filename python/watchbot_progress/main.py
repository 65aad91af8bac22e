"""The main interfaces: ``create_job`` (the start worker's call) and ``Part`` (the map worker's)."""

import contextlib

from watchbot_progress import _core, _ids, _notifiers
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.errors import InvalidInput, JobFailed, ProgressTypeError

__all__ = ['create_job', 'Part', 'JobFailed']

# Failure reasons stored with a failed job are cut to this many characters.
_MAX_REASON = 2000


def _progress(progress):
    if progress is None:
        from watchbot_progress.backends.dynamodb import DynamoProgress
        progress = DynamoProgress()
    if not isinstance(progress, WatchbotProgressBase):
        raise ProgressTypeError(
            'progress must be an instance of WatchbotProgressBase (DynamoProgress, RedisProgress or a subclass of '
            'your own), not {}'.format(type(progress).__name__))
    return progress


def create_job(parts, jobid=None, workers=25, progress=None, metadata=None, overwrite=False):
    """Create a reduce-mode job and return its id.

    Every part is checked first (a dict; JSON-serializable; any ``jobid``/``partid`` it carries equal
    to the job's id and its position; each map message within SNS's 256 KB) and InvalidInput is
    raised before anything is written. Then the job is written to the backend with ``len(parts)``
    parts and the metadata, and one SNS message per part is published with ``Subject=map`` and, as
    ``Message``, the part plus ``jobid``, ``partid`` (0-based) and ``metadata`` — in batches of 10,
    ``workers`` batches at once.

    parts: a list of dicts, or any iterable of them (a generator is read once and never held in
        memory whole).
    jobid: the job id; None: a new UUID4.
    workers: batches published at once.
    progress: the backend (a WatchbotProgressBase); None: DynamoProgress() (``ProgressTable``,
        ``WorkTopic``).
    metadata: a dict stored with the job and sent in every map and reduce message.
    overwrite: replace an existing job of the same id instead of refusing it (InvalidInput).

    Raises PublishError (its ``failed_indexes`` are the part ids) when some messages could not be
    published after retries; the job exists then. The GIL is released while the job is written
    and published.
    """
    progress = _progress(progress)
    if jobid is not None and jobid != '':
        _ids.jobid(jobid)
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise InvalidInput('workers must be an int from 1, not {!r}'.format(workers))
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput('metadata must be a dict (or None), not {}'.format(type(metadata).__name__))
    notifier = _notifiers.for_topic(getattr(progress, 'topic', None))
    backend = progress._wp_backend(create=True)  # after the topic: a bad topic_arn creates no SQLite file
    return _core.create_job(parts, backend, notifier, jobid or '', workers, metadata, bool(overwrite))


def _describe(error):
    name = type(error).__qualname__
    try:
        text = str(error)
    except Exception:  # a broken __str__ must not hide the user's exception
        text = ''
    described = '{}: {}'.format(name, text) if text else name
    return described[:_MAX_REASON]


class Part(contextlib.ContextDecorator):
    """Context manager (and decorator) around the processing of one part of a reduce-mode job.

    When the block succeeds, the part is marked complete; the worker that completes the job's last
    part sends its one ``Subject=reduce`` message ``{"jobid": ..., "metadata": {...}}`` (or calls
    ``on_reduce`` instead), however many times and however concurrently the parts are delivered.

    When the block raises, the exception propagates unchanged (the same object). If it is an
    instance of a type in ``fail_job_on`` (subclasses included), the job is first marked failed
    with a reason naming the part and the exception; with ``fail_job_on`` set, entering the block
    of a failed job raises JobFailed instead of running it. Other exceptions leave the job alone
    (watchbot retries the message).

    jobid, partid: from the map message (``Part(**message)`` works: other keys are ignored).
    progress: the backend; None: DynamoProgress().
    fail_job_on: exception types that fail the whole job.
    on_reduce: called as ``on_reduce(message, topic, subject='reduce')`` instead of publishing the
        reduce message (``message`` is the reduce message as a dict, ``topic`` the backend's topic).

    The GIL is released while the guard waits for the database and SNS, so threads run guards in
    parallel.
    """

    def __init__(self, jobid, partid, progress=None, fail_job_on=(), on_reduce=None, **kwargs):
        self.jobid = jobid
        self.partid = partid
        self.progress = progress
        self.fail_job_on = fail_job_on
        self.on_reduce = on_reduce
        self._guard = None
        self._fail_types = ()

    def _recreate_cm(self):  # each decorated call gets a guard of its own
        return Part(self.jobid, self.partid, self.progress, self.fail_job_on, self.on_reduce)

    def __enter__(self):
        progress = _progress(self.progress)
        jobid = _ids.jobid(self.jobid)
        partid = _ids.partid(self.partid)
        fail_types = tuple(self.fail_job_on or ())
        for t in fail_types:
            if not (isinstance(t, type) and issubclass(t, BaseException)):
                raise TypeError('fail_job_on must hold exception classes, not {!r}'.format(t))
        topic = getattr(progress, 'topic', None)
        reduce_hook = None
        notifier = None
        if self.on_reduce is not None:
            on_reduce = self.on_reduce

            def reduce_hook(reduce_jobid, metadata):
                on_reduce({'jobid': reduce_jobid, 'metadata': metadata}, topic, subject='reduce')
        else:
            notifier = _notifiers.for_topic(topic)
        guard = _core.Guard(jobid, partid, progress._wp_backend(jobid=jobid), notifier, bool(fail_types), reduce_hook)
        guard.begin()
        self._guard = guard
        self._fail_types = fail_types
        return None

    def __exit__(self, exc_type, exc, tb):
        guard, self._guard = self._guard, None
        if guard is None:
            return False
        if exc_type is None:
            guard.succeed()
        elif isinstance(exc, Exception):
            # KeyboardInterrupt, SystemExit and the like leave the job alone.
            fatal = bool(self._fail_types) and isinstance(exc, self._fail_types)
            guard.fail(fatal, _describe(exc))
        return False
