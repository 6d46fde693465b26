# JupyterHub configuration for obshub: one file, configured by environment variables.
#
#   jupyterhub -f hub_config/jupyterhub_config.py        (or: obshub hub --station FILE)
#
# Environment (defaults in brackets):
#   OBSHUB_HOME                 state directory [~/.obshub]; the hub keeps its files in hub/
#   OBSHUB_STATIONS             station files, ':'-separated (one site each)
#   OBSHUB_AUTH                 demo | native [demo]  (native: NativeAuthenticator, sign-up
#                               approved by an admin at /hub/authorize)
#   OBSHUB_DEMO_PASSWORD        the demo users' password [obshub]
#   OBSHUB_ADMINS               extra admin user names, comma-separated
#   OBSHUB_SITE_OWNERS, OBSHUB_CONFIGURERS, OBSHUB_OBSERVERS, OBSHUB_CLUB_VIEWERS
#                               user names given each obshub role, comma-separated (the
#                               per-site grants are made in the obshub service)
#   OBSHUB_HUB_IP / _PORT       the public address [127.0.0.1:8000]
#   OBSHUB_HUB_API_PORT         the hub's internal API port [8081]
#   OBSHUB_PROXY_API_PORT       the proxy's REST API port [8001]
#   OBSHUB_SERVICE_PORT         the obshub service's port [8765]
#   OBSHUB_SSL_CERT / _KEY      serve HTTPS with these PEM files (else plain HTTP: put a TLS
#                               reverse proxy in front, see docs/service.md)
#   OBSHUB_HUB_DB_URL           the hub's database [sqlite in $OBSHUB_HOME/hub]; e.g.
#                               postgresql+psycopg://hub:secret@db/jupyterhub
#   OBSHUB_SERVICE_DB           the obshub service's database [sqlite in $OBSHUB_HOME]
#   OBSHUB_IDLE_TIMEOUT         cull notebook servers idle this many seconds [3600]; 0: never
#   OBSHUB_EXECUTOR_CMD         command line of the night executor, run as a managed service
#   OBSHUB_SCHEDULER_CMD        command line of the scheduler, run as a managed service
#   OBSHUB_BOOTSTRAP_TOKEN      an admin API token for provisioning scripts and tests
#   OBSHUB_SCHEDULER_POLICY     preempt | wait: the scheduler versus a manual lease [preempt]
import os
import shlex
import sys
from pathlib import Path

from obshub.service import hubsetup
from obshub.service import scopes as S

c = get_config()  # noqa: F821 - provided by JupyterHub

env = os.environ.get
REPO = Path(__file__).resolve().parent.parent
HOME = Path(env("OBSHUB_HOME") or Path.home() / ".obshub")
STATE = HOME / "hub"
STATE.mkdir(parents=True, exist_ok=True)
PY = sys.executable  # the venv's python: the hub's children do not inherit the venv on PATH

stations = [p for p in (env("OBSHUB_STATIONS") or "").split(os.pathsep) if p]
stations = [str(Path(p).resolve()) for p in stations]

# --- network, TLS, database ---------------------------------------------------------------
ip = env("OBSHUB_HUB_IP", "127.0.0.1")
port = int(env("OBSHUB_HUB_PORT", "8000"))
api_port = int(env("OBSHUB_HUB_API_PORT", "8081"))
proxy_api_port = int(env("OBSHUB_PROXY_API_PORT", "8001"))
service_port = int(env("OBSHUB_SERVICE_PORT", "8765"))
if env("OBSHUB_SSL_CERT"):
    c.JupyterHub.ssl_cert = env("OBSHUB_SSL_CERT")
    c.JupyterHub.ssl_key = env("OBSHUB_SSL_KEY")
scheme = "https" if env("OBSHUB_SSL_CERT") else "http"
c.JupyterHub.bind_url = f"{scheme}://{ip}:{port}/"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{api_port}"
c.JupyterHub.db_url = env("OBSHUB_HUB_DB_URL") or f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
# The proxy comes from npm (package.json at the repository root), not from PATH.
_chp = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_chp) if _chp.exists() else "configurable-http-proxy"]
c.JupyterHub.cleanup_servers = True

# --- who logs in -----------------------------------------------------------------------------
admins = set(hubsetup.env_list("OBSHUB_ADMINS"))
members: dict[str, list[str]] = {name: [] for name in S.ROLES}
if env("OBSHUB_AUTH", "demo") == "native":
    c.JupyterHub.authenticator_class = "native"
    c.NativeAuthenticator.open_signup = False  # an admin approves each sign-up
    c.NativeAuthenticator.minimum_password_length = 8
    c.Authenticator.allow_all = True  # approved members are club viewers by default
else:
    c.JupyterHub.authenticator_class = hubsetup.DemoAuthenticator
    c.DemoAuthenticator.password = env("OBSHUB_DEMO_PASSWORD", "obshub")
    c.Authenticator.allowed_users = set(hubsetup.DEMO_USERS)
    for name, (role, _groups) in hubsetup.DEMO_USERS.items():
        members[role].append(name)
    admins.add("admin")
    c.JupyterHub.load_groups = {
        "club": {"users": [n for n, (_, g) in hubsetup.DEMO_USERS.items() if "club" in g]}
    }
