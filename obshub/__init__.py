"""obshub: control, scheduling and synchronisation for telescopes reached over IP.

The package is layered; each sub-package depends only on those before it:

``astro`` (offline astropy) → ``devices`` (one interface per capability, Alpaca/INDI
backends) → ``frames`` (FITS) → ``station`` (the validated station file and the live
station built from it) → ``sim`` (real simulators for a station) → ``cli``.
"""

from obshub.astro.offline import configure_offline

configure_offline()

__version__ = "0.1.0"

__all__ = ["__version__"]
