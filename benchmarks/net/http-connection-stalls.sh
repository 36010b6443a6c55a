#!/bin/bash
# One boot, many short wrk runs (16 new connections each): looks for stalls around connection set-up.
# usage: http-connection-stalls.sh IMAGE PORT [RUNS]   (prints the slowest request and errors of each wrk run, and how
# many connections the host's listening sockets dropped meanwhile: TcpExt ListenOverflows -- QEMU's hostfwd socket
# has a backlog of 1, so with user networking wrk's 16 simultaneous connects overflow it)
# TAP=dev GUEST=a.b.c.d HOST=a.b.c.1: the card on an existing tap device (vnet_hdr=on, static guest address) instead
# of user networking with PORT forwarded; PCAP=file.pcap: every frame of the guest's card into a capture.
img=$1; port=$2
if [ -n "$TAP" ]; then
  net="-netdev tap,id=net0,ifname=$TAP,script=no,downscript=no,vnet_hdr=on"
  cmdline="uk.net.ip=$GUEST/24 uk.net.gateway=$HOST"; url=http://$GUEST:8080
else
  net="-netdev user,id=net0,hostfwd=tcp:127.0.0.1:$port-:8080"; cmdline=""; url=http://127.0.0.1:$port
fi
[ -n "$PCAP" ] && net="$net -object filter-dump,id=f1,netdev=net0,file=$PCAP"
qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on -accel tcg -cpu max -m 512M -nodefaults -no-user-config -nographic -no-reboot \
  -serial file:${OUT:-/tmp}/conn-$port.txt -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  $net -global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=net0 \
  -kernel $img -append "$cmdline ASPNETCORE_URLS=http://0.0.0.0:8080 DOTNET_hostBuilder__reloadConfigOnChange=false Logging__LogLevel__Default=Warning" &
qpid=$!
for i in $(seq 1 100); do curl -s -m 2 -o /dev/null $url/ && break; sleep 0.3; done
overflows() { awk '/^TcpExt:/{if(!h){for(i=1;i<=NF;i++)if($i=="ListenOverflows")c=i;h=1}else print $c}' /proc/net/netstat; }
for i in $(seq 1 ${3:-12}); do
  before=$(overflows)
  wrk -t2 -c16 -d2s --timeout 5s $url/ | awk '/Latency /{max=$4} /Socket errors/{err=$0} /Requests\/sec/{rps=$2} END{printf "max " max ", rps " rps ", " (err?err:"no errors")}'
  echo ", host listen overflows $(( $(overflows) - before ))"
done
kill $qpid; wait $qpid 2>/dev/null
