"""Use cases: the verbs of prevnet, each taking a unit of work and recording domain events."""
