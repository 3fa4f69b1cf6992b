"""Test tooling that tests, benchmarks and the playground share: a fake Slack and a driver."""
