"""The ``watchbot-progress-py`` command: ``info``, ``ls`` and ``pending``, as the Python tool had.

Exit codes, as ``watchbot-progress-cpp``: 0 success, 1 the job does not exist, 2 usage error,
3 the database failed, 4 configuration error.
"""

import argparse
import json
import os
import sys

from watchbot_progress import errors

DATABASE_HELP = ('the database: a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), a Redis URI '
                 '(redis://[:password@]host[:port][/db], also ?db=N), sqlite:///path; default: $ProgressTable')

# The command reads the database only: it never publishes, so no topic is needed.
_NO_TOPIC = 'memory://watchbot-progress-py-unused'


class UsageError(Exception):
    pass


def open_database(value):
    """The backend named by -d/--database (or ProgressTable)."""
    if not value:
        value = os.environ.get('ProgressTable')
        if not value:
            raise UsageError('no database: pass -d/--database (a DynamoDB table ARN or a redis:// URI) or set '
                             'ProgressTable')
    if value.startswith('redis'):
        from watchbot_progress.backends.redis import RedisProgress
        return RedisProgress._from_uri(value, topic_arn=_NO_TOPIC)
    if value.startswith('arn:'):
        from watchbot_progress.backends.dynamodb import DynamoProgress
        return DynamoProgress(table_arn=value, topic_arn=_NO_TOPIC)
    if value.startswith(('sqlite:', 'memory:')):
        from watchbot_progress.backends.native import NativeProgress
        return NativeProgress(value, topic_arn=_NO_TOPIC)
    raise UsageError('--database {!r} is neither a DynamoDB table ARN (arn:aws:dynamodb:...) nor a Redis URI '
                     '(redis://host:port); {}'.format(value[:200], 'give one of those'))


def cmd_info(args):
    print(json.dumps(open_database(args.database).status(args.jobid)))


def cmd_ls(args):
    database = open_database(args.database)
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
        description='Inspect the jobs of watchbot-progress in a DynamoDB table or a Redis database.')
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
