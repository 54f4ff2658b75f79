/**
 * Every version the harness pins, in one place. The Python lock files under
 * cluster/python/requirements/ are generated from these by `npm run lock`.
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

/**
 * What the kind and jetstream platforms need on the user's machine: the oldest version the harness
 * accepts, and the version nightly CI installs (.github/workflows/nightly.yml; a unit test keeps the
 * two in step). kind 0.29.0 is the release whose node image is `kindNodeImage`.
 */
export const kubeTools = {
  kind: { minimum: '0.29.0', ci: '0.29.0' },
  helm: { minimum: '3.7.0', ci: '3.18.4' },
  docker: { minimum: '20.10.0' },
} as const;

/** `kindNodeImage` pinned by digest, as kind's release notes publish it for kind 0.29.0. */
export const kindNodeImageDigest = 'sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f';

/** The troubleshooting variant "ngshare with SQLAlchemy 2" (local requirements and kind's derived image). */
export const ngshareSqlalchemy2 = '2.0.48';
