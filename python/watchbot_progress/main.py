"""The main interfaces: ``create_job`` (the start worker's call) and ``Part`` (the map worker's)."""

import contextlib
import json
import uuid
from time import monotonic_ns as _monotonic_ns

from watchbot_progress import _core, _ids, _notifiers
from watchbot_progress import utils as _utils
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.backends.dynamodb import DynamoProgress
from watchbot_progress.errors import InvalidInput, JobFailed, ProgressTypeError
# The Python tool's names here, which its users' tests replace (unittest.mock.patch): a replaced
# sns_worker receives create_job's map messages, a replaced aws_send_message Part's reduce.
from watchbot_progress.utils import aws_send_message, chunker, sns_worker  # noqa: F401 (chunker: a name of the tool's)

__all__ = ['create_job', 'Part', 'JobFailed']

# What Part compares main.aws_send_message with (one global lookup and `is` per Part).
_original_aws_send_message = aws_send_message

# Failure reasons stored with a failed job are cut to this many characters.
_MAX_REASON = 2000


def _progress(progress):
    if progress is None:
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
    notifier = _map_notifier(getattr(progress, 'topic', None), parts, workers)
    backend = progress._wp_backend(create=True)  # after the topic: a bad topic_arn creates no SQLite file
    jobid = jobid or str(uuid.uuid4())  # uuid.uuid4 looked up now: tests replace it, as on the Python tool
    return _core.create_job(parts, backend, notifier, jobid, workers, metadata, bool(overwrite))


