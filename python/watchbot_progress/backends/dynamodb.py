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
from watchbot_progress.errors import ConfigError, InvalidInput


class DynamoProgress(NativeProgress):
    """Reduce-mode job tracking in DynamoDB (and SNS for the messages).

    table_arn: the table (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), checked here; None: the
        ``ProgressTable`` environment variable, read when the table is first needed (so that
        constructing never fails on the environment: a ConfigError naming the variable comes from the
        first call when it is unset or bad).
    topic_arn: the SNS topic; None: the ``WorkTopic`` environment variable when a message is sent.

    ``table_arn`` and ``table`` (its name) are the table's, or None while the table is unknown.
    """

    def __init__(self, table_arn=None, topic_arn=None):
        if not _core.with_aws:
            raise ConfigError('this build of watchbot_progress has no DynamoDB support: rebuild with -DWP_WITH_AWS=ON')
        self.topic = topic_arn if topic_arn else os.environ.get('WorkTopic')
        self._given_table_arn = table_arn or None
        self._name_table(table_arn or os.environ.get('ProgressTable') or None)
        self._set_opener(self._open_table, lazy=not table_arn)

    def _name_table(self, table_arn):
        self.table_arn = table_arn
        self.table = table_arn.split(':table/')[-1] if table_arn else None

    def _open_table(self):
        if self._given_table_arn:
            return _core.dynamodb_backend(self._given_table_arn)
        table_arn = os.environ.get('ProgressTable')
        if not table_arn:
            raise ConfigError(
                "no DynamoDB table: DynamoProgress() was given no table_arn and the ProgressTable environment variable "
                "is not set: set ProgressTable to the table's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or "
                "pass DynamoProgress(table_arn='arn:aws:dynamodb:...')")
        try:
            backend = _core.dynamodb_backend(table_arn)
        except (ConfigError, InvalidInput) as e:
            raise ConfigError('the ProgressTable environment variable: {}'.format(e)) from None
        self._name_table(table_arn)
        return backend

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
