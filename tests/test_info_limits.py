"""`evlearn info` on endless or larger-than-memory input: one line and exit 2, or a bounded-memory stream.

It used to read the whole file (MemoryError on a file larger than memory; /dev/zero grew until the kernel
killed it).
"""
import subprocess
import sys
from pathlib import Path

import pytest

EVLEARN = str(Path(sys.executable).with_name("evlearn"))

MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=600)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_info_on_dev_zero_is_one_line_and_exit_2():
    done = subprocess.run([EVLEARN, "info", "/dev/zero"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "/dev/zero" in done.stderr


@pytest.mark.parametrize("suffix, header, limit_mb", [
    (".bin", b"", 400),
    # DAT: its time-order scan once held 64 MB blocks and int64 copies of them (310 MB)
    (".dat", b"% Version 2\n\x0c\x08", 250),
])
def test_info_streams_a_file_far_larger_than_its_memory_use(tmp_path, suffix, header, limit_mb):
    """100 MB of records is 12-20 M events, 400-640 MB as an event array; info must stay well below that."""
    path = tmp_path / f"zeros{suffix}"
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + 100 * 2**20)  # sparse: costs no disk; records of zeros are valid events
    out = subprocess.run([sys.executable, "-c", MEASURE, EVLEARN, "info", str(path), "--json"],
                         capture_output=True, text=True, timeout=900).stdout.split()
    code, max_rss_kb = int(out[0]), int(out[1])
    assert code == 0
    assert max_rss_kb < limit_mb * 1000, f"peak memory {max_rss_kb / 1e3:.0f} MB for a 100 MB file"
