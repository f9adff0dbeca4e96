"""What the tests share: factories, signed-in clients, query counting, worlds, HTML checks.

Test code only: no runtime module may import it (import-linter's "Runtime code imports
no test helper" contract). The tests folders are not packages, so a test module never
imports another; whatever two of them need lives here, and the root ``conftest.py``
turns the common pieces into fixtures.
"""
