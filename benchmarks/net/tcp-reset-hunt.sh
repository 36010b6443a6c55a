#!/bin/bash
# Repeats the concurrent TCP echo of KernelNetworkTests on pc with a pcap of the guest's netdev; keeps runs with a reset.
# usage: tcp-reset-hunt.sh [RUNS]   (after make build; OUT=dir for consoles and pcaps, default /tmp)
cd "$(dirname "$0")/../.."   # the checkout: artifacts/images, benchmarks/net
for i in $(seq 1 ${1:-15}); do
  port=$((18400 + i)); pcap=${OUT:-/tmp}/rst-$i.pcap
  qemu-system-x86_64 -M pc -accel tcg -cpu max -m 128M -nodefaults -no-user-config -nographic -no-reboot -serial file:${OUT:-/tmp}/rst-$i.txt \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -netdev user,id=net0,hostfwd=tcp:127.0.0.1:$port-:7 -device virtio-net-pci,netdev=net0,romfile= \
    -object filter-dump,id=f1,netdev=net0,file=$pcap -kernel artifacts/images/kernel-selftest.elf -append "uk.selftest=net-tcp-echo uk.selftest.count=6" &
  q=$!
  for k in $(seq 1 100); do grep -q "echoing tcp port 7" ${OUT:-/tmp}/rst-$i.txt 2>/dev/null && break; sleep 0.1; done
  out=$(timeout 60 python3 benchmarks/net/tcp-echo-client.py $port 0,1,1000,100000,300000,5)
  wait $q 2>/dev/null || true
  if echo "$out" | grep -qi "reset\|Error"; then echo "run $i: RESET"; echo "$out"; else echo "run $i ok"; rm -f $pcap; fi
done
