"""Issue 9's adversarial review, kept as regression tests: identity, profile and history, erasure and what partners
and the operator do afterwards, the personal data left anywhere, the contract of the new routes."""
