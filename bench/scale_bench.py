"""Jobs and staff pages on one data set: `python bench/scale_bench.py [--sizes 1000,1000000]`.

Each size is seeded once per database (`bench/jobs_bench.py`'s data set), then timed in the
same process: the staff pages of `bench/staff_bench.py` first (they only read, and take their
alerts away again), then `jobs run-due` of `bench/jobs_bench.py` on the same rows. This is
what `make bench` runs: a million invoices are seeded once for both.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jobs_bench
import staff_bench

if __name__ == "__main__":
    jobs_bench.main(
        parts=(staff_bench.staff_rows, jobs_bench.run_due_rows),
        title="Saldo jobs and staff pages",
        doc=__doc__,
    )
