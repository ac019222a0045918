"""Start-up of the command line (issue 14): medians, with `import polars` in the same run.

    python bench/bench_startup.py [--runs 15] [--src PATH]

Times with hyperfine (`apt-get install hyperfine`): `python -c "import polars"`,
`crimefighters --help`, `crimefighters scan` on the sample with an empty cache (cold: parse,
load, scan) and with the scan already cached (warm), and `crimefighters config check`. Then one
warm scan under `python -X importtime`, to say how much of it is imports and which packages.
``--src`` runs another source tree (e.g. an older commit from `git archive`) with the same
Python, through PYTHONPATH, for a before/after table.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PYTHON = sys.executable


def hyperfine(
    commands: dict[str, str], runs: int, env: dict[str, str], prepare: str | None = None
) -> dict[str, dict]:
    out = Path(tempfile.mkdtemp()) / "hyperfine.json"
    args = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs), "--export-json", str(out)]
    if prepare:
        args = [
            "hyperfine",
            "--warmup",
            "1",
            "--runs",
            str(runs),
            "--prepare",
            prepare,
            "--export-json",
            str(out),
        ]
    for name, command in commands.items():
        args += ["-n", name, command]
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    results = json.loads(out.read_text())["results"]
    return {
        r["command"]: {
            "median": statistics.median(r["times"]),
            "user_sys": statistics.median(
                u + s for u, s in zip(r["user"], r["system"], strict=False)
            )
            if "user" in r and isinstance(r["user"], list)
            else r["user"] + r["system"],
        }
        for r in results
    }


def import_share(env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    """(seconds in imports, [(package, seconds)]) for one warm scan."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "crimefighters", "scan"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    per_package: collections.Counter[str] = collections.Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        name = name.strip()
        package = (
            ".".join(name.split(".")[:2])
            if name.startswith("crimefighters")
            else name.split(".")[0]
        )
        per_package[package] += int(self_us) / 1e6
    return sum(per_package.values()), per_package.most_common(8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--src", help="a source tree to run instead of the installed package")
    args = parser.parse_args()
    if shutil.which("hyperfine") is None:
        sys.exit("needs hyperfine (apt-get install hyperfine)")
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    warm_cache = tempfile.mkdtemp(prefix="cf-warm-")
    cold_cache = tempfile.mkdtemp(prefix="cf-cold-")
    cf = f"{PYTHON} -m crimefighters"
    env_warm = {**env, "CRIMEFIGHTERS_CACHE": warm_cache}
    subprocess.run(
        [PYTHON, "-m", "crimefighters", "scan"], env=env_warm, check=True, stdout=subprocess.DEVNULL
    )
    timings = hyperfine(
        {
            'python -c "import polars"': f"{PYTHON} -c 'import polars'",
            "crimefighters --help": f"{cf} --help",
            "crimefighters config check": f"{cf} config check",
            "crimefighters scan (warm: scan cached)": f"{cf} scan",
        },
        args.runs,
        env_warm,
    )
    timings |= hyperfine(
        {
            "crimefighters scan (cold: empty cache)": f"env CRIMEFIGHTERS_CACHE={cold_cache} {cf} scan"
        },
        max(5, args.runs // 3),
        env,
        prepare=f"rm -rf {cold_cache}",
    )
    polars = timings['python -c "import polars"']["median"]
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print("| command | median wall | user+sys (mean) | wall / import polars |")
    print("|---|---|---|---|")
    for name, t in timings.items():
        print(
            f"| `{name}` | {t['median'] * 1000:.0f} ms | {t['user_sys'] * 1000:.0f} ms | {t['median'] / polars:.2f}x |"
        )
    total, packages = import_share(env_warm)
    print(
        f"\nwarm scan, one run under -X importtime: {total * 1000:.0f} ms of imports (self times)"
    )
    for package, seconds in packages:
        print(f"  {package:32} {seconds * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
