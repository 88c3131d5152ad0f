"""The text header of Prophesee files (EVT 2.0, EVT 3.0, DAT): lines starting with ``%``.

Parsed here, before a decoder sees the file, so that a truncated or missing header
is a clear error (expelliarmus loops forever on a header cut mid-line).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from evlearn.events import SensorSize
from evlearn.formats.base import check_file, fail

# Sensor size by camera generation, for headers that name the plugin but not the size
# (Prophesee's sensor list: Gen3 VGA, Gen3.1 VGA, Gen4/Gen4.1 HD, IMX636 HD, GenX320).
_PLUGIN_SENSORS = (("gen31", (640, 480)), ("gen3", (640, 480)), ("gen41", (1280, 720)),
                   ("gen4", (1280, 720)), ("imx636", (1280, 720)), ("genx320", (320, 320)))
MAX_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class PropheseeHeader:
    fields: dict
    data_offset: int

    @property
    def evt_version(self) -> str | None:
        """"2.0"/"3.0" from ``% evt 3.0`` or ``% format EVT3;...``; None when absent."""
        if "evt" in self.fields:
            return self.fields["evt"].strip()
        match = re.match(r"EVT(\d)(?:\.(\d))?", self.fields.get("format", ""))
        return f"{match.group(1)}.{match.group(2) or 0}" if match else None

    def sensor_size(self) -> SensorSize | None:
        """(W, H, 2) from ``format ...;width=;height=``, ``geometry WxH``, Width/Height or plugin."""
        fmt = self.fields.get("format", "")
        width, height = re.search(r"width=(\d+)", fmt), re.search(r"height=(\d+)", fmt)
        if width and height:
            return SensorSize(int(width.group(1)), int(height.group(1)), 2)
        geometry = re.fullmatch(r"\s*(\d+)x(\d+)\s*", self.fields.get("geometry", ""))
        if geometry:
            return SensorSize(int(geometry.group(1)), int(geometry.group(2)), 2)
        if self.fields.get("width", "").strip().isdigit() and self.fields.get("height", "").strip().isdigit():
            return SensorSize(int(self.fields["width"]), int(self.fields["height"]), 2)
        plugin = self.fields.get("plugin_name", "").lower()
        for key, (w, h) in _PLUGIN_SENSORS:
            if key in plugin:
                return SensorSize(w, h, 2)
        return None


def has_prophesee_header(head: bytes) -> bool:
    """Whether the first bytes ``head`` start a Prophesee ``%`` header."""
    return head.startswith(b"%")


def read_header(path, what: str) -> PropheseeHeader:
    """Parse the ``%`` lines at the start of ``path``; the data starts after the last one."""
    fields: dict = {}
    offset = 0
    with open(path, "rb") as handle:
        head = handle.read(MAX_HEADER_BYTES)
    if not head.startswith(b"%"):
        raise fail(path, f"missing header: a {what} file starts with '%' header lines (byte offset 0)")
    while head[offset:offset + 1] == b"%":
        end = head.find(b"\n", offset)
        if end < 0:
            raise fail(path, f"header line at byte offset {offset} never ends (truncated or corrupt header)")
        line = head[offset + 1:end].decode("latin-1").strip()
        if line == "end":  # Metavision's explicit end-of-header marker
            offset = end + 1
            break
        key, _, value = line.partition(" ")
        fields.setdefault(key.lower(), value)
        offset = end + 1
    return PropheseeHeader(fields, offset)


def is_evt(head: bytes, major: str) -> bool:
    """Whether a header announces EVT ``major`` ("2" or "3") in either of Prophesee's spellings."""
    return head.startswith(b"%") and (f"% evt {major}.0".encode() in head or f"format EVT{major}".encode() in head)


def read_evt_header(path, version: str, what: str) -> PropheseeHeader:
    """Check the file and parse its header, refusing one that names another EVT version."""
    path = check_file(path)
    header = read_header(path, what)
    if header.evt_version not in (None, version):
        raise fail(path, f"header says EVT {header.evt_version}, not EVT {version}")
    return header
