# --baked-image: the tutorial's singleuser image with nbgrader and ngshare-exchange installed at
# build time instead of by every server's postStart. Built by the harness (dockerode) and loaded
# into the run's kind cluster; the versions are the harness's pins (cluster/versions.ts).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG NBGRADER_VERSION
ARG NGSHARE_EXCHANGE_VERSION
RUN pip install --no-cache-dir "nbgrader==${NBGRADER_VERSION}" "ngshare-exchange==${NGSHARE_EXCHANGE_VERSION}"
