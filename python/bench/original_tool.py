"""A stand-in of the original Python tool (mapbox/watchbot-progress-py 0.9.1) for benchmarks: its
``Part`` and ``RedisProgress``, line for line as its source has them, on redis-py (Debian's
python3-redis), so a delivery makes exactly its round trips:

- every delivery: one MULTI/SREM/SCARD/EXEC pipeline (``complete_part``);
- the delivery that finds no part pending: one MULTI/HGETALL/SCARD/EXEC pipeline (``status``), the
  reduce message, then one HSET per metadata key (``set_metadata``).

Changes, because the original cannot be installed here (no PyPI, no boto3, redis-py 4 instead of the
2.x it pins): the reduce message is published through the package's notifier of the topic (the
original makes a new boto3 client per message, once per job); ``create_job`` is left out
(benchmarks create the job with ``set_total``, the original's first step; its map messages are not
what is measured); ``set_metadata`` sends a bool as redis-py 2.x did (``'True'``).
"""

import abc
import json
import logging
import warnings
from contextlib import contextmanager

import redis

from watchbot_progress import _notifiers

logger = logging.getLogger(__name__)


class JobDoesNotExist(Exception):
    pass


class JobFailed(Exception):
    pass


class ProgressTypeError(TypeError):
    pass


class WatchbotProgressBase(abc.ABC):
    """The original's abstract base (only what Part checks)."""


def aws_send_message(message, topic, subject=None):
    """The original's SNS publish, through the package's notifier of ``topic``."""
    _notifiers.for_topic(topic).publish(subject, json.dumps(message))


class RedisProgress(WatchbotProgressBase):
    def __init__(self, topic_arn=None, host='localhost', port=6379, db=0, delete_when_done=False, **kwargs):
        self.topic = topic_arn
        self.redis = redis.StrictRedis(host=host, port=port, db=db, **kwargs)
        self.delete_when_done = delete_when_done

    def _metadata_key(self, jobid):
        return '{}-metadata'.format(jobid)

    def _parts_key(self, jobid):
        return '{}-parts'.format(jobid)

    def _decode_dict(self, meta):
        return {k.decode('utf-8'): v.decode('utf-8') for k, v in meta.items()}

    def status(self, jobid, part=None):
        if part is not None:
            is_member = self.redis.sismember(self._parts_key(jobid), part)
            return {'part': part, 'complete': not bool(is_member)}

        pipe = self.redis.pipeline()
        pipe.hgetall(self._metadata_key(jobid))
        pipe.scard(self._parts_key(jobid))
        meta, remaining = pipe.execute()

        meta = self._decode_dict(meta)
        failed = meta.pop('failed', None)
        error = meta.pop('error', None)
        try:
            total = int(meta.pop('total'))
        except KeyError:
            raise JobDoesNotExist('Job does not exist, run set_total first')

        percent = (total - remaining) / total
        data = dict(metadata=meta.copy(), jobid=jobid, progress=percent, total=total, remaining=remaining)
        data['failed'] = (failed == '1')
        if error:
            data['error'] = error
        return data

    def set_total(self, jobid, parts):
        total = len(parts)
        partids = range(total)
        pipe = self.redis.pipeline()
        pipe.hset(self._metadata_key(jobid), 'total', total)
        pipe.sadd(self._parts_key(jobid), *partids)
        pipe.execute()

    def fail_job(self, jobid, reason):
        logger.error('[fail_job] {} failed because {}.'.format(jobid, reason))
        self.redis.hset(self._metadata_key(jobid), 'error', reason)
        self.redis.hset(self._metadata_key(jobid), 'failed', 1)

    def delete(self, jobid):
        pipe = self.redis.pipeline()
        pipe.delete(self._parts_key(jobid))
        pipe.delete(self._metadata_key(jobid))
        parts_del, meta_del = pipe.execute()
        return (parts_del, meta_del)

    def complete_part(self, jobid, partid):
        pipe = self.redis.pipeline()
        pipe.srem(self._parts_key(jobid), partid)
        pipe.scard(self._parts_key(jobid))
        _, remaining = pipe.execute()
        if remaining == 0:
            if self.delete_when_done:
                self.delete(jobid)
            return True
        else:
            return False

    def set_metadata(self, jobid, metadata):
        for key, value in metadata.items():
            self.redis.hset(self._metadata_key(jobid), key, _redis2_value(value))


def _redis2_value(value):
    """A value as the original's redis-py 2.x sent it (bool as its str(), 'True'): redis-py 4 refuses a
    bool."""
    return str(value) if isinstance(value, bool) else value


@contextmanager
def Part(jobid, partid, progress=None, fail_job_on=(), on_reduce=None, **kwargs):
    if not isinstance(progress, WatchbotProgressBase):
        raise ProgressTypeError('progress must be an instance of WatchbotProgressBase')

    if fail_job_on:
        if 'failed' in progress.status(jobid):
            raise JobFailed('job {} already failed'.format(jobid))

    try:
        yield
    except Exception as err:
        if any(isinstance(err, f) for f in fail_job_on):
            progress.fail_job(jobid, partid)
        raise
    else:
        all_done = progress.complete_part(jobid, partid)
        if all_done:
            status = progress.status(jobid)
            metadata = status.get('metadata', {})
            message = {'jobid': jobid, 'metadata': metadata}

            already_sent = metadata.get('reduce_message_sent', False)
            if already_sent:
                warnings.warn('skip reduce message, already sent for job {}'.format(jobid))
            else:
                if on_reduce is None:
                    aws_send_message(message, progress.topic, subject='reduce')
                else:
                    on_reduce(message, progress.topic, subject='reduce')
                progress.set_metadata(jobid, {'reduce_message_sent': True})
