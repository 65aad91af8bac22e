"""``NativeProgress``: a backend of the C++ library, opened by URI.

``NativeProgress('sqlite:///var/lib/jobs.db')`` (SQLite: one file, many processes),
``NativeProgress('memory://tests')`` (in-process, for unit tests), or any URI ``watchbot-progress-cpp
-d`` takes (a DynamoDB table ARN, ``redis://host:port/db``). ``DynamoProgress`` and ``RedisProgress``
are NativeProgress with the Python tool's constructors and status dicts.

Every method releases the GIL while it waits for the database.
"""

import os
import threading

from watchbot_progress import _core, _ids
from watchbot_progress.backends.base import WatchbotProgressBase
from watchbot_progress.errors import DatabaseDoesNotExist


def _refuse_missing_sqlite(path, jobid=None):
    """Raises DatabaseDoesNotExist when the SQLite file `path` does not exist (opening it would create
    an empty database). Another failure to stat it (no permission, ...) returns: SQLite's own error
    says more."""
    try:
        os.stat(path)
        return
    except FileNotFoundError:
        pass
    except OSError:
        return
    where = '' if os.path.isabs(path) else ' (relative to the current directory, {})'.format(os.getcwd())
    error = DatabaseDoesNotExist(
        "SQLite database '{}'{} does not exist (nothing was created): check the path, or create a job there first "
        "(create_job and set_total create the file)".format(path, where))
    error.path = path
    error.jobid = jobid
    raise error


class NativeProgress(WatchbotProgressBase):
    """A backend of the C++ library, by URI.

    uri: the backend (see the module's documentation).
    topic_arn: the SNS topic of map and reduce messages; None: the ``WorkTopic`` environment
        variable when a message is sent (``memory://NAME`` and ``sqlite:///path`` topics work too).

    A ``sqlite://`` file is opened when first needed, and only ``set_total`` and ``create_job`` create
    it: every other call on a file that does not exist raises DatabaseDoesNotExist (a
    JobDoesNotExist) naming it, and creates nothing. Other URIs are opened here.
    """

    def __init__(self, uri, topic_arn=None):
        self.topic = topic_arn if topic_arn else os.environ.get('WorkTopic')
        sqlite_path = _core.sqlite_path(uri)  # InvalidInput for a malformed sqlite:// URI
        self._set_opener(lambda: _core.open_backend(uri), sqlite_path=sqlite_path)

    def _set_opener(self, opener, sqlite_path=None, lazy=False):
        """How the C++ backend is opened: ``opener()`` now, or when first needed with ``lazy`` or a
        ``sqlite_path`` (the file, which only a creating call may create)."""
        self._opener = opener
        self._sqlite_path = sqlite_path
        self._open_lock = threading.Lock()
        self._opened = None
        if sqlite_path is None and not lazy:
            self._opened = opener()

    def _wrap_backend(self, wrapper):
        """Replaces the C++ backend with ``wrapper(backend)`` (now, or when it is opened)."""
        with self._open_lock:
            if self._opened is not None:
                self._opened = wrapper(self._opened)
            else:
                opener = self._opener
                self._opener = lambda: wrapper(opener())

    def _open(self, create=False, jobid=None):
        """The C++ backend, opened on first use. Without ``create``, a SQLite file that does not exist
        is refused (DatabaseDoesNotExist) until it does."""
        backend = self._opened
        if backend is None:
            with self._open_lock:
                if self._opened is None:
                    if self._sqlite_path is not None and not create:
                        _refuse_missing_sqlite(self._sqlite_path, jobid)
                    self._opened = self._opener()
                backend = self._opened
        return backend

    # The C++ backend create_job and Part drive (the base class's hook): the one opened here.
    _wp_backend = _open

    # main.Part's guard steps for this backend and topic, kept between deliveries (main._guards).
    _wp_guards = None

    def __repr__(self):
        backend = self._opened
        if backend is not None:
            return '<{} {}>'.format(type(self).__name__, backend.describe())
        if self._sqlite_path is not None:
            return '<{} {} (not opened yet)>'.format(type(self).__name__, self._sqlite_path)
        return '<{} (not opened yet)>'.format(type(self).__name__)

    # The status dict: the Python tool's RedisProgress shape, plus reduceSent.
    def _status_dict(self, s):
        data = {
            'metadata': s['metadata'],
            'jobid': s['jobid'],
            'progress': s['progress'],
            'total': s['total'],
            'remaining': s['remaining'],
            'failed': s['failed'],
        }
        if s['failed']:
            data['error'] = s['reason'] if s['reason'] is not None else ''
        data['reduceSent'] = s['reduce_sent']
        return data

    def status(self, jobid, part=None):
        """The job's status dict; with ``part``, ``{'part': part, 'complete': bool}``.

        Raises JobDoesNotExist for an unknown job.
        """
        _ids.jobid(jobid)
        if part is not None:
            partid = _ids.partid(part)
            return {'part': part, 'complete': self._open(jobid=jobid).part_complete(jobid, partid)}
        return self._status_dict(self._open(jobid=jobid).status(jobid))

    def set_total(self, jobid, parts, overwrite=False):
        """Create the job with ``len(parts)`` parts (0 .. n-1) pending; ``parts`` may be the number.

        An existing job is refused (InvalidInput) unless ``overwrite``, which resets its parts,
        failure and reduce flag and keeps its metadata.
        """
        jobid, total = _ids.jobid(jobid), _ids.total(parts)
        self._open(create=True).set_total(jobid, total, bool(overwrite))

    def fail_job(self, jobid, reason):
        """Mark the job failed; ``reason`` is stored as text."""
        jobid = _ids.jobid(jobid)
        self._open(jobid=jobid).fail_job(jobid, str(reason))

    def complete_part(self, jobid, partid):
        """Mark the part complete (idempotent); return whether no part is pending any more."""
        jobid, partid = _ids.jobid(jobid), _ids.partid(partid)
        return self._open(jobid=jobid).complete_part(jobid, partid)

    def set_metadata(self, jobid, metadata):
        """Merge the keys of the dict ``metadata`` into the job's metadata (other keys are kept)."""
        jobid = _ids.jobid(jobid)
        self._open(jobid=jobid).set_metadata(jobid, metadata)

    def delete(self, jobid):
        """Remove every record of the job; return whether there was one."""
        jobid = _ids.jobid(jobid)
        return self._open(jobid=jobid).delete_job(jobid)

    def list_pending_parts(self, jobid):
        """The ids of the job's pending parts, ascending. Raises JobDoesNotExist for an unknown job."""
        jobid = _ids.jobid(jobid)
        return self._open(jobid=jobid).list_pending_parts(jobid)

    def list_jobs(self, status=True):
        """A generator of every job's status dict, or with ``status=False`` of its id (in the store's order).

        The database is read here, before the first item is asked for."""
        jobs = self._open().list_jobs()
        return (self._status_dict(s) if status else s['jobid'] for s in jobs)
