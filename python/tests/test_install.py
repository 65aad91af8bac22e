"""scripts/install-python VENV_DIR installs a working package into a fresh virtual environment, from
the repository alone (no PyPI): import, create_job and Part, the watchbot-progress-py command."""

import os
import subprocess

from conftest import require_env

SCRIPT = os.path.join(require_env('WP_SOURCE_DIR'), 'scripts', 'install-python')

SMOKE = '''
import json, os, watchbot_progress
from watchbot_progress import Part, create_job
from watchbot_progress.backends.native import NativeProgress
from watchbot_progress import _core
p = NativeProgress('memory://smoke', topic_arn='memory://smoke')
jobid = create_job([{'a': 1}, {'a': 2}], progress=p, metadata={'k': 'v'})
for partid in (1, 0, 1):
    with Part(jobid, partid, progress=p):
        pass
reduces = [json.loads(b) for s, b in _core.open_notifier('memory://smoke').messages() if s == 'reduce']
assert reduces == [{'jobid': jobid, 'metadata': {'k': 'v'}}], reduces
print(os.path.dirname(watchbot_progress.__file__))
print(_core.__file__)
'''


def test_install_into_a_new_venv(tmp_path):
    venv = tmp_path / 'venv'
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')}
    env['WP_PYTHON_BUILD_DIR'] = require_env('WP_TEST_PYTHON_BUILD_DIR')
    env.setdefault('JOBS', '2')
    result = subprocess.run([SCRIPT, str(venv)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    smoke = subprocess.run([str(venv / 'bin' / 'python'), '-c', SMOKE], env=env, cwd=str(tmp_path),
                           capture_output=True, text=True)
    assert smoke.returncode == 0, smoke.stderr
    package_dir, module = smoke.stdout.split()
    assert package_dir.startswith(str(venv)), package_dir  # the installed copy, not the build tree

    # The module is self-contained: the library is inside it, not a shared library beside it.
    ldd = subprocess.run(['ldd', module], capture_output=True, text=True, check=True).stdout
    assert 'watchbot_progress' not in ldd and 'not found' not in ldd, ldd

    command = subprocess.run([str(venv / 'bin' / 'watchbot-progress-py'), 'pending', 'no-such-job',
                              '-d', 'memory://empty'], env=env, capture_output=True, text=True)
    assert command.returncode == 1 and 'no-such-job' in command.stderr, command.stderr

    # Usage errors say what to give.
    bad = subprocess.run([SCRIPT], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and 'VENV_DIR' in bad.stderr
