"""The trust boundary: everything the grader computes itself to judge a submission.

The evaluator of expression programs and its exact gradients (`programs`), the plain-float
MLP, MSE and SGD (`mlp`), central finite differences (`finite_difference`) and the
tolerances (`tolerances`). The worker never loads this package: a submission that found
it in its interpreter could answer the checks from it (tests/test_trust_boundary.py).
"""
