/**
 * Every version the harness pins, in one place. The Python lock files under
 * cluster/local/requirements/ are generated from these by `npm run lock`.
 */
export const versions = {
  /** JupyterHub Helm chart the tutorial installs (its hub image pins jupyterhub 5.4.4). */
  jupyterhubChart: '4.3.3',
  jupyterhub: '5.4.4',
  /** Tutorial singleuser image; nbgrader and ngshare-exchange are pip-installed in postStart. */
  singleuserImage: { name: 'quay.io/jupyter/scipy-notebook', tag: '2025-11-10' },
  nbgrader: '0.9.5',
  ngshareExchange: '0.5.2',
  /** ngshare image libretexts/ngshare:v0.6.0, built Dec 2022 on jupyterhub 3.1, so SQLAlchemy 1.4. */
  ngshare: '0.6.0',
  ngshareImage: { name: 'libretexts/ngshare', tag: 'v0.6.0' },
  ngshareChart: '0.6.0',
  /** Python minor versions of each image; the local platform uses the same where the machine has them. */
  python: { hub: '3.12', ngshare: '3.10', user: '3.13' },
  /** The installer used to build the local Python environments (from PyPI). */
  uv: '0.13.9',
  /** Init container image of the tutorial's ngshare-config.yaml. */
  busybox: 'busybox:1.36',
  kindNodeImage: 'kindest/node:v1.33.1',
} as const;

/** Helm chart repositories the tutorial adds. */
export const chartRepos = {
  jupyterhub: { name: 'jupyterhub', url: 'https://hub.jupyter.org/helm-chart/' },
  ngshare: { name: 'ngshare', url: 'https://libretexts.github.io/ngshare-helm-repo/' },
} as const;

/** The course and users the tutorial's flow uses. */
export const tutorial = {
  courseId: 'course101',
  assignment: 'ps1',
  instructor: 'instructor1',
  student: 'student1',
} as const;
