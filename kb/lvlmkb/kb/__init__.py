"""The knowledge base: papers, taxonomy and models as typed data, their checks, queries, index and contribution.

This package never imports :mod:`lvlmkb.eval`, :mod:`lvlmkb.publish` or :mod:`lvlmkb.cli` (a test holds it to
that): the knowledge base is read and validated without any reproduction code.
"""
