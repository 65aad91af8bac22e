"""Checks of the ids and counts the public functions take, with errors that say what to do."""

from watchbot_progress.errors import InvalidInput


def jobid(value, name='jobid'):
    if not isinstance(value, str):
        raise InvalidInput('{} must be a str (e.g. the "jobid" of the map message), not {}'.format(
            name, type(value).__name__))
    return value


def partid(value):
    """A part id: an int from 0, or a str of digits (as some messages carry it)."""
    if isinstance(value, bool):
        raise InvalidInput('partid must be an int from 0, not a bool')
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise InvalidInput('partid must be an int from 0 (the "partid" of the map message), not {!r}'.format(value))


def total(parts):
    """set_total's parts: anything with a len() (the parts, a range), or the count itself."""
    if isinstance(parts, bool):
        raise InvalidInput('parts must be the list of parts (or their number), not a bool')
    if isinstance(parts, int):
        return parts
    try:
        return len(parts)
    except TypeError:
        raise InvalidInput('parts must be a list of parts or their number, not {} (which has no len())'.format(
            type(parts).__name__)) from None
