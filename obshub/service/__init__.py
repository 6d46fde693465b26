"""The obshub service: a REST API over the stations, run inside JupyterHub or standalone.

``python -m obshub.service`` starts it (see :mod:`obshub.service.__main__`);
:func:`obshub.service.app.create_app` builds the FastAPI application. This package's
``__init__`` imports nothing heavy so that :mod:`obshub.service.codec` and
:mod:`obshub.service.scopes` can be used by the client and the hub configuration.
"""
