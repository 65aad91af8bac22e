"""The PEP 517 build backend of the watchbot-progress Python package (pyproject.toml names it).

It needs nothing but the standard library (so ``pip install --no-build-isolation`` works in a
fresh virtual environment without setuptools or wheel, and without PyPI): ``build_wheel`` configures
and builds the extension module ``watchbot_progress._core`` with CMake from this repository (the C++
library linked in statically; Debian's pybind11-dev and python3-dev), then writes the wheel (the
package's .py files, the module, the metadata, the ``watchbot-progress-py`` script entry point).

Environment:
  WP_PYTHON_BUILD_DIR   the CMake build directory (default: build-python/ at the repository's root;
                        kept between installs, so a reinstall rebuilds only what changed)
  JOBS                  parallel build jobs (default: the number of CPUs)
  WP_CMAKE_ARGS         extra -D options for CMake
"""

import base64
import csv
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIR = os.path.dirname(PYTHON_DIR)
PACKAGE = 'watchbot_progress'


def _project():
    """name, version, summary, requires-python and console scripts (pyproject.toml, CMakeLists.txt)."""
    with open(os.path.join(PYTHON_DIR, 'pyproject.toml'), 'rb') as f:
        data = f.read()
    if tomllib is not None:
        project = tomllib.loads(data.decode('utf-8'))['project']
    else:  # enough of TOML for this file
        text = data.decode('utf-8')
        project = {'name': re.search(r'^name = "([^"]+)"', text, re.M).group(1),
                   'description': re.search(r'^description = "([^"]+)"', text, re.M).group(1),
                   'requires-python': re.search(r'^requires-python = "([^"]+)"', text, re.M).group(1),
                   'scripts': dict(re.findall(r'^([\w-]+) = "([\w.:]+)"\s*$',
                                              text.split('[project.scripts]', 1)[1], re.M))}
    with open(os.path.join(SOURCE_DIR, 'CMakeLists.txt')) as f:
        match = re.search(r'project\(\s*\w+\s+VERSION\s+([0-9.]+)', f.read())
    if not match:
        raise RuntimeError('no project(... VERSION x.y.z) in {}/CMakeLists.txt'.format(SOURCE_DIR))
    project['version'] = match.group(1)
    return project


def _dist_name(project):
    return re.sub(r'[-_.]+', '_', project['name'])


def _tag():
    impl = 'cp' if sys.implementation.name == 'cpython' else sys.implementation.name[:2]
    version = '{}{}'.format(*sys.version_info[:2])
    platform = sysconfig.get_platform().replace('-', '_').replace('.', '_')
    return '{0}{1}-{0}{1}-{2}'.format(impl, version, platform)


def _metadata_files(project):
    dist_info = '{}-{}.dist-info'.format(_dist_name(project), project['version'])
    metadata = ('Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {description}\n'
                'Requires-Python: {requires}\n').format(requires=project.get('requires-python', '>=3.8'), **project)
    wheel = 'Wheel-Version: 1.0\nGenerator: wp_build\nRoot-Is-Purelib: false\nTag: {}\n'.format(_tag())
    scripts = project.get('scripts', {})
    entry_points = '[console_scripts]\n' + ''.join('{} = {}\n'.format(k, v) for k, v in sorted(scripts.items()))
    return dist_info, {'METADATA': metadata, 'WHEEL': wheel, 'entry_points.txt': entry_points}


def _run(command, **kwargs):
    sys.stderr.write('wp_build: {}\n'.format(' '.join(shlex.quote(c) for c in command)))
    sys.stderr.flush()
    subprocess.run(command, check=True, stdout=sys.stderr, **kwargs)


def _build_module():
    """Builds watchbot_progress._core; returns its path."""
    if shutil.which('cmake') is None:
        raise RuntimeError('cmake is not installed: run scripts/install-python (it installs the Debian packages), '
                           'or apt-get install the packages of WP_PYTHON_DEBIAN_PACKAGES in scripts/deps.sh')
    build = os.environ.get('WP_PYTHON_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build-python')
    configure = ['cmake', '-S', SOURCE_DIR, '-B', build,
                 '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', '-DCMAKE_POSITION_INDEPENDENT_CODE=ON',
                 '-DWP_BUILD_PYTHON=ON', '-DWP_BUILD_TESTS=OFF', '-DWP_BUILD_BENCH_TOOL=OFF',
                 '-DWP_BUILD_EXAMPLES=OFF', '-DWP_WITH_DASHBOARD=OFF', '-DPython3_EXECUTABLE=' + sys.executable]
    if not os.path.exists(os.path.join(build, 'CMakeCache.txt')) and shutil.which('ninja'):
        configure += ['-G', 'Ninja']
    if shutil.which('ccache'):
        configure.append('-DCMAKE_CXX_COMPILER_LAUNCHER=ccache')
    configure += shlex.split(os.environ.get('WP_CMAKE_ARGS', ''))
    env = dict(os.environ)
    env.setdefault('CCACHE_BASEDIR', SOURCE_DIR)
    env.setdefault('CCACHE_NOHASHDIR', 'true')
    _run(configure, env=env)
    _run(['cmake', '--build', build, '--target', 'wp_python_core', '-j', os.environ.get('JOBS') or str(os.cpu_count() or 1)],
         env=env)
    suffix = sysconfig.get_config_var('EXT_SUFFIX')
    module = os.path.join(build, 'python', PACKAGE, '_core' + suffix)
    if not os.path.exists(module):
        raise RuntimeError('the build made no {}: look at the CMake output above'.format(module))
    return module


def _package_files():
    """(path in the wheel, path on disk) of the package's Python files."""
    root = os.path.join(PYTHON_DIR, PACKAGE)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != '__pycache__')
        for name in sorted(files):
            if name.endswith('.py'):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, PYTHON_DIR).replace(os.sep, '/'), path


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode('ascii')
    return 'sha256=' + digest


# PEP 517 hooks ------------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info, files = _metadata_files(_project())
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(metadata_directory, dist_info, name), 'w') as f:
            f.write(text)
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    module = _build_module()
    dist_info, meta = _metadata_files(project)
    wheel_name = '{}-{}-{}.whl'.format(_dist_name(project), project['version'], _tag())
    entries = [(arc, path, None) for arc, path in _package_files()]
    entries.append(('{}/{}'.format(PACKAGE, os.path.basename(module)), module, None))
    entries += [('{}/{}'.format(dist_info, name), None, text.encode('utf-8')) for name, text in meta.items()]
    record = io.StringIO()
    writer = csv.writer(record, lineterminator='\n')
    path = os.path.join(wheel_directory, wheel_name)
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as wheel:
        for arc, disk, data in entries:
            if data is None:
                with open(disk, 'rb') as f:
                    data = f.read()
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if arc.endswith('.so') else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
            writer.writerow([arc, _record_hash(data), len(data)])
        record_name = '{}/RECORD'.format(dist_info)
        writer.writerow([record_name, '', ''])
        wheel.writestr(zipfile.ZipInfo(record_name, date_time=(2020, 1, 1, 0, 0, 0)), record.getvalue())
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError('no source distribution: install from a clone of the repository with scripts/install-python')
