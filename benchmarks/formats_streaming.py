"""Event file formats at scale: correctness on the real samples, streaming vs whole-file
throughput, tonic's readers, peak memory of the CLI on a >= 2 GB file, streaming FEAST.

    python benchmarks/formats_streaming.py [--events 270000000] [--work DIR] [--keep]
        -> benchmarks/results/formats/streaming.json, streaming.csv and large_file.json

What it does, all in one run (so ratios compare like with like on a shared machine):
1. every camera sample: read_events equals the reference decoder event for event
   (tonic for AEDAT 4.0, the chosen library for the others) and the counts;
2. a mid-size file per format (the real EVT 2.0 sample repeated and shifted in time,
   written with write_events): events/s of the decoder evlearn uses reading the whole
   file at once (the same decoder as the stream, into the same int64 records where it
   decodes into them), of read_events and of stream_events (default chunks), of the
   fastest library decoder's whole-file read in its own compact records (expelliarmus for
   EVT 2.0 and DAT, faery for EVT 3.0), and tonic's reader where tonic reads the format
   (AEDAT 4.0, ATIS .bin);
3. a large DAT file (default 250 M events, 2.0 GB; written streaming, deleted at the end
   unless --keep): peak resident memory (ru_maxrss of the child process) and wall time of
   `evlearn info`, `evlearn convert` (DAT -> EVT 2.0) and `evlearn feast extract`;
4. streaming FEAST (read + FEAST transform) events/s on one core (CPU time).
Generated files live in --work (default: a temporary folder), never in the repository.
The machine's load average is recorded at the start and end of each part.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from feast_speed import timed  # sibling script: one best-of timer for the benchmarks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "formats"
SAMPLES = ROOT.parent / "shared" / "data" / "camera-samples"
SAMPLE_FILES = {"evt2": "prophesee_evt2_sample.raw", "evt3": "prophesee_evt3_sample.raw",
                "dat": "prophesee_ncars_sample.dat", "aedat4": "inivation_sample.aedat4"}
SENSOR = (640, 480, 2)  # the EVT 2.0 sample's camera (Prophesee Gen3)
N_NEURONS, RADIUS = 16, 2  # the FEAST layer run over the large file


def repeated_sample(n_events: int, chunk_events: int = 1 << 20, sensor=SENSOR):
    """Chunks of the real EVT 2.0 sample repeated end to end, each copy shifted in time."""
    from evlearn.formats import read_events

    base = read_events(SAMPLES / SAMPLE_FILES["evt2"])
    base["t"] -= base["t"][0]
    span = int(base["t"][-1]) + 1
    if sensor != SENSOR:
        base["x"] %= sensor[0]
        base["y"] %= sensor[1]
    done, copy = 0, 0
    while done < n_events:
        block = base.copy()
        block["t"] += copy * span
        for start in range(0, block.size, chunk_events):
            part = block[start:min(start + chunk_events, block.size, start + n_events - done)]
            if not part.size:
                break
            done += part.size
            yield part
        copy += 1


def interleaved(functions: dict, repeats: int = 3) -> dict:
    """Best (wall, CPU) seconds of each function, the functions taking turns in each round,
    so a change in the machine's load affects all of them alike."""
    best = {name: (np.inf, np.inf) for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            cpu, wall = timed(fn, repeats=1)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def check_samples() -> list[dict]:
    import faery
    import tonic.io
    from expelliarmus import Wizard

    from evlearn.formats import read_events

    rows = []
    for name, file in SAMPLE_FILES.items():
        path = SAMPLES / file
        ours = read_events(path)
        if name == "aedat4":
            ref, ref_name, p = tonic.io.read_aedat4(str(path)), "tonic.io.read_aedat4", "on"
        elif name == "evt3":
            ref, ref_name, p = np.concatenate(list(faery.events_stream_from_file(path))), "faery", "on"
        else:
            ref, ref_name, p = Wizard(encoding=name, fpath=path).read(), "expelliarmus", "p"
        equal = ours.size == ref.size and all(np.array_equal(ours[f], ref[g].astype(np.int64))
                                              for f, g in (("x", "x"), ("y", "y"), ("t", "t"), ("p", p)))
        rows.append({"format": name, "file": f"../shared/data/camera-samples/{file}", "events": int(ours.size),
                     "reference": ref_name, "equal_event_for_event": bool(equal)})
    return rows


def decoders(fmt: str, path: Path):
    """The bare decoder reading the whole file (what stream_events wraps), and tonic's where it has one."""
    import faery

    def expelliarmus_whole(encoding):
        from expelliarmus import Wizard

        return lambda: Wizard(encoding=encoding, fpath=path).read()

    def faery_whole():
        return np.concatenate(list(faery.events_stream_from_file(path)))

    def aedat_whole():
        import aedat

        return np.concatenate([p["events"] for p in aedat.Decoder(str(path)) if "events" in p])

    def prophesee_whole(name):  # evlearn's numba EVT 2.0 / DAT decoder over the whole file at once
        from evlearn.formats import open_source
        from evlearn.formats import prophesee_kernels as pk

        def read():
            words = np.fromfile(path, dtype="<u4", offset=open_source(path, format=name).data_offset)
            if name == "evt2":
                return pk.decode_evt2(words, pk.new_evt2_state())
            return pk.decode_dat(words.reshape(-1, 2), pk.new_dat_state())

        return read

    def evt3_whole():  # evlearn's numba decoder over all words at once
        from evlearn.formats.evt3 import open_source
        from evlearn.formats.evt3_kernel import count_events, decode_words, new_state

        words = np.fromfile(path, dtype="<u2", offset=open_source(path).data_offset)
        x, y, t, p = (np.empty(count_events(words), dtype=np.int64) for _ in range(4))
        decode_words(words, new_state(), x, y, t, p)

    def atis_whole():
        from evlearn.formats.atis import decode_records

        return decode_records(path.read_bytes())

    bare = {"evt2": ("evlearn numba (prophesee_kernels)", prophesee_whole("evt2")),
            "dat": ("evlearn numba (prophesee_kernels)", prophesee_whole("dat")),
            "evt3": ("evlearn numba (evt3_kernel)", evt3_whole), "aedat4": ("aedat", aedat_whole),
            "nmnist": ("numpy (evlearn.formats.atis)", atis_whole), "npy": ("numpy.load", lambda: np.load(path))}[fmt]
    # the fastest library's whole-file read, in its own records (faery misreads EVT 3.0 past 16.8 s)
    library = {"evt2": ("expelliarmus", expelliarmus_whole("evt2")), "dat": ("expelliarmus", expelliarmus_whole("dat")),
               "evt3": ("faery", faery_whole)}.get(fmt)
    tonic_reader = None
    if fmt == "aedat4":
        import tonic.io

        tonic_reader = lambda: tonic.io.read_aedat4(str(path))  # noqa: E731
    elif fmt == "nmnist":
        import tonic
        import tonic.io

        tonic_reader = lambda: tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)  # noqa: E731
    return bare, tonic_reader, library


