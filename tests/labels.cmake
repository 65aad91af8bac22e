# ctest labels of the discovered GoogleTest tests, by suite (included by ctest after the discovered
# tests, see tests/CMakeLists.txt). Select with `ctest -L LABEL` / `-LE LABEL`:
#
#   concurrency   runs our code on several threads or processes at once: what ThreadSanitizer runs
#                 (scripts/test-sanitizers thread). A new test that starts threads or processes
#                 belongs here: add its suite below.
#   full_size     a test of size (a million-part job); the ordinary build runs it, the sanitized
#                 builds leave it out (the same code runs there in smaller tests).
#   browser       the dashboard's page in headless chromium (DashboardBrowser, labelled in
#                 tests/CMakeLists.txt); the sanitized builds leave it out: the page's checks do not
#                 depend on instrumenting serve, whose API tests (ServeApi) do run there.
#   crash         the crash matrix (tests/crash): worker processes killed with SIGKILL at each step of
#                 the reduce protocol on every backend, then redelivered as watchbot does.
#   python        the Python package's pytest suite (ctest tests Python.*, labelled in
#                 python/CMakeLists.txt); the sanitized builds leave it out (an uninstrumented
#                 interpreter cannot load a sanitized extension module).
#   docs          the docs as tests (tests/docs: markdown checks, the marked examples of README.md and
#                 docs/*.md run; labelled in tests/docs/CMakeLists.txt).
#
# Names are matched as ctest sees them: "Suite.Test", "Prefix/Suite.Test/Param", typed
# "Suite.Test<Suite/Type.  # TypeParam = ...>".
set(_wp_concurrency_suites
  GuardConformance Conformance              # every backend's contract: racing claims, 25 threads completing a job
  AlertClaim AlertGuard AlertMonitor CliAlerts   # alert marks and alerts sent by 25 racing claimers, guards and monitor passes; serve's alert thread
  RedisBackend RedisFaults                  # the shared connection pool, reconnects, restarts under a job
  SqliteBackend SqliteWal                   # threads sharing an instance, processes sharing a file
  LocalQueue LocalQueueTest LocalQueueNotifier CliRun   # the queue across threads and processes; run's workers
  CliAwsCredentials                         # the CLI process against a proxy whose threads share a curl client
  AwsHttpClientTest AwsClientTest CredentialsTest       # the curl handle pool, the retry quota, the credentials cache
  CreateJob ResendParts SnsNotifierTest SnsFauxqsTest SnsFauxqsCreateJob SnsFaults   # create_job's publisher threads
  DynamoDbClient DynamoDbClientWire DynamoDbEndToEnd DynamoDbFaults DynamoDbAimedFaults
  RunCommandSignals CliWorkerRace CliWorkerRun   # signals from a helper thread; 25 worker processes; run's workers
  ServeApi                                  # serve: HTTP threads, event streams and the job monitor's thread
  DashboardMonitor)
list(JOIN _wp_concurrency_suites "|" _wp_concurrency_alternatives)
# The CLI's create and resend call their progress callback from the publisher threads; reduce-sent's
# race runs processes at once.
set(_wp_concurrency_regex "^([A-Za-z]+/)?(${_wp_concurrency_alternatives})[./]|^Cli/CliBackend\\.(Create|Resend|ReduceSentRace)|^CliBasics\\.Create")
set(_wp_full_size_regex "^RedisScale\\.|^SqliteBackend\\.MillionPart|^DynamoDbLayout\\.MillionPart")

# Every test executable's discovered tests (WP_TEST_TARGETS: tests/CMakeLists.txt, one per folder).
set(_wp_all_tests "")
foreach(_wp_target IN LISTS WP_TEST_TARGETS)
  list(APPEND _wp_all_tests ${${_wp_target}_TESTS})
endforeach()
foreach(_wp_test IN LISTS _wp_all_tests)
  set(_wp_labels "")
  if(_wp_test MATCHES "${_wp_concurrency_regex}")
    list(APPEND _wp_labels concurrency)
  endif()
  if(_wp_test MATCHES "${_wp_full_size_regex}")
    list(APPEND _wp_labels full_size)
  endif()
  if(_wp_test MATCHES "^([A-Za-z]+/)?CrashMatrix[./]")
    list(APPEND _wp_labels crash)
  endif()
  if(_wp_labels)
    set_tests_properties("${_wp_test}" PROPERTIES LABELS "${_wp_labels}")
  endif()
endforeach()
