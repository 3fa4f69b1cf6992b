"""Block Kit builders: pure functions from service results to `slack_sdk.models` objects."""
