"""The notifier (C++) of a topic, made once per topic per process and shared: notifiers are
thread-safe and keep their HTTP connections and credentials between messages."""

import threading

from watchbot_progress import _core

_lock = threading.Lock()
_by_topic = {}


def for_topic(topic):
    """The notifier of ``topic`` (an SNS topic ARN, memory://NAME, sqlite:///path); None for None
    (the C++ code then reads the ``WorkTopic`` environment variable)."""
    if not topic:
        return None
    if not isinstance(topic, str):
        raise TypeError('the topic must be a str (an SNS topic ARN), not {}'.format(type(topic).__name__))
    with _lock:
        notifier = _by_topic.get(topic)
        if notifier is None:
            notifier = _core.open_notifier(topic)
            _by_topic[topic] = notifier
        return notifier
