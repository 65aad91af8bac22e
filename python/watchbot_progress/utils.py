"""The Python tool's helpers: ``chunker``, ``aws_send_message``, ``sns_worker`` and ``boto3_session``.

``aws_send_message`` publishes through the C++ library's SNS client; ``boto3_session`` is
``boto3.session.Session``, imported only when called, so the package needs no boto3.

Tests written for the Python tool replace these names with ``unittest.mock.patch``, and the
replacement is used as the tool used it: ``sns_worker`` sends through ``aws_send_message``, which
sends through ``boto3_session().client('sns')`` when ``boto3_session`` was replaced. Whether a name
was replaced is an identity check against the function defined here (``_originals``), so the
unreplaced path is the native one. docs/python.md ("Tests") says which name reroutes what.
"""

import json

from watchbot_progress import _notifiers

__all__ = ['chunker', 'aws_send_message', 'sns_worker', 'boto3_session']


def chunker(sequence, n):
    """Yields consecutive slices of ``sequence`` of ``n`` items each (the last may be shorter)."""
    for start in range(0, len(sequence), n):
        yield sequence[start:start + n]


def _boto3_session_class():
    try:
        from boto3.session import Session
    except ImportError:
        raise ImportError(
            'watchbot_progress.utils.boto3_session() is boto3.session.Session, and boto3 is not installed: pip '
            'install boto3 to use it. watchbot_progress itself needs no boto3: aws_send_message and create_job '
            'publish through its own SNS client, and watchbot_progress.testing replaces AWS in tests') from None
    return Session


class boto3_session(object):
    """``boto3.session.Session``: ``boto3_session(...)`` returns ``boto3.session.Session(...)``.

    boto3 is imported at the first call (ImportError saying so when it is not installed), never when
    the package is imported. A name to replace in tests, as in the Python tool: with
    ``unittest.mock.patch('watchbot_progress.utils.boto3_session')``, ``aws_send_message`` and
    ``sns_worker`` publish through ``boto3_session().client('sns')``, the replacement's.
    """

    def __new__(cls, *args, **kwargs):
        return _boto3_session_class()(*args, **kwargs)

    def client(self, *args, **kwargs):
        """``boto3.session.Session.client`` (instances are boto3's own; this is here so that
        ``patch('watchbot_progress.utils.boto3_session.client')`` finds the name, as on the tool)."""
        return _boto3_session_class().client(self, *args, **kwargs)


def aws_send_message(message, topic, subject=None, client=None):
    """Publishes ``json.dumps(message)`` to the SNS topic ``topic`` (an ARN) with ``subject``.

    Through the C++ library's SNS client (region from the ARN, credentials and endpoint from the
    usual AWS settings), with the GIL released; returns None. With ``client`` (a boto3 SNS client),
    or when ``boto3_session`` was replaced (a test's mock), through that client's ``publish``
    instead, returning its answer. ``topic`` may also be memory://NAME or sqlite:///path.
    """
    body = json.dumps(message)
    if client is None and boto3_session is not _originals['boto3_session']:
        client = boto3_session().client('sns')
    if client is not None:
        return client.publish(Message=body, Subject=subject, TargetArn=topic)
    if not topic:
        raise ValueError('aws_send_message needs a topic (an SNS topic ARN), not {!r}'.format(topic))
    _notifiers.for_topic(topic).publish(subject or '', body)
    return None


def sns_worker(messages, topic, subject=None):
    """Publishes each message of ``messages`` (dicts) with ``aws_send_message``, one at a time; returns True.

    With ``boto3_session`` replaced, one client of it serves every message, as in the Python tool.
    ``create_job`` calls ``watchbot_progress.main.sns_worker`` only when a test replaced it (or a
    function it calls): otherwise the map messages go out in batches from C++.
    """
    client = boto3_session().client('sns') if boto3_session is not _originals['boto3_session'] else None
    for message in messages:
        aws_send_message(message, topic, subject=subject, client=client)
    return True


# The functions as defined here: a module attribute that is not its original was replaced (by a test).
_originals = {'chunker': chunker, 'aws_send_message': aws_send_message, 'sns_worker': sns_worker,
              'boto3_session': boto3_session}
