#!/usr/bin/env python3
"""A test SMTP server (on aiosmtpd) that keeps every message it accepts as a file.

    smtp-sink.py OUT_DIR [--port N] [--fail-temp ADDR:N ...] [--fail-perm ADDR ...]
                 [--stall-once ADDR ...]

Listens on 127.0.0.1 (port 0 = any; the chosen port is printed as "listening PORT"). Each
accepted message is written once per recipient, under a Return-Path header with the envelope
sender, to OUT_DIR/<recipient>__<seq>.eml (temp file, then
rename, so a reader never sees half a message). --fail-temp answers 451 to the first N RCPT
commands for ADDR; --fail-perm answers 550 to every RCPT for ADDR; --stall-once keeps the
first message to ADDR (it is delivered) but never answers its final dot, as a server does whose
reply is lost when the client dies. Used by newsdesk's
newsletter tests and bench/newsletter.
"""

import argparse
import asyncio
import itertools
import os
import signal

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, temp, perm, stall):
        self.out = out
        self.temp = temp
        self.perm = perm
        self.stall = stall
        self.seq = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.perm:
            return "550 5.1.1 <%s>: mailbox does not exist" % address
        left = self.temp.get(key, 0)
        if left > 0:
            self.temp[key] = left - 1
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # As a delivery agent does: the envelope sender becomes a Return-Path header on top.
        return_path = ("Return-Path: <%s>\r\n" % (envelope.mail_from or "")).encode()
        for rcpt in envelope.rcpt_tos:
            name = "%s__%d.eml" % (rcpt.lower().replace("/", "_"), next(self.seq))
            tmp = os.path.join(self.out, "." + name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(return_path + data)
            os.rename(tmp, os.path.join(self.out, name))
        stalled = [r for r in envelope.rcpt_tos if r.lower() in self.stall]
        if stalled:
            self.stall.difference_update(r.lower() for r in stalled)
            await asyncio.sleep(3600)
        return "250 2.0.0 accepted"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail-temp", action="append", default=[])
    p.add_argument("--fail-perm", action="append", default=[])
    p.add_argument("--stall-once", action="append", default=[])
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    temp = {}
    for spec in a.fail_temp:
        addr, _, n = spec.rpartition(":")
        temp[addr.lower()] = int(n)
    sink = Sink(a.out, temp, {x.lower() for x in a.fail_perm}, {x.lower() for x in a.stall_once})
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True),
        "127.0.0.1",
        a.port,
    )
    print("listening %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
