"""Reclamation rules: each a small class with typed settings and `evaluate(inputs) -> list[Finding]`.

Entry point: :func:`scoring.rules.evaluate.evaluate_recommendations`."""
