"""The exceptions of watchbot_progress.

The Python tool's three classes keep their bases (``JobDoesNotExist`` and ``JobFailed`` are
``RuntimeError``\\ s, ``ProgressTypeError`` a ``TypeError``), so ``except`` clauses written for it
still catch them; ``JobDoesNotExist`` is also a ``KeyError``, what the tool's DynamoDB backend
raised for a missing job. Every exception the package raises also derives from
``WatchbotProgressError``; the others are the C++ library's errors. Messages are one line.

An exception raised by Python code the package calls (a backend of your own, ``on_reduce``, a
generator of parts, a replaced ``sns_worker``) reaches the caller as it was raised, the same
object; what the C++ code prints or quotes of it (a warning on stderr, a ``PublishError``'s message)
is one line, ``TypeName: message``.
"""


class WatchbotProgressError(Exception):
    """Base of every error watchbot_progress raises."""


class JobDoesNotExist(WatchbotProgressError, RuntimeError, KeyError):
    """The reduce mode job doesn't exist (it was never created, or was deleted).

    A ``RuntimeError`` (the Python tool's class) and a ``KeyError`` (what the tool's
    ``DynamoProgress.status`` raised for a missing job), so either ``except`` clause catches it.
    ``jobid``: the job asked for.
    """

    jobid = None

    # The message as given: KeyError's own __str__ would show its repr ('...' in quotes).
    __str__ = Exception.__str__


class DatabaseDoesNotExist(JobDoesNotExist):
    """The SQLite database file a backend names does not exist, so no job is there: raised by every
    call that reads or changes existing jobs, which never create the file (only ``create_job`` and
    ``set_total`` do). A ``JobDoesNotExist``, so ``except`` clauses for a missing job catch it.

    ``path``: the file, as given (relative to the current directory when relative); ``jobid``: the
    job asked for, or None.
    """

    path = None


class JobFailed(WatchbotProgressError, RuntimeError):
    """The job was marked failed: raised by ``Part`` (with ``fail_job_on``) before its block runs.

    ``jobid`` and ``reason``: the job and why it failed.
    """

    jobid = None
    reason = None


class ProgressTypeError(WatchbotProgressError, TypeError):
    """The progress argument is not a WatchbotProgressBase instance."""


class InvalidInput(WatchbotProgressError, ValueError):
    """Bad input: parts, job or part ids, metadata, URIs, messages over the service limits.

    Raised before anything is written.
    """


class BackendError(WatchbotProgressError, RuntimeError):
    """The database or AWS failed.

    ``code``: the service's error code (e.g. ``ThrottlingException``, ``ConnectionError``,
    ``WRONGPASS``); ``retryable``: whether trying again may succeed.
    """

    code = None
    retryable = False


class PublishError(BackendError):
    """Some map messages could not be published (the job exists).

    ``failed_indexes``: the part ids whose messages were not sent.
    """

    failed_indexes = ()


class ReducePending(BackendError):
    """The part is done, and the job is complete, but another delivery holds the job's reduce claim
    unconfirmed and younger than the lease: it may still be sending, or it died after claiming.

    Let it propagate so that the worker exits non-zero and watchbot delivers the message again; a
    delivery after the lease takes the claim over and sends the reduce. Never swallow it: a message
    whose worker exits 0 is deleted, and with it the reduce's last chance. ``jobid``: the job;
    ``retry_after``: seconds the claim's lease still runs (0 when unknown); ``retryable`` is True.
    """

    jobid = None
    retry_after = 0.0


class ConfigError(WatchbotProgressError, RuntimeError):
    """Missing or malformed configuration: ProgressTable / WorkTopic unset or not an ARN, a feature
    not built in."""


__all__ = [
    'WatchbotProgressError', 'JobDoesNotExist', 'DatabaseDoesNotExist', 'JobFailed', 'ProgressTypeError',
    'InvalidInput', 'BackendError', 'PublishError', 'ReducePending', 'ConfigError']
