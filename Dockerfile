# DyCoke.Server image. Two run-time targets with identical steps on different bases:
#   cuda (the default, last stage): NVIDIA CUDA runtime image (cuBLAS, NVRTC); the host's driver comes in through the
#        NVIDIA container toolkit (docker run --gpus all, compose's device reservation, Kubernetes' nvidia.com/gpu).
#   cpu: a plain Debian/Ubuntu image for hosts without GPUs (docker build --target cpu).
# Base images are build arguments, so offline builders (our CI) can substitute local ones. See docs/deploy.md.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04
ARG CPU_IMAGE=ubuntu:24.04

# ---- build: restore, then publish (framework-dependent, ReadyToRun for start-up) ------------------------------------
FROM ${SDK_IMAGE} AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
# Project files first: the restore layer is reused until a project or package version changes.
COPY .editorconfig Directory.Build.props Directory.Packages.props ./
COPY src/DyCoke.Tensors/DyCoke.Tensors.csproj src/DyCoke.Tensors/
COPY src/DyCoke.Model/DyCoke.Model.csproj src/DyCoke.Model/
COPY src/DyCoke.Compression/DyCoke.Compression.csproj src/DyCoke.Compression/
COPY src/DyCoke.Engine/DyCoke.Engine.csproj src/DyCoke.Engine/
COPY src/DyCoke.Media/DyCoke.Media.csproj src/DyCoke.Media/
COPY src/DyCoke.Server/DyCoke.Server.csproj src/DyCoke.Server/
RUN dotnet restore src/DyCoke.Server/DyCoke.Server.csproj -r linux-x64 -p:PublishReadyToRun=true --disable-build-servers
COPY src/ src/
# The ASP.NET Core and .NET runtimes for the run-time stages come from this SDK, so their versions match the build.
RUN dotnet publish src/DyCoke.Server/DyCoke.Server.csproj -c Release -r linux-x64 --self-contained false \
        -p:PublishReadyToRun=true --no-restore --disable-build-servers -o /out/app \
    && dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")" \
    && mkdir -p /out/dotnet \
    && cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" /out/dotnet/ \
    && rm -rf /out/dotnet/shared/Microsoft.WindowsDesktop.App

# ---- cpu: hosts without GPUs ------------------------------------------------------------------------------------------
FROM ${CPU_IMAGE} AS cpu
COPY deploy/docker/runtime-setup.sh /usr/local/lib/dycoke/runtime-setup.sh
RUN sh /usr/local/lib/dycoke/runtime-setup.sh
COPY --from=build /out/dotnet /usr/share/dotnet
COPY --from=build /out/app /app
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet \
    ASPNETCORE_HTTP_PORTS=8000 \
    CUDA_HOME=/usr/local/cuda \
    DYCOKE_KERNEL_CACHE=/var/cache/dycoke/kernels \
    DYCOKE__Model__CacheDirectory=/var/cache/dycoke/demo-model \
    DYCOKE__Model__Device=auto
USER 10001:10001
WORKDIR /app
VOLUME ["/models", "/var/cache/dycoke"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10m --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${ASPNETCORE_HTTP_PORTS}/health" || exit 1
ENTRYPOINT ["/app/dycoke-server"]

# ---- cuda (default): GPU hosts; every step below FROM is the cpu target's ------------------------------------------------
FROM ${CUDA_IMAGE} AS cuda
COPY deploy/docker/runtime-setup.sh /usr/local/lib/dycoke/runtime-setup.sh
RUN sh /usr/local/lib/dycoke/runtime-setup.sh
COPY --from=build /out/dotnet /usr/share/dotnet
COPY --from=build /out/app /app
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet \
    ASPNETCORE_HTTP_PORTS=8000 \
    CUDA_HOME=/usr/local/cuda \
    DYCOKE_KERNEL_CACHE=/var/cache/dycoke/kernels \
    DYCOKE__Model__CacheDirectory=/var/cache/dycoke/demo-model \
    DYCOKE__Model__Device=auto
USER 10001:10001
WORKDIR /app
VOLUME ["/models", "/var/cache/dycoke"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10m --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${ASPNETCORE_HTTP_PORTS}/health" || exit 1
ENTRYPOINT ["/app/dycoke-server"]
