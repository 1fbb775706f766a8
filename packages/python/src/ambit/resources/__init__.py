"""The API's resources, reached from an ``Ambit`` client (``client.agent.runs``, ``client.team``, …)."""
