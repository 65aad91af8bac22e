"""Backends: where a job's bookkeeping lives.

``dynamodb.DynamoProgress`` and ``redis.RedisProgress`` are the Python tool's classes, implemented by
the C++ library; ``native.NativeProgress`` opens any backend the library has by URI (SQLite, memory,
...); a subclass of ``base.WatchbotProgressBase`` written in Python is a backend of your own.
"""
