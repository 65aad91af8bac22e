"""The ``watchbot-progress-py`` command: ``info``, ``ls`` and ``pending``, as the Python tool had.

Exit codes, as ``watchbot-progress-cpp``: 0 success, 1 the job (or the SQLite file) does not exist, 2 usage error,
3 the database failed, 4 configuration error.
"""

import argparse
import json
import os
import re
import sys
import urllib.parse

from watchbot_progress import __version__, errors
# The Python tool's names here, which its users' tests replace (unittest.mock.patch): -d opens the
# database through them, so a replaced class receives the command's calls.
from watchbot_progress.backends.dynamodb import DynamoProgress
from watchbot_progress.backends.redis import RedisProgress

_original_redis_progress = RedisProgress

# Every database the command reads, as -d/--database and ProgressTable take them.
DATABASE_FORMS = ('a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), a Redis URI '
                  '(redis://[[user]:password@]host[:port][/db], also ?db=N; rediss:// for TLS), a SQLite file '
                  '(sqlite:///absolute/path.db or sqlite://relative/path.db) or memory://NAME (in-process: empty)')

DATABASE_HELP = 'the database: {}; default: the ProgressTable environment variable'.format(DATABASE_FORMS)

# The command reads the database only: it never publishes, so no topic is needed.
_NO_TOPIC = 'memory://watchbot-progress-py-unused'


class UsageError(Exception):
    pass


def _shown(value):
    """`value` quoted for a message: one line, at most 200 characters, never what precedes an '@' (a
    password) except a clean scheme."""
    value = ' '.join(str(value).split())
    at = value.rfind('@')
    if at >= 0:
        sep = value.find('://', 0, at)
        scheme = value[:sep + 3] if sep >= 0 and re.match(r'[A-Za-z][A-Za-z0-9+.-]{0,15}$', value[:sep]) else ''
        value = scheme + '...@' + value[at + 1:]
    return repr(value[:200])


def _redis_arguments(uri):
    """RedisProgress's keywords for a redis:// URI: host, port, db, and username / password when given."""
    url = urllib.parse.urlsplit(uri)
    arguments = {'host': url.hostname or 'localhost', 'port': url.port or 6379, 'db': 0, 'topic_arn': _NO_TOPIC}
    path = url.path.strip('/')
    if path:
        arguments['db'] = int(path)
    for key, value in urllib.parse.parse_qsl(url.query):
        if key == 'db':
            arguments['db'] = int(value)
    if url.username:
        arguments['username'] = urllib.parse.unquote(url.username)
    if url.password:
        arguments['password'] = urllib.parse.unquote(url.password)
    return arguments


def _open(value):
    if value.startswith('redis'):
        if RedisProgress is not _original_redis_progress:  # replaced by a test: called as the Python tool did
            return RedisProgress(**_redis_arguments(value))
        return RedisProgress._from_uri(value, topic_arn=_NO_TOPIC)
    if value.startswith('arn:'):
        from watchbot_progress import _core
        try:
            return DynamoProgress(table_arn=value, topic_arn=_NO_TOPIC)
        except errors.ConfigError as e:
            if not _core.with_aws:
                raise  # not built in: a configuration error
            raise errors.InvalidInput(str(e)) from None  # a malformed ARN: bad input, as any other bad URI
    if value.startswith(('sqlite:', 'memory:')):
        from watchbot_progress.backends.native import NativeProgress
        return NativeProgress(value, topic_arn=_NO_TOPIC)
    return None