def throughput(work: Path, mid_events: int) -> list[dict]:
    from evlearn.formats import read_events, stream_events, write_events

    rows = []
    for fmt, suffix in (("evt2", ".raw"), ("evt3", ".raw"), ("dat", ".dat"), ("aedat4", ".aedat4"),
                        ("nmnist", ".bin"), ("npy", ".npy")):
        path = work / f"mid_{fmt}{suffix}"
        sensor = (256, 240, 2) if fmt == "nmnist" else SENSOR  # ATIS .bin: 8-bit x, y < 240
        chunks = repeated_sample(mid_events, sensor=sensor)
        if fmt == "nmnist":
            chunks = (c[c["y"] != 240] for c in chunks)
        write_events(path, chunks, format=fmt, sensor_size=sensor)
        n = read_events(path).size
        (bare_name, bare), tonic_reader, library = decoders(fmt, path)
        bare()  # warm: numba compilation, file in the page cache
        readers = {"read_events": lambda: read_events(path),
                   "stream_events": lambda: sum(c.size for c in stream_events(path)),
                   "decoder_whole": bare, "tonic_whole": tonic_reader,
                   "library_whole": library[1] if library else None}
        timings = interleaved({k: f for k, f in readers.items() if f is not None})
        row = {"format": fmt, "events": n, "bytes": path.stat().st_size, "decoder": bare_name,
               "library": library[0] if library else None}
        for key, (wall, cpu) in timings.items():
            row[f"{key}_events_per_s"] = n / wall
            row[f"{key}_cpu_s"] = cpu
        row["stream_over_read_events"] = timings["read_events"][0] / timings["stream_events"][0]
        row["stream_over_decoder_whole"] = timings["decoder_whole"][0] / timings["stream_events"][0]
        for other in ("tonic_whole", "library_whole"):
            if other in timings:
                row[f"stream_over_{other}"] = timings[other][0] / timings["stream_events"][0]
        rows.append(row)
        path.unlink()
    return rows


def run_cli(args: list[str], work: Path) -> dict:
    """Run ``evlearn ARGS`` in a child process; its wall time and peak resident memory.

    Measured by GNU time (``%M``, max RSS in KB): the child's own ru_maxrss would include
    the pages of this (large) process that a fork shares with it before exec.
    """
    report = work / "time.txt"
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-o", str(report), "-f", "%M", sys.executable, "-m", "evlearn.cli.main",
                           *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"evlearn {' '.join(args)} failed: {done.stderr.strip()}")
    return {"command": "evlearn " + " ".join(args), "wall_s": wall,
            "peak_rss_mb": int(report.read_text().split()[-1]) / 1024, "stdout": done.stdout.strip()[-500:]}


def fit_model(path: Path):
    """A small FEAST layer for the camera's sensor, fitted on the first 200 k events of the sample."""
    from evlearn.feast import FEAST
    from evlearn.feast.persistence import save_model
    from evlearn.formats import read_events

    events = read_events(SAMPLES / SAMPLE_FILES["evt2"])[:200_000]
    layer = FEAST(n_neurons=N_NEURONS, radius=RADIUS, sensor_size=SENSOR).fit([events])
    save_model(path, layer)
    return layer


