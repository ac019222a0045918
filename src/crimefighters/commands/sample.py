"""crimefighters sample [--out DIR] [--seed N]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from crimefighters.commands._shared import Options
from crimefighters.errors import CrimefightersError

# Kept equal to crimefighters.data.sample.DEFAULT_SEED (a test checks); importing that module
# here would load Polars for every `--help`.
DEFAULT_SEED = 2017


def sample(
    *,
    out: Annotated[
        Path | None,
        Parameter(
            help="folder to write into, created if needed (default: the bundled sample_data/)"
        ),
    ] = None,
    seed: Annotated[int, Parameter(help="random seed")] = DEFAULT_SEED,
    options: Options,
) -> int:
    """Generate the synthetic sample data (32 boroughs, 48 months, planted patterns).

    Recorded crime in the MPS wide format, PAS confidence in
    MOPAC's layout, and every other measure as generic measure files, with a README listing the
    planted patterns the scan should find. The same seed always writes byte-identical files; the
    bundled sample uses the default seed. Existing files of the same names are replaced."""
    from crimefighters.data.sample import LATEST, MONTHS, PLANTED, write_sample
    from crimefighters.paths import default_sample_dir

    out = out if out is not None else default_sample_dir()
    try:
        written = write_sample(out, seed=seed)
    except OSError as exc:
        raise CrimefightersError(
            f"cannot write the sample data to {out}: {exc.strerror or exc}"
        ) from None
    print(f"Sample data (seed {seed}, {MONTHS[0]:%Y-%m} to {LATEST:%Y-%m}) written to {out}:")
    for file in written:
        rows = f"{file.rows:>8,} rows" if file.rows else " " * 13
        print(f"  {file.path.name:26} {file.size:>11,} bytes {rows}")
    total = sum(f.size for f in written)
    print(f"  {'total':26} {total:>11,} bytes")
    print(f"{len(PLANTED)} planted patterns, listed in {out / 'README.md'}")
    return 0
