"""`sluice project connect`: a model repository's pushes reach the running stack as signed GitHub webhooks.

Called by `sluicegate.cli._project`. A local repository gets a remote `sluice` (by default): a bare
repository `SLUICE_HOME/git/<model>.git` whose `post-receive` hook posts GitHub's `push` payload, signed
with the Secret `github-webhook` (key `secret`), to the stack's `github` EventSource — what GitHub does for
a repository on github.com, so the `train-on-push` Sensor sees the same event either way. The hook reads
the EventSource's address from the stack's `endpoints.json` at every push, so the connection outlives a
restart of the stack on other ports. Connecting again changes nothing that is already right;
`--disconnect` removes the remote and the hook (the bare repository stays: running workflows clone it).

For a remote on github.com nothing local can forward its pushes: `connect` prints the webhook settings to
enter in the repository's settings instead (payload URL, content type, secret, event).
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sluicegate.config import Settings, load_endpoints
from sluicegate.errors import ConfigError, ServiceError
from sluicegate.secrets import SecretStore

__all__ = ["WEBHOOK_SECRET", "Connection", "GithubRemote", "connect_project", "disconnect_project"]

#: The Secret (name, key) the `github` EventSource checks signatures with (its `webhookSecret`).
WEBHOOK_SECRET = ("github-webhook", "secret")
_GITHUB = re.compile(r"github\.com[:/](?P<owner>[^/\s]+)/(?P<name>[^/\s]+?)(\.git)?/?$")


@dataclass(frozen=True)
class GithubRemote:
    """A remote of the repository on github.com: its name and `owner/name`."""

    remote: str
    full_name: str

    @property
    def hooks_url(self) -> str:
        """The repository's page for adding a webhook."""
        return f"https://github.com/{self.full_name}/settings/hooks/new"


@dataclass(frozen=True)
class Connection:
    """What `connect_project` set up (or found already set up)."""

    model: str
    work_tree: Path
    remote: str
    bare: Path
    branch: str
    webhook_url: str
    changed: list[str] = field(default_factory=list)
    github: list[GithubRemote] = field(default_factory=list)


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise ConfigError(
            f"git {' '.join(args)} failed: {done.stderr.strip()[-200:]}", where=str(cwd), fix="check the repository"
        )
    return done


