"""The watchbot-progress-py command: info, ls and pending, as the Python tool had them."""

import json

import pytest

from conftest import run_py_cli, unique


@pytest.fixture(params=['redis', 'dynamodb'])
def side(request):
    if request.param == 'redis':
        return request.getfixturevalue('redis_progress'), request.getfixturevalue('redis_url')
    return request.getfixturevalue('dynamodb_progress'), request.getfixturevalue('dynamodb_table')


def ok(*args, env=None):
    result = run_py_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_info_prints_the_status_as_json(side):
    progress, database = side
    jobid = unique('cli')
    progress.set_total(jobid, range(4))
    progress.set_metadata(jobid, {'name': 'tiles'})
    progress.complete_part(jobid, 2)
    lines = ok('info', jobid, '-d', database).splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == progress.status(jobid)
    assert json.loads(lines[0])['progress'] == 0.25
    assert lines[0].startswith('{"')  # json.dumps style: ", " and ": " separators
    assert '", "' in lines[0]


def test_pending_lines_and_array(side):
    progress, database = side
    jobid = unique('cli')
    progress.set_total(jobid, range(5))
    progress.complete_part(jobid, 1)
    assert ok('pending', jobid, '--database', database) == '0\n2\n3\n4\n'
    assert ok('pending', jobid, '-d', database, '--array') == '[0, 2, 3, 4]\n'


def test_ls_status_jobid_and_hide_completed(side):
    progress, database = side
    done, running = unique('done'), unique('running')
    progress.set_total(done, range(1))
    progress.complete_part(done, 0)
    progress.set_total(running, range(2))

    statuses = {s['jobid']: s for s in map(json.loads, ok('ls', '-d', database).splitlines())}
    assert statuses[done]['remaining'] == 0 and statuses[running]['remaining'] == 2
    assert json.loads(ok('ls', '--status', '-d', database).splitlines()[0])
    ids = ok('ls', '--jobid', '-d', database).split()
    assert {done, running} <= set(ids)
    hidden = ok('ls', '--jobid', '--hide-completed', '-d', database).split()
    assert running in hidden and done not in hidden


def test_database_from_progress_table(dynamodb_progress, dynamodb_table):
    import os
    jobid = unique('env')
    dynamodb_progress.set_total(jobid, range(2))
    env = dict(os.environ, ProgressTable=dynamodb_table)
    assert ok('pending', jobid, env=env) == '0\n1\n'


def test_errors_exit_codes_and_messages(redis_url):
    import os
    missing = unique('missing')
    result = run_py_cli('info', missing, '-d', redis_url)
    assert result.returncode == 1
    assert missing in result.stderr and result.stdout == ''
    assert result.stderr.startswith('watchbot-progress-py: ')
    assert 'Traceback' not in result.stderr

    result = run_py_cli('info', 'x', '-d', 'mysql://db')
    assert result.returncode == 2 and 'redis://' in result.stderr

    env = {k: v for k, v in os.environ.items() if k != 'ProgressTable'}
    result = run_py_cli('ls', env=env)
    assert result.returncode == 4 and 'ProgressTable' in result.stderr  # 4: configuration error

    result = run_py_cli('info', 'x', '-d', 'redis://127.0.0.1:1/0')  # nothing listens on port 1
    assert result.returncode == 3 and 'Traceback' not in result.stderr

    result = run_py_cli('frobnicate')
    assert result.returncode == 2


def test_help_lists_the_commands():
    out = ok('--help')
    for command in ('info', 'ls', 'pending'):
        assert command in out


FORMS = ('arn:aws:dynamodb:', 'redis://', 'sqlite:///', 'memory://')


def test_no_database_is_a_configuration_error_listing_every_form():
    import os
    env = {k: v for k, v in os.environ.items() if k != 'ProgressTable'}
    for args in (['ls'], ['info', 'job'], ['pending', 'job']):
        result = run_py_cli(*args, env=env)
        assert result.returncode == 4, result.stderr
        assert 'ProgressTable' in result.stderr and '--database' in result.stderr
        for form in FORMS:
            assert form in result.stderr


def test_a_bad_database_names_where_it_came_from_and_every_form():
    import os
    result = run_py_cli('info', 'job', '-d', 'mysql://db')
    assert result.returncode == 2  # a bad option: usage error
    assert result.stderr.startswith("watchbot-progress-py: --database 'mysql://db' is not a database")
    for form in FORMS:
        assert form in result.stderr

    result = run_py_cli('info', 'job', '-d', 'arn:aws:dynamodb:bad')  # as watchbot-progress-cpp: exit 2
    assert result.returncode == 2 and result.stderr.startswith('watchbot-progress-py: --database: '), result.stderr
    env = dict(os.environ, ProgressTable='arn:aws:dynamodb:bad')
    result = run_py_cli('info', 'job', env=env)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith('watchbot-progress-py: the ProgressTable environment variable: '), result.stderr

    env = dict(os.environ, ProgressTable='mysql://db')
    result = run_py_cli('info', 'job', env=env)
    assert result.returncode == 4, result.stderr  # a bad environment variable: configuration error
    assert result.stderr.startswith("watchbot-progress-py: ProgressTable 'mysql://db' is not a database")
    for form in FORMS:
        assert form in result.stderr
    env = dict(os.environ, ProgressTable='sqlite://')  # a malformed URI of a known scheme
    result = run_py_cli('info', 'job', env=env)
    assert result.returncode == 4 and 'ProgressTable' in result.stderr, result.stderr


def test_help_lists_every_database_form():
    for args in (['info', '--help'], ['ls', '--help'], ['pending', '--help']):
        out = ' '.join(ok(*args).split())
        for form in FORMS:
            assert form in out, (args, form)


def test_version_is_the_packages():
    import os
    import re
    import watchbot_progress
    assert ok('--version') == 'watchbot-progress-py {}\n'.format(watchbot_progress.__version__)
    # The distribution's version (python/build_backend/wp_build.py reads it from the same place).
    with open(os.path.join(os.environ['WP_SOURCE_DIR'], 'CMakeLists.txt')) as f:
        project_version = re.search(r'project\(\s*\w+\s+VERSION\s+([0-9.]+)', f.read()).group(1)
    assert watchbot_progress.__version__ == project_version
