"""Test jobs without AWS or a Redis server: an in-process backend and a topic that records every message.

Plain objects::

    from watchbot_progress.testing import MemoryProgress

    progress = MemoryProgress()                  # jobs in this process, messages recorded
    jobid = create_job(parts, progress=progress)
    for message in progress.recording.maps():    # the map messages, as dicts
        with Part(progress=progress, **message):
            ...
    assert progress.recording.reduces() == [{'jobid': jobid, 'metadata': {}}]

Pytest fixtures (this module is a pytest plugin): ``pytest_plugins = ['watchbot_progress.testing']``
in the top-level conftest.py, or ``from watchbot_progress.testing import watchbot_topic,
watchbot_backend, watchbot_defaults`` in any conftest.py.

``watchbot_topic``
    a new ``RecordingTopic``.
``watchbot_backend``
    a new ``MemoryProgress`` whose messages go to ``watchbot_topic``.
``watchbot_defaults``
    ``watchbot_backend``, also used by ``create_job`` and ``Part`` called without ``progress`` (which
    would make a ``DynamoProgress()``), with ``WorkTopic`` set to its topic, for the test's duration.

The backend is the C++ library's memory backend (``memory://NAME``), with the guard, the reduce
claim and the checks of every other backend; the topic is its memory topic. Both live in this
process, one store per name: each ``MemoryProgress()`` and ``RecordingTopic()`` gets a new name
unless given one. moto's in-process mocks (``mock_aws``) and fakeredis cannot stand in for AWS or
Redis here: they replace boto3's and redis-py's Python code, which this package does not call.
"""

import collections
import json
import uuid

from watchbot_progress import _notifiers
from watchbot_progress.backends.native import NativeProgress

__all__ = ['Message', 'RecordingTopic', 'MemoryProgress', 'watchbot_topic', 'watchbot_backend', 'watchbot_defaults']


class Message(collections.namedtuple('Message', 'subject body text')):
    """A published message: ``subject`` ('map', 'reduce', or yours), ``body`` (the message parsed,
    a dict for map and reduce messages) and ``text`` (its JSON text as published)."""

    __slots__ = ()


def _new_name(prefix):
    return '{}-{}'.format(prefix, uuid.uuid4().hex)


class RecordingTopic(object):
    """A topic kept in this process that records every message published to it, in order.

    name: the topic's name (``arn`` is ``memory://NAME``); None: a new one. Two RecordingTopics of
    one name share their messages, as do every backend and ``aws_send_message`` given the ``arn``.
    """

    def __init__(self, name=None):
        self.name = name or _new_name('topic')
        self.arn = 'memory://' + self.name
        self._notifier = _notifiers.for_topic(self.arn)
        self._cleared = 0

    def messages(self, subject=None):
        """Every message since the topic was made (or cleared), as ``Message``\\ s; with ``subject``,
        only those of that subject. A new list each time."""
        found = self._notifier.messages()[self._cleared:]
        return [Message(s, json.loads(text), text) for s, text in found if subject is None or s == subject]

    def maps(self):
        """The bodies (dicts) of the map messages: each a part plus ``jobid``, ``partid``, ``metadata``."""
        return [m.body for m in self.messages('map')]

    def reduces(self):
        """The bodies (dicts) of the reduce messages: ``{'jobid': ..., 'metadata': {...}}`` each."""
        return [m.body for m in self.messages('reduce')]

    def subjects(self):
        """The subjects of the messages, in order."""
        return [m.subject for m in self.messages()]

    def clear(self):
        """Forgets the messages so far: ``messages()`` returns only later ones."""
        self._cleared = len(self._notifier.messages())

    def __len__(self):
        return len(self._notifier.messages()) - self._cleared

    def __iter__(self):
        return iter(self.messages())

    def __repr__(self):
        return '<RecordingTopic {} ({} messages)>'.format(self.arn, len(self))


class MemoryProgress(NativeProgress):
    """A backend kept in this process (the library's memory backend), for tests.

    topic: a ``RecordingTopic``, or a topic ARN / URI str; None: a new ``RecordingTopic``.
    name: the store's name (``memory://NAME``); None: a new one, so each test has jobs of its own.

    ``recording`` is the RecordingTopic (None when ``topic`` was a str); ``topic`` the topic's ARN,
    as on every backend. Status dicts are ``RedisProgress``'s.
    """

    def __init__(self, topic=None, name=None):
        if topic is None:
            topic = RecordingTopic()
        self.recording = topic if isinstance(topic, RecordingTopic) else None
        self.name = name or _new_name('jobs')
        topic_arn = topic.arn if self.recording is not None else topic
        NativeProgress.__init__(self, 'memory://' + self.name, topic_arn=topic_arn)


try:
    import pytest
except ImportError:  # the plain objects above need no pytest
    pytest = None

if pytest is not None:

    @pytest.fixture
    def watchbot_topic():
        """A new RecordingTopic."""
        return RecordingTopic()

    @pytest.fixture
    def watchbot_backend(watchbot_topic):
        """A new MemoryProgress whose messages go to ``watchbot_topic``."""
        return MemoryProgress(topic=watchbot_topic)

    @pytest.fixture
    def watchbot_defaults(watchbot_backend, monkeypatch):
        """``watchbot_backend``, also what ``create_job`` and ``Part`` use without ``progress``, with
        ``WorkTopic`` set to its topic (until the test ends)."""
        monkeypatch.setattr('watchbot_progress.main.DynamoProgress', lambda *args, **kwargs: watchbot_backend)
        monkeypatch.setenv('WorkTopic', watchbot_backend.topic)
        return watchbot_backend
