"""The backend interface: ``WatchbotProgressBase``.

A Python subclass that implements the abstract methods (the Python tool's interface) is a backend
of its own: ``create_job`` and ``Part`` drive it through the C++ guard, which calls back into
Python. The built-in backends (``DynamoProgress``, ``RedisProgress``, ``NativeProgress``) are
subclasses too, implemented in C++.

Methods a custom backend implements (``jobid`` a str, ``partid`` an int from 0):

``status(jobid, part=None)``
    a dict: ``progress`` (0 to 1) and ``metadata`` (a dict), with either the Redis style
    ``failed`` (bool) plus ``error`` (the reason), or the DynamoDB style ``failed`` holding the
    reason and present only when the job failed; optionally ``total``, ``remaining`` and
    ``reduceSent``. With ``part``: ``{'part': part, 'complete': bool}``.
``set_total(jobid, parts)``
    creates the job with ``len(parts)`` parts pending (``create_job`` passes ``range(total)``).
``fail_job(jobid, reason)``, ``complete_part(jobid, partid)`` (returns whether no part is pending),
``set_metadata(jobid, metadata)`` (merge the dict's keys), ``list_pending_parts(jobid)``,
``list_jobs(status=True)`` (status dicts, or job ids with ``status=False``).

Optional:

``delete(jobid)``
    removes the job (the base raises NotImplementedError).
``claim_reduce(jobid)`` -> token, ``release_reduce(jobid, token)``, ``confirm_reduce(jobid, token)``
    the reduce claim: ``claim_reduce`` must return a token (a new random str; True also works,
    for a claim without owner) for exactly one caller per job, however many race, and None
    (or False) once the job is claimed or failed, and while any part is pending: check "no part
    pending" in the same atomic operation as the claim (a job overwritten after it was seen complete
    must not be claimed); ``release_reduce`` gives the claim back when
    sending the reduce failed, ``confirm_reduce`` records that it was sent (and returns False
    when the token no longer holds the claim); both must do nothing unless ``token`` still holds
    the claim (another worker may have taken over a claim whose worker stalled). Implement
    ``claim_reduce`` with your store's atomic operation (a conditional write) for exactly one
    reduce across processes. Without it, the claim is ``status`` then
    ``set_metadata(jobid, {'reduce_message_sent': True})`` (the Python tool's way), made atomic
    within one process by a lock but not across processes.
"""

import abc


class WatchbotProgressBase(abc.ABC):
    """Abstract base class of every backend (see the module's documentation)."""

    #: The SNS topic ARN map and reduce messages go to; None: the ``WorkTopic`` environment variable.
    topic = None

    @abc.abstractmethod
    def status(self, jobid, part=None):
        """The job's status as a dict (or a part's, with ``part``)."""

    @abc.abstractmethod
    def set_total(self, jobid, parts):
        """Create the job with ``len(parts)`` parts pending."""

    @abc.abstractmethod
    def fail_job(self, jobid, reason):
        """Mark the job failed with ``reason``."""

    @abc.abstractmethod
    def complete_part(self, jobid, partid):
        """Mark the part complete; return whether no part is pending any more."""

    @abc.abstractmethod
    def set_metadata(self, jobid, metadata):
        """Merge the keys of the dict ``metadata`` into the job's metadata."""

    @abc.abstractmethod
    def list_pending_parts(self, jobid):
        """The ids of the job's pending parts."""

    @abc.abstractmethod
    def list_jobs(self, status=True):
        """Every job: status dicts, or job ids when ``status`` is False."""

    def delete(self, jobid):
        """Remove every record of the job."""
        raise NotImplementedError(
            '{} has no delete(jobid): implement it to delete jobs'.format(type(self).__name__))

    def _wp_backend(self, create=False, jobid=None):
        """The C++ backend that create_job (``create``: it may create the store) and Part (``jobid``)
        drive: this object, through the driver."""
        from watchbot_progress import _core
        from watchbot_progress.backends._driver import Driver
        return _core.python_backend(Driver(self))
