"""The ASCOM Alpaca backend.

alpyca's device classes serialise every request in a process behind one class-level lock and
put no timeout on image downloads, so one slow device would stall a whole station. This
backend talks HTTP itself (``transport``) with a timeout on every call and one connection pool
per server, and uses alpyca for what it does well: error numbers and exception classes,
enumerations and discovery.
"""

from obshub.devices.alpaca.backend import AlpacaBackend

__all__ = ["AlpacaBackend"]
