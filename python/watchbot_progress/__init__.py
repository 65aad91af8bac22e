"""watchbot_progress: track map-reduce jobs on ECS watchbot in reduce mode.

The API of the Python tool watchbot-progress-py (``create_job``, ``Part``, the backends in
``watchbot_progress.backends``, ``watchbot_progress.errors``), implemented by the C++ library
watchbot-progress for C++. docs/python.md in the repository says what differs and why.
``watchbot_progress.testing`` runs jobs in tests without AWS or a Redis server.
"""

from watchbot_progress._core import library_version as __version__
from watchbot_progress.main import JobFailed, Part, create_job

__all__ = ['create_job', 'Part', 'JobFailed']
