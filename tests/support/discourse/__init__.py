"""A Discourse test double held to Discourse's official OpenAPI description."""
