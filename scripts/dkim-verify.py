#!/usr/bin/env python3
"""Verifies the DKIM signature of a received e-mail with dkimpy, an independent implementation.

    dkim-verify.py MESSAGE_FILE DNS_TXT_RECORD

DNS_TXT_RECORD is the selector's record as it would be published ("v=DKIM1; k=rsa; p=...");
it is answered for every DNS lookup, so no DNS is needed. Exits 0 and prints "pass" when the
signature verifies, 1 and prints "fail" otherwise. Used by newsdesk's newsletter tests.
"""

import sys

import dkim


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        message = f.read()
    record = sys.argv[2].encode()
    ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: record)
    print("pass" if ok else "fail")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
