"""PostgreSQL errors that mean "another transaction got there first": retry, never record."""

from psycopg2 import errors

CONCURRENCY_ERRORS = (
    errors.SerializationFailure,
    errors.DeadlockDetected,
    errors.LockNotAvailable,
)
