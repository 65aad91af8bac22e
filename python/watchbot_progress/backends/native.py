"""``NativeProgress``: a backend of the C++ library, opened by URI.

``NativeProgress('sqlite:///var/lib/jobs.db')`` (SQLite: one file, many processes),
``NativeProgress('memory://tests')`` (in-process, for unit tests), or any URI ``watchbot-progress-cpp
-d`` takes (a DynamoDB table ARN, ``redis://host:port/db``). ``DynamoProgress`` and ``RedisProgress``
are NativeProgress with the Python tool's constructors and status dicts.

Every method releases the GIL while it waits for the database.
"""

import os

from watchbot_progress import _core, _ids
from watchbot_progress.backends.base import WatchbotProgressBase


class NativeProgress(WatchbotProgressBase):
    """A backend of the C++ library, by URI.

    uri: the backend (see the module's documentation).
    topic_arn: the SNS topic of map and reduce messages; None: the ``WorkTopic`` environment
        variable when a message is sent (``memory://NAME`` and ``sqlite:///path`` topics work too).
    """

    def __init__(self, uri, topic_arn=None):
        self.topic = topic_arn if topic_arn else os.environ.get('WorkTopic')
        self._backend = _core.open_backend(uri)

    def _wp_backend(self):
        return self._backend

    def __repr__(self):
        return '<{} {}>'.format(type(self).__name__, self._backend.describe())

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
            return {'part': part, 'complete': self._backend.part_complete(jobid, _ids.partid(part))}
        return self._status_dict(self._backend.status(jobid))

    def set_total(self, jobid, parts, overwrite=False):
        """Create the job with ``len(parts)`` parts (0 .. n-1) pending; ``parts`` may be the number.

        An existing job is refused (InvalidInput) unless ``overwrite``, which resets its parts,
        failure and reduce flag and keeps its metadata.
        """
        self._backend.set_total(_ids.jobid(jobid), _ids.total(parts), bool(overwrite))

    def fail_job(self, jobid, reason):
        """Mark the job failed; ``reason`` is stored as text."""
        self._backend.fail_job(_ids.jobid(jobid), str(reason))

    def complete_part(self, jobid, partid):
        """Mark the part complete (idempotent); return whether no part is pending any more."""
        return self._backend.complete_part(_ids.jobid(jobid), _ids.partid(partid))

    def set_metadata(self, jobid, metadata):
        """Merge the keys of the dict ``metadata`` into the job's metadata (other keys are kept)."""
        self._backend.set_metadata(_ids.jobid(jobid), metadata)

    def delete(self, jobid):
        """Remove every record of the job; return whether there was one."""
        return self._backend.delete_job(_ids.jobid(jobid))

    def list_pending_parts(self, jobid):
        """The ids of the job's pending parts, ascending. Raises JobDoesNotExist for an unknown job."""
        return self._backend.list_pending_parts(_ids.jobid(jobid))

    def list_jobs(self, status=True):
        """Yield every job's status dict, or with ``status=False`` its id (in the store's order)."""
        for s in self._backend.list_jobs():
            yield self._status_dict(s) if status else s['jobid']
