"""Helpers: ``aws_send_message`` publishes a message as the guard does, for ``on_reduce`` callbacks
that send the reduce themselves after their own work."""

import json

from watchbot_progress import _notifiers


def aws_send_message(message, topic, subject=None, client=None):
    """Publish ``json.dumps(message)`` to the SNS topic ``topic`` (an ARN) with ``subject``.

    Through the C++ library's SNS client (region from the ARN, credentials and endpoint from the
    usual AWS settings), with the GIL released. With ``client`` (a boto3 SNS client), through that
    client instead, returning its answer. ``topic`` may also be memory://NAME or sqlite:///path.
    """
    body = json.dumps(message)
    if client is not None:
        return client.publish(Message=body, Subject=subject, TargetArn=topic)
    if not topic:
        raise ValueError('aws_send_message needs a topic (an SNS topic ARN), not {!r}'.format(topic))
    _notifiers.for_topic(topic).publish(subject or '', body)
    return None
