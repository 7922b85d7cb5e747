"""Step columns as another writer may leave them, for the program tests.

    /usr/bin/python3 tests/python/steps.py RUN NAME KIND [ROW=VALUE ...]

copies RUN to NAME with /snapshots/step rewritten: the run's own steps (as int64 values), of
numpy type KIND (float64, float32, int32, int64), with the listed rows set to other values
(a value may be nan). h5py writes what numpy holds, as a user's script would.
"""
import shutil
import sys

import h5py
import numpy as np

run, name, kind = sys.argv[1:4]
shutil.copy(run, name)
with h5py.File(name, "r+") as f:
    steps = f["/snapshots/step"][()].astype(kind)
    for change in sys.argv[4:]:
        row, value = change.split("=")
        steps[int(row)] = float(value)
    del f["/snapshots/step"]
    f["/snapshots/step"] = steps
