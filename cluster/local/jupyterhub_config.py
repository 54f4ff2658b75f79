# JupyterHub configuration of the local platform. Per-run values (ports, paths, tokens) come from
# the JSON file named by E2E_HUB_SETTINGS, written by local-platform.ts; nothing here is per run.
#
# It mirrors what the tutorial's Helm values give a z2jh hub: a proxy run separately, the
# `ngshare` service entry of jhub-ngshare-service.yaml, and user servers whose environment has
# nbgrader_config.py on its Jupyter config path. Users' servers are local processes instead of pods.
import json
import os
import subprocess

from jupyterhub.spawner import SimpleLocalProcessSpawner

settings = json.load(open(os.environ["E2E_HUB_SETTINGS"]))
# Tokens and passwords: from the run's secrets file, made once per run (mode 0600), never copied.
secrets = json.load(open(settings["secretsFile"]))
c = get_config()  # noqa: F821 (provided by JupyterHub)

# Loopback only: the public proxy port, the proxy's API and the hub itself.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["proxyPort"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hubPort"]
c.ConfigurableHTTPProxy.should_start = False  # the harness runs it, as z2jh runs its proxy pod
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxyApiPort']}"
# The proxy's auth token arrives in CONFIGPROXY_AUTH_TOKEN, the cookie secret in JPY_COOKIE_SECRET.

c.JupyterHub.db_url = "sqlite:///" + os.path.join(settings["hubDir"], "jupyterhub.sqlite")
c.JupyterHub.pid_file = os.path.join(settings["hubDir"], "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# Users log in with one shared password (browser checks); the harness makes users via the API.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = secrets["userPassword"]
c.SharedPasswordAuthenticator.admin_password = secrets["adminPassword"]  # hub admins log in with this one
c.Authenticator.allow_all = True
c.Authenticator.admin_users = set(settings["hubAdmins"])

# User servers: local processes with their own home, running the user environment's Jupyter.
class LoggedLocalProcessSpawner(SimpleLocalProcessSpawner):
    """Each server's output goes to its own logs/server-<user>.log, as a pod has its own logs."""

    async def start(self):
        path = os.path.join(settings["logsDir"], f"server-{self.user.name}.log")
        with open(path, "ab") as log:  # Popen dups it; the hub's copy is closed once started
            self.popen_kwargs = {**self.popen_kwargs, "stdout": log, "stderr": subprocess.STDOUT}
            return await super().start()

    def get_env(self):
        # In a pod the deployment's /etc/jupyter is a system path: the user's ~/.jupyter outranks it
        # (a classroom names its course there). Here the deployment's directory comes through
        # JUPYTER_CONFIG_PATH, which outranks every other path, so the user's own goes before it.
        env = super().get_env()
        deployment = env.get("JUPYTER_CONFIG_PATH")
        if deployment:
            env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([os.path.join(self.home_dir, ".jupyter"), deployment])
        return env


c.JupyterHub.spawner_class = LoggedLocalProcessSpawner
c.LoggedLocalProcessSpawner.home_dir_template = os.path.join(settings["homeRoot"], "{username}")
c.Spawner.cmd = [os.path.join(settings["userEnvBin"], "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = settings["serverStartTimeout"]
c.Spawner.http_timeout = settings["serverStartTimeout"]
c.Spawner.environment = settings["serverEnvironment"]

# ngshare, registered the way the tutorial's jhub-ngshare-service.yaml registers it.
c.JupyterHub.services = [
    {
        "name": "ngshare",
        "api_token": secrets["ngshareApiToken"],
        "url": settings["ngshareUrl"],
        "oauth_no_confirm": True,
    },
    # The harness's own access to the REST API.
    {"name": "e2e-harness", "api_token": secrets["harnessApiToken"]},
]
c.JupyterHub.load_roles = [
    {
        "name": "e2e-harness",
        "services": ["e2e-harness"],
        "scopes": [
            "admin:users",
            "admin:servers",
            "admin:server_state",
            "tokens",
            "access:servers",
            "list:services",
            "read:services",
        ],
    }
]
