# Variant (troubleshooting): ngshare 0.6.0 as its image has it, but with SQLAlchemy 2, the drift
# that makes release_assignment report success while nothing is stored. Built by the harness
# (dockerode) and loaded into the run's kind cluster; the version is the harness's pin.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG SQLALCHEMY_VERSION
USER root
RUN pip install --no-cache-dir "SQLAlchemy==${SQLALCHEMY_VERSION}"
# The image's own user, as libretexts/ngshare sets it.
USER 65535:65535
