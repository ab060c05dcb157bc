#!/usr/bin/env python3
"""Writes the .npz fixtures of tests/data_io/test_npz.cpp the way numpy.savez / savez_compressed do (Python's
zipfile, members opened with force_zip64, .npy v1.0 inside), without needing numpy. Run from this folder."""
import struct
import zipfile


def npy(descr, shape, data):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


a = npy("<f4", (2, 3), struct.pack("<6f", 1.5, -2, 3, 4, 5e-3, 6))
b = npy("|u1", (4,), bytes([0, 7, 128, 255]))
for name, method in (("python_savez_compressed.npz", zipfile.ZIP_DEFLATED), ("python_savez.npz", zipfile.ZIP_STORED)):
    with zipfile.ZipFile(name, "w", compression=method, allowZip64=True) as z:
        for member, data in (("a.npy", a), ("b.npy", b)):
            with z.open(member, "w", force_zip64=True) as f:
                f.write(data)
