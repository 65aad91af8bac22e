"""What a notifier accepts, seen from Python: the notifier that hands messages to a Python function
(_core.python_notifier, what create_job uses when a test replaced sns_worker) answers the cases of
tests/data/notifier_rules.json exactly as the memory notifier and the local queue do (the C++ test,
tests/notifiers/notifier_rules_test.cpp, holds SNS and the others to the same answers): InvalidInput
with the same message for a refused message, the function never called; delivery for an accepted one.
"""

import json
import os

import pytest

from conftest import unique
from watchbot_progress import _core
from watchbot_progress.errors import InvalidInput

CASES_PATH = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'data', 'notifier_rules.json')
with open(CASES_PATH, encoding='utf-8') as _file:
    CASES = json.load(_file)


def bytes_of(spec):
    if 'text' in spec:
        return spec['text'].encode('utf-8')
    if 'hex' in spec:
        return bytes.fromhex(spec['hex'])
    return spec['repeat'].encode('utf-8') * spec['times']


def message_of(case):
    return bytes_of(case['subject']), bytes_of(case['body'])


def notifiers(tmp_path):
    """(name, notifier, delivered) for the Python function's notifier and two of the library's."""
    calls = []
    python = _core.python_notifier(calls.extend, 10, 'a Python function')
    memory = _core.open_notifier('memory://' + unique('rules'))
    queue_path = str(tmp_path / 'queue.db')
    queue = _core.open_notifier('sqlite://' + queue_path)

    def queued():
        import sqlite3
        with sqlite3.connect(queue_path) as db:
            return [(s, b) for s, b in db.execute('SELECT subject, body FROM wp_queue_messages ORDER BY id')]

    return [('python', python, lambda: list(calls)), ('memory', memory, memory.messages), ('local queue', queue, queued)]


def invalid_input_of(call):
    with pytest.raises(InvalidInput) as raised:
        call()
    assert type(raised.value) is InvalidInput
    return str(raised.value)


@pytest.mark.parametrize('case', CASES['refused'], ids=[c['name'] for c in CASES['refused']])
def test_every_notifier_refuses_with_the_same_answer_and_sends_nothing(case, tmp_path):
    subject, body = message_of(case)
    answers = {}
    for name, notifier, delivered in notifiers(tmp_path):
        checked = invalid_input_of(lambda: notifier.check_message(subject, body))
        published = invalid_input_of(lambda: notifier.publish(subject, body))
        assert checked == published, name
        assert case['what'] in published, name
        assert case['todo'] in published, name
        assert delivered() == [], name
        answers[name] = published
    assert len(set(answers.values())) == 1, answers


def test_every_notifier_accepts_what_sns_accepts(tmp_path):
    for name, notifier, delivered in notifiers(tmp_path):
        expected = []
        for case in CASES['accepted']:
            subject, body = message_of(case)
            notifier.check_message(subject, body)
            notifier.publish(subject, body)
            expected.append((subject.decode('utf-8'), body.decode('utf-8')))
        assert delivered() == expected, name
