"""Benchmark the fake Box: a big backup round trip, and the big schemathesis fuzz run.

    python tests/bench/bench_fakebox.py --backup-bytes 2147483648 --clients 4 --write BENCHMARKS.md
    python tests/bench/bench_fakebox.py --fuzz 250 --write BENCHMARKS.md

Round trip: `selftest serve fakebox` runs in its own process (so its peak RSS, VmHWM from
/proc, is the fake's alone); a chunked upload session of the backup's size is opened, its
8 MiB parts are uploaded by N concurrent clients (threads, one keep-alive HTTP session each,
parts dealt round-robin, so they arrive out of order), committed with the whole-file SHA-1,
then downloaded back through the 302 in one stream and the SHA-1 compared. Part bytes are
made from a seeded generator per part, so the client never holds the backup either.

Fuzz: tests/fakebox_fuzz.py with N cases per implemented operation, generated from the
repository's subset of Box's OpenAPI spec (tests/data/box-openapi-subset.json; --spec takes
another copy); counts every status, every answer >= 500 and every handler exception.

Each run writes only its own `<!-- section: ... -->` block of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import platform
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sections import write_section

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from box_openapi import SPEC  # noqa: E402 - tests/ is not a package

MIB = 1024 * 1024


def part_bytes(index: int, size: int) -> bytes:
    """Part `index`'s bytes, the same every time (seeded), never the whole backup at once."""
    return random.Random(index).randbytes(size)  # noqa: S311 - test data, not a secret


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def round_trip(total: int, part_size: int, clients: int) -> dict[str, float | int | str]:
    """Upload `total` bytes in parts by `clients` threads, download back; the figures."""
    serve = subprocess.Popen(
        [sys.executable, "-m", "selftest", "serve", "fakebox", "--token", "bench",
         "--spool-max-bytes", str(total + 64 * MIB), "--space-amount", str(4 * total),
         "--max-upload-size", str(2 * total)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None
        info = json.loads(serve.stdout.readline())
        start_rss = _rss_mib(serve.pid)
        parts = max(1, -(-total // part_size))
        sizes = [min(part_size, total - i * part_size) for i in range(parts)]
        whole, digests = hashlib.sha1(), []  # noqa: S324 - Box's digest is SHA-1
        for index, size in enumerate(sizes):  # one pass in order for the whole-file SHA-1
            chunk = part_bytes(index, size)
            whole.update(chunk)
            digests.append(base64.b64encode(hashlib.sha1(chunk).digest()).decode())  # noqa: S324
        auth = {"Authorization": "Bearer bench"}
        with requests.Session() as http:
            session = http.post(info["upload_url"] + "/2.0/files/upload_sessions", headers=auth,
                                json={"folder_id": "0", "file_size": total,
                                      "file_name": "backup-bench.wpress"}, timeout=60).json()
        assert session["part_size"] == part_size, session
        url = session["session_endpoints"]["upload_part"]
        records: list[dict[str, object]] = []
        lock = threading.Lock()

        def worker(offset: int) -> None:
            with requests.Session() as http:
                for index in range(offset, parts, clients):
                    lo = index * part_size
                    body = part_bytes(index, sizes[index])
                    answer = http.put(url, data=body, timeout=600, headers={
                        **auth, "Digest": f"sha={digests[index]}",
                        "Content-Range": f"bytes {lo}-{lo + sizes[index] - 1}/{total}"})
                    assert answer.status_code == 200, answer.text
                    with lock:
                        records.append(answer.json()["part"])

        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(worker, range(clients)))
        upload_s = time.monotonic() - started
        whole_b64 = base64.b64encode(whole.digest()).decode()
        with requests.Session() as http:
            began = time.monotonic()
            done = http.post(session["session_endpoints"]["commit"], headers={
                **auth, "Digest": f"sha={whole_b64}"}, json={"parts": records}, timeout=600)
            commit_s = time.monotonic() - began
            assert done.status_code == 201, done.text
            file_id = done.json()["entries"][0]["id"]
            began = time.monotonic()
            back, received = hashlib.sha1(), 0  # noqa: S324 - Box's digest is SHA-1
            with http.get(f"{info['url']}/2.0/files/{file_id}/content", headers=auth,
                          stream=True, timeout=600) as answer:
                assert answer.status_code == 200
                for chunk in answer.iter_content(MIB):
                    back.update(chunk)
                    received += len(chunk)
            download_s = time.monotonic() - began
        assert received == total and back.hexdigest() == whole.hexdigest()
        peak = _peak_rss_mib(serve.pid)
    finally:
        serve.terminate()
        serve.wait(30)
    return {"total": total, "part_size": part_size, "parts": parts, "clients": clients,
            "upload_s": upload_s, "commit_s": commit_s, "download_s": download_s,
            "upload_mib_s": total / MIB / upload_s, "download_mib_s": total / MIB / download_s,
            "start_rss_mib": start_rss, "peak_rss_mib": peak, "sha1": whole.hexdigest()}


def round_trip_body(figures: dict[str, float | int | str]) -> str:
    total = int(figures["total"])
    return "\n".join([
        f"`python tests/bench/bench_fakebox.py --backup-bytes {total} --clients "
        f"{figures['clients']}` on {platform.node() or 'this machine'} "
        f"(Python {platform.python_version()}, 2 cores shared). The fake runs as "
        "`selftest serve fakebox` in its own process; clients are threads on loopback HTTP.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| backup | {total / MIB:,.0f} MiB in {figures['parts']} parts of "
        f"{int(figures['part_size']) // MIB} MiB, {figures['clients']} concurrent clients |",
        f"| upload (parts out of order) | {float(figures['upload_s']):.1f} s, "
        f"{float(figures['upload_mib_s']):.0f} MiB/s |",
        f"| commit (whole-file SHA-1 checked from the spool) | "
        f"{float(figures['commit_s']):.1f} s |",
        f"| download back through the 302, SHA-1 compared | {float(figures['download_s']):.1f} s, "
        f"{float(figures['download_mib_s']):.0f} MiB/s, SHA-1 equal |",
        f"| fake's RSS at start / peak (VmHWM) | {float(figures['start_rss_mib']):.0f} MiB / "
        f"{float(figures['peak_rss_mib']):.0f} MiB |",
    ])


def _spec_name(spec: Path) -> str:
    if spec.resolve() == SPEC.resolve():
        return f"the repository's subset, {SPEC.relative_to(REPO)}"
    return spec.name


def fuzz_body(max_examples: int, spec: Path) -> str:
    from fakebox_fuzz import run

    began = time.monotonic()
    result = run(spec, max_examples=max_examples)
    took = time.monotonic() - began
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result.statuses.items()))
    lines = [
        f"`python tests/bench/bench_fakebox.py --fuzz {max_examples}`: schemathesis "
        f"(hypothesis) cases generated from Box's OpenAPI spec ({_spec_name(spec)}) for the "
        f"{result.operations} "
        "operations the fake implements, sent in-process with a valid token, half of them with "
        "ids that exist.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| cases | {result.calls:,} ({max_examples} per operation) in {took:.0f} s |",
        f"| answers >= 500 | {len(result.server_errors)} |",
        f"| handler exceptions (state.errors) | {len(result.handler_errors)} |",
        f"| statuses | {statuses} |",
    ]
    for problem in (result.server_errors + result.handler_errors)[:10]:
        lines.append(f"\n    {problem}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backup-bytes", type=int, help="run the round trip with this size")
    parser.add_argument("--part-size", type=int, default=8 * MIB)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fuzz", type=int, metavar="N", help="fuzz with N cases per operation")
    parser.add_argument("--spec", type=Path, default=SPEC,
                        help="Box's OpenAPI spec (default: the repository's subset, "
                        f"{SPEC.relative_to(REPO)}; a full openapi.json works too)")
    parser.add_argument("--write", type=Path, help="update this file's sections")
    args = parser.parse_args()
    if args.backup_bytes:
        body = round_trip_body(round_trip(args.backup_bytes, args.part_size, args.clients))
        print(body)
        if args.write:
            write_section(args.write, "fakebox-backup", "fake Box: big backup round trip", body)
    if args.fuzz:
        body = fuzz_body(args.fuzz, args.spec)
        print(body)
        if args.write:
            write_section(args.write, "fakebox-fuzz", "fake Box: schemathesis fuzz", body)


if __name__ == "__main__":
    main()
