# prevnet's bots (`prevnet up`) and bridge (`prevnet bridge`) run from this one image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends libolm-dev build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY phenomena ./phenomena
COPY bots ./bots
COPY bridge ./bridge
COPY prevnet ./prevnet
COPY config ./config
RUN pip install . && useradd --system --home /var/lib/prevnet --create-home prevnet
USER prevnet
WORKDIR /var/lib/prevnet
ENV PREVNET_DATA_DIR=/var/lib/prevnet/data
ENTRYPOINT ["prevnet"]
CMD ["--help"]