def _map_notifier(topic, parts, workers):
    """Where create_job's map messages go: the topic's notifier; or, when a test replaced
    ``main.sns_worker``, ``utils.aws_send_message`` or ``utils.boto3_session`` (the functions the
    Python tool's create_job sent through), a notifier that calls ``main.sns_worker(messages,
    topic=topic, subject='map')`` with the messages as dicts, in the tool's chunks: max(ceil(n /
    workers), workers) messages for a list or tuple of n parts, ``workers`` for another iterable."""
    originals = _utils._originals
    if (sns_worker is originals['sns_worker'] and _utils.aws_send_message is originals['aws_send_message']
            and _utils.boto3_session is originals['boto3_session']):
        return _notifiers.for_topic(topic)
    count = len(parts) if isinstance(parts, (list, tuple)) else 0
    chunk = max(-(-count // workers), workers) if workers >= 1 else 1

    def publish(batch):
        sns_worker([json.loads(body) for _, body in batch], topic=topic, subject=batch[0][0])

    return _core.python_notifier(publish, chunk, 'watchbot_progress.main.sns_worker (replaced) for topic {!r}'.format(
        topic))


def _reduce_through_aws_send_message(topic):
    """Part's reduce when a test replaced ``main.aws_send_message``: through it, with the Python
    tool's arguments (the message as a dict, the topic, ``subject='reduce'``)."""
    def send(jobid, metadata):
        aws_send_message({'jobid': jobid, 'metadata': metadata}, topic, subject='reduce')
    return send


def _describe(error):
    name = type(error).__qualname__
    try:
        text = str(error)
    except Exception:  # a broken __str__ must not hide the user's exception
        text = ''
    described = '{}: {}'.format(name, text) if text else name
    return described[:_MAX_REASON]


def _fail_types(fail_job_on):
    fail_types = tuple(fail_job_on)
    for t in fail_types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError('fail_job_on must hold exception classes, not {!r}'.format(t))
    return fail_types


# The largest part id the C++ guard takes (a signed 64-bit integer).
_MAX_PARTID = 2 ** 63 - 1

# The last job id the C++ guard's entry accepted (a valid id, whatever the backend). A delivery of
# that job whose entry has nothing else to check (no fail_job_on, a topic or on_reduce given) skips
# the entry call; shared by every thread (a race only stores another accepted id).
_accepted_jobid = None


def _guards(progress, jobid, on_reduce, on_failed=None):
    """The C++ guard steps (_core.Guards) for deliveries to ``progress``, and whether their entry
    checks only the ids (False: no topic and no on_reduce, so the entry opens the ``WorkTopic``
    notifier, which may be missing).

    Without on_reduce (and with ``main.aws_send_message`` as it is), a built-in backend's
    (NativeProgress: its C++ backend is opened once) are made once per C++ backend and topic and
    kept on the progress object (``_wp_guards``: the backend, the topic, the Guards), so the next
    delivery only checks that the backend and ``progress.topic`` are still those. A backend of the
    user's own (its C++ side is a new driver each time), on_reduce, on_failed and a replaced
    ``main.aws_send_message`` get new ones for this delivery."""
    backend = progress._wp_backend(jobid=jobid)
    topic = getattr(progress, 'topic', None)
    if on_reduce is None and aws_send_message is _original_aws_send_message:
        if on_failed is not None:  # a hook of this delivery's: guards of its own
            return _core.Guards(backend, _notifiers.for_topic(topic), None, on_failed), bool(topic)
        cached = getattr(progress, '_wp_guards', False)  # False: not a NativeProgress
        if cached and cached[0] is backend and cached[1] == topic:
            return cached[2], bool(topic)
        guards = _core.Guards(backend, _notifiers.for_topic(topic), None)
        if cached is not False:
            progress._wp_guards = (backend, topic, guards)
        return guards, bool(topic)

    if on_reduce is None:  # main.aws_send_message replaced by a test
        return _core.Guards(backend, None, _reduce_through_aws_send_message(topic), on_failed), True

    def reduce_hook(reduce_jobid, metadata):
        on_reduce({'jobid': reduce_jobid, 'metadata': metadata}, topic, subject='reduce')
    return _core.Guards(backend, None, reduce_hook, on_failed), True


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
    on_failed: called as ``on_failed(alert)`` once per job, when this delivery's exception (a
        ``fail_job_on`` match) failed the job: ``alert`` is the ``failed`` alert as a dict (``jobid``,
        ``state``, ``total``, ``remaining``, ``failedParts``, ``reason``, ...). What it raises is
        reported on stderr and changes nothing. With ``AlertTopic`` set the alert is also published there.

    The GIL is released while the guard waits for the database and SNS, so threads run guards in
    parallel. The guard's C++ side is made once per backend and topic and kept on the progress
    object: a delivery resolves nothing again.
    """

    def __init__(self, jobid, partid, progress=None, fail_job_on=(), on_reduce=None, on_failed=None, **kwargs):
        self.jobid = jobid
        self.partid = partid
        self.progress = progress
        self.fail_job_on = fail_job_on
        self.on_reduce = on_reduce
        self.on_failed = on_failed
        self._entered = None  # (guards, jobid, partid, fail types, start) between __enter__ and __exit__

    def _recreate_cm(self):  # each decorated call gets a guard of its own
        return Part(self.jobid, self.partid, self.progress, self.fail_job_on, self.on_reduce, self.on_failed)

    def __enter__(self):
        global _accepted_jobid
        started = _monotonic_ns()  # the delivery's start, for its metrics line (WATCHBOT_PROGRESS_METRICS)
        progress = self.progress
        if progress is None or not isinstance(progress, WatchbotProgressBase):
            progress = _progress(progress)
        jobid = self.jobid
        if type(jobid) is not str:
            jobid = _ids.jobid(jobid)
        partid = self.partid
        if type(partid) is not int:
            partid = _ids.partid(partid)
        fail_types = _fail_types(self.fail_job_on) if self.fail_job_on else ()
        guards, ids_only = _guards(progress, jobid, self.on_reduce, self.on_failed)
        if fail_types or not ids_only or jobid != _accepted_jobid or not 0 <= partid <= _MAX_PARTID:
            # The C++ entry: the ids' checks (InvalidInput), the failed job's (JobFailed).
            guards.begin(jobid, partid, bool(fail_types))
            _accepted_jobid = jobid if type(jobid) is str else None
        self._entered = (guards, jobid, partid, fail_types, started)
        return None

    def __exit__(self, exc_type, exc, tb):
        entered, self._entered = self._entered, None
        if entered is None:
            return False
        guards, jobid, partid, fail_types, started = entered
        if exc_type is None:
            guards.succeed(jobid, partid, started)
        elif fail_types and isinstance(exc, fail_types) and isinstance(exc, Exception):
            # Only a fail_job_on match reaches the guard: other exceptions (KeyboardInterrupt,
            # SystemExit and the like included) leave the job alone.
            guards.fail(jobid, partid, _describe(exc), started)
        else:
            # Only the delivery's metrics line, when WATCHBOT_PROGRESS_METRICS asks for it: the job is left alone.
            guards.failed(jobid, partid, started)
        return False
