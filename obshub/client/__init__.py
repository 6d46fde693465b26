"""The kernel-side client of the obshub service.

Inside a JupyterHub user server, notebooks reach shared telescopes through the service with the
user's own token, using the same device and station API as a local station::

    from obshub.client import RemoteStation
    station = await RemoteStation.open()
    print(await station.status())

See :mod:`obshub.client.station` and docs/service.md.
"""

from obshub.client.devices import RemoteCamera, RemoteDevice, RemoteMount
from obshub.client.http import LeaseError, PermissionDenied, ServiceClient, ServiceError
from obshub.client.station import RemoteStation

__all__ = [
    "LeaseError",
    "PermissionDenied",
    "RemoteCamera",
    "RemoteDevice",
    "RemoteMount",
    "RemoteStation",
    "ServiceClient",
    "ServiceError",
]
