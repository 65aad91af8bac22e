"""docs/python.md's recipe for AWS emulators in server mode (moto's `moto_server`, or any emulator with
an endpoint): the workers run unchanged, with only the documented environment variables pointing
them at the emulator. Debian 12 packages no moto, so the recipe runs here against the project's test
servers, which stand in for any endpoint: dynalite (DynamoDB) and fauxqs (SNS and SQS).

Each worker is a process of its own, as on watchbot: the start worker creates the job, every map
message read from the queue subscribed to the topic runs the map worker with the message in its
environment, and the last part's reduce arrives on the same queue."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import Topic, require_env, run_cli, unique

START = textwrap.dedent('''
    from watchbot_progress import create_job
    print(create_job([{'tile': 'a'}, {'tile': 'b'}, {'tile': 'c'}], metadata={'out': 'mosaic'}))
''')

MAP = textwrap.dedent('''
    import json, os
    from watchbot_progress import Part
    message = json.loads(os.environ['Message'])
    with Part(**message):
        print('processed', message['tile'])
''')


def recipe_environment(tmp_path, table_arn=None, topic_arn=None):
    """Only what the recipe sets (and what any process needs): no variable of the test run's own."""
    env = {
        'PATH': os.environ['PATH'],
        'PYTHONPATH': os.environ.get('PYTHONPATH', ''),
        'PYTHONDONTWRITEBYTECODE': '1',
        'HOME': str(tmp_path),  # no ~/.aws of the machine's
        'AWS_ENDPOINT_URL_DYNAMODB': require_env('WP_TEST_DYNAMODB_ENDPOINT'),
        'AWS_ENDPOINT_URL_SNS': require_env('WP_TEST_FAUXQS_ENDPOINT'),
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'AWS_REGION': 'us-east-1',
    }
    if table_arn:
        env['ProgressTable'] = table_arn
    if topic_arn:
        env['WorkTopic'] = topic_arn
    return env


def run_worker(code, env, extra=None):
    result = subprocess.run([sys.executable, '-c', code], env=dict(env, **(extra or {})), capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_workers_run_against_emulators_with_only_the_recipes_variables(tmp_path):
    env = recipe_environment(tmp_path)
    table_arn = run_cli('create-table', unique('recipe'), '--timeout', '120', env=env).stdout.strip()
    topic = Topic(unique('recipe'))
    env = recipe_environment(tmp_path, table_arn, topic.arn)

    jobid = run_worker(START, env).strip()
    maps = topic.receive_all()
    assert [(s, m['tile'], m['partid']) for s, m in maps] == [('map', 'a', 0), ('map', 'b', 1), ('map', 'c', 2)]

    for subject, message in maps:
        out = run_worker(MAP, env, {'Subject': subject, 'Message': json.dumps(message)})
        assert out == 'processed {}\n'.format(message['tile'])

    assert topic.receive_all() == [('reduce', {'jobid': jobid, 'metadata': {'out': 'mosaic'}})]
    status = json.loads(subprocess.run([sys.executable, '-m', 'watchbot_progress.cli', 'info', jobid], env=env,
                                       capture_output=True, text=True, check=True).stdout)
    assert status['progress'] == 1.0 and status['reduceSent'] is True