def streaming_feast(layer, path: Path) -> dict:
    from evlearn.formats import stream_events

    def run():
        stream = layer.stream()
        return sum(stream(chunk).size for chunk in stream_events(path))

    run()  # compile
    cpu, wall = timed(run, repeats=1)
    n = sum(c.size for c in stream_events(path))
    return {"events": n, "wall_s": wall, "cpu_s": cpu, "events_per_s_wall": n / wall,
            "events_per_s_cpu": n / cpu, "n_neurons": N_NEURONS, "radius": RADIUS, "sensor": list(SENSOR)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=250_000_000,
                        help="events in the large DAT file (8 bytes each: 250 M -> 2.0 GB)")
    parser.add_argument("--mid-events", type=int, default=20_000_000, help="events in the per-format files")
    parser.add_argument("--feast-events", type=int, default=5_000_000, help="events for streaming FEAST")
    parser.add_argument("--part", choices=("all", "small", "large"), default="all",
                        help="small: samples, throughput, streaming FEAST (-> streaming.json); "
                        "large: the large file and the CLI (-> large_file.json); the two can run at once")
    parser.add_argument("--work", type=Path, default=None, help="folder for the generated files")
    parser.add_argument("--reuse", action="store_true", help="reuse a large file of the right size left by --keep")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    from evlearn.io import package_versions

    work = args.work or Path(tempfile.mkdtemp(prefix="evlearn-formats-"))
    work.mkdir(parents=True, exist_ok=True)
    header = {"script": "benchmarks/formats_streaming.py",
              "arguments": {k: str(v) for k, v in vars(args).items() if k != "work"},
              "machine_note": "shared 2-core machine; other jobs ran at the same time, so compare ratios "
              "measured in this run, not absolute rates",
              "versions": package_versions("numpy", "numba", "tonic", "expelliarmus", "faery", "aedat")}
    if args.part in ("all", "small"):
        small_part(args, work, header)
    if args.part in ("all", "large"):
        large_part(args, work, header)
    return 0


def small_part(args, work: Path, header: dict) -> None:
    from evlearn.formats import write_events
    from evlearn.io import write_csv, write_json

    result = dict(header, load_average_start=os.getloadavg())
    print("samples", flush=True)
    result["samples"] = check_samples()
    print("throughput on mid-size files", flush=True)
    result["throughput"] = throughput(work, args.mid_events)
    print("streaming FEAST", flush=True)
    layer = fit_model(work / "feast_small.npz")
    mid = work / "feast_mid.raw"
    write_events(mid, repeated_sample(args.feast_events), sensor_size=SENSOR)
    result["streaming_feast"] = streaming_feast(layer, mid)
    result["load_average_end"] = os.getloadavg()
    write_json(OUT / "streaming.json", result)
    write_csv(OUT / "streaming.csv", result["throughput"])
    for path in (mid, work / "feast_small.npz"):
        path.unlink(missing_ok=True)
    print(f"wrote {OUT / 'streaming.json'}")


def large_part(args, work: Path, header: dict) -> None:
    from evlearn.formats import write_events
    from evlearn.io import write_json

    result = dict(header, load_average_start=os.getloadavg())
    big, model = work / "large.dat", work / "feast.npz"
    print("large file", flush=True)
    t0 = time.perf_counter()
    expected = 8 * args.events + len(b"% Version 2\n% Width 640\n% Height 480\n") + 2
    reused = args.reuse and big.exists() and big.stat().st_size == expected
    if not reused:
        write_events(big, repeated_sample(args.events), sensor_size=SENSOR)
    write_s = None if reused else time.perf_counter() - t0
    fit_model(model)
    result["large_file"] = {"path": "generated DAT (not kept)", "events": args.events, "bytes": big.stat().st_size,
                            "write_s": write_s, "reused_from_an_earlier_run": reused}
    converted = work / "large.raw"
    features = work / "features"
    result["cli"] = [run_cli(["info", str(big), "--json", "--no-progress"], work),
                     run_cli(["convert", str(big), str(converted), "--no-progress"], work),
                     run_cli(["info", str(converted), "--json", "--no-progress"], work),
                     run_cli(["feast", "extract", "--model", str(model), "--in", str(big), "--out", str(features),
                              "--no-progress"], work)]
    for row in result["cli"]:
        row["command"] = row["command"].replace(str(work), "WORK")
        row["stdout"] = row["stdout"].replace(str(work), "WORK")
    result["large_file"]["converted_evt2_bytes"] = converted.stat().st_size
    result["load_average_end"] = os.getloadavg()
    write_json(OUT / "large_file.json", result)
    if not args.keep:
        for path in (big, converted, model, *features.glob("*")):
            path.unlink(missing_ok=True)
        if features.exists():
            features.rmdir()
    print(f"wrote {OUT / 'large_file.json'}")


if __name__ == "__main__":
    sys.exit(main())
