"""The GraphQL API: the core contract, typed objects per kind, batching and guardrails."""
