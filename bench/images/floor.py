"""The libvips floor: the same thumbnail + encode as a wharf cold transform, done in-process by
pyvips with the same concurrency, the same sequence of widths and qualities as cold.lua, libvips'
operation cache off and one libvips thread per operation (VIPS_CONCURRENCY=1, set by the caller).

    python floor.py SOURCE FORMAT THREADS SECONDS     (FORMAT: webp or avif)

Prints images per second on stdout.
"""
import sys
import threading
import time

import pyvips

source, fmt, threads, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
pyvips.cache_set_max(0)
data = open(source, "rb").read()
lock = threading.Lock()
counter = 0
done = 0


def next_params():
    global counter
    with lock:
        c = counter
        counter += 1
    return 560 + c % 100, 70 + (c // 100) % 20


def worker(end):
    global done
    while time.monotonic() < end:
        w, q = next_params()
        # size=down: never upscale, like wharf's default.
        image = pyvips.Image.thumbnail_buffer(data, w, size="down")
        if fmt == "webp":
            image.webpsave_buffer(Q=q, effort=4, strip=True)
        else:
            image.heifsave_buffer(Q=q, compression="av1", effort=2, strip=True)
        with lock:
            done += 1


start = time.monotonic()
end = start + seconds
pool = [threading.Thread(target=worker, args=(end,)) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
print(f"{done / (time.monotonic() - start):.2f}")
