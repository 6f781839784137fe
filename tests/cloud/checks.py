"""The checks of a test script: each one counted, each failed one printed with what it checked.

    from checks import check, checks
    check(x == 1, "x is 1: %s" % x)
    ...
    return checks.summary("boto3 conformance")   # prints the counts; 1 if any check failed
"""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)

    def summary(self, name):
        print("%s: %d passed, %d failed" % (name, self.passed, self.failed))
        return 1 if self.failed else 0


checks = Checks()
check = checks.check


def error_code(fn, *args, **kwargs):
    """The AWS error code `fn(*args, **kwargs)` fails with, or None when it succeeds."""
    import botocore.exceptions
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None
