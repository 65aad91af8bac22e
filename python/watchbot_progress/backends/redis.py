"""``RedisProgress``: the Python tool's Redis backend, on the C++ library's Redis client.

Same keys as the Python tool (``<jobid>-metadata`` hash, ``<jobid>-parts`` set, the
``reduce_message_sent`` field), so jobs written by either are read and worked by the other.
"""

import os

from watchbot_progress import _core
from watchbot_progress.backends.native import NativeProgress
from watchbot_progress.errors import ConfigError

# redis-py connection keywords the Python tool passed on (**kwargs), and what they become here.
_SUPPORTED = ('password', 'username', 'socket_timeout', 'socket_connect_timeout', 'max_connections', 'ssl')
# Accepted and without effect: they shape redis-py's replies or sockets, which this client does not use.
_IGNORED = frozenset((
    'decode_responses', 'encoding', 'encoding_errors', 'charset', 'errors', 'retry_on_timeout',
    'socket_keepalive', 'socket_keepalive_options', 'health_check_interval', 'client_name',
    'single_connection_client'))
# TLS settings: only with ssl=True.
_TLS = frozenset(('ssl_keyfile', 'ssl_certfile', 'ssl_cert_reqs', 'ssl_ca_certs', 'ssl_ca_path',
                  'ssl_check_hostname', 'ssl_password'))


def _seconds(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError('{} must be a number of seconds, not {!r}'.format(name, value))
    return float(value)


class RedisProgress(NativeProgress):
    """Reduce-mode job tracking in Redis (and SNS for the messages).

    topic_arn: the SNS topic; None: the ``WorkTopic`` environment variable when a message is sent.
    host, port, db: the Redis server (defaults localhost, 6379, 0).
    delete_when_done: let a job's keys expire once it is complete and its reduce was sent (after
        24 hours, so that late duplicate deliveries still find the job and send no second reduce).
    kwargs: redis-py's connection keywords ``password``, ``username``, ``socket_timeout``,
        ``socket_connect_timeout`` (seconds), ``max_connections`` (connections open at once, default
        32); ``ssl=True`` is refused: the C++ client speaks TLS (rediss:// URIs), but these keywords
        are not wired to it yet. Keywords that only
        shape redis-py's replies (``decode_responses``, ``encoding``, ...) are accepted and have no
        effect; any other raises TypeError.
    """

    def __init__(self, topic_arn=None, host='localhost', port=6379, db=0, delete_when_done=False, **kwargs):
        if not _core.with_redis:
            raise ConfigError('this build of watchbot_progress has no Redis support: rebuild with -DWP_WITH_REDIS=ON')
        if kwargs.get('unix_socket_path'):
            raise ConfigError('RedisProgress(unix_socket_path=...) is not supported: give host and port')
        for key in kwargs:
            if key not in _SUPPORTED and key not in _IGNORED and key not in _TLS:
                raise TypeError(
                    'RedisProgress() got an unexpected keyword argument {!r}: the connection keywords it takes are '
                    '{}'.format(key, ', '.join(_SUPPORTED)))
        if kwargs.get('ssl'):
            raise ConfigError(
                'RedisProgress(ssl=True): TLS is not wired to RedisProgress\'s keywords yet (the library speaks it with '
                'rediss:// URIs, as the command-line tool\'s -d takes); connect without ssl, or through a TLS tunnel')
        self.topic = topic_arn if topic_arn else os.environ.get('WorkTopic')
        self.host = host
        self.port = int(port)
        self.db = int(db)
        self.delete_when_done = bool(delete_when_done)
        self._kwargs = dict(kwargs)
        backend = _core.redis_backend(
            str(host), self.port, self.db, kwargs.get('username'), kwargs.get('password'), self.delete_when_done,
            _seconds('socket_connect_timeout', kwargs.get('socket_connect_timeout')),
            _seconds('socket_timeout', kwargs.get('socket_timeout')), kwargs.get('max_connections'))
        self._set_opener(lambda: backend)

    @classmethod
    def _from_uri(cls, uri, topic_arn=None):
        """From redis://[[user]:password@]host[:port][/db][?db=N] (the command-line tool's -d)."""
        self = cls.__new__(cls)
        NativeProgress.__init__(self, uri, topic_arn)
        self.delete_when_done = False
        self._kwargs = {}
        return self

    @property
    def redis(self):
        """A redis-py client on the same server (the Python tool's attribute), when redis-py is installed."""
        try:
            import redis
        except ImportError:
            raise AttributeError(
                'RedisProgress.redis is a redis-py client, and redis-py is not installed: this package talks to '
                'Redis from C++; pip install redis to get such a client') from None
        return redis.StrictRedis(host=self.host, port=self.port, db=self.db, **self._kwargs)
