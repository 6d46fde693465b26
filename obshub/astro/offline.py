"""Make astropy work fully offline.

astropy downloads IERS tables and site lists on demand; at a remote observatory or in CI a
download hangs or fails mid-night. obshub uses only the IERS data installed with
``astropy-iers-data`` and the built-in solar-system ephemeris.
"""

from __future__ import annotations

import warnings

_done = False


def configure_offline() -> None:
    """Configure astropy so that no code path tries the network.

    Idempotent; called when :mod:`obshub` is imported.
    """
    global _done
    if _done:
        return
    from astropy.coordinates import solar_system_ephemeris
    from astropy.utils import data, iers

    iers.conf.auto_download = False
    # The bundled predictions are weeks old by the time anyone runs this; without this
    # the first AltAz transform raises instead of using them.
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "warn"
    data.conf.allow_internet = False
    solar_system_ephemeris.set("builtin")
    try:
        from astropy.coordinates import NonRotationTransformationWarning

        warnings.filterwarnings("ignore", category=NonRotationTransformationWarning)
    except ImportError:  # pragma: no cover - older astropy
        pass
    _done = True