c.Authenticator.admin_users = admins
# JupyterHub roles are assigned here (not through its API): comma-separated user names.
for role, var in (
    ("obshub-site-owner", "OBSHUB_SITE_OWNERS"),
    ("obshub-configurer", "OBSHUB_CONFIGURERS"),
    ("obshub-observer", "OBSHUB_OBSERVERS"),
    ("obshub-club-viewer", "OBSHUB_CLUB_VIEWERS"),
):
    members[role] += [u for u in hubsetup.env_list(var) if u not in members[role]]
members["obshub-admin"] += sorted(admins - set(members["obshub-admin"]))

# --- single-user servers ---------------------------------------------------------------------
# Users are not Unix accounts: each gets a directory under the hub's state.
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [hubsetup.venv_bin("jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "users" / "{username}")
c.Spawner.default_url = "/lab" if env("OBSHUB_DEFAULT_URL") is None else env("OBSHUB_DEFAULT_URL")
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
# The kernel's JUPYTERHUB_API_TOKEN carries the user's obshub scopes: notebooks call the service
# as their user (never with a device connection of their own).
c.Spawner.server_token_scopes = hubsetup.server_token_scopes()
c.Spawner.environment = {
    "OBSHUB_SERVICE_URL": f"http://127.0.0.1:{service_port}/services/{S.SERVICE_NAME}/",
    "OBSHUB_HOME": str(HOME),
}

# --- roles and scopes ------------------------------------------------------------------------
c.JupyterHub.custom_scopes = S.CUSTOM_SCOPES
service_roles: dict[str, list[str]] = {"obshub-scheduler": []}

# --- services --------------------------------------------------------------------------------
service_env = {
    k: v
    for k, v in os.environ.items()
    if k.startswith("OBSHUB_") and k not in ("OBSHUB_BOOTSTRAP_TOKEN", "OBSHUB_DEMO_PASSWORD")
}
service_env.update(
    OBSHUB_HOME=str(HOME),
    OBSHUB_STATIONS=os.pathsep.join(stations),
    OBSHUB_SERVICE_DB=env("OBSHUB_SERVICE_DB") or f"sqlite:///{HOME / 'service.sqlite'}",
)
if env("OBSHUB_AUTH", "demo") != "native" and "OBSHUB_SEED_GRANTS" not in os.environ:
    import json

    service_env["OBSHUB_SEED_GRANTS"] = json.dumps(hubsetup.demo_grants(stations))

services = [
    {
        "name": S.SERVICE_NAME,
        "display": True,
        "url": f"http://127.0.0.1:{service_port}",
        "command": [PY, "-m", "obshub.service"],
        "environment": service_env,
        "oauth_no_confirm": True,
        # Browser logins must carry obshub's scopes, or OAuth tokens lose them.
        "oauth_client_allowed_scopes": [*S.ALL_CUSTOM, "read:users:groups!user"],
    }
]
for name, var in (
    ("obshub-executor", "OBSHUB_EXECUTOR_CMD"),
    ("obshub-scheduler", "OBSHUB_SCHEDULER_CMD"),
):
    if env(var):
        services.append(
            {
                "name": name,
                "command": hubsetup.absolute_command(shlex.split(env(var))),
                "environment": {
                    **service_env,
                    "OBSHUB_SERVICE_URL": f"http://127.0.0.1:{service_port}/services/obshub/",
                },
            }
        )
        service_roles["obshub-scheduler"].append(name)

idle = int(env("OBSHUB_IDLE_TIMEOUT", "3600"))
try:
    import jupyterhub_idle_culler  # noqa: F401
except ImportError:
    idle = 0
if idle > 0:
    services.append(
        {
            "name": "idle-culler",
            "command": [PY, "-m", "jupyterhub_idle_culler", f"--timeout={idle}"],
        }
    )

extra_roles = []
if env("OBSHUB_BOOTSTRAP_TOKEN"):
    # A provisioning identity (tests, benchmarks, scripts): JupyterHub admin, obshub admin.
    services.append({"name": "obshub-bootstrap", "api_token": env("OBSHUB_BOOTSTRAP_TOKEN")})
    extra_roles.append(
        {
            "name": "obshub-bootstrap",
            "scopes": [
                "admin:users",
                "admin:groups",
                "admin:servers",
                "tokens",
                "list:users",
                "read:users",
                "access:servers",
                "read:roles",
                "admin-ui",
                S.ACCESS,
                S.ADMIN,
            ],
            "services": ["obshub-bootstrap"],
        }
    )
if idle > 0:
    extra_roles.append(
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    )

# --- Voila dashboards (issue 8): read-only hub-managed services, see hub_config/dashboards.py
import importlib.util as _ilu  # noqa: E402

_spec = _ilu.spec_from_file_location(
    "obshub_dashboards_hub", Path(__file__).with_name("dashboards.py")
)
_dash = _ilu.module_from_spec(_spec)
_spec.loader.exec_module(_dash)
services += _dash.services(f"http://127.0.0.1:{service_port}/services/{S.SERVICE_NAME}/", HOME)
service_roles["obshub-dashboard"] = [s["name"] for s in services if s["name"] in _dash.NAMES]
extra_roles += _dash.roles(members, ["club"] if env("OBSHUB_AUTH", "demo") != "native" else [])

c.JupyterHub.services = services
c.JupyterHub.load_roles = hubsetup.roles(members, service_roles) + extra_roles
