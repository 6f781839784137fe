"""Signs one request with botocore at a fixed time.

Usage: botocore_sign.py REQUEST.json
REQUEST.json: {"method", "url", "headers": [[name, value], ...], "body", "access_key",
               "secret_key", "session_token", "region", "service", "time": "20150830T123600Z",
               "presign_expires": seconds (optional)}
Prints the Authorization header (SigV4Auth), or with presign_expires the presigned URL
(SigV4QueryAuth).
"""
import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    request = AWSRequest(method=spec["method"], url=spec["url"], data=spec["body"].encode("utf-8"))
    for name, value in spec["headers"]:
        request.headers[name] = value
    creds = Credentials(spec["access_key"], spec["secret_key"], spec.get("session_token") or None)
    when = datetime.datetime.strptime(spec["time"], "%Y%m%dT%H%M%SZ")
    expires = spec.get("presign_expires")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        if expires is None:
            SigV4Auth(creds, spec["service"], spec["region"]).add_auth(request)
        else:
            SigV4QueryAuth(creds, spec["service"], spec["region"], expires).add_auth(request)
    sys.stdout.write(request.headers["Authorization"] if expires is None else request.url)


if __name__ == "__main__":
    main()
