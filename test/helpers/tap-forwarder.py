#!/usr/bin/env python3
"""A slow, lossy wire between two TAP devices, for the partition tests.

This kernel has no netem, so latency and loss are made in user space: the
forwarder creates TAP devices A and B (test/helpers/net-lab.ts then moves
each into its namespace) and copies every Ethernet frame from one to the
other after DELAY_MS, dropping LOSS of them at random (seeded).

    tap-forwarder.py A B DELAY_MS LOSS SEED

It prints "ready" once both devices exist, and runs until killed.
"""
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def open_tap(name: str) -> int:
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main() -> None:
    a_name, b_name, delay_ms, loss, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    a, b = open_tap(a_name), open_tap(b_name)
    other = {a: b, b: a}
    rng = random.Random(seed)
    due = []  # (time to write, order, fd, frame)
    order = 0
    print('ready', flush=True)
    while True:
        timeout = None if not due else max(0.0, due[0][0] - time.monotonic())
        readable, _, _ = select.select([a, b], [], [], timeout)
        for fd in readable:
            while True:
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if rng.random() >= loss:
                    order += 1
                    heapq.heappush(due, (time.monotonic() + delay_ms / 1000, order, other[fd], frame))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, fd, frame = heapq.heappop(due)
            try:
                os.write(fd, frame)
            except OSError:
                pass  # a device that is down takes nothing: the frame is lost, as on a wire


if __name__ == '__main__':
    main()
