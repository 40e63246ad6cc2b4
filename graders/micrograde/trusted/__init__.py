"""Trusted arithmetic: what the grader computes itself to judge the submission's answers."""
