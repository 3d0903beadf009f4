#!/usr/bin/python3
"""OpenBLAS SGEMM baseline for `make bench-gemm` (driven by tests/Platform.Benchmarks, Emulator/EmulatorBenchmarks.cs).

Run with OPENBLAS_NUM_THREADS and OPENBLAS_CORETYPE=SkylakeX in the environment (they must be set before numpy
loads OpenBLAS). Protocol, one request per stdin line so the C# side can interleave its own runs with ours:
    "<n> <reps>"  ->  prints {"n": n, "seconds": best_of_reps} for C[n×n] = A·B in float32
The first line printed is {"numpy": version, "blas": name} once numpy is loaded.
"""
import json
import sys
import time

import numpy as np


def blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.26
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f'{blas.get("name", "?")} {blas.get("version", "")}'.strip()
    except Exception:  # numpy < 1.26 (Debian 12 ships 1.24): no dict mode
        info = getattr(np.__config__, "blas_opt_info", {}) or {}
        return ",".join(info.get("libraries", [])) or "unknown"


def loaded_blas() -> str:
    """The BLAS shared object numpy actually runs (Debian picks it through update-alternatives)."""
    np.matmul(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line}
        return ";".join(sorted(libs)) or "none"
    except OSError:
        return "unknown"


def main() -> None:
    libs = loaded_blas()
    print(json.dumps({"numpy": np.__version__, "blas": blas_name(), "loaded": libs,
                      "openblas": "openblas" in libs.lower()}), flush=True)
    rng = np.random.default_rng(0)
    cache = {}
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        n, reps = int(parts[0]), int(parts[1])
        if n not in cache:
            cache.clear()
            a = rng.standard_normal((n, n), dtype=np.float32)
            b = rng.standard_normal((n, n), dtype=np.float32)
            cache[n] = (a, b, np.empty((n, n), dtype=np.float32))
        a, b, c = cache[n]
        best = float("inf")
        for _ in range(reps):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"n": n, "seconds": best}), flush=True)


if __name__ == "__main__":
    main()