def open_database(value):
    """The backend named by -d/--database, else by the ProgressTable environment variable.

    No database: ConfigError (exit 4). A bad -d: UsageError / InvalidInput (exit 2); a bad
    ProgressTable: ConfigError (exit 4). A sqlite:// file that does not exist is refused by the
    backend's first call (DatabaseDoesNotExist, exit 1): nothing is created.
    """
    if value:
        try:
            progress = _open(value)
        except errors.InvalidInput as e:
            raise errors.InvalidInput('--database: {}'.format(e)) from None
        if progress is None:
            raise UsageError('--database {} is not a database: give {}'.format(_shown(value), DATABASE_FORMS))
        return progress
    value = os.environ.get('ProgressTable')
    if not value:
        raise errors.ConfigError('no database given: pass -d/--database or set the ProgressTable environment '
                                 'variable to {}'.format(DATABASE_FORMS))
    try:
        progress = _open(value)
    except errors.InvalidInput as e:
        raise errors.ConfigError('the ProgressTable environment variable: {}'.format(e)) from None
    if progress is None:
        raise errors.ConfigError('ProgressTable {} is not a database: set the ProgressTable environment variable to '
                                 '{}, or pass -d/--database'.format(_shown(value), DATABASE_FORMS))
    return progress


def cmd_info(args):
    print(json.dumps(open_database(args.database).status(args.jobid)))


def cmd_ls(args):
    database = open_database(args.database)
    if not args.status and not args.hide_completed:  # ids alone, as the backend lists them
        for jobid in database.list_jobs(status=False):
            print(jobid)
        return
    for job in database.list_jobs(status=True):
        if args.hide_completed and job['remaining'] <= 0:
            continue
        print(json.dumps(job) if args.status else job['jobid'])


def cmd_pending(args):
    parts = open_database(args.database).list_pending_parts(args.jobid)
    if args.array:
        print(json.dumps(list(parts)))
    else:
        for part in parts:
            print(part)


def parser():
    p = argparse.ArgumentParser(
        prog='watchbot-progress-py',
        description='Inspect the jobs of watchbot-progress in a DynamoDB table, a Redis database or a SQLite file.',
        epilog='Exit codes: 0 success, 1 the job (or the SQLite file) does not exist, 2 usage error, 3 the database '
               'failed, 4 configuration error (no database given, a bad ProgressTable).')
    p.add_argument('--version', action='version', version='watchbot-progress-py {}'.format(__version__),
                   help="print the package's version (watchbot_progress.__version__) and exit")
    sub = p.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    info = sub.add_parser('info', help="print a job's status as one JSON object",
                          description="Print a job's status as one JSON object.")
    info.add_argument('jobid')
    info.add_argument('--database', '-d', help=DATABASE_HELP)
    info.set_defaults(run=cmd_info)

    ls = sub.add_parser('ls', help='list the jobs in the database, one per line',
                        description="List the jobs in the database: one JSON status object (or job id) per line.")
    ls.add_argument('--database', '-d', help=DATABASE_HELP)
    shape = ls.add_mutually_exclusive_group()
    shape.add_argument('--status', dest='status', action='store_true', default=True,
                       help="print each job's status object (the default)")
    shape.add_argument('--jobid', dest='status', action='store_false', help='print only the job ids')
    ls.add_argument('--hide-completed', action='store_true', help='only jobs with pending parts')
    ls.set_defaults(run=cmd_ls)

    pending = sub.add_parser('pending', help="print the ids of a job's pending parts",
                             description="Print the ids of a job's pending parts, ascending, one per line.")
    pending.add_argument('jobid')
    pending.add_argument('--database', '-d', help=DATABASE_HELP)
    pending.add_argument('--array', action='store_true', help='print one JSON array instead, e.g. [0, 3, 7]')
    pending.set_defaults(run=cmd_pending)
    return p


def _fail(code, message):
    sys.stderr.write('watchbot-progress-py: {}\n'.format(' '.join(str(message).split())))
    return code


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()
    except UsageError as e:
        return _fail(2, e)
    except errors.JobDoesNotExist as e:
        return _fail(1, e)
    except errors.InvalidInput as e:
        return _fail(2, e)
    except errors.ConfigError as e:
        return _fail(4, e)
    except errors.BackendError as e:
        return _fail(3, e)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == '__main__':
    sys.exit(main())