def _work_tree(folder: Path) -> Path:
    if not folder.is_dir():
        raise ConfigError("no such folder", where=str(folder), fix="pass the model repository's folder")
    done = _git(folder, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise ConfigError(
            "not a git repository",
            where=str(folder),
            fix="run `git init` and commit there, or create a model project with `sluice init`",
        )
    return Path(done.stdout.strip())


def _model_name(root: Path) -> str:
    from components._common import UserError
    from components.project import CONFIG_FILE, load_config

    if not (root / CONFIG_FILE).is_file():
        raise ConfigError(
            f"no {CONFIG_FILE} at the repository root",
            where=str(root),
            fix="add one naming the model (see docs/model-projects.md), or create a project with `sluice init`",
        )
    try:
        return load_config(root).name
    except UserError as e:
        raise ConfigError(e.what, where=str(root), fix=e.fix) from None


def _github_url(cfg: Settings) -> str:
    endpoints = load_endpoints(cfg)  # ServiceError "no local stack is running" when there is none
    url = endpoints.eventsources.get("github", "")
    if not url:
        raise ServiceError(
            "the running stack serves no `github` EventSource",
            where=str(cfg.endpoints_file),
            fix="start the stack with its events part and manifests: `sluice up --detach`",
        )
    import httpx

    try:  # any answer proves the listener is up; only a refused connection means a stale endpoints.json
        httpx.get(url, timeout=5)
    except httpx.HTTPError:
        raise ServiceError(
            f"the stack's github EventSource at {url} does not answer: the stack is not running",
            where=str(cfg.endpoints_file),
            fix="start it with `sluice up --detach`",
        ) from None
    return url


def _branch(root: Path) -> str:
    done = _git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return done.stdout.strip() or "main"


def _github_remotes(root: Path) -> list[GithubRemote]:
    out = []
    for line in _git(root, "remote", "-v").stdout.splitlines():
        name, url, kind = [*line.split(), "", "", ""][:3]
        match = _GITHUB.search(url)
        if kind == "(push)" and match:
            out.append(GithubRemote(name, f"{match['owner']}/{match['name']}"))
    return out


def _remote_url(root: Path, remote: str) -> str | None:
    done = _git(root, "remote", "get-url", remote, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _ours(url: str | None, cfg: Settings) -> bool:
    if not url:
        return False
    path = Path(url.removeprefix("file://"))
    return path.is_absolute() and path.resolve().is_relative_to((cfg.home / "git").resolve())


def _set_config(bare: Path, key: str, value: str, changed: list[str]) -> None:
    if _git(bare, "config", "--get", key, check=False).stdout.strip() != value:
        _git(bare, "config", key, value)
        changed.append(f"git config {key}")


def _bare_repository(bare: Path, branch: str, cfg: Settings, changed: list[str]) -> None:
    if not (bare / "HEAD").is_file():
        bare.parent.mkdir(parents=True, exist_ok=True)
        _git(bare.parent, "init", "--bare", "-q", f"--initial-branch={branch}", str(bare))
        changed.append(f"created {bare}")
    # the push payload's default_branch is the bare repository's HEAD: the Sensor trains pushes to it
    if _git(bare, "symbolic-ref", "HEAD").stdout.strip() != f"refs/heads/{branch}":
        _git(bare, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        changed.append(f"default branch {branch}")
    _set_config(bare, "sluice.endpointsFile", str(cfg.endpoints_file), changed)
    hook = bare / "hooks" / "post-receive"
    source = resources.files("sluicegate.eventing").joinpath("post_receive.py").read_text()
    text = f"#!{sys.executable}\n{source}"
    if not hook.is_file() or hook.read_text() != text:
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(text)
        changed.append("post-receive hook")
    hook.chmod(0o755)


def connect_project(folder: Path, cfg: Settings, remote: str = "sluice") -> Connection:
    """Wire the repository at `folder` to the stack running from `cfg.home`; safe to call again.

    Raises:
        ConfigError: not a git repository, no valid sluicegate.yaml, or `remote` is someone else's.
        ServiceError: no stack is running, or it serves no github EventSource.
    """
    root = _work_tree(folder)
    model = _model_name(root)
    url = _github_url(cfg)
    current = _remote_url(root, remote)
    if current is not None and not _ours(current, cfg):
        raise ConfigError(
            f"the remote {remote!r} exists and points to {current}",
            where=str(root),
            fix="pass another name with --remote, or remove that remote",
        )
    changed: list[str] = []
    store = SecretStore(cfg.home)
    secret = store.try_get(*WEBHOOK_SECRET)
    if secret is None:  # the EventSource reads it at every delivery: no restart needed
        store.set(*WEBHOOK_SECRET, secrets.token_hex(20))
        changed.append(f"Secret {'/'.join(WEBHOOK_SECRET)}")
    branch = _branch(root)
    bare = (cfg.home / "git" / f"{model}.git").resolve()
    _bare_repository(bare, branch, cfg, changed)
    _set_config(bare, "sluice.secretsFile", str(store.path), changed)
    if current != bare.as_uri():
        _git(root, "remote", "set-url" if current else "add", remote, bare.as_uri())
        changed.append(f"remote {remote}")
    return Connection(model, root, remote, bare, branch, url, changed, _github_remotes(root))


def disconnect_project(folder: Path, cfg: Settings, remote: str = "sluice") -> list[str]:
    """Remove the remote `remote` and its bare repository's hook; what was removed (empty: nothing was there).

    Raises:
        ConfigError: not a git repository, or `remote` is not one `connect_project` made.
    """
    root = _work_tree(folder)
    current = _remote_url(root, remote)
    if current is None:
        return []
    if not _ours(current, cfg):
        raise ConfigError(
            f"the remote {remote!r} points to {current}, not to this stack",
            where=str(root),
            fix="pass the remote `sluice project connect` made with --remote, or check SLUICE_HOME",
        )
    removed = [f"remote {remote}"]
    _git(root, "remote", "remove", remote)
    hook = Path(current.removeprefix("file://")) / "hooks" / "post-receive"
    if hook.is_file():
        hook.unlink()
        removed.append(f"post-receive hook of {hook.parent.parent}")
    return removed
