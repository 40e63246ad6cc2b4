"""Probes: small named procedures the worker runs on the submission, returning plain data.

They run inside the untrusted worker. They compute nothing the grader believes about
correctness: the grader compares their answers with values it computes itself.

The grader imports only `names` from here (the probe names); the worker calls
`registry.load_probes()`, which imports every probe module so each registers its probes.
"""
