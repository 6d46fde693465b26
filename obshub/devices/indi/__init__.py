"""The INDI backend: INDI devices behind the same capability interfaces as Alpaca ones.

Needs ``pyindi-client`` (import name ``PyIndi``). One client per INDI server, shared by its
devices; see :mod:`obshub.devices.indi.client` for how PyIndi's listener thread is bridged to
asyncio.
"""
