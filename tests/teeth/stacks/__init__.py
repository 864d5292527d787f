"""Correct servers that are not the reference server: another stack, other framework answers.

``stdlib_server`` is written from the published contract (``seed/rotate-webhook-secret.md``)
and DevTune's documented behaviour alone, on Python's ``http.server``; ``emulations`` copies, on
top of it, how other real stacks answer what the contract does not document. The suite must
pass every one of them (``tests/integration/test_other_stacks.py``, issue 25 part 5).
"""
