#!/usr/bin/env bash
# The inference on ARM64 under QEMU's user-mode emulation against the same program on x64: tests/GgufPs.Arm64Check
# measures tinystories-3m's Q4_K_M and Q8_0 (16 chunks at c=256) on x64, then its self-contained linux-arm64 build
# measures the same files with the AdvSimd kernels, once on a CPU with the dot-product instructions (QEMU's "max",
# SDOT) and once on a Cortex-A72 (no dot product), and compares the perplexities.
# Needs Debian's qemu-user-static and the arm64 C and C++ runtimes, which it installs with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-aarch64-static > /dev/null || [ ! -e /lib/aarch64-linux-gnu/libstdc++.so.6 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends qemu-user-static libc6:arm64 libstdc++6:arm64
fi

work=out/arm64check
dotnet run --project tests/GgufPs.Arm64Check -c Release -- prepare tests/fixtures "$work/models"
dotnet publish tests/GgufPs.Arm64Check -c Release -r linux-arm64 --self-contained -nologo -o "$work/linux-arm64"
# QEMU's user-mode emulation misses code that .NET writes through the second mapping of its W^X double-mapped
# code pages, so emulated runs crash at random (dotnet/runtime#94909, where this switch is the remedy; .NET does not
# support QEMU). It changes how the JIT maps its code, not the code it generates.
export DOTNET_EnableWriteXorExecute=0
for cpu in max cortex-a72; do
    echo "== QEMU_CPU=$cpu"
    QEMU_CPU=$cpu qemu-aarch64-static "$work/linux-arm64/GgufPs.Arm64Check" verify tests/fixtures "$work/models"
done
