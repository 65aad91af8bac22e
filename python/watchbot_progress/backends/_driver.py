"""The driver between the C++ guard and a backend written in Python.

``_core.python_backend(Driver(progress))`` is a C++ backend whose every method calls the method of
the same name here (python/src/python_backend.cpp); each turns the C++ Backend call into the Python
tool's interface and its answer into plain values (bool, int, str, the normalised status dict
below). A change of the C++ Backend interface is one method there and one here.

The normalised status: {'jobid', 'total', 'remaining', 'progress', 'failed', 'reason', 'metadata',
'reduce_sent'}.
"""

import threading
import uuid

# Makes the default reduce claim (status, then set_metadata) atomic between the threads of this
# process; processes still race (see base.py: implement claim_reduce for exactly one reduce).
_default_claim_lock = threading.Lock()

_REDUCE_FLAG = 'reduce_message_sent'

# The token of a claim won by a backend's own claim_reduce that answered True rather than a token.
_UNNAMED_CLAIM = 'claimed'


def _flag(value):
    """A stored boolean, as the Python tool's backends give it back: True, 'True', 'true', '1', 1."""
    if isinstance(value, str):
        return value.strip().lower() in ('true', '1')
    return value is True or (isinstance(value, int) and value == 1)


def normalise_status(status, jobid=None):
    """The Python tool's status dict (Redis or DynamoDB style) -> the normalised status."""
    if not isinstance(status, dict):
        raise TypeError('status() must return a dict, not {}'.format(type(status).__name__))
    metadata = dict(status.get('metadata') or {})
    flag = metadata.pop(_REDUCE_FLAG, None)
    failed = status.get('failed')
    reason = status.get('error')
    if isinstance(failed, bool) or failed is None:
        failed = bool(failed)
    else:  # DynamoDB style: the reason itself, present only when failed
        reason = failed
        failed = True
    total = int(status.get('total') or 0)
    remaining = int(status.get('remaining') or 0)
    if 'progress' in status and status['progress'] is not None:
        progress = float(status['progress'])
    else:
        progress = (total - remaining) / total if total else 0.0
    return {
        'jobid': str(status.get('jobid', jobid or '')),
        'total': total,
        'remaining': remaining,
        'progress': progress,
        'failed': failed,
        'reason': None if (reason is None or not failed) else str(reason),
        'metadata': metadata,
        'reduce_sent': _flag(status.get('reduceSent')) or _flag(flag),
    }


class Driver(object):
    """Calls of the C++ Backend interface on a WatchbotProgressBase written in Python."""

    def __init__(self, progress):
        self.progress = progress

    def describe(self):
        cls = type(self.progress)
        return 'python:{}.{}'.format(cls.__module__, cls.__qualname__)

    def set_total(self, jobid, total, overwrite):
        if overwrite:
            self.progress.set_total(jobid, range(total), overwrite=True)
        else:
            self.progress.set_total(jobid, range(total))

    def set_metadata(self, jobid, metadata):
        self.progress.set_metadata(jobid, metadata)

    def complete_part(self, jobid, partid):
        return bool(self.progress.complete_part(jobid, partid))

    def status(self, jobid):
        return normalise_status(self.progress.status(jobid), jobid)

    def claim_reduce(self, jobid):
        """The winner's claim token (a str); None for every other caller."""
        claim = getattr(self.progress, 'claim_reduce', None)
        if claim is not None:
            token = claim(jobid)
            if token is None or token is False:
                return None
            return _UNNAMED_CLAIM if token is True else str(token)
        with _default_claim_lock:
            raw = self.progress.status(jobid)
            status = normalise_status(raw, jobid)
            pending = status['remaining'] > 0 or (raw.get('progress') is not None and float(raw['progress']) < 1)
            if status['failed'] or status['reduce_sent'] or pending:
                return None  # claimed, failed, or a part pending: no claim
            self.progress.set_metadata(jobid, {_REDUCE_FLAG: True})
            return uuid.uuid4().hex

    def release_reduce(self, jobid, token):
        release = getattr(self.progress, 'release_reduce', None)
        if release is not None:
            release(jobid, token)
        else:
            self.progress.set_metadata(jobid, {_REDUCE_FLAG: False})

    def confirm_reduce(self, jobid, token):
        """Whether `token` still held the claim (True when the backend cannot tell)."""
        confirm = getattr(self.progress, 'confirm_reduce', None)
        if confirm is None:
            return True
        held = confirm(jobid, token)
        return True if held is None else bool(held)

    def fail_job(self, jobid, reason):
        self.progress.fail_job(jobid, reason)

    def part_complete(self, jobid, partid):
        try:
            answer = self.progress.status(jobid, part=partid)
        except NotImplementedError:
            answer = None
        if isinstance(answer, dict) and 'complete' in answer:
            return bool(answer['complete'])
        return partid not in set(int(p) for p in self.progress.list_pending_parts(jobid))

    def list_pending_parts(self, jobid):
        return sorted(int(p) for p in self.progress.list_pending_parts(jobid))

    def list_jobs(self):
        return [normalise_status(s) for s in self.progress.list_jobs(status=True)]

    def delete_job(self, jobid):
        result = self.progress.delete(jobid)
        if isinstance(result, (tuple, list)):
            return any(result)
        return True if result is None else bool(result)
