#!/usr/bin/env python3
# TCP echo client for the network benchmarks (docs/benchmarks.md, "Network"): one connection per size, all at once;
# each sends its bytes while reading, shuts down its sending side, reads to EOF and compares.
# usage: tcp-echo-client.py PORT SIZE[,SIZE...]
import socket, time, os, threading, sys
port=int(sys.argv[1]); sizes=[int(x) for x in sys.argv[2].split(",")]
def run(n, res, i):
    try:
        s=socket.create_connection(("127.0.0.1",port), timeout=60)
        data=os.urandom(n)
        t=time.perf_counter()
        def w():
            s.sendall(data); s.shutdown(socket.SHUT_WR)
        th=threading.Thread(target=w); th.start()
        got=bytearray()
        while True:
            d=s.recv(65536)
            if not d: break
            got+=d
        th.join()
        res[i]=(n, len(got), bytes(got)==data, round(time.perf_counter()-t,3))
        s.close()
    except Exception as e: res[i]=(n, repr(e))
res=[None]*len(sizes)
ts=[threading.Thread(target=run,args=(n,res,i)) for i,n in enumerate(sizes)]
[t.start() for t in ts]; [t.join() for t in ts]
for r in res: print(r)
