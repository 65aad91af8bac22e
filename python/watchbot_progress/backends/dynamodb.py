"""``DynamoProgress``: the Python tool's DynamoDB backend, on the C++ library's DynamoDB client.

Reads and works jobs of the Python and Node tools' layout (one item per job: ``id``, ``parts``,
``total``, ``error``, ``metadata``, ``reduceSent``) and of the library's sharded layout. New jobs are
written in the sharded layout (flat cost per completion at every size), which the other tools cannot
read; with ``WATCHBOT_PROGRESS_DYNAMODB_LAYOUT=compatible`` in the environment they are written in the
other tools' layout (docs/dynamodb-layouts.md; the README's section on mixing tools says when).

Region, endpoint and credentials come from the usual AWS settings: the table ARN's region,
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID`` ..., the shared
credentials file, ECS container credentials, EC2 instance metadata.
"""

import os

from watchbot_progress import _core
from watchbot_progress.backends.native import NativeProgress
from watchbot_progress.errors import ConfigError


class DynamoProgress(NativeProgress):
    """Reduce-mode job tracking in DynamoDB (and SNS for the messages).

    table_arn: the table (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME); None: the ``ProgressTable``
        environment variable.
    topic_arn: the SNS topic; None: the ``WorkTopic`` environment variable when a message is sent.
    """

    def __init__(self, table_arn=None, topic_arn=None):
        if not _core.with_aws:
            raise ConfigError('this build of watchbot_progress has no DynamoDB support: rebuild with -DWP_WITH_AWS=ON')
        self.topic = topic_arn if topic_arn else os.environ.get('WorkTopic')
        self.table_arn = table_arn if table_arn else os.environ.get('ProgressTable')
        self.table = self.table_arn.split(':table/')[-1] if self.table_arn else None
        self._backend = _core.dynamodb_backend(self.table_arn or '')

    # The Python tool's DynamoDB status dict: `failed` holds the reason and is present only when the
    # job failed. Added: total, remaining (and metadata, reduceSent always present).
    def _status_dict(self, s):
        data = {'jobid': s['jobid'], 'progress': s['progress']}
        if s['failed']:
            data['failed'] = s['reason'] if s['reason'] is not None else ''
        data['metadata'] = s['metadata']
        data['reduceSent'] = s['reduce_sent']
        data['total'] = s['total']
        data['remaining'] = s['remaining']
        return data
