"""Silent Scalper backend: the Lambda handlers, their domain logic and the embedded local stack."""
