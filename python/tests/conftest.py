"""Fixtures of the Python package's tests, run by ctest (scripts/test) against the servers
tools/services.sh starts on 127.0.0.1: redis-server (WP_TEST_REDIS_URL), dynalite
(WP_TEST_DYNAMODB_ENDPOINT) and fauxqs (WP_TEST_FAUXQS_ENDPOINT). A test that needs a server fails,
never skips, when its variable is missing.

AWS settings are fixed here, before the package makes any client: fake static credentials (the
emulators check the form of a signature, not its key), us-east-1, the emulators' endpoints; the
machine's own AWS configuration is never read.
"""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest

ACCOUNT = '000000000000'
REGION = 'us-east-1'

for _name in ('AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
              'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'ProgressTable', 'WorkTopic'):
    os.environ.pop(_name, None)
os.environ.update({
    'AWS_ACCESS_KEY_ID': 'AKIDWPPYTHONTEST0001',
    'AWS_SECRET_ACCESS_KEY': 'wpPythonTestSecret/DoNotLog0123456789',
    'AWS_REGION': REGION,
    'AWS_EC2_METADATA_DISABLED': 'true',
    'AWS_SHARED_CREDENTIALS_FILE': os.devnull,
})
if os.environ.get('WP_TEST_DYNAMODB_ENDPOINT'):
    os.environ['AWS_ENDPOINT_URL_DYNAMODB'] = os.environ['WP_TEST_DYNAMODB_ENDPOINT']
if os.environ.get('WP_TEST_FAUXQS_ENDPOINT'):
    os.environ['AWS_ENDPOINT_URL_SNS'] = os.environ['WP_TEST_FAUXQS_ENDPOINT']

# How long a test waits for messages it expects before it fails (a bound that only a hung emulator
# reaches; nothing is asserted about speed).
MESSAGE_DEADLINE_S = 120


def require_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError('{} is not set: this test needs a server started by scripts/test '
                           '(tools/services.sh start, then source its env file)'.format(name))
    return value


def unique(prefix):
    return '{}-{}'.format(prefix, uuid.uuid4().hex[:12])


def cli_path():
    return require_env('WP_CLI_PATH')


def run_cli(*args, check=True, env=None):
    """Runs watchbot-progress-cpp; returns the CompletedProcess (text)."""
    result = subprocess.run([cli_path()] + list(args), capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError('watchbot-progress-cpp {} exited {}: {}'.format(' '.join(args), result.returncode,
                                                                             result.stderr.strip()))
    return result


def run_py_cli(*args, env=None):
    """Runs the package's watchbot-progress-py command (python -m watchbot_progress.cli)."""
    return subprocess.run([sys.executable, '-m', 'watchbot_progress.cli'] + list(args), capture_output=True,
                          text=True, env=env)


# ---------------------------------------------------------------------------------------------
# Redis

@pytest.fixture(scope='session')
def redis_address():
    url = urllib.parse.urlparse(require_env('WP_TEST_REDIS_URL'))
    return url.hostname, url.port


@pytest.fixture(scope='session')
def redis_url():
    return require_env('WP_TEST_REDIS_URL')


@pytest.fixture
def redis_progress(redis_address, topic):
    from watchbot_progress.backends.redis import RedisProgress
    host, port = redis_address
    return RedisProgress(topic_arn=topic.arn, host=host, port=port)


# ---------------------------------------------------------------------------------------------
# DynamoDB (dynalite)

@pytest.fixture(scope='session')
def dynamodb_table():
    """The ARN of a progress table on dynalite, created once per session (through the C++ CLI)."""
    require_env('WP_TEST_DYNAMODB_ENDPOINT')
    name = unique('wp-python')
    arn = run_cli('create-table', name, '--timeout', '120').stdout.strip()
    assert arn == 'arn:aws:dynamodb:{}:{}:table/{}'.format(REGION, ACCOUNT, name), arn
    return arn


@pytest.fixture
def dynamodb_progress(dynamodb_table, topic):
    from watchbot_progress.backends.dynamodb import DynamoProgress
    return DynamoProgress(table_arn=dynamodb_table, topic_arn=topic.arn)


# ---------------------------------------------------------------------------------------------
# SNS and SQS (fauxqs): a topic with a queue subscribed, to read what was published.

def _fauxqs_call(body, headers):
    request = urllib.request.Request(require_env('WP_TEST_FAUXQS_ENDPOINT') + '/', data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read().decode('utf-8')


def sns_call(action, **params):
    params.update(Action=action, Version='2010-03-31')
    return _fauxqs_call(urllib.parse.urlencode(params).encode('utf-8'),
                        {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})


def sqs_call(action, payload):
    text = _fauxqs_call(json.dumps(payload).encode('utf-8'),
                        {'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.' + action})
    return json.loads(text) if text.strip() else {}


def _xml_field(text, name):
    start = text.index('<{}>'.format(name)) + len(name) + 2
    return text[start:text.index('</{}>'.format(name), start)]


class Topic(object):
    """An SNS topic on fauxqs with an SQS queue subscribed (SNS envelopes, not raw delivery)."""

    def __init__(self, name):
        self.arn = _xml_field(sns_call('CreateTopic', Name=name), 'TopicArn')
        self.queue_url = sqs_call('CreateQueue', {'QueueName': name})['QueueUrl']
        queue_arn = sqs_call('GetQueueAttributes', {'QueueUrl': self.queue_url,
                                                    'AttributeNames': ['QueueArn']})['Attributes']['QueueArn']
        sns_call('Subscribe', TopicArn=self.arn, Protocol='sqs', Endpoint=queue_arn)

    def _receive_batch(self):
        answer = sqs_call('ReceiveMessage', {'QueueUrl': self.queue_url, 'MaxNumberOfMessages': 10,
                                             'WaitTimeSeconds': 1, 'VisibilityTimeout': 60})
        messages = answer.get('Messages') or []
        if messages:
            sqs_call('DeleteMessageBatch', {'QueueUrl': self.queue_url, 'Entries': [
                {'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']} for i, m in enumerate(messages)]})
        return [json.loads(m['Body']) for m in messages]

    def receive_all(self):
        """Every message published so far, as (subject, message dict) in publication order.

        A barrier, not a wait: it publishes a sentinel message and reads until the sentinel
        arrives; fauxqs delivers to the queue as it accepts a Publish, so whatever was published
        before is in the queue ahead of it.
        """
        from watchbot_progress.utils import aws_send_message
        token = uuid.uuid4().hex
        aws_send_message({'sentinel': token}, self.arn, subject='sentinel')
        received = []
        deadline = time.monotonic() + MESSAGE_DEADLINE_S
        while True:
            for envelope in self._receive_batch():
                message = json.loads(envelope['Message'])
                if envelope.get('Subject') == 'sentinel' and message.get('sentinel') == token:
                    return received
                received.append((envelope.get('Subject'), message))
            if time.monotonic() > deadline:
                raise AssertionError('the sentinel message never arrived on {} ({} other messages did)'.format(
                    self.queue_url, len(received)))

    def subjects(self, subject):
        return [m for s, m in self.receive_all() if s == subject]


@pytest.fixture
def topic():
    require_env('WP_TEST_FAUXQS_ENDPOINT')
    return Topic(unique('wp-python'))


@pytest.fixture
def memory_progress():
    """A memory:// backend and topic of their own (for tests that need no server)."""
    from watchbot_progress.backends.native import NativeProgress
    name = unique('memory')
    return NativeProgress('memory://' + name, topic_arn='memory://' + name)


def memory_messages(progress, subject=None):
    from watchbot_progress import _core
    messages = [(s, json.loads(b)) for s, b in _core.open_notifier(progress.topic).messages()]
    return [m for s, m in messages if subject is None or s == subject]
