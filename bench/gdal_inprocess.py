"""GDAL's own viewshed, in one process: ``gdal.ViewshedGenerate`` for every site of a DEM.

Run by ``bench/terrain.py`` with a Python that has GDAL's bindings (Debian's ``python3-gdal``:
``/usr/bin/python3``, or ``$PHUSONG_GDAL_PYTHON``); reads the job as JSON on stdin
(``{"dem": path, "sites": [[x, y], …], "radius_m": r}``), prints the seconds spent in
``ViewshedGenerate`` over all sites (the DEM opened and its band read once, before timing; the
output rasters in memory, so no file I/O is timed) as JSON.
"""

import json
import sys
import time

from osgeo import gdal

gdal.UseExceptions()


def main() -> None:
    job = json.load(sys.stdin)
    dem = gdal.Open(job["dem"])
    band = dem.GetRasterBand(1)
    band.ReadAsArray()  # into GDAL's block cache: the timed runs read from memory
    x0, y0 = job["sites"][0]

    # the same options as bench/terrain.py gives gdal_viewshed: 30 m mast, 1.5 m handset,
    # -cc 0.25, visible 255, invisible/out of range/nodata 0, edge mode, max distance
    def run(x, y, radius_m):
        return gdal.ViewshedGenerate(
            band, "MEM", "", [], x, y, 30.0, 1.5, 255, 0, 0, 0, 0.25, gdal.GVM_Edge, radius_m
        )

    run(x0, y0, 1000.0)  # warm up (not timed)
    started = time.perf_counter()
    for x, y in job["sites"]:
        out = run(x, y, job["radius_m"])
        out = None  # noqa: F841 - freed before the next site
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "gdal": gdal.__version__}))


if __name__ == "__main__":
    main()
